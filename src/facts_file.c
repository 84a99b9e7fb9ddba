/* facts_file.c -- facts from files: reading a file whole, and choosing
 * the reader (key=value or YAML/JSON) by the file's name and content.
 *
 * Sits above the readers (facts_kv.c, facts_yaml.c) and the container.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "facts.h"
#include "facts_chars.h"
#include "limits.h"

/* -------------------------------------------------------------- files */

static void errno_text(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
}

static void size_text(size_t n, char *buf, size_t cap)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(buf, cap, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, cap, "%zu KiB", n >> 10);
    else
        snprintf(buf, cap, "%zu bytes", n);
}

static dc_status open_error(const char *path, int e, dc_error *err)
{
    char text[128];
    struct stat st;
    if (e == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char target[512];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
            n = 0;
        target[n] = '\0';
        return dc_error_set(err, DC_ERR_IO, "%s: broken symbolic link (to '%s')", path, target);
    }
    errno_text(e, text, sizeof text);
    return dc_error_set(err, DC_ERR_IO, "%s: %s", path, text);
}

dc_status file_read_all(const dc_alloc *alloc, const char *path, size_t max, char **data,
                        size_t *len, dc_error *err)
{
    char text[128], limit[64];
    if (!path || !data || !len)
        return dc_error_set(err, DC_ERR_INVALID, "file_read_all: NULL argument");
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return open_error(path, errno, err);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno_text(e, text, sizeof text);
        return dc_error_set(err, DC_ERR_IO, "%s: %s", path, text);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return dc_error_set(err, DC_ERR_IO, "%s: is a directory", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return dc_error_set(err, DC_ERR_IO, "%s: not a regular file", path);
    }
    size_text(max, limit, sizeof limit);
    if (st.st_size > 0 && (uintmax_t)st.st_size > max) {
        close(fd);
        return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than %s (the limit)", path, limit);
    }
    /* sysfs reports 4096 for every attribute: read to the end, whatever it says. */
    size_t cap = (size_t)st.st_size + 1;
    if (cap < 256)
        cap = 256;
    if (cap > max + 1)
        cap = max + 1;
    char *buf = mem_alloc(alloc, cap + 1);
    if (!buf) {
        close(fd);
        return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                mem_free(alloc, buf);
                close(fd);
                return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than %s (the limit)", path,
                                    limit);
            }
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            char *nbuf = mem_grow(alloc, buf, ncap + 1, 1);
            if (!nbuf) {
                mem_free(alloc, buf);
                close(fd);
                return dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            mem_free(alloc, buf);
            close(fd);
            errno_text(e, text, sizeof text);
            return dc_error_set(err, DC_ERR_IO, "%s: read error: %s", path, text);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        mem_free(alloc, buf);
        return dc_error_set(err, DC_ERR_LIMIT, "%s: larger than %s (the limit)", path, limit);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return DC_OK;
}

/* ---------------------------------------------------------- any format */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return false;
    }
    return true;
}

static bool looks_like_yaml(const char *file, const char *text, size_t len)
{
    if (ends_with(file, ".yaml") || ends_with(file, ".yml") || ends_with(file, ".json"))
        return true;
    size_t i = 0;
    /* Skip blank lines and '#' comment lines. */
    while (i < len) {
        while (i < len && (is_blank(text[i]) || text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i < len && text[i] == '#') {
            const char *nl = memchr(text + i, '\n', len - i);
            i = nl ? (size_t)(nl - text) + 1 : len;
            continue;
        }
        break;
    }
    if (i == len)
        return false;
    return text[i] == '{' || text[i] == '[' ||
           (len - i >= 3 && memcmp(text + i, "---", 3) == 0);
}

dc_status facts_parse_any(const dc_alloc *alloc, const char *file, const char *text, size_t len,
                          dc_facts **out, dc_error *err)
{
    if (!file)
        file = "<facts>";
    if (looks_like_yaml(file, text ? text : "", text ? len : 0))
        return facts_parse_yaml_ex(alloc, file, text, len, out, err);
    return facts_parse_text_ex(alloc, file, text, len, out, err);
}

dc_status dc_facts_read_file(const char *path, dc_facts **out, dc_error *err)
{
    if (!path || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_read_file: NULL argument");
    *out = NULL;
    char *data;
    size_t len;
    dc_status st = file_read_all(NULL, path, FACTS_MAX_FILE, &data, &len, err);
    if (st != DC_OK)
        return st;
    st = facts_parse_any(NULL, path, data, len, out, err);
    mem_free(NULL, data);
    return st;
}
