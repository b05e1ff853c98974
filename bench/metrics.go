package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Sticky cache counters of the Temporal Go SDK on a worker's /metrics: a workflow task for a
// workflow the worker still holds (hit) or had to replay from its history first (miss).
const (
	StickyCacheHit  = "temporal_sticky_cache_hit_total"
	StickyCacheMiss = "temporal_sticky_cache_miss_total"
)

// SumCounters reads a Prometheus text exposition and returns, for each name, the sum of its
// samples over all label sets. A name with no sample is 0: the SDK registers a counter at its
// first event.
func SumCounters(r io.Reader, names ...string) (map[string]float64, error) {
	out := make(map[string]float64, len(names))
	for _, n := range names {
		out[n] = 0
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ \t"); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if _, want := out[name]; !want {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			// Label values may hold spaces; the value and timestamp after the set hold no '}'.
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				return nil, fmt.Errorf("metrics: unterminated labels in %q", line)
			}
			rest = rest[j+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: bad value in %q: %w", line, err)
		}
		out[name] += v
	}
	return out, sc.Err()
}

// ScrapeCounters fetches http://addr/metrics and sums the named counters (SumCounters).
func ScrapeCounters(ctx context.Context, addr string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", addr, resp.Status)
	}
	return SumCounters(resp.Body, names...)
}
