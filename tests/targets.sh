#!/bin/sh
# targets.sh -- `compatc targets` and `compatc test` (docs/targets.md):
# exact outputs, exit statuses and error messages.
[ -n "$COMPATC" ] || exit 77
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$srcdir/tests/data/targets" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/dc-targets.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
passed=0 failed=0

# run CMD...: stdout in $T/out, stderr in $T/err, status in $rc
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# expect NAME RC: the last run exited RC and printed exactly stdin
expect() {
    cat >"$T/want"
    if [ "$rc" = "$2" ] && cmp -s "$T/want" "$T/out"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $1 (exit $rc, want $2)"
        diff "$T/want" "$T/out" | sed 's/^/    /'
        sed 's/^/    stderr: /' "$T/err"
    fi
}

# expect_err NAME RC TEXT: the last run exited RC and stderr holds TEXT
expect_err() {
    if [ "$rc" = "$2" ] && grep -qF -- "$3" "$T/err"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $1 (exit $rc, want $2; stderr lacks '$3')"
        sed 's/^/    stderr: /' "$T/err"
    fi
}

# ------------------------------------------------------------ targets

run "$COMPATC" targets --policy policies/share.compat src.kv
expect "targets: share, text" 0 <<'EOF'
share: aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_2
share: aggregator=2 device_api=vfio-pci mdev_type=i915-GVTg_V5_4
share: aggregator=4 device_api=vfio-pci mdev_type=i915-GVTg_V5_8
EOF

run "$COMPATC" targets --json --policy policies/share.compat src.kv
expect "targets: share, json" 0 <<'EOF'
{"policy": "share", "file": "policies/share.compat", "targets": [{"block": 0, "block_name": null, "facts": {"aggregator": "1", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_2"}, "open": {}, "decided": true}, {"block": 0, "block_name": null, "facts": {"aggregator": "2", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_4"}, "open": {}, "decided": true}, {"block": 0, "block_name": null, "facts": {"aggregator": "4", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_8"}, "open": {}, "decided": true}], "limited": false, "tried": 24}
EOF

run "$COMPATC" targets --policy policies/gvt.compat src.kv
expect "targets: open facts, text" 0 <<'EOF'
gvt: device_api=vfio-pci mdev_type=i915-GVTg_V5_4 [pci_id = {pid:hex}; requires pci_id = 8086591d] [software_version = {tv:semver}; requires major(tv) == 1 && minor(tv) >= 2]
EOF

run "$COMPATC" targets --json --policy policies/gvt.compat src.kv
expect "targets: open facts, json" 0 <<'EOF'
{"policy": "gvt", "file": "policies/gvt.compat", "targets": [{"block": 0, "block_name": "same_type", "facts": {"device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_4"}, "open": {"pci_id": {"constraint": "pci_id = {pid:hex}", "requires": "pci_id = 8086591d"}, "software_version": {"constraint": "software_version = {tv:semver}", "requires": "major(tv) == 1 && minor(tv) >= 2"}}, "decided": true}], "limited": false, "tried": 2}
EOF

run "$COMPATC" targets --policy-dir policies src.kv
expect "targets: a policy directory, text" 0 <<'EOF'
gvt: device_api=vfio-pci mdev_type=i915-GVTg_V5_4 [pci_id = {pid:hex}; requires pci_id = 8086591d] [software_version = {tv:semver}; requires major(tv) == 1 && minor(tv) >= 2]
share: aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_2
share: aggregator=2 device_api=vfio-pci mdev_type=i915-GVTg_V5_4
share: aggregator=4 device_api=vfio-pci mdev_type=i915-GVTg_V5_8
EOF

run "$COMPATC" targets --json --policy-dir policies src.kv
expect "targets: a policy directory, json (one line per policy)" 0 <<'EOF'
{"policy": "ccw", "file": "policies/ccw.compat", "targets": [], "limited": false, "tried": 2}
{"policy": "gvt", "file": "policies/gvt.compat", "targets": [{"block": 0, "block_name": "same_type", "facts": {"device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_4"}, "open": {"pci_id": {"constraint": "pci_id = {pid:hex}", "requires": "pci_id = 8086591d"}, "software_version": {"constraint": "software_version = {tv:semver}", "requires": "major(tv) == 1 && minor(tv) >= 2"}}, "decided": true}], "limited": false, "tried": 2}
{"policy": "share", "file": "policies/share.compat", "targets": [{"block": 0, "block_name": null, "facts": {"aggregator": "1", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_2"}, "open": {}, "decided": true}, {"block": 0, "block_name": null, "facts": {"aggregator": "2", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_4"}, "open": {}, "decided": true}, {"block": 0, "block_name": null, "facts": {"aggregator": "4", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_8"}, "open": {}, "decided": true}], "limited": false, "tried": 24}
EOF

# a domain larger than the limit stays open rather than being cut
run "$COMPATC" targets --policy policies/share.compat src.kv --limit 3
expect "targets: --limit smaller than a domain" 0 <<'EOF'
share: device_api=vfio-pci mdev_type=i915-GVTg_V5_2 [aggregator = {agg:int:1..8}; requires 4 * agg / 2 == 2]
share: device_api=vfio-pci mdev_type=i915-GVTg_V5_4 [aggregator = {agg:int:1..8}; requires 4 * agg / 4 == 2]
share: device_api=vfio-pci mdev_type=i915-GVTg_V5_8 [aggregator = {agg:int:1..8}; requires 4 * agg / 8 == 2]
EOF

# combinations beyond the limit are not tried, and stderr says so: the
# first 10 are n=2 with agg 1..8, then n=4 with agg 1..2
run "$COMPATC" targets --policy policies/share.compat src.kv --limit 10
expect "targets: --limit cuts the combinations" 0 <<'EOF'
share: aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_2
share: aggregator=2 device_api=vfio-pci mdev_type=i915-GVTg_V5_4
EOF
expect_err "targets: --limit is reported" 0 \
    "policies/share.compat: more than 10 combinations of SELF's variables: only the first 10 were tried (--limit)"

run "$COMPATC" targets --json --policy policies/share.compat src.kv --limit=10
expect "targets: --limit in json" 0 <<'EOF'
{"policy": "share", "file": "policies/share.compat", "targets": [{"block": 0, "block_name": null, "facts": {"aggregator": "1", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_2"}, "open": {}, "decided": true}, {"block": 0, "block_name": null, "facts": {"aggregator": "2", "device_api": "vfio-pci", "mdev_type": "i915-GVTg_V5_4"}, "open": {}, "decided": true}], "limited": true, "tried": 10}
EOF

run "$COMPATC" targets --policy policies/share.compat src-ccw.kv
expect "targets: no target, exit 1" 1 </dev/null
expect_err "targets: no target is reported" 1 \
    "compatc: src-ccw.kv: no target of policies/share.compat accepts this source"

run "$COMPATC" targets --policy-dir policies src-ccw.kv
expect "targets: one policy of a directory answers" 0 <<'EOF'
ccw: device_api=vfio-ccw subchannel_type=io
EOF

# the same answer from a compiled policy
run "$COMPATC" compile policies/share.compat -o "$T/share.cbc"
run "$COMPATC" targets --policy "$T/share.cbc" src.kv
expect "targets: .cbc policy" 0 <<'EOF'
share: aggregator=1 device_api=vfio-pci mdev_type=i915-GVTg_V5_2
share: aggregator=2 device_api=vfio-pci mdev_type=i915-GVTg_V5_4
share: aggregator=4 device_api=vfio-pci mdev_type=i915-GVTg_V5_8
EOF

run "$COMPATC" targets --policy policies/share.compat
expect_err "targets: no SOURCE, exit 2" 2 "targets takes one SOURCE"
run "$COMPATC" targets --policy policies/share.compat nosuch.kv
expect_err "targets: unreadable SOURCE, exit 2" 2 "compatc: nosuch.kv: "
run "$COMPATC" targets --policy nosuch.compat src.kv
expect_err "targets: unreadable policy, exit 2" 2 "compatc: nosuch.compat: "
run "$COMPATC" targets --policy policies/share.compat src.kv --limit 0
expect_err "targets: --limit 0, exit 2" 2 "--limit takes a positive integer"

# ------------------------------------------------------------ test

run "$COMPATC" test policies/share.compat cases.yaml
expect "test: all pass, exit 0" 0 <<'EOF'
5 passed, 0 failed
EOF

run "$COMPATC" test policies/share.compat cases-fail.yaml
expect "test: failing cases, exit 1" 1 <<'EOF'
FAIL wrong verdict: expected compatible, got incompatible: policies/share.compat:11: aggregator is '2', expected '4' (m = 8; agg = 2; n = 4)
FAIL not an error: expected error, got compatible (block 0)
FAIL mismatch: expected incompatible, got error: target-mismatch: policies/share.compat:5: device_api is 'vfio-ap', expected 'vfio-pci'
FAIL invalid facts: expected incompatible, got error: invalid facts: cases-fail.yaml:18:12: invalid fact name '9lives': a segment must start with a letter or '_'
1 passed, 4 failed
EOF

# a case file in another directory: facts files are relative to it
cp cases.yaml src.kv src-ccw.kv "$T/"
run "$COMPATC" test policies/share.compat "$T/cases.yaml"
expect "test: facts files relative to the cases" 0 <<'EOF'
5 passed, 0 failed
EOF

printf '' >"$T/empty.yaml"
run "$COMPATC" test policies/share.compat "$T/empty.yaml"
expect "test: no cases" 0 <<'EOF'
0 passed, 0 failed
EOF

# file errors: exit 2, nothing on stdout, the file and position named
bad() {
    printf '%s\n' "$2" >"$T/bad.yaml"
    run "$COMPATC" test policies/share.compat "$T/bad.yaml"
    expect "test: $1: nothing printed" 2 </dev/null
    expect_err "test: $1" 2 "$T/bad.yaml:$3"
}
bad "bad YAML" '- {name: a, source: {a: 1}' "2:1: did not find expected ',' or '}'"
bad "not a sequence" 'name: a' "1:1: the cases must be a sequence of mappings, not a mapping"
bad "a case not a mapping" '- just a string' "1:3: case 1: a case is a mapping"
bad "missing name" '- {source: {}, target: {}, expect: error}' "1:3: case 1: no 'name'"
bad "missing target" '- {name: a, source: {}, expect: error}' "1:3: case 1: no 'target'"
bad "missing expect" '- {name: a, source: {}, target: {}}' "1:3: case 1: no 'expect'"
bad "unknown expect" '- {name: a, source: {}, target: {}, expect: maybe}' \
    "1:45: case 1 'a': expect must be compatible, incompatible or error, not 'maybe'"
bad "unknown key" '- {name: a, source: {}, target: {}, expect: error, expct: 1}' \
    "1:52: case 1: unknown key 'expct'"
bad "duplicate key" '- {name: a, name: b, source: {}, target: {}, expect: error}' \
    "1:13: case 1: duplicate key 'name'"
bad "duplicate name" '- {name: a, source: {}, target: {}, expect: error}
- {name: a, source: {}, target: {}, expect: error}' "2: case 2: duplicate case name 'a' (first at line 1)"
bad "block without compatible" '- {name: a, source: {}, target: {}, expect: error, block: 1}' \
    "1:59: case 1 'a': block (an index or a block name) goes with expect: compatible"
bad "a sequence of facts" '- {name: a, source: [a], target: {}, expect: error}' \
    "1:21: case 1 'a': source must be a mapping of facts or a facts file name"
bad "missing facts file" '- {name: a, source: nosuch.kv, target: {}, expect: error}' \
    "1: case 1 'a': source: $T/nosuch.kv: "
bad "alias" '- {name: a, source: &x {}, target: *x, expect: error}' \
    "1:36: YAML aliases (*name) are not supported in the cases"
bad "two documents" '- {name: a, source: {}, target: {}, expect: error}
---
- {name: b, source: {}, target: {}, expect: error}' "2: a second YAML document"

# a case's facts read as a YAML facts file's: its self mapping is the facts,
# a key twice is invalid facts (an error, not a file error)
cat >"$T/yaml.yaml" <<'EOF'
- name: self mapping
  source: {self: {device_api: vfio-pci, mdev_type: i915-GVTg_V5_4, aggregator: 2}}
  target: {device_api: vfio-pci, mdev_type: i915-GVTg_V5_4, aggregator: 2}
  expect: compatible
- name: key twice
  source: {device_api: vfio-pci, params: {a: 1}, params: {b: 2}}
  target: {device_api: vfio-pci, mdev_type: i915-GVTg_V5_4, aggregator: 2}
  expect: incompatible
EOF
run "$COMPATC" test policies/share.compat "$T/yaml.yaml"
expect "test: facts read as YAML facts files are" 1 <<EOF
FAIL key twice: expected incompatible, got error: invalid facts: $T/yaml.yaml:6:50: duplicate key 'params' (first at line 6)
1 passed, 1 failed
EOF

run "$COMPATC" test policies/share.compat
expect_err "test: usage, exit 2" 2 "test takes a policy and a cases file"
run "$COMPATC" test policies/share.compat nosuch.yaml
expect_err "test: unreadable cases, exit 2" 2 "compatc: nosuch.yaml: "
run "$COMPATC" test nosuch.compat cases.yaml
expect_err "test: unreadable policy, exit 2" 2 "compatc: nosuch.compat: "

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
