/* errors.c -- the exception classes and the Diagnostic type; turning a
 * dc_status and its dc_error into a Python exception.
 *
 * Every exception carries the library's message (str(e)) and its status
 * name (e.status: "facts", "io", "limit", ...).  Out of memory is Python's
 * MemoryError. */
#include "dcpy.h"

PyObject *Dcpy_Error, *Dcpy_PolicyError, *Dcpy_FactsError, *Dcpy_NoPolicy,
    *Dcpy_AmbiguousPolicy;
PyTypeObject *Diagnostic_Type;

static PyStructSequence_Field diagnostic_fields[] = {
    { "file", "the file the compiler was given" },
    { "line", "1-based line" },
    { "col", "1-based column (bytes)" },
    { "end_col", "one past the last column of the span" },
    { "severity", "\"error\" or \"warning\"" },
    { "message", "what is wrong" },
    { "source_line", "the text of the line, or None" },
    { NULL, NULL },
};

static PyStructSequence_Desc diagnostic_desc = {
    "devcompat.Diagnostic",
    "A compiler diagnostic: file, line, col, end_col, severity, message, source_line.",
    diagnostic_fields, 7,
};

static PyObject *str_or_none(const char *s)
{
    if (!s)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "backslashreplace");
}

PyObject *dcpy_diagnostics(const dc_diags *diags, int severity)
{
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    size_t n = diags ? dc_diags_count(diags) : 0;
    for (size_t i = 0; i < n; i++) {
        dc_diag diag = DC_DIAG_INIT;
        const dc_diag *d = &diag;
        if (dc_diags_get(diags, i, &diag) != DC_OK ||
            (severity >= 0 && (int)d->severity != severity))
            continue;
        PyObject *item = PyStructSequence_New(Diagnostic_Type);
        if (!item)
            goto fail;
        PyStructSequence_SET_ITEM(item, 0, str_or_none(d->file));
        PyStructSequence_SET_ITEM(item, 1, PyLong_FromUnsignedLong(d->line));
        PyStructSequence_SET_ITEM(item, 2, PyLong_FromUnsignedLong(d->col));
        PyStructSequence_SET_ITEM(item, 3, PyLong_FromUnsignedLong(d->end_col));
        PyStructSequence_SET_ITEM(item, 4, PyUnicode_FromString(
                                               d->severity == DC_SEV_ERROR ? "error" : "warning"));
        PyStructSequence_SET_ITEM(item, 5, str_or_none(d->message));
        PyStructSequence_SET_ITEM(item, 6, str_or_none(d->source_line));
        for (Py_ssize_t k = 0; k < 7; k++)
            if (!PyStructSequence_GET_ITEM(item, k)) {
                Py_DECREF(item);
                goto fail;
            }
        if (PyList_Append(list, item) < 0) {
            Py_DECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    return list;
fail:
    Py_DECREF(list);
    return NULL;
}

PyObject *dcpy_raise(dc_status st, const dc_error *err, PyObject *fallback, const dc_diags *diags)
{
    if (st == DC_ERR_NOMEM)
        return PyErr_NoMemory();
    /* Not a switch: a status a newer library adds falls back to `fallback`. */
    PyObject *cls = fallback;
    if (st == DC_ERR_POLICY || st == DC_ERR_BYTECODE)
        cls = Dcpy_PolicyError;
    else if (st == DC_ERR_FACTS)
        cls = Dcpy_FactsError;
    else if (st == DC_ERR_NO_POLICY)
        cls = Dcpy_NoPolicy;
    else if (st == DC_ERR_AMBIGUOUS_POLICY)
        cls = Dcpy_AmbiguousPolicy;
    const char *text = err && err->message[0] ? err->message : dc_status_str(st);
    PyObject *msg = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "backslashreplace");
    if (!msg)
        return NULL;
    PyObject *exc = PyObject_CallOneArg(cls, msg);
    Py_DECREF(msg);
    if (!exc)
        return NULL;
    PyObject *status = PyUnicode_FromString(dc_status_str(st));
    PyObject *list = dcpy_diagnostics(diags, -1);
    if (!status || !list || PyObject_SetAttrString(exc, "status", status) < 0 ||
        PyObject_SetAttrString(exc, "diagnostics", list) < 0) {
        Py_XDECREF(status);
        Py_XDECREF(list);
        Py_DECREF(exc);
        return NULL;
    }
    Py_DECREF(status);
    Py_DECREF(list);
    PyErr_SetObject(cls, exc);
    Py_DECREF(exc);
    return NULL;
}

/* One exception class per kind of failure a caller handles differently. */
static const struct {
    PyObject **slot;
    const char *name;
    PyObject **base;
    const char *doc;
} exceptions[] = {
    { &Dcpy_Error, "devcompat.Error", NULL,
      "Any failure of devcompat: str(e) is the library's message naming the input at "
      "fault, e.status its status name (\"io\", \"limit\", \"invalid\", ...)." },
    { &Dcpy_PolicyError, "devcompat.PolicyError", &Dcpy_Error,
      "A policy that does not compile or a .cbc that fails verification; "
      "e.diagnostics lists the compiler's Diagnostic entries (empty for bytecode)." },
    { &Dcpy_FactsError, "devcompat.FactsError", &Dcpy_Error,
      "Malformed facts: a bad name or value, a duplicate, too many facts, bad YAML." },
    { &Dcpy_NoPolicy, "devcompat.NoPolicy", &Dcpy_Error,
      "No policy of a PolicySet describes the target." },
    { &Dcpy_AmbiguousPolicy, "devcompat.AmbiguousPolicy", &Dcpy_Error,
      "More than one policy of a PolicySet describes the target." },
};

int dcpy_errors_init(PyObject *module)
{
    for (size_t i = 0; i < sizeof exceptions / sizeof exceptions[0]; i++) {
        PyObject *base = exceptions[i].base ? *exceptions[i].base : NULL;
        PyObject *cls = PyErr_NewExceptionWithDoc(exceptions[i].name, exceptions[i].doc, base,
                                                  NULL);
        if (!cls)
            return -1;
        *exceptions[i].slot = cls;
        if (PyModule_AddObjectRef(module, strchr(exceptions[i].name, '.') + 1, cls) < 0)
            return -1;
    }
    Diagnostic_Type = PyStructSequence_NewType(&diagnostic_desc);
    if (!Diagnostic_Type || PyModule_AddObjectRef(module, "Diagnostic",
                                                  (PyObject *)Diagnostic_Type) < 0)
        return -1;
    return 0;
}
