/*
 * fuzz_import_dra.c -- a Kubernetes resource.k8s.io/v1 ResourceSlice, YAML
 * or JSON,
 * read as an inventory and as one device (importer.h says what is checked).
 */
#define FUZZ_SOURCE DC_SOURCE_DRA
#include "importer.h"
