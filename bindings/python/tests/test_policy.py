"""Policy: compile, from_file, load/.cbc bytes, save, and their errors."""
import os

import pytest

import devcompat
from conftest import POLICIES, GVT_SOURCE, GVT_TARGET

SMALL = """POLICY:
    name = small
SELF:
    device_api = vfio-pci
    n = {n:int:1..4}
COMPATIBLE same:
    device_api = vfio-pci
    n = {n}
"""


def test_compile_from_str_and_bytes():
    for text in (SMALL, SMALL.encode()):
        p = devcompat.Policy.compile(text, name="small.compat")
        assert p.name == "small"
        assert p.file == "small.compat"
        assert p.blocks == ("same",)
        assert p.warnings == []
        assert p.check({"device_api": "vfio-pci", "n": "2"},
                       {"device_api": "vfio-pci", "n": "2"}).compatible


def test_compile_errors_carry_diagnostics():
    text = "POLICY:\n    name = bad\nSELF:\n    n = {n:int:1..4}\nCOMPATIBLE:\n    n = {m}\n"
    with pytest.raises(devcompat.PolicyError) as info:
        devcompat.Policy.compile(text, name="bad.compat")
    e = info.value
    assert isinstance(e, devcompat.Error)
    assert e.status == "policy"
    assert "bad.compat" in str(e)
    assert e.diagnostics, "a failed compile lists its diagnostics"
    d = e.diagnostics[0]
    assert (d.file, d.line, d.severity) == ("bad.compat", 6, "error")
    assert d.col >= 1 and d.end_col > d.col
    assert "m" in d.message
    assert d.source_line == "    n = {m}"


def test_warnings_on_success():
    # A repeated rule is a warning: the policy compiles and keeps it.
    text = SMALL + "    n = {n}\n"
    p = devcompat.Policy.compile(text, name="w.compat")
    assert len(p.warnings) == 1
    w = p.warnings[0]
    assert (w.file, w.line, w.severity) == ("w.compat", 9, "warning")
    assert "repeated" in w.message


def test_from_file_source_and_cbc(tmp_path, gvt):
    cbc = tmp_path / "gvt.cbc"
    gvt.save(cbc)
    assert cbc.read_bytes() == bytes(gvt) == gvt.to_bytes()
    loaded = devcompat.Policy.from_file(str(cbc))
    assert loaded.name == gvt.name
    assert loaded.blocks == gvt.blocks
    r1 = gvt.check(GVT_SOURCE, GVT_TARGET)
    r2 = loaded.check(GVT_SOURCE, GVT_TARGET)
    assert r1.to_json() == r2.to_json()
    from_bytes = devcompat.Policy.load(bytes(gvt), name="mem.cbc")
    assert from_bytes.check(GVT_SOURCE, GVT_TARGET).to_dict() == r1.to_dict()
    # A pathlib path works too.
    assert devcompat.Policy.from_file(cbc).name == gvt.name


def test_bad_bytecode_is_a_policy_error(gvt):
    data = bytearray(bytes(gvt))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(devcompat.PolicyError) as info:
        devcompat.Policy.load(bytes(data), name="flipped.cbc")
    assert "flipped.cbc" in str(info.value)
    assert info.value.status == "bytecode"
    with pytest.raises(devcompat.PolicyError):
        devcompat.Policy.load(b"", name="empty.cbc")
    with pytest.raises(devcompat.PolicyError):
        devcompat.Policy.load(b"\0" * 100000, name="zeros.cbc")
    with pytest.raises(TypeError):
        devcompat.Policy.load("not bytes")


def test_missing_file_is_an_io_error(tmp_path):
    with pytest.raises(devcompat.Error) as info:
        devcompat.Policy.from_file(tmp_path / "absent.compat")
    assert info.value.status == "io"
    assert "absent.compat" in str(info.value)
    assert not isinstance(info.value, devcompat.PolicyError)


def test_save_to_unwritable_path_raises(gvt, tmp_path):
    with pytest.raises(OSError):
        gvt.save(tmp_path / "no" / "such" / "dir.cbc")


def test_policy_cannot_be_made_directly():
    with pytest.raises(TypeError):
        devcompat.Policy()


def test_huge_and_binary_sources():
    with pytest.raises(devcompat.PolicyError) as info:
        devcompat.Policy.compile("x" * (2 << 20), name="huge.compat")
    assert "huge.compat" in str(info.value)
    with pytest.raises(devcompat.PolicyError):
        devcompat.Policy.compile(b"POLICY:\n\0\xff\xfe\n", name="bin.compat")
    deep = "POLICY:\n name = d\nSELF:\n a = {x:int}\nCOMPATIBLE:\n where " + "(" * 500 + "1" \
        + ")" * 500 + " == 1\n"
    with pytest.raises(devcompat.PolicyError):
        devcompat.Policy.compile(deep, name="deep.compat")


def test_every_shipped_policy_compiles_and_round_trips():
    names = sorted(n for n in os.listdir(POLICIES) if n.endswith(".compat"))
    assert names
    for n in names:
        p = devcompat.Policy.from_file(os.path.join(POLICIES, n))
        again = devcompat.Policy.load(bytes(p), name=n)
        assert again.name == p.name and again.blocks == p.blocks
