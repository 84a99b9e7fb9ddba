"""Checks: results, to_json() against `compatc check --json`, check_many
over lists and fleets, targets against `compatc targets --json`, PolicySet."""
import glob
import os

import pytest

import devcompat
from conftest import POLICIES, GVT_SOURCE, GVT_TARGET, compatc, compatc_json


def test_compatible_result(gvt, half, target):
    r = gvt.check(half, target)
    assert r.compatible is True and bool(r)
    assert r.verdict == "compatible"
    assert (r.block, r.block_name) == (0, "same_share")
    assert r.bindings == {"dev": "591d", "n": 4, "agg": 2, "tv": "1.2.0",
                          "tcaps": "context,hwsp,ppgtt", "m": 2, "sv": "1.1.3"}
    assert r.reasons == []
    assert r.policy is gvt
    assert r.source.policy is gvt and r.target.name == target.name
    assert "compatible (block 0)" in repr(r)


def test_incompatible_result(gvt, whole, target):
    r = gvt.check(whole, target)
    assert not r and r.compatible is False and r.verdict == "incompatible"
    assert r.block is None and r.block_name is None and r.bindings == {}
    assert [w.block for w in r.reasons] == [0, 1]
    why = r.reasons[0]
    assert (why.block_name, why.file, why.line, why.field) == \
        ("same_share", os.path.join(POLICIES, "gvt-share.compat"), 44, "aggregator")
    assert why.expected == "{m * agg / n}" and why.actual == "1"
    assert "inexact division" in why.message
    assert r.explain.splitlines()[0].startswith(why.file + ":44:")
    # the values involved, by name (a Reason still unpacks as 8 fields)
    assert why.values == {"m": 1, "agg": 2, "n": 4} and why.missing is None
    assert why.message.endswith("(m = 1; agg = 2; n = 4)")
    assert len(tuple(why)) == 8


def test_reason_missing_items():
    pol = devcompat.Policy.compile("SELF:\n    kind = t\n    features = {tf:set}\n"
                                   "COMPATIBLE:\n    features = {sf:set}\n"
                                   "    where subset(sf, tf)\n", name="f.compat")
    why = pol.check({"features": "a,macsec,b"}, {"kind": "t", "features": "a,b"}).reasons[0]
    assert why.missing == ["macsec"]
    assert why.values == {"sf": "a,b,macsec", "tf": "a,b"}
    assert why.message == ("condition is false: subset(sf, tf): missing macsec "
                           "(sf = a,b,macsec; tf = a,b)")


def test_target_mismatch_is_a_verdict(gvt, half):
    r = gvt.check(half, {"device_api": "vfio-ccw"})
    assert r.verdict == "target-mismatch" and not r.compatible
    assert len(r.reasons) == 1 and r.reasons[0].block is None
    d = r.to_dict()
    assert d["error"] == "target-mismatch"
    assert "not a target of policy i915-gvt-share" in d["message"]


def test_dicts_facts_and_prepared_mix(gvt):
    src = gvt.prepare(GVT_SOURCE)
    assert gvt.check(src, GVT_TARGET).compatible
    assert gvt.check(devcompat.Facts(GVT_SOURCE), gvt.prepare(GVT_TARGET)).compatible
    with pytest.raises(TypeError):
        gvt.check(src)
    with pytest.raises(TypeError):
        gvt.check(src, 42)
    with pytest.raises(TypeError):
        gvt.prepare(src)
    with pytest.raises(TypeError):
        devcompat.Prepared()


def test_prepared_for_another_policy(gvt):
    other = devcompat.Policy.from_file(os.path.join(POLICIES, "gvt-share.compat"))
    src = other.prepare(GVT_SOURCE)
    with pytest.raises(ValueError) as info:
        gvt.check(src, GVT_TARGET)
    assert "prepared for policy" in str(info.value)
    with pytest.raises(ValueError):
        gvt.check_many(gvt.prepare(GVT_SOURCE), [src])
    with pytest.raises(ValueError):
        gvt.check_many(src, [])
    with pytest.raises(ValueError):
        gvt.check_many(gvt.prepare(GVT_SOURCE), other.fleet([src]))


def pairs():
    """(policy, source, target) for every policy of policies/ and every two
    of its example devices (files named after it), self-describing too."""
    out = []
    for pol in sorted(glob.glob(os.path.join(POLICIES, "*.compat"))):
        stem = os.path.basename(pol)[:-len(".compat")]
        files = sorted(f for f in glob.glob(os.path.join(POLICIES, stem + "-*"))
                       if f.endswith((".kv", ".yaml", ".json", ".txt"))
                       and not f.endswith(".cases.yaml"))
        names = [os.path.basename(f) for f in files]
        out += [(os.path.basename(pol), s, t) for s in names for t in names]
    sd = sorted(os.path.basename(f) for f in glob.glob(os.path.join(POLICIES, "self-describing",
                                                                    "*.txt")))
    out += [(None, "self-describing/" + s, "self-describing/" + t) for s in sd for t in sd]
    return out


@pytest.mark.parametrize("policy,source,target", pairs())
def test_to_json_equals_compatc_check_json(monkeypatch, policy, source, target):
    monkeypatch.chdir(POLICIES)
    args = ["check", "--json"] + (["--policy", policy] if policy else []) + [source, target]
    try:
        src = devcompat.Facts.read(source)
        tgt = devcompat.Facts.read(target)
    except devcompat.FactsError:
        rc, _, _ = compatc(*args)
        assert rc == 2, "Python refused facts compatc checks with"
        return
    pol = devcompat.Policy.from_file(policy or target)
    rc, want = compatc_json(*args)
    r = pol.check(src, tgt)
    assert r.to_dict() == want
    assert r.to_json().strip() == compatc(*args)[1].strip()
    assert rc == {"compatible": 0, "incompatible": 1, "target-mismatch": 2}[r.verdict]
    if r.verdict != "target-mismatch":
        rc, out, _ = compatc(*args[:1], "--explain", *args[2:])
        assert out.split("\n", 1)[1] == ("" if r.compatible else r.explain) or r.compatible


def test_check_many_matches_check(gvt):
    src = gvt.prepare(GVT_SOURCE)
    variants = []
    for typ, agg in (("i915-GVTg_V5_4", "2"), ("i915-GVTg_V5_4", "1"), ("i915-GVTg_V5_8", "4"),
                     ("i915-GVTg_V5_2", "1"), ("i915-GVTg_V5_1", "1")):
        variants.append(dict(GVT_TARGET, mdev_type=typ, aggregator=agg))
    variants.append(dict(GVT_TARGET, device_api="vfio-ccw"))
    targets = [gvt.prepare(v) for v in variants]
    want = [gvt.check(src, t) for t in targets]
    assert gvt.check_many(src, targets) == [r.verdict for r in want]
    assert gvt.check_many(src, targets, blocks=True) == [(r.verdict, r.block) for r in want]
    assert set(gvt.check_many(src, targets)) == {"compatible", "incompatible", "target-mismatch"}
    fleet = gvt.fleet(targets)
    assert len(fleet) == len(targets) and fleet.targets == tuple(targets)
    assert gvt.check_many(src, fleet) == [r.verdict for r in want]
    assert gvt.check_many(src, fleet, blocks=True) == [(r.verdict, r.block) for r in want]
    # Facts and dicts are prepared on the way; a tuple or any sequence works.
    assert gvt.check_many(GVT_SOURCE, tuple(variants)) == [r.verdict for r in want]
    assert gvt.check_many(src, []) == []
    assert gvt.check_many(src, gvt.fleet([])) == []
    with pytest.raises(TypeError):
        gvt.check_many(src, targets, block=True)
    with pytest.raises(TypeError):
        gvt.check_many(src, 5)
    with pytest.raises(TypeError):
        gvt.check_many(src, [1])


def test_targets_equal_compatc_targets(monkeypatch, gvt):
    monkeypatch.chdir(POLICIES)
    for source, limit in (("gvt-share-src-half.kv", 0), ("gvt-share-src-whole.kv", 0),
                          ("gvt-share-src-half.kv", 1), ("gvt-share-src-half.kv", 3)):
        t = gvt.targets(devcompat.Facts.read(source), limit=limit)
        rc, want = compatc_json("targets", "--json", "--policy", "gvt-share.compat", source,
                                *(["--limit", str(limit)] if limit else []))
        got = [{"block": x.block, "block_name": x.block_name, "facts": x.facts, "open": x.open,
                "decided": x.decided} for x in t.targets]
        assert got == want["targets"]
        assert (t.limited, t.tried) == (want["limited"], want["tried"])
    with pytest.raises(ValueError):
        gvt.targets(GVT_SOURCE, limit=-1)


def test_targets_with_records_of_the_target(monkeypatch):
    # qat-vf walks the target's SLA records: they are an open fact whose
    # residue is a loop over self's records; the services are enumerated
    monkeypatch.chdir(POLICIES)
    qat = devcompat.Policy.from_file("qat-vf.compat")
    for source in sorted(glob.glob("qat-vf-src-*")):
        t = qat.targets(devcompat.Facts.read(source))
        rc, want = compatc_json("targets", "--json", "--policy", "qat-vf.compat", source)
        got = [{"block": x.block, "block_name": x.block_name, "facts": x.facts, "open": x.open,
                "decided": x.decided} for x in t.targets]
        assert got == want["targets"]
        assert all(x.decided for x in t.targets)
    t = qat.targets(devcompat.Facts.read("qat-vf-src-slaok.yaml"))
    assert [x.facts["pci_id"] for x in t.targets] == ["80864941", "80864943", "80864945"]
    sla = t.targets[0].open["qat.sla"]
    assert sla["constraint"] is None
    assert sla["requires"].startswith('any(self.qat.sla, t, t.srv == "sym" && hex(t.rp) == 0xf0)')


def test_policy_set(monkeypatch):
    monkeypatch.chdir(POLICIES)
    ps = devcompat.PolicySet.from_dir(".")
    assert len(ps) == len(glob.glob("*.compat")) + len(glob.glob("*.cbc"))
    src, tgt = "gvt-share-src-half.kv", "gvt-share-target.kv"
    r = ps.check(devcompat.Facts.read(src), devcompat.Facts.read(tgt))
    rc, want = compatc_json("check", "--json", "--policy-dir", ".", src, tgt)
    assert r.to_dict() == want
    assert ps.policy_for(devcompat.Facts.read(tgt)).name == "i915-gvt-share"
    with pytest.raises(devcompat.NoPolicy) as info:
        ps.check(GVT_SOURCE, {"device_api": "none"})
    assert info.value.status == "no-policy"
    twice = devcompat.PolicySet(list(ps) + [ps.policy_for(GVT_TARGET)])
    with pytest.raises(devcompat.AmbiguousPolicy) as info:
        twice.policy_for(GVT_TARGET)
    assert isinstance(info.value, devcompat.Error)
    with pytest.raises(devcompat.Error) as info:
        devcompat.PolicySet.from_dir("/nonexistent/dir")
    assert info.value.status == "io"
    with pytest.raises(TypeError):
        devcompat.PolicySet(["x"])
    assert os.path.isabs(devcompat.DEFAULT_POLICY_DIR)
