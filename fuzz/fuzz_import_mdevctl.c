/*
 * fuzz_import_mdevctl.c -- mdevctl JSON (types --dumpjson, list --dumpjson, one
 * device's config),
 * read as an inventory and as one device (importer.h says what is checked).
 */
#define FUZZ_SOURCE DC_SOURCE_MDEVCTL
#include "importer.h"
