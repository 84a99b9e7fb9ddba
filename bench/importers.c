/* importers.c -- how long an inventory of 100 000 devices takes to load,
 * in every format an importer reads (docs/facts.md, docs/performance.md
 * "Importers").
 *
 * For each format the bench writes one input of N devices (default
 * 100 000) into a temporary directory, in the shape the real program
 * prints (virsh nodedev-dumpxml, mdevctl --dumpjson, lspci -vmm -nn -D -k,
 * devlink -j, a List of ResourceSlices, compatc's own YAML/JSON lists and a
 * directory of key=value files), then opens it R times with
 * dc_inventory_open("PREFIX:FILE") -- what compatc match does -- and prints
 * the CPU time of each load (this process has one thread: one core), the
 * wall time beside it, and the size.  Before timing, each load's device
 * count and one device's facts are checked; a difference aborts the run.
 *
 * Usage: importers [--devices N] [--runs R] [--only FORMAT[,FORMAT...]]
 *                  [--dir DIR]      (write the inputs there and keep them)
 *        importers --list           (the formats)
 * Under callgrind: importers --only libvirt --runs 1, with
 * --toggle-collect=dc_inventory_open (bench/callgrind.sh importers).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devcompat.h"

_Noreturn static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("importers: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------ devices */

/* Device i's PCI address: unique for every i below 2^32.  Devices come in
 * groups of 16, a PF (i % 16 == 0) and its 15 VFs. */
typedef struct addr {
    unsigned dom, bus, slot, fn;
} addr;

static addr addr_of(size_t i)
{
    addr a = { (unsigned)(i >> 16) & 0xffff, (unsigned)(i >> 8) & 0xff,
               (unsigned)(i >> 3) & 0x1f, (unsigned)i & 7 };
    return a;
}

static bool is_pf(size_t i)
{
    return i % 16 == 0;
}

static size_t pf_of(size_t i)
{
    return i - i % 16;
}

static void pci_text(size_t i, char *buf)
{
    addr a = addr_of(i);
    snprintf(buf, 16, "%04x:%02x:%02x.%x", a.dom, a.bus, a.slot, a.fn);
}

static void uuid_text(size_t i, char *buf)
{
    snprintf(buf, 40, "%08x-509f-482f-8c1e-%012llx", (unsigned)(i & 0xffffffffu),
             (unsigned long long)(i * 2654435761u % 0xffffffffffffu));
}

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("%s: %s", path, strerror(errno));
    return f;
}

static void done(FILE *f, const char *path)
{
    if (ferror(f) || fclose(f))
        die("%s: write error", path);
}

/* virsh nodedev-dumpxml of each device, in a <devices> list (what the live
 * reader builds from libvirt's API, and the test driver's <node>). */
static void gen_libvirt(const char *path, size_t n)
{
    FILE *f = create(path);
    fputs("<devices>\n", f);
    for (size_t i = 0; i < n; i++) {
        addr a = addr_of(i);
        bool pf = is_pf(i);
        fprintf(f,
                "  <device>\n"
                "    <name>pci_%04x_%02x_%02x_%x</name>\n"
                "    <path>/sys/devices/pci0000:3a/0000:3a:00.0/%04x:%02x:%02x.%x</path>\n"
                "    <parent>computer</parent>\n"
                "    <driver>\n      <name>%s</name>\n    </driver>\n"
                "    <capability type='pci'>\n"
                "      <class>0x020000</class>\n"
                "      <domain>%u</domain>\n      <bus>%u</bus>\n"
                "      <slot>%u</slot>\n      <function>%u</function>\n"
                "      <product id='%s'>%s</product>\n"
                "      <vendor id='0x15b3'>Mellanox Technologies</vendor>\n",
                a.dom, a.bus, a.slot, a.fn, a.dom, a.bus, a.slot, a.fn,
                pf ? "mlx5_core" : "mlx5_vfio_pci", a.dom, a.bus, a.slot, a.fn,
                pf ? "0x101d" : "0x101e",
                pf ? "MT2892 Family [ConnectX-6 Dx]"
                   : "ConnectX Family mlx5Gen Virtual Function");
        if (pf) {
            fputs("      <capability type='virt_functions' maxCount='15'>\n", f);
            for (size_t v = i + 1; v < i + 16 && v < n; v++) {
                addr b = addr_of(v);
                fprintf(f,
                        "        <address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
                        "function='0x%x'/>\n",
                        b.dom, b.bus, b.slot, b.fn);
            }
            fputs("      </capability>\n", f);
        } else {
            addr p = addr_of(pf_of(i));
            fprintf(f,
                    "      <capability type='phys_function'>\n"
                    "        <address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
                    "function='0x%x'/>\n"
                    "      </capability>\n",
                    p.dom, p.bus, p.slot, p.fn);
        }
        fprintf(
            f,
            "      <iommuGroup number='%zu'>\n"
            "        <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
            "      </iommuGroup>\n"
            "      <numa node='%zu'/>\n"
            "      <pci-express>\n"
            "        <link validity='cap' port='0' speed='16' width='16'/>\n"
            "        <link validity='sta' speed='16' width='16'/>\n"
            "      </pci-express>\n"
            "    </capability>\n"
            "  </device>\n",
            i + 20, a.dom, a.bus, a.slot, a.fn, i / 50000);
    }
    fputs("</devices>\n", f);
    done(f, path);
}

/* mdevctl list -d --dumpjson: 100 devices per parent. */
static void gen_mdevctl_list(const char *path, size_t n)
{
    FILE *f = create(path);
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++) {
        char parent[16], uuid[40];
        pci_text(i / 100 * 16, parent);
        uuid_text(i, uuid);
        if (i % 100 == 0)
            fprintf(f, "%s  {\n    \"%s\": [\n", i ? ",\n" : "", parent);
        fprintf(
            f,
            "      {\n        \"%s\": {\n          \"mdev_type\": \"nvidia-%zu\",\n"
            "          \"start\": \"%s\",\n          \"attrs\": [\n"
            "            {\"assign_adapter\": \"%zu\"},\n"
            "            {\"assign_adapter\": \"%zu\"},\n"
            "            {\"assign_domain\": \"0x%zx\"}\n          ]\n        }\n      }%s\n",
            uuid, 256 + i % 8, i % 3 ? "manual" : "auto", i % 64, i % 64 + 1, i % 256,
            i % 100 == 99 || i + 1 == n ? "" : ",");
        if (i % 100 == 99 || i + 1 == n)
            fputs("    ]\n  }", f);
    }
    fputs("\n]\n", f);
    done(f, path);
}

/* mdevctl types --dumpjson: 8 types per parent. */
static void gen_mdevctl_types(const char *path, size_t n)
{
    FILE *f = create(path);
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++) {
        char parent[16];
        pci_text(i / 8 * 16, parent);
        if (i % 8 == 0)
            fprintf(f, "%s  {\n    \"%s\": [\n", i ? ",\n" : "", parent);
        fprintf(f,
                "      {\n        \"i915-GVTg_V5_%zu\": {\n"
                "          \"available_instances\": %zu,\n"
                "          \"device_api\": \"vfio-pci\",\n"
                "          \"name\": \"GVTg_V5_%zu\",\n"
                "          \"description\": \"low_gm_size: 128MB\\nhigh_gm_size: 512MB\\n"
                "fence: 4\\nresolution: 1920x1200\\nweight: %zu\"\n"
                "        }\n      }%s\n",
                i % 8 + 1, 8 - i % 8, i % 8 + 1, 2 * (i % 8 + 1),
                i % 8 == 7 || i + 1 == n ? "" : ",");
        if (i % 8 == 7 || i + 1 == n)
            fputs("    ]\n  }", f);
    }
    fputs("\n]\n", f);
    done(f, path);
}

/* lspci -vmm -nn -D -k */
static void gen_lspci(const char *path, size_t n)
{
    FILE *f = create(path);
    for (size_t i = 0; i < n; i++) {
        char slot[16];
        pci_text(i, slot);
        bool pf = is_pf(i);
        fprintf(f,
                "%sSlot:\t%s\nClass:\tEthernet controller [0200]\n"
                "Vendor:\tMellanox Technologies [15b3]\nDevice:\t%s\n"
                "SVendor:\tMellanox Technologies [15b3]\nSDevice:\tDevice [0016]\n"
                "%sDriver:\t%s\nModule:\tmlx5_core\n%sNUMANode:\t%zu\nIOMMUGroup:\t%zu\n",
                i ? "\n" : "", slot,
                pf ? "MT2892 Family [ConnectX-6 Dx] [101d]"
                   : "ConnectX Family mlx5Gen Virtual Function [101e]",
                pf ? "PhySlot:\t1\n" : "", pf ? "mlx5_core" : "mlx5_vfio_pci",
                pf ? "" : "Module:\tmlx5_vfio_pci\n", i / 50000, i + 20);
    }
    done(f, path);
}

/* devlink -j dev info and devlink -j port show, as one document (jq -s
 * add): each PF's info, each VF's port. */
static void gen_devlink(const char *path, size_t n)
{
    FILE *f = create(path);
    fputs("{\"info\": {\n", f);
    bool first = true;
    for (size_t i = 0; i < n; i += 16) {
        char a[16];
        pci_text(i, a);
        fprintf(f,
                "%s  \"pci/%s\": {\"driver\": \"mlx5_core\", \"serial_number\": "
                "\"MT2232T%05zu\",\n"
                "    \"versions\": {\"fixed\": {\"fw.psid\": \"MT_0000000359\", \"board.id\": "
                "\"MT_0000000359\"},\n"
                "      \"running\": {\"fw.version\": \"22.36.1010\", \"fw\": \"22.36.1010\"},\n"
                "      \"stored\": {\"fw.version\": \"22.36.1010\", \"fw\": \"22.36.1010\"}}}",
                first ? "" : ",\n", a, i / 16 % 100000);
        first = false;
    }
    fputs("\n},\n\"port\": {\n", f);
    first = true;
    for (size_t i = 0; i < n; i++) {
        if (is_pf(i))
            continue;
        char a[16];
        pci_text(pf_of(i), a);
        fprintf(
            f,
            "%s  \"pci/%s/%zu\": {\"type\": \"eth\", \"netdev\": \"eth%zu\", \"flavour\": "
            "\"pcivf\", \"controller\": 0, \"pfnum\": 0, \"vfnum\": %zu, \"external\": false, "
            "\"splittable\": false,\n"
            "    \"function\": {\"hw_addr\": \"00:11:22:%02zx:%02zx:%02zx\", \"roce\": "
            "\"enable\", \"migratable\": \"%s\"}}",
            first ? "" : ",\n", a, 65536 + i % 16, i, i % 16 - 1, i >> 16 & 0xff, i >> 8 & 0xff,
            i & 0xff, i % 5 ? "enable" : "disable");
        first = false;
    }
    fputs("\n}}\n", f);
    done(f, path);
}

/* kubectl get resourceslices -o yaml: a List of slices of 128 devices. */
static void gen_dra(const char *path, size_t n)
{
    FILE *f = create(path);
    fputs("apiVersion: v1\nkind: List\nitems:\n", f);
    for (size_t i = 0; i < n; i++) {
        if (i % 128 == 0)
            fprintf(f,
                    "- apiVersion: resource.k8s.io/v1\n  kind: ResourceSlice\n"
                    "  metadata:\n    name: node-%zu-gpu.example.com-x7kq2\n"
                    "  spec:\n    driver: gpu.example.com\n    nodeName: node-%zu\n"
                    "    pool:\n      name: node-%zu\n      generation: 1\n"
                    "      resourceSliceCount: 1\n    devices:\n",
                    i / 128, i / 128, i / 128);
        fprintf(f,
                "    - name: gpu-%zu\n      attributes:\n"
                "        model: {string: \"LATEST-GPU-MODEL\"}\n"
                "        index: {int: %zu}\n        mig: {bool: %s}\n"
                "        driverVersion: {version: \"1.2.%zu\"}\n"
                "        gpu.example.com/uuid: {string: \"gpu-%08zx\"}\n"
                "        resource.kubernetes.io/pcieRoot: {string: \"pci0000:%02zx\"}\n"
                "      capacity:\n        memory: {value: 40Gi}\n",
                i % 128, i % 128, i % 2 ? "true" : "false", i % 7, i, i % 4);
    }
    done(f, path);
}

/* The facts of GVT-g device i, as name and value pairs. */
#define KV_FACTS 7
static void kv_facts(size_t i, const char *names[KV_FACTS], char values[KV_FACTS][64])
{
    static const char *const n[KV_FACTS] = { "device_api",       "mdev_type", "aggregator",
                                             "software_version", "pci_id",    "pv_mode",
                                             "params.memory" };
    static const unsigned shares[4] = { 1, 2, 4, 8 };
    for (int k = 0; k < KV_FACTS; k++)
        names[k] = n[k];
    snprintf(values[0], 64, "vfio-pci");
    snprintf(values[1], 64, "i915-GVTg_V5_%u", shares[i % 4]);
    snprintf(values[2], 64, "%zu", i % 3 + 1);
    snprintf(values[3], 64, "1.%zu.%zu", i % 5, i % 11);
    snprintf(values[4], 64, "8086591d");
    snprintf(values[5], 64, "none+ppgtt");
    snprintf(values[6], 64, "%u", 1024u << (i % 3));
}

/* compatc's own inventory, YAML block list */
static void gen_yaml(const char *path, size_t n)
{
    FILE *f = create(path);
    for (size_t i = 0; i < n; i++) {
        const char *names[KV_FACTS];
        char values[KV_FACTS][64];
        kv_facts(i, names, values);
        fprintf(f, "- id: gpu%zu\n", i);
        for (int k = 0; k < KV_FACTS; k++)
            fprintf(f, "  %s: %s\n", names[k], values[k]);
    }
    done(f, path);
}

/* ... and a JSON list, one device per line */
static void gen_json(const char *path, size_t n)
{
    FILE *f = create(path);
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++) {
        const char *names[KV_FACTS];
        char values[KV_FACTS][64];
        kv_facts(i, names, values);
        fprintf(f, "{\"id\": \"gpu%zu\"", i);
        for (int k = 0; k < KV_FACTS; k++)
            fprintf(f, ", \"%s\": \"%s\"", names[k], values[k]);
        fprintf(f, "}%s\n", i + 1 < n ? "," : "");
    }
    fputs("]\n", f);
    done(f, path);
}

/* ... and a directory of key=value files */
static void gen_kvdir(const char *path, size_t n)
{
    if (mkdir(path, 0700) && errno != EEXIST)
        die("%s: %s", path, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        char file[4200];
        const char *names[KV_FACTS];
        char values[KV_FACTS][64];
        kv_facts(i, names, values);
        snprintf(file, sizeof file, "%s/gpu%zu.kv", path, i);
        FILE *f = create(file);
        for (int k = 0; k < KV_FACTS; k++)
            fprintf(f, "%s=%s\n", names[k], values[k]);
        done(f, file);
    }
}

/* ------------------------------------------------------------- formats */

typedef struct format {
    const char *name;   /* --only */
    const char *prefix; /* of the argument: "lspci:" */
    const char *file;   /* in the directory */
    void (*gen)(const char *path, size_t n);
    size_t (*devices)(size_t n); /* in the inventory, for n */
    const char *check_id;        /* a device to look at ("%zu": n - 1) */
    const char *check_name;      /* ... its fact */
    const char *check_value;     /* ... and value */
} format;

static size_t same(size_t n)
{
    return n;
}

/* The id of the last VF, in a format's words. */
static void last_vf(size_t n, char *buf, size_t cap, const char *fmt)
{
    size_t i = n - 1;
    while (is_pf(i))
        i--;
    addr a = addr_of(i);
    char pf[16];
    pci_text(pf_of(i), pf);
    if (!strcmp(fmt, "libvirt"))
        snprintf(buf, cap, "pci_%04x_%02x_%02x_%x", a.dom, a.bus, a.slot, a.fn);
    else if (!strcmp(fmt, "lspci"))
        pci_text(i, buf);
    else
        snprintf(buf, cap, "pci/%s/%zu", pf, 65536 + i % 16);
}

static const format formats[] = {
    { "libvirt", "libvirt:", "nodedevs.xml", gen_libvirt, same, "libvirt", "pf.pci_id",
      "15b3101d" },
    { "mdevctl-list", "mdevctl:", "list.json", gen_mdevctl_list, same, NULL,
      "attr.assign_adapter", NULL },
    { "mdevctl-types", "mdevctl:", "types.json", gen_mdevctl_types, same, NULL, "device_api",
      "vfio-pci" },
    { "lspci", "lspci:", "host.lspci", gen_lspci, same, "lspci", "device_api", "vfio-pci" },
    { "devlink", "devlink:", "devlink.json", gen_devlink, same, "devlink", "fw.psid",
      "MT_0000000359" },
    { "dra", "dra:", "slices.yaml", gen_dra, same, NULL, "dra.driver", "gpu.example.com" },
    { "yaml", "", "inventory.yaml", gen_yaml, same, NULL, "device_api", "vfio-pci" },
    { "json", "", "inventory.json", gen_json, same, NULL, "device_api", "vfio-pci" },
    { "kv-dir", "", "kv.d", gen_kvdir, same, NULL, "device_api", "vfio-pci" },
};
#define NFORMATS (sizeof formats / sizeof *formats)

static bool wanted(const char *only, const char *name)
{
    if (!only)
        return true;
    size_t n = strlen(name);
    for (const char *p = only; (p = strstr(p, name)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return true;
    return false;
}

static double size_of(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        die("%s: %s", path, strerror(errno));
    return S_ISDIR(st.st_mode) ? 0 : (double)st.st_size;
}

/* One load, checked: the count, and one device's fact. */
static void load(const format *fmt, const char *path, size_t n, double *cpu, double *wall)
{
    char arg[4200], id[64] = "";
    snprintf(arg, sizeof arg, "%s%s", fmt->prefix, path);
    dc_inventory *inv;
    dc_error err;
    double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (dc_inventory_open(arg, NULL, &inv, &err) != DC_OK)
        die("%s: %s", arg, err.message);
    *cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *wall = seconds(CLOCK_MONOTONIC) - w0;
    size_t want = fmt->devices(n);
    if (dc_inventory_count(inv) != want)
        die("%s: %zu devices, expected %zu", fmt->name, dc_inventory_count(inv), want);
    size_t at = want - 1;
    if (fmt->check_id) {
        last_vf(n, id, sizeof id, fmt->check_id);
        for (at = 0; at < want && strcmp(dc_inventory_id(inv, at), id); at++)
            ;
        if (at == want)
            die("%s: no device '%s'", fmt->name, id);
    }
    const char *v = dc_facts_lookup(dc_inventory_facts(inv, at), fmt->check_name);
    if (!v || (fmt->check_value && strcmp(v, fmt->check_value)))
        die("%s: device '%s': %s=%s, expected %s", fmt->name, dc_inventory_id(inv, at),
            fmt->check_name, v ? v : "(none)", fmt->check_value ? fmt->check_value : "a value");
    dc_inventory_free(inv);
}

static void rm_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "importers: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    size_t n = 100000;
    int runs = 5;
    const char *only = NULL, *keep = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--list")) {
            for (size_t f = 0; f < NFORMATS; f++)
                printf("%s\n", formats[f].name);
            return 0;
        } else if (!strcmp(a, "--devices") && v) {
            n = strtoul(v, NULL, 10), i++;
        } else if (!strcmp(a, "--runs") && v) {
            runs = atoi(v), i++;
        } else if (!strcmp(a, "--only") && v) {
            only = v, i++;
        } else if (!strcmp(a, "--dir") && v) {
            keep = v, i++;
        } else {
            die("usage: importers [--devices N] [--runs R] [--only FORMAT,...] [--dir DIR] "
                "[--list]");
        }
    }
    if (n < 16 || runs < 1 || runs > 1000)
        die("--devices at least 16, --runs 1 to 1000");
    char tmp[4096];
    if (keep) {
        if (mkdir(keep, 0700) && errno != EEXIST)
            die("%s: %s", keep, strerror(errno));
        snprintf(tmp, sizeof tmp, "%s", keep);
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/dc-importers.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp))
            die("%s: %s", tmp, strerror(errno));
    }
    printf("%zu devices, %d runs each; CPU seconds of one thread (median, min), wall median\n",
           n, runs);
    printf("%-14s %9s %9s %9s %9s %10s\n", "format", "MB", "cpu", "cpu min", "wall",
           "us/device");
    for (size_t f = 0; f < NFORMATS; f++) {
        const format *fmt = &formats[f];
        if (!wanted(only, fmt->name))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", tmp, fmt->file);
        struct stat st;
        if (!keep || stat(path, &st))
            fmt->gen(path, n);
        double cpu[1000], wall[1000];
        for (int r = 0; r < runs; r++)
            load(fmt, path, n, &cpu[r], &wall[r]);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
        double cmin = cpu[0];
        double cmed = cpu[runs / 2];
        qsort(wall, (size_t)runs, sizeof *wall, cmp_double);
        printf("%-14s %9.1f %9.3f %9.3f %9.3f %10.2f\n", fmt->name, size_of(path) / 1e6, cmed,
               cmin, wall[runs / 2], cmed * 1e6 / (double)n);
        fflush(stdout);
    }
    if (!keep)
        rm_tree(tmp);
    return 0;
}
