"""Fixtures for the Nova filter's tests: Debian's real nova package, its
objects registered, the filter importable as nova-scheduler imports it."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))                             # devcompat_nova
sys.path.insert(0, os.path.join(HERE, "..", "..", "libvirt"))         # devcompat_libvirt
TOP = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", "..", ".."))

nova = pytest.importorskip("nova")
from nova import objects  # noqa: E402

objects.register_all()


@pytest.fixture
def conf():
    """nova's CONF with the [devcompat] options, restored after the test."""
    import devcompat_nova
    conf = devcompat_nova.CONF
    if not conf._args:
        conf([], project="nova")
    yield conf
    conf.clear_override("inventory_dir", group="devcompat")
    conf.clear_override("libvirt_uri", group="devcompat")
    conf.clear_override("policy_dir", group="devcompat")
