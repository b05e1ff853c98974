package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"egovpm/bench"
	"egovpm/internal/config"
)

func TestParseBaselines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "floor,regular,signal,version,versions5", want: []string{"floor", "regular", "signal", "version", "versions5"}},
		{in: " versions5 , floor", want: []string{"floor", "versions5"}}, // baselineKinds' order
		{in: "floor", want: []string{"floor"}},
		{in: "none", want: nil},
		{in: "floor,flor", err: `unknown kind "flor"`},
		{in: "", err: "empty"},
	} {
		got, err := parseBaselines(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(keysOf(got), tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("%q: got %v, %v; want %v", tc.in, keysOf(got), err, tc.want)
		}
	}
}

func TestMetricsListen(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, config.DefaultWorkerMetricsAddr},
		{[]string{"EGOVPM_METRICS_ADDR=127.0.0.1:1234"}, "127.0.0.1:1234"},
		{[]string{"EGOVPM_METRICS_ADDR=127.0.0.1:1234", "EGOVPM_METRICS_ADDR=off"}, ""}, // the last wins
		{[]string{"EGOVPM_METRICS_ADDR=127.0.0.1:1234", "EGOVPM_METRICS_ADDR="}, config.DefaultWorkerMetricsAddr},
	} {
		if got := metricsListen(tc.env); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.env, got, tc.want)
		}
	}
}

// The set-up's submit resends a 503 (the gateway could not start the workflow in time) and
// takes a resend's 409 already_submitted as the first attempt having gone through; a 409 to
// a first attempt, or a 400, is an error and is not resent.
func TestSubmitResendsA503(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []int
		err     string
		sent    int
	}{
		{"503 then accepted", []int{503, 503, 202}, "", 3},
		{"503 then already submitted", []int{503, 409}, "", 2},
		{"already submitted at once", []int{409}, "409", 1},
		{"bad request", []int{400}, "400", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/api/v1/projects/p1/submit" {
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
				i := int(sent.Add(1)) - 1
				w.WriteHeader(tc.answers[min(i, len(tc.answers)-1)])
				_, _ = w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			var resent atomic.Int64
			err := submitResending(context.Background(), bench.NewClient(srv.URL, 1), "tok", "p1", &resent)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if int(sent.Load()) != tc.sent {
				t.Fatalf("sent %d times, want %d", sent.Load(), tc.sent)
			}
			if int(resent.Load()) != tc.sent-1 && tc.err == "" {
				t.Fatalf("counted %d resends, want %d", resent.Load(), tc.sent-1)
			}
		})
	}
}
