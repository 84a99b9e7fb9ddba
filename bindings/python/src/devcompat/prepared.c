/* prepared.c -- the Prepared type (a device's facts prepared once for one
 * policy) and the Fleet type (prepared targets packed for check_many).
 *
 * A Prepared holds its Policy: the library's prepared object lives in the
 * policy's terms and must not outlive it (docs/embedding.md), so dropping
 * the last other reference to a Policy never frees it under its Prepared.
 * A Fleet holds its Policy and its targets for the same reason. */
#include "dcpy.h"

static PyObject *prepared_wrap(PolicyObject *policy, dc_prepared *p, PyObject *name)
{
    PreparedObject *self = PyObject_New(PreparedObject, &Prepared_Type);
    if (!self) {
        dc_prepared_free(p);
        return NULL;
    }
    self->prepared = p;
    self->policy = (PolicyObject *)Py_NewRef((PyObject *)policy);
    self->name = Py_NewRef(name ? name : Py_None);
    self->weakrefs = NULL;
    return (PyObject *)self;
}

PreparedObject *dcpy_prepared_from(PolicyObject *policy, PyObject *obj, const char *what)
{
    if (PyObject_TypeCheck(obj, &Prepared_Type)) {
        PreparedObject *p = (PreparedObject *)obj;
        if (p->policy != policy) {
            PyErr_Format(PyExc_ValueError, "the %s was prepared for policy %s, not %s", what,
                         dc_policy_name(p->policy->policy), dc_policy_name(policy->policy));
            return NULL;
        }
        return (PreparedObject *)Py_NewRef(obj);
    }
    FactsObject *f = dcpy_facts_from(obj);
    if (!f)
        return NULL;
    dc_prepared *p = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_prepare(policy->policy, f->facts, &p, &err);
    Py_END_ALLOW_THREADS
    PyObject *res = st == DC_OK ? prepared_wrap(policy, p, f->name)
                                : dcpy_raise(st, &err, Dcpy_FactsError, NULL);
    Py_DECREF(f);
    return (PreparedObject *)res;
}

PyObject *dcpy_policy_prepare(PolicyObject *policy, PyObject *facts)
{
    if (PyObject_TypeCheck(facts, &Prepared_Type))
        return PyErr_Format(PyExc_TypeError, "prepare() takes facts, not a Prepared");
    return (PyObject *)dcpy_prepared_from(policy, facts, "facts");
}

static void Prepared_dealloc(PreparedObject *self)
{
    if (self->weakrefs)
        PyObject_ClearWeakRefs((PyObject *)self);
    dc_prepared_free(self->prepared);
    Py_XDECREF(self->policy);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *Prepared_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyErr_SetString(PyExc_TypeError, "make a Prepared with Policy.prepare(facts)");
    return NULL;
}

static PyObject *Prepared_repr(PreparedObject *self)
{
    if (self->name != Py_None)
        return PyUnicode_FromFormat("<devcompat.Prepared %R for %s>", self->name,
                                    dc_policy_name(self->policy->policy));
    return PyUnicode_FromFormat("<devcompat.Prepared for %s>",
                                dc_policy_name(self->policy->policy));
}

static PyMemberDef Prepared_members[] = {
    { "policy", T_OBJECT, offsetof(PreparedObject, policy), READONLY,
      "The Policy these facts were prepared for." },
    { "name", T_OBJECT, offsetof(PreparedObject, name), READONLY,
      "The file or id of the facts, or None." },
    { NULL, 0, 0, 0, NULL },
};

PyTypeObject Prepared_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "devcompat.Prepared",
    .tp_basicsize = sizeof(PreparedObject),
    .tp_dealloc = (destructor)Prepared_dealloc,
    .tp_repr = (reprfunc)Prepared_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A device's facts prepared for one policy (Policy.prepare): every field the "
              "policy reads looked up and parsed once.  Read-only; threads may share it.",
    .tp_members = Prepared_members,
    .tp_weaklistoffset = offsetof(PreparedObject, weakrefs),
    .tp_new = Prepared_new,
};

/* ------------------------------------------------------------ fleet */

PyObject *dcpy_policy_fleet(PolicyObject *policy, PyObject *targets)
{
    PyObject *seq = PySequence_Fast(targets, "fleet() takes a sequence of targets");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *tuple = PyTuple_New(n);
    const dc_prepared **ptrs = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *ptrs);
    FleetObject *self = NULL;
    if (!tuple || !ptrs) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PreparedObject *p = dcpy_prepared_from(policy, PySequence_Fast_GET_ITEM(seq, i),
                                               "target");
        if (!p)
            goto out;
        PyTuple_SET_ITEM(tuple, i, (PyObject *)p);
        ptrs[i] = p->prepared;
    }
    dc_fleet *fleet = NULL;
    dc_error err;
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_fleet_new(policy->policy, ptrs, (size_t)n, &fleet, &err);
    Py_END_ALLOW_THREADS
    if (st != DC_OK) {
        dcpy_raise(st, &err, Dcpy_Error, NULL);
        goto out;
    }
    self = PyObject_New(FleetObject, &Fleet_Type);
    if (!self) {
        dc_fleet_free(fleet);
        goto out;
    }
    self->fleet = fleet;
    self->policy = (PolicyObject *)Py_NewRef((PyObject *)policy);
    self->targets = Py_NewRef(tuple);
out:
    PyMem_Free(ptrs);
    Py_XDECREF(tuple);
    Py_DECREF(seq);
    return (PyObject *)self;
}

static void Fleet_dealloc(FleetObject *self)
{
    dc_fleet_free(self->fleet);     /* before the targets it points into */
    Py_XDECREF(self->targets);
    Py_XDECREF(self->policy);
    Py_TYPE(self)->tp_free(self);
}

static Py_ssize_t Fleet_len(FleetObject *self) { return (Py_ssize_t)dc_fleet_count(self->fleet); }

static PyObject *Fleet_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyErr_SetString(PyExc_TypeError, "make a Fleet with Policy.fleet(targets)");
    return NULL;
}

static PySequenceMethods Fleet_as_sequence = {
    .sq_length = (lenfunc)Fleet_len,
};

static PyMemberDef Fleet_members[] = {
    { "policy", T_OBJECT, offsetof(FleetObject, policy), READONLY, "The Policy." },
    { "targets", T_OBJECT, offsetof(FleetObject, targets), READONLY,
      "The targets, a tuple of Prepared, in order." },
    { NULL, 0, 0, 0, NULL },
};

PyTypeObject Fleet_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "devcompat.Fleet",
    .tp_basicsize = sizeof(FleetObject),
    .tp_dealloc = (destructor)Fleet_dealloc,
    .tp_as_sequence = &Fleet_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Prepared targets packed for Policy.check_many (Policy.fleet): what a check "
              "reads of each target in one block of memory (docs/embedding.md).",
    .tp_members = Fleet_members,
    .tp_new = Fleet_new,
};

int dcpy_prepared_init(PyObject *module)
{
    if (PyType_Ready(&Prepared_Type) < 0 || PyType_Ready(&Fleet_Type) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "Prepared", (PyObject *)&Prepared_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Fleet", (PyObject *)&Fleet_Type);
}
