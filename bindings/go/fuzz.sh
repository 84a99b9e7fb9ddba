#!/bin/sh
# fuzz.sh -- the Go fuzz campaigns of docs/security.md, one target after
# another, one worker each, under `nice -n 19`.
#
# Usage: bindings/go/fuzz.sh DURATION [TARGET...]      (from the source root)
#   DURATION  per target, as go test's -fuzztime takes it (20m, 30s)
#   TARGET    FuzzDiff FuzzDiffLoad (devcompat, cgo: C against Go)
#             FuzzLoad FuzzCheck (devcompat/cbc, pure Go); default: all four
# The cgo targets need the library through pkg-config (docs/go.md).  A
# failing input is kept under the package's testdata/fuzz/, where `go
# test` replays it from then on.  The machine's CPU lock (benchmarks) is not
# taken: a campaign is niced instead.  A new interesting input is minimized
# for at most 100 runs (go's default, a minute each, starves a loaded
# machine's only worker); -timeout 0: go test's 10 minutes would end a
# longer campaign.
set -eu
cd "$(dirname "$0")"
dur=${1:?usage: fuzz.sh DURATION [TARGET...]}
shift
[ $# -gt 0 ] || set -- FuzzDiff FuzzDiffLoad FuzzLoad FuzzCheck
export GOFLAGS=-mod=mod GOPROXY=off
for target in "$@"; do
    case $target in
        FuzzDiff*) pkg=. ;;
        *) pkg=./cbc ;;
    esac
    echo "== $target ($pkg) for $dur: $(date -u +%H:%M:%S), $(uptime)"
    nice -n 19 go test -run "^$target\$" -fuzz "^$target\$" -fuzztime "$dur" \
        -fuzzminimizetime 100x -timeout 0 -parallel 1 "$pkg"
done
