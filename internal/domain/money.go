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

// YuanGrouped is Yuan with the integer part in groups of three ("1,234,567.80"), for amounts
// in notifications and mail, where a long number must read at a glance.
func YuanGrouped(fen int64) string {
	s := Yuan(fen)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	dot := len(s) - 3
	var b []byte
	for i := 0; i < dot; i++ {
		if i > 0 && (dot-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b) + s[dot:]
}
