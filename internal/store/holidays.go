package store

import (
	"context"
	"fmt"
	"time"

	"egovpm/internal/calendar"
)

// HolidayOverrides returns the working-day overrides of holiday_overrides (T2), by date.
func (s *Store) HolidayOverrides(ctx context.Context) ([]calendar.Override, error) {
	var rows []struct {
		Day     time.Time `db:"day"`
		Workday bool      `db:"workday"`
		Name    string    `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT day, workday, name FROM holiday_overrides ORDER BY day`); err != nil {
		return nil, fmt.Errorf("holiday overrides: %w", err)
	}
	ov := make([]calendar.Override, 0, len(rows))
	for _, r := range rows {
		ov = append(ov, calendar.Override{Date: r.Day.Format("2006-01-02"), Workday: r.Workday, Name: r.Name})
	}
	return ov, nil
}

// Calendar returns the working-day calendar (T2) with the overrides of holiday_overrides. Read it
// afresh where a change of the table must be seen (the activities, the mail sweep).
func (s *Store) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	ov, err := s.HolidayOverrides(ctx)
	if err != nil {
		return nil, err
	}
	return calendar.New(ov)
}

// SetHolidayOverride makes day (YYYY-MM-DD) a working day or a day off, named name, in tx.
func (s *Store) SetHolidayOverride(ctx context.Context, tx *Tx, day string, workday bool, name string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO holiday_overrides (day, workday, name) VALUES ($1, $2, $3)
		ON CONFLICT (day) DO UPDATE SET workday = EXCLUDED.workday, name = EXCLUDED.name`, day, workday, name)
	if err != nil {
		return fmt.Errorf("holiday override %s: %w", day, err)
	}
	return nil
}
