package main

import (
	"context"
	"fmt"
	"strings"

	"egovpm/internal/logging"
	"egovpm/internal/platform"
)

// cmdTemporalSetup registers the custom search attributes egovpm's workflows use
// (platform.SearchAttributes) in the Temporal namespace through the Operator API. Safe to run
// again: present attributes are left alone. It needs Temporal only, not the database.
func cmdTemporalSetup(ctx context.Context, e env, args []string) error {
	fs := flags(e, "temporal-setup")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	tc, err := platform.DialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	added, err := platform.SetupTemporal(ctx, tc, cfg.TemporalNamespace)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		fmt.Fprintf(e.stdout, "namespace %s: every search attribute is registered\n", cfg.TemporalNamespace)
		return nil
	}
	fmt.Fprintf(e.stdout, "namespace %s: registered %s\n", cfg.TemporalNamespace, strings.Join(added, ", "))
	return nil
}
