"""devcompat: may a VFIO device's migration state move from a source device
to a target device?  The Python binding of libdevcompat (docs/python.md).

    import devcompat
    policy = devcompat.Policy.from_file("gvt-share.compat")   # or a .cbc
    src = policy.prepare(devcompat.Facts.read("source.kv"))
    tgt = policy.prepare({"device_api": "vfio-pci", ...})
    result = policy.check(src, tgt)
    if not result.compatible:
        print(result.explain)

Objects keep alive what they reference (a Prepared its Policy, a Result its
Policy and both Prepared, a Fleet its targets).  Checks release the GIL; a
Policy and its Prepared objects may be shared by threads.  Errors raise
subclasses of devcompat.Error carrying the library's message.
"""
import os

from ._devcompat import (  # noqa: F401
    DEFAULT_POLICY_DIR,
    AmbiguousPolicy,
    Diagnostic,
    Error,
    Facts,
    FactsError,
    Fleet,
    NoPolicy,
    Policy,
    PolicyError,
    Prepared,
    Reason,
    Result,
    Target,
    Targets,
    library_version,
    parse_inventory,
    read_inventory,
)

from .fit import Fit, fit_devices  # noqa: E402,F401

__all__ = ["Fit", "fit_devices",
    "AmbiguousPolicy", "Diagnostic", "Error", "Facts", "FactsError", "Fleet", "NoPolicy",
    "Policy", "PolicyError", "PolicySet", "Prepared", "Reason", "Result", "Target",
    "Targets", "DEFAULT_POLICY_DIR", "library_version", "read_inventory", "parse_inventory",
]

for _cls in (Error, PolicyError, FactsError, NoPolicy, AmbiguousPolicy):
    _cls.status = "error"
    _cls.diagnostics = ()
Error.__module__ = "devcompat"


class PolicySet:
    """Several policies, each for its own devices: the one whose SELF a target
    satisfies judges it (`compatc check --policy-dir`, docs/targets.md).

    PolicySet.from_dir(path=None) reads every .compat and .cbc file of a
    directory in name order (default: the installed policies).
    """

    def __init__(self, policies, paths=None):
        self.policies = tuple(policies)
        for p in self.policies:
            if not isinstance(p, Policy):
                raise TypeError("a PolicySet holds Policy objects, not %s" % type(p).__name__)
        self.paths = tuple(paths) if paths is not None else tuple(p.file for p in self.policies)
        self.dir = None

    @classmethod
    def from_dir(cls, path=None):
        """Every .compat and .cbc file of `path` (default DEFAULT_POLICY_DIR)."""
        path = os.fspath(path) if path is not None else DEFAULT_POLICY_DIR
        try:
            names = sorted(n for n in os.listdir(path)
                           if not n.startswith(".") and n.endswith((".compat", ".cbc")))
        except OSError as e:
            err = Error("%s: %s" % (path, e.strerror))
            err.status = "io"
            raise err from None
        paths = [os.path.join(path, n) for n in names]
        ps = cls([Policy.from_file(p) for p in paths], paths)
        ps.dir = path
        return ps

    def __len__(self):
        return len(self.policies)

    def __iter__(self):
        return iter(self.policies)

    def __repr__(self):
        return "<devcompat.PolicySet %s>" % ", ".join(p.name for p in self.policies)

    def policy_for(self, target):
        """The one policy whose SELF `target` (Facts or a mapping) satisfies.

        Raises NoPolicy when none does, AmbiguousPolicy when several do.
        """
        facts = target if isinstance(target, Facts) else Facts(target)
        found = []
        for policy, path in zip(self.policies, self.paths):
            prepared = policy.prepare(facts)
            if policy.check(prepared, prepared).verdict != "target-mismatch":
                found.append((policy, path))
        tname = facts.name or "the target"
        if not found:
            err = NoPolicy("%s: no policy of %s describes this target"
                           % (tname, self.dir or "the set"))
            err.status = "no-policy"
            raise err
        if len(found) > 1:
            err = AmbiguousPolicy("%s: more than one policy describes this target: %s"
                                  % (tname, ", ".join(str(p) for _, p in found)))
            err.status = "ambiguous-policy"
            raise err
        return found[0][0]

    def check(self, source, target):
        """Check with the policy of `target` (policy_for): a Result."""
        facts = target if isinstance(target, Facts) else Facts(target)
        policy = self.policy_for(facts)
        return policy.check(source, facts)
