// Package calendar implements working-day arithmetic for Chinese government
// deadlines (SPEC rule T2: every human task has a due date in working days,
// and Chinese statutory holidays and make-up working days (调休) count
// correctly).
//
// All dates are civil dates in Asia/Shanghai. A day is a working day when it
// is Monday to Friday, unless the statutory-holiday table of
// github.com/6tail/lunar-go/HolidayUtil (data from 2001-12-29 through 2027)
// says otherwise, unless an Override supplied to New says otherwise.
//
// The lunar-go table is copied once at package initialisation into an
// immutable map, and a Calendar never changes after New returns, so every
// function and method in this package is safe for concurrent use.
// Calls to HolidayUtil.Fix made after this package is initialised are not
// seen; use overrides instead.
package calendar

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Embed the zone database so Asia/Shanghai loads in minimal images.

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Shanghai is the Asia/Shanghai location in which every date in this package
// is taken. If the zone database cannot be loaded it is a fixed UTC+8 zone
// named "CST".
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// The clock time in Asia/Shanghai at which a working day ends; AddWorkdays
// returns instants at exactly this time. It is a whole second (no fractional
// part) so that it survives storage in PostgreSQL timestamptz (microsecond
// precision) unchanged instead of rounding up to the next midnight.
const (
	// DueHour is the hour of the due instant (23).
	DueHour = 23
	// DueMinute is the minute of the due instant (59).
	DueMinute = 59
	// DueSecond is the second of the due instant (59).
	DueSecond = 59
)

// dateLayout is the layout of Override.Date.
const dateLayout = "2006-01-02"

// Override forces the working-day status of one date. Overrides take
// precedence over both the Monday-to-Friday default and lunar-go's
// statutory-holiday table; the application keeps them in a database table
// for years lunar-go does not know and for local corrections.
type Override struct {
	// Date is the civil date in Asia/Shanghai, formatted YYYY-MM-DD.
	Date string
	// Workday reports whether Date is a working day.
	Workday bool
	// Name is a human-readable label such as "春节" or "春节调休"; it does not
	// affect any computation.
	Name string
}

// day is a civil date expressed as the number of days since 1970-01-01.
type day int64

// dayOf returns the civil date of t in Asia/Shanghai.
func dayOf(t time.Time) day {
	y, m, d := t.In(Shanghai).Date()
	return dayFromYMD(y, m, d)
}

// dayFromYMD converts a proleptic Gregorian civil date to a day number.
func dayFromYMD(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ymd converts a day number back to a civil date.
func (d day) ymd() (int, time.Month, int) {
	return time.Unix(int64(d)*86400, 0).UTC().Date()
}

// weekend reports whether d is a Saturday or Sunday. 1970-01-01 was a
// Thursday, so (d+3) mod 7 numbers the days Monday=0 … Sunday=6.
func (d day) weekend() bool {
	w := (int64(d) + 3) % 7
	if w < 0 {
		w += 7
	}
	return w >= 5
}

// lunarTable is an immutable snapshot of lunar-go's statutory-holiday data:
// for every date it lists, whether that date is a working day.
var lunarTable, lunarYears = loadLunar()

// lunarFirstYear and lunarLastYear bound the years scanned in lunar-go's
// table; they are generous so that a newer lunar-go needs no code change.
const (
	lunarFirstYear = 1990
	lunarLastYear  = 2199
)

func loadLunar() (map[day]bool, map[int]bool) {
	table := make(map[day]bool)
	years := make(map[int]bool)
	for y := lunarFirstYear; y <= lunarLastYear; y++ {
		for e := HolidayUtil.GetHolidaysByYear(y).Front(); e != nil; e = e.Next() {
			h, ok := e.Value.(*HolidayUtil.Holiday)
			if !ok || h == nil {
				continue
			}
			t, err := time.Parse(dateLayout, h.GetDay())
			if err != nil {
				continue
			}
			d := dayFromYMD(t.Date())
			if _, dup := table[d]; dup {
				continue // HolidayUtil.GetHoliday returns the first entry too.
			}
			table[d] = h.IsWork()
			years[y] = true
		}
	}
	return table, years
}

// Covered reports whether lunar-go's statutory-holiday table has at least one
// entry (holiday or make-up working day) in the given year. When it returns
// false, the calendar falls back to plain Monday-to-Friday for that year
// unless overrides supply the State Council's arrangement, so callers should
// warn about uncovered years that have no overrides (see Calendar.HasOverrides).
func Covered(year int) bool {
	return lunarYears[year]
}

// Calendar answers working-day questions for Asia/Shanghai. It is immutable
// and safe for concurrent use; the zero value is not usable, call New.
type Calendar struct {
	overrides     map[day]bool
	overrideYears map[int]bool
}

// New returns a Calendar that applies the given overrides on top of lunar-go's
// statutory-holiday table. It returns an error if an override's Date is not a
// valid YYYY-MM-DD date or if two overrides share the same Date; the error
// names the offending date. A nil or empty slice is allowed.
func New(overrides []Override) (*Calendar, error) {
	c := &Calendar{
		overrides:     make(map[day]bool, len(overrides)),
		overrideYears: make(map[int]bool),
	}
	for i, o := range overrides {
		t, err := parseDate(o.Date)
		if err != nil {
			return nil, fmt.Errorf("calendar: override %d: invalid date %q: %w", i, o.Date, err)
		}
		d := dayFromYMD(t.Date())
		if _, dup := c.overrides[d]; dup {
			return nil, fmt.Errorf("calendar: override %d: duplicate date %s", i, o.Date)
		}
		c.overrides[d] = o.Workday
		c.overrideYears[t.Year()] = true
	}
	return c, nil
}

// parseDate parses a strict YYYY-MM-DD date (exactly ten characters, a real
// calendar day, no surrounding space).
func parseDate(s string) (time.Time, error) {
	if len(s) != len(dateLayout) || strings.TrimSpace(s) != s {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD")
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, err
	}
	if t.Format(dateLayout) != s {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD")
	}
	return t, nil
}

// HasOverrides reports whether at least one override passed to New falls in
// the given year.
func (c *Calendar) HasOverrides(year int) bool {
	return c.overrideYears[year]
}

// isWork reports whether the civil date d is a working day.
func (c *Calendar) isWork(d day) bool {
	if w, ok := c.overrides[d]; ok {
		return w
	}
	if w, ok := lunarTable[d]; ok {
		return w
	}
	return !d.weekend()
}

// IsWorkday reports whether the civil date of t in Asia/Shanghai is a working
// day. Monday to Friday are working days and Saturday and Sunday are rest
// days by default; lunar-go's statutory holidays and make-up working days
// (调休) replace the default, and overrides replace both.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWork(dayOf(t))
}

// endOf returns the due instant of civil date d: DueHour:DueMinute:DueSecond
// in Asia/Shanghai.
func endOf(d day) time.Time {
	y, m, dd := d.ymd()
	return time.Date(y, m, dd, DueHour, DueMinute, DueSecond, 0, Shanghai)
}

// AddWorkdays returns the due instant of a task that must be completed
// within n working days of start. Let D be start's civil date in
// Asia/Shanghai; the result is 23:59:59 Asia/Shanghai (DueHour, DueMinute,
// DueSecond) on the civil date W, where:
//
//   - n >= 1: W is the n-th working day strictly after D, so the day of
//     start never counts, whatever its clock time;
//   - n == 0: W is D if D is a working day, otherwise the first working day
//     after D;
//   - n <= -1: W is the |n|-th working day strictly before D.
//
// For n >= 1, WorkdaysBetween(start, result) == n. The cost is linear in the
// number of calendar days spanned.
func (c *Calendar) AddWorkdays(start time.Time, n int) time.Time {
	d := dayOf(start)
	switch {
	case n == 0:
		for !c.isWork(d) {
			d++
		}
	case n > 0:
		for n > 0 {
			d++
			if c.isWork(d) {
				n--
			}
		}
	default:
		for n < 0 {
			d--
			if c.isWork(d) {
				n++
			}
		}
	}
	return endOf(d)
}

// PrevWorkday returns the latest working day strictly before t's civil date
// in Asia/Shanghai, at the same Asia/Shanghai clock time as t. It is used for
// "remind one working day before the due date": PrevWorkday(due) of a due
// instant at 23:59:59 is 23:59:59 on the previous working day. The result is
// in the Shanghai location.
func (c *Calendar) PrevWorkday(t time.Time) time.Time {
	s := t.In(Shanghai)
	d := dayOf(s)
	for {
		d--
		if c.isWork(d) {
			break
		}
	}
	y, m, dd := d.ymd()
	return time.Date(y, m, dd, s.Hour(), s.Minute(), s.Second(), s.Nanosecond(), Shanghai)
}

// WorkdaysBetween returns the number of working days in the half-open range
// (a's civil date, b's civil date] in Asia/Shanghai, that is, excluding a's
// date and including b's date. It is antisymmetric: when b's date is before
// a's date the result is -WorkdaysBetween(b, a), which is how many working
// days a deadline b has been overdue at time a. The clock times of a and b
// are ignored.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	da, db := dayOf(a), dayOf(b)
	sign := 1
	if db < da {
		da, db, sign = db, da, -1
	}
	n := 0
	for d := da + 1; d <= db; d++ {
		if c.isWork(d) {
			n++
		}
	}
	return sign * n
}
