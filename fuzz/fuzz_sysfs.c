/*
 * fuzz_sysfs.c -- the sysfs reader (docs/facts.md, "sysfs") and facts
 * arguments opened by path (source.c: a directory under a sysfs tree, a
 * file whose format is detected by its content), over a directory tree
 * the input describes, one line per entry:
 *
 *   d PATH             a directory (parents are made as needed)
 *   f PATH CONTENT     a file; CONTENT to the end of the line, with \n, \t,
 *                      \r, \\ and \xHH escapes; "*N " before it repeats it N
 *                      times (a long attribute in a short input)
 *   l PATH TARGET      a symbolic link: "/P" is P in the tree, "../"s
 *                      then a path climb at most to the tree's top
 *   r PATH             the entry to read (default "dev")
 *
 * The tree is made under a temporary directory's sys/, so nothing the
 * input says reaches outside it (no "..", no absolute link out of it), and
 * removed after each input.  The entry to read is read as one device
 * (dc_facts_read_sysfs, and as dc_source_open opens a path), and its
 * parent as an inventory of devices (dc_inventory_open): the same
 * promises as the importers (importer.h), and the device has the same facts
 * read alone and in its parent's inventory.
 */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include "harness.h"
#include "facts_check.h"

#define MAX_ENTRIES 512
#define MAX_PATH    1024
#define MAX_CONTENT (2u << 20)

static char root[64];    /* /tmp/dc-fuzz-sysfs-PID */
static char sys_dir[80]; /* root/sys */
static char *content;    /* MAX_CONTENT bytes, reused */

/* A path of the tree: components without "." or "..", joined by '/'. */
static int clean_path(const char *s, size_t n, char *out, size_t *depth)
{
    size_t o = 0, comps = 0;
    while (n && *s == '/')
        s++, n--;
    if (!n || n >= MAX_PATH)
        return 0;
    while (n) {
        size_t k = 0;
        while (k < n && s[k] != '/')
            k++;
        if (k == 0 || (k == 1 && s[0] == '.') || (k == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        for (size_t i = 0; i < k; i++)
            if (s[i] == '\0')
                return 0;
        if (o)
            out[o++] = '/';
        memcpy(out + o, s, k);
        o += k;
        comps++;
        s += k, n -= k;
        while (n && *s == '/')
            s++, n--;
    }
    out[o] = '\0';
    if (depth)
        *depth = comps;
    return 1;
}

static void make_parents(char *full)
{
    for (char *p = full + strlen(sys_dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(full, 0755);
            *p = '/';
        }
    }
}

static int hexval(char c)
{
    static const char digits[] = "0123456789abcdef";
    const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;
    return d ? (int)(d - digits) : -1;
}

/* Unescape [s, s+n) into content; its length. */
static size_t unescape(const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < MAX_CONTENT; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char e = s[++i];
            if (e == 'n')
                c = '\n';
            else if (e == 't')
                c = '\t';
            else if (e == 'r')
                c = '\r';
            else if (e == 'x' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
                c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                i += 2;
            } else
                c = e;
        }
        content[o++] = c;
    }
    return o;
}

static void write_file(const char *full, const char *s, size_t n)
{
    size_t times = 1;
    if (n > 1 && s[0] == '*') {
        size_t i = 1, v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && v < 1000000)
            v = v * 10 + (size_t)(s[i++] - '0');
        if (i < n && s[i] == ' ') {
            times = v;
            s += i + 1, n -= i + 1;
        }
    }
    size_t one = unescape(s, n);
    FILE *f = fopen(full, "wb");
    if (!f)
        return;
    size_t total = 0;
    for (size_t t = 0; t < times && total + one <= MAX_CONTENT; t++, total += one)
        if (one && fwrite(content, 1, one, f) != one)
            break;
    fclose(f);
}

static void make_link(const char *full, size_t depth, const char *s, size_t n)
{
    char target[MAX_PATH * 2], clean[MAX_PATH];
    if (n && s[0] == '/') {
        if (!clean_path(s, n, clean, NULL))
            return;
        snprintf(target, sizeof target, "%s/%s", sys_dir, clean);
    } else {
        size_t up = 0;
        while (n >= 3 && !memcmp(s, "../", 3))
            up++, s += 3, n -= 3;
        if (n == 2 && !memcmp(s, "..", 2))
            up++, n = 0;
        /* a link at depth `depth` (its own name included) climbs at most
         * to sys/ */
        if (up + 1 > depth)
            return;
        size_t o = 0;
        for (size_t i = 0; i < up; i++)
            o += (size_t)snprintf(target + o, sizeof target - o, "../");
        if (n) {
            if (!clean_path(s, n, clean, NULL))
                return;
            snprintf(target + o, sizeof target - o, "%s", clean);
        } else if (o) {
            target[o - 1] = '\0';
        } else {
            return;
        }
    }
    if (symlink(target, full) != 0)
        return;
}

/* Make the tree; the entry to read into `read`. */
static void make_tree(const uint8_t *data, size_t len, char *read)
{
    const char *s = (const char *)data, *end = s + len;
    int entries = 0;
    strcpy(read, "dev");
    while (s < end && entries < MAX_ENTRIES) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *eol = nl ? nl : end;
        if (eol - s >= 2 && s[1] == ' ') {
            char kind = s[0];
            const char *p = s + 2, *sp = memchr(p, ' ', (size_t)(eol - p));
            const char *pe = sp ? sp : eol;
            const char *arg = sp ? sp + 1 : eol;
            char path[MAX_PATH], full[MAX_PATH + 128];
            size_t depth;
            if (clean_path(p, (size_t)(pe - p), path, &depth)) {
                snprintf(full, sizeof full, "%s/%s", sys_dir, path);
                entries++;
                switch (kind) {
                case 'd':
                    make_parents(full);
                    mkdir(full, 0755);
                    break;
                case 'f':
                    make_parents(full);
                    write_file(full, arg, (size_t)(eol - arg));
                    break;
                case 'l':
                    make_parents(full);
                    make_link(full, depth, arg, (size_t)(eol - arg));
                    break;
                case 'r': strcpy(read, path); break;
                default: entries--; break;
                }
            }
        }
        s = nl ? nl + 1 : end;
    }
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void check_sysfs(const char *read)
{
    char rel[MAX_PATH + 8], full[MAX_PATH + 128], parent[MAX_PATH + 128];
    snprintf(rel, sizeof rel, "sys/%s", read);
    snprintf(full, sizeof full, "%s/%s", sys_dir, read);

    dc_facts *one = NULL;
    dc_error err;
    dc_status st = dc_facts_read_sysfs(root, rel, &one, &err);
    if (st == DC_OK && !one)
        fuzz_fail("dc_facts_read_sysfs: DC_OK without facts");
    if (st != DC_OK && one)
        fuzz_fail("dc_facts_read_sysfs: failure with facts");
    if (st != DC_OK)
        fuzz_check_error(&err, root);
    else
        fuzz_check_facts(one);

    /* the same path as a facts argument: a directory under sys/ is read
     * as sysfs, a file by its content */
    dc_facts *facts = NULL;
    dc_inventory *inv = NULL;
    dc_status so = dc_source_open(full, NULL, &facts, &inv, &err);
    if (so == DC_OK && !facts == !inv)
        fuzz_fail("dc_source_open: DC_OK without exactly one of facts and inventory");
    if (so != DC_OK && (facts || inv))
        fuzz_fail("dc_source_open: failure with facts or an inventory");
    if (so != DC_OK && memchr(err.message, '\0', sizeof err.message) == NULL)
        fuzz_fail("error message not terminated");
    if (facts)
        fuzz_check_facts(facts);
    for (size_t i = 0; i < dc_inventory_count(inv); i++)
        fuzz_check_facts(dc_inventory_facts(inv, i));
    dc_facts_free(facts);
    dc_inventory_free(inv);

    /* its parent as an inventory of devices */
    const char *slash = strrchr(read, '/');
    snprintf(parent, sizeof parent, "%s%s%.*s", sys_dir, slash ? "/" : "",
             slash ? (int)(slash - read) : 0, read);
    const char *name = slash ? slash + 1 : read;
    st = dc_inventory_open(parent, NULL, &inv, &err);
    if (st == DC_OK && !inv)
        fuzz_fail("dc_inventory_open: DC_OK without an inventory");
    if (st != DC_OK && inv)
        fuzz_fail("dc_inventory_open: failure with an inventory");
    for (size_t i = 0; i < dc_inventory_count(inv); i++) {
        const char *id = dc_inventory_id(inv, i);
        const dc_facts *f = dc_inventory_facts(inv, i);
        if (!id || !f)
            fuzz_fail("inventory entry in range missing");
        fuzz_check_facts(f);
        if (one && !strcmp(id, name) && !fuzz_same_facts(one, f))
            fuzz_fail("a device read alone differs from its inventory's");
    }
    dc_inventory_free(inv);
    dc_facts_free(one);
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/dc-fuzz-sysfs-%ld", (long)getpid());
        snprintf(sys_dir, sizeof sys_dir, "%s/sys", root);
        content = malloc(MAX_CONTENT);
        if (!content)
            abort();
        mkdir(root, 0755);
    }
    nftw(sys_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (mkdir(sys_dir, 0755) != 0 && errno != EEXIST)
        abort();
    char read[MAX_PATH];
    make_tree(data, len, read);
    check_sysfs(read);
    nftw(sys_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
