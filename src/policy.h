/* policy.h -- a dc_policy: a program, linked for the VM, with what the API
 * hands out and what dc_prepare needs of it, built once (policy.c) whether
 * the program was compiled (compile.c) or loaded (cbc_read.c). */
#ifndef DC_POLICY_H
#define DC_POLICY_H

#include "program.h"

/* A slot by name, for dc_prepare's walk of the sorted facts. */
typedef struct prep_slot {
    const char *name; /* into the program's pool */
    uint32_t len, slot;
    bool set;      /* read as a set: its items need room */
    uint32_t hash; /* text_name_hash(name, len, 32) (prepare.c) */
} prep_slot;

/* A template as dc_prepare matches it. */
typedef struct prep_tmpl {
    uint16_t slot;  /* the slot MATCH reads it on, or UINT16_MAX */
    uint16_t alike; /* an earlier template whose match serves (prepare.c), or UINT16_MAX */
    bool prematch;  /* matched when facts are prepared (vm_prematchable) */
} prep_tmpl;

/* Where the parts of a prepared device go in its block that do not depend
 * on the facts (prepare.c, prepared.h).  `head` bytes come before the
 * header: the room for SELF's failure (when SELF's values' room is
 * smaller), then prep_cold.  `self` and `text`
 * are where SELF's values (at most `self_room` bytes) and the text start,
 * from the header.  The rest count from the slots (32-aligned after the
 * text, known per device): the slots and template outcomes start at 0, the
 * pre-matched bindings at `slots`, the values of slots read as several
 * types at `binds`, every set's items at `more` (== `items`). */
typedef struct prep_layout {
    size_t head;
    size_t self;
    size_t self_room;
    size_t text;
    size_t slots;
    size_t binds;
    size_t more;
    size_t items;
    bool fits; /* false when these overflow */
} prep_layout;

struct dc_policy {
    const dc_alloc *alloc;
    program prog;
    char *name; /* NUL-terminated copies for the API */
    char *file;
    char **block_names;
    /* What dc_prepare needs of the program whatever the facts: computed
     * once (prepare_plan), one allocation at slots_by_name. */
    prep_slot *slots_by_name; /* every slot, sorted by name (facts' order) */
    prep_tmpl *prep_tmpls;    /* one per template */
    uint32_t *slot_table;     /* slots by name hash: index + 1 into slots_by_name, or 0 */
    uint32_t slot_bits;       /* the table's 1 << slot_bits entries, at most half full */
    uint32_t prep_binds;      /* registers the pre-matched templates may write */
    uint32_t prep_more;       /* values beyond one per slot (prepare.c) */
    prep_layout prep_at;
    bool self_alone;    /* SELF runs when facts are prepared */
    bool self_in_order; /* and its variables are registers 0, 1, ... */
};

/* Compute the prepare plan of a linked program (prepare.c); false when out
 * of memory.  policy_finish calls it; dc_policy_free frees slots_by_name. */
bool prepare_plan(dc_policy *pol);

/* Build a policy around its program (pol->prog, compiled or loaded and
 * verified): link it (program_link, vm_link), the API strings and the
 * prepare plan.  On failure the caller frees pol with dc_policy_free. */
dc_status policy_finish(dc_policy *pol, dc_error *err);

#endif
