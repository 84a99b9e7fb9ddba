/* program.h -- a compiled policy: bytecode, constant tables, and the tables
 * that name things (slots, variables, rules, blocks).
 *
 * Every string of a program lives in one pool; a `pref` is an (offset,
 * length) into it, so the whole program serialises without pointers
 * (cbc.c).  Values in `consts` are materialised (their dstr point into the
 * pool) when the program is built or loaded. */
#ifndef DC_PROGRAM_H
#define DC_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "devcompat.h"
#include "semver.h"
#include "value.h"

enum opcode {
#define OP(name, operands, doc) I_##name,
#include "opcodes.def"
#undef OP
    I__COUNT,
    I__SUPER = I__COUNT - 1,    /* the superinstructions follow */
#define OP(name, operands, doc)
#define SUPER(name, operands, doc) I_##name,
#include "opcodes.def"
#undef SUPER
#undef OP
    I__ALL
};

typedef struct insn {
    uint8_t op;
    uint8_t t;
    uint16_t a, b, c;
} insn;

/* The form the VM runs (vmlink.c): the verified code without its RULE
 * markers, common shapes fused into superinstructions.  Register operands
 * are byte offsets into the register file; jumps count xinsns; `fo` is the
 * byte offset of the fact a slot operand names in a prepared device's slots
 * (SIDE_SOURCE in t says whose).  CONV and FIELDT hold their pc + 1 in d;
 * `rule` is the program's index of the instruction's rule (-1: none) and
 * `since` the pc its rule's code starts at (after the RULE). */
typedef struct xinsn {
    uint8_t op;
    uint8_t t;
    uint16_t side;      /* 1 when t has SIDE_SOURCE */
    uint32_t a, b, c, d;
    uint32_t fo;
    int32_t rule;
    uint32_t since;
} xinsn;

#define SIDE_SOURCE 0x80        /* t bit: the operand slot is the source's */
#define TYPE_MASK   0x0f        /* t bits: a vtype */

extern const char *const op_names[I__COUNT];
extern const char *const op_operands[I__COUNT];

/* Comparison codes of FCMP (t >> 4) and of the reasons. */
enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

typedef struct pref {
    uint32_t off, len;
} pref;

/* A constraint table (SPEC 2.5, SPEC 3: "constants only"). */
typedef enum ct_kind {
    CT_INT,         /* ranges[first..+n): int64 [lo, hi], sorted, disjoint */
    CT_HEX,         /* ranges: uint64 [lo, hi] stored in the same int64 bits */
    CT_STRING,      /* strs[first..+n): sorted */
    CT_SEMVER,      /* svsets[first..+n): node-semver comparator sets */
    CT_BOOL,        /* first: the one allowed value (0 or 1) */
    CT_SET          /* strs[first..+n): the allowed items (value must be a subset) */
} ct_kind;

typedef struct ctable {
    uint8_t kind;       /* ct_kind */
    uint32_t first, n;
    uint64_t bitmap;    /* CT_INT/CT_HEX: bit v set when every allowed value is
                           in 0..63 (`small` set) */
    bool small;
    pref text;          /* the constraint as written, for reasons */
} ctable;

typedef struct irange {
    int64_t lo, hi;
} irange;

/* A comparator set of a semver range: cmps[first .. first+n). */
typedef struct svset {
    uint32_t first, n;
} svset;

/* Template parts (SPEC 2.2 item 3). */
typedef enum tp_kind {
    TP_LIT,     /* literal text */
    TP_DECL,    /* a span parsed as `type`, checked against ctable, bound to reg */
    TP_CMP      /* a span parsed as `type` that must equal R[reg] */
} tp_kind;

typedef struct tpart {
    uint8_t kind;
    uint8_t type;
    uint16_t reg;
    int32_t ctable;     /* -1: none */
    pref lit;
} tpart;

typedef struct tmpl {
    uint32_t first, n;  /* parts */
    pref text;          /* the template as written */
} tmpl;

typedef struct slot {
    pref name;
    uint8_t types;      /* bit (1 << vtype): types the policy reads it as */
} slotinfo;

typedef struct var {
    pref name;
    uint8_t type;
    uint16_t reg;
} var;

/* A rule, for reasons (SPEC 2.7 step 3). */
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
    pref name;          /* len 0: unnamed */
    uint32_t line;
    uint32_t entry, end;        /* code[entry .. end) */
    uint32_t first_var, nvars;  /* vars declared in this block */
    uint32_t first_rule, nrules;
} pblock;

/* Serialisable forms of the tables that hold strings; program_link derives
 * the pointer forms (consts, strs, cmps) from them. */
typedef struct kconst {
    uint8_t type;       /* vtype: int, hex, bool, string, semver */
    int64_t i;          /* int, hex (uint64 bits), bool */
    uint64_t major, minor, patch;
    pref s;             /* string; semver pre-release */
} kconst;

typedef struct kcmp {
    uint8_t op;         /* sv_op */
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
    var *vars;
    uint32_t nvars;
    prule *rules;
    uint32_t nrules;
    pblock *blocks;     /* blocks[0] is SELF, then the COMPATIBLE blocks */
    uint32_t nblocks;
    insn *code;
    uint32_t ncode;
    uint32_t nregs;
    /* derived by program_link (vm_link): what the VM runs */
    xinsn *xcode;       /* one allocation: xcode, then xentry, then scratch */
    uint32_t *xentry;   /* per block: its first xinsn */
    uint32_t nxcode;
    bool xreads_target; /* some COMPATIBLE block reads a fact of the target */
} program;

static inline dstr prog_str(const program *p, pref r)
{
    return (dstr){ p->pool + r.off, r.len };
}

/* Derive consts, strs and cmps from their serialisable forms.  The caller
 * has checked every pref against the pool (cbc.c verifies before linking). */
bool program_link(program *p);
void program_free(program *p);

/* A slot by name, for dc_prepare's walk of the sorted facts. */
typedef struct prep_slot {
    const char *name;   /* into the program's pool */
    uint32_t len, slot;
    bool set;           /* read as a set: its items need room */
} prep_slot;

/* A template as dc_prepare matches it. */
typedef struct prep_tmpl {
    uint16_t slot;      /* the slot MATCH reads it on, or UINT16_MAX */
    uint16_t alike;     /* an earlier template whose match serves (prepare.c), or UINT16_MAX */
    bool prematch;      /* matched when facts are prepared (vm_prematchable) */
} prep_tmpl;

/* Where the parts of a prepared device go in its block that do not depend
 * on the facts (prepare.c). */
/* Offsets in a prepared block.  `self` and `text` are where SELF's outcome
 * and the text start.  The rest count from the end of the text (known per
 * device): the slots and template outcomes start at 0, the pre-matched
 * bindings at `slots`, the values of slots read as several types at
 * `binds`, every set's items at `more` (== `items`). */
typedef struct prep_layout {
    size_t self;
    size_t text;
    size_t slots;
    size_t binds;
    size_t more;
    size_t items;
    bool fits;          /* false when these overflow */
} prep_layout;

struct dc_policy {
    const dc_alloc *alloc;
    program prog;
    char *name;         /* NUL-terminated copies for the API */
    char *file;
    char **block_names;
    /* What dc_prepare needs of the program whatever the facts: computed
     * once (prepare_plan), one allocation at slots_by_name. */
    prep_slot *slots_by_name;   /* every slot, sorted by name (facts' order) */
    prep_tmpl *prep_tmpls;      /* one per template */
    uint32_t prep_binds;        /* registers the pre-matched templates may write */
    uint32_t prep_more;         /* values beyond one per slot (prepare.c) */
    prep_layout prep_at;
    bool self_alone;            /* SELF runs when facts are prepared */
    bool self_in_order;         /* and its variables are registers 0, 1, ... */
};

/* Compute the prepare plan of a linked program (prepare.c); false when out
 * of memory.  policy_finish calls it; dc_policy_free frees slots_by_name. */
bool prepare_plan(dc_policy *pol);

/* Build the API strings and the prepare plan of a policy from its program
 * (compile.c). */
dc_status policy_finish(dc_policy *pol, dc_error *err);

/* The disassembler: the program as text (snprintf-style). */
size_t disasm_program(const program *p, char *buf, size_t cap);

/* Render a constraint table as text (for disasm and reasons). */
size_t ctable_render(const program *p, const ctable *ct, char *buf, size_t cap);

#endif
