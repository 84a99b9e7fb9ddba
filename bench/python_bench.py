#!/usr/bin/env python3
"""python_bench.py -- the devcompat Python binding against the same rule in
plain Python, and check_many against the library's batch (docs/performance.md).

The rule is bench/share.compat (GVT-g vGPUs of the same share, the upstream
versioning rule), over 1024 generated (source, target) pairs from a fixed
seed, most of them near misses, as bench/bench.c generates them:

  devcompat prepared   policy.check(src, tgt) on Prepared objects, the
                       verdict read (result.compatible)
  plain Python         the rule written by hand over the devices' dicts of
                       str, as a Python scheduler would write it
  plain Python, tuples the same over values parsed once (its floor)

Every contender's verdicts are compared with devcompat's before anything is
timed; a difference aborts.  Then one source against N prepared targets:
check_many over a list and over a Fleet, against the library's own
dc_check_batch / dc_check_fleet on the same targets in the same process
(Policy._batch_cpu_ns: the C loop with no Python in it).

Times are CPU time of the thread (the machine is shared: wall time says more
about the neighbours), median of --runs runs.  Not a test: nothing here
asserts a time.

  PYTHONPATH=build/python/lib python3 bench/python_bench.py [--runs N] [--batch N]
"""
import argparse
import os
import random
import re
import statistics
import sys
import time

import devcompat

HERE = os.path.dirname(os.path.abspath(__file__))
NPAIRS = 1024


def generate(seed=1):
    rnd = random.Random(seed)
    pcis = ["8086591d", "80865963", "80863e92", "8086193b"]
    apis = ["vfio-pci", "vfio-ccw"]
    sizes = [1, 2, 4, 8]

    def dev(api, pci, typ, agg, major, minor, patch, short):
        ver = "%d.%d" % (major, minor) if short else "%d.%d.%d" % (major, minor, patch)
        return {"device_api": api, "pci_id": pci, "mdev_type": typ,
                "aggregator": str(agg), "software_version": ver}
    pairs = []
    for _ in range(NPAIRS):
        n = rnd.choice(sizes)
        tn = 3 if rnd.randrange(32) == 0 else n
        agg = 1 + rnd.randrange(8)
        tmaj, tmin = 1 + rnd.randrange(2), rnd.randrange(6)
        pci = rnd.choice(pcis)
        api = apis[0] if rnd.randrange(16) else apis[1]
        tgt = dev(api, pci, "i915-GVTg_V5_%d" % tn, agg, tmaj, tmin, rnd.randrange(10),
                  rnd.randrange(4) == 0)
        sapi = api if rnd.randrange(10) else apis[api == apis[0]]
        spci = pci if rnd.randrange(10) else rnd.choice(pcis)
        m = rnd.choice(sizes) if rnd.randrange(10) else (3 if rnd.randrange(2) else 16)
        if rnd.randrange(10) < 7 and m * agg % n == 0 and m * agg // n >= 1:
            sagg = m * agg // n
        else:
            sagg = 1 + rnd.randrange(8)
        gen = "V4" if rnd.randrange(20) == 0 else "V5"
        smaj = tmaj if rnd.randrange(8) else 3 - tmaj
        src = dev(sapi, spci, "i915-GVTg_%s_%d" % (gen, m), sagg, smaj, rnd.randrange(6),
                  rnd.randrange(10), rnd.randrange(4) == 0)
        pairs.append((src, tgt))
    return pairs


# ------------------------------------------------------------ plain Python

TYPE = re.compile(r"i915-GVTg_V5_([0-9]+)\Z")
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?\Z")
AGG = re.compile(r"[0-9]+\Z")


def _share(facts):
    m = TYPE.match(facts.get("mdev_type", ""))
    if not m or m.group(1) not in ("1", "2", "4", "8"):
        return None
    return int(m.group(1))


def plain_rule(src, tgt):
    """share.compat by hand, over dicts of str: "compatible", "incompatible"
    or "target-mismatch" (the target's SELF block fails)."""
    # SELF: the target's own facts.
    api = tgt.get("device_api")
    try:
        tid = int(tgt.get("pci_id", ""), 16)
    except ValueError:
        return "target-mismatch"
    n = _share(tgt)
    agg_text = tgt.get("aggregator", "")
    tv = SEMVER.match(tgt.get("software_version", ""))
    if api is None or n is None or not AGG.match(agg_text) or not tv:
        return "target-mismatch"
    agg = int(agg_text)
    if not 1 <= agg <= 8:
        return "target-mismatch"
    # COMPATIBLE: the source.
    if src.get("device_api") != api:
        return "incompatible"
    try:
        if int(src.get("pci_id", ""), 16) != tid:
            return "incompatible"
    except ValueError:
        return "incompatible"
    m = _share(src)
    if m is None or (m * agg) % n:
        return "incompatible"
    sagg = src.get("aggregator", "")
    if not AGG.match(sagg) or int(sagg) != m * agg // n:
        return "incompatible"
    sv = SEMVER.match(src.get("software_version", ""))
    if not sv or sv.group(1) != tv.group(1) or int(sv.group(2)) > int(tv.group(2)):
        return "incompatible"
    return "compatible"


def parse_once(facts):
    """The values the rule reads, parsed once (what preparing does)."""
    tv = SEMVER.match(facts.get("software_version", ""))
    try:
        pid = int(facts.get("pci_id", ""), 16)
    except ValueError:
        pid = None
    agg = facts.get("aggregator", "")
    return (facts.get("device_api"), pid, _share(facts),
            int(agg) if AGG.match(agg) else None,
            (int(tv.group(1)), int(tv.group(2))) if tv else None)


def tuple_rule(s, t):
    api, tid, n, agg, tv = t
    if api is None or tid is None or n is None or agg is None or not 1 <= agg <= 8 or not tv:
        return "target-mismatch"
    sapi, sid, m, sagg, sv = s
    if sapi != api or sid != tid or m is None or (m * agg) % n or sagg != m * agg // n:
        return "incompatible"
    if not sv or sv[0] != tv[0] or sv[1] > tv[1]:
        return "incompatible"
    return "compatible"


# ------------------------------------------------------------ timing

def cpu_per_item(fn, items, runs, min_ns=2e8):
    """Median over runs of thread CPU ns per item of fn(), repeated so that
    each run lasts at least min_ns."""
    reps = 1
    while True:
        t0 = time.thread_time_ns()
        for _ in range(reps):
            fn()
        spent = time.thread_time_ns() - t0
        if spent >= min_ns / 4 or reps > 1 << 20:
            break
        reps *= 4
    reps = max(1, int(reps * min_ns / max(spent, 1)))
    out = []
    for _ in range(runs):
        t0 = time.thread_time_ns()
        for _ in range(reps):
            fn()
        out.append((time.thread_time_ns() - t0) / reps / items)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--batch", type=int, default=65536,
                    help="targets of the check_many section (default 65536)")
    args = ap.parse_args()

    policy = devcompat.Policy.from_file(os.path.join(HERE, "share.compat"))
    pairs = generate()
    prepared = [(policy.prepare(s), policy.prepare(t)) for s, t in pairs]
    parsed = [(parse_once(s), parse_once(t)) for s, t in pairs]
    check = policy.check

    want = [check(s, t).verdict for s, t in prepared]
    for name, got in (("plain Python", [plain_rule(s, t) for s, t in pairs]),
                      ("plain Python, tuples", [tuple_rule(s, t) for s, t in parsed])):
        bad = [i for i, (a, b) in enumerate(zip(want, got)) if a != b]
        if bad:
            sys.exit("python_bench: %s disagrees with devcompat on pair %d: %s vs %s"
                     % (name, bad[0], got[bad[0]], want[bad[0]]))
    counts = {v: want.count(v) for v in sorted(set(want))}

    def dc_prepared():
        for s, t in prepared:
            check(s, t).compatible

    def py_dicts():
        for s, t in pairs:
            plain_rule(s, t) == "compatible"

    def py_tuples():
        for s, t in parsed:
            tuple_rule(s, t) == "compatible"

    def empty_loop():
        for s, t in prepared:
            pass

    print("devcompat %s, Python %s; %d pairs (%s); thread CPU time, median of %d"
          % (devcompat.library_version, sys.version.split()[0], NPAIRS,
             ", ".join("%d %s" % (c, v) for v, c in counts.items()), args.runs))
    print()
    print("%-44s %10s" % ("one pair", "ns/pair"))
    rows = [("devcompat prepared: policy.check(src, tgt)", dc_prepared),
            ("plain Python over dicts of str", py_dicts),
            ("plain Python over values parsed once", py_tuples),
            ("(the empty loop over the pairs)", empty_loop)]
    for name, fn in rows:
        print("%-44s %10.0f" % (name, cpu_per_item(fn, NPAIRS, args.runs)))

    n = args.batch
    src = prepared[0][0]
    # n distinct prepared targets (as bench.c prepares them): a scheduler's
    # devices, each its own object, not one object repeated.
    targets = [policy.prepare(pairs[i % NPAIRS][1]) for i in range(n)]
    fleet = policy.fleet(targets)
    if policy.check_many(src, targets) != policy.check_many(src, fleet) or \
            policy.check_many(src, targets) != [check(src, t).verdict for t in targets]:
        sys.exit("python_bench: check_many disagrees with check")
    print()
    print("one source against %d prepared targets   %10s %10s %8s"
          % (n, "ms", "ns/target", "vs C"))
    def c_batch(over):
        reps = max(1, int(5e7 // max(policy._batch_cpu_ns(src, over, 1), 1)))
        return statistics.median(policy._batch_cpu_ns(src, over, reps) / reps
                                 for _ in range(args.runs))
    c_list, c_fleet = c_batch(targets), c_batch(fleet)
    py_list = cpu_per_item(lambda: policy.check_many(src, targets), n, args.runs, 5e7) * n
    py_fleet = cpu_per_item(lambda: policy.check_many(src, fleet), n, args.runs, 5e7) * n
    for name, ns, base in (("C dc_check_batch (list of prepared)", c_list, c_list),
                           ("Python check_many(src, list)", py_list, c_list),
                           ("C dc_check_fleet", c_fleet, c_fleet),
                           ("Python check_many(src, fleet)", py_fleet, c_fleet)):
        print("%-44s %10.3f %10.1f %7.2fx" % (name, ns / 1e6, ns / n, ns / base))


if __name__ == "__main__":
    main()
