#!/bin/sh
# install.sh -- `make install` into a scratch root, then build the embedding
# example against the installed tree alone (pkg-config) and run it on a pair;
# check that the shared library exports only dc_ symbols.
npass=0 nfail=0
pass() { npass=$((npass + 1)); echo "ok   $1"; }
fail() { nfail=$((nfail + 1)); echo "FAIL $1"; }
finish() { echo "$npass passed, $nfail failed"; [ "$nfail" -eq 0 ] || exit 1; exit 0; }
[ -n "${MAKE:-}" ] && [ -n "${top_builddir:-}" ] && [ -n "${top_srcdir:-}" ] || { echo "skip: MAKE/top_builddir not set"; exit 77; }
command -v pkg-config >/dev/null || { echo "skip: no pkg-config"; exit 77; }

root=$(mktemp -d) || exit 99
trap 'rm -rf "$root"' EXIT
if ! $MAKE -s -C "$top_builddir" install DESTDIR="$root" >"$root/install.log" 2>&1; then
    cat "$root/install.log"
    fail "make install"
    finish
fi
pass "make install"

pc=$(find "$root" -name devcompat.pc | head -n 1)
[ -n "$pc" ] && pass "devcompat.pc installed" || fail "devcompat.pc installed"
prefix=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=prefix devcompat)
lib=$root$prefix/lib
for f in "$root$prefix/include/devcompat.h" "$root$prefix/bin/compatc" \
         "$lib/libdevcompat.so" "$lib/libdevcompat.a" \
         "$root$prefix/share/man/man1/compatc.1"; do
    [ -e "$f" ] && pass "installed ${f#"$root"}" || fail "installed ${f#"$root"}"
done
pols=$root$prefix/share/devcompat/policies
# The man page names the policy and documentation directories as built,
# and the documents it cites are there.
man=$root$prefix/share/man/man1/compatc.1
grep -q "$prefix/share/devcompat/policies" "$man" 2>/dev/null &&
    pass "man page: the policy directory as built" || fail "man page: policy directory not $prefix/share/devcompat/policies"
docs=$root$prefix/share/doc/devcompat
grep -q "$prefix/share/doc/devcompat" "$man" 2>/dev/null &&
    pass "man page: the doc directory as built" || fail "man page: doc directory not $prefix/share/doc/devcompat"
missing=
for d in $(sed -n 's/^\.IR \([a-z]*\.md\).*/\1/p' "$man"); do
    [ -f "$docs/$d" ] || missing="$missing $d"
done
[ -z "$missing" ] && pass "docs the man page cites are installed" || fail "not installed in $docs:$missing"
ls "$pols"/*.compat >/dev/null 2>&1 && pass "policies installed" || fail "policies installed in $pols"

# Only dc_ symbols are exported.
extra=$(nm -D --defined-only "$lib/libdevcompat.so" | awk '$2 ~ /^[TDBR]$/ {print $3}' |
        grep -v '^dc_' | grep -v '^_' || true)
[ -z "$extra" ] && pass "only dc_ symbols exported" || fail "symbols exported besides dc_: $extra"

# Every export carries the version node of src/libdevcompat.sym.
unversioned=$(objdump -T "$lib/libdevcompat.so" | awk '$NF ~ /^dc_/ && $(NF-1) !~ /^DEVCOMPAT_/ {print $NF}')
nver=$(objdump -T "$lib/libdevcompat.so" | awk '$NF ~ /^dc_/ && $(NF-1) ~ /^DEVCOMPAT_0\.1$/' | wc -l)
[ -z "$unversioned" ] && [ "$nver" -gt 50 ] && pass "dc_ symbols versioned DEVCOMPAT_0.1 ($nver)" ||
    fail "symbols without a DEVCOMPAT_ version: ${unversioned:-none} ($nver versioned)"

# The example, built from the installed tree alone.
cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags devcompat)
libs=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$root pkg-config --libs devcompat)
# (a sanitizer build of the library needs the same runtime in the program)
if ${CC:-cc} ${SAN_CFLAGS:-} -o "$root/check-pair" "$top_srcdir/docs/examples/check-pair.c" $cflags $libs \
        2>"$root/cc.log"; then
    pass "example builds with pkg-config"
else
    cat "$root/cc.log"
    fail "example builds with pkg-config"
    finish
fi
policy=$(ls "$pols"/*.compat | head -n 1)
for p in "$pols"/gvt-share.compat "$pols"/share.compat; do
    [ -f "$p" ] && policy=$p && break
done
out=$(LD_LIBRARY_PATH=$lib "$root/check-pair" "$policy" \
      "$top_srcdir/tests/data/install/source.kv" "$top_srcdir/tests/data/install/target.kv" 2>&1)
rc=$?
case "$rc:$out" in
    0:compatible*) pass "example: V5_2 x1 -> V5_4 x2 is compatible" ;;
    *) fail "example on a real pair (rc=$rc): $out" ;;
esac
out=$(LD_LIBRARY_PATH=$lib "$root/check-pair" "$policy" \
      "$top_srcdir/tests/data/install/target.kv" "$top_srcdir/tests/data/install/source.kv" 2>&1)
rc=$?
# V5_4 x2 -> V5_2 x1 is a real answer (1, incompatible), never an error (2).
case "$rc:$out" in
    1:incompatible*) pass "example: V5_4 x2 -> V5_2 x1 is incompatible, with reasons" ;;
    *) fail "example: reverse direction (rc=$rc, want 1): $out" ;;
esac
finish
