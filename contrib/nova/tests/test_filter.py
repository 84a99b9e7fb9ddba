"""DevcompatFilter against Debian's real nova: loaded by name through
nova's HostFilterHandler as nova-scheduler loads it, run on real HostState
and RequestSpec objects."""
import json
import os
import shutil

import pytest

from nova import objects
from nova.scheduler import filters
from nova.scheduler import host_manager

from conftest import TOP

INSTANCE = "4b20d080-1b54-4048-85b3-a6a62d165c01"
OTHER = "9c2a1f3e-5d6b-4e7f-8a9b-0c1d2e3f4a5b"

GPU = {"device_api": "vfio-pci", "pci_id": "8086591d", "software_version": "1.2.0",
       "pv_caps": "ppgtt,context,hwsp"}


def vgpu(typ, agg, **more):
    return dict(GPU, mdev_type="i915-GVTg_V5_%d" % typ, aggregator=str(agg), **more)


def write(directory, host, devices):
    with open(os.path.join(directory, host + ".json"), "w") as f:
        json.dump([dict(d, id=i) for i, d in devices.items()], f)


@pytest.fixture
def site(tmp_path, conf):
    """Policies and per-host inventories of a small GVT-g cloud."""
    pol = tmp_path / "policies"
    pol.mkdir()
    shutil.copy(os.path.join(TOP, "policies", "gvt-share.compat"), pol)
    inv = tmp_path / "hosts"
    inv.mkdir()
    # The source: the instance holds half of the GPU as one V5_2 unit.
    write(inv, "src", {"gpu0": vgpu(2, 1, **{"nova.instance_uuid": INSTANCE})})
    write(inv, "fits", {"gpu0": vgpu(4, 2, **{"nova.instance_uuid": OTHER}),
                        "gpu1": vgpu(4, 2)})                       # half, as two quarters
    write(inv, "whole", {"gpu0": vgpu(1, 1)})                      # the whole GPU
    write(inv, "used", {"gpu0": vgpu(4, 2, **{"nova.instance_uuid": OTHER})})
    write(inv, "full", {"type": vgpu(4, 2, available_instances="0")})
    write(inv, "older", {"gpu0": vgpu(4, 2, software_version="1.0.0")})
    conf.set_override("inventory_dir", str(inv), group="devcompat")
    conf.set_override("policy_dir", str(pol), group="devcompat")
    return inv


def load_filter():
    handler = filters.HostFilterHandler()
    classes = handler.get_matching_classes(["devcompat_nova.DevcompatFilter"])
    assert [c.__name__ for c in classes] == ["DevcompatFilter"]
    return handler, classes[0]()


def hosts(*names):
    return [host_manager.HostState(n, n + "-node", "cell1") for n in names]


def live_migration(uuid=INSTANCE, source="src", hints=None):
    return objects.RequestSpec(instance_uuid=uuid, ignore_hosts=[source],
                               scheduler_hints=hints or {})


ALL = ("fits", "whole", "used", "full", "older", "nowhere")


def passing(handler, flt, spec, names=ALL):
    got = handler.get_filtered_objects([flt], hosts(*names), spec)
    return [h.host for h in got]


def test_live_migration_keeps_hosts_with_an_accepting_device(site):
    handler, flt = load_filter()
    assert passing(handler, flt, live_migration()) == ["fits"]
    # host_passes, as nova calls it for one host, agrees.
    for h in hosts(*ALL):
        assert flt.host_passes(h, live_migration()) == (h.host == "fits")


def test_each_device_needs_its_own_target(site):
    write(site, "src", {"gpu0": vgpu(2, 1, **{"nova.instance_uuid": INSTANCE}),
                        "gpu1": vgpu(8, 4, **{"nova.instance_uuid": INSTANCE})})
    handler, flt = load_filter()
    assert passing(handler, flt, live_migration()) == []
    write(site, "fits", {"gpu1": vgpu(4, 2), "gpu2": vgpu(4, 2)})
    assert passing(handler, flt, live_migration()) == ["fits"]
    write(site, "fits", {"type": vgpu(4, 2, available_instances="2")})
    assert passing(handler, flt, live_migration()) == ["fits"]
    write(site, "fits", {"type": vgpu(4, 2, available_instances="1")})
    assert passing(handler, flt, live_migration()) == []


def test_instances_without_devices_and_rebuilds_pass(site):
    handler, flt = load_filter()
    assert passing(handler, flt, live_migration(uuid=OTHER.replace("9", "8"))) == list(ALL)
    assert passing(handler, flt, objects.RequestSpec(scheduler_hints={})) == list(ALL)
    rebuild = live_migration(hints={"_nova_check_type": ["rebuild"]})
    assert passing(handler, flt, rebuild) == list(ALL)


def test_a_host_whose_inventory_is_broken_fails(site):
    handler, flt = load_filter()
    assert passing(handler, flt, live_migration()) == ["fits"]
    (site / "fits.json").write_text("[{\"id\": \"x\", \"bad name\": \"1\"}]")
    assert passing(handler, flt, live_migration()) == []


def test_a_broken_source_inventory_fails_every_host(site):
    handler, flt = load_filter()
    assert passing(handler, flt, live_migration()) == ["fits"]
    (site / "src.json").write_text("{not json")
    assert passing(handler, flt, live_migration()) == []


def test_check_destination_raises_nova_precheck_error(site):
    import devcompat_nova
    from nova import exception
    devcompat_nova.check_destination(INSTANCE, "src", "fits")
    with pytest.raises(exception.MigrationPreCheckError) as info:
        devcompat_nova.check_destination(INSTANCE, "src", "whole")
    assert "inexact division" in str(info.value) or "aggregator" in str(info.value)
    with pytest.raises(exception.MigrationPreCheckError):
        devcompat_nova.check_destination(INSTANCE, "src", "nowhere")
    # An instance without devices is not this check's business.
    devcompat_nova.check_destination(OTHER.replace("9", "8"), "src", "whole")


# ------------------------------------------------------------ libvirt mode

NODE = """<node><cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes>
<sockets>1</sockets><cores>2</cores><threads>1</threads></cpu><memory>2097152</memory>%s</node>"""


def gpu_xml(n, available):
    return """<device><name>pci_0000_00_02_0</name><parent>computer</parent>
      <capability type='pci'><class>0x030000</class><domain>0</domain><bus>0</bus><slot>2</slot>
      <function>0</function><product id='0x591d'>HD Graphics P630</product>
      <vendor id='0x8086'>Intel Corporation</vendor><capability type='mdev_types'>
      <type id='i915-GVTg_V5_%d'><name>GVTg_V5_%d</name><deviceAPI>vfio-pci</deviceAPI>
      <availableInstances>%d</availableInstances></type></capability></capability></device>
      """ % (n, n, available)


MDEV_XML = """<device><name>mdev_%s_0000_00_02_0</name><parent>pci_0000_00_02_0</parent>
  <capability type='mdev'><type id='i915-GVTg_V5_4'/><uuid>%s</uuid><iommuGroup number='12'/>
  </capability></device>
  <domain type='test'><name>instance-00000001</name><uuid>%s</uuid><memory>1048576</memory>
  <vcpu>1</vcpu><os><type>hvm</type></os><devices>
  <hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='%s'/></source>
  </hostdev></devices></domain>""" % ((INSTANCE.replace("-", "_"),) + (INSTANCE,) * 3)

VGPU_POLICY = """POLICY:
    name = vgpu
SELF:
    device_api = vfio-pci
    mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}
COMPATIBLE:
    device_api = vfio-pci
    mdev_type = i915-GVTg_V5_{n}
"""


def test_libvirt_mode_reads_each_hosts_libvirt(tmp_path, conf):
    pytest.importorskip("libvirt")
    pol = tmp_path / "policies"
    pol.mkdir()
    (pol / "vgpu.compat").write_text(VGPU_POLICY)
    hosts_dir = tmp_path / "libvirt"
    hosts_dir.mkdir()
    (hosts_dir / "src.xml").write_text(NODE % (gpu_xml(4, 1) + MDEV_XML))
    (hosts_dir / "fits.xml").write_text(NODE % gpu_xml(4, 2))
    (hosts_dir / "other.xml").write_text(NODE % gpu_xml(8, 4))
    (hosts_dir / "full.xml").write_text(NODE % gpu_xml(4, 0))
    conf.set_override("libvirt_uri", "test://%s/{host}.xml" % hosts_dir, group="devcompat")
    conf.set_override("policy_dir", str(pol), group="devcompat")
    handler, flt = load_filter()
    assert passing(handler, flt, live_migration(), ("fits", "other", "full")) == ["fits"]
