#!/bin/sh
# conformance.sh -- the spec's own examples and node-semver's range fixtures
# (../shared/conformance/run beside the repository), against the built compatc.
# Skipped (77) only where no shared tree can be found.
# Where the shared tree is: $DC_CONFORMANCE (.ci/run may set it), else
# ../shared beside the source tree, beside the build tree, or beside either's
# parent (a distcheck builds in DIST/_build/sub with the sources in DIST).
run=${DC_CONFORMANCE:-}
if [ -z "$run" ]; then
    for base in "${top_srcdir:?}" "${top_builddir:-.}" "$top_srcdir/.." "$top_srcdir/../.." \
                "${top_builddir:-.}/../.." "${top_builddir:-.}/../../.."; do
        if [ -x "$base/../shared/conformance/run" ]; then
            run=$base/../shared/conformance/run
            break
        fi
    done
fi
[ -n "$run" ] && [ -x "$run" ] || { echo "skip: no ../shared/conformance/run (set DC_CONFORMANCE)"; exit 77; }
[ -x "${COMPATC:?}" ] || { echo "skip: no compatc at $COMPATC"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
exec python3 "$run" "$COMPATC"
