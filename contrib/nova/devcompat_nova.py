"""DevcompatFilter: a Nova scheduler filter that keeps, for a move of an
instance with assigned devices (a live migration), only the hosts that have
a device accepting each of the instance's devices, as the devices' vendor
policies say (docs/python.md).

Enable it in nova.conf of the scheduler (this file importable by nova-scheduler):

    [filter_scheduler]
    available_filters = nova.scheduler.filters.all_filters
    available_filters = devcompat_nova.DevcompatFilter
    enabled_filters = ...,DevcompatFilter

    [devcompat]
    inventory_dir = /var/lib/devcompat/hosts   # or: libvirt_uri = qemu+tls://{host}/system
    policy_dir = /usr/share/devcompat/policies

Where the facts come from:

- inventory_dir: one devcompat inventory per compute host, named after the
  host (HOST.yaml, HOST.yml, HOST.json, or a directory HOST/ of facts
  files; docs/facts.md), kept current by the operator's tooling (`compatc
  facts`, the importers).  A device assigned to an instance carries the
  fact `nova.instance_uuid` (option instance_fact): those are the
  instance's source devices; the host's free devices (without it, and not
  an mdev type whose available_instances is 0) are the targets.
- libvirt_uri: a libvirt URI template with {host}; the instance's devices
  are the <hostdev> of the libvirt domain whose UUID is the instance's
  (Nova gives its domains the instance's UUID) on the source host, and a
  candidate host's devices are its node devices (contrib/libvirt).  The
  source host is looked for among the request's ignore_hosts, where Nova's
  conductor puts it for a live migration.

When the instance has no device the inventories describe, or for a new
instance, every host passes: the filter only judges moves of instances whose
devices carry migration state.  Nova's conductor gives a live migration's
RequestSpec no flag of its own, so a cold migration of such an instance is
held to the same test (conservative: a host that could not take the state
does not have the same device either).  A host whose facts cannot be read
fails (logged): any doubt fails.
"""
import logging
import os

from nova import exception
from nova.scheduler import filters
from nova.scheduler import utils as scheduler_utils
from oslo_config import cfg

import devcompat

LOG = logging.getLogger(__name__)

opts = [
    cfg.StrOpt("inventory_dir",
               help="Directory of per-host devcompat inventories (HOST.yaml, HOST.json, "
                    "HOST/)."),
    cfg.StrOpt("libvirt_uri",
               help="libvirt URI template with {host}, e.g. qemu+tls://{host}/system: "
                    "read devices from each host's libvirt instead of inventories."),
    cfg.StrOpt("policy_dir", default=devcompat.DEFAULT_POLICY_DIR,
               help="Directory of devcompat policies (.compat, .cbc)."),
    cfg.StrOpt("instance_fact", default="nova.instance_uuid",
               help="The fact of an inventory device naming the instance it is assigned to."),
]

CONF = cfg.CONF
CONF.register_opts(opts, group="devcompat")


class InventoryHosts:
    """Per-host inventories of a directory, each read again when it changes."""

    def __init__(self, directory, instance_fact):
        self.dir = directory
        self.instance_fact = instance_fact
        self._cache = {}        # path -> (mtime, {id: Facts})

    def _path(self, host):
        for name in (host + ".yaml", host + ".yml", host + ".json", host):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                return path
        return None

    def _read(self, path):
        st = os.stat(path)
        mtime = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = self._cache.get(path)
        if hit and hit[0] == mtime:
            return hit[1]
        inv = devcompat.read_inventory(path)
        self._cache[path] = (mtime, inv)
        return inv

    def hosts(self):
        names = set()
        for entry in os.listdir(self.dir):
            for ext in (".yaml", ".yml", ".json"):
                if entry.endswith(ext):
                    entry = entry[:-len(ext)]
            names.add(entry)
        return sorted(names)

    def devices(self, host):
        """{id: Facts} of a host; an unknown host has none."""
        path = self._path(host)
        return self._read(path) if path else {}

    def instance_devices(self, spec_obj):
        uuid = spec_obj.instance_uuid
        found = {}
        for host in self.hosts():
            for ident, facts in self.devices(host).items():
                if facts.get(self.instance_fact) == uuid:
                    found["%s/%s" % (host, ident)] = facts
        return found

    def free_devices(self, host_state):
        return {i: f for i, f in self.devices(host_state.host).items()
                if self.instance_fact not in f}


class LibvirtHosts:
    """Each host's libvirt, through contrib/libvirt's devcompat_libvirt."""

    def __init__(self, uri_template):
        import devcompat_libvirt
        self.lv = devcompat_libvirt
        self.uri = uri_template

    def instance_devices(self, spec_obj):
        for host in spec_obj.ignore_hosts or ():
            try:
                with self.lv.connect(self.uri.format(host=host)) as conn:
                    dom = self.lv.find_domain(conn, spec_obj.instance_uuid)
                    if dom is not None:
                        return self.lv.guest_devices(conn, dom)
            except self.lv.libvirt.libvirtError as e:
                LOG.warning("devcompat: libvirt on %s: %s", host, e)
        return {}

    def free_devices(self, host_state):
        with self.lv.connect(self.uri.format(host=host_state.host)) as conn:
            return self.lv.host_devices(conn, free_only=True)


class _Devices:
    """The configured facts source and policies, shared by the filter and
    the destination pre-check."""

    def __init__(self):
        self._policies = None
        self._source = None

    def policies(self):
        if self._policies is None:
            self._policies = devcompat.PolicySet.from_dir(CONF.devcompat.policy_dir)
        return self._policies

    def source(self):
        """Where hosts' and instances' device facts come from."""
        if self._source is None:
            if CONF.devcompat.libvirt_uri:
                self._source = LibvirtHosts(CONF.devcompat.libvirt_uri)
            elif CONF.devcompat.inventory_dir:
                self._source = InventoryHosts(CONF.devcompat.inventory_dir,
                                              CONF.devcompat.instance_fact)
            else:
                raise devcompat.Error("[devcompat] needs inventory_dir or libvirt_uri")
        return self._source


class _Host:
    """The little of a HostState the sources read (its name)."""

    def __init__(self, host):
        self.host = host


def check_destination(instance_uuid, source_host, dest_host, devices=None):
    """The check for ComputeManager.check_can_live_migrate_destination (it runs
    on the destination; instance.host is the source): raises nova's
    MigrationPreCheckError with devcompat's reasons when dest_host has no
    device accepting each of the instance's devices, which makes the
    conductor try another host (docs/python.md)."""
    devices = devices or _Devices()
    spec = _Spec(instance_uuid, [source_host])
    try:
        sources = devices.source().instance_devices(spec)
        if not sources:
            return
        fit = devcompat.fit_devices(devices.policies(), sources,
                                    devices.source().free_devices(_Host(dest_host)))
    except (devcompat.Error, OSError) as e:
        raise exception.MigrationPreCheckError(reason="devcompat: %s" % e)
    if not fit:
        raise exception.MigrationPreCheckError(
            reason="devcompat: %s cannot take the instance's devices: %s"
            % (dest_host, "; ".join(fit.reasons())))


class _Spec:
    """What the sources read of a RequestSpec, for check_destination."""

    def __init__(self, instance_uuid, ignore_hosts):
        self.instance_uuid = instance_uuid
        self.ignore_hosts = ignore_hosts


class DevcompatFilter(filters.BaseHostFilter):
    """Keep the hosts with a device accepting each of the instance's devices."""

    RUN_ON_REBUILD = False

    def __init__(self):
        self.devices = _Devices()

    def policies(self):
        return self.devices.policies()

    def source(self):
        return self.devices.source()

    def _instance_devices(self, spec_obj):
        if not spec_obj or "instance_uuid" not in spec_obj or not spec_obj.instance_uuid:
            return {}
        return self.source().instance_devices(spec_obj)

    def _fits(self, host_state, devices):
        try:
            fit = devcompat.fit_devices(self.policies(), devices,
                                        self.source().free_devices(host_state))
        except (devcompat.Error, OSError) as e:
            LOG.warning("devcompat: host %s fails: %s", host_state.host, e)
            return False
        if not fit:
            LOG.debug("devcompat: host %s fails: %s", host_state.host,
                      "; ".join(fit.reasons()))
        return fit.ok

    def host_passes(self, host_state, spec_obj):
        try:
            devices = self._instance_devices(spec_obj)
        except (devcompat.Error, OSError) as e:
            LOG.warning("devcompat: the instance's devices: %s", e)
            return False
        return not devices or self._fits(host_state, devices)

    def filter_all(self, filter_obj_list, spec_obj):
        """Look the instance's devices up once per request, not per host."""
        if scheduler_utils.request_is_rebuild(spec_obj):
            yield from filter_obj_list
            return
        try:
            devices = self._instance_devices(spec_obj)
        except (devcompat.Error, OSError) as e:
            LOG.warning("devcompat: the instance's devices: %s", e)
            return
        for host_state in filter_obj_list:
            if not devices or self._fits(host_state, devices):
                yield host_state
