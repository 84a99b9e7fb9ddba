"""Facts from every importer of the library (docs/facts.md): the same facts
as `compatc facts` prints for the same argument."""
import json

import pytest

import devcompat
from conftest import compatc

GPU = """<device>
  <name>pci_0000_00_02_0</name>
  <parent>computer</parent>
  <driver><name>i915</name></driver>
  <capability type='pci'>
    <class>0x030000</class>
    <domain>0</domain><bus>0</bus><slot>2</slot><function>0</function>
    <product id='0x591d'>HD Graphics P630</product>
    <vendor id='0x8086'>Intel Corporation</vendor>
    <capability type='mdev_types'>
      <type id='i915-GVTg_V5_4'><name>GVTg_V5_4</name><deviceAPI>vfio-pci</deviceAPI>
        <availableInstances>2</availableInstances></type>
    </capability>
  </capability>
</device>
"""

LSPCI = """Slot:\t0000:3b:00.2
Class:\tEthernet controller [0200]
Vendor:\tMellanox Technologies [15b3]
Device:\tConnectX Family mlx5Gen Virtual Function [101e]
Driver:\tmlx5_vfio_pci

Slot:\t0000:3b:00.3
Class:\tEthernet controller [0200]
Vendor:\tMellanox Technologies [15b3]
Device:\tConnectX Family mlx5Gen Virtual Function [101e]
"""


def facts_json(arg, cwd):
    rc, out, err = compatc("facts", "--format=json", arg, cwd=cwd)
    assert rc == 0, err
    return json.loads(out)


def test_libvirt_xml(tmp_path):
    (tmp_path / "gpu.xml").write_text(GPU)
    f = devcompat.Facts.read("libvirt:%s" % (tmp_path / "gpu.xml"))
    assert f["pci_id"] == "8086591d" and f["address"] == "0000:00:02.0"
    assert f.to_dict() == facts_json("libvirt:gpu.xml#pci_0000_00_02_0", tmp_path)
    assert devcompat.Facts.parse(GPU, format="libvirt") == f
    inv = devcompat.parse_inventory(GPU, format="libvirt", name="gpu.xml")
    assert list(inv) == ["pci_0000_00_02_0", "pci_0000_00_02_0/i915-GVTg_V5_4"]
    assert [{"id": i, "facts": f.to_dict()} for i, f in inv.items()] == \
        facts_json("libvirt:gpu.xml", tmp_path)
    assert inv["pci_0000_00_02_0/i915-GVTg_V5_4"]["device_api"] == "vfio-pci"
    assert devcompat.read_inventory("libvirt:%s" % (tmp_path / "gpu.xml")) == inv
    one = devcompat.Facts.parse(GPU, format="libvirt", id="pci_0000_00_02_0/i915-GVTg_V5_4")
    assert one["mdev_type"] == "i915-GVTg_V5_4"


def test_lspci(tmp_path):
    (tmp_path / "lspci.txt").write_text(LSPCI)
    inv = devcompat.read_inventory("lspci:%s" % (tmp_path / "lspci.txt"))
    assert list(inv) == ["0000:3b:00.2", "0000:3b:00.3"]
    assert inv["0000:3b:00.2"]["pci_id"] == "15b3101e"
    f = devcompat.Facts.read("lspci:%s#0000:3b:00.2" % (tmp_path / "lspci.txt"))
    assert f == inv["0000:3b:00.2"]
    assert f.to_dict() == facts_json("lspci:lspci.txt#0000:3b:00.2", tmp_path)
    assert devcompat.Facts.parse(LSPCI, format="lspci", id="0000:3b:00.3") == \
        inv["0000:3b:00.3"]


def test_bad_importer_input_names_the_file(tmp_path):
    (tmp_path / "bad.xml").write_text("<device><capability type='pci'>")
    with pytest.raises(devcompat.FactsError) as info:
        devcompat.Facts.read("libvirt:%s" % (tmp_path / "bad.xml"))
    assert "bad.xml" in str(info.value)
    with pytest.raises(devcompat.Error):
        devcompat.Facts.parse(LSPCI, format="lspci")     # two devices, no id
    with pytest.raises(ValueError):
        devcompat.Facts.parse(GPU, format="xml")
    with pytest.raises(ValueError):
        devcompat.parse_inventory(GPU, format="nope")
    with pytest.raises(devcompat.Error):
        devcompat.read_inventory("libvirt:%s" % (tmp_path / "missing.xml"))
