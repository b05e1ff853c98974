package main

import (
	"testing"
	"time"
)

// The wait for a fan-out's end polls every 100 ms at first, then every hundredth of the wait
// so far, at most every second (§11.1.9: a count of 10,000 projects every 100 ms took ~5 % of
// the cores from the platform being timed).
func TestPollEvery(t *testing.T) {
	for _, c := range []struct{ elapsed, want time.Duration }{
		{0, 100 * time.Millisecond},
		{5 * time.Second, 100 * time.Millisecond},
		{30 * time.Second, 300 * time.Millisecond},
		{100 * time.Second, time.Second},
		{10 * time.Minute, time.Second},
	} {
		if got := pollEvery(c.elapsed); got != c.want {
			t.Errorf("pollEvery(%s) = %s, want %s", c.elapsed, got, c.want)
		}
	}
}
