/*
 * devcompat.h -- the public API of libdevcompat.
 *
 * libdevcompat decides whether a device's state may migrate from a source
 * device S to a target device T, following a vendor's policy (docs/language.md).
 *
 * Ownership, once for the whole API:
 *   - Every object is created by a dc_*_new/compile/load/parse/read/prepare
 *     function and released by the matching dc_*_free, which accepts NULL.
 *   - A function never takes ownership of an argument unless it says so.
 *   - A `const char *` returned by an accessor lives as long as the object it
 *     was read from, and is NUL-terminated.
 *   - A dc_policy is immutable once built: any number of threads may use one
 *     policy at once.  Other objects are not synchronised: share them
 *     read-only, or give each thread its own.
 *   - Functions that can fail return a dc_status and, when `err` is not NULL,
 *     fill *err with the status and a message naming the input at fault.
 *
 * Naming, once for the whole API (docs/embedding.md, "The API's scheme"):
 *   - dc_X_new / dc_X_free: make (returning dc_status, the object in *out)
 *     and release an X.
 *   - dc_X_count(x), dc_X_Y_count(x): how many Xs / how many Ys x holds.
 *   - dc_X_Y_get(x, i, &out): fill the caller's struct with the i-th Y;
 *     returns DC_OK, or DC_ERR_INVALID (i out of range, out NULL or its
 *     `size` not set).  Strings it points to live as the function says.
 *   - dc_X_Y(x) / dc_X_Y(x, i): a property (a name, a verdict, an index):
 *     never fails; NULL or -1 means "none" or "out of range".
 *   - Structs the caller allocates and a getter fills (dc_diag, dc_binding,
 *     dc_reason, dc_case, dc_target_open) begin with `size`: set it with the type's
 *     DC_..._INIT (`dc_reason why = DC_REASON_INIT;`).  A later version may
 *     add fields at their end and then fills only what `size` covers, so a
 *     program built against this header keeps working.  dc_error, which
 *     every call takes and callers often leave uninitialised, instead keeps
 *     reserved room of fixed size for later fields.
 *   - The library never prints, never exits and never aborts, whatever the
 *     input.  It keeps no global mutable state.
 */
#ifndef DEVCOMPAT_H
#define DEVCOMPAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header.  dc_version() is the library's at run time. */
#define DC_VERSION_MAJOR 0
#define DC_VERSION_MINOR 1
#define DC_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH: `#if DC_VERSION_NUMBER >= 200` */
#define DC_VERSION_NUMBER (DC_VERSION_MAJOR * 10000 + DC_VERSION_MINOR * 100 + DC_VERSION_PATCH)

#if defined(__GNUC__) && __GNUC__ >= 4
#define DC_API __attribute__((visibility("default")))
#else
#define DC_API
#endif

/* The initialiser of a struct that begins with `size` (see above). */
/* clang-format off */
#ifdef __cplusplus
#define DC_SIZED_INIT(type) { sizeof(type) }
#else
#define DC_SIZED_INIT(type) { .size = sizeof(type) }
#endif
/* clang-format on */

/* ---------------------------------------------------------------- status */

typedef enum dc_status {
    DC_OK = 0,
    DC_ERR_NOMEM,            /* an allocation failed */
    DC_ERR_IO,               /* a file could not be read or written */
    DC_ERR_INVALID,          /* invalid argument (a NULL pointer, a wrong policy) */
    DC_ERR_POLICY,           /* the policy has errors: see the diagnostics */
    DC_ERR_FACTS,            /* malformed facts (docs/facts.md) */
    DC_ERR_LIMIT,            /* a named limit (docs/language.md, 13) exceeded */
    DC_ERR_BYTECODE,         /* a .cbc file failed verification */
    DC_ERR_TARGET_MISMATCH,  /* the target does not satisfy the policy's SELF */
    DC_ERR_NO_POLICY,        /* no policy of a directory describes the target */
    DC_ERR_AMBIGUOUS_POLICY, /* more than one does */
    DC_ERR_UNSUPPORTED       /* cannot be done exactly (a rule CEL cannot express) */
} dc_status;

/* A short constant name for a status: "ok", "nomem", "target-mismatch"... */
DC_API const char *dc_status_str(dc_status status);

/* An error: filled by any failing call that was given one.  Need not be
 * initialised.  `reserved` is zeroed by the library; a later version may
 * give some of it a meaning without changing the struct's size. */
typedef struct dc_error {
    dc_status status;
    char message[1024]; /* "FILE: what is wrong", NUL-terminated */
    union {
        void *p;
        uint64_t u;
    } reserved[8];
} dc_error;

/* Version of the library, e.g. "0.1.0". */
DC_API const char *dc_version(void);

/* ---------------------------------------------------------- allocation */

/*
 * All memory the library uses comes from one allocator.  By default it is
 * malloc/realloc/free; an embedder (or a test injecting failures) may set
 * its own on a dc_alloc and pass it to the *_ex functions.  realloc(NULL, n)
 * must behave as malloc(n); free(NULL) must be a no-op.
 */
typedef struct dc_alloc {
    void *(*realloc_fn)(void *ud, void *ptr, size_t size);
    void (*free_fn)(void *ud, void *ptr);
    void *ud;
} dc_alloc;

/* ---------------------------------------------------------- diagnostics */

typedef enum dc_severity { DC_SEV_ERROR = 0, DC_SEV_WARNING = 1 } dc_severity;

typedef struct dc_diag {
    size_t size;        /* sizeof(dc_diag): initialise with DC_DIAG_INIT */
    const char *file;   /* as given to the compiler */
    uint32_t line, col; /* 1-based; col counts bytes */
    uint32_t end_col;   /* one past the last column of the span (>= col+1) */
    dc_severity severity;
    const char *message;
    const char *source_line; /* the text of the line, without its newline;
                               NULL for a line over 4096 bytes */
} dc_diag;
#define DC_DIAG_INIT DC_SIZED_INIT(dc_diag)

typedef struct dc_diags dc_diags;

DC_API size_t dc_diags_count(const dc_diags *diags);
DC_API size_t dc_diags_error_count(const dc_diags *diags);
DC_API size_t dc_diags_warning_count(const dc_diags *diags);
/* Fill *out with the i-th diagnostic, in source order; its strings live as
 * long as `diags`. */
DC_API dc_status dc_diags_get(const dc_diags *diags, size_t i, dc_diag *out);
DC_API void dc_diags_free(dc_diags *diags);

/* --------------------------------------------------------------- policy */

typedef struct dc_policy dc_policy;

/*
 * Compile a policy from source text (docs/language.md).  `file` names the text in
 * diagnostics and reasons.  The text need not be NUL-terminated and may hold
 * any bytes.  On success *out is a new policy.  *diags (when diags is not
 * NULL) receives every error and warning, also on success (warnings); the
 * caller frees it.  Returns DC_ERR_POLICY when the text has errors.
 */
DC_API dc_status dc_policy_compile(const char *file, const char *text, size_t len,
                                   dc_policy **out, dc_diags **diags, dc_error *err);
DC_API dc_status dc_policy_compile_ex(const dc_alloc *alloc, const char *file, const char *text,
                                      size_t len, dc_policy **out, dc_diags **diags,
                                      dc_error *err);

/* Read a policy file: `.cbc` files (by their magic) are loaded and verified,
 * anything else is compiled as source. */
DC_API dc_status dc_policy_read_file(const char *path, dc_policy **out, dc_diags **diags,
                                     dc_error *err);

/* Load a compiled policy (.cbc bytes) and verify it completely (docs/bytecode.md).
 * `file` names the bytes in errors. */
DC_API dc_status dc_policy_load(const char *file, const void *data, size_t len, dc_policy **out,
                                dc_error *err);
DC_API dc_status dc_policy_load_ex(const dc_alloc *alloc, const char *file, const void *data,
                                   size_t len, dc_policy **out, dc_error *err);

/* Serialise a policy to .cbc bytes.  *data is allocated with the policy's
 * allocator; release it with dc_buffer_free(policy, data). */
DC_API dc_status dc_policy_save(const dc_policy *policy, void **data, size_t *len,
                                dc_error *err);
DC_API void dc_buffer_free(const dc_policy *policy, void *data);

/* The POLICY block's `name` (or the file name without extension). */
DC_API const char *dc_policy_name(const dc_policy *policy);
DC_API const char *dc_policy_file(const dc_policy *policy);
/* Number of COMPATIBLE blocks, and the name of one (NULL when unnamed). */
DC_API size_t dc_policy_block_count(const dc_policy *policy);
DC_API const char *dc_policy_block_name(const dc_policy *policy, size_t block);
DC_API void dc_policy_free(dc_policy *policy);

/* ---------------------------------------------------------------- facts */

typedef struct dc_facts dc_facts;

/* An empty set of facts. */
DC_API dc_status dc_facts_new(dc_facts **out, dc_error *err);
DC_API dc_status dc_facts_new_ex(const dc_alloc *alloc, dc_facts **out, dc_error *err);
/* Add one fact; the name and value are copied.  A duplicate name, an invalid
 * name or value, or the 1025th fact is an error (docs/facts.md). The value is
 * trimmed of leading and trailing blanks and newlines. */
DC_API dc_status dc_facts_add(dc_facts *facts, const char *name, const char *value,
                              size_t value_len, dc_error *err);
DC_API size_t dc_facts_count(const dc_facts *facts);
/* The name and value of the i-th fact in name order; NULL when out of range. */
DC_API const char *dc_facts_name(const dc_facts *facts, size_t i);
DC_API const char *dc_facts_value(const dc_facts *facts, size_t i);
/* The value of `name`, or NULL when absent. */
DC_API const char *dc_facts_lookup(const dc_facts *facts, const char *name);
DC_API void dc_facts_free(dc_facts *facts);

/* Parse key=value text (docs/facts.md, format 1).  For a self-describing text
 * (with COMPATIBLE blocks), the facts are its SELF block. */
DC_API dc_status dc_facts_parse_text(const char *file, const char *text, size_t len,
                                     dc_facts **out, dc_error *err);
/* Parse YAML or JSON (docs/facts.md, format 2). */
DC_API dc_status dc_facts_parse_yaml(const char *file, const char *text, size_t len,
                                     dc_facts **out, dc_error *err);
/* Read a facts file of any format (YAML/JSON when it starts with '{', '---'
 * or its name ends in .yaml/.yml/.json; key=value text otherwise). */
DC_API dc_status dc_facts_read_file(const char *path, dc_facts **out, dc_error *err);
/* Read a device or mdev type directory under a sysfs root (docs/facts.md, format 3).
 * `root` may be NULL for "/"; `dir` is relative to root, or absolute (then
 * taken below root). */
DC_API dc_status dc_facts_read_sysfs(const char *root, const char *dir, dc_facts **out,
                                     dc_error *err);

/* ------------------------------------------------------------ inventory */

typedef struct dc_inventory dc_inventory;

/* Read an inventory: a YAML/JSON sequence of mappings each with a unique
 * `id`, or a directory of facts files (id = file name less its extension,
 * in name order). */
DC_API dc_status dc_inventory_read(const char *path, dc_inventory **out, dc_error *err);
DC_API size_t dc_inventory_count(const dc_inventory *inv);
DC_API const char *dc_inventory_id(const dc_inventory *inv, size_t i);
DC_API const dc_facts *dc_inventory_facts(const dc_inventory *inv, size_t i);
DC_API void dc_inventory_free(dc_inventory *inv);

/* ------------------------------------------------------------ importers */

/*
 * Facts where management software already has them (docs/facts.md, one
 * section per source).  Every importer gives the same fact names and values
 * for the same device (a PCI function read from sysfs, libvirt or lspci has
 * the same `vendor`, `pci_id`, `class`, `revision`, `address`...), keeps
 * what no standard name covers under a prefix named for the source
 * (`libvirt.`, `lspci.`, `devlink.`, `dra.`), escapes descriptive text
 * outside the facts alphabet as \xHH, and rejects input it does not
 * understand with an error naming the file and the element or line:
 * nothing is half-read.
 */
typedef enum dc_source {
    DC_SOURCE_AUTO = 0, /* a facts file: key=value, YAML or JSON by content */
    DC_SOURCE_LIBVIRT,  /* libvirt node device XML (virsh nodedev-dumpxml) */
    DC_SOURCE_MDEVCTL,  /* mdevctl types|list --dumpjson, or one device's JSON */
    DC_SOURCE_LSPCI,    /* lspci -vmm -nn -D [-k] */
    DC_SOURCE_DEVLINK,  /* devlink -j dev info / port function show */
    DC_SOURCE_DRA       /* Kubernetes resource.k8s.io/v1 ResourceSlice */
} dc_source;

/* The source's prefix as compatc takes it ("libvirt", "lspci"...; "" for
 * DC_SOURCE_AUTO), or NULL for a value out of range. */
DC_API const char *dc_source_name(dc_source source);

/*
 * Text in a source's format, read as an inventory: every device it holds,
 * in the order it holds them (libvirt: each device, then each of its mdev
 * types as `DEVICE/TYPE`; mdevctl: `PARENT/TYPE` or the UUID; lspci: the
 * slot address; devlink: the devlink handle; DRA: `POOL/DEVICE`).  `file`
 * names the text in errors.  A duplicate id is an error.
 */
DC_API dc_status dc_inventory_parse_source(dc_source source, const char *file, const char *text,
                                           size_t len, dc_inventory **out, dc_error *err);
/*
 * Text in a source's format, read as one device: the text's only device
 * (for libvirt, a device's mdev types do not count: a GPU's XML is the GPU),
 * or, when `id` is not NULL, the device of that id.  Several devices and no
 * id is an error listing the first ids.
 */
DC_API dc_status dc_facts_parse_source(dc_source source, const char *file, const char *text,
                                       size_t len, const char *id, dc_facts **out,
                                       dc_error *err);

/*
 * A live libvirt connection (docs/facts.md): `uri` as virsh -c takes it
 * ("qemu:///system", "test:///path/node.xml"); the node device named
 * `nodedev` ("pci_0000_3b_00_2"), or every node device of the connection
 * as an inventory (devices libvirt lists that are not PCI functions, mdevs
 * or mdev-capable parents -- USB, net, storage... -- are left out).
 * DC_ERR_INVALID when the library was built without libvirt; DC_ERR_IO when
 * the connection fails or the device does not exist (libvirt's message).
 */
DC_API dc_status dc_facts_read_libvirt(const char *uri, const char *nodedev, dc_facts **out,
                                       dc_error *err);
DC_API dc_status dc_inventory_read_libvirt(const char *uri, dc_inventory **out, dc_error *err);
/* 1 when the library was built with libvirt's API (live connections). */
DC_API int dc_have_libvirt(void);
/*
 * libvirt reports each error to a process-wide handler, which prints it when
 * the program set none.  The live reader leaves that handler alone: its own
 * connections report to a silent handler of their own, and libvirt's
 * message goes into the dc_error.  Only a failure to open a connection
 * (there is no connection yet) reaches the process's handler.  A program
 * that owns the process and wants no libvirt output at all (compatc) calls
 * dc_libvirt_quiet() once: it installs a silent process-wide handler
 * (virSetErrorFunc).  An embedder with its own handler does not call it.
 * Does nothing when built without libvirt.  docs/embedding.md.
 */
DC_API void dc_libvirt_quiet(void);

/*
 * A facts argument as compatc takes one (docs/facts.md, "Facts arguments"):
 *
 *   PREFIX:FILE          libvirt: mdevctl: lspci: devlink: dra: -- FILE "-" is
 *                        standard input; FILE#ID picks one device of many
 *   libvirt+URI:NODEDEV  a live libvirt connection's node device
 *   sysfs:DIR            a device or mdev type directory (under `sysfs_root`)
 *   -                    key=value, YAML or JSON on standard input
 *   DIR                  a directory under a sysfs tree: read as sysfs
 *   FILE                 a facts file, its format detected by content
 *
 * `sysfs_root` (NULL: "/") roots sysfs: paths; a plain DIR is read as it
 * is.  Relative paths are relative to the current directory.
 */
DC_API dc_status dc_facts_open(const char *arg, const char *sysfs_root, dc_facts **out,
                               dc_error *err);
/*
 * An inventory argument: the same prefixes (`libvirt+URI` alone, or
 * `libvirt+URI:`, is every node device of the connection), a YAML/JSON
 * inventory file, a directory of facts files, or a directory of sysfs
 * devices (`/sys/bus/pci/devices`: each entry read as sysfs, id = its name).
 */
DC_API dc_status dc_inventory_open(const char *arg, const char *sysfs_root, dc_inventory **out,
                                   dc_error *err);
/*
 * An argument opened as what it holds (compatc facts): an inventory for an
 * importer's input without #ID (libvirt, mdevctl, lspci, devlink, dra
 * files, and libvirt+URI without a node device), a directory of facts
 * files, a sysfs directory of devices, or a YAML/JSON list; one device's
 * facts otherwise.  Exactly one of *facts and *inv is set on success.
 */
DC_API dc_status dc_source_open(const char *arg, const char *sysfs_root, dc_facts **facts,
                                dc_inventory **inv, dc_error *err);

/* ------------------------------------------------------------- prepared */

typedef struct dc_prepared dc_prepared;

/*
 * Prepare facts for one policy: every field the policy reads is looked up
 * once and its value pre-parsed to the types the policy needs.  The result
 * does not reference `facts` (it owns copies) and may be used as a source or
 * as a target with `policy` only, for as long as the policy lives.
 */
DC_API dc_status dc_prepare(const dc_policy *policy, const dc_facts *facts, dc_prepared **out,
                            dc_error *err);
DC_API void dc_prepared_free(dc_prepared *prepared);

/*
 * A prepared device the caller refills, one text after another: the
 * fastest way from a device's key=value text to a check (docs/embedding.md,
 * "A device refilled").  dc_prepared_new makes an empty one for `policy`
 * (a check refuses it, DC_ERR_INVALID, until it is filled); it lives no
 * longer than the policy and is freed with dc_prepared_free.
 *
 * dc_prepared_parse_text reads key=value text (docs/facts.md, format 1)
 * into it, replacing what it held: the device dc_facts_parse_text then
 * dc_prepare make of the text (the same verdicts, bindings and reasons in
 * every check), with the same status and message on every error (after
 * which it holds no device), but read straight into the device; once its room has grown to the largest text, a common text
 * (docs/embedding.md says which) allocates nothing.  `file` names the text
 * in errors (NULL: "<facts>").  The device does not reference `text`.  A
 * result or fleet made from the device is stale once it is refilled.
 * DC_ERR_INVALID for a device not made by dc_prepared_new.
 */
DC_API dc_status dc_prepared_new(const dc_policy *policy, dc_prepared **out, dc_error *err);
DC_API dc_status dc_prepared_parse_text(dc_prepared *prepared, const char *file,
                                        const char *text, size_t len, dc_error *err);

/* --------------------------------------------------------------- checks */

typedef enum dc_verdict {
    DC_COMPATIBLE = 0,
    DC_INCOMPATIBLE = 1,
    DC_TARGET_MISMATCH =
        2 /* the policy is not the target's (docs/language.md, section 9, step 1) */
} dc_verdict;

typedef struct dc_result dc_result;

/* A result object sized for `policy`; reuse it across checks of that policy.
 * DC_ERR_INVALID when policy is NULL, DC_ERR_NOMEM. */
DC_API dc_status dc_result_new(const dc_policy *policy, dc_result **out, dc_error *err);
DC_API void dc_result_free(dc_result *result);

/*
 * "May `source` migrate to `target`?" (docs/language.md, section 9).  Both must be prepared for
 * `policy`, and `result` made for it.  Returns DC_OK whatever the verdict;
 * the verdict and its explanation are in `result`.  Allocates nothing.
 * The result references `policy`, `source` and `target`: read it while they
 * live, before the next check into it.
 */
DC_API dc_status dc_check(const dc_policy *policy, const dc_prepared *source,
                          const dc_prepared *target, dc_result *result);

/*
 * One source against n targets: verdicts[i] (and, when blocks is not NULL,
 * blocks[i]: the matching block, or -1) for targets[i].  Allocates nothing
 * for a policy of at most 64 registers and 7 COMPATIBLE blocks (`compatc
 * disasm` shows both; every shipped policy is one), else one result's worth
 * per call (DC_ERR_NOMEM when that fails).  DC_ERR_INVALID, before any
 * verdict is written, when a target is NULL or prepared for another policy.
 */
DC_API dc_status dc_check_batch(const dc_policy *policy, const dc_prepared *source,
                                const dc_prepared *const *targets, size_t n,
                                dc_verdict *verdicts, int32_t *blocks);

/*
 * A fleet: prepared targets packed together for checking one source against
 * all of them (a scheduler's view of a datacenter).  What a check reads of
 * each target -- SELF's outcome and the values of its variables, with their
 * text -- is copied into one allocation, in order, a few hundred bytes per
 * target, so that checking streams through memory instead of visiting each
 * target's own block.  The fleet keeps pointers to the targets for anything
 * else: they must outlive it.  Made with the policy's allocator.
 */
typedef struct dc_fleet dc_fleet;

DC_API dc_status dc_fleet_new(const dc_policy *policy, const dc_prepared *const *targets,
                              size_t n, dc_fleet **out, dc_error *err);
DC_API size_t dc_fleet_count(const dc_fleet *fleet);
DC_API void dc_fleet_free(dc_fleet *fleet);

/*
 * dc_check_batch over a fleet: verdicts[i] (and blocks[i] when blocks is not
 * NULL) for the fleet's target i, the same as dc_check_batch would give over
 * the targets the fleet was made from.  Allocates as dc_check_batch does.
 */
DC_API dc_status dc_check_fleet(const dc_policy *policy, const dc_prepared *source,
                                const dc_fleet *fleet, dc_verdict *verdicts, int32_t *blocks);

DC_API dc_verdict dc_result_verdict(const dc_result *result);
/* The COMPATIBLE block that matched (0-based), or -1. */
DC_API int32_t dc_result_block(const dc_result *result);
/* Its name, or NULL when the block is unnamed or none matched. */
DC_API const char *dc_result_block_name(const dc_result *result);

/* Bindings of a compatible result: SELF's variables, then the block's. */
typedef enum dc_type {
    DC_TYPE_INT = 1,
    DC_TYPE_HEX,
    DC_TYPE_STRING,
    DC_TYPE_SEMVER,
    DC_TYPE_BOOL,
    DC_TYPE_SET
} dc_type;

typedef struct dc_binding {
    size_t size; /* sizeof(dc_binding): initialise with DC_BINDING_INIT */
    const char *name;
    dc_type type;
    int64_t int_value; /* for DC_TYPE_INT; DC_TYPE_HEX in uint64 form */
    const char *text;  /* canonical text (docs/language.md, section 6) */
} dc_binding;
#define DC_BINDING_INIT DC_SIZED_INIT(dc_binding)

DC_API size_t dc_result_binding_count(const dc_result *result);
/* Fill *out with the i-th binding; the strings live until the next check
 * into this result.  DC_ERR_NOMEM when its text could not be rendered. */
DC_API dc_status dc_result_binding_get(dc_result *result, size_t i, dc_binding *out);

/* Reasons: for an incompatible result, one per COMPATIBLE block (its first
 * failing rule); for a target mismatch, the failing SELF rule. */
typedef struct dc_reason {
    size_t size;            /* sizeof(dc_reason): initialise with DC_REASON_INIT */
    int32_t block;          /* COMPATIBLE index, or -1 for SELF */
    const char *block_name; /* NULL when unnamed */
    const char *file;
    uint32_t line;
    const char *field;    /* NULL for a `where` rule */
    const char *expected; /* what the rule wanted */
    const char *actual;   /* what the device had; NULL when the field is absent */
    const char *message;  /* one sentence, without file and line */
    /* The values involved: the variables the rule read, bound before it
     * failed (`t = 259` for `mdev_type = nvidia-{t}`), in the order the rule
     * reads them; `nvalues` entries, living as long as the strings above. */
    const dc_binding *values;
    size_t nvalues;
    /* For a false `subset(a, b)`: the items of a that b lacks, sorted and
     * comma-separated ("macsec"); NULL otherwise. */
    const char *missing;
} dc_reason;
#define DC_REASON_INIT DC_SIZED_INIT(dc_reason)

DC_API size_t dc_result_reason_count(const dc_result *result);
/* Fill *out with the i-th reason; the strings live until the next check into
 * this result.  DC_ERR_NOMEM when its text could not be rendered. */
DC_API dc_status dc_result_reason_get(dc_result *result, size_t i, dc_reason *out);

/* The whole explanation as text in *text, one line per reason,
 * "FILE:LINE: block N: message" ("block N (NAME)", "SELF" for a target
 * mismatch), each ending in a newline; "" for a compatible result.  The
 * string lives until the next check into this result. */
DC_API dc_status dc_result_explain(dc_result *result, const char **text);

/* ------------------------------------------------------- conveniences */

/* Check unprepared facts (prepares both, checks, releases). */
DC_API dc_status dc_check_facts(const dc_policy *policy, const dc_facts *source,
                                const dc_facts *target, dc_result *result, dc_error *err);

/* ---------------------------------------------------------- policy sets */

/*
 * A policy set: every *.compat and *.cbc file of a directory, in name order
 * (`compatc --policy-dir`).  A target is judged by the one policy whose SELF
 * it satisfies (docs/embedding.md, "Policy sets").
 *
 * A file that cannot be read, compiled or verified does not fail the set: it
 * stays in it as a *broken* entry, with its status, message and diagnostics,
 * and is never chosen.  dc_policyset_select chooses when exactly one usable
 * policy describes the target, whatever the broken files; it fails with
 * DC_ERR_AMBIGUOUS_POLICY (naming the files) when several do, and with
 * DC_ERR_NO_POLICY when none does (naming the broken files, which might
 * have been the target's).  Reading fails only when the directory cannot be
 * listed (DC_ERR_IO) or memory runs out.
 */
typedef struct dc_policyset dc_policyset;

DC_API dc_status dc_policyset_read_dir(const char *dir, dc_policyset **out, dc_error *err);
DC_API size_t dc_policyset_count(const dc_policyset *set);
DC_API size_t dc_policyset_broken_count(const dc_policyset *set);
/* Entry i: its path ("DIR/NAME"), its policy (NULL when broken), its status
 * (DC_OK when usable), the message of a broken one (NULL otherwise), and the
 * diagnostics of its compilation (NULL for a .cbc). */
DC_API const char *dc_policyset_path(const dc_policyset *set, size_t i);
DC_API const dc_policy *dc_policyset_policy(const dc_policyset *set, size_t i);
DC_API dc_status dc_policyset_status(const dc_policyset *set, size_t i);
DC_API const char *dc_policyset_message(const dc_policyset *set, size_t i);
DC_API const dc_diags *dc_policyset_diags(const dc_policyset *set, size_t i);
/* The entry whose policy describes `target`, in *index. */
DC_API dc_status dc_policyset_select(const dc_policyset *set, const dc_facts *target,
                                     size_t *index, dc_error *err);
DC_API void dc_policyset_free(dc_policyset *set);

/* ---------------------------------------------------------------- cases */

/*
 * A vendor's test kit (`compatc test`, docs/authoring.md "Test cases"): a
 * YAML or JSON sequence of cases, each a mapping {name, source, target,
 * expect, block (optional), description (optional)}; source and target are
 * mappings of facts (read as YAML facts files are) or facts file names
 * (relative to the cases file).
 *
 * dc_cases_read reads and checks the whole file before anything runs: bad
 * YAML, a missing, repeated or unknown key, an unknown `expect`, a
 * duplicate name or a facts file that cannot be read fails with an error
 * naming the file, the line and the case (DC_ERR_FACTS, DC_ERR_IO,
 * DC_ERR_LIMIT, DC_ERR_NOMEM).  Whether `block` names a block is the
 * caller's to check against its policy (dc_policy_block_count/_name).
 */
typedef struct dc_cases dc_cases;

typedef enum dc_expect {
    DC_EXPECT_COMPATIBLE = 0,
    DC_EXPECT_INCOMPATIBLE,
    DC_EXPECT_ERROR /* a target mismatch, or facts the policy cannot read */
} dc_expect;

typedef struct dc_case {
    size_t size;      /* sizeof(dc_case): initialise with DC_CASE_INIT */
    const char *name; /* unique, one line of printable ASCII */
    uint32_t line;    /* of the case in the file */
    dc_expect expect;
    const char *block; /* `block:` as written (an index or a name), NULL: any */
    uint32_t block_line, block_col;
} dc_case;
#define DC_CASE_INIT DC_SIZED_INIT(dc_case)

DC_API dc_status dc_cases_read(const char *path, dc_cases **out, dc_error *err);
DC_API size_t dc_cases_count(const dc_cases *cases);
/* Fill *out with case i, in file order; its strings live as long as `cases`. */
DC_API dc_status dc_cases_get(const dc_cases *cases, size_t i, dc_case *out);
/* New facts of case i's source / target (the caller frees them).  A file
 * that cannot be read is DC_ERR_IO (the kit's fault); other failures
 * (DC_ERR_FACTS, DC_ERR_LIMIT) make the case's outcome "error". */
DC_API dc_status dc_cases_source(dc_cases *cases, size_t i, dc_facts **out, dc_error *err);
DC_API dc_status dc_cases_target(dc_cases *cases, size_t i, dc_facts **out, dc_error *err);
DC_API void dc_cases_free(dc_cases *cases);

/* ------------------------------------------------------------ rendering */

/*
 * What compatc prints, for any embedder (docs/embedding.md, "Rendering").
 * Text escapes control characters and bytes that are not UTF-8 as \xHH, so
 * a message stays one line and a terminal sees no raw bytes; JSON keeps
 * valid UTF-8, writes control characters as \u00XX and a byte that is not
 * UTF-8 as the four characters \xHH.
 */
typedef enum dc_format { DC_FORMAT_TEXT = 0, DC_FORMAT_JSON = 1 } dc_format;

/* The *_format functions are snprintf-style: they write at most cap bytes
 * into buf, NUL-terminated when cap > 0, and return the length of the whole
 * text (call with cap 0 to size a buffer). */

/* A diagnostic: GCC-style text ("FILE:LINE:COL: error: MESSAGE\n", the
 * source line and a caret line under the span), or one JSON object
 * {"file", "line", "col", "end_col", "severity", "message"} without a newline. */
DC_API size_t dc_diag_format(const dc_diag *diag, dc_format format, char *buf, size_t cap);
/* Facts sorted by name: `name=value` lines (quoted and escaped where needed;
 * reads back as the same facts), or one flat JSON object and a newline. */
DC_API size_t dc_facts_format(const dc_facts *facts, dc_format format, char *buf, size_t cap);
/* A JSON string literal of s, escaped as above; `null` for NULL. */
DC_API size_t dc_json_string(const char *s, char *buf, size_t cap);

/* dc_result_render: with the bindings (compatible) or reasons (incompatible) */
#define DC_RENDER_EXPLAIN 1u

/*
 * The result of the last check, as `compatc check` prints it, in *text
 * (lives until the next check into the result).  `target` names the target
 * in a mismatch's message ("T is not a target of..."; NULL: "not a target of...").
 *   text: "compatible (block N NAME)\n" (with DC_RENDER_EXPLAIN, then
 *         "  VAR = VALUE\n" per binding), "incompatible\n" (then the lines of
 *         dc_result_explain), or "target-mismatch: TARGET is not a target of
 *         policy P: FILE:LINE: MESSAGE\n" (one line: text is escaped).
 *   JSON: one object, no newline, always beginning with '{' so a caller may
 *         splice its own members in front:
 *         {"compatible", "policy", "block", "block_name", "bindings", "reasons"}
 *         (a binding is a number for an int, its canonical text otherwise,
 *         a hex as "591d"), or for a mismatch
 *         {"error": "target-mismatch", "message", "reasons"}.
 */
DC_API dc_status dc_result_render(dc_result *result, dc_format format, unsigned flags,
                                  const char *target, const char **text);

/* -------------------------------------------------------------- targets */

/*
 * "Which target would accept this source?" (docs/targets.md).
 *
 * Every combination of the finite domains of the policy's SELF variables
 * (in declaration order, the first varying slowest) is rendered into target
 * facts as SELF's rules write them (literals, variables' canonical text,
 * templates, derived values computed by the VM), and kept when SELF holds on
 * those facts and the source passes the check (dc_check; the first matching
 * COMPATIBLE block is reported).  Identical fact sets are reported once.
 * A variable's values are tried alone first, and those no block accepts
 * for this source are not combined (a source that pins a variable leaves
 * one value).
 *
 * A variable without a small finite domain (no constraint, an open or
 * larger-than-`limit` range, semver, set, a string without a list) is never
 * guessed: the facts that depend on it are *open*, reported with SELF's rules
 * about them (`constraint`, as written) and what the matching COMPATIBLE
 * block still requires of them (`residue`: the block's rules that read them,
 * with everything the source determines computed, e.g. "pci_id = 8086591d" or
 * "major(tv) == 1 && minor(tv) >= 2").  The rest of the check still runs.
 *
 * `limit` bounds the combinations tried (0: 1024); a variable with more
 * values than `limit` is open.  No target at all is not an error: the count
 * is 0.  Fails with DC_ERR_INVALID (a NULL argument, bytecode not shaped as
 * compiled rules) or DC_ERR_NOMEM.  The policy is only read (threads may
 * share it); the result does not reference `source` but does reference
 * `policy`, which must outlive it.  Release it with dc_targets_free.
 */
typedef struct dc_targets dc_targets;

typedef struct dc_target_open {
    size_t size;            /* sizeof(dc_target_open): initialise with DC_TARGET_OPEN_INIT */
    const char *fact;       /* the target's fact */
    const char *constraint; /* SELF's rules about it, as written ("pci_id = {pid:hex}");
                               NULL when only a COMPATIBLE block reads it */
    const char *residue;    /* what the matching block requires of it; NULL: nothing */
} dc_target_open;
#define DC_TARGET_OPEN_INIT DC_SIZED_INIT(dc_target_open)

DC_API dc_status dc_targets_find(const dc_policy *policy, const dc_facts *source, size_t limit,
                                 dc_targets **out, dc_error *err);
/* Number of targets found. */
DC_API size_t dc_targets_count(const dc_targets *targets);
/* 1 when there were more combinations than `limit` (some were not tried). */
DC_API int dc_targets_limited(const dc_targets *targets);
/* Number of combinations tried (values that no COMPATIBLE block can accept
 * for this source, whatever the other variables are, are dropped first). */
DC_API size_t dc_targets_tried_count(const dc_targets *targets);
/* The COMPATIBLE block (0-based) that accepts the source on target i, and
 * its name (NULL when unnamed); -1 / NULL when i is out of range. */
DC_API int32_t dc_targets_block(const dc_targets *targets, size_t i);
DC_API const char *dc_targets_block_name(const dc_targets *targets, size_t i);
/* 1 when target i is proven to accept the source: it has no open fact, or
 * values exist for its open facts that satisfy every residue (one was found
 * and checked); 0 when that could not be decided (a residue the solver does
 * not understand): the target is listed, and its residues must be read.
 * A target that can never accept the source is never listed. */
DC_API int dc_targets_decided(const dc_targets *targets, size_t i);
/* Target i's fixed facts (sorted by name, like any dc_facts); owned by
 * `targets`.  NULL when i is out of range. */
DC_API const dc_facts *dc_targets_facts(const dc_targets *targets, size_t i);
/* Target i's open facts: how many, and the j-th.  The strings live as long
 * as `targets`. */
DC_API size_t dc_targets_open_count(const dc_targets *targets, size_t i);
DC_API dc_status dc_targets_open_get(const dc_targets *targets, size_t i, size_t j,
                                     dc_target_open *out);
DC_API void dc_targets_free(dc_targets *targets);

/* ------------------------------------------------------------------ CEL */

/*
 * A policy specialised to one source, as a Kubernetes DRA device selector
 * (docs/kubernetes.md): a CEL expression over one device's attributes in
 * `domain` (NULL: DC_CEL_DEFAULT_DOMAIN) that is true exactly when
 * dc_check would find `source` compatible with a target whose facts are
 * that device's attributes, read with the types dc_cel_attribute_get lists
 * (an int in decimal, a bool as true/false, a version and a string as they
 * are).  A device that publishes one of them with another type is not
 * selected.  Everything the source determines is computed here; what is
 * left over the target is written in CEL, guarded so that it never
 * evaluates to an error (Kubernetes aborts an allocation on one).
 *
 * A fact is an attribute as the DRA importer names them: `name` is an
 * attribute of `domain`, `a.b.name` is `name` in domain `a.b` (a '_' of a
 * label for '-').
 *
 * Fails with DC_ERR_UNSUPPORTED, naming the policy's file and line, when a
 * rule cannot be expressed exactly: a target fact that is no DRA attribute
 * (a name over 32 characters, an upper-case domain), a template, a set
 * over the target, a target value converted from text;
 * with DC_ERR_LIMIT when the selector would be longer than Kubernetes
 * allows (10 KiB); DC_ERR_FACTS when the source's facts do not fit the
 * policy.  The result does not reference its arguments.
 */
#define DC_CEL_DEFAULT_DOMAIN "devcompat.io"

typedef struct dc_cel dc_cel;

DC_API dc_status dc_cel_new(const dc_policy *policy, const dc_facts *source, const char *domain,
                            dc_cel **out, dc_error *err);
/* The selector, NUL-terminated; lives as long as `cel`. */
DC_API const char *dc_cel_expression(const dc_cel *cel);
/* The attributes it reads, in name order, each with the DRA type its
 * value must have; the strings live as long as `cel`. */
typedef struct dc_cel_attribute {
    size_t size;        /* sizeof(dc_cel_attribute): DC_CEL_ATTRIBUTE_INIT */
    const char *fact;   /* the policy's fact ("fw.psid") */
    const char *domain; /* the DRA attribute's domain ("fw"; the driver's own for a
                               fact without a dot) */
    const char *name;   /* its name in the domain ("psid") */
    const char *type;   /* "int", "bool", "string" or "version" */
} dc_cel_attribute;
#define DC_CEL_ATTRIBUTE_INIT DC_SIZED_INIT(dc_cel_attribute)

DC_API size_t dc_cel_attribute_count(const dc_cel *cel);
DC_API dc_status dc_cel_attribute_get(const dc_cel *cel, size_t i, dc_cel_attribute *out);
DC_API void dc_cel_free(dc_cel *cel);

#ifdef __cplusplus
}
#endif
#endif /* DEVCOMPAT_H */
