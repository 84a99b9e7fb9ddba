#!/bin/sh
# policies.sh -- the shipped vendor policies (policies/) keep their promises:
#   1. every policy and self-describing example lints clean with --werror;
#   2. every example pair gives its documented verdict (exit status);
#   3. a few pairs print exactly the --json / --explain text kept in
#      tests/data/policies/ (NAME.json, NAME.explain: `compatc check` run
#      from policies/, so file names in reasons are relative);
#   4. each policy compiles to a .cbc that disassembles and gives the same
#      golden output, reasons included; `match` over an inventory prints
#      tests/data/policies/gvt-fleet.match;
#   5. each POLICY.cases.yaml passes `compatc test`, from the source and
#      from its .cbc;
#   6. every example source POLICY-src-WHAT.{kv,yaml} gives the verdict its
#      "# expect: compatible|incompatible" line states against
#      POLICY-target.kv: with --policy POLICY.compat, with --policy-dir .
#      (the directory picks POLICY: the same --explain text), and with the
#      compiled POLICY.cbc (the same --explain text);
#   7. `compatc targets` answers "which target should I create" for every
#      example source (exit 0, or 1: no target), from the .cbc alike, and
#      a compatible example's target is one of the targets listed; a few
#      answers are checked word for word, with --policy and --policy-dir.
# New policies are picked up by the globs: a policy needs POLICY.compat,
# POLICY.cases.yaml, POLICY-target.kv and POLICY-src-*.kv files.
# Environment (set by `make check`): COMPATC, the compatc to test, and
# top_srcdir.  Prints one line per check, then "N passed, N failed".
# Exit 0 when all pass, 1 on any failure, 77 (skip) without a compatc.
set -u

COMPATC=${COMPATC:-}
if [ -z "$COMPATC" ] || [ ! -x "$COMPATC" ]; then
    echo "SKIP: COMPATC is not set to an executable compatc"
    exit 77
fi
case $COMPATC in /*) ;; *) COMPATC=$(pwd)/$COMPATC ;; esac
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
P=$top_srcdir/policies
G=$(cd "$top_srcdir/tests/data/policies" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dc-policies.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# run DIR ARGS...: compatc in DIR; output in $TMP/out, $TMP/err, status in $rc.
run() {
    dir=$1
    shift
    (cd "$dir" && "$COMPATC" "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

# ---------------------------------------------------------------- 1. lint
for f in "$P"/*.compat "$P"/self-describing/*.txt; do
    name=${f#"$P"/}
    run "$P" lint --werror "$name"
    if [ "$rc" -eq 0 ] && [ ! -s "$TMP/out" ] && [ ! -s "$TMP/err" ]; then
        pass "lint --werror $name"
    else
        fail "lint --werror $name (exit $rc)"
        cat "$TMP/out" "$TMP/err"
    fi
done

# ------------------------------------------------------------ 2. verdicts
# policy (or "-" for a self-describing target), source, target, exit status:
# 0 compatible, 1 incompatible, 2 error (target-mismatch, no-policy...).
# A policy of "dir" checks with --policy-dir: exactly one policy of
# policies/ must describe each target.
while read -r policy source target want; do
    case $policy in
    '#'* | '') continue ;;
    -) set -- ;;
    dir) set -- --policy-dir . ;;
    *) set -- --policy "$policy" ;;
    esac
    run "$P" check "$@" "$source" "$target"
    what="check ${policy} ${source} -> ${target}"
    if [ "$rc" -eq "$want" ]; then
        pass "$what: exit $want"
    else
        fail "$what: exit $rc, expected $want"
        cat "$TMP/out" "$TMP/err"
    fi
done <<'PAIRS'
# GVT-g: the same share of the GPU, and the versioning rule
gvt-share.compat gvt-share-src-half.kv gvt-share-target.kv 0
gvt-share.compat gvt-share-src-half.yaml gvt-share-target.kv 0
gvt-share.compat gvt-share-src-legacy.kv gvt-share-target.kv 0
gvt-share.compat gvt-share-src-quarter.kv gvt-share-target.kv 1
gvt-share.compat gvt-share-src-whole.kv gvt-share-target.kv 1
gvt-share.compat gvt-share-src-newer.kv gvt-share-target.kv 1
gvt-share.compat gvt-share-target.kv gvt-share-target.kv 0
gvt-share.compat gvt-share-src-half.kv vfio-ccw-target.kv 2
gvt-share.compat gvt-share-target.kv gvt-share-src-half.yaml 1
# the upstream worked examples
versioning.compat versioning-2.0.1.kv versioning-2.1.1.kv 0
versioning.compat versioning-2.1.1.kv versioning-2.0.1.kv 1
versioning.compat versioning-2.0.0.kv versioning-3.0.0.kv 1
versioning.compat versioning-2.0.1.kv versioning-2.0.0.kv 0
versioning.compat gvt-share-src-half.kv gvt-share-target.kv 2
# s390 channel I/O
vfio-ccw.compat vfio-ccw-src-ok.kv vfio-ccw-target.kv 0
vfio-ccw.compat vfio-ccw-src-ctc.kv vfio-ccw-target.kv 1
vfio-ccw.compat vfio-ccw-src-paths.kv vfio-ccw-target.kv 1
vfio-ccw.compat vfio-ccw-target.kv vfio-ccw-src-ok.kv 1
# device models
device-model.compat device-model-src-4gb.kv device-model-target.kv 0
device-model.compat device-model-src-legacy.yaml device-model-target.kv 0
device-model.compat device-model-src-16gb.kv device-model-target.kv 1
device-model.compat device-model-src-newer.kv device-model-target.kv 1
device-model.compat device-model-src-16gb.kv device-model-target-3x.kv 1
device-model.compat device-model-src-4gb.kv device-model-target-3x.kv 1
device-model.compat device-model-src-legacy.yaml device-model-target-3x.kv 1
# the whole directory: each target finds its one policy
dir gvt-share-src-half.kv gvt-share-target.kv 0
dir versioning-2.0.1.kv versioning-2.1.1.kv 0
dir vfio-ccw-src-ok.kv vfio-ccw-target.kv 0
dir device-model-src-4gb.kv device-model-target.kv 0
dir device-model-src-4gb.kv vfio-ccw-target.kv 1
# a variant-driver VF that also exports software_version: its own policy
# claims it, not versioning.compat (no ambiguous-policy)
dir mlx5-vf-src-ok.kv mlx5-vf-target-swver.kv 0
dir hisi-acc-vf-src-ok.kv mlx5-vf-target.kv 1
dir nvidia-vgpu-src-ok.kv gvt-share-target.kv 1
# self-describing devices (docs/language.md, section 10): the target's text is the policy
- self-describing/uuid2.txt self-describing/uuid1.txt 0
- self-describing/uuid1.txt self-describing/uuid2.txt 1
- self-describing/uuid1.txt self-describing/uuid1.txt 0
- self-describing/uuid3.txt self-describing/uuid1.txt 1
- self-describing/uuid3.txt self-describing/uuid2.txt 1
- self-describing/uuid2.txt self-describing/uuid3.txt 1
PAIRS

# ------------------------------------------------- 3, 4. golden, bytecode
# Every policy compiles (from policies/, so reasons name the file as the
# goldens do) and its .cbc disassembles.
for f in "$P"/*.compat; do
    name=${f#"$P"/}
    run "$P" compile "$name" -o "$TMP/${name%.compat}.cbc"
    if [ "$rc" -eq 0 ] && [ -s "$TMP/${name%.compat}.cbc" ]; then
        pass "compile $name"
    else
        fail "compile $name (exit $rc)"
        cat "$TMP/out" "$TMP/err"
        continue
    fi
    run "$P" disasm "$TMP/${name%.compat}.cbc"
    if [ "$rc" -eq 0 ] && grep -q '^COMPATIBLE' "$TMP/out"; then
        pass "disasm ${name%.compat}.cbc"
    else
        fail "disasm ${name%.compat}.cbc (exit $rc)"
        cat "$TMP/err"
    fi
done

# compare LABEL GOLDEN: the last run printed exactly GOLDEN.
compare() {
    if cmp -s "$TMP/out" "$2"; then
        pass "$1"
    else
        fail "$1 (exit $rc)"
        diff "$2" "$TMP/out" | sed 's/^/    /'
        cat "$TMP/err"
    fi
}

# golden NAME MODE POLICY SOURCE TARGET: `check --MODE` prints NAME.MODE,
# from the policy's source and from its .cbc alike.
golden() {
    name=$1 mode=$2 policy=$3 source=$4 target=$5
    if [ "$policy" = - ]; then
        run "$P" check "--$mode" "$source" "$target"
        compare "golden $name.$mode" "$G/$name.$mode"
        return
    fi
    run "$P" check --policy "$policy" "--$mode" "$source" "$target"
    compare "golden $name.$mode" "$G/$name.$mode"
    cbc=$TMP/${policy%.compat}.cbc
    if [ -f "$cbc" ]; then
        run "$P" check --policy "$cbc" "--$mode" "$source" "$target"
        compare "golden $name.$mode from ${policy%.compat}.cbc" "$G/$name.$mode"
    fi
}
golden gvt-half json gvt-share.compat gvt-share-src-half.kv gvt-share-target.kv
golden gvt-half explain gvt-share.compat gvt-share-src-half.kv gvt-share-target.kv
golden gvt-whole explain gvt-share.compat gvt-share-src-whole.kv gvt-share-target.kv
golden gvt-mismatch json gvt-share.compat gvt-share-src-half.kv vfio-ccw-target.kv
golden versioning-minor json versioning.compat versioning-2.1.1.kv versioning-2.0.1.kv
golden versioning-minor explain versioning.compat versioning-2.1.1.kv versioning-2.0.1.kv
golden ccw-ok explain vfio-ccw.compat vfio-ccw-src-ok.kv vfio-ccw-target.kv
golden ccw-ctc json vfio-ccw.compat vfio-ccw-src-ctc.kv vfio-ccw-target.kv
golden model-16gb explain device-model.compat device-model-src-16gb.kv device-model-target.kv
golden model-legacy json device-model.compat device-model-src-legacy.yaml device-model-target.kv
golden model-newer json device-model.compat device-model-src-newer.kv device-model-target.kv
golden uuid2-uuid1 json - self-describing/uuid2.txt self-describing/uuid1.txt
golden uuid1-uuid2 explain - self-describing/uuid1.txt self-describing/uuid2.txt
golden uuid3-uuid1 explain - self-describing/uuid3.txt self-describing/uuid1.txt

# an inventory: one JSON line per device (--json), in inventory order, exit 0
run "$P" match --json --policy gvt-share.compat gvt-share-src-half.kv gvt-share-fleet.yaml
compare "golden gvt-fleet.match" "$G/gvt-fleet.match"

# --------------------------------------------------------------- 5. cases
for cases in "$P"/*.cases.yaml "$P"/self-describing/*.cases.yaml; do
    name=${cases#"$P"/}
    base=${name%.cases.yaml}
    policy=$base.compat
    [ -f "$P/$policy" ] || policy=$base.txt
    run "$P" test "$policy" "$name"
    if grep -q "not implemented" "$TMP/out" "$TMP/err"; then
        # `compatc test` is not there yet: nothing to check.
        echo "skip test $policy $name: compatc test is not implemented"
        continue
    fi
    summary=$(tail -n 1 "$TMP/out")
    if [ "$rc" -eq 0 ] && expr "$summary" : '[0-9][0-9]* passed, 0 failed' >/dev/null; then
        pass "test $policy $name: $summary"
    else
        fail "test $policy $name: exit $rc: $summary"
        cat "$TMP/out" "$TMP/err"
    fi
    cbc=$TMP/$base.cbc
    [ -f "$cbc" ] || continue
    run "$P" test "$cbc" "$name"
    if [ "$rc" -eq 0 ] && [ "$(tail -n 1 "$TMP/out")" = "$summary" ]; then
        pass "test $base.cbc $name: $summary"
    else
        fail "test $base.cbc $name: exit $rc: $(tail -n 1 "$TMP/out")"
        cat "$TMP/out" "$TMP/err"
    fi
done

# ---------------------------------------------------- 6. every example pair
# same_explain LABEL: the last run exited $status and printed $TMP/explain.
same_explain() {
    if [ "$rc" -eq "$status" ] && cmp -s "$TMP/explain" "$TMP/out"; then
        pass "$1"
    else
        fail "$1: exit $rc"
        diff "$TMP/explain" "$TMP/out" | sed 's/^/    /'
        cat "$TMP/err"
    fi
}
for src in "$P"/*-src-*.kv "$P"/*-src-*.yaml; do
    name=${src#"$P"/}
    policy=${name%%-src-*}
    target=$policy-target.kv
    want=$(sed -n 's/^# expect: *\([a-z]*\).*/\1/p' "$src")
    case $want in
    compatible) status=0 ;;
    incompatible) status=1 ;;
    *)
        fail "$name: no '# expect: compatible|incompatible' line"
        continue
        ;;
    esac
    run "$P" check --explain --policy "$policy.compat" "$name" "$target"
    if [ "$rc" -ne "$status" ]; then
        fail "example $name -> $target: exit $rc, expected $status ($want)"
        cat "$TMP/out" "$TMP/err"
        continue
    fi
    pass "example $name -> $target: $want"
    cp "$TMP/out" "$TMP/explain"
    # The directory picks the same policy: the same text, file names
    # prefixed with the directory.
    run "$P" check --explain --policy-dir . "$name" "$target"
    sed 's|^\./||' "$TMP/out" >"$TMP/out.dir" && mv "$TMP/out.dir" "$TMP/out"
    same_explain "example $name -> $target: --policy-dir picks $policy.compat"
    run "$P" check --explain --policy "$TMP/$policy.cbc" "$name" "$target"
    same_explain "example $name -> $target: $policy.cbc gives the same"
done

# ------------------------------------------------------------- 7. targets
# Every example source: `compatc targets` answers "which target should I
# create" (docs/devices.md lists the answers): exit 0, or 1 when no target
# accepts it, never an error; the .cbc prints the same.  For a source its
# example target accepts (# expect: compatible), one listed target is that
# target: the same fixed facts (as the policy's types compare them), its
# open facts present (needs python3 to read the JSON).  Its block may be
# a later one than the target's: each listed target names the first block
# that can hold (docs/targets.md).
# covers TARGETS.json FACTS.json: prints the index of the listed target the
# example target is, or nothing.
covers() {
    python3 - "$@" <<'PY'
import json, re, sys
BOOLS = {"true": "true", "yes": "true", "on": "true",
         "false": "false", "no": "false", "off": "false"}
def norm(v):
    # a fact's text as its types compare it: bool spellings, hex case and
    # 0x, a set's order (docs/language.md)
    v = v.strip().lower()
    v = BOOLS.get(v, v)
    v = v[2:] if v.startswith("0x") else v
    parts = [p for p in re.split(r"[,\s]+", v) if p]
    return ",".join(sorted(parts)) if len(parts) > 1 else v
targets = json.load(open(sys.argv[1]))["targets"]
facts = {k: norm(v) for k, v in json.load(open(sys.argv[2])).items()}
for i, t in enumerate(targets):
    fixed = all(facts.get(k) == norm(v) for k, v in t["facts"].items())
    opened = all(k in facts or any(n.startswith(k + ".") for n in facts) for k in t["open"])
    if fixed and opened:
        print(i)
        break
PY
}
for src in "$P"/*-src-*.kv "$P"/*-src-*.yaml; do
    name=${src#"$P"/}
    policy=${name%%-src-*}
    target=$policy-target.kv
    want=$(sed -n 's/^# expect: *\([a-z]*\).*/\1/p' "$src")
    run "$P" targets --policy "$policy.compat" "$name"
    case $want:$rc in
    compatible:0 | incompatible:0 | incompatible:1)
        pass "targets $policy.compat $name: exit $rc, $(grep -c . "$TMP/out") target(s)" ;;
    *)
        fail "targets $policy.compat $name: exit $rc ($want)"
        cat "$TMP/out" "$TMP/err"
        continue
        ;;
    esac
    cp "$TMP/out" "$TMP/explain"
    status=$rc
    run "$P" targets --policy "$TMP/$policy.cbc" "$name"
    same_explain "targets $policy.cbc $name: the same targets"
    [ "$want" = compatible ] && command -v python3 >/dev/null 2>&1 || continue
    run "$P" targets --json --policy "$policy.compat" "$name"
    cp "$TMP/out" "$TMP/targets.json"
    run "$P" facts --format=json "$target"
    cp "$TMP/out" "$TMP/facts.json"
    i=$(covers "$TMP/targets.json" "$TMP/facts.json")
    if [ -n "$i" ]; then
        pass "targets $policy.compat $name: $target is target $i"
    else
        fail "targets $policy.compat $name: $target is none of the targets listed"
        cat "$TMP/targets.json" "$TMP/facts.json"
    fi
done

# What the answers say, for a few sources.
# targets_has LABEL TEXT ARGS...: `compatc targets ARGS` exits 0 and prints
# TEXT on the line of a target.
targets_has() {
    label=$1 text=$2
    shift 2
    run "$P" targets "$@"
    if [ "$rc" -eq 0 ] && grep -F -e "$text" "$TMP/out" >/dev/null; then
        pass "targets: $label"
    else
        fail "targets: $label: exit $rc, no '$text'"
        cat "$TMP/out" "$TMP/err"
    fi
}
# An A40-4Q source: create an nvidia-557 vGPU, ECC off, on a 550 host whose
# vGPU manager is at least the source's and supports guest version 17.0.
targets_has "nvidia-vgpu: the source's vGPU type" \
    "nvidia-vgpu: device_api=vfio-pci mdev_type=nvidia-557 nvidia.ecc=false" \
    --policy nvidia-vgpu.compat nvidia-vgpu-src-type.kv
targets_has "nvidia-vgpu: the host driver it needs" \
    "requires hd1 == 550 && (hd2 > 54 || hd2 == 54 && hd3 >= 14)" \
    --policy nvidia-vgpu.compat nvidia-vgpu-src-type.kv
# A QAT VF with an SLA: a GEN4 VF on a PF configured for the source's
# services, and rate limits the target's PF must hold (its records).
targets_has "qat-vf: the services, a decided target" \
    "qat-vf: device_api=vfio-pci driver=qat_vfio_pci pci_id=80864941 qat.services=asym,sym [qat.cap_mask = {tcap:hex}; requires subset(bits(0x3ff7ff3f), bits(tcap))] [qat.ext_dc_caps = {tdc:hex}] [qat.pfvf_version = {tpv:int:1..}; requires tpv >= 4] [qat.sla; requires any(self.qat.sla, t, t.srv == \"sym\" && hex(t.rp) == 0xf0) && all(self.qat.sla, t, t.srv != \"sym\" || hex(t.rp) != 0xf0 || int(t.cir) >= 8000 && int(t.pir) >= 20000)]" \
    --policy qat-vf.compat qat-vf-src-slaok.yaml
if grep -q "not decided" "$TMP/out"; then
    fail "targets: qat-vf: the targets are decided"
    cat "$TMP/out"
else
    pass "targets: qat-vf: the targets are decided"
fi
targets_has "qat-vf: a compression source, its service" \
    "pci_id=80864945 qat.services=dc [" --policy qat-vf.compat qat-vf-src-dc.kv
# The directory answers with every policy that has a target.
targets_has "the policy directory: nvidia-vgpu answers for an NVIDIA source" \
    "mdev_type=nvidia-558" --policy-dir . nvidia-vgpu-src-ok.kv
targets_has "the policy directory: qat-vf answers for a QAT source" \
    "qat-vf: device_api=vfio-pci driver=qat_vfio_pci pci_id=80864943" \
    --policy-dir . qat-vf-src-ok.kv

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
