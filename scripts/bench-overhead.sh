#!/usr/bin/env bash
# The metrics+tracing overhead on the decision round trip as an instruction count (issue 21,
# docs/PERFORMANCE.md §10): BenchmarkDecisionRoundTrip (server/bench_decision_test.go: the
# gateway and the worker in one process, the devserver and PostgreSQL outside it) run under
# valgrind --tool=callgrind, alternately with metrics and tracing on (the default) and off
# (OTEL_SDK_DISABLED=true EGOVPM_METRICS_ADDR=off), ROUNDS times each, at the production GOGC
# (400: platform.GatewayGC and WorkerGC) unless GOGC is set. Each run sets up N projects at
# once, collects (runtime.GC) and counts the decisions from there until the next natural
# collection ends (-bench-gc-window 1, internal/callgrind's zero and dump): one whole period of
# the garbage collector, with its marking in its natural proportion to the decisions' work.
# With OVERHEAD_WARMUP=1 the count starts at the end of a first natural collection instead
# (its sweeping counted too; it needs two periods of decisions). The count is every
# instruction this process executed in that window, in every thread, divided by the decisions
# counted (the benchmark's counted-decisions). It does not count the devserver's, PostgreSQL's
# or the kernel's work. N must cover a period: at GOGC=400 ≈ 160 decisions + 0.7 per
# project set up (each open workflow cached adds to the live heap), so 800; at GOGC=100 with
# OVERHEAD_WARMUP=1, 200.
#
# Usage: [GOGC=400] [OVERHEAD_WARMUP=0] scripts/bench-overhead.sh [N, default 800] [rounds, default 5]
set -euo pipefail
n=${1:-800}
gogc=${GOGC:-400}
warmup=false
if [ "${OVERHEAD_WARMUP:-0}" = 1 ]; then warmup=true; fi
rounds=${2:-5}
"$(dirname "$0")/ensure-valgrind.sh"
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
	# cpu.rdtscp=off: on a CPU whose CPUID (as valgrind passes it on) offers RDTSCP, Go 1.26's
	# cputicks uses it and valgrind 3.19 cannot decode it (SIGILL); off, it uses RDTSC;
	# TEMPORAL_DEBUG: no deadlock detector (a workflow task is ~20× slower under valgrind).
	(cd "$root/server" && env "${env[@]}" GOGC="$gogc" GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off TEMPORAL_DEBUG=1 \
		valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
		"$work/server.test" -test.run '^$' -test.bench '^BenchmarkDecisionRoundTrip$' \
		-test.benchtime "${n}x" -test.count 1 -bench-batch "$n" -bench-gc-window 1 -bench-gc-warmup="$warmup" >"$out/log" 2>&1) || true
	# The devserver's exit at the very end may still trip callgrind (above), after the dumps.
	grep -q '^BenchmarkDecisionRoundTrip' "$out/log" || { grep -v '^--' "$out/log" >&2; return 1; }
	local counted
	counted=$(awk '/^BenchmarkDecisionRoundTrip/ { for (i = 2; i < NF; i++) if ($(i + 1) == "counted-decisions") print $i }' "$out/log")
	# The client-request dump is the counted window; "totals:" is the sum of its costs.
	grep -l '^desc: Trigger: Client Request' "$out"/cg.* | xargs grep -h '^totals:' |
		awk -v n="$counted" '{ s += $2 } END { printf "%.0f\n", s / n }'
	grep '^BenchmarkDecisionRoundTrip\|gc window:' "$out/log" >&2
}

echo "decision round trip, gateway+worker process, instructions per decision (callgrind) over one whole GC period (GOGC=$gogc, warm-up $warmup), $n decisions a run"
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
