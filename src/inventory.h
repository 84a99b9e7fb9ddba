/* inventory.h -- building a dc_inventory, for its readers (inventory.c's
 * own, and the importers of docs/facts.md).
 */
#ifndef DC_INVENTORY_H
#define DC_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devcompat.h"

/* An empty inventory; `path` names it in messages until inv_finish and
 * must live as long. */
dc_inventory *inv_new(const dc_alloc *alloc, const char *path);
/* Append a device (`facts` is taken, whatever happens); `line` is where it
 * is in the input (0: not known); `type`: an mdev type, a device that
 * could be created, rather than one that exists. */
dc_status inv_push(dc_inventory *inv, const char *id, size_t id_len, dc_facts *facts,
                   uint32_t line, bool type, dc_error *err);
/* Check the ids for duplicates (an error naming the second one). */
dc_status inv_finish(dc_inventory *inv, dc_error *err);
void inv_set_path(dc_inventory *inv, const char *path);
bool inv_is_type(const dc_inventory *inv, size_t i);
uint32_t inv_line(const dc_inventory *inv, size_t i);
/* Device i's facts, now the caller's (the inventory keeps NULL). */
dc_facts *inv_take(dc_inventory *inv, size_t i);

/* A YAML/JSON inventory's text (a sequence of mappings with `id`s). */
dc_status inventory_parse_yaml(const char *file, const char *text, size_t len,
                               dc_inventory **out, dc_error *err);

#endif
