package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
)

// TestSQLiteConnectionMapsTheFile: the Temporal plugin's connection, opened with the
// devserver's configuration, reads the database through a memory map (PRAGMA mmap_size; its
// page cache, PRAGMA cache_size, goes the same way: both are connection attributes the plugin
// passes as pragmas). Without it SQLite maps only the WAL index (temporal.db-shm) and reads
// every page with read(2) into a 2 MiB cache (PERFORMANCE §11.1.5).
func TestSQLiteConnectionMapsTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.db")
	s, err := newSQLiteStore(file)
	require.NoError(t, err)
	require.NoError(t, s.ensureSchema())
	db, err := sql.NewSQLDB(sqlplugin.DbKindMain, s.sqlConfig(), resolver.NewNoopResolver(), tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
	require.NoError(t, err)
	defer db.Close()
	page := 10
	_, err = db.SelectFromNamespace(context.Background(), sqlplugin.NamespaceFilter{PageSize: &page})
	require.NoError(t, err)
	maps, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	var mapped bool
	for _, l := range strings.Split(string(maps), "\n") {
		mapped = mapped || strings.HasSuffix(l, " "+s.path)
	}
	require.True(t, mapped, "%s is not mapped:\n%s", s.path, maps)
	require.Equal(t, "-262144", s.sqlConfig().ConnectAttributes["cache_size"], "a 256 MiB page cache")
}
