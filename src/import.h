/* import.h -- what the importers of docs/facts.md share: the source table,
 * normal forms of PCI identifiers, descriptive text escaped, and adding a
 * fact with the place in the input it came from.
 *
 * Importers sit above the facts container and the inventory; source.c sits
 * above them and chooses one by a facts argument's prefix.
 */
#ifndef DC_IMPORT_H
#define DC_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devcompat.h"
#include "facts.h"
#include "inventory.h"

/* Read text in one source's format into `inv` (made by the caller, checked
 * for duplicate ids after).  Errors name `file` and the line or element. */
typedef dc_status (*import_fn)(const dc_alloc *alloc, const char *file, const char *text,
                               size_t len, dc_inventory *inv, dc_error *err);

dc_status import_libvirt(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err);
dc_status import_mdevctl(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err);
dc_status import_lspci(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                       dc_inventory *inv, dc_error *err);
dc_status import_devlink(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                         dc_inventory *inv, dc_error *err);
dc_status import_dra(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                     dc_inventory *inv, dc_error *err);

/* A live connection's node device and its mdev types (import_virt.c). */
dc_status virt_device_inventory(const char *uri, const char *nodedev, dc_inventory **out,
                                dc_error *err);

/* One device's facts being built: where its input is, for messages. */
typedef struct imp_dev {
    dc_facts *facts;
    const char *file;
    uint32_t line; /* of the element or record adding now (0: none) */
    dc_error *err;
    facts_batch *batch; /* when set, facts gather there, not in `facts` */
} imp_dev;

/* Add a fact: name and value as given (the value trimmed). */
dc_status imp_add(imp_dev *d, const char *name, const char *value, size_t len);
dc_status imp_addz(imp_dev *d, const char *name, const char *value);
/* Add descriptive text (a name, a description): bytes outside printable
 * ASCII, tab and newline written \xHH. */
dc_status imp_add_text(imp_dev *d, const char *name, const char *value, size_t len);

/* Parse [s, s+n) as a hexadecimal number ("0x8086", "8086", "0X10DE") of
 * at most `digits` digits; false when it is not one. */
bool imp_hex(const char *s, size_t n, unsigned digits, uint32_t *out);
/* Parse a decimal or 0x-hex number up to `max`; false when not one. */
bool imp_number(const char *s, size_t n, uint32_t max, uint32_t *out);
/* "0x" and `digits` lowercase hex digits of v, into buf (>= 11 bytes). */
const char *imp_hex_text(uint32_t v, unsigned digits, char *buf);
/* v in decimal into buf (>= 11 bytes). */
const char *imp_decimal(uint32_t v, char *buf);
/* A PCI address "DDDD:BB:DD.F" into buf (>= 16 bytes). */
const char *imp_pci_address(uint32_t domain, uint32_t bus, uint32_t slot, uint32_t function,
                            char *buf);
/* Is "DDDD:BB:DD.F" (4, 2, 2 hex digits and a function 0-7) at s? */
bool imp_is_pci_address(const char *s, size_t n);
/* vendor, device and pci_id from the two 16-bit ids (docs/facts.md). */
dc_status imp_pci_ids(imp_dev *d, uint32_t vendor, uint32_t device);
/* driver, and device_api=vfio-pci for vfio-pci or a variant driver. */
dc_status imp_driver(imp_dev *d, const char *driver, size_t len);
/* Is `driver` vfio-pci or a variant (mlx5_vfio_pci, ...-vfio-pci)? */
bool imp_is_vfio_pci(const char *driver, size_t len);

/* A name `prefix.key` with what a fact name cannot hold in key ('-', '/',
 * a leading digit...) made '_' ; false when it cannot be made one. */
bool imp_name(char *buf, size_t cap, const char *prefix, const char *key, size_t len);

/* JSON/YAML trees (facts_ytree_read): the value of `key` in a mapping, or
 * NULL; an error "FILE:LINE:COL: message" at a node. */
const facts_ynode *imp_yget(const facts_ynode *map, const char *key);
bool imp_ykey_is(const facts_ynode *key, const char *s);
dc_status imp_yerror(dc_error *err, const char *file, const facts_ynode *n, const char *fmt,
                     ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A scalar's text as a fact under `name` (descriptive text escaped when
 * `text`); an error naming the node when it is not a scalar. */
dc_status imp_yscalar(imp_dev *d, const char *name, const facts_ynode *n, bool text);

#endif
