#!/usr/bin/env bash
# The metrics+tracing overhead on the decision round trip as an instruction count (issue 21,
# docs/PERFORMANCE.md §10): BenchmarkDecisionRoundTrip (server/bench_decision_test.go: the
# gateway and the worker in one process, the devserver and PostgreSQL outside it) run under
# valgrind --tool=callgrind, alternately with metrics and tracing on (the default) and off
# (OTEL_SDK_DISABLED=true EGOVPM_METRICS_ADDR=off), ROUNDS times each. The benchmark zeroes
# callgrind's counters when a timed stretch of decisions starts and dumps them when it ends
# (internal/callgrind), so the count is the instructions this process executed during the
# decisions, in every thread (the Go runtime's and the garbage collector's included), and
# not the set-up's. It does not count the devserver's, PostgreSQL's or the kernel's work.
#
# Usage: scripts/bench-overhead.sh [decisions per run, default 100] [rounds, default 5]
set -euo pipefail
n=${1:-100}
rounds=${2:-5}
command -v valgrind >/dev/null || { echo "bench-overhead: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/server.test" "$root/server"
# Built here: a `go build` child of the benchmark process would end under valgrind with a
# SIGCHLD that callgrind 3.19 cannot always handle.
(cd "$root/devserver" && go build -o "$work/devserver" .)
export EGOVPM_DEVSERVER_BIN=$work/devserver

# instructions SETTING ROUND: the instructions per decision of one run.
instructions() {
	local setting=$1 round=$2 out=$work/$1.$2
	mkdir -p "$out"
	local env=()
	if [ "$setting" = off ]; then env=(OTEL_SDK_DISABLED=true EGOVPM_METRICS_ADDR=off); fi
	# asyncpreemptoff: callgrind 3.19 asserts on the Go runtime's preemption signals;
	# TEMPORAL_DEBUG: no deadlock detector (a workflow task is ~20× slower under valgrind).
	(cd "$root/server" && env "${env[@]}" GODEBUG=asyncpreemptoff=1 TEMPORAL_DEBUG=1 \
		valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
		"$work/server.test" -test.run '^$' -test.bench '^BenchmarkDecisionRoundTrip$' \
		-test.benchtime "${n}x" -test.count 1 >"$out/log" 2>&1) || true
	# The devserver's exit at the very end may still trip callgrind (above), after the dumps.
	grep -q '^BenchmarkDecisionRoundTrip' "$out/log" || { grep -v '^--' "$out/log" >&2; return 1; }
	# Each client-request dump is one timed stretch; "totals:" is the sum of its costs.
	grep -l '^desc: Trigger: Client Request' "$out"/cg.* | xargs grep -h '^totals:' |
		awk -v n="$n" '{ s += $2 } END { printf "%.0f\n", s / n }'
	grep '^BenchmarkDecisionRoundTrip' "$out/log" >&2
}

echo "decision round trip, gateway+worker process, instructions per decision (callgrind), $n decisions a run"
on=() off=()
for r in $(seq 1 "$rounds"); do
	a=$(instructions on "$r")
	b=$(instructions off "$r")
	on+=("$a") off+=("$b")
	awk -v a="$a" -v b="$b" -v r="$r" 'BEGIN { printf "round %d: on %d, off %d, on/off %.4f\n", r, a, b, a / b }'
done
printf '%s\n' "${on[@]}" >"$work/on"
printf '%s\n' "${off[@]}" >"$work/off"
stats() { sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END { m = s / NR; for (i = 1; i <= NR; i++) d += (v[i] - m) ^ 2; printf "%.0f %.0f %.0f %.0f\n", m, sqrt(d / (NR > 1 ? NR - 1 : 1)), v[1], v[NR] }'; }
read -r mon son lon hon < <(stats "$work/on")
read -r moff soff loff hoff < <(stats "$work/off")
awk -v mon="$mon" -v son="$son" -v lon="$lon" -v hon="$hon" -v moff="$moff" -v soff="$soff" -v loff="$loff" -v hoff="$hoff" 'BEGIN {
	printf "on:  mean %d instructions/decision (sd %d, min %d, max %d)\n", mon, son, lon, hon
	printf "off: mean %d instructions/decision (sd %d, min %d, max %d)\n", moff, soff, loff, hoff
	printf "overhead of metrics+tracing: %+.2f %% (target <= 5 %%)\n", (mon / moff - 1) * 100
}'
