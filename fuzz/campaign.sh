#!/bin/sh
# fuzz/campaign.sh HARNESS SECONDS [OUTDIR] -- one background afl-fuzz campaign.
#   Harnesses come from fuzz/build.sh (OUTDIR/afl, OUTDIR/cmplog); findings
#   go to OUTDIR/campaigns/HARNESS.  Niced: it shares the machine.
#   FUZZ_MEM (MB, default 256) is afl-fuzz's -m: an input that makes the
#   harness amplify its memory past that is found as a crash.
#   FUZZ_NICE (default 19) is its niceness; AFL_NO_AFFINITY=1 when other
#   campaigns share the cores.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
h=$1; secs=$2; out=${3:-$srcdir/fuzz/out}
case $h in
    fuzz_facts_yaml|fuzz_yaml_fast) dict=$srcdir/fuzz/yaml.dict ;;
    fuzz_cbc) dict= ;;
    fuzz_import_*) dict=$srcdir/fuzz/${h#fuzz_import_}.dict ;;
    fuzz_sysfs) dict=$srcdir/fuzz/sysfs.dict ;;
    *) dict=$srcdir/fuzz/policy.dict ;;
esac
cmplog=
[ -x "$out/cmplog/$h" ] && [ "${CMPLOG:-0}" = 1 ] && cmplog="-c $out/cmplog/$h"
mkdir -p "$out/campaigns"
AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-} \
    exec nice -n "${FUZZ_NICE:-19}" timeout "$secs" afl-fuzz -i "$srcdir/fuzz/corpus/$h" -o "$out/campaigns/$h" \
    ${dict:+-x "$dict"} -t 1000 -m "${FUZZ_MEM:-256}" $cmplog -- "$out/afl/$h"
