/* targets.c -- Policy.targets: which targets would accept a source
 * (docs/targets.md), copied out of the library's answer into Python
 * objects shaped as `compatc targets --json` prints them. */
#include "dcpy.h"

PyTypeObject *Target_Type, *Targets_Type;

static PyStructSequence_Field target_fields[] = {
    { "block", "the COMPATIBLE block that accepts the source" },
    { "block_name", "its name, or None" },
    { "facts", "the target's fixed facts (dict)" },
    { "open", "facts not fixed: dict of fact -> {'constraint': ..., 'requires': ...}" },
    { "decided", "False when values satisfying the open facts' requirements were not found "
                 "(docs/targets.md)" },
    { NULL, NULL },
};

static PyStructSequence_Desc target_desc = {
    "devcompat.Target", "A target that would accept the source.", target_fields, 5,
};

static PyStructSequence_Field targets_fields[] = {
    { "targets", "list of Target" },
    { "limited", "True when there were more combinations than the limit" },
    { "tried", "the number of combinations tried" },
    { NULL, NULL },
};

static PyStructSequence_Desc targets_desc = {
    "devcompat.Targets", "Policy.targets' answer.", targets_fields, 3,
};

static PyObject *str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "backslashreplace");
}

static PyObject *open_facts(const dc_targets *t, size_t i)
{
    PyObject *d = PyDict_New();
    for (size_t j = 0; d && j < dc_targets_open_count(t, i); j++) {
        dc_target_open o = DC_TARGET_OPEN_INIT;
        dc_status st = dc_targets_open_get(t, i, j, &o);
        if (st != DC_OK) {
            Py_DECREF(d);
            return dcpy_raise(st, NULL, Dcpy_Error, NULL);
        }
        PyObject *c = str_or_none(o.constraint), *r = c ? str_or_none(o.residue) : NULL;
        PyObject *item = r ? Py_BuildValue("{s:O,s:O}", "constraint", c, "requires", r) : NULL;
        if (!item || PyDict_SetItemString(d, o.fact, item) < 0)
            Py_CLEAR(d);
        Py_XDECREF(c);
        Py_XDECREF(r);
        Py_XDECREF(item);
    }
    return d;
}

static PyObject *target_object(const dc_targets *t, size_t i)
{
    PyObject *item = PyStructSequence_New(Target_Type);
    if (!item)
        return NULL;
    PyStructSequence_SET_ITEM(item, 0, PyLong_FromLong(dc_targets_block(t, i)));
    PyStructSequence_SET_ITEM(item, 1, str_or_none(dc_targets_block_name(t, i)));
    PyStructSequence_SET_ITEM(item, 2, dcpy_facts_dict(dc_targets_facts(t, i)));
    PyStructSequence_SET_ITEM(item, 3, open_facts(t, i));
    PyStructSequence_SET_ITEM(item, 4, PyBool_FromLong(dc_targets_decided(t, i)));
    for (Py_ssize_t k = 0; k < 5; k++)
        if (!PyStructSequence_GET_ITEM(item, k)) {
            Py_DECREF(item);
            return NULL;
        }
    return item;
}

PyObject *dcpy_targets_find(PolicyObject *policy, PyObject *source, Py_ssize_t limit)
{
    FactsObject *f = dcpy_facts_from(source);
    if (!f)
        return NULL;
    dc_targets *t = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_targets_find(policy->policy, f->facts, (size_t)limit, &t, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(f);
    if (st != DC_OK)
        return dcpy_raise(st, &err, Dcpy_Error, NULL);
    PyObject *list = PyList_New(0), *res = NULL;
    for (size_t i = 0; list && i < dc_targets_count(t); i++) {
        PyObject *item = target_object(t, i);
        if (!item || PyList_Append(list, item) < 0)
            Py_CLEAR(list);
        Py_XDECREF(item);
    }
    if (list && (res = PyStructSequence_New(Targets_Type))) {
        PyStructSequence_SET_ITEM(res, 0, Py_NewRef(list));
        PyStructSequence_SET_ITEM(res, 1, PyBool_FromLong(dc_targets_limited(t)));
        PyStructSequence_SET_ITEM(res, 2, PyLong_FromSize_t(dc_targets_tried_count(t)));
        if (!PyStructSequence_GET_ITEM(res, 2))
            Py_CLEAR(res);
    }
    Py_XDECREF(list);
    dc_targets_free(t);
    return res;
}

int dcpy_targets_init(PyObject *module)
{
    Target_Type = PyStructSequence_NewType(&target_desc);
    Targets_Type = PyStructSequence_NewType(&targets_desc);
    if (!Target_Type || !Targets_Type)
        return -1;
    if (PyModule_AddObjectRef(module, "Target", (PyObject *)Target_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Targets", (PyObject *)Targets_Type);
}
