"""Does a host have a device accepting each of a guest's devices?

The question a scheduler asks before a live migration (docs/python.md): the
guest's devices are the sources, the candidate host's devices (PCI
functions, mdev types it can create) the targets.  Each target is judged by
its own policy (the one of a PolicySet whose SELF it satisfies, or the one
Policy given); each source needs a target of its own that accepts it: a PCI
function takes one guest device, an mdev type as many as its
`available_instances` fact says (none when it says 0).  The assignment is a
bipartite matching (augmenting paths), so a device that two sources could
both use does not make the answer depend on their order.
"""
from ._devcompat import AmbiguousPolicy, Facts, NoPolicy, Policy

__all__ = ["fit_devices", "Fit"]


class Fit:
    """The answer of fit_devices.

    ok          every source has a target of its own
    assignment  {source id: target id} for the sources placed
    refused     {source id: {target id: Result or an exception}} for the
                sources not placed: why each target refused it
    """

    def __init__(self, assignment, refused):
        self.assignment = assignment
        self.refused = refused
        self.ok = not refused

    def __bool__(self):
        return self.ok

    def reasons(self):
        """One line per refusal: 'SOURCE -> TARGET: why'."""
        lines = []
        for src, by_target in self.refused.items():
            if not by_target:
                lines.append("%s: no device of the host can take it" % src)
            for tgt, why in by_target.items():
                if isinstance(why, Exception):
                    lines.append("%s -> %s: %s" % (src, tgt, why))
                elif why.verdict == "compatible":
                    lines.append("%s -> %s: compatible, but taken by another device"
                                 % (src, tgt))
                else:
                    for r in why.reasons:
                        lines.append("%s -> %s: %s:%d: %s" % (src, tgt, r.file, r.line,
                                                              r.message))
        return lines

    def __repr__(self):
        return "<devcompat.Fit ok=%s assignment=%r>" % (self.ok, self.assignment)


def _capacity(facts):
    value = facts.get("available_instances")
    if value is None:
        return 1
    try:
        return max(int(value, 10), 0)
    except ValueError:
        return 0            # conservative: a count we cannot read offers nothing


def fit_devices(policies, sources, targets):
    """Give each source device a target device that accepts it.

    policies: a Policy (judges every target) or a PolicySet (each target by
    its own policy; a target no policy describes, or several do, is not
    used).  sources, targets: {id: Facts or mapping}.  Returns a Fit.
    """
    sources = {k: v if isinstance(v, Facts) else Facts(v) for k, v in sources.items()}
    targets = {k: v if isinstance(v, Facts) else Facts(v) for k, v in targets.items()}
    judge = {}
    for tid, facts in targets.items():
        if isinstance(policies, Policy):
            judge[tid] = policies
            continue
        try:
            judge[tid] = policies.policy_for(facts)
        except (NoPolicy, AmbiguousPolicy) as e:
            judge[tid] = e
    prepared = {}           # (policy id, device id, side) -> Prepared

    def prep(policy, kind, ident, facts):
        key = (id(policy), kind, ident)
        if key not in prepared:
            prepared[key] = policy.prepare(facts)
        return prepared[key]

    accepts = {s: [] for s in sources}
    verdicts = {s: {} for s in sources}
    for tid, policy in judge.items():
        if isinstance(policy, Exception):
            for s in sources:
                verdicts[s][tid] = policy
            continue
        tgt = prep(policy, "t", tid, targets[tid])
        for sid, facts in sources.items():
            r = policy.check(prep(policy, "s", sid, facts), tgt)
            verdicts[sid][tid] = r
            if r.compatible:
                accepts[sid].append(tid)
    capacity = {t: _capacity(f) for t, f in targets.items()}
    holders = {t: [] for t in targets}

    def place(sid, seen):
        for tid in accepts[sid]:
            if tid in seen or capacity[tid] == 0:
                continue
            seen.add(tid)
            if len(holders[tid]) < capacity[tid]:
                holders[tid].append(sid)
                return True
            for other in list(holders[tid]):
                if place(other, seen):
                    holders[tid].remove(other)
                    holders[tid].append(sid)
                    return True
        return False

    placed = {s for s in sources if place(s, set())}
    assignment = {s: t for t, held in holders.items() for s in held}
    refused = {s: verdicts[s] for s in sources if s not in placed}
    return Fit(assignment, refused)
