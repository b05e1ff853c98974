package domain

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "0.00", 1: "0.01", 99: "0.99", 100: "1.00", 123456: "1234.56", 1_000_000_000: "10000000.00",
		-5: "-0.05", -123456: "-1234.56", math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		require.Equal(t, want, Yuan(fen), "%d fen", fen)
	}
}

func TestYuanGrouped(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "0.00", 99: "0.99", 100_000: "1,000.00", 12_345_678: "123,456.78", 1_000_000_000: "10,000,000.00",
		99_999: "999.99", -123456: "-1,234.56", math.MinInt64: "-92,233,720,368,547,758.08",
	} {
		require.Equal(t, want, YuanGrouped(fen), "%d fen", fen)
	}
}

// Every task kind has a name for people to read (notifications, issue 19 item 1).
func TestTaskKindNames(t *testing.T) {
	require.Len(t, TaskKindNames, len(TaskKinds))
	for _, k := range TaskKinds {
		require.NotEmpty(t, TaskKindNames[k], k)
	}
}
