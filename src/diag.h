/* diag.h -- the diagnostics of one policy source (docs/language.md, section 11).
 *
 * Locations are byte spans of the source; a diagnostic turns its span into
 * line, column and end column, and keeps a copy of the source line, so a
 * dc_diags outlives the text it was made from. */
#ifndef DC_DIAG_H
#define DC_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "ast.h"
#include "devcompat.h"

/* Line starts of a source text, for offset -> line/col. */
typedef struct srcmap {
    const char *text;
    uint32_t len;
    uint32_t *starts; /* starts[i] = offset of line i+1 */
    uint32_t nlines;
} srcmap;

bool srcmap_init(srcmap *m, const dc_alloc *alloc, const char *text, uint32_t len);
void srcmap_free(srcmap *m, const dc_alloc *alloc);
/* 1-based line and column of an offset (an offset at len is valid). */
void srcmap_locate(const srcmap *m, uint32_t off, uint32_t *line, uint32_t *col);

struct dc_diags {
    const dc_alloc *alloc;
    arena ar; /* messages, file name and source lines */
    dc_diag *items;
    uint32_t n, cap;
    uint32_t nerrors, nwarnings;
    const char *file;
    const srcmap *map; /* while compiling only */
    bool oom;          /* a diagnostic was lost to an allocation failure */
};

dc_diags *diag_new(const dc_alloc *alloc, const char *file, const srcmap *map);
/* Report at a span; the message is printf-formatted.  Past DC_MAX_DIAGS
 * diagnostics, further ones are dropped (one last "too many errors" stays). */
void diag_report(dc_diags *d, dc_severity sev, span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void diag_vreport(dc_diags *d, dc_severity sev, span at, const char *fmt, va_list ap);
/* Sort by line and column (stable), once all are reported. */
void diag_sort(dc_diags *d);

/* The GCC-style text of one diagnostic: "file:line:col: severity: message\n",
 * the source line, and a caret line ("^~~~", tabs kept so it lines up).
 * snprintf-style. */
size_t diag_format(const dc_diag *dg, char *buf, size_t cap);

#endif
