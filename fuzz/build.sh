#!/bin/sh
# fuzz/build.sh -- build the AFL++ harnesses against the library sources.
#
#   fuzz/build.sh [OUTDIR]          (default: fuzz/out)
#
# Builds OUTDIR/afl/fuzz_*   instrumented, for afl-fuzz (persistent mode)
#        OUTDIR/cmplog/fuzz_* with CmpLog, for afl-fuzz -c (optional)
#        OUTDIR/asan/fuzz_*  instrumented with ASan+UBSan, to triage crashes
# Environment: AFL_CC (default afl-clang-fast, else afl-gcc-fast, afl-gcc),
# BUILDDIR (a configured build tree whose config.h and generated grammar to
# use; otherwise they are made here), VARIANTS (default "afl cmplog asan").
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$srcdir/fuzz/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -z "${AFL_CC:-}" ]; then
    for cc in afl-clang-fast afl-gcc-fast afl-gcc; do
        if command -v "$cc" >/dev/null 2>&1; then AFL_CC=$cc; break; fi
    done
fi
[ -n "${AFL_CC:-}" ] || { echo "fuzz/build.sh: no AFL++ compiler (afl-clang-fast) found" >&2; exit 1; }
VARIANTS=${VARIANTS:-"afl cmplog asan"}

# config.h and the generated grammar: from BUILDDIR, the source tree, or made here.
gen=$out/gen
mkdir -p "$gen/grammar"
if [ -n "${BUILDDIR:-}" ] && [ -f "$BUILDDIR/config.h" ]; then
    cp "$BUILDDIR/config.h" "$gen/config.h"
elif [ -f "$srcdir/config.h" ]; then
    cp "$srcdir/config.h" "$gen/config.h"
else
    version=$(sed -n 's/^AC_INIT(\[devcompat\], \[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
    printf '#define PACKAGE "devcompat"\n#define PACKAGE_NAME "devcompat"\n#define PACKAGE_VERSION "%s"\n#define VERSION "%s"\n' \
        "$version" "$version" > "$gen/config.h"
fi
# libxml2 reads libvirt's XML (import_libvirt.c); live libvirt connections
# are not fuzzed, so the harnesses do without libvirt's API.
if pkg-config --exists libxml-2.0; then
    grep -q HAVE_LIBXML2 "$gen/config.h" || echo '#define HAVE_LIBXML2 1' >> "$gen/config.h"
    xml_cflags=$(pkg-config --cflags libxml-2.0)
    xml_libs=$(pkg-config --libs libxml-2.0)
else
    sed -i '/HAVE_LIBXML2/d' "$gen/config.h"
    xml_cflags= xml_libs=
    echo "fuzz/build.sh: warning: no libxml2 (libxml2-dev): libvirt XML is refused unread" >&2
fi
sed -i '/HAVE_LIBVIRT/d' "$gen/config.h"
grammar=
for d in "${BUILDDIR:-/nonexistent}/grammar" "$srcdir/grammar"; do
    if [ -f "$d/parser.c" ] && [ -f "$d/parser.h" ] && [ -f "$d/lexer.c" ] \
       && [ ! "$srcdir/grammar/parser.y" -nt "$d/parser.c" ] \
       && [ ! "$srcdir/grammar/lexer.re" -nt "$d/lexer.c" ]; then
        grammar=$d; break
    fi
done
if [ -z "$grammar" ]; then
    bison -Wall --defines="$gen/grammar/parser.h" -o "$gen/grammar/parser.c" "$srcdir/grammar/parser.y"
    re2c -W --no-generation-date --no-version -o "$gen/grammar/lexer.c" "$srcdir/grammar/lexer.re"
    grammar=$gen/grammar
fi

weak_syms="dc_policy_save dc_buffer_free dc_policy_load dc_inventory_read dc_inventory_count
           dc_inventory_id dc_inventory_facts dc_inventory_free"
yaml_cflags=$(pkg-config --cflags yaml-0.1)
yaml_libs=$(pkg-config --libs yaml-0.1)
lib_sources=
for f in "$srcdir"/src/*.c; do
    case ${f##*/} in compatc.c|cli_*.c) continue ;; esac
    lib_sources="$lib_sources $f"
done
lib_sources="$lib_sources $grammar/lexer.c $grammar/parser.c"
base_cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O2 -I$gen -I$srcdir/include -I$srcdir/src -I$grammar $yaml_cflags $xml_cflags"

for variant in $VARIANTS; do
    dir=$out/$variant
    mkdir -p "$dir/obj"
    extra=
    case $variant in
        afl) env= ;;
        cmplog) env="AFL_LLVM_CMPLOG=1" ;;
        asan) env="AFL_USE_ASAN=1"; extra="-fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" ;;
        *) echo "fuzz/build.sh: unknown variant $variant" >&2; exit 1 ;;
    esac
    objs=
    for f in $lib_sources; do
        o=$dir/obj/$(basename "$f" .c).o
        # A module being written may not compile yet: leave it out, and let
        # the link say whether a harness needed it.
        if env $env AFL_QUIET=1 $AFL_CC $base_cflags $extra -c "$f" -o "$o" 2>"$o.err"; then
            objs="$objs $o"
        else
            echo "fuzz/build.sh: warning: $f does not compile; left out" >&2
        fi
    done
    # An archive, so a harness pulls in only what it uses (a module being
    # written may not link yet); -u pulls in the API harnesses use weakly.
    rm -f "$dir/libdc.a"
    ar rcs "$dir/libdc.a" $objs
    weak_u=
    for sym in $weak_syms; do
        if nm -g --defined-only "$dir/libdc.a" 2>/dev/null | grep -q " T $sym\$"; then
            weak_u="$weak_u -Wl,-u,$sym"
        fi
    done
    for h in "$srcdir"/fuzz/fuzz_*.c; do
        name=$(basename "$h" .c)
        set -- $base_cflags $extra -I"$srcdir/fuzz" "$h"
        # If a module that defines the weak API does not link yet, do without it.
        env $env AFL_QUIET=1 $AFL_CC "$@" $weak_u "$dir/libdc.a" $yaml_libs $xml_libs -o "$dir/$name" 2>/dev/null \
            || env $env AFL_QUIET=1 $AFL_CC "$@" "$dir/libdc.a" $yaml_libs $xml_libs -o "$dir/$name"
    done
    echo "fuzz/build.sh: built $variant harnesses in $dir"
done
