# lib.sh -- shared helpers of the shell tests (golden.sh, cli.sh, ...).
#
# Source it first:   . "$(dirname "$0")/lib.sh"
# then run commands and check what they did:
#
#   run CMD ARGS...              runs CMD; sets $rc, stdout in $OUT, stderr in $ERR
#   expect_rc NAME N             the last run exited with N
#   expect_stdout NAME TEXT      its stdout is TEXT (plus a final newline), exactly
#   expect_stdout_file NAME F    its stdout is the content of file F, byte for byte
#   expect_stdout_is NAME <<EOF  its stdout is the here-document, byte for byte
#   expect_stdout_has NAME S     its stdout contains the string S
#   expect_stderr_has NAME S     its stderr contains the string S
#   expect_stdout_lacks NAME S   its stdout does not contain S
#   expect_stderr_starts NAME S  every line of its stderr starts with S
#   expect_empty NAME out|err    nothing on that stream
#   assert_exit NAME N CMD...    run + expect_rc
#   assert_output NAME TEXT CMD... run + expect_stdout
#
# Every check is one test case, counted as passed or failed.  A case whose
# NAME was given to `xfail` is a known bug: its failure is reported as XFAIL
# and not counted as a failure (and a pass as XPASS, to notice the fix).
# `finish` prints "N passed, N failed" last and exits 1 when any failed.
#
# Environment: COMPATC (the compatc binary; the script exits 77, "skipped",
# when it is unset or not executable) and top_srcdir, both set by `make
# check` (Makefile.am's AM_TESTS_ENVIRONMENT).  VERBOSE=1 prints passes too.

if [ -z "${top_srcdir:-}" ]; then
    top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
top_srcdir=$(cd "$top_srcdir" && pwd)
tests_dir="$top_srcdir/tests"

if [ -z "${COMPATC:-}" ] || [ ! -x "$COMPATC" ]; then
    echo "SKIP: \$COMPATC is not set to an executable compatc (${COMPATC:-unset})"
    exit 77
fi
case $COMPATC in
    /*) ;;
    *) COMPATC=$(cd "$(dirname "$COMPATC")" && pwd)/$(basename "$COMPATC") ;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/dc-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
OUT="$T/.stdout"
ERR="$T/.stderr"
rc=0

n_passed=0
n_failed=0
n_xfail=0
n_xpass=0
xfail_names=" "

# xfail NAME... : these cases are known bugs (see the comment next to each).
xfail() {
    for _n in "$@"; do
        xfail_names="$xfail_names$_n "
    done
}

_is_xfail() {
    case $xfail_names in
        *" $1 "*) return 0 ;;
    esac
    return 1
}

pass() {
    if _is_xfail "$1"; then
        n_xpass=$((n_xpass + 1))
        n_passed=$((n_passed + 1))
        echo "XPASS $1 (a known bug no longer shows: remove it from the xfail list)"
    else
        n_passed=$((n_passed + 1))
        [ -n "${VERBOSE:-}" ] && echo "ok    $1"
    fi
    return 0
}

# fail NAME WHY [DETAIL-FILE]
fail() {
    if _is_xfail "$1"; then
        n_xfail=$((n_xfail + 1))
        echo "XFAIL $1: $2"
    else
        n_failed=$((n_failed + 1))
        echo "FAIL  $1: $2"
        if [ -n "${3:-}" ] && [ -f "$3" ]; then
            sed 's/^/      | /' "$3" | head -n 40
        fi
    fi
    return 0
}

run() {
    "$@" >"$OUT" 2>"$ERR" </dev/null
    rc=$?
    return 0
}

expect_rc() {
    if [ "$rc" -eq "$2" ]; then
        pass "$1"
    else
        { echo "stdout:"; cat "$OUT"; echo "stderr:"; cat "$ERR"; } >"$T/.detail"
        fail "$1" "exit status $rc, want $2" "$T/.detail"
    fi
}

# expect_true NAME: the command just before the call succeeded (a shell
# test such as `[ "$a" = "$b" ]`); expect_rc is for what `run` ran.
expect_true() {
    _st=$?
    if [ "$_st" -eq 0 ]; then
        pass "$1"
    else
        fail "$1" "exit status $_st, want 0"
    fi
}

expect_stdout() {
    printf '%s\n' "$2" >"$T/.want"
    expect_stdout_file "$1" "$T/.want"
}

expect_stdout_file() {
    if cmp -s "$2" "$OUT"; then
        pass "$1"
    else
        diff -u "$2" "$OUT" >"$T/.diff" 2>&1
        fail "$1" "stdout differs (- want, + got)" "$T/.diff"
    fi
}

expect_stdout_is() {
    cat >"$T/.want"
    expect_stdout_file "$1" "$T/.want"
}

expect_stdout_has() {
    if grep -qF -- "$2" "$OUT"; then
        pass "$1"
    else
        fail "$1" "stdout lacks '$2'" "$OUT"
    fi
}

expect_stdout_lacks() {
    if grep -qF -- "$2" "$OUT"; then
        fail "$1" "stdout has '$2'" "$OUT"
    else
        pass "$1"
    fi
}

expect_stderr_has() {
    if grep -qF -- "$2" "$ERR"; then
        pass "$1"
    else
        fail "$1" "stderr lacks '$2'" "$ERR"
    fi
}

expect_stderr_starts() {
    if [ ! -s "$ERR" ]; then
        fail "$1" "stderr is empty, want lines starting with '$2'"
        return 0
    fi
    _bad=$(awk -v p="$2" 'index($0, p) != 1 { n++ } END { print n + 0 }' "$ERR")
    if [ "$_bad" -eq 0 ]; then
        pass "$1"
    else
        fail "$1" "$_bad stderr line(s) do not start with '$2'" "$ERR"
    fi
}

expect_empty() {
    _f=$OUT
    [ "$2" = err ] && _f=$ERR
    if [ -s "$_f" ]; then
        fail "$1" "std$2 is not empty" "$_f"
    else
        pass "$1"
    fi
}

assert_exit() {
    _name=$1
    _want=$2
    shift 2
    run "$@"
    expect_rc "$_name" "$_want"
}

assert_output() {
    _name=$1
    _want=$2
    shift 2
    run "$@"
    expect_stdout "$_name" "$_want"
}

# json_ok NAME: stdout parses as JSON (skipped, and passed, without python3).
json_ok() {
    if command -v python3 >/dev/null 2>&1; then
        if python3 -c 'import json, sys; json.load(sys.stdin)' <"$OUT" 2>"$T/.json"; then
            pass "$1"
        else
            fail "$1" "stdout is not JSON" "$OUT"
        fi
    else
        pass "$1"
    fi
}

# json_get EXPR: print a value of stdout's JSON (python syntax on `j`), or
# "NOPYTHON" when python3 is missing.
json_get() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys; j = json.load(sys.stdin); print(json.dumps('"$1"'))' \
            <"$OUT" 2>/dev/null || echo "NOJSON"
    else
        echo "NOPYTHON"
    fi
}

# expect_json NAME EXPR WANT: json_get EXPR prints WANT (JSON text).
expect_json() {
    _got=$(json_get "$2")
    if [ "$_got" = NOPYTHON ] || [ "$_got" = "$3" ]; then
        pass "$1"
    else
        fail "$1" "$2 is $_got, want $3" "$OUT"
    fi
}

finish() {
    if [ "$n_xfail" -gt 0 ] || [ "$n_xpass" -gt 0 ]; then
        echo "$n_xfail xfail (known bugs), $n_xpass xpass"
    fi
    echo "$n_passed passed, $n_failed failed"
    [ "$n_failed" -eq 0 ]
    exit $?
}
