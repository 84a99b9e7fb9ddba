/*
 * fuzz_import_devlink.c -- devlink JSON (dev info, port function show),
 * read as an inventory and as one device (importer.h says what is checked).
 */
#define FUZZ_SOURCE DC_SOURCE_DEVLINK
#include "importer.h"
