#!/usr/bin/env python3
"""differential.py -- `compatc to-cel` against `compatc check`, through a real
CEL engine.

For one policy and one source: asks `compatc to-cel --json` for the selector
and the attributes it reads (with their DRA types), generates COUNT devices
with attributes of those types (values drawn from the selector's constants,
the source's facts, their neighbours and random ones; some absent, some
devices without the driver's own attributes), writes them as one
ResourceSlice that `compatc match` reads through the DRA importer
(`dra:FILE`) and the CEL engine sees as the scheduler would, and requires
the selector's value (evaluate.mjs) to equal compatc's verdict on every
device.  Prints `N passed, N failed` (from
evaluate.mjs); exits non-zero on any disagreement or error.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INT64_MAX = 2**63 - 1


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, capture_output=True, text=True, errors="replace", **kw)


def source_facts(compatc, source):
    r = run([compatc, "facts", "--format=json", source])
    if r.returncode != 0:
        sys.exit(f"differential: compatc facts {source}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def constants(selector):
    """Integers, strings and versions the selector compares with."""
    ints = {int(m) for m in re.findall(r"(?<![\w.\"])-?\d+(?![\w.\"])", selector)
            if abs(int(m)) <= INT64_MAX}
    strs = set(re.findall(r'"((?:[^"\\]|\\.)*)"', selector))
    vers = {s for s in strs if re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", s)}
    return ints, strs - vers, vers


def int_values(rng, ints):
    base = list(ints) + [0, 1, -1, 2, 8, 64, INT64_MAX, -INT64_MAX - 1]
    v = rng.choice(base)
    r = rng.random()
    if r < 0.3:
        v += rng.choice([-1, 1])
    elif r < 0.4:
        v = rng.randint(-100, 100)
    return max(min(v, INT64_MAX), -INT64_MAX - 1)


def version_values(rng, vers):
    base = list(vers) or ["1.0.0"]
    v = rng.choice(base)
    core, _, pre = v.partition("-")
    parts = [int(x) for x in core.split(".")]
    r = rng.random()
    if r < 0.5:
        i = rng.randrange(3)
        parts[i] = max(0, parts[i] + rng.choice([-1, 1, 2]))
    core = ".".join(str(x) for x in parts)
    r = rng.random()
    if r < 0.15:
        return core + "-rc." + str(rng.randint(0, 3))
    if r < 0.2:
        return core + "+build." + str(rng.randint(0, 9))
    if r < 0.3 and pre:
        return core + "-" + pre
    return core


def spelling(rng, v):
    """Another spelling of a hex text (what parse_hex reads the same), or a
    near miss; v itself for other text."""
    m = re.fullmatch(r"(0[xX])?([0-9a-fA-F]+)", v)
    if not m:
        return v
    digits = m.group(2)
    r = rng.random()
    if r < 0.2:
        digits = digits.upper()
    elif r < 0.4:
        digits = "0" * rng.randint(1, 3) + digits
    elif r < 0.5:
        digits = digits + "0"
    elif r < 0.55:
        digits = digits.lstrip("0") or "0"
    elif r < 0.6:
        digits = "1" + "0" * 16        # a 17th significant digit
    prefix = rng.choice(["", "", "0x", "0X"])
    return prefix + digits


def string_values(rng, strs):
    base = list(strs) or ["x"]
    v = rng.choice(base)
    r = rng.random()
    if r < 0.3:
        return spelling(rng, v)
    if r < 0.15:
        return v + "x"
    if r < 0.2:
        return ""
    if r < 0.25:
        return rng.choice(["a", "zz", "vfio-pci", "0x10", "16"])
    return v


def generate(rng, cel, facts, bases, count):
    selector = cel["selector"]
    ints, strs, vers = constants(selector)
    for v in facts.values():
        if re.fullmatch(r"-?\d+", v) and abs(int(v)) <= INT64_MAX:
            ints.add(int(v))
        elif re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", v):
            vers.add(v)
        else:
            strs.add(v)
    domain = cel["domain"]

    def fresh(name, typ):
        if typ == "int":
            return {"int": int_values(rng, ints)}
        if typ == "bool":
            return {"bool": rng.random() < 0.6}
        if typ == "version":
            return {"version": version_values(rng, vers)}
        return {"string": string_values(rng, strs)}

    def from_base(base, name, typ):
        v = base.get(name)
        if v is None:
            return None
        if typ == "int":
            return {"int": int(v)} if re.fullmatch(r"-?\d+", v) and abs(int(v)) <= INT64_MAX else None
        if typ == "bool":
            return {"bool": v == "true"} if v in ("true", "false") else None
        if typ == "version":
            ok = re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?", v)
            return {"version": v} if ok else None
        return {"string": spelling(rng, v) if rng.random() < 0.3 else v}

    devices = []
    names = [(fact, a["type"]) for fact, a in cel["attributes"].items()]
    for k in range(count):
        attrs = {}
        # most devices start as the source itself and differ in a few
        # attributes, so both verdicts are common; the rest are random
        near = rng.random() < 0.75
        base_facts = rng.choice(bases + [facts])
        changed = set(rng.sample(range(len(names)), k=min(len(names), rng.choice([0, 0, 1, 1, 2]))))
        for j, (name, typ) in enumerate(names):
            kept = near and j not in changed
            base = from_base(base_facts, name, typ) if kept else None
            if base is None and rng.random() < (0.85 if kept and name not in base_facts else 0.08):
                continue        # absent (as in the base, mostly)
            attrs[name] = base if base is not None else fresh(name, typ)
        if attrs and rng.random() < 0.05:
            # an attribute of another type than the selector lists: such a
            # device is never selected (docs/kubernetes.md)
            name = rng.choice(sorted(attrs))
            typ = cel["attributes"][name]["type"]
            other = rng.choice([t for t in ("int", "bool", "string", "version") if t != typ])
            attrs[name] = {"int": {"int": 1}, "bool": {"bool": True}, "string": {"string": "1"},
                           "version": {"version": "1.0.0"}}[other]
            wrong = True
        else:
            wrong = False
        # as a ResourceSlice holds them: by domain; a few devices have none
        # of the driver's own (another driver's devices)
        domains = {}
        for fact, typed in attrs.items():
            a = cel["attributes"][fact]
            domains.setdefault(a["domain"], {})[a["name"]] = typed
        if rng.random() < 0.03:
            domains.pop(domain, None)
        facts_of = {f: t for f, t in attrs.items()
                    if cel["attributes"][f]["domain"] in domains}
        devices.append({"id": f"dev{k}", "driver": domain, "attributes": domains,
                        "facts": facts_of, "wrong_type": wrong and any(
                            cel["attributes"][f]["type"] != next(iter(t)) for f, t in facts_of.items())})
    return devices


def typed_attribute(text, typ):
    """The DRA attribute a fact's text is, for an attribute of type typ, or
    None when no attribute of that type reads back as this text."""
    if typ == "int":
        return {"int": int(text)} if re.fullmatch(r"-?(0|[1-9]\d*)", text) \
            and -INT64_MAX - 1 <= int(text) <= INT64_MAX and text != "-0" else None
    if typ == "bool":
        return {"bool": text == "true"} if text in ("true", "false") else None
    if typ == "version":
        ok = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                          r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?",
                          text)
        return {"version": text} if ok else None
    return {"string": text}


def corpus(a):
    """Every fuzz_check input (policy %% source %% target) that to-cel
    translates: the selector on the target equals check's verdict."""
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(a.corpus)):
            data = open(os.path.join(a.corpus, name), "rb").read()
            parts = (data.split(b"\n%%\n") + [b"", b""])[:3]
            files = []
            for k, part in enumerate(parts):
                f = os.path.join(tmp, ("p.compat", "s.txt", "t.txt")[k])
                open(f, "wb").write(part)
                files.append(f)
            r = run([a.compatc, "to-cel", "--json", "--policy", files[0], files[1]])
            if r.returncode != 0:
                continue
            cel = json.loads(r.stdout)
            t = run([a.compatc, "facts", "--format=json", files[2]])
            if t.returncode != 0:
                continue
            facts = json.loads(t.stdout)
            attrs, wrong = {}, False
            for fname, at in cel["attributes"].items():
                if fname in facts:
                    v = typed_attribute(facts[fname], at["type"])
                    wrong = wrong or v is None
                    attrs.setdefault(at["domain"], {})[at["name"]] = \
                        v if v is not None else {"string": facts[fname]}
            # a fact that no attribute of its type reads back as is out of
            # the contract: the device is published with a string instead
            m = run([a.compatc, "check", "--json", "--policy", files[0], files[1], files[2]])
            try:
                verdict = json.loads(m.stdout).get("compatible") is True
            except ValueError:
                verdict = False
            # the facts of the device are its attributes' texts: a fact the
            # policy does not read is irrelevant, one it reads is as published
            cases.append({"id": name, "expression": cel["selector"], "driver": cel["domain"],
                          "attributes": attrs,
                          "expect": verdict and not wrong})
    print(f"corpus: {len(cases)} inputs translated")
    if not cases:
        sys.exit("differential: no corpus input translated")
    r = subprocess.run(["node", os.path.join(HERE, "evaluate.mjs")],
                       input=json.dumps({"cases": cases}), text=True, check=False)
    sys.exit(r.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", help="a directory of fuzz_check inputs")
    ap.add_argument("--compatc", required=True)
    ap.add_argument("--policy")
    ap.add_argument("--source")
    ap.add_argument("--domain", default=None)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--base", action="append", default=[],
                    help="a target's facts that devices start from (repeatable)")
    a = ap.parse_args()
    if a.corpus:
        corpus(a)
    if not a.policy or not a.source:
        ap.error("--policy and --source, or --corpus")

    cmd = [a.compatc, "to-cel", "--json", "--policy", a.policy, a.source]
    if a.domain:
        cmd += ["--domain", a.domain]
    r = run(cmd)
    if r.returncode != 0:
        sys.exit(f"differential: {' '.join(cmd)}: {r.stderr.strip()}")
    cel = json.loads(r.stdout)
    rng = random.Random(a.seed)
    bases = [source_facts(a.compatc, b) for b in a.base]
    devices = generate(rng, cel, source_facts(a.compatc, a.source), bases, a.count)

    # The same devices for both: a ResourceSlice, read by compatc through the
    # DRA importer (dra:FILE), evaluated by the CEL engine as the scheduler
    # would see it.
    devs = []
    for d in devices:
        attrs = {}
        for dom, named in d["attributes"].items():
            for name, typed in named.items():
                attrs[name if dom == d["driver"] else f"{dom}/{name}"] = typed
        devs.append({"name": d["id"], "attributes": attrs} if attrs else {"name": d["id"]})
    rslice = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
              "metadata": {"name": "generated"},
              "spec": {"driver": cel["domain"], "nodeName": "node-a",
                       "pool": {"name": "pool", "generation": 1, "resourceSliceCount": 1},
                       "devices": devs}}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "slice.json")
        with open(path, "w") as f:
            json.dump(rslice, f)
        r = run([a.compatc, "match", "--json", "--policy", a.policy, a.source, "dra:" + path])
        if r.returncode == 2 or not r.stdout:
            sys.exit(f"differential: compatc match: {r.stderr.strip()}")
        verdicts = {}
        for line in r.stdout.splitlines():
            o = json.loads(line)
            verdicts[o["id"].removeprefix("pool/")] = o["compatible"] is True
    cases = [{"id": f"{os.path.basename(a.policy)}/{d['id']}", "expression": cel["selector"],
              "driver": d["driver"], "attributes": d["attributes"],
              "expect": verdicts[d["id"]] and not d["wrong_type"]} for d in devices]
    accepted = sum(c["expect"] for c in cases)
    print(f"{os.path.basename(a.policy)}: {len(cases)} devices, {accepted} compatible")
    if accepted == 0 or accepted == len(cases):
        # a source no target accepts (or every one does): the selector must
        # still say so on every device
        print(f"note: every device is judged {'compatible' if accepted else 'incompatible'}")
    r = subprocess.run(["node", os.path.join(HERE, "evaluate.mjs")],
                       input=json.dumps({"cases": cases}), text=True, check=False)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
