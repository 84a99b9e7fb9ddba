#!/bin/sh
# fuzz_replay.sh -- replay the fuzz corpora and crash reproducers through the
# harnesses built as plain programs (check_PROGRAMS, no AFL): every input of
# fuzz/corpus/HARNESS/ and fuzz/regressions/HARNESS/ must run to completion,
# without a crash, a sanitizer report or a hang (10 s each), and print
# nothing: the library never prints (a line from libxml2 is a failure).
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
pass=0
fail=0
found=0
for kind in corpus regressions; do
    for dir in "$srcdir/fuzz/$kind"/*/; do
        [ -d "$dir" ] || continue
        h=$(basename "$dir")
        prog=$builddir/fuzz/$h
        if [ ! -x "$prog" ]; then
            echo "FAIL: $h: harness $prog not built"
            fail=$((fail + 1))
            continue
        fi
        found=1
        for input in "$dir"*; do
            [ -f "$input" ] || continue
            timeout 10 "$prog" "$input" >/dev/null 2>"$builddir/fuzz/replay.err"
            rc=$?
            if [ $rc -eq 0 ] && [ -s "$builddir/fuzz/replay.err" ]; then
                echo "FAIL: $h $kind/${input#$dir} (printed to stderr)"
                sed 's/^/    /' "$builddir/fuzz/replay.err" | head -n 30
                fail=$((fail + 1))
            elif [ $rc -eq 0 ]; then
                pass=$((pass + 1))
            else
                case $rc in 124) why="timeout" ;; *) why="exit $rc" ;; esac
                echo "FAIL: $h $kind/${input#$dir} ($why)"
                sed 's/^/    /' "$builddir/fuzz/replay.err" | head -n 30
                fail=$((fail + 1))
            fi
        done
    done
done
rm -f "$builddir/fuzz/replay.err"
[ $found -eq 1 ] || { echo "no harness found"; exit 77; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
