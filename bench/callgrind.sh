#!/bin/sh
# callgrind.sh -- instructions per pair of each contender of bench/bench,
# counted by valgrind's callgrind: stable where wall-clock times are not;
# and the cache lines a pair misses in L1d, hand-written C against dc_check.
#
# Usage: bench/callgrind.sh [BUILD_DIR]     (default: the current directory)
# Both rules (bench/share.compat, bench/where.compat), one after the other.
# Counts only inside each contender's loop (--toggle-collect), so setup,
# verification and Lua's start-up are left out.
set -eu
build=${1:-.}
bench=$build/bench/bench
[ -x "$bench" ] || { echo "callgrind.sh: $bench: run 'make bench' first" >&2; exit 2; }
out=${TMPDIR:-/tmp}/dc-callgrind.$$
trap 'rm -f "$out"' EXIT

# ir FUNCTION ARGS...: the instructions executed inside FUNCTION
ir() {
    fn=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$fn" \
        "$bench" "$@" >/dev/null 2>&1
    sed -n 's/^summary: *//p' "$out"
}

# lines FUNCTION ARGS...: the data cache lines FUNCTION misses in a
# simulated L1d of this machine's size (32 KiB, 8-way), reads and writes
lines() {
    fn=$1; shift
    valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --LL=1048576,16,64 \
        --callgrind-out-file="$out" --toggle-collect="$fn" "$bench" "$@" >/dev/null 2>&1
    awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
         /^summary:/ { print $col["D1mr"] + $col["D1mw"] }' "$out"
}

passes=20
for rule in share where; do
echo "rule: $rule"
printf '%-20s %14s\n' contender 'instr/pair'
for c in hand-c:run_hand prepared:run_prepared e2e:run_e2e e2e-facts:run_e2e_facts \
         lua-tables:run_lua_tables lua-tables-lookup:run_lua_tables_lookup \
         lua-from-c:run_lua_from_c lua-from-c-lookup:run_lua_from_c_lookup \
         lua-reused:run_lua_reused lua-reused-lookup:run_lua_reused_lookup; do
    name=${c%%:*} fn=${c#*:}
    [ $rule = where ] && case $name in *-lookup) continue;; esac
    n=$(ir "$fn" --rule $rule --only "$name" --iters $passes) || continue
    [ -n "$n" ] && [ "$n" != 0 ] || continue
    printf '%-20s %14.1f\n' "$name" "$(echo "$n / ($passes * 1024)" | bc -l)"
done
# what a pair reads of memory: L1d lines missed per pair (1024 pairs do
# not fit in L1d; docs/performance.md, "Round 4"), and from text
for c in hand-c:run_hand prepared:run_prepared e2e:run_e2e; do
    name=${c%%:*} fn=${c#*:}
    n=$(lines "$fn" --rule $rule --only "$name" --iters $passes) || continue
    printf '%-20s %14.1f\n' "$name (L1d lines)" "$(echo "$n / ($passes * 1024)" | bc -l)"
done
# the batch: one run over N targets, plus verify()'s run over 1024
n=100000
total=$(ir dc_check_batch --rule $rule --only batch --batch $n --runs 1)
printf '%-20s %14.1f\n' "batch (per target)" "$(echo "$total / ($n + 1024)" | bc -l)"
# the same targets as a fleet (one run over N)
total=$(ir dc_check_fleet --rule $rule --only batch --batch $n --runs 1)
printf '%-20s %14.1f\n' "fleet (per target)" "$(echo "$total / $n" | bc -l)"
done
