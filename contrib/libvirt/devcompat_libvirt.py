"""Before a live migration: can the destination host take the guest's
assigned devices?  Reads the source guest's <hostdev> devices and the
destination's node devices through the libvirt Python module, turns them
into facts with devcompat's libvirt importer, and asks the devices' vendor
policies (docs/python.md).

    python3 devcompat_libvirt.py --source qemu+ssh://src/system \\
        --dest qemu+ssh://dst/system [--policy-dir DIR] GUEST

prints `compatible` (and which destination device takes each guest device)
or `incompatible` with the reasons, and exits 0, 1, or 2 on an error, as
`compatc check` does.  As a module:

    answer = devcompat_libvirt.precheck(src_conn, dom, dst_conn, policies)
    if not answer.compatible: print("\\n".join(answer.reasons))

A guest device is a PCI function (<hostdev type='pci'>) or a mediated device
(<hostdev type='mdev'>), described by the source host's node device; the
destination's candidates are its PCI functions not assigned to a running
guest and the mdev types its devices can create (available_instances > 0).
A hostdev of another kind cannot be judged: the answer is incompatible.
"""
import argparse
import contextlib
import sys
import xml.etree.ElementTree as ET

import libvirt

import devcompat

__all__ = ["connect", "find_domain", "guest_devices", "host_devices", "precheck", "Answer"]


class GuestDeviceError(devcompat.Error):
    """A guest device that cannot be described (an unknown hostdev kind, a
    node device the source host does not have)."""


@contextlib.contextmanager
def connect(uri, readonly=True):
    """A libvirt connection, closed on exit."""
    conn = libvirt.openReadOnly(uri) if readonly else libvirt.open(uri)
    try:
        yield conn
    finally:
        conn.close()


def find_domain(conn, ident):
    """The domain of a UUID or name, or None."""
    for lookup in (conn.lookupByUUIDString, conn.lookupByName):
        try:
            return lookup(ident)
        except libvirt.libvirtError:
            continue
    return None


def _nodedev_facts(conn, name):
    dev = conn.nodeDeviceLookupByName(name)
    return devcompat.Facts.parse(dev.XMLDesc(0), format="libvirt",
                                 name="%s:%s" % (conn.getURI(), name))


def _pci_name(addr):
    def num(attr):
        return int(addr.get(attr, "0"), 0)
    return "pci_%04x_%02x_%02x_%x" % (num("domain"), num("bus"), num("slot"), num("function"))


def _mdev_names(conn):
    """{uuid: node device name} of the host's mediated devices."""
    out = {}
    flags = libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV
    for dev in conn.listAllDevices(flags):
        uuid = ET.fromstring(dev.XMLDesc(0)).findtext("capability/uuid")
        if uuid:
            out[uuid.strip().lower()] = dev.name()
    return out


def _hostdevs(dom):
    return ET.fromstring(dom.XMLDesc(0)).findall("devices/hostdev")


def guest_devices(conn, dom):
    """{node device name: Facts} of a guest's assigned devices, read on the
    host the guest runs on (`conn`).  Raises GuestDeviceError for a hostdev
    that cannot be described."""
    devices = {}
    mdevs = None
    for hd in _hostdevs(dom):
        kind = hd.get("type")
        if hd.get("mode", "subsystem") != "subsystem" or kind not in ("pci", "mdev"):
            raise GuestDeviceError("%s: a <hostdev type='%s'> cannot be checked"
                                   % (dom.name(), kind))
        addr = hd.find("source/address")
        if addr is None:
            raise GuestDeviceError("%s: a <hostdev type='%s'> without a source address"
                                   % (dom.name(), kind))
        if kind == "pci":
            name = _pci_name(addr)
        else:
            if mdevs is None:
                mdevs = _mdev_names(conn)
            name = mdevs.get((addr.get("uuid") or "").lower())
            if name is None:
                raise GuestDeviceError("%s: mdev %s is not a node device of %s"
                                       % (dom.name(), addr.get("uuid"), conn.getURI()))
        try:
            facts = _nodedev_facts(conn, name)
            if kind == "mdev":
                facts = _with_type_facts(conn, facts)
        except libvirt.libvirtError as e:
            raise GuestDeviceError("%s: %s: %s" % (dom.name(), name, e)) from None
        devices[name] = facts
    return devices


def _with_type_facts(conn, mdev):
    """An mdev's facts with what its parent's mdev type says and the mdev's
    own XML does not (device_api, parent), as the library's live importer
    gives them."""
    parent = mdev.get("libvirt.parent")
    if not parent:
        return mdev
    xml = conn.nodeDeviceLookupByName(parent).XMLDesc(0)
    inv = devcompat.parse_inventory(xml, format="libvirt",
                                    name="%s:%s" % (conn.getURI(), parent))
    typ = inv.get("%s/%s" % (parent, mdev.get("mdev_type")))
    if typ is None:
        return mdev
    merged = mdev.to_dict()
    for name in ("device_api", "parent"):
        if name in typ and name not in merged:
            merged[name] = typ[name]
    return devcompat.Facts(merged)


def _assigned_pci(conn):
    """Node device names of PCI functions assigned to the host's running guests."""
    used = set()
    for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
        for hd in _hostdevs(dom):
            addr = hd.find("source/address")
            if hd.get("type") == "pci" and addr is not None:
                used.add(_pci_name(addr))
    return used


def host_devices(conn, free_only=False):
    """{id: Facts} of a host's node devices, as devcompat's libvirt importer
    reads them: each PCI function and mdev, and each mdev type a device can
    create as DEVICE/TYPE.  free_only: the devices a migrating guest could
    take (not assigned to a running guest, not an existing mdev, an mdev type
    with available_instances > 0)."""
    used = _assigned_pci(conn) if free_only else set()
    devices = {}
    for dev in conn.listAllDevices(0):
        caps = dev.listCaps()
        if not {"pci", "mdev", "mdev_types"} & set(caps):
            continue
        inv = devcompat.parse_inventory(dev.XMLDesc(0), format="libvirt",
                                        name="%s:%s" % (conn.getURI(), dev.name()))
        for ident, facts in inv.items():
            if free_only and (ident in used or "mdev" in caps
                              or facts.get("available_instances") == "0"):
                continue
            devices[ident] = facts
    return devices


class Answer:
    """compatible: bool; reasons: lines saying why not; assignment:
    {guest device: destination device}; fit: the devcompat.Fit."""

    def __init__(self, compatible, reasons, assignment, fit=None):
        self.compatible = compatible
        self.reasons = reasons
        self.assignment = assignment
        self.fit = fit

    def __bool__(self):
        return self.compatible


def precheck(src_conn, dom, dst_conn, policies):
    """May guest `dom` (on src_conn's host) live-migrate to dst_conn's host,
    as far as its assigned devices go?  policies: a Policy or PolicySet."""
    if isinstance(dom, str):
        name, dom = dom, find_domain(src_conn, dom)
        if dom is None:
            raise devcompat.Error("%s: no such guest on %s" % (name, src_conn.getURI()))
    try:
        sources = guest_devices(src_conn, dom)
    except GuestDeviceError as e:
        return Answer(False, [str(e)], {})
    if not sources:
        return Answer(True, [], {})
    fit = devcompat.fit_devices(policies, sources, host_devices(dst_conn, free_only=True))
    return Answer(fit.ok, fit.reasons(), fit.assignment, fit)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Can the destination take the guest's devices?")
    ap.add_argument("--source", required=True, help="the source host's libvirt URI")
    ap.add_argument("--dest", required=True, help="the destination host's libvirt URI")
    ap.add_argument("--policy-dir", default=None,
                    help="devcompat policies (default: the installed ones)")
    ap.add_argument("--policy", default=None, help="one policy file instead")
    ap.add_argument("guest", help="the guest's name or UUID")
    args = ap.parse_args(argv)
    try:
        policies = (devcompat.Policy.from_file(args.policy) if args.policy
                    else devcompat.PolicySet.from_dir(args.policy_dir))
        with connect(args.source) as src, connect(args.dest) as dst:
            answer = precheck(src, args.guest, dst, policies)
    except (devcompat.Error, libvirt.libvirtError) as e:
        print("devcompat-libvirt: %s" % e, file=sys.stderr)
        return 2
    if answer.compatible:
        print("compatible")
        for g, d in sorted(answer.assignment.items()):
            print("  %s -> %s" % (g, d))
        return 0
    print("incompatible")
    for line in answer.reasons:
        print("  " + line)
    return 1


if __name__ == "__main__":
    sys.exit(main())
