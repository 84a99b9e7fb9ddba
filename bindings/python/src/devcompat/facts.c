/* facts.c -- the Facts type: a device's facts (docs/facts.md), immutable,
 * read as a mapping of str to str.
 *
 * Made from a mapping of str to str (anything else is a TypeError naming
 * the fact), parsed from text, or read by the library's readers (a facts
 * file of any format, a sysfs directory, an inventory).  Names and values
 * are checked by the library, whose message the FactsError carries. */
#include "dcpy.h"

static PyObject *facts_err(dc_status st, const dc_error *err)
{
    return dcpy_raise(st, err, st == DC_ERR_IO ? Dcpy_Error : Dcpy_FactsError, NULL);
}

PyObject *dcpy_facts_wrap(dc_facts *facts, PyObject *name)
{
    FactsObject *self = PyObject_New(FactsObject, &Facts_Type);
    if (!self) {
        dc_facts_free(facts);
        return NULL;
    }
    self->facts = facts;
    self->name = Py_NewRef(name ? name : Py_None);
    return (PyObject *)self;
}

/* Add one (name, value) pair of Python objects to f. */
static int add_pair(dc_facts *f, PyObject *key, PyObject *value)
{
    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "fact names must be str, not %.100s",
                     Py_TYPE(key)->tp_name);
        return -1;
    }
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "fact '%U': the value must be str, not %.100s%s", key,
                     Py_TYPE(value)->tp_name,
                     PyBytes_Check(value) ? " (decode it: facts are ASCII text)" : "");
        return -1;
    }
    Py_ssize_t nlen, vlen;
    const char *name = PyUnicode_AsUTF8AndSize(key, &nlen);
    const char *val = name ? PyUnicode_AsUTF8AndSize(value, &vlen) : NULL;
    if (!val)
        return -1;
    dc_error err;
    if ((size_t)nlen != strlen(name)) {
        PyObject *r = PyObject_Repr(key);
        const char *shown = r ? PyUnicode_AsUTF8(r) : NULL;
        if (!shown) {
            Py_XDECREF(r);
            return -1;
        }
        err.status = DC_ERR_FACTS;
        snprintf(err.message, sizeof err.message, "invalid fact name %.900s: a NUL byte", shown);
        Py_DECREF(r);
        facts_err(DC_ERR_FACTS, &err);
        return -1;
    }
    dc_status st = dc_facts_add(f, name, val, (size_t)vlen, &err);
    if (st != DC_OK) {
        facts_err(st, &err);
        return -1;
    }
    return 0;
}

/* collections.abc.Mapping, looked up once. */
static PyObject *mapping_abc(void)
{
    static PyObject *abc;
    if (!abc) {
        PyObject *m = PyImport_ImportModule("collections.abc");
        abc = m ? PyObject_GetAttrString(m, "Mapping") : NULL;
        Py_XDECREF(m);
        if (!abc)
            PyErr_Clear();
    }
    return abc ? abc : (PyObject *)&PyDict_Type;
}

FactsObject *dcpy_facts_from(PyObject *obj)
{
    if (PyObject_TypeCheck(obj, &Facts_Type))
        return (FactsObject *)Py_NewRef(obj);
    int is_mapping = PyDict_Check(obj) ? 1 : PyObject_IsInstance(obj, mapping_abc());
    if (is_mapping < 0)
        return NULL;
    if (!is_mapping) {
        PyErr_Format(PyExc_TypeError, "facts must be a Facts or a mapping of str to str, "
                     "not %.100s", Py_TYPE(obj)->tp_name);
        return NULL;
    }
    dc_facts *f = NULL;
    dc_error err;
    dc_status st = dc_facts_new(&f, &err);
    if (st != DC_OK)
        return (FactsObject *)facts_err(st, &err);
    PyObject *items = PyMapping_Items(obj);
    if (!items) {
        dc_facts_free(f);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *pair = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "a mapping's items must be pairs");
            goto fail;
        }
        if (add_pair(f, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0)
            goto fail;
    }
    Py_DECREF(items);
    return (FactsObject *)dcpy_facts_wrap(f, NULL);
fail:
    Py_DECREF(items);
    dc_facts_free(f);
    return NULL;
}

PyObject *dcpy_facts_dict(const dc_facts *facts)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < dc_facts_count(facts); i++) {
        PyObject *v = PyUnicode_FromString(dc_facts_value(facts, i));
        if (!v || PyDict_SetItemString(d, dc_facts_name(facts, i), v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

/* ------------------------------------------------------------ the type */

static PyObject *Facts_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *mapping = NULL;
    static char *kwlist[] = { "facts", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Facts", kwlist, &mapping))
        return NULL;
    if (!mapping) {
        dc_facts *f = NULL;
        dc_error err;
        dc_status st = dc_facts_new(&f, &err);
        return st == DC_OK ? dcpy_facts_wrap(f, NULL) : facts_err(st, &err);
    }
    if (PyObject_TypeCheck(mapping, &Facts_Type)) {
        PyObject *d = dcpy_facts_dict(((FactsObject *)mapping)->facts);
        if (!d)
            return NULL;
        FactsObject *copy = dcpy_facts_from(d);
        Py_DECREF(d);
        return (PyObject *)copy;
    }
    return (PyObject *)dcpy_facts_from(mapping);
}

static void Facts_dealloc(FactsObject *self)
{
    dc_facts_free(self->facts);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *Facts_read(PyObject *cls, PyObject *args, PyObject *kwds)
{
    PyObject *arg, *path = NULL, *root = NULL;
    static char *kwlist[] = { "source", "sysfs_root", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O&:Facts.read", kwlist, &arg,
                                     PyUnicode_FSConverter, &root))
        return NULL;
    if (!PyUnicode_FSConverter(arg, &path)) {
        Py_XDECREF(root);
        return NULL;
    }
    dc_facts *f = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_facts_open(PyBytes_AS_STRING(path), root ? PyBytes_AS_STRING(root) : NULL, &f, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    Py_XDECREF(root);
    if (st != DC_OK)
        return facts_err(st, &err);
    PyObject *name = PyOS_FSPath(arg);
    PyObject *res = name ? dcpy_facts_wrap(f, name) : (dc_facts_free(f), NULL);
    Py_XDECREF(name);
    return res;
}

/* The importer a format names ("libvirt", "mdevctl"...), DC_SOURCE_AUTO
 * for the facts formats; -1 (ValueError set) for an unknown name. */
static int source_of(const char *format)
{
    if (!strcmp(format, "auto") || !strcmp(format, "kv") || !strcmp(format, "yaml") ||
        !strcmp(format, "json"))
        return DC_SOURCE_AUTO;
    for (int s = DC_SOURCE_AUTO + 1; dc_source_name((dc_source)s); s++)
        if (!strcmp(format, dc_source_name((dc_source)s)))
            return s;
    PyErr_Format(PyExc_ValueError, "format must be auto, kv, yaml, json or an importer's "
                 "name (libvirt, mdevctl, lspci, devlink, dra), not '%s'", format);
    return -1;
}

static PyObject *Facts_parse(PyObject *cls, PyObject *args, PyObject *kwds)
{
    Py_buffer text;
    const char *format = "auto", *name = "<string>", *id = NULL;
    static char *kwlist[] = { "text", "format", "name", "id", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s*|ssz:Facts.parse", kwlist, &text, &format,
                                     &name, &id))
        return NULL;
    int source = source_of(format);
    if (source < 0) {
        PyBuffer_Release(&text);
        return NULL;
    }
    if (source != DC_SOURCE_AUTO || id) {
        dc_facts *f = NULL;
        dc_error err;
        dc_status st;
        Py_BEGIN_ALLOW_THREADS
        st = dc_facts_parse_source((dc_source)source, name, text.buf, (size_t)text.len, id, &f,
                                   &err);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&text);
        return st == DC_OK ? dcpy_facts_wrap(f, NULL) : facts_err(st, &err);
    }
    const char *p = text.buf;
    size_t n = (size_t)text.len, k = 0;
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
        k++;
    bool yaml;
    if (!strcmp(format, "yaml") || !strcmp(format, "json"))
        yaml = true;
    else if (!strcmp(format, "kv"))
        yaml = false;
    else
        yaml = (k < n && p[k] == '{') || (n - k >= 3 && !memcmp(p + k, "---", 3));
    dc_facts *f = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = yaml ? dc_facts_parse_yaml(name, p, n, &f, &err) : dc_facts_parse_text(name, p, n, &f,
                                                                                  &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&text);
    if (st != DC_OK)
        return facts_err(st, &err);
    return dcpy_facts_wrap(f, NULL);
}

static PyObject *Facts_from_sysfs(PyObject *cls, PyObject *args, PyObject *kwds)
{
    PyObject *dir = NULL, *root = NULL;
    static char *kwlist[] = { "dir", "root", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:Facts.from_sysfs", kwlist,
                                     PyUnicode_FSConverter, &dir, PyUnicode_FSConverter, &root))
        return NULL;
    dc_facts *f = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_facts_read_sysfs(root ? PyBytes_AS_STRING(root) : NULL, PyBytes_AS_STRING(dir), &f,
                             &err);
    Py_END_ALLOW_THREADS
    PyObject *name = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(dir));
    Py_DECREF(dir);
    Py_XDECREF(root);
    if (st != DC_OK) {
        Py_XDECREF(name);
        return facts_err(st, &err);
    }
    PyObject *res = name ? dcpy_facts_wrap(f, name) : (dc_facts_free(f), NULL);
    Py_XDECREF(name);
    return res;
}

/* An inventory as {id: Facts}, in its order; frees it. */
static PyObject *inventory_dict(dc_inventory *inv)
{
    PyObject *out = PyDict_New();
    for (size_t i = 0; out && i < dc_inventory_count(inv); i++) {
        PyObject *d = dcpy_facts_dict(dc_inventory_facts(inv, i));
        FactsObject *f = d ? dcpy_facts_from(d) : NULL;
        PyObject *id = f ? PyUnicode_FromString(dc_inventory_id(inv, i)) : NULL;
        if (id)
            Py_SETREF(f->name, Py_NewRef(id));
        if (!id || PyDict_SetItem(out, id, (PyObject *)f) < 0)
            Py_CLEAR(out);
        Py_XDECREF(d);
        Py_XDECREF(f);
        Py_XDECREF(id);
    }
    dc_inventory_free(inv);
    return out;
}

/* read_inventory(source, sysfs_root=None) -> {id: Facts}. */
PyObject *dcpy_read_inventory(PyObject *module, PyObject *args, PyObject *kwds)
{
    PyObject *path = NULL, *root = NULL;
    static char *kwlist[] = { "source", "sysfs_root", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:read_inventory", kwlist,
                                     PyUnicode_FSConverter, &path, PyUnicode_FSConverter, &root))
        return NULL;
    dc_inventory *inv = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_inventory_open(PyBytes_AS_STRING(path), root ? PyBytes_AS_STRING(root) : NULL, &inv,
                           &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    Py_XDECREF(root);
    if (st != DC_OK)
        return facts_err(st, &err);
    return inventory_dict(inv);
}

/* parse_inventory(text, format, name='<string>') -> {id: Facts}. */
PyObject *dcpy_parse_inventory(PyObject *module, PyObject *args, PyObject *kwds)
{
    Py_buffer text;
    const char *format = "auto", *name = "<string>";
    static char *kwlist[] = { "text", "format", "name", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s*|ss:parse_inventory", kwlist, &text,
                                     &format, &name))
        return NULL;
    int source = source_of(format);
    if (source < 0) {
        PyBuffer_Release(&text);
        return NULL;
    }
    dc_inventory *inv = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_inventory_parse_source((dc_source)source, name, text.buf, (size_t)text.len, &inv,
                                   &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&text);
    if (st != DC_OK)
        return facts_err(st, &err);
    return inventory_dict(inv);
}

/* ------------------------------------------------------------ mapping */

static Py_ssize_t Facts_len(FactsObject *self) { return (Py_ssize_t)dc_facts_count(self->facts); }

static PyObject *Facts_getitem(FactsObject *self, PyObject *key)
{
    if (!PyUnicode_Check(key))
        return PyErr_Format(PyExc_TypeError, "fact names are str, not %.100s",
                            Py_TYPE(key)->tp_name);
    Py_ssize_t n;
    const char *name = PyUnicode_AsUTF8AndSize(key, &n);
    if (!name)
        return NULL;
    const char *v = (size_t)n == strlen(name) ? dc_facts_lookup(self->facts, name) : NULL;
    if (!v) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyUnicode_FromString(v);
}

static int Facts_contains(FactsObject *self, PyObject *key)
{
    if (!PyUnicode_Check(key))
        return 0;
    Py_ssize_t n;
    const char *name = PyUnicode_AsUTF8AndSize(key, &n);
    if (!name)
        return -1;
    return (size_t)n == strlen(name) && dc_facts_lookup(self->facts, name) != NULL;
}

static PyObject *Facts_names(FactsObject *self, int which)
{
    size_t n = dc_facts_count(self->facts);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *item;
        if (which == 0)
            item = PyUnicode_FromString(dc_facts_name(self->facts, i));
        else if (which == 1)
            item = PyUnicode_FromString(dc_facts_value(self->facts, i));
        else
            item = Py_BuildValue("(ss)", dc_facts_name(self->facts, i),
                                 dc_facts_value(self->facts, i));
        if (!item)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

static PyObject *Facts_keys(FactsObject *self, PyObject *unused) { return Facts_names(self, 0); }
static PyObject *Facts_values(FactsObject *self, PyObject *unused) { return Facts_names(self, 1); }
static PyObject *Facts_items(FactsObject *self, PyObject *unused) { return Facts_names(self, 2); }

static PyObject *Facts_iter(FactsObject *self)
{
    PyObject *keys = Facts_names(self, 0);
    PyObject *it = keys ? PyObject_GetIter(keys) : NULL;
    Py_XDECREF(keys);
    return it;
}

static PyObject *Facts_get(FactsObject *self, PyObject *args)
{
    PyObject *key, *dflt = Py_None;
    if (!PyArg_UnpackTuple(args, "get", 1, 2, &key, &dflt))
        return NULL;
    int has = Facts_contains(self, key);
    if (has < 0)
        return NULL;
    return has ? Facts_getitem(self, key) : Py_NewRef(dflt);
}

static PyObject *Facts_to_dict(FactsObject *self, PyObject *unused)
{
    return dcpy_facts_dict(self->facts);
}

static PyObject *Facts_richcompare(FactsObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) || !(PyObject_TypeCheck(other, &Facts_Type) ||
                                          PyDict_Check(other)))
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *a = dcpy_facts_dict(self->facts);
    PyObject *b = PyDict_Check(other) ? Py_NewRef(other)
                                      : dcpy_facts_dict(((FactsObject *)other)->facts);
    PyObject *res = a && b ? PyObject_RichCompare(a, b, op) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return res;
}

static PyObject *Facts_repr(FactsObject *self)
{
    PyObject *d = dcpy_facts_dict(self->facts);
    PyObject *r = d ? PyUnicode_FromFormat("Facts(%R)", d) : NULL;
    Py_XDECREF(d);
    return r;
}

static PyMappingMethods Facts_as_mapping = {
    .mp_length = (lenfunc)Facts_len,
    .mp_subscript = (binaryfunc)Facts_getitem,
};

static PySequenceMethods Facts_as_sequence = {
    .sq_contains = (objobjproc)Facts_contains,
};

static PyMethodDef Facts_methods[] = {
    { "read", (PyCFunction)(void (*)(void))Facts_read, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
      "Facts.read(source, sysfs_root=None) -> Facts\n\nOne device's facts from a facts "
      "argument as compatc takes one (docs/facts.md): a facts file of any format, "
      "'libvirt:FILE.xml', 'mdevctl:FILE.json#ID', 'lspci:FILE#SLOT', 'devlink:FILE', "
      "'dra:FILE#POOL/DEVICE', 'libvirt+URI:NODEDEV', 'sysfs:DIR' (below sysfs_root), "
      "a sysfs directory." },
    { "parse", (PyCFunction)(void (*)(void))Facts_parse, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
      "Facts.parse(text, format='auto', name='<string>', id=None) -> Facts\n\nParse "
      "key=value text (format='kv'), YAML/JSON ('yaml', 'json'; 'auto' takes YAML for text "
      "starting with '{' or '---'), or an importer's format ('libvirt' node device XML, "
      "'mdevctl', 'lspci', 'devlink', 'dra'); `id` picks one device of many.  `name` names "
      "the text in errors.  text is str or bytes." },
    { "from_sysfs", (PyCFunction)(void (*)(void))Facts_from_sysfs,
      METH_VARARGS | METH_KEYWORDS | METH_CLASS,
      "Facts.from_sysfs(dir, root=None) -> Facts\n\nRead a PCI device, mdev device or mdev "
      "type directory below a sysfs root (default '/')." },
    { "keys", (PyCFunction)Facts_keys, METH_NOARGS, "The fact names, sorted." },
    { "values", (PyCFunction)Facts_values, METH_NOARGS, "The values, in name order." },
    { "items", (PyCFunction)Facts_items, METH_NOARGS, "(name, value) pairs, in name order." },
    { "get", (PyCFunction)Facts_get, METH_VARARGS, "get(name, default=None)" },
    { "to_dict", (PyCFunction)Facts_to_dict, METH_NOARGS, "The facts as a new dict." },
    { NULL, NULL, 0, NULL },
};

static PyMemberDef Facts_members[] = {
    { "name", T_OBJECT, offsetof(FactsObject, name), READONLY,
      "The file or id the facts were read from, or None." },
    { NULL, 0, 0, 0, NULL },
};

PyTypeObject Facts_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "devcompat.Facts",
    .tp_basicsize = sizeof(FactsObject),
    .tp_dealloc = (destructor)Facts_dealloc,
    .tp_repr = (reprfunc)Facts_repr,
    .tp_as_mapping = &Facts_as_mapping,
    .tp_as_sequence = &Facts_as_sequence,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_MAPPING,
    .tp_doc = "Facts(mapping=None)\n\nA device's facts: an immutable mapping of names to "
              "values, both str (docs/facts.md).  Names and values are checked as the "
              "library checks them: a bad one raises FactsError with its message; a value "
              "that is not a str raises TypeError.",
    .tp_iter = (getiterfunc)Facts_iter,
    .tp_richcompare = (richcmpfunc)Facts_richcompare,
    .tp_methods = Facts_methods,
    .tp_members = Facts_members,
    .tp_new = Facts_new,
};

int dcpy_facts_init(PyObject *module)
{
    if (PyType_Ready(&Facts_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Facts", (PyObject *)&Facts_Type);
}
