#!/bin/sh
# conformance.sh -- the spec's own examples and node-semver's range fixtures
# (../shared/conformance/run beside the repository), against the built compatc.
# Skipped (77) where the shared tree is not there, e.g. in a distcheck build.
run=${DC_CONFORMANCE:-${top_srcdir:?}/../shared/conformance/run}
[ -x "$run" ] || { echo "skip: no $run"; exit 77; }
[ -x "${COMPATC:?}" ] || { echo "skip: no compatc at $COMPATC"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
exec python3 "$run" "$COMPATC"
