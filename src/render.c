/* render.c -- what a check, a diagnostic and facts look like as text and as
 * JSON: the forms compatc prints, for every embedder (docs/embedding.md,
 * "Rendering").  Built on the public accessors; text is written twice, once
 * to measure and once into memory the result owns. */
#include <string.h>

#include "devcompat.h"
#include "facts.h"
#include "result.h"
#include "sink.h"

/* ------------------------------------------------------- diagnostics */

static void diag_text(sink *s, const dc_diag *dg)
{
    sink_text(s, dg->file, strlen(dg->file));
    sink_printf(s, ":%u:%u: %s: ", dg->line, dg->col,
                dg->severity == DC_SEV_ERROR ? "error" : "warning");
    sink_text(s, dg->message, strlen(dg->message));
    sink_put(s, "\n", 1);
    if (!dg->source_line)
        return;
    /* the line, escaped, then a caret under the span as escaped */
    const char *line = dg->source_line;
    size_t n = strlen(line);
    sink_text(s, line, n);
    sink_put(s, "\n", 1);
    bool first = true;
    for (size_t i = 0; i + 1 < dg->end_col;) {
        size_t used = 1, width = i < n ? sink_text_width(line + i, n - i, &used) : 1;
        bool pad = i + 1 < dg->col;
        for (size_t w = 0; w < width; w++) {
            char ch = pad ? (i < n && line[i] == '\t' ? '\t' : ' ') : first ? '^' : '~';
            sink_put(s, &ch, 1);
            if (!pad)
                first = false;
        }
        i += used;
    }
    sink_put(s, "\n", 1);
}

static void diag_json(sink *s, const dc_diag *dg)
{
    sink_puts(s, "{\"file\": ");
    sink_json_str(s, dg->file);
    sink_printf(s,
                ", \"line\": %u, \"col\": %u, \"end_col\": %u, \"severity\": \"%s\", "
                "\"message\": ",
                dg->line, dg->col, dg->end_col,
                dg->severity == DC_SEV_ERROR ? "error" : "warning");
    sink_json_str(s, dg->message);
    sink_put(s, "}", 1);
}

size_t dc_diag_format(const dc_diag *dg, dc_format format, char *buf, size_t cap)
{
    sink s = sink_bounded(buf, cap);
    if (dg && dg->size >= sizeof *dg && dg->file && dg->message) {
        if (format == DC_FORMAT_JSON)
            diag_json(&s, dg);
        else
            diag_text(&s, dg);
    }
    return sink_finish(&s);
}

/* ------------------------------------------------------------ facts */

size_t dc_facts_format(const dc_facts *facts, dc_format format, char *buf, size_t cap)
{
    return format == DC_FORMAT_JSON ? facts_render_json(facts, buf, cap)
                                    : facts_render_text(facts, buf, cap);
}

size_t dc_json_string(const char *s, char *buf, size_t cap)
{
    sink k = sink_bounded(buf, cap);
    sink_json_str(&k, s);
    return sink_finish(&k);
}

/* ------------------------------------------------------------ results */

/* "FILE:LINE: block N (NAME): message" lines, one per reason. */
static dc_status reasons_text(sink *s, dc_result *r)
{
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        dc_status st = dc_result_reason_get(r, i, &why);
        if (st != DC_OK)
            return st;
        sink_text(s, why.file, strlen(why.file));
        sink_printf(s, ":%u: ", why.line);
        if (why.block < 0) {
            sink_puts(s, "SELF");
        } else {
            sink_printf(s, "block %d", why.block);
            if (why.block_name) {
                sink_puts(s, " (");
                sink_text(s, why.block_name, strlen(why.block_name));
                sink_puts(s, ")");
            }
        }
        sink_puts(s, ": ");
        sink_text(s, why.message, strlen(why.message));
        sink_put(s, "\n", 1);
    }
    return DC_OK;
}

/* A value as JSON: an int as a number, anything else (a hex included) as
 * its canonical text ("591d"). */
static void value_json(sink *s, const dc_binding *b)
{
    if (b->type == DC_TYPE_INT)
        sink_printf(s, "%lld", (long long)b->int_value);
    else
        sink_json_str(s, b->text);
}

/* A reason's values as an object, its missing items as a list of strings
 * (null when the rule is no subset()). */
static void reason_values_json(sink *s, const dc_reason *why)
{
    sink_puts(s, ", \"values\": {");
    for (size_t j = 0; j < why->nvalues; j++) {
        if (j)
            sink_puts(s, ", ");
        sink_json_str(s, why->values[j].name);
        sink_puts(s, ": ");
        value_json(s, &why->values[j]);
    }
    sink_puts(s, "}, \"missing\": ");
    if (!why->missing) {
        sink_puts(s, "null");
        return;
    }
    sink_put(s, "[", 1);
    for (const char *p = why->missing;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        sink_json(s, p, n);
        if (!comma)
            break;
        sink_puts(s, ", ");
        p = comma + 1;
    }
    sink_put(s, "]", 1);
}

static dc_status reasons_json(sink *s, dc_result *r)
{
    sink_put(s, "[", 1);
    for (size_t i = 0; i < dc_result_reason_count(r); i++) {
        dc_reason why = DC_REASON_INIT;
        dc_status st = dc_result_reason_get(r, i, &why);
        if (st != DC_OK)
            return st;
        sink_puts(s, i ? ", {\"block\": " : "{\"block\": ");
        if (why.block < 0)
            sink_puts(s, "null");
        else
            sink_printf(s, "%d", why.block);
        sink_puts(s, ", \"block_name\": ");
        sink_json_str(s, why.block_name);
        sink_puts(s, ", \"file\": ");
        sink_json_str(s, why.file);
        sink_printf(s, ", \"line\": %u, \"field\": ", why.line);
        sink_json_str(s, why.field);
        sink_puts(s, ", \"expected\": ");
        sink_json_str(s, why.expected);
        sink_puts(s, ", \"actual\": ");
        sink_json_str(s, why.actual);
        sink_puts(s, ", \"message\": ");
        sink_json_str(s, why.message);
        reason_values_json(s, &why);
        sink_put(s, "}", 1);
    }
    sink_put(s, "]", 1);
    return DC_OK;
}

/* Bindings as a JSON object, each value as value_json writes it. */
static dc_status bindings_json(sink *s, dc_result *r)
{
    sink_put(s, "{", 1);
    for (size_t i = 0; i < dc_result_binding_count(r); i++) {
        dc_binding b = DC_BINDING_INIT;
        dc_status st = dc_result_binding_get(r, i, &b);
        if (st != DC_OK)
            return st;
        if (i)
            sink_puts(s, ", ");
        sink_json_str(s, b.name);
        sink_puts(s, ": ");
        value_json(s, &b);
    }
    sink_put(s, "}", 1);
    return DC_OK;
}

/* The sentence of a target mismatch: SELF's failing rule. */
static dc_status mismatch_text(sink *s, dc_result *r, const char *target, bool json)
{
    dc_reason why = DC_REASON_INIT;
    dc_status st = dc_result_reason_get(r, 0, &why);
    if (st != DC_OK)
        return st;
    sink k = sink_bounded(NULL, 0);
    char *text = NULL;
    for (int pass = 0; pass < 2; pass++) {
        sink_printf(&k, "%s%snot a target of policy %s: %s:%u: %s", target ? target : "",
                    target ? " is " : "", dc_policy_name(r->policy), why.file, why.line,
                    why.message);
        if (pass)
            break;
        text = arena_alloc(&r->text, k.len + 1);
        if (!text)
            return DC_ERR_NOMEM;
        k = sink_bounded(text, k.len + 1);
    }
    sink_finish(&k);
    if (json)
        sink_json_str(s, text);
    else
        sink_text(s, text, strlen(text));
    return DC_OK;
}

static dc_status render(sink *s, dc_result *r, dc_format format, unsigned flags,
                        const char *target)
{
    dc_verdict v = dc_result_verdict(r);
    dc_status st = DC_OK;
    if (format == DC_FORMAT_JSON) {
        if (v == DC_TARGET_MISMATCH) {
            sink_puts(s, "{\"error\": \"target-mismatch\", \"message\": ");
            if ((st = mismatch_text(s, r, target, true)) != DC_OK)
                return st;
            sink_puts(s, ", \"reasons\": ");
            st = reasons_json(s, r);
            sink_put(s, "}", 1);
            return st;
        }
        bool ok = v == DC_COMPATIBLE;
        sink_printf(s, "{\"compatible\": %s, \"policy\": ", ok ? "true" : "false");
        sink_json_str(s, dc_policy_name(r->policy));
        if (ok)
            sink_printf(s, ", \"block\": %d, \"block_name\": ", dc_result_block(r));
        else
            sink_puts(s, ", \"block\": null, \"block_name\": ");
        sink_json_str(s, dc_result_block_name(r));
        sink_puts(s, ", \"bindings\": ");
        if ((st = bindings_json(s, r)) != DC_OK)
            return st;
        sink_puts(s, ", \"reasons\": ");
        st = reasons_json(s, r);
        sink_put(s, "}", 1);
        return st;
    }
    if (v == DC_TARGET_MISMATCH) {
        sink_puts(s, "target-mismatch: ");
        if ((st = mismatch_text(s, r, target, false)) != DC_OK)
            return st;
        sink_put(s, "\n", 1);
        return DC_OK;
    }
    if (v == DC_INCOMPATIBLE) {
        sink_puts(s, "incompatible\n");
        return flags & DC_RENDER_EXPLAIN ? reasons_text(s, r) : DC_OK;
    }
    const char *bn = dc_result_block_name(r);
    sink_printf(s, "compatible (block %d", dc_result_block(r));
    if (bn) {
        sink_put(s, " ", 1);
        sink_text(s, bn, strlen(bn));
    }
    sink_puts(s, ")\n");
    for (size_t i = 0; flags & DC_RENDER_EXPLAIN && i < dc_result_binding_count(r); i++) {
        dc_binding b = DC_BINDING_INIT;
        if ((st = dc_result_binding_get(r, i, &b)) != DC_OK)
            return st;
        sink_printf(s, "  %s = ", b.name);
        sink_text(s, b.text, strlen(b.text));
        sink_put(s, "\n", 1);
    }
    return DC_OK;
}

/* Render twice: to measure, then into the result's text arena. */
static dc_status render_kept(dc_result *r, dc_format format, unsigned flags, const char *target,
                             bool reasons_only, const char **text)
{
    if (!r || !text || (format != DC_FORMAT_TEXT && format != DC_FORMAT_JSON))
        return DC_ERR_INVALID;
    *text = NULL;
    result_text_fresh(r);
    sink s = sink_bounded(NULL, 0);
    dc_status st = reasons_only ? reasons_text(&s, r) : render(&s, r, format, flags, target);
    if (st != DC_OK)
        return st;
    char *buf = arena_alloc(&r->text, s.len + 1);
    if (!buf)
        return DC_ERR_NOMEM;
    s = sink_bounded(buf, s.len + 1);
    st = reasons_only ? reasons_text(&s, r) : render(&s, r, format, flags, target);
    sink_finish(&s);
    if (st == DC_OK)
        *text = buf;
    return st;
}

dc_status dc_result_render(dc_result *r, dc_format format, unsigned flags, const char *target,
                           const char **text)
{
    return render_kept(r, format, flags, target, false, text);
}

dc_status dc_result_explain(dc_result *r, const char **text)
{
    return render_kept(r, DC_FORMAT_TEXT, 0, NULL, true, text);
}
