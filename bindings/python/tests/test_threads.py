"""Threads: one Policy and its Prepared objects shared by several threads
that check, prepare and batch at once give the single-threaded answers."""
import os
import threading

import devcompat
from conftest import POLICIES, GVT_SOURCE, GVT_TARGET


def variants():
    out = []
    for typ in ("i915-GVTg_V5_1", "i915-GVTg_V5_2", "i915-GVTg_V5_4", "i915-GVTg_V5_8"):
        for agg in ("1", "2", "4"):
            out.append(dict(GVT_TARGET, mdev_type=typ, aggregator=agg))
    return out


def run_threads(n, fn):
    errors = []

    def wrap(k):
        try:
            fn(k)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)
    threads = [threading.Thread(target=wrap, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_shared_policy_and_prepared_objects():
    policy = devcompat.Policy.from_file(os.path.join(POLICIES, "gvt-share.compat"))
    devices = [policy.prepare(v) for v in variants()]
    want = {(i, j): policy.check(s, t).to_json()
            for i, s in enumerate(devices) for j, t in enumerate(devices)}
    many = [policy.check_many(s, devices, blocks=True) for s in devices]
    fleet = policy.fleet(devices)

    def work(k):
        for rnd in range(30):
            for i, s in enumerate(devices):
                j = (i + k + rnd) % len(devices)
                assert policy.check(s, devices[j]).to_json() == want[(i, j)]
                assert policy.check_many(s, devices, blocks=True) == many[i]
                assert policy.check_many(s, fleet, blocks=True) == many[i]
    run_threads(8, work)


def test_prepare_compile_and_check_from_threads():
    text = open(os.path.join(POLICIES, "gvt-share.compat")).read()
    want = devcompat.Policy.compile(text, name="t.compat").check(GVT_SOURCE, GVT_TARGET).to_json()

    def work(k):
        for _ in range(40):
            p = devcompat.Policy.compile(text, name="t.compat")
            assert p.check(GVT_SOURCE, GVT_TARGET).to_json() == want
            assert devcompat.Policy.load(bytes(p), name="t.compat").check(
                GVT_SOURCE, GVT_TARGET).to_json() == want
    run_threads(6, work)


def test_results_dropped_while_other_threads_check():
    # Results go back to their policy's pool when freed; many threads taking
    # and giving back at once must never share one.
    policy = devcompat.Policy.from_file(os.path.join(POLICIES, "gvt-share.compat"))
    src, tgt = policy.prepare(GVT_SOURCE), policy.prepare(GVT_TARGET)
    bad = policy.prepare(dict(GVT_SOURCE, mdev_type="i915-GVTg_V5_1"))

    def work(k):
        keep = []
        for i in range(3000):
            r = policy.check(bad if (i + k) % 3 == 0 else src, tgt)
            keep.append(r)
            if len(keep) > 5:
                old = keep.pop(0)
                assert old.compatible == (len(old.reasons) == 0)
        for r in keep:
            assert r.verdict in ("compatible", "incompatible")
    run_threads(8, work)
