package bench

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

const exposition = `# HELP temporal_sticky_cache_hit_total temporal_sticky_cache_hit_total counter
# TYPE temporal_sticky_cache_hit_total counter
temporal_sticky_cache_hit_total{namespace="default",task_queue="q",workflow_type="ProjectLifecycle"} 1200
temporal_sticky_cache_hit_total{namespace="default",task_queue="q",workflow_type="AnnualPlan"} 34
temporal_sticky_cache_hit_total_extra{namespace="default"} 99
temporal_sticky_cache_size{namespace="default"} 2000
temporal_sticky_cache_total_forced_eviction_total{odd="a } b"} 7 1700000000000
`

func TestSumCountersSumsLabelSetsAndTreatsAbsentAsZero(t *testing.T) {
	got, err := SumCounters(strings.NewReader(exposition), StickyCacheHit, StickyCacheMiss, "temporal_sticky_cache_total_forced_eviction_total")
	if err != nil {
		t.Fatal(err)
	}
	if got[StickyCacheHit] != 1234 {
		t.Errorf("hits = %v, want 1234 (both label sets, not the _extra metric)", got[StickyCacheHit])
	}
	if v, ok := got[StickyCacheMiss]; !ok || v != 0 {
		t.Errorf("misses = %v (present %v), want 0: absent until the first miss", v, ok)
	}
	if got["temporal_sticky_cache_total_forced_eviction_total"] != 7 {
		t.Errorf("a label value with '} ' and a timestamp: got %v, want 7", got["temporal_sticky_cache_total_forced_eviction_total"])
	}
}

func TestSumCountersRejectsBadValue(t *testing.T) {
	if _, err := SumCounters(strings.NewReader(StickyCacheHit+"{a=\"b\"} many\n"), StickyCacheHit); err == nil {
		t.Fatal("want an error for a non-numeric value")
	}
}

func TestScrapeCountersReadsMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(exposition))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	got, err := ScrapeCounters(context.Background(), ln.Addr().String(), StickyCacheHit, StickyCacheMiss)
	if err != nil {
		t.Fatal(err)
	}
	if got[StickyCacheHit] != 1234 || got[StickyCacheMiss] != 0 {
		t.Errorf("got %v", got)
	}
}

// The server's sticky queue timeouts are the workflow task timer's schedule-to-start timeouts
// only: an activity's are another operation's, and another counter's are not counted.
func TestStickyTimeoutsCountsTheWorkflowTaskTimerOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`# TYPE schedule_to_start_timeout counter
schedule_to_start_timeout{first_attempt="true",namespace="default",operation="TimerActiveTaskWorkflowTaskTimeout",service_name="history"} 40
schedule_to_start_timeout{first_attempt="false",namespace="default",operation="TimerActiveTaskWorkflowTaskTimeout",service_name="history"} 2
schedule_to_start_timeout{namespace="default",operation="TimerActiveTaskActivityTimeout",service_name="history"} 7
start_to_close_timeout{namespace="default",operation="TimerActiveTaskWorkflowTaskTimeout",service_name="history"} 5
`))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	got, err := StickyTimeouts(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if got != 42 {
		t.Errorf("sticky timeouts = %v, want 42 (the workflow task timer's, both attempts)", got)
	}
}
