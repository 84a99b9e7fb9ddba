"""Build the devcompat extension against the installed libdevcompat.

The library is found with pkg-config (`pkg-config devcompat`; an uninstalled
build tree provides devcompat-uninstalled.pc, which pkg-config prefers when
PKG_CONFIG_PATH names that tree).  Nothing is downloaded.  The metadata is
in pyproject.toml; docs/python.md says how to build and install.
Environment: DEVCOMPAT_RPATH (the library's directory at run time),
DEVCOMPAT_POLICY_DIR (PolicySet's default), DEVCOMPAT_EXTRA_CFLAGS.
"""
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "devcompat"], check=True,
                             capture_output=True, text=True).stdout
    except FileNotFoundError:
        sys.exit("devcompat: pkg-config is needed to find libdevcompat")
    except subprocess.CalledProcessError as e:
        sys.exit("devcompat: pkg-config cannot find libdevcompat (install it, or set "
                 "PKG_CONFIG_PATH): " + e.stderr.strip())
    return shlex.split(out)


def policy_dir():
    """The installed policies, the default of PolicySet.from_dir()."""
    if os.environ.get("DEVCOMPAT_POLICY_DIR"):
        return os.environ["DEVCOMPAT_POLICY_DIR"]
    explicit = pkg_config("--variable=policydir")
    if explicit:
        return explicit[0]
    prefix = pkg_config("--variable=prefix")
    return os.path.join(prefix[0] if prefix else "/usr/local", "share", "devcompat", "policies")


cflags = pkg_config("--cflags")
libs = pkg_config("--libs")
library_dirs = [f[2:] for f in libs if f.startswith("-L")]
# A library outside the loader's default directories is found through an rpath.
system = ("/usr/lib", "/lib", "/usr/lib64", "/lib64")
rpath = [d for d in library_dirs
         if not any(d == s or d.startswith(s + "/") for s in system)]
if "DEVCOMPAT_RPATH" in os.environ:     # make install: the installed library
    rpath = [d for d in os.environ["DEVCOMPAT_RPATH"].split(":") if d]

sources = ["module.c", "errors.c", "facts.c", "policy.c", "prepared.c", "check.c",
           "result.c", "targets.c"]
extra_compile = [f for f in cflags if not f.startswith("-I")]
extra_compile += ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                  "-Wno-missing-field-initializers", "-Wno-cast-function-type"]
extra_compile += shlex.split(os.environ.get("DEVCOMPAT_EXTRA_CFLAGS", ""))

setup(
    ext_modules=[Extension(
        "devcompat._devcompat",
        sources=[os.path.join("src", "devcompat", s) for s in sources],
        depends=[os.path.join("src", "devcompat", "dcpy.h")],
        include_dirs=[f[2:] for f in cflags if f.startswith("-I")],
        library_dirs=library_dirs,
        libraries=[f[2:] for f in libs if f.startswith("-l")],
        runtime_library_dirs=rpath,
        extra_compile_args=extra_compile,
        extra_link_args=[f for f in libs if not f.startswith(("-L", "-l"))]
        + shlex.split(os.environ.get("DEVCOMPAT_EXTRA_CFLAGS", "")),
        define_macros=[("DCPY_POLICY_DIR", '"%s"' % policy_dir().replace('"', '\\"'))],
    )],
)
