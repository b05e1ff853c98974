package main

import (
	"slices"
	"strings"
	"testing"

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
