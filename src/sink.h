/* sink.h -- text written into a caller's buffer, snprintf-style.
 *
 * A sink counts every byte it is given and stores what fits (always
 * NUL-terminated when cap > 0), so a renderer runs once with cap 0 to learn
 * the length, then again into a buffer of that length plus one.  It also
 * knows the two escapings output needs (docs/embedding.md, "Rendering"):
 * JSON strings, and text that stays on one line of a terminal. */
#ifndef DC_SINK_H
#define DC_SINK_H

#include <stddef.h>

typedef struct sink {
    char *buf;
    size_t cap, len;
} sink;

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
