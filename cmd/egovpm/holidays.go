package main

import (
	"context"
	"fmt"

	"egovpm/internal/calendar"
	"egovpm/internal/config"
	"egovpm/internal/store"
)

// cmdSetHoliday records a working-day override (T2) for a year the holiday library does not
// know (it has statutory holidays through 2027) or to correct it. The calendar is read inside
// activities, so a change never breaks replay.
func cmdSetHoliday(ctx context.Context, e env, args []string) error {
	fs := flags(e, "set-holiday")
	date := fs.String("date", "", "YYYY-MM-DD")
	workday := fs.Bool("workday", false, "a make-up working day (调休); default: a day off")
	name := fs.String("name", "", "节假日名称, e.g. 国庆节")
	if err := parse(fs, args); err != nil {
		return err
	}
	// The calendar package validates the date the same way it will read it.
	if _, err := calendar.New([]calendar.Override{{Date: *date, Workday: *workday, Name: *name}}); err != nil {
		return fmt.Errorf("set-holiday: %w", err)
	}
	return withStore(ctx, e, func(_ config.Config, st *store.Store) error {
		if err := st.WithTx(ctx, func(tx *store.Tx) error {
			if err := st.SetHolidayOverride(ctx, tx, *date, *workday, *name); err != nil {
				return fmt.Errorf("set-holiday: %w", err)
			}
			return cliAudit(ctx, st, tx, e, "calendar.override", "holiday", *date, map[string]any{"workday": *workday, "name": *name})
		}); err != nil {
			return err
		}
		kind := "day off"
		if *workday {
			kind = "working day"
		}
		fmt.Fprintf(e.stdout, "%s is now a %s (%s)\n", *date, kind, *name)
		return nil
	})
}
