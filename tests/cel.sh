#!/bin/sh
# cel.sh -- `compatc to-cel` (docs/kubernetes.md): its selectors evaluated by a
# real CEL engine (tests/cel/evaluate.mjs, @marcbachmann/cel-js from npm with
# Kubernetes' semver functions) must equal `compatc check` on thousands of
# generated devices per (policy, source); the policies it cannot translate
# exactly are refused with the rule named.  Skipped (77) without node >= 20.19
# or without tests/cel/node_modules (.ci/run runs `npm ci` there).
[ -n "$COMPATC" ] || exit 77
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cel=$srcdir/tests/cel
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null; then
    echo "skip: no node >= 20.19"; exit 77
fi
[ -d "$cel/node_modules/@marcbachmann/cel-js" ] || { echo "skip: run npm ci in tests/cel"; exit 77; }
PY=$(command -v python3) || { echo "skip: no python3"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/dc-cel.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
passed=0 failed=0
data=$cel/data pol=$srcdir/policies

# differential NAME ARGS...: the generated devices agree
differential() {
    name=$1; shift
    if "$PY" "$cel/differential.py" --compatc "$COMPATC" "$@" >"$T/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name"; sed 's/^/    /' "$T/out" | tail -n 20
    fi
}

differential nic-vf --policy "$data/nic-vf.compat" --source "$data/nic-vf-src.kv" \
    --domain nic.example.com --count 3000
differential vgpu --policy "$data/vgpu.compat" --source "$data/vgpu-src.kv" \
    --base "$data/vgpu-target.kv" --base "$data/vgpu-target-12q.kv" --count 3000
differential vgpu-legacy --policy "$data/vgpu.compat" --source "$data/vgpu-src-legacy.kv" \
    --base "$data/vgpu-target.kv" --base "$data/vgpu-target-12q.kv" --count 3000 --seed 2
# Every shipped policy, with each of its example facts as the source: the
# selector agrees with check on devices grown from all its examples, or the
# policy is refused with the rule that CEL cannot express.
refused=""
for policy in "$pol"/*.compat; do
    name=$(basename "$policy" .compat)
    examples=$(ls "$pol/$name"-*.kv "$pol/$name"-*.yaml 2>/dev/null | grep -v -- '-fleet\.yaml$')
    [ -n "$examples" ] || continue
    bases=""
    for e in $examples; do bases="$bases --base $e"; done
    for src in $examples; do
        "$COMPATC" to-cel --policy "$policy" "$src" >"$T/sel" 2>"$T/err"
        rc=$?
        if [ $rc = 0 ]; then
            # shellcheck disable=SC2086
            differential "$name/$(basename "$src")" --policy "$policy" --source "$src" \
                $bases --count 1500
        elif [ $rc = 2 ] && grep -q "^compatc: $policy:[0-9]*: cannot be expressed in CEL: " "$T/err"; then
            passed=$((passed + 1))
            refused="$refused $name"
        elif [ $rc = 2 ] && grep -q "^compatc: $src" "$T/err"; then
            passed=$((passed + 1))      # a source the policy cannot read: its own error
        else
            failed=$((failed + 1))
            echo "FAIL $name/$(basename "$src"): neither a selector nor a refusal naming the rule"
            sed 's/^/    stderr: /' "$T/err"
        fi
    done
done

echo "refused (a rule CEL cannot express exactly):$(echo "$refused" | tr ' ' '\n' | sort -u | tr '\n' ' ')"

# random policies: every input of the check harness's fuzz corpus that
# translates, on its own target
differential fuzz-corpus --corpus "$srcdir/fuzz/corpus/fuzz_check"

# the .cbc form gives the same selector, and so the same verdicts
"$COMPATC" compile "$data/vgpu.compat" -o "$T/vgpu.cbc" >/dev/null 2>&1
differential vgpu-cbc --policy "$T/vgpu.cbc" --source "$data/vgpu-src.kv" \
    --base "$data/vgpu-target.kv" --count 1000 --seed 3
"$COMPATC" to-cel --policy "$data/vgpu.compat" "$data/vgpu-src.kv" >"$T/a" 2>&1
"$COMPATC" to-cel --policy "$T/vgpu.cbc" "$data/vgpu-src.kv" >"$T/b" 2>&1
if cmp -s "$T/a" "$T/b"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL cbc: the .cbc gives another selector"; diff "$T/a" "$T/b"; fi

# expect_err NAME RC TEXT CMD...: exit RC, stderr holds TEXT
expect_err() {
    name=$1 want=$2 text=$3; shift 3
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" = "$want" ] && grep -qF -- "$text" "$T/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $rc, want $want; stderr should hold: $text)"
        sed 's/^/    stderr: /' "$T/err"
    fi
}

printf 'SELF:\n    Fw.psid = {p:string}\nCOMPATIBLE:\n    Fw.psid = {p}\n' >"$T/upper.compat"
printf 'SELF:\n    devcompat_io.psid = {p:string}\nCOMPATIBLE:\n    x = {p}\n' >"$T/own.compat"
printf 'SELF:\n    dra.pool = {p:string}\nCOMPATIBLE:\n    x = {p}\n' >"$T/dra.compat"
printf 'x=1\nFw.psid=a\n' >"$T/upper-src.kv"
expect_err names 2 "upper.compat:2: cannot be expressed in CEL: 'Fw.psid' is no DRA attribute: a domain is lower case" "$COMPATC" to-cel --policy "$T/upper.compat" "$T/upper-src.kv"
expect_err own-domain 2 "the driver's own attributes are named without their domain" "$COMPATC" to-cel --policy "$T/own.compat" --domain devcompat-io "$T/upper-src.kv"
expect_err dra-facts 2 "the importer's own facts" "$COMPATC" to-cel --policy "$T/dra.compat" "$T/upper-src.kv"
expect_err template 2 "a template over the target's 'model'" "$COMPATC" to-cel --policy "$pol/device-model.compat" "$pol/device-model-src-4gb.kv"
expect_err no-policy 2 "to-cel needs --policy" "$COMPATC" to-cel --policy-dir "$pol" "$data/vgpu-src.kv"
expect_err domain 2 "is not a DRA attribute domain" "$COMPATC" to-cel --policy "$data/vgpu.compat" --domain "Bad_Domain" "$data/vgpu-src.kv"
expect_err source 2 "vgpu-src-missing.kv" "$COMPATC" to-cel --policy "$data/vgpu.compat" "$data/vgpu-src-missing.kv"

# a selector longer than Kubernetes allows is an error that says so
{
    printf 'SELF:\n    profile = {p:string:'
    i=0; while [ $i -lt 1500 ]; do printf '"profile-%d",' $i; i=$((i + 1)); done
    printf '"last"}\nCOMPATIBLE:\n    profile = {p}\n'
} >"$T/long.compat"
printf 'profile=last\n' >"$T/long-src.kv"
expect_err too-long 2 "over Kubernetes' limit" "$COMPATC" to-cel --policy "$T/long.compat" "$T/long-src.kv"

# --json: the selector with the attributes it reads and their types
"$COMPATC" to-cel --json --policy "$data/nic-vf.compat" --domain nic.example.com \
    "$data/nic-vf-src.kv" >"$T/json" 2>"$T/err"
if "$PY" - "$T/json" <<'PYEOF'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["domain"] == "nic.example.com", o
assert [(f, a["domain"], a["name"], a["type"]) for f, a in o["attributes"].items()] == [
    ("driver", "nic.example.com", "driver", "string"),
    ("fwVersion", "nic.example.com", "fwVersion", "version"),
    ("migratable", "nic.example.com", "migratable", "bool"),
    ("numQueues", "nic.example.com", "numQueues", "int"),
    ("psid", "nic.example.com", "psid", "string")], o["attributes"]
PYEOF
then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL json"; cat "$T/json" "$T/err"; fi

# a dotted fact is an attribute of another domain, as the DRA importer names
# them: fw.psid is psid in domain fw
"$COMPATC" to-cel --json --policy "$pol/mlx5-vf.compat" --domain mlx5.example.com \
    "$pol/mlx5-vf-src-ok.kv" >"$T/json" 2>"$T/err"
if "$PY" - "$T/json" <<'PYEOF'
import json, sys
o = json.load(open(sys.argv[1]))
a = o["attributes"]
assert (a["fw.psid"]["domain"], a["fw.psid"]["name"]) == ("fw", "psid"), a
assert a["migratable"]["domain"] == "mlx5.example.com", a
assert 'device.attributes["fw"].psid' in o["selector"], o["selector"]
PYEOF
then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL json"; cat "$T/json" "$T/err"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
