/*
 * fuzz_yaml_fast.c -- src/yaml_fast.c against libyaml.  Whatever text the
 * fast scanner takes whole (yfast_accepts), libyaml must take too and make
 * the same events: types, start lines and columns, scalar values and
 * styles, no tag or anchor (tests/test_yaml_fast.c asserts the same on
 * fixtures and fixed mutations; this lets AFL++ search).  A text it does
 * not take must also not make yfast_next give a wrong event before it
 * stops: the events it does give are compared as far as they go.
 */
#include <yaml.h>

#include "harness.h"
#include "yaml_fast.h"

static void fuzz_one(const uint8_t *data, size_t len)
{
    const char *text = (const char *)data;
    bool whole = yfast_accepts(NULL, text, len);
    yfast s;
    yaml_parser_t p;
    yfast_init(&s, NULL, text, len);
    if (!yaml_parser_initialize(&p))
        abort();
    yaml_parser_set_input_string(&p, data, len);
    for (;;) {
        yaml_event_t a, b;
        if (!yfast_next(&s, &a)) {
            if (whole)
                fuzz_fail("yaml_fast: accepted the text, then stopped before its end");
            break;
        }
        if (!yaml_parser_parse(&p, &b)) {
            if (whole)
                fuzz_fail("yaml_fast: accepted a text libyaml refuses");
            break; /* a prefix both read; the caller reads with libyaml */
        }
        bool same = a.type == b.type && a.start_mark.line == b.start_mark.line &&
                    a.start_mark.column == b.start_mark.column;
        if (same && a.type == YAML_SCALAR_EVENT)
            same = a.data.scalar.length == b.data.scalar.length &&
                   !memcmp(a.data.scalar.value, b.data.scalar.value, a.data.scalar.length) &&
                   a.data.scalar.style == b.data.scalar.style && !b.data.scalar.tag &&
                   !b.data.scalar.anchor;
        yaml_event_type_t type = b.type;
        yaml_event_delete(&b);
        if (!same && whole)
            fuzz_fail("yaml_fast: an event libyaml does not make");
        if (!same || type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
    yfast_done(&s);
}
