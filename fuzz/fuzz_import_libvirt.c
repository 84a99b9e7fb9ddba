/*
 * fuzz_import_libvirt.c -- libvirt node device XML (virsh nodedev-dumpxml): one
 * device, a <node> of many, a PCI device's mdev types,
 * read as an inventory and as one device (importer.h says what is checked).
 */
#define FUZZ_SOURCE DC_SOURCE_LIBVIRT
#include "importer.h"
