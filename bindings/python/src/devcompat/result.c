/* result.c -- the Result type: a check's verdict, block, bindings and
 * reasons (docs/embedding.md), and the same as `compatc check --json`.
 *
 * The verdict and block are copied when the check returns; bindings,
 * reasons and the explanation are rendered from the library's result the
 * first time one is asked for, after which the dc_result goes back to the
 * policy's pool.  A Result holds the Policy and both Prepared objects the
 * dc_result points into until then. */
#include "dcpy.h"

PyTypeObject *Reason_Type;

static PyStructSequence_Field reason_fields[] = {
    { "block", "the COMPATIBLE block (0-based), or None for SELF" },
    { "block_name", "its name, or None" },
    { "file", "the policy's file" },
    { "line", "the rule's line" },
    { "field", "the field the rule reads, or None for a `where`" },
    { "expected", "what the rule wanted" },
    { "actual", "what the device had, or None when the field is absent" },
    { "message", "one sentence, without file and line" },
    /* by name only: a Reason still unpacks as the 8 fields above */
    { "values", "the variables the rule read: name -> value (an int, or the canonical text)" },
    { "missing", "for a false subset(a, b), the items of a that b lacks; else None" },
    { NULL, NULL },
};

#define REASON_FIELDS 10

static PyStructSequence_Desc reason_desc = {
    "devcompat.Reason",
    "Why a block refused: its first failing rule.",
    reason_fields, 8,
};

PyObject *dcpy_result_new(PolicyObject *policy, PreparedObject *source, PreparedObject *target,
                          dc_result *r)
{
    ResultObject *self = PyObject_New(ResultObject, &Result_Type);
    if (!self) {
        dcpy_result_give(policy, r);
        return NULL;
    }
    self->result = r;
    self->policy = (PolicyObject *)Py_NewRef((PyObject *)policy);
    self->source = (PreparedObject *)Py_NewRef((PyObject *)source);
    self->target = (PreparedObject *)Py_NewRef((PyObject *)target);
    self->verdict = dc_result_verdict(r);
    if (self->verdict > DC_TARGET_MISMATCH)
        self->verdict = DC_INCOMPATIBLE;
    self->block = self->verdict == DC_COMPATIBLE ? dc_result_block(r) : -1;
    self->bindings = self->reasons = self->explain = self->json = NULL;
    return (PyObject *)self;
}

static void Result_dealloc(ResultObject *self)
{
    if (self->result)
        dcpy_result_give(self->policy, self->result);
    Py_XDECREF(self->bindings);
    Py_XDECREF(self->reasons);
    Py_XDECREF(self->explain);
    Py_XDECREF(self->json);
    Py_XDECREF(self->policy);
    Py_XDECREF(self->source);
    Py_XDECREF(self->target);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "backslashreplace");
}

/* A binding's value as `compatc check --json` writes it: an int as a
 * number, any other type (a hex too) as its canonical text. */
static PyObject *binding_value(const dc_binding *b)
{
    if (b->type == DC_TYPE_INT)
        return PyLong_FromLongLong((long long)b->int_value);
    return str_or_none(b->text);
}

static PyObject *reason_object(const dc_reason *why)
{
    PyObject *item = PyStructSequence_New(Reason_Type);
    if (!item)
        return NULL;
    PyStructSequence_SET_ITEM(item, 0, why->block < 0 ? Py_NewRef(Py_None)
                                                        : PyLong_FromLong(why->block));
    PyStructSequence_SET_ITEM(item, 1, str_or_none(why->block_name));
    PyStructSequence_SET_ITEM(item, 2, str_or_none(why->file));
    PyStructSequence_SET_ITEM(item, 3, PyLong_FromUnsignedLong(why->line));
    PyStructSequence_SET_ITEM(item, 4, str_or_none(why->field));
    PyStructSequence_SET_ITEM(item, 5, str_or_none(why->expected));
    PyStructSequence_SET_ITEM(item, 6, str_or_none(why->actual));
    PyStructSequence_SET_ITEM(item, 7, str_or_none(why->message));
    PyObject *values = PyDict_New();
    for (size_t j = 0; values && j < why->nvalues; j++) {
        PyObject *v = binding_value(&why->values[j]);
        if (!v || PyDict_SetItemString(values, why->values[j].name, v) < 0)
            Py_CLEAR(values);
        Py_XDECREF(v);
    }
    PyStructSequence_SET_ITEM(item, 8, values);
    PyObject *missing = why->missing ? PyList_New(0) : Py_NewRef(Py_None);
    for (const char *p = why->missing; missing && p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        PyObject *it = PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "backslashreplace");
        if (!it || PyList_Append(missing, it) < 0)
            Py_CLEAR(missing);
        Py_XDECREF(it);
        p = comma ? comma + 1 : NULL;
    }
    PyStructSequence_SET_ITEM(item, 9, missing);
    for (Py_ssize_t k = 0; k < REASON_FIELDS; k++)
        if (!PyStructSequence_GET_ITEM(item, k)) {
            Py_DECREF(item);
            return NULL;
        }
    return item;
}

/* Render bindings and reasons once, then give the dc_result back. */
static int render(ResultObject *self)
{
    if (!self->result)
        return 0;
    dc_result *r = self->result;
    PyObject *bindings = PyDict_New(), *reasons = PyList_New(0);
    if (!bindings || !reasons)
        goto fail;
    for (size_t i = 0; self->verdict == DC_COMPATIBLE && i < dc_result_binding_count(r); i++) {
        dc_binding b = DC_BINDING_INIT;
        dc_status st = dc_result_binding_get(r, i, &b);
        if (st != DC_OK) {
            dcpy_raise(st, NULL, Dcpy_Error, NULL);
            goto fail;
        }
        PyObject *v = binding_value(&b);
        if (!v || PyDict_SetItemString(bindings, b.name, v) < 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        dc_status st = dc_result_reason_get(r, i, &why);
        if (st != DC_OK) {
            dcpy_raise(st, NULL, Dcpy_Error, NULL);
            goto fail;
        }
        PyObject *item = reason_object(&why);
        if (!item || PyList_Append(reasons, item) < 0) {
            Py_XDECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    const char *text = NULL;
    dc_status st = dc_result_explain(r, &text);
    if (st != DC_OK) {
        dcpy_raise(st, NULL, Dcpy_Error, NULL);
        goto fail;
    }
    if (!(self->explain = str_or_none(text)))
        goto fail;
    /* The JSON of `compatc check --json`, rendered by the library. */
    const char *tname = NULL;
    if (self->target->name != Py_None && !(tname = PyUnicode_AsUTF8(self->target->name)))
        goto fail;
    const char *json = NULL;
    if ((st = dc_result_render(r, DC_FORMAT_JSON, 0, tname, &json)) != DC_OK) {
        dcpy_raise(st, NULL, Dcpy_Error, NULL);
        goto fail;
    }
    if (!(self->json = str_or_none(json)))
        goto fail;
    self->bindings = bindings;
    self->reasons = reasons;
    dcpy_result_give(self->policy, r);
    self->result = NULL;
    return 0;
fail:
    Py_CLEAR(self->explain);
    Py_CLEAR(self->json);
    Py_XDECREF(bindings);
    Py_XDECREF(reasons);
    return -1;
}

static PyObject *Result_get_verdict(ResultObject *self, void *unused)
{
    return Py_NewRef(Dcpy_verdict_str[self->verdict]);
}

static PyObject *Result_get_compatible(ResultObject *self, void *unused)
{
    return PyBool_FromLong(self->verdict == DC_COMPATIBLE);
}

static PyObject *Result_get_block(ResultObject *self, void *unused)
{
    if (self->block < 0)
        Py_RETURN_NONE;
    return PyLong_FromLong(self->block);
}

static PyObject *Result_get_block_name(ResultObject *self, void *unused)
{
    if (self->block < 0)
        Py_RETURN_NONE;
    return str_or_none(dc_policy_block_name(self->policy->policy, (size_t)self->block));
}

static PyObject *Result_get_bindings(ResultObject *self, void *unused)
{
    if (render(self) < 0)
        return NULL;
    return PyDict_Copy(self->bindings);
}

static PyObject *Result_get_reasons(ResultObject *self, void *unused)
{
    if (render(self) < 0)
        return NULL;
    return PyList_GetSlice(self->reasons, 0, PyList_GET_SIZE(self->reasons));
}

/* The library's explanation, as `compatc check --explain` prints it. */
static PyObject *Result_get_explain(ResultObject *self, void *unused)
{
    if (render(self) < 0)
        return NULL;
    return Py_NewRef(self->explain);
}

static PyObject *json_loads;

static PyObject *Result_to_json(ResultObject *self, PyObject *unused)
{
    if (render(self) < 0)
        return NULL;
    return Py_NewRef(self->json);
}

static PyObject *Result_to_dict(ResultObject *self, PyObject *unused)
{
    if (render(self) < 0)
        return NULL;
    return PyObject_CallOneArg(json_loads, self->json);
}

static PyObject *Result_repr(ResultObject *self)
{
    if (self->verdict == DC_COMPATIBLE)
        return PyUnicode_FromFormat("<devcompat.Result compatible (block %d)>", self->block);
    return PyUnicode_FromFormat("<devcompat.Result %U>", Dcpy_verdict_str[self->verdict]);
}

static int Result_bool(ResultObject *self) { return self->verdict == DC_COMPATIBLE; }

static PyNumberMethods Result_as_number = {
    .nb_bool = (inquiry)Result_bool,
};

static PyMethodDef Result_methods[] = {
    { "to_dict", (PyCFunction)Result_to_dict, METH_NOARGS,
      "to_dict() -> dict\n\nThe object `compatc check --json` prints for this check "
      "(to_json(), parsed)." },
    { "to_json", (PyCFunction)Result_to_json, METH_NOARGS,
      "to_json() -> str\n\nThe JSON `compatc check --json` prints for this check, "
      "rendered by the library (a mismatch's message names the target's file)." },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef Result_getset[] = {
    { "verdict", (getter)Result_get_verdict, NULL,
      "\"compatible\", \"incompatible\" or \"target-mismatch\" (the policy is not the "
      "target's).", NULL },
    { "compatible", (getter)Result_get_compatible, NULL, "True when compatible.", NULL },
    { "block", (getter)Result_get_block, NULL,
      "The COMPATIBLE block that matched (0-based), or None.", NULL },
    { "block_name", (getter)Result_get_block_name, NULL, "Its name, or None.", NULL },
    { "bindings", (getter)Result_get_bindings, NULL,
      "A compatible result's variables (SELF's, then the block's): int for int, the "
      "canonical text for the other types (a hex as \"591d\").", NULL },
    { "reasons", (getter)Result_get_reasons, NULL,
      "Why not: one Reason per COMPATIBLE block (incompatible), or SELF's failing rule "
      "(target-mismatch).", NULL },
    { "explain", (getter)Result_get_explain, NULL,
      "The reasons as text, one line each.", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyMemberDef Result_members[] = {
    { "policy", T_OBJECT, offsetof(ResultObject, policy), READONLY, "The Policy." },
    { "source", T_OBJECT, offsetof(ResultObject, source), READONLY, "The source (Prepared)." },
    { "target", T_OBJECT, offsetof(ResultObject, target), READONLY, "The target (Prepared)." },
    { NULL, 0, 0, 0, NULL },
};

static PyObject *Result_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyErr_SetString(PyExc_TypeError, "a Result comes from Policy.check");
    return NULL;
}

PyTypeObject Result_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "devcompat.Result",
    .tp_basicsize = sizeof(ResultObject),
    .tp_dealloc = (destructor)Result_dealloc,
    .tp_repr = (reprfunc)Result_repr,
    .tp_as_number = &Result_as_number,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The outcome of Policy.check: verdict, block, bindings, reasons; true in a "
              "boolean context when compatible.",
    .tp_methods = Result_methods,
    .tp_members = Result_members,
    .tp_getset = Result_getset,
    .tp_new = Result_new,
};

int dcpy_result_init(PyObject *module)
{
    static const char *const names[3] = { "compatible", "incompatible", "target-mismatch" };
    for (int i = 0; i < 3; i++)
        if (!(Dcpy_verdict_str[i] = PyUnicode_InternFromString(names[i])))
            return -1;
    PyObject *json = PyImport_ImportModule("json");
    json_loads = json ? PyObject_GetAttrString(json, "loads") : NULL;
    Py_XDECREF(json);
    if (!json_loads)
        return -1;
    Reason_Type = PyStructSequence_NewType(&reason_desc);
    if (!Reason_Type || PyType_Ready(&Result_Type) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "Reason", (PyObject *)Reason_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Result", (PyObject *)&Result_Type);
}
