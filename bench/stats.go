package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the outcome of one load run.
type Result struct {
	Name        string
	Concurrency int
	Latencies   []time.Duration // of successful operations
	Errors      int
	FirstError  string
	Wall        time.Duration
	CPU         CPUUse
}

// Quantile returns the q-quantile (nearest rank) of the successful latencies.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Rate is successful operations per second of wall time.
func (r Result) Rate() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Wall.Seconds()
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// Summary is one line: count, p50/p90/p99/max and the rate.
func (r Result) Summary(unit string) string {
	s := fmt.Sprintf("%-28s c=%-3d n=%-5d p50 %9s  p90 %9s  p99 %9s  max %9s  %8.1f %s/s",
		r.Name, r.Concurrency, len(r.Latencies), Ms(r.Quantile(0.5)), Ms(r.Quantile(0.9)), Ms(r.Quantile(0.99)),
		Ms(r.Quantile(1)), r.Rate(), unit)
	if r.Errors > 0 {
		s += fmt.Sprintf("  ERRORS %d (first: %s)", r.Errors, r.FirstError)
	}
	return s
}

// RunItems runs op once for each item with c workers and records each latency.
func RunItems[T any](ctx context.Context, name string, c int, items []T, cpu *CPUSet, op func(ctx context.Context, worker int, it T) error) Result {
	ch := make(chan T)
	var mu sync.Mutex
	r := Result{Name: name, Concurrency: c}
	var wg sync.WaitGroup
	if cpu != nil {
		cpu.Start()
	}
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				t0 := time.Now()
				err := op(ctx, w, it)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if r.Errors == 0 {
						r.FirstError = err.Error()
					}
					r.Errors++
				} else {
					r.Latencies = append(r.Latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	r.Wall = time.Since(start)
	if cpu != nil {
		r.CPU = cpu.Stop()
	}
	return r
}

// RunFor runs op in c workers for d and records each latency.
func RunFor(ctx context.Context, name string, c int, d time.Duration, cpu *CPUSet, op func(ctx context.Context, worker int, i int64) error) Result {
	var mu sync.Mutex
	var n atomic.Int64
	r := Result{Name: name, Concurrency: c}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	if cpu != nil {
		cpu.Start()
	}
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs, first := 0, ""
			for ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, w, n.Add(1))
				dd := time.Since(t0)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not counted
				}
				if err != nil {
					if errs == 0 {
						first = err.Error()
					}
					errs++
					continue
				}
				lat = append(lat, dd)
			}
			mu.Lock()
			r.Latencies = append(r.Latencies, lat...)
			if r.Errors == 0 {
				r.FirstError = first
			}
			r.Errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.Wall = time.Since(start)
	if cpu != nil {
		r.CPU = cpu.Stop()
	}
	return r
}

// Parallel runs fn for each item with c workers and returns the first error.
func Parallel[T any](ctx context.Context, c int, items []T, fn func(ctx context.Context, it T) error) error {
	ch := make(chan T)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				if err := fn(ctx, it); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
