"""The libvirt pre-migration check against libvirt's built-in test driver
(test:///FILE.xml: a host with node devices and guests, no daemon), through
Debian's real libvirt Python module."""
import os
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
libvirt = pytest.importorskip("libvirt")

import devcompat  # noqa: E402
import devcompat_libvirt as dl  # noqa: E402

UUID = "4b20d080-1b54-4048-85b3-a6a62d165c01"

# The GPU's mdev types may take a guest vGPU of the same type; a NIC VF a VF
# of the same device (what the VF's variant driver checks is the catalog's
# business; these two keep the test about the plumbing).
POLICIES = {
    "vgpu.compat": """
        POLICY:
            name = vgpu
        SELF:
            device_api = vfio-pci
            mdev_type = i915-GVTg_V5_{n:int:1,2,4,8}
        COMPATIBLE same_type:
            device_api = vfio-pci
            mdev_type = i915-GVTg_V5_{n}
        """,
    "vf.compat": """
        POLICY:
            name = vf
        SELF:
            vendor = 0x15b3
            class = 0x020000
            pci_id = {id:hex}
        COMPATIBLE same_device:
            pci_id = {id}
        """,
}

CPU = """<cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes>
<sockets>1</sockets><cores>2</cores><threads>1</threads></cpu><memory>2097152</memory>"""


def gpu(types):
    t = "".join("""<type id='i915-GVTg_V5_%d'><name>GVTg_V5_%d</name><deviceAPI>vfio-pci</deviceAPI>
        <availableInstances>%d</availableInstances></type>""" % (n, n, k) for n, k in types)
    return """<device><name>pci_0000_00_02_0</name><parent>computer</parent>
      <capability type='pci'><class>0x030000</class><domain>0</domain><bus>0</bus><slot>2</slot>
      <function>0</function><product id='0x5912'>HD Graphics 630</product>
      <vendor id='0x8086'>Intel Corporation</vendor>
      <capability type='mdev_types'>%s</capability></capability></device>""" % t


def vf(device="0x101e", fn=2):
    return """<device><name>pci_0000_3b_00_%d</name><parent>computer</parent>
      <capability type='pci'><class>0x020000</class><domain>0</domain><bus>59</bus><slot>0</slot>
      <function>%d</function><product id='%s'>ConnectX Family mlx5Gen Virtual Function</product>
      <vendor id='0x15b3'>Mellanox Technologies</vendor></capability></device>""" % (fn, fn, device)


MDEV = """<device><name>mdev_%s_0000_00_02_0</name><parent>pci_0000_00_02_0</parent>
  <capability type='mdev'><type id='i915-GVTg_V5_4'/><uuid>%s</uuid><iommuGroup number='12'/>
  </capability></device>""" % (UUID.replace("-", "_"), UUID)


def guest(name, hostdevs):
    return """<domain type='test'><name>%s</name><memory>1048576</memory><vcpu>1</vcpu>
      <os><type>hvm</type></os><devices>%s</devices></domain>""" % (name, hostdevs)


HOSTDEV_MDEV = """<hostdev mode='subsystem' type='mdev' model='vfio-pci'>
  <source><address uuid='%s'/></source></hostdev>""" % UUID
HOSTDEV_VF = """<hostdev mode='subsystem' type='pci' managed='yes'>
  <source><address domain='0x0000' bus='0x3b' slot='0x00' function='0x2'/></source></hostdev>"""


def host(tmp_path, name, *parts):
    path = tmp_path / (name + ".xml")
    path.write_text("<node>%s%s</node>" % (CPU, "".join(parts)))
    return "test://" + str(path)


@pytest.fixture
def policies(tmp_path):
    d = tmp_path / "policies"
    d.mkdir()
    for name, text in POLICIES.items():
        (d / name).write_text(textwrap.dedent(text))
    return devcompat.PolicySet.from_dir(d)


@pytest.fixture
def source(tmp_path):
    return host(tmp_path, "src", gpu([(4, 1)]), MDEV, vf(),
                guest("guest1", HOSTDEV_MDEV + HOSTDEV_VF))


def precheck(src_uri, dst_uri, policies, name="guest1"):
    with dl.connect(src_uri) as src, dl.connect(dst_uri) as dst:
        return dl.precheck(src, name, dst, policies)


def test_guest_devices_read_through_libvirt(source):
    with dl.connect(source) as conn:
        devs = dl.guest_devices(conn, dl.find_domain(conn, "guest1"))
    mdev = devs["mdev_%s_0000_00_02_0" % UUID.replace("-", "_")]
    assert (mdev["mdev_type"], mdev["uuid"], mdev["device_api"]) == \
        ("i915-GVTg_V5_4", UUID, "vfio-pci")
    nic = devs["pci_0000_3b_00_2"]
    assert (nic["pci_id"], nic["address"], nic["class"]) == ("15b3101e", "0000:3b:00.2",
                                                              "0x020000")


def test_compatible_destination(tmp_path, source, policies):
    dst = host(tmp_path, "dst", gpu([(4, 1), (8, 4)]), vf())
    answer = precheck(source, dst, policies)
    assert answer.compatible, answer.reasons
    assert answer.assignment == {
        "mdev_%s_0000_00_02_0" % UUID.replace("-", "_"): "pci_0000_00_02_0/i915-GVTg_V5_4",
        "pci_0000_3b_00_2": "pci_0000_3b_00_2"}


@pytest.mark.parametrize("why,parts", [
    ("no such mdev type", [gpu([(8, 4)]), vf()]),
    ("the type is full", [gpu([(4, 0)]), vf()]),
    ("another NIC", [gpu([(4, 1)]), vf(device="0x1018")]),
    ("the VF is taken", [gpu([(4, 1)]), vf(), guest("other", HOSTDEV_VF)]),
    ("no devices at all", []),
])
def test_incompatible_destinations(tmp_path, source, policies, why, parts):
    dst = host(tmp_path, "dst", *parts)
    answer = precheck(source, dst, policies)
    assert not answer.compatible, why
    assert answer.reasons


def test_reasons_name_the_policy_rule(tmp_path, source, policies):
    dst = host(tmp_path, "dst", gpu([(8, 4)]), vf())
    answer = precheck(source, dst, policies)
    text = "\n".join(answer.reasons)
    assert "vgpu.compat" in text and "mdev_type" in text


def test_a_hostdev_that_cannot_be_judged(tmp_path, policies):
    usb = """<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/>
      <product id='0xbeef'/></source></hostdev>"""
    src = host(tmp_path, "src", guest("guest1", usb))
    dst = host(tmp_path, "dst", gpu([(4, 1)]))
    answer = precheck(src, dst, policies)
    assert not answer.compatible and "usb" in answer.reasons[0]


def test_a_guest_without_devices_moves_anywhere(tmp_path, policies):
    src = host(tmp_path, "src", guest("plain", ""))
    assert precheck(src, host(tmp_path, "dst"), policies, "plain").compatible


def test_command_line(tmp_path, source, policies, capsys):
    dst_ok = host(tmp_path, "ok", gpu([(4, 1)]), vf())
    dst_bad = host(tmp_path, "bad", gpu([(8, 1)]), vf())
    pdir = str(tmp_path / "policies")
    assert dl.main(["--source", source, "--dest", dst_ok, "--policy-dir", pdir, "guest1"]) == 0
    assert capsys.readouterr().out.startswith("compatible")
    assert dl.main(["--source", source, "--dest", dst_bad, "--policy-dir", pdir, "guest1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("incompatible") and "mdev_type" in out
    assert dl.main(["--source", source, "--dest", dst_ok, "--policy-dir", pdir, "nope"]) == 2
    assert dl.main(["--source", "test:///nonexistent.xml", "--dest", dst_ok,
                    "--policy-dir", pdir, "guest1"]) == 2
