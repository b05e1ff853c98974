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

// TestSQLiteCacheAndMapReachTheConnection: --sqlite-cache-mib and --sqlite-mmap-mib become
// pragmas of the Temporal plugin's own connection (the one the server uses), and with both
// zero the DSN carries neither, so SQLite keeps its defaults (PERFORMANCE §11.1.6).
func TestSQLiteCacheAndMapReachTheConnection(t *testing.T) {
	open := func(t *testing.T, cacheMiB, mmapMiB int) (*sqliteStore, sqlplugin.DB) {
		s, err := newSQLiteStore(filepath.Join(t.TempDir(), "temporal.db"), cacheMiB, mmapMiB)
		require.NoError(t, err)
		require.NoError(t, s.ensureSchema())
		db, err := sql.NewSQLDB(sqlplugin.DbKindMain, s.sqlConfig(), resolver.NewNoopResolver(), tlog.NewNoopLogger(), metrics.NoopMetricsHandler)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		page := 10
		_, err = db.SelectFromNamespace(context.Background(), sqlplugin.NamespaceFilter{PageSize: &page})
		require.NoError(t, err)
		return s, db
	}
	// mapped reports whether this process maps the database file itself (SQLite always maps
	// the WAL index, temporal.db-shm; the file only under mmap_size).
	mapped := func(t *testing.T, path string) bool {
		maps, err := os.ReadFile("/proc/self/maps")
		require.NoError(t, err)
		for _, l := range strings.Split(string(maps), "\n") {
			if strings.HasSuffix(l, " "+path) {
				return true
			}
		}
		return false
	}

	t.Run("defaults", func(t *testing.T) {
		s, _ := open(t, 0, 0)
		require.NotContains(t, s.sqlConfig().ConnectAttributes, "cache_size")
		require.NotContains(t, s.sqlConfig().ConnectAttributes, "mmap_size")
		require.False(t, mapped(t, s.path), "no map by default")
	})
	t.Run("cache and map", func(t *testing.T) {
		s, _ := open(t, 64, 32)
		require.Equal(t, "-65536", s.sqlConfig().ConnectAttributes["cache_size"], "64 MiB, in KiB")
		require.Equal(t, "33554432", s.sqlConfig().ConnectAttributes["mmap_size"])
		require.True(t, mapped(t, s.path), "%s is read through a map", s.path)
	})
}
