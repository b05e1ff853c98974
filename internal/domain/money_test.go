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
