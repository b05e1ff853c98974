package domain

import "fmt"

// Yuan formats an amount of fen as yuan with two decimals ("12345.60"), for messages people
// read: the API carries fen, people think in 元.
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign = "-"
	}
	u := uint64(fen)
	if fen < 0 {
		u = -u // two's complement: exact for math.MinInt64 too
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
