#!/bin/sh
# cli.sh -- compatc's command line (docs/compatc.1): usage errors, --help/--version,
# check (text, --explain, --json; exit 0/1/2), self-describing targets,
# --policy-dir, unreadable inputs, lint of several files, compile/disasm.

. "$(dirname "$0")/lib.sh"

D="$tests_dir/data/cli"
cd "$D" || exit 99

# Known bugs (case names): none at the moment.
xfail

# A usage error: exit 2, nothing on stdout, stderr's first line "compatc: ...".
usage_error() {
    _name=$1
    shift
    run "$COMPATC" "$@"
    expect_rc "$_name: exit 2" 2
    expect_empty "$_name: no stdout" out
    if head -n 1 "$ERR" | grep -q '^compatc: .'; then
        pass "$_name: message"
    else
        fail "$_name: message" "stderr does not start with 'compatc: '" "$ERR"
    fi
}

# ------------------------------------------------------------ usage

usage_error "no command"
usage_error "unknown command" frobnicate
usage_error "unknown option" check --frob src-ok.kv tgt.kv
usage_error "lint without files" lint
usage_error "lint bad format" lint --format=xml gvt.compat
usage_error "check one argument" check --policy gvt.compat src-ok.kv
usage_error "check three arguments" check --policy gvt.compat src-ok.kv tgt.kv tgt.kv
usage_error "check policy and dir" check --policy gvt.compat --policy-dir . src-ok.kv tgt.kv
usage_error "compile two files" compile gvt.compat uuid1.txt
usage_error "disasm no file" disasm
usage_error "targets bad limit" targets --policy gvt.compat --limit zero src-ok.kv
usage_error "facts no file" facts

run "$COMPATC" --help
expect_rc "--help: exit 0" 0
expect_stdout_has "--help: usage on stdout" "usage:"
expect_stdout_has "--help: names check" "compatc check"
expect_stdout_has "--help: names lint" "compatc lint"
expect_empty "--help: no stderr" err

run "$COMPATC" --version
expect_rc "--version: exit 0" 0
if grep -Eq '^compatc .*[0-9]+\.[0-9]+\.[0-9]+' "$OUT"; then
    pass "--version: prints a version"
else
    fail "--version: prints a version" "no version number" "$OUT"
fi
expect_empty "--version: no stderr" err

# ------------------------------------------------------------ check, text

run "$COMPATC" check --policy gvt.compat src-ok.kv tgt.kv
expect_rc "check compatible: exit 0" 0
expect_stdout "check compatible: one line" "compatible (block 0 current)"
expect_empty "check compatible: no stderr" err

run "$COMPATC" check --policy gvt.compat src-legacy.yaml tgt.kv
expect_rc "check second block (YAML source): exit 0" 0
expect_stdout "check second block: one line" "compatible (block 1)"

run "$COMPATC" check --policy gvt.compat src-bad.json tgt.kv
expect_rc "check incompatible (JSON source): exit 1" 1
expect_stdout "check incompatible: one line" "incompatible"
expect_empty "check incompatible: no stderr" err

run "$COMPATC" check --explain --policy gvt.compat src-bad.json tgt.kv
expect_rc "check --explain incompatible: exit 1" 1
expect_stdout_is "check --explain incompatible: one reason per block" <<'EOF'
incompatible
gvt.compat:10: block 0 (current): mdev_type 'i915-GVTg_V5_2' does not match i915-GVTg_V5_{tn} (tn = 4)
gvt.compat:15: block 1: mdev_type 'i915-GVTg_V5_2' does not match i915-GVTg_V5_{tn} (tn = 4)
EOF

run "$COMPATC" check --explain --policy gvt.compat src-ok.kv tgt.kv
expect_rc "check --explain compatible: exit 0" 0
expect_stdout_is "check --explain compatible: bindings" <<'EOF'
compatible (block 0 current)
  tn = 4
  tv = 1.3.0
  sv = 1.2.7
EOF

# options may come in any order, and --policy=FILE works too
run "$COMPATC" check src-ok.kv --policy=gvt.compat tgt.kv --explain
expect_rc "check options anywhere: exit 0" 0
expect_stdout_has "check options anywhere: verdict" "compatible (block 0 current)"

# ------------------------------------------------------------ check, JSON

run "$COMPATC" check --json --policy gvt.compat src-ok.kv tgt.kv
expect_rc "check --json compatible: exit 0" 0
expect_stdout "check --json compatible: object" \
    '{"compatible": true, "policy": "gvt-test", "block": 0, "block_name": "current", "bindings": {"tn": 4, "tv": "1.3.0", "sv": "1.2.7"}, "reasons": []}'
json_ok "check --json compatible: valid JSON"

run "$COMPATC" check --json --policy gvt.compat src-legacy.yaml tgt.kv
expect_rc "check --json unnamed block: exit 0" 0
expect_json "check --json unnamed block: block" 'j["block"]' 1
expect_json "check --json unnamed block: block_name null" 'j["block_name"]' null
expect_json "check --json: int bindings are numbers" 'j["bindings"]["tn"]' 4
expect_json "check --json: semver bindings are strings" 'j["bindings"]["tv"]' '"1.3.0"'

run "$COMPATC" check --json --policy gvt.compat src-bad.json tgt.kv
expect_rc "check --json incompatible: exit 1" 1
json_ok "check --json incompatible: valid JSON"
expect_stdout_has "check --json incompatible: compatible false" '"compatible": false'
expect_stdout_has "check --json incompatible: block null" '"block": null'
expect_json "check --json incompatible: one reason per block" 'len(j["reasons"])' 2
expect_json "check --json incompatible: reason block" 'j["reasons"][0]["block"]' 0
expect_json "check --json incompatible: reason block name" 'j["reasons"][0]["block_name"]' \
    '"current"'
expect_json "check --json incompatible: reason line" 'j["reasons"][0]["line"]' 10
expect_json "check --json incompatible: reason field" 'j["reasons"][0]["field"]' '"mdev_type"'
expect_json "check --json incompatible: reason actual" 'j["reasons"][0]["actual"]' \
    '"i915-GVTg_V5_2"'
expect_json "check --json incompatible: second reason line" 'j["reasons"][1]["line"]' 15
expect_json "check --json incompatible: message is a string" \
    'type(j["reasons"][1]["message"]).__name__' '"str"'

# a where rule: field null
printf 'device_api=vfio-pci\nmdev_type=i915-GVTg_V5_4\nsoftware_version=1.9.0\n' >"$T/newer.kv"
run "$COMPATC" check --json --policy gvt.compat "$T/newer.kv" tgt.kv
expect_rc "check --json where fails: exit 1" 1
expect_json "check --json where fails: field null" 'j["reasons"][0]["field"]' null
expect_json "check --json where fails: line" 'j["reasons"][0]["line"]' 12

# ------------------------------------------------------------ target mismatch

run "$COMPATC" check --policy gvt.compat src-ok.kv tgt-ccw.kv
expect_rc "target-mismatch: exit 2" 2
expect_empty "target-mismatch: nothing on stdout" out
expect_stderr_starts "target-mismatch: stderr" "compatc: "
expect_stderr_has "target-mismatch: stderr names it" "target-mismatch"
expect_stderr_has "target-mismatch: stderr names the target" "tgt-ccw.kv"
expect_stderr_has "target-mismatch: stderr names the rule" "gvt.compat:5"

run "$COMPATC" check --json --policy gvt.compat src-ok.kv tgt-ccw.kv
expect_rc "target-mismatch --json: exit 2" 2
json_ok "target-mismatch --json: valid JSON"
expect_stdout_has "target-mismatch --json: error object" '{"error": "target-mismatch", "message": '
expect_json "target-mismatch --json: message names the field" \
    '"device_api" in j["message"]' true

# ------------------------------------------------------------ self-describing (2.8)

run "$COMPATC" check uuid2.txt uuid1.txt
expect_rc "UUID2 -> UUID1: exit 0" 0
expect_stdout "UUID2 -> UUID1: second block" "compatible (block 1)"

run "$COMPATC" check --json uuid2.txt uuid1.txt
expect_stdout "UUID2 -> UUID1 --json" \
    '{"compatible": true, "policy": "uuid1", "block": 1, "block_name": null, "bindings": {"val1": 4}, "reasons": []}'

run "$COMPATC" check --explain uuid1.txt uuid2.txt
expect_rc "UUID1 -> UUID2: exit 1" 1
expect_stdout_is "UUID1 -> UUID2: interface_version" <<'EOF'
incompatible
uuid2.txt:12: block 0: interface_version is '3', expected '1'
EOF

run "$COMPATC" check --json uuid1.txt uuid2.txt
expect_json "UUID1 -> UUID2 --json: field" 'j["reasons"][0]["field"]' '"interface_version"'
expect_json "UUID1 -> UUID2 --json: expected" 'j["reasons"][0]["expected"]' '"1"'
expect_json "UUID1 -> UUID2 --json: actual" 'j["reasons"][0]["actual"]' '"3"'

run "$COMPATC" check uuid1.txt uuid1.txt
expect_rc "UUID1 -> UUID1: exit 0" 0
expect_stdout "UUID1 -> UUID1: first block" "compatible (block 0)"

# a self-describing target's text is a policy: a broken one is an error
printf 'SELF:\n\tdevice_type=pci\nCOMPATIBLE:\n\ttype={x:nope}\n' >"$T/broken.txt"
run "$COMPATC" check uuid2.txt "$T/broken.txt"
expect_rc "broken self-describing target: exit 2" 2
expect_stderr_has "broken self-describing target: diagnostic" "unknown type 'nope'"

# a plain key=value target has no COMPATIBLE block: the default directory
# judges it, here one no policy of which describes it
mkdir -p "$T/empty-pdir"
run env DEVCOMPAT_POLICY_DIR="$T/empty-pdir" "$COMPATC" check src-ok.kv tgt.kv
expect_rc "plain target without --policy: exit 2" 2
expect_stderr_has "plain target without --policy: names it" "no-policy: tgt.kv: "

# ------------------------------------------------------------ --policy-dir

mkdir -p "$T/pd"
cp gvt.compat "$T/pd/gvt.compat"
cp uuid2.txt "$T/pd/uuid2.compat"
printf 'not a policy\n' >"$T/pd/README"
run "$COMPATC" check --policy-dir "$T/pd" src-ok.kv tgt.kv
expect_rc "policy-dir picks the target's policy: exit 0" 0
expect_stdout "policy-dir picks the target's policy" "compatible (block 0 current)"
run "$COMPATC" check --policy-dir "$T/pd" uuid1.txt uuid2.txt
expect_rc "policy-dir picks the other policy: exit 1" 1

printf 'device_api=vfio-ap\n' >"$T/ap.kv"
run "$COMPATC" check --policy-dir "$T/pd" src-ok.kv "$T/ap.kv"
expect_rc "no-policy: exit 2" 2
expect_stderr_starts "no-policy: stderr" "compatc: "
expect_stderr_has "no-policy: named" "no-policy"
expect_stderr_has "no-policy: names the target" "ap.kv"
run "$COMPATC" check --json --policy-dir "$T/pd" src-ok.kv "$T/ap.kv"
expect_rc "no-policy --json: exit 2" 2
expect_stdout_has "no-policy --json: error object" '{"error": "no-policy"'
json_ok "no-policy --json: valid JSON"

cp gvt.compat "$T/pd/gvt-copy.compat"
run "$COMPATC" check --policy-dir "$T/pd" src-ok.kv tgt.kv
expect_rc "ambiguous-policy: exit 2" 2
expect_stderr_has "ambiguous-policy: named" "ambiguous-policy"
expect_stderr_has "ambiguous-policy: names the first file" "gvt.compat"
expect_stderr_has "ambiguous-policy: names the second file" "gvt-copy.compat"
run "$COMPATC" check --json --policy-dir "$T/pd" src-ok.kv tgt.kv
expect_stdout_has "ambiguous-policy --json: error object" '{"error": "ambiguous-policy"'

run "$COMPATC" check --policy-dir "$T/no-such-dir" src-ok.kv tgt.kv
expect_rc "missing policy dir: exit 2" 2
expect_stderr_has "missing policy dir: named" "no-such-dir"

# a policy dir holding a broken policy: reported, and the others still
# judge (docs/embedding.md, "Policy sets")
mkdir -p "$T/pd2"
cp gvt.compat "$T/pd2/"
printf 'SELF:\n  a = {x:nope}\nCOMPATIBLE:\n  a = 1\n' >"$T/pd2/broken.compat"
run "$COMPATC" check --policy-dir "$T/pd2" src-ok.kv tgt.kv
expect_rc "policy dir with a broken policy: the other judges, exit 0" 0
expect_stdout "policy dir with a broken policy: answer" "compatible (block 0 current)"
expect_stderr_has "policy dir with a broken policy: names it" "broken.compat"
expect_stderr_has "policy dir with a broken policy: not used" "(not used)"
# ... but when no readable policy describes the target, the broken one is named
printf 'device_api=vfio-ccw\n' >"$T/ccw.kv"
run "$COMPATC" check --policy-dir "$T/pd2" src-ok.kv "$T/ccw.kv"
expect_rc "no-policy with a broken policy: exit 2" 2
expect_stderr_has "no-policy with a broken policy: names it" "1 could not be read: $T/pd2/broken.compat"
# a .cbc-named file without the magic is not compiled as source
printf 'SELF:\n  a = 1\nCOMPATIBLE:\n  a = 1\n' >"$T/fake.cbc"
run "$COMPATC" check --policy "$T/fake.cbc" src-ok.kv tgt.kv
expect_rc "a .cbc without magic: exit 2" 2
expect_stderr_has "a .cbc without magic: says so" "fake.cbc: not a compiled policy (bad magic)"

# ------------------------------------------------------------ unreadable inputs

for args in "missing.kv tgt.kv" "src-ok.kv missing.kv"; do
    # shellcheck disable=SC2086
    run "$COMPATC" check --policy gvt.compat $args
    expect_rc "missing facts file ($args): exit 2" 2
    expect_stderr_starts "missing facts file ($args): stderr" "compatc: missing.kv: "
    expect_empty "missing facts file ($args): no stdout" out
done

mkdir -p "$T/adir"
run "$COMPATC" check --policy gvt.compat "$T/adir" tgt.kv
expect_rc "directory as facts: exit 2" 2
expect_stderr_starts "directory as facts: stderr" "compatc: $T/adir: "

if [ "$(id -u)" -ne 0 ]; then
    cp src-ok.kv "$T/secret.kv"
    chmod 000 "$T/secret.kv"
    run "$COMPATC" check --policy gvt.compat "$T/secret.kv" tgt.kv
    expect_rc "unreadable facts: exit 2" 2
    expect_stderr_starts "unreadable facts: stderr" "compatc: $T/secret.kv: "
    chmod 600 "$T/secret.kv"
else
    echo "skip  unreadable facts (running as root)"
fi

printf 'device_api=vfio-pci\ndevice_api=vfio-ccw\n' >"$T/dup.kv"
run "$COMPATC" check --policy gvt.compat "$T/dup.kv" tgt.kv
expect_rc "invalid facts (duplicate): exit 2" 2
expect_stderr_starts "invalid facts (duplicate): stderr" "compatc: $T/dup.kv"
expect_stderr_has "invalid facts (duplicate): names the fact" "device_api"

run "$COMPATC" check --policy missing.compat src-ok.kv tgt.kv
expect_rc "missing policy: exit 2" 2
expect_stderr_has "missing policy: named" "missing.compat"

run "$COMPATC" check --policy lint-a.compat src-ok.kv tgt.kv
expect_rc "policy with errors: exit 2" 2
expect_stderr_has "policy with errors: diagnostic on stderr" "lint-a.compat:4:18: error:"

# ------------------------------------------------------------ lint

run "$COMPATC" lint gvt.compat uuid1.txt uuid2.txt
expect_rc "lint clean files: exit 0" 0
expect_empty "lint clean files: no output" out

run "$COMPATC" lint lint-a.compat gvt.compat lint-b.compat
expect_rc "lint several files: exit 1" 1
expect_stdout_is "lint several files: every error of every file" <<'EOF'
lint-a.compat:4:18: error: undeclared variable 'k'
    aggregator = {k}/2
                 ^~~
lint-b.compat:2:16: error: '==' in a rule: a rule's operator is '='
    device_api == vfio-pci
               ^~
lint-b.compat:4:16: error: empty constraint: the range 9..1 holds no value
    a = {x:int:9..1}
               ^~~~
EOF

run "$COMPATC" lint --format=json lint-a.compat lint-b.compat
expect_rc "lint --format=json: exit 1" 1
json_ok "lint --format=json: valid JSON"
expect_json "lint --format=json: three diagnostics" 'len(j)' 3
expect_json "lint --format=json: keys" 'sorted(set(j[0]) & {"file","line","col","severity","message"})' \
    '["col", "file", "line", "message", "severity"]'
expect_json "lint --format=json: second file" 'j[2]["file"]' '"lint-b.compat"'
expect_json "lint --format=json: severity" 'j[0]["severity"]' '"error"'

run "$COMPATC" lint lint-a.compat missing.compat lint-b.compat
expect_rc "lint with a missing file: exit 2" 2
expect_stderr_starts "lint with a missing file: stderr" "compatc: missing.compat: "
expect_stdout_has "lint with a missing file: other files still linted" "lint-b.compat:4:16"

printf 'SELF:\n    a = {x:int}\nCOMPATIBLE:\n    a = 1\n' >"$T/warn.compat"
run "$COMPATC" lint "$T/warn.compat"
expect_rc "lint warnings only: exit 0" 0
expect_stdout_has "lint warnings only: printed" "warning: unused variable 'x'"
run "$COMPATC" lint --werror "$T/warn.compat"
expect_rc "lint --werror with warnings: exit 1" 1

# ------------------------------------------------------------ compile and disasm

run "$COMPATC" compile gvt.compat -o "$T/gvt.cbc"
expect_rc "compile: exit 0" 0
if [ -s "$T/gvt.cbc" ]; then pass "compile: writes the .cbc"; else fail "compile: writes the .cbc" "no file"; fi

run "$COMPATC" check --json --policy "$T/gvt.cbc" src-bad.json tgt.kv
cp "$OUT" "$T/from-cbc.json"
run "$COMPATC" check --json --policy gvt.compat src-bad.json tgt.kv
if cmp -s "$OUT" "$T/from-cbc.json"; then
    pass "compiled policy gives the same result, reasons included"
else
    diff "$OUT" "$T/from-cbc.json" >"$T/.d"
    fail "compiled policy gives the same result, reasons included" "differs" "$T/.d"
fi

run "$COMPATC" compile lint-a.compat -o "$T/lint-a.cbc"
expect_rc "compile with errors: exit 1" 1
expect_stderr_has "compile with errors: diagnostics" "undeclared variable 'k'"

run "$COMPATC" disasm "$T/gvt.cbc"
expect_rc "disasm: exit 0" 0
for op in RULE EQSTR MATCH LOADF WHERE OK; do
    expect_stdout_has "disasm: names opcode $op" "$op"
done
expect_stdout_has "disasm: names the block" "current"
expect_stdout_has "disasm: names a field" "mdev_type"

printf 'garbage\0\1\2' >"$T/bad.cbc"
run "$COMPATC" disasm "$T/bad.cbc"
expect_rc "disasm of garbage: exit 2" 2
expect_stderr_has "disasm of garbage: names the file" "bad.cbc"

# ------------------------------------------------------------ facts

run "$COMPATC" facts tgt.kv
expect_rc "facts: exit 0" 0
expect_stdout_is "facts: sorted name=value" <<'EOF'
device_api=vfio-pci
mdev_type=i915-GVTg_V5_4
software_version=1.3.0
EOF
run "$COMPATC" facts --format=json src-legacy.yaml
expect_rc "facts --format=json: exit 0" 0
expect_stdout "facts --format=json: one flat object" \
    '{"device_api": "vfio-pci", "legacy": "yes", "mdev_type": "i915-GVTg_V5_4", "software_version": "2.0.0"}'
run "$COMPATC" facts uuid1.txt
expect_stdout_has "facts of a self-describing text: its SELF block" "interface_version=3"
expect_stdout_lacks "facts of a self-describing text: not its COMPATIBLE blocks" "val1"


# ------------------------------------------------------------ the CLI a person meets

for cmd in lint compile disasm facts check match targets test to-cel; do
    run "$COMPATC" $cmd --help
    expect_rc "$cmd --help: exit 0" 0
    expect_stdout_has "$cmd --help: usage" "usage: compatc $cmd"
    expect_stdout_has "$cmd --help: an example" "example: compatc $cmd"
    expect_stdout_has "$cmd --help: exit codes" "exit: 0"
done
run "$COMPATC" --help
expect_stdout_has "--help: lists --sysfs-root" "--sysfs-root ROOT"
expect_stdout_has "--help: test takes .cbc" "FILE.compat|FILE.cbc"
expect_stdout_has "--help: the default policy dir" "default /"
run "$COMPATC" check --polcy gvt.compat src-ok.kv tgt.kv
expect_rc "unknown option: exit 2" 2
expect_stderr_has "unknown option: the closest" "unknown option '--polcy' (did you mean '--policy'?)"
run "$COMPATC" check src-ok.kv tgt.kv --policy
expect_rc "missing option value: exit 2" 2
expect_stderr_has "missing option value: says so" "'--policy' needs a FILE"
run "$COMPATC" check --policy gvt.compat --policy gvt.compat src-ok.kv tgt.kv
expect_rc "repeated --policy: exit 2" 2
expect_stderr_has "repeated --policy: says so" "'--policy' given twice"
run "$COMPATC" --version extra
expect_rc "--version extra: exit 2" 2
expect_stderr_has "--version extra: usage error" "--version takes no arguments"
# Without --policy or --policy-dir every command takes the default
# directory ($DEVCOMPAT_POLICY_DIR, else the installed one); check takes a
# self-describing target's own text first.
mkdir -p "$T/pdir" "$T/nodir" "$T/inv1"
cp gvt.compat "$T/pdir/"
cp tgt.kv "$T/inv1/a.kv"
run env DEVCOMPAT_POLICY_DIR="$T/pdir" "$COMPATC" check src-ok.kv tgt.kv
expect_rc "check without --policy: the default directory judges, exit 0" 0
expect_stdout_is "check without --policy: the default directory's policy" <<'EOF'
compatible (block 0 current)
EOF
run env DEVCOMPAT_POLICY_DIR="$T/pdir" "$COMPATC" match src-ok.kv "$T/inv1"
expect_rc "match without --policy: the default directory, exit 0" 0
expect_stdout_has "match without --policy: the default directory's policy" "compatible (block 0 current)"
run env DEVCOMPAT_POLICY_DIR="$T/pdir" "$COMPATC" targets src-ok.kv
expect_stdout_has "targets without --policy: the default directory's policy" "gvt-test: "
run env DEVCOMPAT_POLICY_DIR="$T/pdir" "$COMPATC" to-cel src-ok.kv
expect_rc "to-cel without --policy: the default directory, one policy, used" 2
expect_stderr_has "to-cel without --policy: the directory's one policy, named" "gvt.compat:"
cp "$T/pdir/gvt.compat" "$T/pdir/gvt-copy.compat"
run env DEVCOMPAT_POLICY_DIR="$T/pdir" "$COMPATC" to-cel src-ok.kv
expect_rc "to-cel: a directory of several policies, refused" 2
expect_stderr_has "to-cel: a directory of several policies, why" "holds 2 usable policies"
rm "$T/pdir/gvt-copy.compat"
run env DEVCOMPAT_POLICY_DIR="$T/pdir" "$COMPATC" check uuid2.txt uuid1.txt
expect_rc "check: a self-describing target is its own policy first" 0
run env DEVCOMPAT_POLICY_DIR="$T/nodir" "$COMPATC" check src-ok.kv tgt.kv
expect_rc "check without --policy, no policy claims the target: exit 2" 2
expect_stderr_has "check without --policy, no policy: says what to do" \
    "(the default policy directory, used without --policy or --policy-dir: give one)"
[ "$(wc -l <"$ERR")" -eq 1 ] && pass "check without --policy: one line" ||
    fail "check without --policy: $(wc -l <"$ERR") lines"
run env DEVCOMPAT_POLICY_DIR="$T/absent" "$COMPATC" match src-ok.kv "$T/inv1"
expect_rc "match, the default directory absent: exit 2" 2
expect_stderr_has "match, the default directory absent: says what to do" \
    "absent: No such file or directory (the default policy directory"

# An inventory id over the limit is worded alike by every command
awk 'BEGIN { s = ""; for (i = 0; i < 600; i++) s = s "d"; print "- {id: " s ", a: 1}" }' >"$T/longid.yaml"
run "$COMPATC" facts "$T/longid.yaml"
expect_rc "facts: an id over the limit, exit 2" 2
cp "$ERR" "$T/longid.facts"
expect_stderr_has "facts: an id over the limit, named" "is longer than 511 bytes (the limit)"
run "$COMPATC" match --policy gvt.compat src-ok.kv "$T/longid.yaml"
expect_rc "match: an id over the limit, exit 2" 2
if cmp -s "$ERR" "$T/longid.facts"; then pass "match: the id limit worded as facts words it"; else fail "match: the id limit worded differently" "" "$ERR"; fi

# match: one line per device, exit 1 when none is compatible
mkdir -p "$T/inv"
cp tgt.kv "$T/inv/a.kv"
printf 'device_api=vfio-ccw\n' >"$T/inv/b.kv"
run "$COMPATC" match --policy gvt.compat src-ok.kv "$T/inv"
expect_rc "match text: one compatible, exit 0" 0
expect_stdout_has "match text: a compatible" "a compatible (block 0 current)"
expect_stdout_has "match text: b error" "b error: target-mismatch: not a target of policy"
rm "$T/inv/a.kv"
run "$COMPATC" match --policy gvt.compat src-ok.kv "$T/inv"
expect_rc "match: none compatible, exit 1" 1

# a file name with a control character stays one line in text output
bad=$(printf '%s/bad\033name.compat' "$T")
printf 'SELF:\n  a = {x:nope}\nCOMPATIBLE:\n  a = 1\n' >"$bad"
run "$COMPATC" lint "$bad"
expect_stdout_has "lint: a control character in a file name is escaped" 'bad\x1Bname.compat:2:'
if grep -q "$(printf '\033')" "$OUT" "$ERR"; then fail "lint: raw escape byte echoed"; else pass "lint: no raw escape byte"; fi


# compatc test: swapped arguments, and a block: naming no block, before any case runs
printf -- '- name: one\n  source: {a: 1}\n  target: {a: 1}\n  expect: compatible\n  block: nosuch\n' >"$T/cases.yaml"
run "$COMPATC" test "$T/cases.yaml" gvt.compat
expect_rc "test with swapped arguments: exit 2" 2
expect_stderr_has "test with swapped arguments: says so" "test takes the policy first, then the cases"
run "$COMPATC" test gvt.compat "$T/cases.yaml"
expect_rc "test: unknown block: exit 2" 2
expect_stderr_has "test: unknown block: named, by name and position" "case 1 'one': block 'nosuch' is not a block of gvt.compat"
expect_stdout_lacks "test: unknown block: no case ran" "passed"

# compatc is a client of the public header: only the disassembler (in
# compatc.c) reads library internals
for f in "$top_srcdir"/src/cli_*.c; do
    if grep '^#include "' "$f" | grep -qv '"compatc.h"'; then
        fail "$(basename "$f"): includes only compatc.h" "" "$f"
    else
        pass "$(basename "$f"): includes only compatc.h"
    fi
done

finish
