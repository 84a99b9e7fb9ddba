/* semver_range.c -- node-semver ranges: parsed into comparator sets, tested,
 * checked for emptiness, rendered (docs/language.md, section 7.1).  Versions
 * themselves are semver.c's. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "semver_range.h"

/* -------------------------------------------------------------- ranges
 *
 * node-semver (classes/range.js, strict mode, includePrerelease off) gives a
 * range its meaning by rewriting the text in passes: hyphen ranges, then the
 * trimming of blanks after operators, then per comparator the build strip,
 * caret, tilde, x-range and star rewrites, then ">=0.0.0" => any; what is left
 * must be plain comparators.  Many odd texts are valid or invalid only
 * because of how those passes interact, so the same passes are run here, in
 * the same order, on a working text whose every byte remembers the source
 * offset it came from (for the error position).  Each matcher below mirrors
 * one of node-semver's regular expressions (internal/re.js); where the regex
 * is unanchored, the matcher returns the extent the regex engine would.
 * The reference is node-semver 7.8.6 (build suffixes stripped before hyphen
 * ranges, the scanning comparator trim, "1.x.3" left as an invalid x-range);
 * checked against it on a few hundred thousand generated ranges.
 *
 * Known differences, all outside what a policy would write: only ASCII
 * blanks are blanks (JavaScript's \s also takes Unicode spaces), and numeric
 * pre-release identifiers above 2^53 compare exactly, not as doubles.  Range
 * versions keep node-semver's 9007199254740991 limit, facts (parse_semver)
 * take any uint64.
 */

#define NOMATCH          ((size_t)-1)
#define MAX_VERSION_TEXT 256               /* node-semver's MAX_LENGTH */
#define MAX_SAFE_NUMBER  9007199254740991u /* node-semver's MAX_SAFE_INTEGER */
#define TOO_LARGE        " in range (the limit is 9007199254740991)"

typedef struct wtext {
    const dc_alloc *alloc;
    char *c;
    uint32_t *off;
    size_t len, cap;
    bool *oom; /* shared by all the working texts of one parse */
} wtext;

static void wt_init(wtext *w, const dc_alloc *alloc, bool *oom)
{
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
    w->oom = oom;
}

static void wt_free(wtext *w)
{
    mem_free(w->alloc, w->c);
    mem_free(w->alloc, w->off);
    w->c = NULL;
    w->off = NULL;
    w->len = w->cap = 0;
}

static bool wt_reserve(wtext *w, size_t extra)
{
    size_t cap;
    char *c;
    uint32_t *off;

    if (*w->oom)
        return false;
    if (w->len + extra <= w->cap)
        return true;
    cap = w->cap ? w->cap : 64;
    while (cap < w->len + extra)
        cap *= 2;
    if (!(c = mem_grow(w->alloc, w->c, cap, 1))) {
        *w->oom = true;
        return false;
    }
    w->c = c;
    if (!(off = mem_grow(w->alloc, w->off, cap, sizeof *off))) {
        *w->oom = true;
        return false;
    }
    w->off = off;
    w->cap = cap;
    return true;
}

static void wt_putc(wtext *w, char ch, uint32_t off)
{
    if (!wt_reserve(w, 1))
        return;
    w->c[w->len] = ch;
    w->off[w->len] = off;
    w->len++;
}

/* Copies src[from, to) with its offsets. */
static void wt_copy(wtext *w, const wtext *src, size_t from, size_t to)
{
    if (to <= from || !wt_reserve(w, to - from))
        return;
    memcpy(w->c + w->len, src->c + from, to - from);
    memcpy(w->off + w->len, src->off + from, (to - from) * sizeof *w->off);
    w->len += to - from;
}

static void wt_puts(wtext *w, const char *s, uint32_t off)
{
    while (*s)
        wt_putc(w, *s++, off);
}

static void wt_putu(wtext *w, uint64_t v, uint32_t off)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, v);
    wt_puts(w, num, off);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_alpha_dash(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* ----------------------------------------------- the regexes, as matchers */

/* NUMERICIDENTIFIER  0|[1-9]\d*  */
static size_t m_num(const char *s, size_t n, size_t i)
{
    if (i >= n || !sv_is_digit(s[i]))
        return NOMATCH;
    if (s[i] == '0')
        return i + 1;
    while (i < n && sv_is_digit(s[i]))
        i++;
    return i;
}

/* XRANGEIDENTIFIER  NUMERICIDENTIFIER|x|X|\*  */
static size_t m_xid(const char *s, size_t n, size_t i)
{
    if (i < n && (s[i] == 'x' || s[i] == 'X' || s[i] == '*'))
        return i + 1;
    return m_num(s, n, i);
}

/* NONNUMERICIDENTIFIER  \d*[a-zA-Z-][a-zA-Z0-9-]*  */
static size_t m_nonnum(const char *s, size_t n, size_t i)
{
    while (i < n && sv_is_digit(s[i]))
        i++;
    if (i >= n || !is_alpha_dash(s[i]))
        return NOMATCH;
    while (i < n && sv_is_ident_char(s[i]))
        i++;
    return i;
}

enum id_kind { ID_PRE, ID_PRE_LOOSE, ID_BUILD };

static size_t m_id(const char *s, size_t n, size_t i, enum id_kind kind)
{
    size_t e;

    if (kind == ID_BUILD) { /* BUILDIDENTIFIER  [0-9A-Za-z-]+  */
        e = i;
        while (e < n && sv_is_ident_char(s[e]))
            e++;
        return e > i ? e : NOMATCH;
    }
    if ((e = m_nonnum(s, n, i)) != NOMATCH)
        return e;
    if (kind == ID_PRE)
        return m_num(s, n, i);
    e = i; /* loose: \d+ */
    while (e < n && sv_is_digit(s[e]))
        e++;
    return e > i ? e : NOMATCH;
}

/* ID (\.ID)*, greedy */
static size_t m_ids(const char *s, size_t n, size_t i, enum id_kind kind)
{
    size_t e = m_id(s, n, i, kind), e2;

    if (e == NOMATCH)
        return NOMATCH;
    while (e < n && s[e] == '.' && (e2 = m_id(s, n, e + 1, kind)) != NOMATCH)
        e = e2;
    return e;
}

static size_t skip_prefix(const char *s, size_t n, size_t i) /* [v=\s]* */
{
    while (i < n && (s[i] == 'v' || s[i] == '=' || is_blank(s[i])))
        i++;
    return i;
}

typedef struct span {
    size_t at, len; /* len 0: the part is absent */
} span;

typedef struct xmatch {
    span M, m, p, pr;
} xmatch;

/* XRANGEPLAIN  [v=\s]*(XID)(?:\.(XID)(?:\.(XID)(?:PRERELEASE)?BUILD?)?)?  */
static size_t m_xrangeplain(const char *s, size_t n, size_t i, xmatch *x)
{
    size_t e;

    memset(x, 0, sizeof *x);
    i = skip_prefix(s, n, i);
    if ((e = m_xid(s, n, i)) == NOMATCH)
        return NOMATCH;
    x->M = (span){ i, e - i };
    i = e;
    if (i < n && s[i] == '.' && (e = m_xid(s, n, i + 1)) != NOMATCH) {
        x->m = (span){ i + 1, e - i - 1 };
        i = e;
        if (i < n && s[i] == '.' && (e = m_xid(s, n, i + 1)) != NOMATCH) {
            x->p = (span){ i + 1, e - i - 1 };
            i = e;
            if (i < n && s[i] == '-' && (e = m_ids(s, n, i + 1, ID_PRE)) != NOMATCH) {
                x->pr = (span){ i + 1, e - i - 1 };
                i = e;
            }
            if (i < n && s[i] == '+' && (e = m_ids(s, n, i + 1, ID_BUILD)) != NOMATCH)
                i = e;
        }
    }
    return i;
}

/* LOOSEPLAIN  [v=\s]*\d+\.\d+\.\d+(?:-?(PIDLOOSE(\.PIDLOOSE)*))?BUILD?  */
static size_t m_looseplain(const char *s, size_t n, size_t i)
{
    size_t e;

    i = skip_prefix(s, n, i);
    for (int part = 0; part < 3; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return NOMATCH;
            i++;
        }
        size_t start = i;
        while (i < n && sv_is_digit(s[i]))
            i++;
        if (i == start)
            return NOMATCH;
    }
    if (i < n && s[i] == '-' && (e = m_ids(s, n, i + 1, ID_PRE_LOOSE)) != NOMATCH)
        i = e;
    else if ((e = m_ids(s, n, i, ID_PRE_LOOSE)) != NOMATCH)
        i = e;
    if (i < n && s[i] == '+' && (e = m_ids(s, n, i + 1, ID_BUILD)) != NOMATCH)
        i = e;
    return i;
}

/* GTLT  ((?:<|>)?=?), greedy */
static size_t m_gtlt(const char *s, size_t n, size_t i)
{
    if (i < n && (s[i] == '<' || s[i] == '>'))
        i++;
    if (i < n && s[i] == '=')
        i++;
    return i;
}

static bool is_x(const char *s, span sp)
{
    return sp.len == 0 ||
           (sp.len == 1 && (s[sp.at] == 'x' || s[sp.at] == 'X' || s[sp.at] == '*'));
}

/* ------------------------------------------------------------- context */

typedef struct rcomp {
    uint8_t op;
    uint64_t major, minor, patch;
    uint32_t pre_off, pre_len; /* into rctx.pre */
} rcomp;

typedef struct rctx {
    const dc_alloc *alloc;
    const char *src; /* the range as written */
    size_t srclen;
    char *err;
    size_t errcap;
    size_t *err_off;
    bool failed;
    bool oom; /* a working text could not grow */
    rcomp *comps;
    size_t ncomps, capcomps;
    uint32_t *set_end;
    size_t nsets, capsets;
    char *pre;
    size_t prelen, precap;
} rctx;

/* Quotes working text for a message: at most 64 bytes, controls as '?'. */
static void quote(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0, lim = n > 64 ? 61 : n;

    for (size_t i = 0; i < lim && k + 1 < cap; i++)
        out[k++] = is_blank(s[i])                               ? ' '
                   : (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?'
                                                                : s[i];
    if (lim < n)
        for (int d = 0; d < 3 && k + 1 < cap; d++)
            out[k++] = '.';
    out[k] = '\0';
}

static void fail(rctx *cx, size_t off, const char *what, const char *s, size_t n,
                 const char *tail)
{
    char q[80];

    if (cx->failed)
        return;
    cx->failed = true;
    if (cx->err_off)
        *cx->err_off = off;
    if (!cx->err || cx->errcap == 0)
        return;
    if (s) {
        quote(s, n, q, sizeof q);
        snprintf(cx->err, cx->errcap, "%s '%s'%s", what, q, tail);
    } else {
        snprintf(cx->err, cx->errcap, "%s", what);
    }
}

static void fail_oom(rctx *cx)
{
    fail(cx, 0, "out of memory parsing a semver range", NULL, 0, "");
}

/* Returns p grown to hold `need` elements (maybe moved), NULL on failure
 * (p is then still valid). */
static void *grow(rctx *cx, void *p, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *np;

    if (need <= *cap)
        return p;
    ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    if (!(np = mem_grow(cx->alloc, p, ncap, size))) {
        fail_oom(cx);
        return NULL;
    }
    *cap = ncap;
    return np;
}

/* The smallest source offset of w[from, to), for an error position. */
static size_t src_off(const wtext *w, size_t from, size_t to)
{
    size_t best = SIZE_MAX;

    for (size_t i = from; i < to; i++)
        if (w->off[i] < best)
            best = w->off[i];
    return best == SIZE_MAX ? (from < w->len ? w->off[from] : 0) : best;
}

/* Fails about w[from, to), quoting the source text it came from. */
static void fail_piece(rctx *cx, const wtext *w, size_t from, size_t to, const char *what,
                       const char *tail)
{
    size_t lo = SIZE_MAX, hi = 0;

    for (size_t i = from; i < to; i++) {
        if (w->off[i] < lo)
            lo = w->off[i];
        if (w->off[i] + 1 > hi)
            hi = w->off[i] + 1;
    }
    if (lo == SIZE_MAX || hi > cx->srclen) {
        fail(cx, src_off(w, from, to), what, w->c + from, to - from, tail);
        return;
    }
    fail(cx, lo, what, cx->src + lo, hi - lo, tail);
}

/* ------------------------------------------------------------- emitters */

/* Writes the desugared text of one construct into `out`; numbers are parsed
 * (checked against uint64) only when used, as node-semver uses them. */
typedef struct emitter {
    rctx *cx;
    wtext *out;
    const wtext *in;
    size_t base; /* the construct's text starts at in->c + base */
    uint32_t at; /* source offset given to generated bytes */
} emitter;

static void e_str(emitter *e, const char *lit)
{
    wt_puts(e->out, lit, e->at);
}

static void e_span(emitter *e, span sp)
{
    wt_copy(e->out, e->in, e->base + sp.at, e->base + sp.at + sp.len);
}

static bool e_value(emitter *e, span sp, uint64_t *v)
{
    const char *s = e->in->c + e->base + sp.at;
    uint64_t x = 0;

    for (size_t i = 0; i < sp.len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10) {
            fail(e->cx, e->in->off[e->base + sp.at], "version number too large:", s, sp.len,
                 TOO_LARGE);
            return false;
        }
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

/* The number in sp plus one. */
static void e_succ(emitter *e, span sp)
{
    uint64_t v;

    if (!e_value(e, sp, &v))
        return;
    if (v >= MAX_SAFE_NUMBER) {
        fail(e->cx, e->in->off[e->base + sp.at],
             "version number too large:", e->in->c + e->base + sp.at, sp.len,
             " in range (its upper bound needs one more; the limit is 9007199254740991)");
        return;
    }
    wt_putu(e->out, v + 1, e->at);
}

static bool is_zero(const emitter *e, span sp)
{
    return sp.len == 1 && e->in->c[e->base + sp.at] == '0';
}

/* M.m.p with x's first `known` parts (1 to 3) and zeros after them; x's
 * prerelease too when all three are known. */
static void e_version(emitter *e, const xmatch *x, int known)
{
    e_span(e, x->M);
    if (known < 2) {
        e_str(e, ".0.0");
        return;
    }
    e_str(e, ".");
    e_span(e, x->m);
    if (known < 3) {
        e_str(e, ".0");
        return;
    }
    e_str(e, ".");
    e_span(e, x->p);
    if (x->pr.len) {
        e_str(e, "-");
        e_span(e, x->pr);
    }
}

/* The version one above x's part `level` (0: M+1.0.0, 1: M.m+1.0,
 * 2: M.m.p+1). */
static void e_next(emitter *e, const xmatch *x, int level)
{
    if (level == 0) {
        e_succ(e, x->M);
        e_str(e, ".0.0");
        return;
    }
    e_span(e, x->M);
    e_str(e, ".");
    if (level == 1) {
        e_succ(e, x->m);
        e_str(e, ".0");
        return;
    }
    e_span(e, x->m);
    e_str(e, ".");
    e_succ(e, x->p);
}

/* ">=LOW <HIGH-0": x's first `known` parts, up to the version above its
 * part `level`, every prerelease of that excluded. */
static void e_range(emitter *e, const xmatch *x, int known, int level)
{
    e_str(e, ">=");
    e_version(e, x, known);
    e_str(e, " <");
    e_next(e, x, level);
    e_str(e, "-0");
}

/* How many of x's parts are given before the first x (1 to 3); M is. */
static int known_parts(const emitter *e, const xmatch *x)
{
    const char *s = e->in->c + e->base;
    return is_x(s, x->m) ? 1 : is_x(s, x->p) ? 2 : 3;
}

/* node-semver replaceCaret: ^M.m.p-pr, up to the next change of the first
 * part that is not 0 (or the last part given). */
static void emit_caret(emitter *e, const xmatch *x)
{
    if (is_x(e->in->c + e->base, x->M))
        return;
    int known = known_parts(e, x), level = 0;
    if (known >= 2 && is_zero(e, x->M))
        level = known == 3 && is_zero(e, x->m) ? 2 : 1;
    e_range(e, x, known, level);
}

/* node-semver replaceTilde: ~M.m.p-pr, ~>M.m.p-pr: up to the next minor,
 * or the next major when only M is given. */
static void emit_tilde(emitter *e, const xmatch *x)
{
    if (is_x(e->in->c + e->base, x->M))
        return;
    int known = known_parts(e, x);
    e_range(e, x, known, known == 1 ? 0 : 1);
}

/* node-semver replaceXRange: GTLT M.m.p with some part x.  `g` is the
 * operator text ("", "<", "<=", ">", ">=", "="). */
static void emit_xrange(emitter *e, const char *g, const xmatch *x)
{
    const char *s = e->in->c + e->base;
    bool xM = is_x(s, x->M);
    bool xm = xM || is_x(s, x->m); /* the caller saw some part x */

    if (!strcmp(g, "="))
        g = "";
    if (xM) {
        e_str(e, !strcmp(g, ">") || !strcmp(g, "<") ? "<0.0.0-0" : "*");
    } else if (*g) {
        /* some part is x: >1 => >=2.0.0, >1.2 => >=1.3.0, <=1.2 => <1.3.0-0 */
        if (!strcmp(g, ">")) {
            e_str(e, ">=");
            e_next(e, x, xm ? 0 : 1);
        } else if (!strcmp(g, "<=")) {
            e_str(e, "<");
            e_next(e, x, xm ? 0 : 1);
            e_str(e, "-0");
        } else {
            e_str(e, g);
            e_version(e, x, xm ? 1 : 2);
            if (!strcmp(g, "<"))
                e_str(e, "-0");
        }
    } else {
        e_range(e, x, xm ? 1 : 2, xm ? 0 : 1);
    }
}

/* -------------------------------------------------------------- passes */

/* HYPHENRANGE  ^\s*(XRANGEPLAIN)\s+-\s+(XRANGEPLAIN)\s*$  on a whole part.
 * Neither side can hold " -", so the only candidate split is the first
 * " - ".  Returns false when the part is not a hyphen range. */
static bool pass_hyphen(rctx *cx, const wtext *in, wtext *out)
{
    const char *s = in->c;
    size_t n = in->len, k;
    xmatch f, t;

    for (k = 0; k + 2 < n; k++)
        if (s[k] == ' ' && s[k + 1] == '-' && s[k + 2] == ' ')
            break;
    if (k + 2 >= n)
        return false;
    if (m_xrangeplain(s, k, 0, &f) != k)
        return false;
    if (m_xrangeplain(s + k + 3, n - k - 3, 0, &t) != n - k - 3)
        return false;

    emitter e = { cx, out, in, 0, in->off[0] };
    size_t mark = out->len;
    if (is_x(s, f.M)) {
        /* from = '' */
    } else if (is_x(s, f.m)) {
        e_str(&e, ">=");
        e_span(&e, f.M);
        e_str(&e, ".0.0");
    } else if (is_x(s, f.p)) {
        e_str(&e, ">=");
        e_span(&e, f.M);
        e_str(&e, ".");
        e_span(&e, f.m);
        e_str(&e, ".0");
    } else {
        e_str(&e, ">=");
        wt_copy(out, in, 0, k); /* the whole from-text, prefix and build included */
    }
    bool have_from = out->len > mark;

    emitter te = { cx, out, in, k + 3, in->off[k + 3] };
    const char *ts = s + k + 3;
    if (is_x(ts, t.M))
        return true;
    if (have_from)
        wt_putc(out, ' ', in->off[k + 1]);
    if (is_x(ts, t.m)) {
        e_str(&te, "<");
        e_succ(&te, t.M);
        e_str(&te, ".0.0-0");
    } else if (is_x(ts, t.p)) {
        e_str(&te, "<");
        e_span(&te, t.M);
        e_str(&te, ".");
        e_succ(&te, t.m);
        e_str(&te, ".0-0");
    } else if (t.pr.len) {
        e_str(&te, "<=");
        e_span(&te, t.M);
        e_str(&te, ".");
        e_span(&te, t.m);
        e_str(&te, ".");
        e_span(&te, t.p);
        e_str(&te, "-");
        e_span(&te, t.pr);
    } else {
        e_str(&te, "<=");
        wt_copy(out, in, k + 3, n);
    }
    return true;
}

static bool is_vprefix(char c)
{
    return c == 'v' || c == '=' || is_blank(c);
}

static bool is_vstart(char c)
{
    return sv_is_digit(c) || c == 'x' || c == 'X' || c == '*';
}

/* COMPARATORTRIM  (\s*)GTLT\s*(LOOSEPLAIN|XRANGEPLAIN)  => $1$2$3, global,
 * as node-semver now scans it (internal/trim-comparator-whitespace.js): a
 * candidate is an operator or a v/=/blank run followed by a version start;
 * the blank right after its operator goes, and the scan resumes after the
 * version the regex would have matched. */
static void pass_comparator_trim(const wtext *in, wtext *out)
{
    const char *s = in->c;
    size_t n = in->len, cur = 0, copy_from = 0;
    xmatch x;

    while (cur < n) {
        size_t start = cur, ws, e;
        if (s[cur] == '<' || s[cur] == '>') {
            cur++;
        } else if (!is_vprefix(s[cur]) && !is_vstart(s[cur])) {
            cur++;
            continue;
        }
        while (cur < n && is_vprefix(s[cur]))
            cur++;
        if (cur >= n || !is_vstart(s[cur]))
            continue;
        ws = start;
        if (is_blank(s[ws]))
            ws++;
        if (ws < n && (s[ws] == '<' || s[ws] == '>'))
            ws++;
        if (ws < n && s[ws] == '=')
            ws++;
        if (ws < n && is_blank(s[ws])) {
            wt_copy(out, in, copy_from, ws);
            copy_from = ws + 1;
        }
        e = m_looseplain(s, n, cur);
        cur = e != NOMATCH ? e : m_xrangeplain(s, n, cur, &x);
    }
    wt_copy(out, in, copy_from, n);
}

/* TILDETRIM  (\s*)~>?\s+ => $1~   and   CARETTRIM  (\s*)\^\s+ => $1^ */
static void pass_lone_trim(const wtext *in, wtext *out, char op)
{
    const char *s = in->c;
    size_t n = in->len, i = 0;

    while (i < n) {
        size_t a = i, b;
        if (is_blank(s[a]) && a + 1 < n && s[a + 1] == op)
            a++;
        if (s[a] == op) {
            b = a + 1;
            if (op == '~' && b < n && s[b] == '>' && b + 1 < n && is_blank(s[b + 1]))
                b++;
            if (b < n && is_blank(s[b])) {
                wt_copy(out, in, i, a + 1);
                i = b + 1;
                continue;
            }
        }
        wt_copy(out, in, i, i + 1);
        i++;
    }
}

/* Runs `fn` on every blank-separated piece of `in`, joining the results
 * with single blanks into `out` (node-semver's split(/\s+/).map().join(' ')). */
typedef void piece_fn(rctx *cx, const wtext *in, size_t from, size_t to, wtext *out);

static void each_piece(rctx *cx, const wtext *in, wtext *out, piece_fn *fn)
{
    size_t i = 0, n = in->len;
    bool first = true;

    for (;;) {
        size_t start = i;
        while (i < n && !is_blank(in->c[i]))
            i++;
        if (!first)
            wt_putc(out, ' ', start > 0 ? in->off[start - 1] : 0);
        fn(cx, in, start, i, out);
        first = false;
        if (i >= n)
            break;
        i++;
    }
}

/* `^X` or `~X` / `~>X` (the operator `lead`, then a plain x-range) rewritten
 * by `emit`; any other piece is copied as it is. */
static void piece_prefixed(rctx *cx, const wtext *in, size_t from, size_t to, wtext *out,
                           char lead, void (*emit)(emitter *, const xmatch *))
{
    xmatch x;
    const char *s = in->c ? in->c + from : "";
    size_t n = to - from, k = 1;

    if (lead == '~' && n > 1 && s[1] == '>')
        k = 2;
    if (n > 0 && s[0] == lead && m_xrangeplain(s, n, k, &x) == n) {
        emitter e = { cx, out, in, from, in->off[from] };
        emit(&e, &x);
    } else {
        wt_copy(out, in, from, to);
    }
}

static void piece_caret(rctx *cx, const wtext *in, size_t from, size_t to, wtext *out)
{
    piece_prefixed(cx, in, from, to, out, '^', emit_caret);
}

static void piece_tilde(rctx *cx, const wtext *in, size_t from, size_t to, wtext *out)
{
    piece_prefixed(cx, in, from, to, out, '~', emit_tilde);
}

static void piece_xrange(rctx *cx, const wtext *in, size_t from, size_t to, wtext *out)
{
    xmatch x;
    const char *s = in->c ? in->c + from : "";
    size_t n = to - from, g = m_gtlt(s, n, 0);
    char op[3] = { 0 };

    /* no x at all, or an x before a number (invalidXRangeOrder): as is */
    if (m_xrangeplain(s, n, g, &x) != n || (!is_x(s, x.M) && !is_x(s, x.m) && !is_x(s, x.p)) ||
        (is_x(s, x.M) && !is_x(s, x.m)) || (is_x(s, x.m) && x.p.len && !is_x(s, x.p))) {
        wt_copy(out, in, from, to);
        return;
    }
    memcpy(op, s, g);
    emitter e = { cx, out, in, from, in->off[from] };
    emit_xrange(&e, op, &x);
}

/* BUILD stripped (first match), then caret, tilde, x-range and STAR
 * (first match of (<|>)?=?\s*\*, removed): node-semver parseComparator. */
static void pass_comparator(rctx *cx, const wtext *tok, wtext *out, wtext tmp[2])
{
    const char *s = tok->c;
    size_t n = tok->len, cut = n, cut_end = n, e;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+' && (e = m_ids(s, n, i + 1, ID_BUILD)) != NOMATCH) {
            cut = i;
            cut_end = e;
            break;
        }
    }
    tmp[0].len = 0;
    wt_copy(&tmp[0], tok, 0, cut);
    wt_copy(&tmp[0], tok, cut_end, n);

    tmp[1].len = 0;
    each_piece(cx, &tmp[0], &tmp[1], piece_caret);
    tmp[0].len = 0;
    each_piece(cx, &tmp[1], &tmp[0], piece_tilde);
    tmp[1].len = 0;
    each_piece(cx, &tmp[0], &tmp[1], piece_xrange);

    const wtext *w = &tmp[1];
    for (size_t i = 0; i < w->len; i++) {
        size_t j = i;
        if (w->c[j] == '<' || w->c[j] == '>')
            j++;
        if (j < w->len && w->c[j] == '=')
            j++;
        if (j < w->len && is_blank(w->c[j]))
            j++;
        if (j < w->len && w->c[j] == '*') {
            wt_copy(out, w, 0, i);
            wt_copy(out, w, j + 1, w->len);
            return;
        }
    }
    wt_copy(out, w, 0, w->len);
}

/* ---------------------------------------------------------- comparators */

static bool add_comp(rctx *cx, uint8_t op, const semver *v)
{
    rcomp *c;
    void *p;

    if (!(p = grow(cx, cx->comps, &cx->capcomps, cx->ncomps + 1, sizeof *cx->comps)))
        return false;
    cx->comps = p;
    if (v->pre.len) {
        if (!(p = grow(cx, cx->pre, &cx->precap, cx->prelen + v->pre.len, 1)))
            return false;
        cx->pre = p;
    }
    c = &cx->comps[cx->ncomps++];
    c->op = op;
    c->major = v->major;
    c->minor = v->minor;
    c->patch = v->patch;
    c->pre_off = (uint32_t)cx->prelen;
    c->pre_len = v->pre.len;
    if (v->pre.len) {
        memcpy(cx->pre + cx->prelen, v->pre.p, v->pre.len);
        cx->prelen += v->pre.len;
    }
    return true;
}

static semver comp_version(const rctx *cx, const rcomp *c)
{
    semver v = { c->major, c->minor, c->patch, { NULL, 0 } };
    if (c->pre_len)
        v.pre = (dstr){ cx->pre + c->pre_off, c->pre_len };
    return v;
}

static bool comp_is_null(const rctx *cx, const rcomp *c) /* <0.0.0-0 */
{
    return c->op == SV_LT && c->major == 0 && c->minor == 0 && c->patch == 0 &&
           c->pre_len == 1 && cx->pre[c->pre_off] == '0';
}

/* COMPARATOR  ^GTLT\s*(FULLPLAIN)$  on one final piece w[from, to). */
static void parse_comparator(rctx *cx, const wtext *w, size_t from, size_t to, size_t set_start)
{
    const char *s = w->c + from;
    size_t n = to - from, g = m_gtlt(s, n, 0), v = g;
    uint8_t op;
    semver ver;

    if (v < n && s[v] == 'v')
        v++;
    size_t lone = 0;
    while (lone < n && strchr("<>=^~v", s[lone]) && s[lone] != '\0')
        lone++;
    if (lone == n) {
        fail_piece(cx, w, from, to, "missing version after", " in range");
        return;
    }
    if (!semver_parse_version(s + v, n - v, true, &ver)) {
        uint64_t big;
        xmatch x;
        bool over = false;
        /* A well-formed version whose numbers do not fit says so. */
        if (v < n && m_xrangeplain(s + v, n - v, 0, &x) == n - v) {
            span parts[3] = { x.M, x.m, x.p };
            for (int k = 0; k < 3; k++)
                if (parts[k].len && !is_x(s + v, parts[k]) &&
                    !semver_scan_num(s + v + parts[k].at, parts[k].len, &big))
                    over = true;
        }
        if (over)
            fail_piece(cx, w, from + v, to, "version number too large in", TOO_LARGE);
        else if (g == v && (v >= n || !sv_is_digit(s[v])))
            fail_piece(cx, w, from, to, "invalid comparator", " in range");
        else {
            /* say why where it is not an x-range's business: a leading zero */
            char why[96], tail[128] = " in range";
            semver_why(s + v, n - v, why, sizeof why);
            if (!strncmp(why, "leading zero", 12))
                snprintf(tail, sizeof tail, " in range: %s", why);
            fail_piece(cx, w, from + v, to, "invalid version", tail);
        }
        return;
    }
    if (ver.major > MAX_SAFE_NUMBER || ver.minor > MAX_SAFE_NUMBER ||
        ver.patch > MAX_SAFE_NUMBER) {
        fail_piece(cx, w, from + v, to, "version number too large in", TOO_LARGE);
        return;
    }
    if (n - g > MAX_VERSION_TEXT) {
        fail_piece(cx, w, from + g, to, "version longer than 256 characters:", " in range");
        return;
    }
    op = g == 0 || (g == 1 && s[0] == '=') ? SV_EQ
         : s[0] == '<'                     ? (g == 2 ? SV_LE : SV_LT)
                                           : (g == 2 ? SV_GE : SV_GT);

    /* the same comparator twice is kept once */
    for (size_t i = set_start; i < cx->ncomps; i++) {
        semver old = comp_version(cx, &cx->comps[i]);
        if (cx->comps[i].op == op && semver_cmp(&old, &ver) == 0)
            return;
    }
    add_comp(cx, op, &ver);
}

/* One ||-separated part: node-semver parseRange. */
static void parse_part(rctx *cx, wtext *part, wtext buf[4])
{
    size_t set_start = cx->ncomps;
    wtext *a = &buf[0], *b = &buf[1];

    /* every build suffix goes first (BUILDSTRIPRE), then hyphen ranges */
    b->len = 0;
    for (size_t i = 0, e; i < part->len;) {
        if (part->c[i] == '+' && (e = m_ids(part->c, part->len, i + 1, ID_BUILD)) != NOMATCH) {
            i = e;
            continue;
        }
        wt_copy(b, part, i, i + 1);
        i++;
    }
    a->len = 0;
    if (b->len && pass_hyphen(cx, b, a)) {
        b->len = 0;
        pass_comparator_trim(a, b);
    } else {
        a->len = 0;
        pass_comparator_trim(b, a);
        b->len = 0;
        wt_copy(b, a, 0, a->len);
    }
    a->len = 0;
    pass_lone_trim(b, a, '~');
    b->len = 0;
    pass_lone_trim(a, b, '^');

    /* split(' '), each token through parseComparator, joined */
    wtext *joined = a, tok;
    joined->len = 0;
    wt_init(&tok, cx->alloc, &cx->oom);
    for (size_t i = 0;;) {
        size_t start = i;
        while (i < b->len && b->c[i] != ' ')
            i++;
        tok.len = 0;
        wt_copy(&tok, b, start, i);
        if (joined->len)
            wt_putc(joined, ' ', start ? b->off[start - 1] : 0);
        pass_comparator(cx, &tok, joined, &buf[2]);
        if (i >= b->len)
            break;
        i++;
    }
    wt_free(&tok);
    if (cx->oom) {
        fail_oom(cx);
        return;
    }

    /* split(/\s+/), >=0.0.0 => any, then Comparator for each */
    for (size_t i = 0; i < joined->len && !cx->failed;) {
        while (i < joined->len && is_blank(joined->c[i]))
            i++;
        size_t start = i;
        while (i < joined->len && !is_blank(joined->c[i]))
            i++;
        if (i == start)
            continue;
        if (i - start == 7 && !memcmp(joined->c + start, ">=0.0.0", 7))
            continue;
        parse_comparator(cx, joined, start, i, set_start);
    }
    if (cx->failed)
        return;

    /* a null set (<0.0.0-0) makes the whole set just that */
    for (size_t i = set_start; i < cx->ncomps; i++) {
        if (comp_is_null(cx, &cx->comps[i])) {
            cx->comps[set_start] = cx->comps[i];
            cx->ncomps = set_start + 1;
            break;
        }
    }
    void *p = grow(cx, cx->set_end, &cx->capsets, cx->nsets + 1, sizeof *cx->set_end);
    if (p) {
        cx->set_end = p;
        cx->set_end[cx->nsets++] = (uint32_t)cx->ncomps;
    }
}

static size_t set_begin(const rctx *cx, size_t i)
{
    return i ? cx->set_end[i - 1] : 0;
}

/* Which sets the range keeps (node-semver's Range constructor): null sets
 * go when others remain; a set matching anything then swallows the rest. */
static size_t pick_sets(const rctx *cx, size_t *keep)
{
    size_t nkeep = 0;

    if (cx->nsets <= 1) {
        for (size_t i = 0; i < cx->nsets; i++)
            keep[nkeep++] = i;
        return nkeep;
    }
    for (size_t i = 0; i < cx->nsets; i++) {
        size_t b = set_begin(cx, i);
        if (!(cx->set_end[i] - b == 1 && comp_is_null(cx, &cx->comps[b])))
            keep[nkeep++] = i;
    }
    if (nkeep == 0) {
        keep[nkeep++] = 0;
    } else if (nkeep > 1) {
        for (size_t k = 0; k < nkeep; k++) {
            if (cx->set_end[keep[k]] == set_begin(cx, keep[k])) {
                keep[0] = keep[k];
                return 1;
            }
        }
    }
    return nkeep;
}

static bool build_range(rctx *cx, sv_range *out)
{
    size_t *keep = mem_array(cx->alloc, cx->nsets ? cx->nsets : 1, sizeof *keep);
    size_t nkeep, ncmps = 0;

    if (!keep) {
        fail_oom(cx);
        return false;
    }
    nkeep = pick_sets(cx, keep);
    for (size_t k = 0; k < nkeep; k++)
        ncmps += cx->set_end[keep[k]] - set_begin(cx, keep[k]);

    out->set_end = mem_array(cx->alloc, nkeep ? nkeep : 1, sizeof *out->set_end);
    out->cmps = mem_array(cx->alloc, ncmps ? ncmps : 1, sizeof *out->cmps);
    out->text = cx->prelen ? mem_alloc(cx->alloc, cx->prelen) : NULL;
    if (!out->set_end || !out->cmps || (cx->prelen && !out->text)) {
        mem_free(cx->alloc, keep);
        sv_range_free(cx->alloc, out);
        fail_oom(cx);
        return false;
    }
    if (cx->prelen)
        memcpy(out->text, cx->pre, cx->prelen);
    out->nsets = (uint32_t)nkeep;
    out->ncmps = 0;
    for (size_t k = 0; k < nkeep; k++) {
        for (size_t i = set_begin(cx, keep[k]); i < cx->set_end[keep[k]]; i++) {
            const rcomp *c = &cx->comps[i];
            sv_comparator *d = &out->cmps[out->ncmps++];
            d->op = c->op;
            d->v.major = c->major;
            d->v.minor = c->minor;
            d->v.patch = c->patch;
            d->v.pre.p = c->pre_len ? out->text + c->pre_off : NULL;
            d->v.pre.len = c->pre_len;
        }
        out->set_end[k] = out->ncmps;
    }
    mem_free(cx->alloc, keep);
    return true;
}

bool sv_range_parse(const struct dc_alloc *alloc, const char *text, size_t n, sv_range *out,
                    char *err, size_t errcap, size_t *err_off)
{
    rctx cx;
    wtext raw, part, buf[4];
    bool ok = false;

    memset(out, 0, sizeof *out);
    memset(&cx, 0, sizeof cx);
    cx.alloc = alloc;
    cx.src = text ? text : "";
    cx.srclen = text ? n : 0;
    cx.err = err;
    cx.errcap = errcap;
    cx.err_off = err_off;
    if (err && errcap)
        err[0] = '\0';
    if (err_off)
        *err_off = 0;
    if (cx.srclen > UINT32_MAX) {
        fail(&cx, 0, "semver range too long", NULL, 0, "");
        return false;
    }

    wt_init(&raw, alloc, &cx.oom);
    wt_init(&part, alloc, &cx.oom);
    for (int i = 0; i < 4; i++)
        wt_init(&buf[i], alloc, &cx.oom);

    /* trim, and every run of blanks becomes one space */
    size_t lo = 0, hi = cx.srclen;
    while (lo < hi && is_blank(cx.src[lo]))
        lo++;
    while (hi > lo && is_blank(cx.src[hi - 1]))
        hi--;
    for (size_t i = lo; i < hi; i++) {
        if (is_blank(cx.src[i])) {
            if (!is_blank(cx.src[i - 1]))
                wt_putc(&raw, ' ', (uint32_t)i);
        } else {
            wt_putc(&raw, cx.src[i], (uint32_t)i);
        }
    }
    if (cx.oom) {
        fail_oom(&cx);
        goto done;
    }

    /* split("||"), each part trimmed */
    for (size_t i = 0; !cx.failed;) {
        size_t start = i, end;
        while (i < raw.len && !(raw.c[i] == '|' && i + 1 < raw.len && raw.c[i + 1] == '|'))
            i++;
        end = i;
        while (start < end && raw.c[start] == ' ')
            start++;
        while (end > start && raw.c[end - 1] == ' ')
            end--;
        part.len = 0;
        wt_copy(&part, &raw, start, end);
        if (cx.oom) {
            fail_oom(&cx);
            break;
        }
        parse_part(&cx, &part, buf);
        if (i >= raw.len)
            break;
        i += 2;
    }
    if (cx.oom)
        fail_oom(&cx);
    if (!cx.failed)
        ok = build_range(&cx, out);

done:
    wt_free(&raw);
    wt_free(&part);
    for (int i = 0; i < 4; i++)
        wt_free(&buf[i]);
    mem_free(alloc, cx.comps);
    mem_free(alloc, cx.set_end);
    mem_free(alloc, cx.pre);
    return ok;
}

void sv_range_free(const struct dc_alloc *alloc, sv_range *r)
{
    if (!r)
        return;
    mem_free(alloc, r->set_end);
    mem_free(alloc, r->cmps);
    mem_free(alloc, r->text);
    memset(r, 0, sizeof *r);
}

bool sv_range_test(const sv_range *r, const semver *v)
{
    for (uint32_t i = 0; i < r->nsets; i++) {
        uint32_t b = i ? r->set_end[i - 1] : 0;
        if (sv_set_test(r->cmps + b, r->set_end[i] - b, v))
            return true;
    }
    return false;
}

/* Whether some version lies within every comparator of the set: the
 * greatest lower bound must not pass the least upper bound (equal only when
 * both are inclusive), and nothing lies below "<0.0.0-0".  Exact for the
 * bounds; the gaps of the order (">1.2.3 <1.2.4-0") are not seen. */
static bool bounds_meet(const sv_comparator *c, size_t n)
{
    const semver *lo = NULL, *hi = NULL;
    bool lo_strict = false, hi_strict = false;

    for (size_t i = 0; i < n; i++) {
        const semver *v = &c[i].v;
        uint8_t op = c[i].op;
        if (op == SV_GT || op == SV_GE || op == SV_EQ) {
            bool strict = op == SV_GT;
            int d = lo ? semver_cmp(v, lo) : 1;
            if (d > 0 || (d == 0 && strict)) {
                lo = v;
                lo_strict = strict;
            }
        }
        if (op == SV_LT || op == SV_LE || op == SV_EQ) {
            bool strict = op == SV_LT;
            int d = hi ? semver_cmp(v, hi) : -1;
            if (d < 0 || (d == 0 && strict)) {
                hi = v;
                hi_strict = strict;
            }
        }
    }
    if (hi && hi_strict && hi->major == 0 && hi->minor == 0 && hi->patch == 0 &&
        hi->pre.len == 1 && hi->pre.p[0] == '0')
        return false;
    if (lo && hi) {
        int d = semver_cmp(lo, hi);
        return d < 0 || (d == 0 && !lo_strict && !hi_strict);
    }
    return true;
}

/* Whether some release (no pre-release) satisfies the set, exactly: bounds
 * are moved to releases first (">1.2.3" starts at 1.2.4, ">=1.2.3-rc" at
 * 1.2.3, "<1.2.3-rc" is "<1.2.3"). */
static bool release_fits(const sv_comparator *c, size_t n)
{
    semver lo = { 0, 0, 0, { NULL, 0 } }, hi = lo;
    bool have_hi = false, hi_strict = false;

    for (size_t i = 0; i < n; i++) {
        semver v = c[i].v;
        bool has_pre = v.pre.len > 0;
        uint8_t op = c[i].op;
        v.pre.len = 0;
        v.pre.p = NULL;
        if (op == SV_GT || op == SV_GE || op == SV_EQ) {
            if (op == SV_GT && !has_pre) {
                if (v.patch == UINT64_MAX)
                    return false; /* not reached: range numbers are < 2^53 */
                v.patch++;
            }
            if (semver_cmp(&v, &lo) > 0)
                lo = v;
        }
        if (op == SV_LT || op == SV_LE || op == SV_EQ) {
            bool strict = op == SV_LT || has_pre;
            int d = have_hi ? semver_cmp(&v, &hi) : -1;
            if (d < 0 || (d == 0 && strict)) {
                hi = v;
                hi_strict = strict;
                have_hi = true;
            }
        }
    }
    if (!have_hi)
        return true;
    int d = semver_cmp(&lo, &hi);
    return d < 0 || (d == 0 && !hi_strict);
}

/* A set is empty when no release fits it and, unless one of its comparators
 * lets pre-releases in, no version at all fits its bounds.  Never claims
 * empty wrongly: release_fits is exact, bounds_meet errs towards "fits". */
static bool set_empty(const sv_comparator *c, size_t n)
{
    bool any_pre = false;

    if (release_fits(c, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (c[i].v.pre.len)
            any_pre = true;
    return !any_pre || !bounds_meet(c, n);
}

bool sv_range_is_empty(const sv_range *r)
{
    if (r->nsets == 0)
        return false;
    for (uint32_t i = 0; i < r->nsets; i++) {
        uint32_t b = i ? r->set_end[i - 1] : 0;
        if (!set_empty(r->cmps + b, r->set_end[i] - b))
            return false;
    }
    return true;
}

size_t sv_range_render(const sv_range *r, char *buf, size_t cap)
{
    static const char *const ops[] = {
        [SV_LT] = "<", [SV_LE] = "<=", [SV_GT] = ">", [SV_GE] = ">=", [SV_EQ] = ""
    };
    sink s = sink_bounded(buf, cap);

    for (uint32_t i = 0; i < r->nsets; i++) {
        uint32_t b = i ? r->set_end[i - 1] : 0;
        if (i > 0)
            sink_puts(&s, " || ");
        if (b == r->set_end[i])
            sink_puts(&s, "*");
        for (uint32_t k = b; k < r->set_end[i]; k++) {
            if (k > b)
                sink_puts(&s, " ");
            sink_puts(&s, r->cmps[k].op <= SV_EQ ? ops[r->cmps[k].op] : "");
            semver_put(&s, &r->cmps[k].v);
        }
    }
    return sink_finish(&s);
}
