"""Every shipped policy's test cases (policies/**/NAME.cases.yaml) replayed
through Python: each case gets the outcome its file expects, and
`compatc test` on the same cases, with the outcomes Python computed as the
expectations, passes them all: the two agree case by case."""
import glob
import json
import os

import pytest
import yaml

import devcompat
from conftest import POLICIES, compatc

NULL = "tag:yaml.org,2002:null"


def plain(node):
    """A YAML node as JSON-ready data with every scalar kept as its text, so
    that the library reads it exactly as it reads the YAML (1.10 stays 1.10)."""
    if isinstance(node, yaml.MappingNode):
        return {plain(k): plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [plain(v) for v in node.value]
    return None if node.tag == NULL and node.style is None else node.value


def case_files():
    found = []
    for cases in sorted(glob.glob(os.path.join(POLICIES, "**", "*.cases.yaml"), recursive=True)):
        stem = cases[:-len(".cases.yaml")]
        policy = next((stem + ext for ext in (".compat", ".cbc", ".txt")
                       if os.path.exists(stem + ext)), None)
        if policy:
            found.append((policy, cases))
    return found


def side(policy_dir, node):
    if isinstance(node, yaml.ScalarNode) and not (node.tag == NULL and node.style is None):
        path = os.path.join(policy_dir, node.value)
        return devcompat.Facts.read(path), path
    data = plain(node)
    return devcompat.Facts.parse(json.dumps(data or {}), format="json"), data


def outcome(policy, src_node, tgt_node, where):
    """(expect, block) as `compatc test` names them, and the sides as data."""
    try:
        src, src_data = side(where, src_node)
        tgt, tgt_data = side(where, tgt_node)
        r = policy.check(src, tgt)
    except devcompat.FactsError:
        return ("error", None), None
    verdict = {"target-mismatch": "error"}.get(r.verdict, r.verdict)
    return (verdict, r.block), (src_data, tgt_data)


def test_cases_exist():
    assert len(case_files()) >= 4


@pytest.mark.parametrize("policy_file,cases_file", case_files(),
                         ids=[os.path.basename(c) for _, c in case_files()])
def test_cases_replayed(tmp_path, policy_file, cases_file):
    policy = devcompat.Policy.from_file(policy_file)
    with open(cases_file) as f:
        root = yaml.compose(f)
    where = os.path.dirname(cases_file)
    replay = []
    for item in root.value:
        case = {k.value: v for k, v in item.value}
        (got, block), sides = outcome(policy, case["source"], case["target"], where)
        want = case["expect"].value
        assert got == want, "%s: case %r: Python says %s" % (cases_file, case["name"].value, got)
        if "block" in case:
            b = case["block"].value
            assert block == (int(b) if b.isdigit() else policy.blocks.index(b))
        entry = {"name": case["name"].value, "expect": got}
        if block is not None:
            entry["block"] = block
        for key, data, node in zip(("source", "target"), sides or (None, None),
                                   (case["source"], case["target"])):
            if data is None:       # an error case: give compatc the same input
                data = (os.path.join(where, node.value) if isinstance(node, yaml.ScalarNode)
                        and not (node.tag == NULL and node.style is None) else plain(node))
            entry[key] = data
        replay.append(entry)
    out = tmp_path / "replay.cases.yaml"
    out.write_text(json.dumps(replay, indent=1))
    rc, stdout, stderr = compatc("test", policy_file, str(out))
    assert stdout.strip().endswith("%d passed, 0 failed" % len(replay)), stdout + stderr
    assert rc == 0
    # And the shipped file itself passes in compatc, with as many cases.
    rc, stdout, _ = compatc("test", policy_file, cases_file)
    assert stdout.strip().endswith("%d passed, 0 failed" % len(replay))
