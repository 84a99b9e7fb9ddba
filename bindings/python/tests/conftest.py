"""Fixtures of the devcompat binding's tests: where the tree's policies and
compatc are, and a shipped policy with its example devices.

`make python-check` (and .ci/run) set COMPATC and top_srcdir; run by hand,
the tests find the tree above bindings/python and compatc in build/.
"""
import json
import os
import subprocess

import pytest

import devcompat

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", "..", ".."))
POLICIES = os.path.join(TOP, "policies")


def compatc_path():
    path = os.environ.get("COMPATC") or os.path.join(TOP, "build", "compatc")
    if not os.access(path, os.X_OK):
        pytest.skip("compatc not found (set COMPATC)")
    return path


def compatc(*args, cwd=POLICIES):
    """Run compatc; (exit status, stdout, stderr).

    A sanitizer's runtime preloaded into Python (make python-check's
    PYTHON_PRELOAD) is not compatc's: a sanitized compatc carries its own,
    and two ASan runtimes in one process refuse to start."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    p = subprocess.run([compatc_path(), *args], cwd=cwd, env=env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def compatc_json(*args, cwd=POLICIES):
    rc, out, err = compatc(*args, cwd=cwd)
    assert out, "compatc %s printed nothing (rc %d): %s" % (args, rc, err)
    return rc, json.loads(out)


@pytest.fixture
def gvt():
    return devcompat.Policy.from_file(os.path.join(POLICIES, "gvt-share.compat"))


@pytest.fixture
def half():
    return devcompat.Facts.read(os.path.join(POLICIES, "gvt-share-src-half.kv"))


@pytest.fixture
def whole():
    return devcompat.Facts.read(os.path.join(POLICIES, "gvt-share-src-whole.kv"))


@pytest.fixture
def target():
    return devcompat.Facts.read(os.path.join(POLICIES, "gvt-share-target.kv"))


GVT_TARGET = {"device_api": "vfio-pci", "pci_id": "8086591d", "mdev_type": "i915-GVTg_V5_4",
              "aggregator": "2", "software_version": "1.2.0", "pv_caps": "ppgtt,context,hwsp"}
GVT_SOURCE = {"device_api": "vfio-pci", "pci_id": "8086591d", "mdev_type": "i915-GVTg_V5_2",
              "aggregator": "1", "software_version": "1.1.3", "pv_caps": "ppgtt,context"}
