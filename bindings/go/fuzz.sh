#!/bin/sh
# fuzz.sh -- the Go fuzz campaigns of docs/security.md, one target after
# another, niced and under the machine's CPU lock.
#
# Usage: bindings/go/fuzz.sh DURATION [TARGET...]      (from the source root)
#   DURATION  per target, as go test's -fuzztime takes it (20m, 30s)
#   TARGET    FuzzDiff FuzzDiffLoad (devcompat, cgo: C against Go)
#             FuzzLoad FuzzCheck (devcompat/cbc, pure Go); default: all four
# The cgo targets need the library through pkg-config (docs/go.md).  A
# failing input is kept under the package's testdata/fuzz/, where `go
# test` replays it from then on.
set -eu
cd "$(dirname "$0")"
dur=${1:?usage: fuzz.sh DURATION [TARGET...]}
shift
[ $# -gt 0 ] || set -- FuzzDiff FuzzDiffLoad FuzzLoad FuzzCheck
export GOFLAGS=-mod=mod GOPROXY=off
lock=${CPU_LOCK:-/work/wt/cpu.lock}
for target in "$@"; do
    case $target in
        FuzzDiff*) pkg=. ;;
        *) pkg=./cbc ;;
    esac
    echo "== $target ($pkg) for $dur: $(date -u +%H:%M:%S)"
    if [ -e "$(dirname "$lock")" ]; then
        flock "$lock" nice -n 19 go test -run "^$target\$" -fuzz "^$target\$" -fuzztime "$dur" \
            -parallel 1 "$pkg"
    else
        nice -n 19 go test -run "^$target\$" -fuzz "^$target\$" -fuzztime "$dur" -parallel 1 "$pkg"
    fi
done
