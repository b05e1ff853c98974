package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestZhSpan: the ops notice of unsent mail names the sweep's own spans, not a fixed day and week.
func TestZhSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "一天", 7 * 24 * time.Hour: "一周", 3 * 24 * time.Hour: "3 天", 36 * time.Hour: "36 小时", 90 * time.Minute: "1.5 小时",
	} {
		require.Equal(t, want, zhSpan(d), d.String())
	}
}
