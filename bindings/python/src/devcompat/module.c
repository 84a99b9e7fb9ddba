/* module.c -- the devcompat._devcompat extension module: its functions,
 * constants and the initialisation of every type (docs/python.md). */
#include "dcpy.h"

#ifndef DCPY_POLICY_DIR
#define DCPY_POLICY_DIR "/usr/local/share/devcompat/policies"
#endif

static PyMethodDef module_methods[] = {
    { "read_inventory", (PyCFunction)(void (*)(void))dcpy_read_inventory,
      METH_VARARGS | METH_KEYWORDS,
      "read_inventory(source, sysfs_root=None) -> dict\n\nMany devices: {id: Facts}, in "
      "order, from an inventory argument as compatc takes one (docs/facts.md): a YAML/JSON "
      "inventory, a directory of facts files or of sysfs devices, an importer's file "
      "('libvirt:FILE.xml', 'mdevctl:FILE.json', 'lspci:FILE', 'devlink:FILE', 'dra:FILE'), "
      "or every node device of a libvirt connection ('libvirt+URI')." },
    { "parse_inventory", (PyCFunction)(void (*)(void))dcpy_parse_inventory,
      METH_VARARGS | METH_KEYWORDS,
      "parse_inventory(text, format='auto', name='<string>') -> dict\n\nMany devices from "
      "text: a YAML/JSON inventory, or an importer's format ('libvirt', 'mdevctl', 'lspci', "
      "'devlink', 'dra')." },
    { NULL, NULL, 0, NULL },
};

static int module_exec(PyObject *m)
{
    if (dcpy_errors_init(m) < 0 || dcpy_facts_init(m) < 0 || dcpy_policy_init(m) < 0 ||
        dcpy_prepared_init(m) < 0 || dcpy_result_init(m) < 0 || dcpy_targets_init(m) < 0)
        return -1;
    if (PyModule_AddStringConstant(m, "library_version", dc_version()) < 0 ||
        PyModule_AddStringConstant(m, "DEFAULT_POLICY_DIR", DCPY_POLICY_DIR) < 0)
        return -1;
    return 0;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "devcompat._devcompat",
    .m_doc = "The C core of the devcompat module: see `help(devcompat)`.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__devcompat(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (m && module_exec(m) < 0)
        Py_CLEAR(m);
    return m;
}
