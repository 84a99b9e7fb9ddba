/* import.c -- helpers every importer uses (import.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "import.h"
#include "limits.h"

dc_status imp_add(imp_dev *d, const char *name, const char *value, size_t len)
{
    if (d->batch)
        return facts_batch_add(d->batch, d->file, d->line, 0, name, strlen(name), value, len,
                               d->err);
    return facts_add_at(d->facts, d->file, d->line, 0, name, strlen(name), value, len, d->err);
}

dc_status imp_addz(imp_dev *d, const char *name, const char *value)
{
    return imp_add(d, name, value, strlen(value));
}

dc_status imp_add_text(imp_dev *d, const char *name, const char *value, size_t len)
{
    facts_trim(&value, &len); /* as facts_add_at would: the escaped length is exact */
    size_t extra = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n'))
            extra += 3;
    }
    if (!extra)
        return imp_add(d, name, value, len);
    if (len + extra > DC_MAX_VALUE) /* never more of value than len: it may end there */
        return dc_error_set(d->err, DC_ERR_LIMIT,
                            "%s:%u: fact '%s': value is %zu bytes once escaped, longer than %d "
                            "bytes (the limit)",
                            d->file, d->line, name, len + extra, DC_MAX_VALUE);
    char buf[DC_MAX_VALUE + 1];
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n') {
            buf[o++] = (char)c;
        } else {
            snprintf(buf + o, 5, "\\x%02x", c);
            o += 4;
        }
    }
    return imp_add(d, name, buf, o);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool imp_hex(const char *s, size_t n, unsigned digits, uint32_t *out)
{
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0 || n > digits || digits > 8)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int h = hex_digit(s[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

bool imp_number(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (!imp_hex(s, n, 8, out) || *out > max)
            return false;
        return true;
    }
    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* digits lowercase hex digits of v at buf (no NUL). */
static void hex_digits(uint32_t v, unsigned digits, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = digits; i-- > 0; v >>= 4)
        buf[i] = hex[v & 15];
}

/* Written by hand, not with snprintf: an importer writes several per
 * device (docs/performance.md, "Importers"). */
const char *imp_hex_text(uint32_t v, unsigned digits, char *buf)
{
    if (digits > 8)
        digits = 8;
    if (digits < 8 && v >> (4 * digits)) /* more digits than asked: as %0*x */
        for (digits = 1; digits < 8 && v >> (4 * digits); digits++)
            ;
    buf[0] = '0';
    buf[1] = 'x';
    hex_digits(v, digits, buf + 2);
    buf[2 + digits] = '\0';
    return buf;
}

const char *imp_decimal(uint32_t v, char *buf)
{
    char tmp[10];
    unsigned n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (unsigned i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return buf;
}

const char *imp_pci_address(uint32_t domain, uint32_t bus, uint32_t slot, uint32_t function,
                            char *buf)
{
    hex_digits(domain & 0xffff, 4, buf);
    buf[4] = ':';
    hex_digits(bus & 0xff, 2, buf + 5);
    buf[7] = ':';
    hex_digits(slot & 0x1f, 2, buf + 8);
    buf[10] = '.';
    buf[11] = (char)('0' + (function & 7));
    buf[12] = '\0';
    return buf;
}

bool imp_is_pci_address(const char *s, size_t n)
{
    static const char shape[] = "hhhh:hh:hh.f";
    if (n != sizeof shape - 1)
        return false;
    for (size_t i = 0; i < n; i++) {
        char k = shape[i];
        if (k == 'h' ? hex_digit(s[i]) < 0 : k == 'f' ? (s[i] < '0' || s[i] > '7') : s[i] != k)
            return false;
    }
    return true;
}

dc_status imp_pci_ids(imp_dev *d, uint32_t vendor, uint32_t device)
{
    char v[16], dv[16], id[16];
    dc_status st;
    hex_digits(vendor & 0xffff, 4, id);
    hex_digits(device & 0xffff, 4, id + 4);
    id[8] = '\0';
    if ((st = imp_addz(d, "vendor", imp_hex_text(vendor, 4, v))) != DC_OK ||
        (st = imp_addz(d, "device", imp_hex_text(device, 4, dv))) != DC_OK)
        return st;
    return imp_addz(d, "pci_id", id);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool imp_is_vfio_pci(const char *driver, size_t len)
{
    /* the kernel names variant drivers mlx5_vfio_pci, hisi_acc_vfio_pci... */
    return (len == 8 && !memcmp(driver, "vfio-pci", 8)) ||
           ends_with(driver, len, "-vfio-pci") || ends_with(driver, len, "_vfio_pci");
}

dc_status imp_driver(imp_dev *d, const char *driver, size_t len)
{
    dc_status st = imp_add(d, "driver", driver, len);
    if (st == DC_OK && imp_is_vfio_pci(driver, len))
        st = imp_addz(d, "device_api", "vfio-pci");
    return st;
}

bool imp_name(char *buf, size_t cap, const char *prefix, const char *key, size_t len)
{
    size_t o = 0, plen = prefix ? strlen(prefix) : 0;
    if (plen + 1 + 2 * len + 1 > cap)
        return false;
    if (plen) {
        memcpy(buf, prefix, plen);
        buf[plen] = '.';
        o = plen + 1;
    }
    bool seg_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (c == '.') {
            if (seg_start)
                return false;
            seg_start = true;
            buf[o++] = c;
            continue;
        }
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (seg_start && digit)
            buf[o++] = '_';
        buf[o++] = alpha || digit ? c : '_';
        seg_start = false;
    }
    if (seg_start)
        return false;
    buf[o] = '\0';
    return o <= DC_MAX_NAME;
}

bool imp_ykey_is(const facts_ynode *key, const char *s)
{
    size_t n = strlen(s);
    return key->kind == FACTS_YSCALAR && key->len == n && !memcmp(key->text, s, n);
}

const facts_ynode *imp_yget(const facts_ynode *map, const char *key)
{
    if (!map || map->kind != FACTS_YMAP)
        return NULL;
    for (const facts_ynode *k = map->first; k && k->next; k = k->next->next)
        if (imp_ykey_is(k, key))
            return k->next;
    return NULL;
}

dc_status imp_yerror(dc_error *err, const char *file, const facts_ynode *n, const char *fmt,
                     ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!n)
        return dc_error_set(err, DC_ERR_FACTS, "%s: %s", file, msg);
    return dc_error_set(err, DC_ERR_FACTS, "%s:%u:%u: %s", file, n->line, n->col, msg);
}

dc_status imp_yscalar(imp_dev *d, const char *name, const facts_ynode *n, bool text)
{
    if (n->kind != FACTS_YSCALAR)
        return imp_yerror(d->err, d->file, n, "'%s': expected a scalar, found a %s", name,
                          n->kind == FACTS_YMAP ? "mapping" : "sequence");
    d->line = n->line;
    return text ? imp_add_text(d, name, n->text, n->len) : imp_add(d, name, n->text, n->len);
}
