#!/bin/sh
# golden.sh -- `compatc lint` output compared byte for byte (docs/language.md, section 11).
#
# For each tests/golden/NAME.compat:
#   NAME.expected         stdout of `compatc lint NAME.compat`, then a last
#                         line "exit: N" with its exit status
#   NAME.json.expected    the same with --format=json        (when present)
#   NAME.werror.expected  the same with --werror             (when present)
# The files are linted from inside tests/golden, so the names in the output
# are the bare file names.
#
# `golden.sh --update` rewrites every expected file from the current output
# (review the diff before committing it!); cases in the xfail list are left
# alone, since their expected files hold the correct output by hand.

. "$(dirname "$0")/lib.sh"

cd "$tests_dir/golden" || exit 99

# Known bugs, as `xfail NAME...`: the expected file holds the correct
# output, written by hand, and the case does not count as a failure while
# the bug lasts.  None at the moment.  (Fixed so far: where-cascade,
# used-before-declaration, syntax-bad-header, self-after-compatible.)
xfail

update=false
[ "${1:-}" = --update ] && update=true

# lint_case NAME MODE: MODE is "", "json" or "werror".
lint_case() {
    _name=$1
    _mode=$2
    _exp=$_name${_mode:+.$_mode}.expected
    _case=$_name${_mode:+ ($_mode)}
    case $_mode in
        json) _args=--format=json ;;
        werror) _args=--werror ;;
        *) _args= ;;
    esac
    # shellcheck disable=SC2086
    run "$COMPATC" lint $_args "$_name.compat"
    printf 'exit: %s\n' "$rc" >>"$OUT"
    if $update && ! _is_xfail "$_name"; then
        cp "$OUT" "$_exp"
        return 0
    fi
    if [ ! -f "$_exp" ]; then
        fail "$_case" "no $_exp"
        return 0
    fi
    # stderr must stay empty: lint prints diagnostics on stdout
    if [ -s "$ERR" ]; then
        fail "$_case" "unexpected stderr" "$ERR"
        return 0
    fi
    expect_stdout_file "$_case" "$_exp"
}

n_cases=0
for f in *.compat; do
    name=${f%.compat}
    n_cases=$((n_cases + 1))
    lint_case "$name" ""
    [ -f "$name.json.expected" ] && lint_case "$name" json
    [ -f "$name.werror.expected" ] && lint_case "$name" werror
done
[ "$n_cases" -ge 25 ] || fail "golden-count" "only $n_cases golden cases"

# several files in one run: every file's diagnostics, in argument order
run "$COMPATC" lint undeclared.compat no-self.compat clean-uuid1.compat
cat undeclared.expected no-self.expected clean-uuid1.expected | grep -v '^exit: ' >"$T/several"
expect_stdout_file "several files" "$T/several"
expect_rc "several files (exit)" 1

finish
