"""The module's surface: every public name has a stub and a docstring."""
import ast
import os

import devcompat


def stub_names():
    path = os.path.join(os.path.dirname(devcompat.__file__), "__init__.pyi")
    tree = ast.parse(open(path).read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
    return names, tree


def test_every_public_name_has_a_stub():
    names, _ = stub_names()
    assert set(devcompat.__all__) <= names, set(devcompat.__all__) - names


def test_stubbed_methods_exist():
    _, tree = stub_names()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(devcompat, node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    assert hasattr(cls, item.name), "%s.%s" % (node.name, item.name)


def test_docstrings():
    for name in devcompat.__all__:
        obj = getattr(devcompat, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
        for attr in dir(obj) if isinstance(obj, type) else ():
            member = getattr(obj, attr)
            if not attr.startswith("_") and callable(member):
                assert member.__doc__, "%s.%s" % (name, attr)
    assert devcompat.__doc__


def test_exception_hierarchy():
    for cls in (devcompat.PolicyError, devcompat.FactsError, devcompat.NoPolicy,
                devcompat.AmbiguousPolicy):
        assert issubclass(cls, devcompat.Error)
    assert issubclass(devcompat.Error, Exception)
    assert devcompat.library_version
