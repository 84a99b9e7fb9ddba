#!/bin/sh
# crossarch.sh -- a .cbc is portable (docs/bytecode.md): compiled by one
# compatc and run by another built for a different architecture (s390x is
# big-endian, i386 has 32-bit pointers), it verifies and gives the same
# answers, reasons included.
#
#   COMPATC=native/compatc COMPATC_FOREIGN=wrapper top_srcdir=. sh tests/crossarch.sh
#
# COMPATC_FOREIGN is a command running the other architecture's compatc
# (.ci/run writes a two-line script calling qemu-s390x or qemu-i386).  For
# every shipped policy (policies/*.compat):
#   1. both compile it to byte-identical .cbc files;
#   2. each disassembles either .cbc to the same text;
#   3. every source x target pair of its example facts gives the same exit
#      status and the same --json --explain output on both, for the .cbc each
#      of them compiled and for the other one's;
#   4. its cases file passes `compatc test` on the foreign build.
# Skipped (77) without COMPATC_FOREIGN.

. "$(dirname "$0")/lib.sh"

if [ -z "${COMPATC_FOREIGN:-}" ] || [ ! -x "$COMPATC_FOREIGN" ]; then
    echo "SKIP: \$COMPATC_FOREIGN is not set to an executable compatc"
    exit 77
fi
case $COMPATC_FOREIGN in
    /*) ;;
    *) COMPATC_FOREIGN=$(cd "$(dirname "$COMPATC_FOREIGN")" && pwd)/$(basename "$COMPATC_FOREIGN") ;;
esac

P="$top_srcdir/policies"
W="$T/work"
mkdir -p "$W"
cp "$P"/*.compat "$P"/*.kv "$P"/*.yaml "$W"/ || exit 99
cd "$W" || exit 99

# same NAME: the native and the foreign run ($OUT/$rc, then saved) agree.
same() {
    if [ "$native_rc" = "$rc" ] && cmp -s "$T/.native" "$OUT"; then
        pass "$1"
    else
        { echo "native (exit $native_rc):"; cat "$T/.native"
          echo "foreign (exit $rc):"; cat "$OUT"; } >"$T/.detail"
        fail "$1" "the two architectures disagree" "$T/.detail"
    fi
}

# both NAME ARGS...: run ARGS with the native compatc, then the foreign one.
both() {
    _name=$1
    shift
    run "$COMPATC" "$@"
    native_rc=$rc
    cp "$OUT" "$T/.native"
    run "$COMPATC_FOREIGN" "$@"
    same "$_name"
}

for src in *.compat; do
    name=${src%.compat}
    run "$COMPATC" compile "$src" -o "$name.native.cbc"
    expect_rc "$name: compiles natively" 0
    run "$COMPATC_FOREIGN" compile "$src" -o "$name.foreign.cbc"
    expect_rc "$name: compiles on the foreign architecture" 0
    if cmp -s "$name.native.cbc" "$name.foreign.cbc"; then
        pass "$name: the two .cbc files are byte-identical"
    else
        fail "$name: the two .cbc files are byte-identical" "they differ"
    fi
    for cbc in native foreign; do
        both "$name: disasm of the $cbc .cbc" disasm "$name.$cbc.cbc"
    done
    for s in "$name"-src-*; do
        for t in "$name"-target*; do
            [ -f "$s" ] && [ -f "$t" ] || continue
            for cbc in native foreign; do
                both "$name: $s -> $t with the $cbc .cbc" \
                    check --policy "$name.$cbc.cbc" "$s" "$t" --json --explain
            done
        done
    done
    if [ -f "$name.cases.yaml" ]; then
        run "$COMPATC_FOREIGN" test "$src" "$name.cases.yaml"
        expect_rc "$name: its cases pass on the foreign architecture" 0
    fi
done

finish
