"""Lifetimes and leaks: objects keep what they reference alive, reference
counts do not drift, and a million checks leave memory where it was."""
import gc
import os
import sys
import weakref

import devcompat
from conftest import POLICIES, GVT_SOURCE, GVT_TARGET

# Under AddressSanitizer freed memory waits in a quarantine (by design, to
# catch use after free), so RSS says nothing about leaks there: .ci/run
# sets DEVCOMPAT_SANITIZED for that run, and the plain run measures.
SANITIZED = os.environ.get("DEVCOMPAT_SANITIZED") == "1"


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def gvt():
    return devcompat.Policy.from_file(os.path.join(POLICIES, "gvt-share.compat"))


def test_policy_freed_while_prepared_facts_live():
    policy = gvt()
    ref = weakref.ref(policy)
    src, tgt = policy.prepare(GVT_SOURCE), policy.prepare(GVT_TARGET)
    del policy
    gc.collect()
    assert ref() is not None, "a Prepared keeps its Policy"
    assert src.policy is ref()
    r = src.policy.check(src, tgt)
    assert r.compatible
    del src, tgt
    gc.collect()
    assert ref() is not None, "a Result keeps its Policy"
    assert r.reasons == [] and r.bindings["n"] == 4
    del r
    gc.collect()
    assert ref() is None, "and nothing else does"


def test_result_outlives_everything_it_explains():
    policy = gvt()
    r = policy.check(dict(GVT_SOURCE, mdev_type="i915-GVTg_V5_1"), GVT_TARGET)
    del policy
    gc.collect()
    assert [w.field for w in r.reasons] == ["aggregator", "aggregator"]
    assert r.to_dict()["compatible"] is False


def test_fleet_keeps_its_targets():
    policy = gvt()
    targets = [policy.prepare(GVT_TARGET) for _ in range(3)]
    refs = [weakref.ref(t) for t in targets]
    fleet = policy.fleet(targets)
    del targets, policy
    gc.collect()
    assert all(r() is not None for r in refs)
    assert fleet.policy.check_many(GVT_SOURCE, fleet) == ["compatible"] * 3
    del fleet
    gc.collect()
    assert all(r() is None for r in refs)


def test_reference_counts_do_not_drift():
    policy = gvt()
    src, tgt = policy.prepare(GVT_SOURCE), policy.prepare(GVT_TARGET)
    targets = [tgt] * 10
    fleet = policy.fleet(targets)
    before = [sys.getrefcount(o) for o in (policy, src, tgt, targets, fleet)]
    for _ in range(1000):
        r = policy.check(src, tgt)
        r.reasons, r.bindings, r.to_json()
        policy.check_many(src, targets)
        policy.check_many(src, fleet, blocks=True)
    del r
    after = [sys.getrefcount(o) for o in (policy, src, tgt, targets, fleet)]
    assert before == after


def test_errors_do_not_leak_references():
    policy = gvt()
    src = policy.prepare(GVT_SOURCE)
    before = sys.getrefcount(src), sys.getrefcount(policy)
    for _ in range(1000):
        try:
            policy.check(src, {"a": 1})
        except TypeError:
            pass
        try:
            policy.check_many(src, [src, "x"])
        except TypeError:
            pass
    assert (sys.getrefcount(src), sys.getrefcount(policy)) == before


def test_a_million_checks_with_stable_memory():
    policy = gvt()
    src, tgt = policy.prepare(GVT_SOURCE), policy.prepare(GVT_TARGET)
    bad = policy.prepare(dict(GVT_SOURCE, mdev_type="i915-GVTg_V5_1"))
    check = policy.check
    for _ in range(100000):
        check(src, tgt)
    gc.collect()
    start = rss_kib()
    for i in range(1000000):
        r = check(src if i & 1 else bad, tgt)
        if i % 1000 == 0:       # rendering, too
            r.reasons, r.bindings, r.explain
    gc.collect()
    grown = rss_kib() - start
    # A leak of 8 bytes a check would be ~8 MiB.
    assert SANITIZED or grown < 2048, "RSS grew by %d KiB over a million checks" % grown


def test_many_policies_and_facts_with_stable_memory():
    text = open(os.path.join(POLICIES, "gvt-share.compat")).read()
    def round_():
        p = devcompat.Policy.compile(text, name="gvt.compat")
        q = devcompat.Policy.load(bytes(p))
        f = devcompat.Facts(GVT_TARGET)
        q.check_many(f, q.fleet([f, f]))
        q.targets(GVT_SOURCE)
        try:
            devcompat.Policy.compile("POLICY:\n x =\n", name="bad.compat")
        except devcompat.PolicyError as e:
            e.diagnostics
    for _ in range(300):
        round_()
    gc.collect()
    start = rss_kib()
    for _ in range(1500):
        round_()
    gc.collect()
    assert SANITIZED or rss_kib() - start < 2048
