#!/bin/sh
# go.sh -- the pure-Go VM (bindings/go/cbc) against the C VM on the
# benchmark's pairs: bench/share.compat, the 1024 pairs of bench/bench.c
# (the Go benchmark generates the same ones from the same seed and checks
# every verdict against the rule written by hand before timing).
#
# Usage: bench/go.sh [BUILD_DIR]    (default: ./build; needs `make bench` there)
# Prints the commit and the machine's load, then ns per pair: wall clock
# (median of the C runs / Go's ns/op) and CPU time (the C bench's cpu
# column, Go's cpu-ns/op), and Go's ratio to C; with valgrind at hand (and
# CALLGRIND not 0), instructions per pair of both prepared checks, counted
# by callgrind: the figure a loaded machine does not move.
# Nothing here is asserted: figures go to docs/performance.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
[ -x "$build/bench/bench" ] || { echo "go.sh: $build/bench/bench: run 'make bench' first" >&2; exit 2; }
tmp=${TMPDIR:-/tmp}/dc-go-bench.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
"$build/compatc" compile "$root/bench/share.compat" -o "$tmp/share.cbc"
echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(go version | cut -d' ' -f3)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs, $(date -u '+%H:%M UTC')"

c=$("$build/bench/bench" --sections pairs --contenders prepared --runs "${RUNS:-7}" |
    sed -n 's/^devcompat, prepared facts: dc_check *//p')
c_med=$(echo "$c" | awk '{print $1}')
c_cpu=$(echo "$c" | awk '{print $3}')

cd "$root/bindings/go"
out=$(DEVCOMPAT_BENCH_CBC="$tmp/share.cbc" GOFLAGS=-mod=mod GOPROXY=off \
      go test ./cbc -run '^TestBenchPairsAgree$' -bench . -benchtime "${BENCHTIME:-2000000x}" \
      -count 1)
echo "$out" | grep -E '^(Benchmark|ok|FAIL)' || true
# "BenchmarkX-2  N  W ns/op  C cpu-ns/op ...": W and C
go_of() { echo "$out" | awk -v n="$1" '$1 ~ "^"n"-" { print $3, $5 }'; }
p=$(go_of BenchmarkPreparedCheck)
b=$(go_of BenchmarkBatch)
printf '\n%-44s %10s %10s %8s\n' 'ns per pair, 1024 pairs' wall cpu 'x C cpu'
printf '%-44s %10s %10s %8s\n' 'C VM: dc_check, prepared facts' "$c_med" "$c_cpu" 1.0
set -- $p
printf '%-44s %10s %10s %8.1f\n' 'Go VM: Result.Check, prepared facts' "$1" "$2" "$(echo "$2 / $c_cpu" | bc -l)"
set -- $b
printf '%-44s %10s %10s %8.1f\n' 'Go VM: CheckBatch, per target' "$1" "$2" "$(echo "$2 / $c_cpu" | bc -l)"

# instructions per pair: the C bench's prepared loop, and Go's Result.Check
# over 20 passes of the pairs (callgrind cannot follow Go's preemption
# signals: asynchronous preemption off, one P)
if [ "${CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
    cg=$tmp/cg.out
    valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=run_prepared \
        "$build/bench/bench" --only prepared --iters 20 >/dev/null 2>&1
    ci=$(sed -n 's/^summary: *//p' "$cg")
    GOFLAGS=-mod=mod GOPROXY=off go test -c -o "$tmp/cbc.test" ./cbc
    passes=20
    DEVCOMPAT_BENCH_CBC="$tmp/share.cbc" GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 \
        valgrind --tool=callgrind --callgrind-out-file="$cg" \
        '--toggle-collect=devcompat/cbc.(*Result).Check' "$tmp/cbc.test" -test.run '^$' \
        -test.bench '^BenchmarkPreparedCheck$' -test.benchtime "$((passes * 1024))x" >/dev/null 2>&1
    gi=$(sed -n 's/^summary: *//p' "$cg")
    if [ -n "$ci" ] && [ -n "$gi" ]; then
        # go test runs a benchmark once with N=1 before N
        c_ir=$(echo "$ci / ($passes * 1024)" | bc -l)
        g_ir=$(echo "$gi / ($passes * 1024 + 1)" | bc -l)
        printf '\n%-44s %10s %8s\n' 'instructions per pair (callgrind)' instr 'x C'
        printf '%-44s %10.0f %8.1f\n' 'C VM: dc_check, prepared facts' "$c_ir" 1
        printf '%-44s %10.0f %8.2f\n' 'Go VM: Result.Check, prepared facts' "$g_ir" "$(echo "$g_ir / $c_ir" | bc -l)"
    fi
fi
