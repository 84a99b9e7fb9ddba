/* program.h -- a compiled policy: bytecode, constant tables, and the tables
 * that name things (slots, variables, rules, blocks).
 *
 * Every string of a program lives in one pool; a `pref` is an (offset,
 * length) into it, so the whole program serialises without pointers
 * (cbc_write.c).  Values in `consts` are materialised (their dstr point into the
 * pool) when the program is built or loaded. */
#ifndef DC_PROGRAM_H
#define DC_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "devcompat.h"
#include "opcodes.h"
#include "semver_range.h"
#include "value.h"

struct xinsn; /* what the VM runs: vm.h */

typedef struct pref {
    uint32_t off, len;
} pref;

/* A constraint table (docs/language.md, section 7: "constants only"). */
typedef enum ct_kind {
    CT_INT,    /* ranges[first..+n): int64 [lo, hi], sorted, disjoint */
    CT_HEX,    /* ranges: uint64 [lo, hi] stored in the same int64 bits */
    CT_STRING, /* strs[first..+n): sorted */
    CT_SEMVER, /* svsets[first..+n): node-semver comparator sets */
    CT_BOOL,   /* first: the one allowed value (0 or 1) */
    CT_SET     /* strs[first..+n): the allowed items (value must be a subset) */
} ct_kind;

typedef struct ctable {
    uint8_t kind; /* ct_kind */
    uint32_t first, n;
    uint64_t bitmap; /* CT_INT/CT_HEX: bit v set when every allowed value is
                           in 0..63 (`small` set) */
    bool small;
    pref text; /* the constraint as written, for reasons */
} ctable;

typedef struct irange {
    int64_t lo, hi;
} irange;

/* A comparator set of a semver range: cmps[first .. first+n). */
typedef struct svset {
    uint32_t first, n;
} svset;

/* Template parts (docs/language.md, section 4). */
typedef enum tp_kind {
    TP_LIT,  /* literal text */
    TP_DECL, /* a span parsed as `type`, checked against ctable, bound to reg */
    TP_CMP   /* a span parsed as `type` that must equal R[reg] */
} tp_kind;

typedef struct tpart {
    uint8_t kind;
    uint8_t type;
    uint16_t reg;
    int32_t ctable; /* -1: none */
    pref lit;
} tpart;

typedef struct tmpl {
    uint32_t first, n; /* parts */
    pref text;         /* the template as written */
} tmpl;

typedef struct slot {
    pref name;
    uint8_t types; /* bit (1 << vtype): types the policy reads it as */
} slotinfo;

/* Records (docs/facts.md, "Records"): a set is a prefix whose facts
 * PREFIX.0.*, PREFIX.1.*, ... a loop (EACH) walks; a field is one fact
 * name under each record (PREFIX.N.FIELD) that the loop's body reads. */
typedef struct recset {
    pref name; /* the prefix: "sla" */
} recset;

typedef struct recfield {
    uint32_t set; /* its record set */
    pref name;    /* the field: "cir" */
} recfield;

typedef struct var {
    pref name;
    uint8_t type;
    uint16_t reg;
} var;

/* A rule, for reasons (docs/language.md, section 9, step 3). */
typedef struct prule {
    uint32_t line;
    int32_t slot;       /* -1 for where */
    uint8_t side;       /* SIDE_SOURCE or 0 */
    uint8_t op;         /* CMP_* of the rule */
    int32_t expect_reg; /* computed expected value, or -1 */
    pref expected;      /* the value or where expression as written */
} prule;

typedef enum pblock_kind { PB_SELF, PB_COMPATIBLE } pblock_kind;

typedef struct pblock {
    uint8_t kind;
    pref name; /* len 0: unnamed */
    uint32_t line;
    uint32_t entry, end;       /* code[entry .. end) */
    uint32_t first_var, nvars; /* vars declared in this block */
    uint32_t first_rule, nrules;
} pblock;

/* Serialisable forms of the tables that hold strings; program_link derives
 * the pointer forms (consts, strs, cmps) from them. */
typedef struct kconst {
    uint8_t type; /* vtype: int, hex, bool, string, semver */
    int64_t i;    /* int, hex (uint64 bits), bool */
    uint64_t major, minor, patch;
    pref s; /* string; semver pre-release */
} kconst;

typedef struct kcmp {
    uint8_t op; /* sv_op */
    uint64_t major, minor, patch;
    pref pre;
} kcmp;

typedef struct program {
    const dc_alloc *alloc;
    pref name, file;
    char *pool;
    uint32_t pool_len;
    kconst *kconsts;
    uint32_t nconsts;
    pref *strrefs;
    uint32_t nstrs;
    kcmp *kcmps;
    uint32_t ncmps;
    irange *ranges;
    uint32_t nranges;
    /* derived by program_link */
    value *consts;
    dstr *strs;
    sv_comparator *cmps;
    svset *svsets;
    uint32_t nsvsets;
    ctable *ctables;
    uint32_t nctables;
    tpart *tparts;
    uint32_t ntparts;
    tmpl *tmpls;
    uint32_t ntmpls;
    slotinfo *slots;
    uint32_t nslots;
    recset *recsets;
    uint32_t nrecsets;
    recfield *recfields;
    uint32_t nrecfields;
    var *vars;
    uint32_t nvars;
    prule *rules;
    uint32_t nrules;
    pblock *blocks; /* blocks[0] is SELF, then the COMPATIBLE blocks */
    uint32_t nblocks;
    insn *code;
    uint32_t ncode;
    uint32_t nregs;
    /* derived by program_link (vm_link): what the VM runs */
    struct xinsn *xcode; /* one allocation: xcode, then xentry, then scratch */
    uint32_t *xentry;    /* per block: its first xinsn */
    uint32_t nxcode;
    bool xreads_target; /* some COMPATIBLE block reads a fact of the target */
    /* COMPATIBLE blocks read SELF's values in place, from where a check has
     * them packed (xinsn.self): a check need not unpack them (result.c) */
    bool xinplace;
    /* the same code reading them in the registers (xinplace only): for a
     * caller that has them there (SELF run in the check, vm_run_block) */
    struct xinsn *xcode_regs;
    /* the source's facts COMPATIBLE blocks read: byte offsets in its
     * slots, which a check fetches at once (result.c): the first 6, the
     * rest of the 6 repeating the first (0 when none is read) */
    uint32_t xsrc[6];
} program;

static inline dstr prog_str(const program *p, pref r)
{
    return (dstr){ p->pool + r.off, r.len };
}

/* Derive consts, strs and cmps from their serialisable forms (policy.c;
 * vm_link derives what the VM runs).  The caller
 * has checked every pref against the pool (cbc_verify does before a loaded
 * program is linked). */
bool program_link(program *p);
void program_free(program *p);

#endif
