/* dcpy.h -- what the C files of the devcompat extension share.
 *
 * The extension is thin: each Python type wraps one libdevcompat object and
 * holds references to the Python objects whose C objects it points into, so
 * that Python's reference counting frees them in a safe order (a Prepared
 * keeps its Policy, a Result its Policy and both Prepared, a Fleet its
 * targets).  docs/python.md describes the surface. */
#ifndef DCPY_H
#define DCPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdbool.h>

#include <devcompat.h>

/* ------------------------------------------------------------ objects */

/* dc_results kept by a policy for reuse (a check needs one; making one
 * costs four allocations).  Taken and given back under the GIL. */
#define DCPY_RESULT_POOL 8

typedef struct {
    PyObject_HEAD
    dc_policy *policy;
    PyObject *warnings;         /* list of Diagnostic (a compile's warnings) */
    dc_result *pool[DCPY_RESULT_POOL];
    int npool;
    PyObject *weakrefs;
} PolicyObject;

typedef struct {
    PyObject_HEAD
    dc_facts *facts;
    PyObject *name;             /* str or None: the file it was read from */
} FactsObject;

typedef struct {
    PyObject_HEAD
    dc_prepared *prepared;
    PolicyObject *policy;       /* owns what `prepared` points into */
    PyObject *name;             /* str or None */
    PyObject *weakrefs;
} PreparedObject;

typedef struct {
    PyObject_HEAD
    dc_fleet *fleet;
    PolicyObject *policy;
    PyObject *targets;          /* tuple of Prepared: the fleet points into them */
} FleetObject;

typedef struct {
    PyObject_HEAD
    dc_result *result;          /* from policy's pool; NULL once rendered */
    PolicyObject *policy;
    PreparedObject *source, *target;
    dc_verdict verdict;
    int32_t block;
    PyObject *bindings;         /* rendered on first use, then cached */
    PyObject *reasons;
    PyObject *explain;
    PyObject *json;
} ResultObject;

extern PyTypeObject Policy_Type, Facts_Type, Prepared_Type, Fleet_Type, Result_Type;
extern PyTypeObject *Diagnostic_Type, *Reason_Type, *Target_Type, *OpenFact_Type,
    *Targets_Type;

/* Exceptions (errors.c). */
extern PyObject *Dcpy_Error, *Dcpy_PolicyError, *Dcpy_FactsError, *Dcpy_NoPolicy,
    *Dcpy_AmbiguousPolicy;

/* The three verdicts as interned str ("compatible", ...), indexed by dc_verdict. */
extern PyObject *Dcpy_verdict_str[3];

/* ------------------------------------------------------------ errors.c */

int dcpy_errors_init(PyObject *module);
/* Raise the exception for `st` (its message from err), `fallback` for a
 * status that has no class of its own; `diags`, when not NULL, become the
 * exception's .diagnostics.  Returns NULL. */
PyObject *dcpy_raise(dc_status st, const dc_error *err, PyObject *fallback, const dc_diags *diags);
/* A list of Diagnostic for diags' entries of `severity` (-1: all). */
PyObject *dcpy_diagnostics(const dc_diags *diags, int severity);

/* ------------------------------------------------------------ facts.c */

int dcpy_facts_init(PyObject *module);
/* A new Facts from a Facts (a new reference to it) or a mapping of str to str. */
FactsObject *dcpy_facts_from(PyObject *obj);
/* A dict of a dc_facts' names and values. */
PyObject *dcpy_facts_dict(const dc_facts *facts);
/* A Facts owning `facts` (taken), named `name` (borrowed, may be NULL). */
PyObject *dcpy_facts_wrap(dc_facts *facts, PyObject *name);

/* ------------------------------------------------------------ policy.c */

int dcpy_policy_init(PyObject *module);
/* A prepared object for `policy` from a Prepared of it (new reference),
 * a Facts or a mapping. */
PreparedObject *dcpy_prepared_from(PolicyObject *policy, PyObject *obj, const char *what);
dc_result *dcpy_result_take(PolicyObject *policy);
void dcpy_result_give(PolicyObject *policy, dc_result *r);

/* ------------------------------------------------------------ prepared.c */

int dcpy_prepared_init(PyObject *module);
/* Policy methods: prepare(facts), fleet(targets). */
PyObject *dcpy_policy_prepare(PolicyObject *policy, PyObject *facts);
PyObject *dcpy_policy_fleet(PolicyObject *policy, PyObject *targets);

/* ------------------------------------------------------------ check.c */

/* Policy methods: check(source, target), check_many(source, targets, blocks=False). */
PyObject *dcpy_policy_check(PolicyObject *policy, PyObject *const *args, Py_ssize_t nargs);
PyObject *dcpy_policy_check_many(PolicyObject *policy, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames);
PyObject *dcpy_policy_batch_cpu_ns(PolicyObject *policy, PyObject *args);
PyObject *dcpy_read_inventory(PyObject *module, PyObject *args, PyObject *kwds);
PyObject *dcpy_parse_inventory(PyObject *module, PyObject *args, PyObject *kwds);

/* ------------------------------------------------------------ result.c */

int dcpy_result_init(PyObject *module);
/* A Result of a check just run into `r` (taken). */
PyObject *dcpy_result_new(PolicyObject *policy, PreparedObject *source, PreparedObject *target,
                          dc_result *r);

/* ------------------------------------------------------------ targets.c */

int dcpy_targets_init(PyObject *module);
PyObject *dcpy_targets_find(PolicyObject *policy, PyObject *source, Py_ssize_t limit);

#endif
