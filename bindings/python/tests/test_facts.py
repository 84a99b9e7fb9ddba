"""Facts: from a dict, from every reader of the library, and bad input."""
import json
import os

import pytest

import devcompat
from conftest import TOP, compatc, compatc_json

DATA = os.path.join(TOP, "tests", "data", "facts")


def test_from_dict_is_an_immutable_sorted_mapping():
    f = devcompat.Facts({"b": " two\n", "a": "one"})
    assert len(f) == 2
    assert list(f) == ["a", "b"] == f.keys()
    assert f["b"] == "two", "values are trimmed as the library trims them"
    assert f.items() == [("a", "one"), ("b", "two")]
    assert f.values() == ["one", "two"]
    assert "a" in f and "c" not in f and 1 not in f
    assert f.get("c") is None and f.get("c", "x") == "x"
    assert f == {"a": "one", "b": "two"}
    assert f.to_dict() == {"a": "one", "b": "two"}
    assert f.name is None
    with pytest.raises(KeyError):
        f["c"]
    with pytest.raises(TypeError):
        f["a"] = "x"
    assert devcompat.Facts(f) == f
    assert devcompat.Facts() == {}
    assert "Facts(" in repr(f)


@pytest.mark.parametrize("name", ["simple.kv", "simple.yaml", "simple.json", "uuid1.txt"])
def test_read_gives_what_compatc_facts_prints(name):
    path = os.path.join(DATA, name)
    f = devcompat.Facts.read(path)
    rc, want = compatc_json("facts", "--format=json", path)
    assert rc == 0
    assert f.to_dict() == want
    assert f.name == path


def test_parse_text_and_yaml():
    kv = devcompat.Facts.parse('a=1\n# comment\nb="x y"\n')
    assert kv == {"a": "1", "b": "x y"}
    assert devcompat.Facts.parse(b"a: 1\nb: [x, y]\n", format="yaml") == {"a": "1", "b": "x,y"}
    assert devcompat.Facts.parse('{"a": {"b": "c"}}') == {"a.b": "c"}
    assert devcompat.Facts.parse("---\na: 1\n") == {"a": "1"}
    with pytest.raises(ValueError):
        devcompat.Facts.parse("a=1", format="xml")


def test_read_inventory_every_kind():
    for name in ("inventory.yaml", "inventory.json", "inventory.d"):
        inv = devcompat.read_inventory(os.path.join(DATA, name))
        assert isinstance(inv, dict) and inv
        for ident, facts in inv.items():
            assert isinstance(facts, devcompat.Facts)
            assert facts.name == ident
    inv = devcompat.read_inventory(os.path.join(DATA, "inventory.yaml"))
    assert list(inv) == ["gpu0", "gpu1", "7"]
    assert inv["gpu1"]["params.memory"] == "4096"
    assert inv["7"]["device_api"] == "vfio-ccw"


def fake_sysfs(root):
    """A GVT-g parent (PCI device) with one mdev type, as the kernel shows it."""
    parent = root / "sys/devices/pci0000:00/0000:00:02.0"
    typ = parent / "mdev_supported_types/i915-GVTg_V5_4"
    typ.mkdir(parents=True)
    for name, value in (("vendor", "0x8086"), ("device", "0x591d"), ("revision", "0x02"),
                        ("class", "0x030000"), ("subsystem_vendor", "0x8086"),
                        ("subsystem_device", "0x2212")):
        (parent / name).write_text(value + "\n")
    (typ / "device_api").write_text("vfio-pci\n")
    (typ / "available_instances").write_text("2\n")
    (typ / "name").write_text("GVTg_V5_4\n")
    drivers = root / "sys/bus/pci/drivers/i915"
    drivers.mkdir(parents=True)
    (parent / "driver").symlink_to("../../../bus/pci/drivers/i915")
    return parent, typ


def test_from_sysfs(tmp_path):
    parent, typ = fake_sysfs(tmp_path)
    f = devcompat.Facts.from_sysfs("/sys/devices/pci0000:00/0000:00:02.0", root=str(tmp_path))
    assert f["pci_id"] == "8086591d"
    assert f["driver"] == "i915"
    t = devcompat.Facts.from_sysfs(str(typ.relative_to(tmp_path)), root=tmp_path)
    assert t["mdev_type"] == "i915-GVTg_V5_4"
    assert t["device_api"] == "vfio-pci"
    rc, out, _ = compatc("facts", "--format=json", "--sysfs", str(typ.relative_to(tmp_path)),
                         "--sysfs-root", str(tmp_path))
    assert rc == 0 and json.loads(out) == t.to_dict()
    (parent / "vendor").write_bytes(b"\xff\xfe\n")
    with pytest.raises(devcompat.FactsError) as info:
        devcompat.Facts.from_sysfs("/sys/devices/pci0000:00/0000:00:02.0", root=tmp_path)
    assert "vendor" in str(info.value)


# ------------------------------------------------------------ bad input

def test_non_string_values_and_names():
    for bad in (1, 1.5, None, True, ["a"], {"a": "b"}):
        with pytest.raises(TypeError) as info:
            devcompat.Facts({"a": bad})
        assert "'a'" in str(info.value)
    with pytest.raises(TypeError):
        devcompat.Facts({1: "x"})
    with pytest.raises(TypeError):
        devcompat.Facts("a=1")
    with pytest.raises(TypeError):
        devcompat.Facts([("a", "1")])


def test_bytes_are_not_str():
    with pytest.raises(TypeError) as info:
        devcompat.Facts({"a": b"1"})
    assert "decode" in str(info.value)
    with pytest.raises(TypeError):
        devcompat.Facts({b"a": "1"})


def test_library_checks_names_and_values():
    cases = [({"a b": "1"}, "a b"), ({"": "1"}, ""), ({"a": "caf\u00e9"}, "a"),
             ({"a": "x\0y"}, "a"), ({"a\0b": "1"}, "NUL"), ({"1a": "x"}, "1a"),
             ({"a": "\x01"}, "a")]
    for facts, needle in cases:
        with pytest.raises(devcompat.FactsError) as info:
            devcompat.Facts(facts)
        assert needle in str(info.value), str(info.value)
        assert info.value.status in ("facts", "limit")


def test_huge_inputs():
    with pytest.raises(devcompat.Error) as info:
        devcompat.Facts({"a": "x" * 4097})
    assert "4096" in str(info.value)
    assert devcompat.Facts({"a": "x" * 4096})["a"] == "x" * 4096
    with pytest.raises(devcompat.Error) as info:
        devcompat.Facts({"a" * 256: "x"})
    many = {"f%d" % i: "v" for i in range(1025)}
    with pytest.raises(devcompat.Error) as info:
        devcompat.Facts(many)
    assert "1024" in str(info.value)
    many.popitem()
    assert len(devcompat.Facts(many)) == 1024
    with pytest.raises(devcompat.Error):
        devcompat.Facts.parse("a=" + "x" * (1 << 24))
    with pytest.raises(devcompat.Error):
        devcompat.Facts.parse("\n".join("f%d=1" % i for i in range(100000)))


def test_duplicates_and_bad_text():
    with pytest.raises(devcompat.FactsError) as info:
        devcompat.Facts.parse("a=1\na=2\n", name="dup.kv")
    assert "dup.kv" in str(info.value) and "duplicate" in str(info.value)
    with pytest.raises(devcompat.FactsError) as info:
        devcompat.Facts.parse("{a: [", format="yaml", name="bad.yaml")
    assert "bad.yaml" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(devcompat.Error) as info:
        devcompat.Facts.read(tmp_path / "nope.kv")
    assert info.value.status == "io" and "nope.kv" in str(info.value)
    with pytest.raises(devcompat.Error):
        devcompat.read_inventory(tmp_path / "nope.yaml")
