/* sink.h -- the one text builder: into a caller's buffer, snprintf-style,
 * or into a buffer of its own that grows.
 *
 * A bounded sink (sink_bounded) counts every byte it is given
 * and stores what fits (always NUL-terminated by sink_finish when cap > 0),
 * so a renderer runs once with cap 0 to learn the length, then again into a
 * buffer of that length plus one.
 *
 * A growing sink (sink_growing) allocates through a dc_alloc and doubles its
 * buffer as text arrives, so appending n bytes costs O(n) amortised; its
 * text is NUL-terminated after every write and `len` is its length.  It
 * never aborts: when the allocator refuses, `failed` is set, what came
 * before stays (a prefix of the text, `len` long), nothing more is stored
 * or counted, and the caller reports DC_ERR_NOMEM.
 *
 * A sink also knows the two escapings output needs (docs/embedding.md,
 * "Rendering"): JSON strings, and text that stays on one line of a
 * terminal. */
#ifndef DC_SINK_H
#define DC_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "alloc.h"

typedef struct sink {
    char *buf;
    size_t cap, len;
    const dc_alloc *alloc; /* growing sinks: buf's allocator */
    bool growing, failed;  /* failed: growing sink whose allocator refused */
} sink;

/* An empty sink writing into buf[0..cap) (buf may be NULL when cap is 0). */
sink sink_bounded(char *buf, size_t cap);
/* An empty growing sink; release its buffer with sink_free. */
sink sink_growing(const dc_alloc *alloc);
/* Empty a growing sink, keeping its buffer (and a failure). */
void sink_reset(sink *s);
/* Release a growing sink's buffer; the sink is empty again. */
void sink_free(sink *s);
/* A growing sink's text: never NULL ("" before the first byte). */
const char *sink_str(const sink *s);

void sink_put(sink *s, const char *p, size_t n);
void sink_puts(sink *s, const char *p);
void sink_printf(sink *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* NUL-terminate; returns the length of the whole text. */
size_t sink_finish(sink *s);

/* The length of the valid UTF-8 sequence at p[0..n), or 0. */
size_t utf8_seq(const unsigned char *p, size_t n);

/* A JSON string of p[0..n) (`null` when p is NULL): valid UTF-8 is kept,
 * control characters are \u00XX, and a byte that is not part of valid
 * UTF-8 becomes the four characters \xHH, so its value stays readable. */
void sink_json(sink *s, const char *p, size_t n);
void sink_json_str(sink *s, const char *p);
/* p[0..n) for a terminal: valid UTF-8 and printable ASCII are kept, tabs
 * too; every other byte (control characters, newlines, invalid UTF-8)
 * becomes \xHH, so one message stays one line. */
void sink_text(sink *s, const char *p, size_t n);
/* How many columns sink_text writes for the byte or sequence at p[0..n),
 * and how many bytes that is (*used). */
size_t sink_text_width(const char *p, size_t n, size_t *used);

#endif
