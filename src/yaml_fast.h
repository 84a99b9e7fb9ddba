/* yaml_fast.h -- libyaml's events for the common shapes of YAML and JSON,
 * scanned without libyaml (docs/performance.md, "Importers").
 *
 * What the importers and readers of facts_yaml.c are given is mostly JSON
 * (devlink -j, mdevctl --dumpjson, kubectl -o json) or the block YAML
 * kubectl writes.  For such a text this scanner makes the events libyaml
 * would make -- the same types, scalar values and styles, and start marks
 * -- a few times faster.  It takes a subset only: ASCII text, no tab, CR,
 * comment, blank line, anchor, alias, tag, directive, block scalar or
 * multi-line scalar, plain scalars of a safe alphabet, flow collections in
 * block YAML on one line.  yfast_accepts() scans a whole text first; only
 * when the whole text is of the subset are its events taken from here, so
 * every error (and every text outside the subset) is still libyaml's.
 * tests/test_yaml_fast.c compares the two on every fixture and corpus file
 * and on mutations of them.
 */
#ifndef DC_YAML_FAST_H
#define DC_YAML_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "devcompat.h"

/* A collection being read. */
typedef struct yfast_frame {
    uint8_t kind;  /* block/flow mapping/sequence */
    uint8_t state; /* what comes next in it */
    bool indentless;
    int indent; /* block: its column */
} yfast_frame;

/* An event made, not yet handed on: its text in the input or in `buf`. */
typedef struct yfast_event {
    yaml_event_type_t type;
    yaml_scalar_style_t style;
    size_t index;
    uint32_t line, col;
    const char *text; /* NULL: at `off` in buf */
    size_t off, len;
} yfast_event;

#define YFAST_MAX_DEPTH 64

typedef struct yfast {
    const dc_alloc *alloc;
    const char *text, *p, *end;
    const char *line_start; /* of the line p is on */
    uint32_t line;
    yfast_frame stack[YFAST_MAX_DEPTH];
    int depth;
    int phase;     /* 0: stream start, 1: document, 2: ended */
    bool flow_doc; /* the root is a flow collection: newlines are blanks */
    yfast_event *q;
    size_t qhead, qn, qcap;
    char *buf; /* quoted scalars' values, decoded */
    size_t buf_len, buf_cap;
} yfast;

void yfast_init(yfast *s, const dc_alloc *alloc, const char *text, size_t len);
/* The next event (its value lives until the next call); false when the
 * text leaves the subset or memory runs out. */
bool yfast_next(yfast *s, yaml_event_t *ev);
void yfast_done(yfast *s);
/* Is the whole text of the subset (its events all yfast_next's)? */
bool yfast_accepts(const dc_alloc *alloc, const char *text, size_t len);

#endif
