/*
 * fuzz_import_lspci.c -- lspci -vmm -nn -D [-k] text,
 * read as an inventory and as one device (importer.h says what is checked).
 */
#define FUZZ_SOURCE DC_SOURCE_LSPCI
#include "importer.h"
