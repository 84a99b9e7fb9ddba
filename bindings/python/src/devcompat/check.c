/* check.c -- Policy.check and Policy.check_many: the calls a scheduler
 * makes in its loop.  Both release the GIL while the library checks; the
 * objects the check reads are held (referenced) for its duration, so
 * another thread cannot free them meanwhile. */
#include "dcpy.h"

#include <time.h>

PyObject *Dcpy_verdict_str[3];

#define PREFETCH_AHEAD 8
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

PyObject *dcpy_policy_check(PolicyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2)
        return PyErr_Format(PyExc_TypeError, "check() takes a source and a target (%zd given)",
                            nargs);
    PreparedObject *src = dcpy_prepared_from(self, args[0], "source");
    if (!src)
        return NULL;
    PreparedObject *tgt = dcpy_prepared_from(self, args[1], "target");
    if (!tgt) {
        Py_DECREF(src);
        return NULL;
    }
    PyObject *res = NULL;
    dc_result *r = dcpy_result_take(self);
    if (!r) {
        PyErr_NoMemory();
        goto out;
    }
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = dc_check(self->policy, src->prepared, tgt->prepared, r);
    Py_END_ALLOW_THREADS
    if (st != DC_OK) {
        dcpy_result_give(self, r);
        dcpy_raise(st, NULL, Dcpy_Error, NULL);
        goto out;
    }
    res = dcpy_result_new(self, src, tgt, r);
out:
    Py_DECREF(src);
    Py_DECREF(tgt);
    return res;
}

/* The targets of check_many as a new tuple of Prepared (facts prepared on
 * the way), which keeps them alive while the GIL is released; their
 * pointers in *ptrs. */
static PyObject *targets_of(PolicyObject *self, PyObject *targets, const dc_prepared ***ptrs)
{
    PyObject *seq = PySequence_Fast(targets, "check_many() takes a Fleet or a sequence of "
                                             "targets");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *tuple = PyTuple_New(n);
    *ptrs = PyMem_Malloc((size_t)(n ? n : 1) * sizeof **ptrs);
    if (!tuple || !*ptrs) {
        PyErr_NoMemory();
        goto fail;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = items[i];
        PreparedObject *p;
        if (i + PREFETCH_AHEAD < n)     /* each target's object is a cache miss */
            PREFETCH(items[i + PREFETCH_AHEAD]);
        if (PyObject_TypeCheck(item, &Prepared_Type) &&
            ((PreparedObject *)item)->policy != self) {
            PyErr_Format(PyExc_ValueError, "target %zd was prepared for policy %s, not %s", i,
                         dc_policy_name(((PreparedObject *)item)->policy->policy),
                         dc_policy_name(self->policy));
            goto fail;
        }
        if (!(p = dcpy_prepared_from(self, item, "target")))
            goto fail;
        PyTuple_SET_ITEM(tuple, i, (PyObject *)p);
        (*ptrs)[i] = p->prepared;
    }
    Py_DECREF(seq);
    return tuple;
fail:
    PyMem_Free(*ptrs);
    *ptrs = NULL;
    Py_XDECREF(tuple);
    Py_DECREF(seq);
    return NULL;
}

PyObject *dcpy_policy_check_many(PolicyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames)
{
    int blocks_wanted = 0;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *kw = PyTuple_GET_ITEM(kwnames, k);
        if (!PyUnicode_Check(kw) || PyUnicode_CompareWithASCIIString(kw, "blocks") != 0)
            return PyErr_Format(PyExc_TypeError, "check_many() got an unexpected keyword "
                                "argument %R", kw);
        if ((blocks_wanted = PyObject_IsTrue(args[nargs + k])) < 0)
            return NULL;
    }
    if (nargs != 2)
        return PyErr_Format(PyExc_TypeError, "check_many() takes a source and targets (%zd "
                            "given)", nargs);
    PreparedObject *src = dcpy_prepared_from(self, args[0], "source");
    if (!src)
        return NULL;
    PyObject *keep = NULL, *out = NULL;
    const dc_prepared **ptrs = NULL;
    const dc_fleet *fleet = NULL;
    Py_ssize_t n;
    if (PyObject_TypeCheck(args[1], &Fleet_Type)) {
        FleetObject *fl = (FleetObject *)args[1];
        if (fl->policy != self) {
            PyErr_Format(PyExc_ValueError, "the fleet was made for policy %s, not %s",
                         dc_policy_name(fl->policy->policy), dc_policy_name(self->policy));
            goto done;
        }
        keep = Py_NewRef(args[1]);
        fleet = fl->fleet;
        n = (Py_ssize_t)dc_fleet_count(fleet);
    } else {
        if (!(keep = targets_of(self, args[1], &ptrs)))
            goto done;
        n = PyTuple_GET_SIZE(keep);
    }
    dc_verdict *verdicts = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *verdicts);
    int32_t *blocks = blocks_wanted ? PyMem_Malloc((size_t)(n ? n : 1) * sizeof *blocks) : NULL;
    if (!verdicts || (blocks_wanted && !blocks)) {
        PyMem_Free(verdicts);
        PyErr_NoMemory();
        goto done;
    }
    dc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = fleet ? dc_check_fleet(self->policy, src->prepared, fleet, verdicts, blocks)
               : dc_check_batch(self->policy, src->prepared, ptrs, (size_t)n, verdicts, blocks);
    Py_END_ALLOW_THREADS
    if (st != DC_OK) {
        dcpy_raise(st, NULL, Dcpy_Error, NULL);
    } else if ((out = PyList_New(n))) {
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = Py_NewRef(Dcpy_verdict_str[verdicts[i] <= DC_TARGET_MISMATCH
                                                         ? verdicts[i] : DC_INCOMPATIBLE]);
            if (blocks_wanted) {
                PyObject *b = blocks[i] >= 0 && verdicts[i] == DC_COMPATIBLE
                                  ? PyLong_FromLong(blocks[i]) : Py_NewRef(Py_None);
                PyObject *pair = b ? PyTuple_Pack(2, v, b) : NULL;
                Py_DECREF(v);
                Py_XDECREF(b);
                if (!pair) {
                    Py_CLEAR(out);
                    break;
                }
                v = pair;
            }
            PyList_SET_ITEM(out, i, v);
        }
    }
    PyMem_Free(verdicts);
    PyMem_Free(blocks);
done:
    PyMem_Free(ptrs);
    Py_XDECREF(keep);
    Py_DECREF(src);
    return out;
}

/* Policy._batch_cpu_ns(source, targets, reps) -> int: the thread CPU time,
 * in ns, of `reps` library batch checks (dc_check_batch, or dc_check_fleet
 * for a Fleet) of `source` against `targets`, with nothing of Python in the
 * loop: what check_many costs beyond it is the binding's (bench/python_bench.py). */
PyObject *dcpy_policy_batch_cpu_ns(PolicyObject *self, PyObject *args)
{
    PyObject *source, *targets;
    Py_ssize_t reps;
    if (!PyArg_ParseTuple(args, "OOn:_batch_cpu_ns", &source, &targets, &reps))
        return NULL;
    PreparedObject *src = dcpy_prepared_from(self, source, "source");
    if (!src)
        return NULL;
    const dc_prepared **ptrs = NULL;
    const dc_fleet *fleet = NULL;
    PyObject *keep, *res = NULL;
    Py_ssize_t n;
    if (PyObject_TypeCheck(targets, &Fleet_Type) && ((FleetObject *)targets)->policy == self) {
        keep = Py_NewRef(targets);
        fleet = ((FleetObject *)targets)->fleet;
        n = (Py_ssize_t)dc_fleet_count(fleet);
    } else if ((keep = targets_of(self, targets, &ptrs))) {
        n = PyTuple_GET_SIZE(keep);
    } else {
        Py_DECREF(src);
        return NULL;
    }
    dc_verdict *verdicts = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *verdicts);
    if (!verdicts) {
        PyErr_NoMemory();
    } else {
        struct timespec t0, t1;
        dc_status st = DC_OK;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        for (Py_ssize_t r = 0; r < reps && st == DC_OK; r++)
            st = fleet ? dc_check_fleet(self->policy, src->prepared, fleet, verdicts, NULL)
                       : dc_check_batch(self->policy, src->prepared, ptrs, (size_t)n, verdicts,
                                        NULL);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
        res = st != DC_OK ? dcpy_raise(st, NULL, Dcpy_Error, NULL)
                          : PyLong_FromLongLong((long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
                                                (t1.tv_nsec - t0.tv_nsec));
        PyMem_Free(verdicts);
    }
    PyMem_Free(ptrs);
    Py_DECREF(keep);
    Py_DECREF(src);
    return res;
}
