/* facts_render.c -- facts written out: key=value text and flat JSON.
 *
 * The inverse of facts_kv.c: what facts_render_text writes reads back as
 * the same facts.
 */
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "facts_chars.h"
#include "sink.h"

static bool needs_quotes(const char *v, size_t n)
{
    if (n == 0 || is_blank(v[0]) || is_blank(v[n - 1]) || v[0] == '\n' || v[n - 1] == '\n')
        return true;
    for (size_t i = 0; i < n; i++)
        if (v[i] == '"' || v[i] == '\\' || v[i] == '\n' || v[i] == '\t' || v[i] == '#')
            return true;
    return false;
}

size_t facts_render_text(const dc_facts *f, char *buf, size_t cap)
{
    sink s = sink_bounded(buf, cap);
    for (uint32_t i = 0; f && i < f->n; i++) {
        const fact *x = &f->items[i];
        sink_put(&s, x->name, x->name_len);
        sink_put(&s, "=", 1);
        if (!needs_quotes(x->value, x->value_len)) {
            sink_put(&s, x->value, x->value_len);
        } else {
            sink_put(&s, "\"", 1);
            for (uint32_t k = 0; k < x->value_len; k++) {
                char c = x->value[k];
                switch (c) {
                case '"': sink_put(&s, "\\\"", 2); break;
                case '\\': sink_put(&s, "\\\\", 2); break;
                case '\n': sink_put(&s, "\\n", 2); break;
                case '\t': sink_put(&s, "\\t", 2); break;
                default: sink_put(&s, &c, 1); break;
                }
            }
            sink_put(&s, "\"", 1);
        }
        sink_put(&s, "\n", 1);
    }
    return sink_finish(&s);
}

size_t facts_render_json(const dc_facts *f, char *buf, size_t cap)
{
    sink s = sink_bounded(buf, cap);
    sink_put(&s, "{", 1);
    for (uint32_t i = 0; f && i < f->n; i++) {
        if (i)
            sink_put(&s, ", ", 2);
        sink_json(&s, f->items[i].name, f->items[i].name_len);
        sink_put(&s, ": ", 2);
        sink_json(&s, f->items[i].value, f->items[i].value_len);
    }
    sink_put(&s, "}\n", 2);
    return sink_finish(&s);
}
