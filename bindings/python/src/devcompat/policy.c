/* policy.c -- the Policy type: a compiled policy (docs/language.md), made
 * from source text, a file (.compat or .cbc) or .cbc bytes, saved as .cbc.
 *
 * A Policy is immutable and may be used from any number of threads; it
 * keeps a few dc_results for the checks run with it (taken and given back
 * under the GIL, so the pool needs no lock). */
#include "dcpy.h"

dc_result *dcpy_result_take(PolicyObject *self)
{
    if (self->npool)
        return self->pool[--self->npool];
    dc_result *r = NULL;
    return dc_result_new(self->policy, &r, NULL) == DC_OK ? r : NULL;
}

void dcpy_result_give(PolicyObject *self, dc_result *r)
{
    if (!r)
        return;
    if (self->npool < DCPY_RESULT_POOL)
        self->pool[self->npool++] = r;
    else
        dc_result_free(r);
}

static PyObject *policy_wrap(PyTypeObject *type, dc_policy *pol, const dc_diags *diags)
{
    PolicyObject *self = (PolicyObject *)type->tp_alloc(type, 0);
    if (!self) {
        dc_policy_free(pol);
        return NULL;
    }
    self->policy = pol;
    self->warnings = dcpy_diagnostics(diags, DC_SEV_WARNING);
    if (!self->warnings) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void Policy_dealloc(PolicyObject *self)
{
    if (self->weakrefs)
        PyObject_ClearWeakRefs((PyObject *)self);
    while (self->npool)
        dc_result_free(self->pool[--self->npool]);
    dc_policy_free(self->policy);
    Py_XDECREF(self->warnings);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *Policy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyErr_SetString(PyExc_TypeError, "make a Policy with Policy.compile, Policy.from_file or "
                                     "Policy.load");
    return NULL;
}

static PyObject *Policy_compile(PyObject *cls, PyObject *args, PyObject *kwds)
{
    Py_buffer text;
    const char *name = "<string>";
    static char *kwlist[] = { "text", "name", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s*|s:Policy.compile", kwlist, &text, &name))
        return NULL;
    dc_policy *pol = NULL;
    dc_diags *diags = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_policy_compile(name, text.buf, (size_t)text.len, &pol, &diags, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&text);
    PyObject *res = st == DC_OK ? policy_wrap((PyTypeObject *)cls, pol, diags)
                                : dcpy_raise(st, &err, Dcpy_PolicyError, diags);
    dc_diags_free(diags);
    return res;
}

static PyObject *Policy_from_file(PyObject *cls, PyObject *arg)
{
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    dc_policy *pol = NULL;
    dc_diags *diags = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_policy_read_file(PyBytes_AS_STRING(path), &pol, &diags, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    PyObject *res = st == DC_OK ? policy_wrap((PyTypeObject *)cls, pol, diags)
                                : dcpy_raise(st, &err, st == DC_ERR_IO ? Dcpy_Error
                                                                       : Dcpy_PolicyError, diags);
    dc_diags_free(diags);
    return res;
}

static PyObject *Policy_load(PyObject *cls, PyObject *args, PyObject *kwds)
{
    Py_buffer data;
    const char *name = "<bytes>";
    static char *kwlist[] = { "data", "name", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|s:Policy.load", kwlist, &data, &name))
        return NULL;
    dc_policy *pol = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_policy_load(name, data.buf, (size_t)data.len, &pol, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (st != DC_OK)
        return dcpy_raise(st, &err, Dcpy_PolicyError, NULL);
    return policy_wrap((PyTypeObject *)cls, pol, NULL);
}

static PyObject *Policy_to_bytes(PolicyObject *self, PyObject *unused)
{
    void *data = NULL;
    size_t len = 0;
    dc_error err;
    dc_status st = dc_policy_save(self->policy, &data, &len, &err);
    if (st != DC_OK)
        return dcpy_raise(st, &err, Dcpy_Error, NULL);
    PyObject *b = PyBytes_FromStringAndSize(data, (Py_ssize_t)len);
    dc_buffer_free(self->policy, data);
    return b;
}

static PyObject *Policy_save(PolicyObject *self, PyObject *arg)
{
    PyObject *b = Policy_to_bytes(self, NULL);
    if (!b)
        return NULL;
    PyObject *io = PyImport_ImportModule("io");
    PyObject *f = io ? PyObject_CallMethod(io, "open", "Os", arg, "wb") : NULL;
    Py_XDECREF(io);
    PyObject *res = f ? PyObject_CallMethod(f, "write", "O", b) : NULL;
    if (f) {
        PyObject *c = PyObject_CallMethod(f, "close", NULL);
        if (!c)
            Py_CLEAR(res);
        Py_XDECREF(c);
        Py_DECREF(f);
    }
    Py_DECREF(b);
    if (!res)
        return NULL;
    Py_DECREF(res);
    Py_RETURN_NONE;
}

static PyObject *Policy_get_name(PolicyObject *self, void *unused)
{
    return PyUnicode_FromString(dc_policy_name(self->policy));
}

static PyObject *Policy_get_file(PolicyObject *self, void *unused)
{
    const char *f = dc_policy_file(self->policy);
    if (!f)
        Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(f);
}

static PyObject *Policy_get_blocks(PolicyObject *self, void *unused)
{
    size_t n = dc_policy_block_count(self->policy);
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t && i < n; i++) {
        const char *bn = dc_policy_block_name(self->policy, i);
        PyObject *s = bn ? PyUnicode_FromString(bn) : Py_NewRef(Py_None);
        if (!s)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, (Py_ssize_t)i, s);
    }
    return t;
}

static PyObject *Policy_repr(PolicyObject *self)
{
    return PyUnicode_FromFormat("<devcompat.Policy %s>", dc_policy_name(self->policy));
}

static PyObject *Policy_targets(PolicyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *source;
    Py_ssize_t limit = 0;
    static char *kwlist[] = { "source", "limit", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|n:targets", kwlist, &source, &limit))
        return NULL;
    if (limit < 0)
        return PyErr_Format(PyExc_ValueError, "limit must be >= 0");
    return dcpy_targets_find(self, source, limit);
}

static PyMethodDef Policy_methods[] = {
    { "compile", (PyCFunction)(void (*)(void))Policy_compile,
      METH_VARARGS | METH_KEYWORDS | METH_CLASS,
      "Policy.compile(text, name='<string>') -> Policy\n\nCompile policy source (str or "
      "bytes); `name` names it in diagnostics and reasons.  Raises PolicyError, whose "
      ".diagnostics lists every error and warning." },
    { "from_file", (PyCFunction)Policy_from_file, METH_O | METH_CLASS,
      "Policy.from_file(path) -> Policy\n\nRead a .compat source (compiled) or a .cbc file "
      "(loaded and verified, recognised by its magic)." },
    { "load", (PyCFunction)(void (*)(void))Policy_load, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
      "Policy.load(data, name='<bytes>') -> Policy\n\nLoad .cbc bytes and verify them "
      "completely; a bad file raises PolicyError." },
    { "to_bytes", (PyCFunction)Policy_to_bytes, METH_NOARGS,
      "to_bytes() -> bytes\n\nThe policy as .cbc bytes (also bytes(policy))." },
    { "__bytes__", (PyCFunction)Policy_to_bytes, METH_NOARGS, "The .cbc bytes." },
    { "save", (PyCFunction)Policy_save, METH_O, "save(path)\n\nWrite the policy as a .cbc file." },
    { "prepare", (PyCFunction)dcpy_policy_prepare, METH_O,
      "prepare(facts) -> Prepared\n\nPrepare a device's facts (a Facts or a mapping) for "
      "this policy, once; a Prepared is a source or a target of its checks." },
    { "fleet", (PyCFunction)dcpy_policy_fleet, METH_O,
      "fleet(targets) -> Fleet\n\nPack prepared targets (or facts) together for "
      "check_many: one source against all of them, streaming through memory." },
    { "check", (PyCFunction)(void (*)(void))dcpy_policy_check, METH_FASTCALL,
      "check(source, target) -> Result\n\nMay `source` migrate to `target`?  Each is a "
      "Prepared of this policy, a Facts or a mapping.  Releases the GIL." },
    { "check_many", (PyCFunction)(void (*)(void))dcpy_policy_check_many,
      METH_FASTCALL | METH_KEYWORDS,
      "check_many(source, targets, *, blocks=False) -> list\n\nOne source against many "
      "targets (a list of Prepared, or a Fleet): the list of verdicts (\"compatible\", "
      "\"incompatible\", \"target-mismatch\"), or with blocks=True of (verdict, block) "
      "pairs, block None unless compatible.  Releases the GIL." },
    { "_batch_cpu_ns", (PyCFunction)dcpy_policy_batch_cpu_ns, METH_VARARGS,
      "_batch_cpu_ns(source, targets, reps) -> int\n\nFor the benchmark: thread CPU ns of "
      "`reps` library batch checks, without Python in the loop." },
    { "targets", (PyCFunction)(void (*)(void))Policy_targets, METH_VARARGS | METH_KEYWORDS,
      "targets(source, limit=0) -> Targets\n\nWhich targets would accept this source "
      "(`compatc targets`, docs/targets.md): every combination of SELF's finite domains, "
      "up to `limit` (0: 1024)." },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef Policy_getset[] = {
    { "name", (getter)Policy_get_name, NULL, "The POLICY block's name.", NULL },
    { "file", (getter)Policy_get_file, NULL, "The file it was compiled or loaded from.", NULL },
    { "blocks", (getter)Policy_get_blocks, NULL,
      "The COMPATIBLE blocks' names (None for an unnamed block), in order.", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyMemberDef Policy_members[] = {
    { "warnings", T_OBJECT, offsetof(PolicyObject, warnings), READONLY,
      "The compiler's warnings (Diagnostic), for a policy compiled from source." },
    { NULL, 0, 0, 0, NULL },
};

PyTypeObject Policy_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "devcompat.Policy",
    .tp_basicsize = sizeof(PolicyObject),
    .tp_dealloc = (destructor)Policy_dealloc,
    .tp_repr = (reprfunc)Policy_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A compiled policy: immutable, shareable between threads.  Made with "
              "Policy.compile, Policy.from_file or Policy.load.",
    .tp_weaklistoffset = offsetof(PolicyObject, weakrefs),
    .tp_methods = Policy_methods,
    .tp_members = Policy_members,
    .tp_getset = Policy_getset,
    .tp_new = Policy_new,
};

int dcpy_policy_init(PyObject *module)
{
    if (PyType_Ready(&Policy_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Policy", (PyObject *)&Policy_Type);
}
