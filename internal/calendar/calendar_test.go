package calendar_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"github.com/stretchr/testify/require"

	"egovpm/internal/calendar"
)

// sh returns the given Asia/Shanghai wall-clock instant.
func sh(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, calendar.Shanghai)
}

// day parses "YYYY-MM-DD" as noon in Asia/Shanghai.
func day(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s+" 12:00", calendar.Shanghai)
	require.NoError(t, err)
	return v
}

// due is the due instant (23:59:59 Asia/Shanghai) of the given date.
func due(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s+" 23:59:59", calendar.Shanghai)
	require.NoError(t, err)
	return v
}

func newCal(t testing.TB, o ...calendar.Override) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(o)
	require.NoError(t, err)
	return c
}

func TestT2_ShanghaiLocation(t *testing.T) {
	require.NotNil(t, calendar.Shanghai)
	_, off := time.Date(2025, 10, 1, 0, 0, 0, 0, calendar.Shanghai).Zone()
	require.Equal(t, 8*3600, off)
}

// Each fact below was checked against lunar-go's table AND the State Council
// notices of 2024-11-12 (2025 arrangement) and 2025-11-04 (2026
// arrangement). The 2027 facts are lunar-go v1.4.7's data
// (added 2026-11-06); they are consistent with the statutory-holiday rules
// but were not checked against the 2027 notice text.
func TestT2_IsWorkday_StatutoryHolidaysAndMakeUpDays(t *testing.T) {
	c := newCal(t)
	type fact struct {
		date    string
		workday bool
		why     string
	}
	var facts []fact
	rest := func(from, to, why string) {
		a, b := day(t, from), day(t, to)
		for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
			facts = append(facts, fact{d.Format("2006-01-02"), false, why})
		}
	}
	work := func(date, why string) { facts = append(facts, fact{date, true, why}) }

	// 2025.
	rest("2025-01-01", "2025-01-01", "2025 元旦")
	work("2025-01-02", "ordinary Thursday")
	work("2025-01-26", "2025 春节调休 (Sunday)")
	work("2025-01-27", "ordinary Monday before 春节")
	rest("2025-01-28", "2025-02-04", "2025 春节")
	work("2025-02-05", "first day after 春节")
	work("2025-02-08", "2025 春节调休 (Saturday)")
	rest("2025-02-09", "2025-02-09", "ordinary Sunday")
	rest("2025-04-04", "2025-04-06", "2025 清明")
	work("2025-04-27", "2025 劳动节调休 (Sunday)")
	rest("2025-05-01", "2025-05-05", "2025 劳动节")
	rest("2025-05-31", "2025-06-02", "2025 端午")
	work("2025-09-28", "2025 国庆中秋调休 (Sunday)")
	work("2025-09-29", "ordinary Monday")
	work("2025-09-30", "ordinary Tuesday")
	rest("2025-10-01", "2025-10-08", "2025 国庆中秋")
	work("2025-10-09", "ordinary Thursday")
	work("2025-10-10", "ordinary Friday")
	work("2025-10-11", "2025 国庆中秋调休 (Saturday)")
	rest("2025-10-12", "2025-10-12", "ordinary Sunday")
	work("2025-10-13", "ordinary Monday")

	// 2026.
	rest("2026-01-01", "2026-01-03", "2026 元旦")
	work("2026-01-04", "2026 元旦调休 (Sunday)")
	work("2026-02-14", "2026 春节调休 (Saturday)")
	rest("2026-02-15", "2026-02-23", "2026 春节 (9 days)")
	work("2026-02-24", "first day after 春节")
	work("2026-02-28", "2026 春节调休 (Saturday)")
	rest("2026-04-04", "2026-04-06", "2026 清明")
	rest("2026-05-01", "2026-05-05", "2026 劳动节")
	work("2026-05-09", "2026 劳动节调休 (Saturday)")
	rest("2026-06-19", "2026-06-21", "2026 端午")
	work("2026-09-20", "2026 国庆调休 (Sunday)")
	rest("2026-09-25", "2026-09-27", "2026 中秋")
	rest("2026-10-01", "2026-10-07", "2026 国庆")
	work("2026-10-08", "ordinary Thursday")
	work("2026-10-10", "2026 国庆调休 (Saturday)")

	// 2027 (lunar-go data).
	rest("2027-01-01", "2027-01-03", "2027 元旦")
	work("2027-01-31", "2027 春节调休 (Sunday)")
	rest("2027-02-05", "2027-02-13", "2027 春节")
	work("2027-02-14", "2027 春节调休 (Sunday)")
	rest("2027-04-03", "2027-04-05", "2027 清明")
	rest("2027-05-01", "2027-05-05", "2027 劳动节")
	work("2027-05-08", "2027 劳动节调休 (Saturday)")
	rest("2027-06-09", "2027-06-09", "2027 端午 (Wednesday)")
	rest("2027-09-15", "2027-09-15", "2027 中秋 (Wednesday)")
	work("2027-09-26", "2027 国庆调休 (Sunday)")
	rest("2027-10-01", "2027-10-07", "2027 国庆")
	work("2027-10-09", "2027 国庆调休 (Saturday)")

	for _, f := range facts {
		t.Run(f.date, func(t *testing.T) {
			d := day(t, f.date)
			require.Equal(t, f.workday, c.IsWorkday(d), "%s (%s, %s)", f.date, d.Weekday(), f.why)
			// The date is taken in Shanghai whatever the location of t.
			require.Equal(t, f.workday, c.IsWorkday(sh(d.Year(), d.Month(), d.Day(), 0, 30, 0).UTC()))
			require.Equal(t, f.workday, c.IsWorkday(sh(d.Year(), d.Month(), d.Day(), 23, 30, 0).UTC()))
		})
	}
}

// Make-up days balance the extra rest days, so with all 13 statutory days
// (2024 rules) compensated each of these years has 365-104-13 working days.
func TestT2_WorkingDaysPerYear(t *testing.T) {
	c := newCal(t)
	for _, y := range []int{2025, 2026, 2027} {
		n := c.WorkdaysBetween(sh(y-1, 12, 31, 12, 0, 0), sh(y, 12, 31, 12, 0, 0))
		require.Equal(t, 248, n, "working days in %d", y)
	}
}

// The package's copy of lunar-go's table must agree with HolidayUtil.GetHoliday
// for every day lunar-go covers.
func TestT2_AgreesWithLunarGo(t *testing.T) {
	c := newCal(t)
	for d := day(t, "2001-12-29"); d.Year() <= 2027; d = d.AddDate(0, 0, 1) {
		want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		if h := HolidayUtil.GetHoliday(d.Format("2006-01-02")); h != nil {
			want = h.IsWork()
		}
		if want != c.IsWorkday(d) {
			t.Fatalf("%s: IsWorkday=%v, lunar-go says %v", d.Format("2006-01-02"), !want, want)
		}
	}
}

func TestT2_Covered(t *testing.T) {
	for y := 2002; y <= 2027; y++ {
		require.True(t, calendar.Covered(y), "year %d", y)
	}
	for _, y := range []int{1999, 2028, 2029, 2100} {
		require.False(t, calendar.Covered(y), "year %d", y)
	}
	c := newCal(t, calendar.Override{Date: "2028-01-03", Name: "元旦补休"})
	require.True(t, c.HasOverrides(2028))
	require.False(t, c.HasOverrides(2029))
	require.False(t, newCal(t).HasOverrides(2025))
}

func TestT2_AddWorkdays(t *testing.T) {
	c := newCal(t)
	tests := []struct {
		name  string
		start time.Time
		n     int
		want  string
	}{
		// 10-01..10-08 rest; 10-09 Thu (1), 10-10 Fri (2), 10-11 Sat make-up (3),
		// 10-12 Sun rest, 10-13 Mon (4), 10-14 Tue (5).
		{"5 working days across National Day 2025", sh(2025, 9, 30, 10, 0, 0), 5, "2025-10-14"},
		{"start clock time does not matter", sh(2025, 9, 30, 23, 59, 59), 5, "2025-10-14"},
		{"start at midnight", sh(2025, 9, 30, 0, 0, 0), 5, "2025-10-14"},
		{"1 day from before National Day", sh(2025, 9, 30, 10, 0, 0), 1, "2025-10-09"},
		{"3 days lands on Saturday make-up day", sh(2025, 9, 30, 10, 0, 0), 3, "2025-10-11"},
		{"4 days skips Sunday", sh(2025, 9, 30, 10, 0, 0), 4, "2025-10-13"},
		{"start inside holiday", sh(2025, 10, 3, 9, 0, 0), 1, "2025-10-09"},
		{"Friday to Sunday make-up day", sh(2025, 9, 26, 9, 0, 0), 1, "2025-09-28"},
		{"start UTC instant already 10-01 in Shanghai", time.Date(2025, 9, 30, 17, 0, 0, 0, time.UTC), 1, "2025-10-09"},
		{"start UTC instant still 09-30 in Shanghai", time.Date(2025, 9, 30, 15, 0, 0, 0, time.UTC), 1, "2025-10-09"},
		{"start UTC instant 09-29 in Shanghai", time.Date(2025, 9, 29, 15, 0, 0, 0, time.UTC), 1, "2025-09-30"},
		{"Spring Festival 2025: Friday to Sunday make-up", sh(2025, 1, 24, 9, 0, 0), 1, "2025-01-26"},
		{"Spring Festival 2025: 2 days", sh(2025, 1, 24, 9, 0, 0), 2, "2025-01-27"},
		{"Spring Festival 2025: 3 days", sh(2025, 1, 24, 9, 0, 0), 3, "2025-02-05"},
		{"Spring Festival 2025: 6 days reaches Saturday make-up", sh(2025, 1, 24, 9, 0, 0), 6, "2025-02-08"},
		{"year boundary into 2026 Sunday make-up", sh(2025, 12, 31, 9, 0, 0), 1, "2026-01-04"},
		{"Spring Festival 2026", sh(2026, 2, 13, 9, 0, 0), 2, "2026-02-24"},
		{"National Day 2027 (lunar-go)", sh(2027, 9, 30, 9, 0, 0), 2, "2027-10-09"},
		{"ordinary week", sh(2025, 11, 3, 9, 0, 0), 5, "2025-11-10"},
		{"20 working days", sh(2025, 9, 30, 9, 0, 0), 20, "2025-11-04"},
		{"n=0 on a working day is the same day", sh(2025, 9, 30, 9, 0, 0), 0, "2025-09-30"},
		{"n=0 on a holiday is the next working day", sh(2025, 10, 1, 9, 0, 0), 0, "2025-10-09"},
		{"n=0 on a Saturday make-up day", sh(2025, 10, 11, 9, 0, 0), 0, "2025-10-11"},
		{"n=-1 before National Day", sh(2025, 10, 9, 9, 0, 0), -1, "2025-09-30"},
		{"n=-3 reaches Sunday make-up day", sh(2025, 10, 9, 9, 0, 0), -3, "2025-09-28"},
		{"n=-4 skips Saturday", sh(2025, 10, 9, 9, 0, 0), -4, "2025-09-26"},
		{"2028 without overrides is plain Mon-Fri", sh(2027, 12, 31, 9, 0, 0), 1, "2028-01-03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkdays(tt.start, tt.n)
			require.True(t, due(t, tt.want).Equal(got), "got %s, want %s 23:59:59", got, tt.want)
			require.Equal(t, calendar.Shanghai, got.Location())
			require.True(t, c.IsWorkday(got))
			if tt.n >= 1 {
				require.Equal(t, tt.n, c.WorkdaysBetween(tt.start, got))
			}
		})
	}
}

func TestT2_PrevWorkday(t *testing.T) {
	c := newCal(t)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"across National Day 2025", sh(2025, 10, 9, 9, 30, 0), sh(2025, 9, 30, 9, 30, 0)},
		{"reminder before a due instant lands on Saturday make-up", sh(2025, 10, 13, 23, 59, 59), sh(2025, 10, 11, 23, 59, 59)},
		{"across Spring Festival 2025", sh(2025, 2, 5, 10, 0, 0), sh(2025, 1, 27, 10, 0, 0)},
		{"Monday after Sunday make-up 2026", sh(2026, 1, 5, 8, 0, 0), sh(2026, 1, 4, 8, 0, 0)},
		{"from a holiday", sh(2025, 10, 5, 8, 0, 0), sh(2025, 9, 30, 8, 0, 0)},
		{"ordinary Monday", sh(2025, 11, 10, 8, 0, 0), sh(2025, 11, 7, 8, 0, 0)},
		{"nanoseconds kept", sh(2025, 11, 11, 8, 0, 0).Add(123), sh(2025, 11, 10, 8, 0, 0).Add(123)},
		{"UTC input uses Shanghai date and clock", time.Date(2025, 10, 8, 16, 30, 0, 0, time.UTC), sh(2025, 9, 30, 0, 30, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.PrevWorkday(tt.in)
			require.True(t, tt.want.Equal(got), "got %s, want %s", got, tt.want)
			require.Equal(t, calendar.Shanghai, got.Location())
		})
	}
}

func TestT2_WorkdaysBetween(t *testing.T) {
	c := newCal(t)
	tests := []struct {
		name string
		a, b time.Time
		want int
	}{
		{"across National Day 2025", sh(2025, 9, 30, 9, 0, 0), sh(2025, 10, 14, 9, 0, 0), 5},
		{"reversed is negative (overdue)", sh(2025, 10, 14, 9, 0, 0), sh(2025, 9, 30, 9, 0, 0), -5},
		{"same date", sh(2025, 9, 30, 0, 0, 0), sh(2025, 9, 30, 23, 59, 59), 0},
		{"clock times ignored", sh(2025, 9, 30, 23, 59, 59), sh(2025, 10, 9, 0, 0, 0), 1},
		{"holiday only", sh(2025, 10, 1, 9, 0, 0), sh(2025, 10, 8, 9, 0, 0), 0},
		{"Saturday to Sunday make-up", sh(2025, 9, 27, 9, 0, 0), sh(2025, 9, 28, 9, 0, 0), 1},
		{"Spring Festival 2026 week", sh(2026, 2, 13, 9, 0, 0), sh(2026, 2, 28, 9, 0, 0), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, c.WorkdaysBetween(tt.a, tt.b))
		})
	}
}

func TestT2_OverridesTakePrecedence(t *testing.T) {
	plain := newCal(t)
	c := newCal(t,
		calendar.Override{Date: "2025-06-09", Workday: false, Name: "local holiday (Monday)"},
		calendar.Override{Date: "2025-06-14", Workday: true, Name: "local make-up (Saturday)"},
		calendar.Override{Date: "2025-10-08", Workday: true, Name: "correction: lunar-go says rest"},
		calendar.Override{Date: "2025-10-11", Workday: false, Name: "correction: lunar-go says work"},
	)
	require.Equal(t, time.Monday, day(t, "2025-06-09").Weekday())
	require.Equal(t, time.Saturday, day(t, "2025-06-14").Weekday())

	tests := []struct {
		date       string
		plain, got bool
	}{
		{"2025-06-09", true, false},
		{"2025-06-14", false, true},
		{"2025-10-08", false, true},
		{"2025-10-11", true, false},
		{"2025-06-10", true, true},
		{"2025-10-09", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			require.Equal(t, tt.plain, plain.IsWorkday(day(t, tt.date)))
			require.Equal(t, tt.got, c.IsWorkday(day(t, tt.date)))
		})
	}

	fri := sh(2025, 6, 6, 9, 0, 0)
	require.Equal(t, due(t, "2025-06-09"), plain.AddWorkdays(fri, 1))
	require.Equal(t, due(t, "2025-06-10"), c.AddWorkdays(fri, 1))
	require.Equal(t, due(t, "2025-06-13"), plain.AddWorkdays(fri, 5))
	require.Equal(t, due(t, "2025-06-14"), c.AddWorkdays(fri, 5))

	sep30 := sh(2025, 9, 30, 9, 0, 0)
	require.Equal(t, due(t, "2025-10-11"), plain.AddWorkdays(sep30, 3))
	require.Equal(t, due(t, "2025-10-10"), c.AddWorkdays(sep30, 3))
}

func TestT2_Year2028ViaOverridesOnly(t *testing.T) {
	require.False(t, calendar.Covered(2028))
	c := newCal(t,
		calendar.Override{Date: "2028-01-03", Workday: false, Name: "元旦补休"},
		calendar.Override{Date: "2028-01-08", Workday: true, Name: "调休上班"},
	)
	require.Equal(t, time.Monday, day(t, "2028-01-03").Weekday())
	require.Equal(t, time.Saturday, day(t, "2028-01-08").Weekday())
	require.False(t, c.IsWorkday(day(t, "2028-01-03")))
	require.True(t, c.IsWorkday(day(t, "2028-01-08")))
	require.True(t, c.IsWorkday(day(t, "2028-01-04")))
	require.False(t, c.IsWorkday(day(t, "2028-01-09")))

	fri := sh(2027, 12, 31, 9, 0, 0) // Friday; no lunar-go entry.
	require.True(t, c.IsWorkday(fri))
	require.Equal(t, due(t, "2028-01-04"), c.AddWorkdays(fri, 1))
	require.Equal(t, due(t, "2028-01-08"), c.AddWorkdays(fri, 5))
	require.Equal(t, due(t, "2028-01-10"), c.AddWorkdays(fri, 6))
	require.Equal(t, 5, c.WorkdaysBetween(fri, day(t, "2028-01-09")))
	require.Equal(t, sh(2027, 12, 31, 9, 0, 0), c.PrevWorkday(sh(2028, 1, 4, 9, 0, 0)))
}

func TestT2_BadOverridesRejected(t *testing.T) {
	bad := []string{
		"", "2025-13-01", "2025-00-10", "2025-02-29", "2025-02-30", "2025-04-31",
		"2025/10/01", "20251001", "2025-1-01", "2025-10-1", " 2025-10-01",
		"2025-10-01 ", "2025-10-01T00:00:00Z", "25-10-01", "２０２５-10-01",
		"abcd-ef-gh", "+2025-10-01",
	}
	for _, s := range bad {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			c, err := calendar.New([]calendar.Override{{Date: "2025-10-02", Workday: true}, {Date: s}})
			require.Error(t, err)
			require.Nil(t, c)
			require.Contains(t, err.Error(), fmt.Sprintf("%q", s))
		})
	}

	t.Run("leap day accepted", func(t *testing.T) {
		_, err := calendar.New([]calendar.Override{{Date: "2028-02-29"}})
		require.NoError(t, err)
	})

	t.Run("duplicate date names the date", func(t *testing.T) {
		c, err := calendar.New([]calendar.Override{
			{Date: "2028-01-03", Name: "a"},
			{Date: "2028-05-01", Name: "b"},
			{Date: "2028-01-03", Workday: true, Name: "c"},
		})
		require.Error(t, err)
		require.Nil(t, c)
		require.Contains(t, err.Error(), "2028-01-03")
		require.Contains(t, strings.ToLower(err.Error()), "duplicate")
	})

	t.Run("nil overrides", func(t *testing.T) {
		c, err := calendar.New(nil)
		require.NoError(t, err)
		require.NotNil(t, c)
	})
}

func TestT2_ConcurrentUse(t *testing.T) {
	c := newCal(t, calendar.Override{Date: "2028-01-03"})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			start := sh(2025, 9, 20+g, 9, 0, 0)
			for n := 0; n < 200; n++ {
				r := c.AddWorkdays(start, n)
				if !c.IsWorkday(r) {
					t.Errorf("AddWorkdays(%s, %d) = %s is not a working day", start, n, r)
					return
				}
				_ = c.PrevWorkday(r)
				_ = c.WorkdaysBetween(start, r)
				_ = calendar.Covered(2025 + n%5)
			}
		}(g)
	}
	wg.Wait()
}

// Unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// FuzzAddWorkdays checks the rule-T2 invariants of AddWorkdays for any start
// instant in years 1..9999 (in any fixed zone) and n in 0..400.
func FuzzAddWorkdays(f *testing.F) {
	c := newCal(f,
		calendar.Override{Date: "2028-01-03", Workday: false},
		calendar.Override{Date: "2028-01-08", Workday: true},
		calendar.Override{Date: "2025-10-11", Workday: false},
	)
	for _, s := range []struct {
		sec  int64
		nsec int64
		off  int16
		n    uint16
	}{
		{sh(2025, 9, 30, 10, 0, 0).Unix(), 0, 480, 5},
		{sh(2025, 10, 1, 0, 0, 0).Unix(), 0, 0, 0},
		{sh(2025, 1, 24, 23, 59, 59).Unix(), 999999999, -300, 6},
		{sh(2027, 12, 31, 9, 0, 0).Unix(), 0, 840, 400},
		{0, 0, 0, 1},
		{minUnix, 0, -840, 3},
		{maxUnix, 999999999, 840, 400},
	} {
		f.Add(s.sec, s.nsec, s.off, s.n)
	}
	f.Fuzz(func(t *testing.T, sec, nsec int64, offMin int16, nRaw uint16) {
		// Fold the inputs into years 1..9999, nanoseconds 0..999999999 and
		// UTC offsets -14h..+14h.
		span := int64(maxUnix - minUnix + 1)
		sec = minUnix + ((sec%span)+span)%span
		nsec = ((nsec % 1e9) + 1e9) % 1e9
		off := (int(offMin) % (14*60 + 1)) * 60
		n := int(nRaw) % 401
		start := time.Unix(sec, nsec).In(time.FixedZone("fuzz", off))

		got := c.AddWorkdays(start, n)

		require.Equal(t, calendar.Shanghai, got.Location())
		require.Equal(t, [3]int{calendar.DueHour, calendar.DueMinute, calendar.DueSecond},
			[3]int{got.Hour(), got.Minute(), got.Second()})
		require.Zero(t, got.Nanosecond())
		require.True(t, c.IsWorkday(got), "result %s is not a working day", got)

		s := start.In(calendar.Shanghai)
		startDate := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, calendar.Shanghai)
		require.False(t, got.Before(startDate), "result %s before start date %s", got, startDate)

		between := c.WorkdaysBetween(start, got)
		switch {
		case n >= 1:
			require.Equal(t, n, between)
			require.True(t, got.After(s), "n=%d: result %s not after start %s", n, got, s)
		case c.IsWorkday(start):
			require.Equal(t, 0, between)
			require.Equal(t, s.Format("2006-01-02"), got.Format("2006-01-02"))
		default:
			require.Equal(t, 1, between) // the first working day after start
		}

		// The reminder one working day before the due date is a working day
		// with exactly one working day (the due date) after it.
		prev := c.PrevWorkday(got)
		require.True(t, c.IsWorkday(prev))
		require.True(t, prev.Before(got))
		require.Equal(t, 1, c.WorkdaysBetween(prev, got))
		require.Equal(t, -1, c.WorkdaysBetween(got, prev))

		// Counting backwards lands on the n-th working day before start.
		if n >= 1 {
			back := c.AddWorkdays(start, -n)
			require.True(t, c.IsWorkday(back))
			require.True(t, back.Before(startDate))
			require.Equal(t, n-1, c.WorkdaysBetween(back, c.PrevWorkday(start)))
		}
	})
}

func BenchmarkAddWorkdays(b *testing.B) {
	c := newCal(b, calendar.Override{Date: "2028-01-03"})
	start := sh(2025, 9, 30, 10, 0, 0)
	for _, n := range []int{1, 5, 20, 400} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.AddWorkdays(start, n)
			}
		})
	}
}
