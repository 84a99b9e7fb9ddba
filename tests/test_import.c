/* test_import.c -- the importers through the public API (docs/facts.md,
 * "Facts arguments" and "Facts where management software has them"):
 * dc_facts_open, dc_inventory_open and dc_source_open with every prefix,
 * `-` for standard input, `#ID`, dc_have_libvirt and a live connection on
 * libvirt's test driver, and bad input: an error naming the source and the
 * element or line, and nothing half-read (the out pointer stays NULL). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devcompat.h"

#ifdef DC_TEST_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#ifndef DC_TEST_DATA
#define DC_TEST_DATA "tests/data"
#endif
#define IMP DC_TEST_DATA "/importers"

/* ------------------------------------------------------------ helpers */

static char tmp[256];

static void make_tmp(void)
{
    snprintf(tmp, sizeof tmp, "%s/dc-import.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(import, .init = make_tmp, .fini = remove_tmp);

/* A file under tmp holding text; its path (static, one at a time). */
static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    return path;
}

static dc_facts *open_facts(const char *arg)
{
    dc_facts *f = NULL;
    dc_error err;
    dc_status st = dc_facts_open(arg, NULL, &f, &err);
    cr_assert_eq(st, DC_OK, "%s: %s", arg, err.message);
    cr_assert_not_null(f);
    return f;
}

static dc_inventory *open_inventory(const char *arg)
{
    dc_inventory *inv = NULL;
    dc_error err;
    dc_status st = dc_inventory_open(arg, NULL, &inv, &err);
    cr_assert_eq(st, DC_OK, "%s: %s", arg, err.message);
    cr_assert_not_null(inv);
    return inv;
}

static void has(const dc_facts *f, const char *name, const char *value)
{
    const char *v = dc_facts_lookup(f, name);
    cr_assert_not_null(v, "no fact '%s'", name);
    cr_assert_str_eq(v, value, "%s=%s, want %s", name, v, value);
}

/* arg fails with `status`, a message holding every `want`, and no facts. */
static void facts_fail(const char *arg, dc_status status, const char *want, const char *want2)
{
    dc_facts *f = (dc_facts *)&f;
    dc_error err;
    dc_status st = dc_facts_open(arg, NULL, &f, &err);
    cr_assert_eq(st, status, "%s: status %s, want %s (%s)", arg, dc_status_str(st),
                 dc_status_str(status), err.message);
    cr_assert_null(f, "%s: half-read facts after an error", arg);
    cr_assert(strstr(err.message, want), "'%s' lacks '%s'", err.message, want);
    cr_assert(!want2 || strstr(err.message, want2), "'%s' lacks '%s'", err.message, want2);
}

static void inventory_fail(const char *arg, dc_status status, const char *want,
                           const char *want2)
{
    dc_inventory *inv = (dc_inventory *)&inv;
    dc_error err;
    dc_status st = dc_inventory_open(arg, NULL, &inv, &err);
    cr_assert_eq(st, status, "%s: status %s, want %s (%s)", arg, dc_status_str(st),
                 dc_status_str(status), err.message);
    cr_assert_null(inv, "%s: a half-read inventory after an error", arg);
    cr_assert(strstr(err.message, want), "'%s' lacks '%s'", err.message, want);
    cr_assert(!want2 || strstr(err.message, want2), "'%s' lacks '%s'", err.message, want2);
}

/* ------------------------------------------------------- every prefix */

Test(import, libvirt_file_one_device)
{
    dc_facts *f = open_facts("libvirt:" IMP "/node.xml#pci_0000_3b_00_3");
    has(f, "address", "0000:3b:00.3");
    has(f, "vendor", "0x15b3");
    has(f, "device", "0x101e");
    has(f, "pci_id", "15b3101e");
    has(f, "class", "0x020000");
    has(f, "iommu_group", "23");
    has(f, "pf.address", "0000:3b:00.0");
    has(f, "pf.pci_id", "15b3101d"); /* the PF is in the same input */
    has(f, "vf_index", "1");
    has(f, "libvirt.product_name", "ConnectX Family mlx5Gen Virtual Function");
    dc_facts_free(f);
}

Test(import, libvirt_file_inventory_with_types)
{
    dc_inventory *inv = open_inventory("libvirt:" IMP "/node.xml");
    /* the GPU, its two mdev types, the PF, the VF, the mdev: in input order */
    static const char *const ids[] = {
        "pci_0000_00_02_0",
        "pci_0000_00_02_0/i915-GVTg_V5_4",
        "pci_0000_00_02_0/i915-GVTg_V5_8",
        "pci_0000_3b_00_0",
        "pci_0000_3b_00_3",
        "mdev_83b8f4f2_509f_382f_3c1e_e6bfe0fa1001",
    };
    cr_assert_eq(dc_inventory_count(inv), 6);
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(dc_inventory_id(inv, i), ids[i]);
    const dc_facts *type = dc_inventory_facts(inv, 1);
    has(type, "mdev_type", "i915-GVTg_V5_4");
    has(type, "available_instances", "2");
    has(type, "parent", "0000:00:02.0");
    const dc_facts *mdev = dc_inventory_facts(inv, 5);
    has(mdev, "device_api", "vfio-pci"); /* from its parent's type */
    has(mdev, "parent", "0000:00:02.0");
    dc_inventory_free(inv);
    /* one device wanted: the GPU is the GPU, its types do not count */
    dc_facts *gpu = open_facts("libvirt:" IMP "/node.xml#pci_0000_00_02_0");
    has(gpu, "pci_id", "8086591d");
    dc_facts_free(gpu);
}

/* libvirt PCI devices for the VF tests: NAME at function FN of 0000:00:00,
 * with DRIVER, and a phys_function or virt_functions capability. */
#define LV_PCI(name, fn, driver, cap)                                                          \
    "<device><name>" name "</name><driver><name>" driver "</name></driver>"                    \
    "<capability type='pci'><class>0x020000</class><domain>0</domain><bus>0</bus>"             \
    "<slot>0</slot><function>" fn "</function><product id='0x101e'>VF</product>"               \
    "<vendor id='0x15b3'>Mellanox</vendor>" cap "</capability></device>\n"
#define LV_PF                                                                                  \
    LV_PCI("pci_pf", "0", "mlx5_core",                                                         \
           "<capability type='virt_functions' maxCount='2'>"                                   \
           "<address domain='0' bus='0' slot='0' function='2'/>"                               \
           "<address domain='0' bus='0' slot='0' function='1'/></capability>")
#define LV_VF                                                                                  \
    LV_PCI("pci_vf", "1", "vfio-pci",                                                          \
           "<capability type='phys_function'>"                                                 \
           "<address domain='0' bus='0' slot='0' function='0'/></capability>")
/* another device at the PF's address (not something libvirt writes) */
#define LV_TWIN LV_PCI("pci_twin", "0", "other_drv", "")

/* The VF's facts in a <devices> of these. */
static char *vf_facts(const char *name, const char *devices)
{
    char arg[600], text[4096];
    snprintf(text, sizeof text, "<devices>\n%s</devices>\n", devices);
    snprintf(arg, sizeof arg, "libvirt:%s", write_tmp(name, text));
    dc_inventory *inv = open_inventory(arg);
    char *out = NULL;
    for (size_t i = 0; i < dc_inventory_count(inv); i++)
        if (!strcmp(dc_inventory_id(inv, i), "pci_vf")) {
            const dc_facts *f = dc_inventory_facts(inv, i);
            out = calloc(1, 8192);
            cr_assert_not_null(out);
            for (size_t k = 0, o = 0; k < dc_facts_count(f); k++)
                o += (size_t)snprintf(out + o, 8192 - o, "%s=%s\n", dc_facts_name(f, k),
                                      dc_facts_value(f, k));
        }
    dc_inventory_free(inv);
    cr_assert_not_null(out, "%s: no pci_vf", name);
    return out;
}

/* A VF gets its PF's facts whether the PF comes before it (added as the
 * VF is read) or after (added once every device is read); and where two
 * devices have the PF's address, the same facts either way. */
Test(import, libvirt_vf_facts_whatever_the_order)
{
    char *before = vf_facts("before.xml", LV_PF LV_VF);
    char *after = vf_facts("after.xml", LV_VF LV_PF);
    cr_assert_str_eq(before, after);
    cr_assert(strstr(before, "pf.driver=mlx5_core\n"), "%s", before);
    cr_assert(strstr(before, "pf.pci_id=15b3101e\n"), "%s", before);
    cr_assert(strstr(before, "vf_index=1\n"), "%s", before);
    char *twin_before = vf_facts("twin1.xml", LV_PF LV_VF LV_TWIN);
    char *twin_after = vf_facts("twin2.xml", LV_VF LV_PF LV_TWIN);
    cr_assert_str_eq(twin_before, twin_after);
    free(before);
    free(after);
    free(twin_before);
    free(twin_after);
}

Test(import, mdevctl)
{
    dc_inventory *inv = open_inventory("mdevctl:" IMP "/mdevctl-list.json");
    cr_assert_eq(dc_inventory_count(inv), 2);
    cr_assert_str_eq(dc_inventory_id(inv, 0), "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
    has(dc_inventory_facts(inv, 0), "attr.assign_adapter", "5,6"); /* repeated: a set */
    has(dc_inventory_facts(inv, 0), "parent", "0000:00:02.0");
    dc_inventory_free(inv);
    dc_facts *t = open_facts("mdevctl:" IMP "/mdevctl-types.json#0000:00:02.0/i915-GVTg_V5_8");
    has(t, "mdev_type", "i915-GVTg_V5_8");
    has(t, "available_instances", "1");
    has(t, "description", "low_gm_size: 64MB\nhigh_gm_size: 384MB");
    dc_facts_free(t);
}

Test(import, lspci)
{
    dc_facts *f = open_facts("lspci:" IMP "/vf.lspci#0000:3b:00.3");
    has(f, "pci_id", "15b3101e");
    has(f, "revision", "0x00"); /* lspci omits Rev: 0 */
    has(f, "driver", "mlx5_vfio_pci");
    has(f, "device_api", "vfio-pci");
    has(f, "lspci.module", "mlx5_core,mlx5_vfio_pci");
    dc_facts_free(f);
    dc_inventory *inv = open_inventory("lspci:" IMP "/vf.lspci");
    cr_assert_eq(dc_inventory_count(inv), 2);
    cr_assert_str_eq(dc_inventory_id(inv, 0), "0000:3b:00.0");
    dc_inventory_free(inv);
}

Test(import, devlink_versions_and_migratable)
{
    dc_facts *pf = open_facts("devlink:" IMP "/devlink.json#pci/0000:3b:00.0");
    has(pf, "fw.psid", "MT_0000000359");
    has(pf, "stored.fw.version", "22.36.1010");
    has(pf, "driver", "mlx5_core");
    dc_facts_free(pf);
    dc_facts *vf = open_facts("devlink:" IMP "/devlink.json#pci/0000:3b:00.0/65538");
    has(vf, "migratable", "true");       /* devlink prints "enable" */
    has(vf, "fw.psid", "MT_0000000359"); /* the PF's, merged */
    has(vf, "fw.version", "22.36.1010");
    has(vf, "vf_index", "1");
    has(vf, "pf.address", "0000:3b:00.0");
    dc_facts_free(vf);
}

/* devlink's port function attribute: enable/disable, read as a bool. */
Test(import, devlink_migratable_disable_and_bad)
{
    const char *json = "{\"port\": {\"pci/0000:3b:00.0/65539\": {\"flavour\": \"pcivf\",\n"
                       "  \"vfnum\": 2, \"function\": {\"migratable\": \"%s\"}}}}\n";
    char text[512], arg[600];
    snprintf(text, sizeof text, json, "disable");
    snprintf(arg, sizeof arg, "devlink:%s", write_tmp("off.json", text));
    dc_facts *f = open_facts(arg);
    has(f, "migratable", "false");
    has(f, "vf_index", "2");
    dc_facts_free(f);
    snprintf(text, sizeof text, json, "maybe");
    snprintf(arg, sizeof arg, "devlink:%s", write_tmp("bad.json", text));
    facts_fail(arg, DC_ERR_FACTS, "bad.json:2:", "migratable: expected enable or disable");
}

Test(import, dra)
{
    dc_facts *f = open_facts("dra:" IMP "/slice.yaml#node-1/gpu-0");
    has(f, "uuid", "gpu-18db0e85");
    has(f, "index", "0");
    has(f, "mig", "false");
    has(f, "driverVersion", "1.2.3");
    has(f, "resource.kubernetes.io.pcieRoot", "pci0000:00");
    has(f, "capacity.memory", "40Gi");
    has(f, "dra.driver", "gpu.example.com");
    dc_facts_free(f);
}

/* A plain file is read by what its first bytes say. */
Test(import, detected_by_content)
{
    dc_inventory *inv = open_inventory(IMP "/vf.lspci");
    cr_assert_eq(dc_inventory_count(inv), 2);
    dc_inventory_free(inv);
    inv = open_inventory(IMP "/node.xml");
    cr_assert_eq(dc_inventory_count(inv), 6);
    has(dc_inventory_facts(inv, 3), "libvirt.virt_functions.count", "2");
    dc_inventory_free(inv);
    inv = open_inventory(IMP "/slice.yaml");
    has(dc_inventory_facts(inv, 1), "mig", "true");
    dc_inventory_free(inv);
    /* #ID goes with a prefix: a plain path is the file's name, whole */
    facts_fail(IMP "/vf.lspci#0000:3b:00.3", DC_ERR_IO, "vf.lspci#0000:3b:00.3", NULL);
}

/* ------------------------------------------------------------- sysfs */

static void put(const char *dir, const char *name, const char *value)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fprintf(f, "%s\n", value);
    cr_assert_eq(fclose(f), 0);
}

static void mkdirs(const char *path)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    cr_assert_eq(system(cmd), 0);
}

static void link_to(const char *target, const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(symlink(target, path), 0, "%s", path);
}

/* A HiSilicon SEC PF with two VFs under ROOT/sys, as the kernel lays it
 * out: the PF's driver links to its module, whose pf_q_num is a parameter. */
static void hisi_tree(void)
{
    char pf[400], vf[400], vf0[400], drv[400], mod[400];
    snprintf(pf, sizeof pf, "%s/sys/bus/pci/devices/0000:7a:00.0", tmp);
    snprintf(vf, sizeof vf, "%s/sys/bus/pci/devices/0000:7a:00.2", tmp);
    snprintf(vf0, sizeof vf0, "%s/sys/bus/pci/devices/0000:7a:00.1", tmp);
    mkdirs(vf0);
    put(vf0, "vendor", "0x19e5");
    put(vf0, "device", "0xa256");
    snprintf(drv, sizeof drv, "%s/sys/bus/pci/drivers/hisi_sec2", tmp);
    snprintf(mod, sizeof mod, "%s/sys/module/hisi_sec2/parameters", tmp);
    mkdirs(pf);
    mkdirs(vf);
    mkdirs(drv);
    mkdirs(mod);
    char vfio[400];
    snprintf(vfio, sizeof vfio, "%s/sys/bus/pci/drivers/hisi_acc_vfio_pci", tmp);
    mkdirs(vfio);
    put(pf, "vendor", "0x19e5");
    put(pf, "device", "0xa255");
    put(pf, "revision", "0x21");
    put(pf, "sriov_numvfs", "2");
    put(vf, "vendor", "0x19e5");
    put(vf, "device", "0xa256");
    put(vf, "revision", "0x21");
    put(mod, "pf_q_num", "256");
    link_to("../../drivers/hisi_sec2", pf, "driver");
    link_to("../../../../module/hisi_sec2", drv, "module");
    link_to("../../drivers/hisi_acc_vfio_pci", vf, "driver");
    link_to("../0000:7a:00.0", vf, "physfn");
    link_to("../0000:7a:00.1", pf, "virtfn0");
    link_to("../0000:7a:00.2", pf, "virtfn1");
}

Test(import, sysfs_prefix_and_pf_facts)
{
    hisi_tree();
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_eq(dc_facts_open("sysfs:/sys/bus/pci/devices/0000:7a:00.2", tmp, &f, &err), DC_OK,
                 "%s", err.message);
    has(f, "pci_id", "19e5a256");
    has(f, "device_api", "vfio-pci"); /* hisi_acc_vfio_pci is a variant driver */
    has(f, "pf.pci_id", "19e5a255");
    has(f, "pf.revision", "0x21");
    has(f, "pf.driver", "hisi_sec2");
    has(f, "pf.sriov_numvfs", "2");
    has(f, "hisi.pf_q_num", "256");
    has(f, "vf_index", "1");
    dc_facts_free(f);
    /* a directory of devices is an inventory, id = the entry's name */
    dc_inventory *inv = NULL;
    cr_assert_eq(dc_inventory_open("sysfs:/sys/bus/pci/devices", tmp, &inv, &err), DC_OK, "%s",
                 err.message);
    cr_assert_eq(dc_inventory_count(inv), 3);
    cr_assert_str_eq(dc_inventory_id(inv, 2), "0000:7a:00.2");
    dc_inventory_free(inv);
}

/* Without the module link, or for another PF driver, no hisi.* fact. */
Test(import, sysfs_pf_param_only_where_there)
{
    hisi_tree();
    char link[400];
    snprintf(link, sizeof link, "%s/sys/bus/pci/drivers/hisi_sec2/module", tmp);
    cr_assert_eq(unlink(link), 0);
    dc_facts *f = NULL;
    dc_error err;
    cr_assert_eq(dc_facts_open("sysfs:/sys/bus/pci/devices/0000:7a:00.2", tmp, &f, &err), DC_OK,
                 "%s", err.message);
    cr_assert_null(dc_facts_lookup(f, "hisi.pf_q_num"));
    has(f, "pf.sriov_numvfs", "2");
    dc_facts_free(f);
}

/* ----------------------------------------------------- standard input */

/* `-` and PREFIX:- read standard input: here a file put in its place. */
static void stdin_from(const char *path)
{
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(dup2(fd, 0), 0);
    close(fd);
}

Test(import, stdin_with_prefix)
{
    stdin_from(IMP "/vf.lspci");
    dc_inventory *inv = open_inventory("lspci:-");
    cr_assert_eq(dc_inventory_count(inv), 2);
    has(dc_inventory_facts(inv, 1), "driver", "mlx5_vfio_pci");
    dc_inventory_free(inv);
}

Test(import, stdin_id_and_detection)
{
    stdin_from(IMP "/node.xml");
    dc_facts *f = NULL;
    dc_error err;
    /* a plain `-` is one facts file, detected by content */
    cr_assert_eq(dc_facts_open("-", NULL, &f, &err), DC_ERR_FACTS);
    cr_assert(strstr(err.message, "<stdin>"), "%s", err.message);
    cr_assert_null(f);
    stdin_from(IMP "/node.xml");
    f = open_facts("libvirt:-#pci_0000_3b_00_3");
    has(f, "vf_index", "1");
    dc_facts_free(f);
}

Test(import, stdin_plain_facts)
{
    stdin_from(write_tmp("dev.kv", "device_api=vfio-pci\nmdev_type=x\n"));
    dc_facts *f = open_facts("-");
    has(f, "mdev_type", "x");
    dc_facts_free(f);
}

/* ---------------------------------------------------------------- #ID */

Test(import, id_missing_and_ambiguous)
{
    facts_fail("lspci:" IMP "/vf.lspci#0000:99:00.0", DC_ERR_FACTS,
               "vf.lspci: no device '0000:99:00.0'", "2 devices, the first '0000:3b:00.0'");
    facts_fail("lspci:" IMP "/vf.lspci", DC_ERR_FACTS, "0000:3b:00.0, 0000:3b:00.3",
               "name one as FILE#ID");
    inventory_fail("mdevctl:" IMP "/mdevctl-list.json#nope", DC_ERR_FACTS, "no device 'nope'",
                   NULL);
    /* an inventory of one named device */
    dc_inventory *inv = open_inventory("devlink:" IMP "/devlink.json#pci/0000:3b:00.0");
    cr_assert_eq(dc_inventory_count(inv), 1);
    cr_assert_str_eq(dc_inventory_id(inv, 0), "pci/0000:3b:00.0");
    dc_inventory_free(inv);
}

Test(import, source_open_one_or_many)
{
    dc_facts *f = NULL;
    dc_inventory *inv = NULL;
    dc_error err;
    cr_assert_eq(dc_source_open("dra:" IMP "/slice.yaml", NULL, &f, &inv, &err), DC_OK, "%s",
                 err.message);
    cr_assert_null(f);
    cr_assert_eq(dc_inventory_count(inv), 2);
    dc_inventory_free(inv);
    inv = NULL;
    cr_assert_eq(dc_source_open("dra:" IMP "/slice.yaml#node-1/gpu-0", NULL, &f, &inv, &err),
                 DC_OK, "%s", err.message);
    cr_assert_null(inv);
    has(f, "index", "0");
    dc_facts_free(f);
}

Test(import, arguments_refused)
{
    facts_fail("", DC_ERR_INVALID, "an empty facts argument", NULL);
    facts_fail("lspci:", DC_ERR_INVALID, "nothing after the prefix", NULL);
    facts_fail("lspci:/nonexistent/x", DC_ERR_IO, "/nonexistent/x", NULL);
    inventory_fail("", DC_ERR_INVALID, "an empty inventory argument", NULL);
    dc_error err;
    cr_assert_eq(dc_facts_open(NULL, NULL, NULL, &err), DC_ERR_INVALID);
}

/* ------------------------------------------------- bad input, by source */

Test(import, bad_libvirt)
{
    char arg[600];
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("trunc.xml", "<device><name>x</name>\n<capability type='pci'>\n"));
    facts_fail(arg, DC_ERR_FACTS, "trunc.xml:3: malformed XML", NULL);
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("cap.xml",
                       "<device>\n<name>x</name>\n<capability type='warp'/>\n</device>\n"));
    facts_fail(arg, DC_ERR_FACTS, "cap.xml:3: <capability>: unknown capability type 'warp'",
               NULL);
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("noid.xml",
                       "<devices>\n<device>\n<name>x</name>\n<capability type='pci'>\n"
                       "<domain>0</domain><bus>0</bus><slot>0</slot><function>0</function>\n"
                       "<product id='zz'/></capability></device></devices>\n"));
    inventory_fail(arg, DC_ERR_FACTS,
                   "noid.xml:6: <product>: id 'zz' is not a 16-bit hex number", NULL);
    /* an entity is never expanded: a billion laughs is an error, not a hang */
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("lol.xml", "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">"
                                  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n"
                                  "<device><name>&b;</name></device>\n"));
    facts_fail(arg, DC_ERR_FACTS, "lol.xml:2:", NULL);
    /* text among elements, and a device named twice */
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("mixed.xml", "<node>\n stray <device/></node>\n"));
    inventory_fail(arg, DC_ERR_FACTS, "mixed.xml:1: <node>: text among elements: 'stray'",
                   NULL);
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("dup.xml",
                       "<node>\n<device><name>m</name><capability type='mdev'><type id='t'/>"
                       "</capability></device>\n<device><name>m</name><capability "
                       "type='mdev'><type id='t'/></capability></device>\n</node>\n"));
    inventory_fail(arg, DC_ERR_FACTS, "dup.xml:3: duplicate id 'm'", NULL);
    /* "--" within a comment: refused before libxml2, which takes time
     * quadratic in such a comment (found by fuzz_import_libvirt as a hang);
     * "<!--" as text of a CDATA section or a processing instruction is not
     * a comment */
    size_t n = 400000;
    char *dashes = malloc(n + 32);
    cr_assert_not_null(dashes);
    memcpy(dashes, "<device>\n\n<!--", 14);
    memset(dashes + 14, '-', n);
    memcpy(dashes + 14 + n, "--></device>\n", 14);
    snprintf(arg, sizeof arg, "libvirt:%s", write_tmp("dashes.xml", dashes));
    facts_fail(arg, DC_ERR_FACTS, "dashes.xml:3: malformed XML: '--' within a comment", NULL);
    free(dashes);
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("cdata.xml",
                       "<device><name>a</name><!-- ok --><?pi <!-- -- ?><capability "
                       "type='pci'><domain>0</domain><bus>0</bus><slot>2</slot><function>0"
                       "</function><product id='0x591d'>x<![CDATA[<!-- -- >]]></product>"
                       "<vendor id='0x8086'/></capability></device>\n"));
    dc_facts *f = open_facts(arg);
    has(f, "libvirt.product_name", "x<!-- -- >");
    dc_facts_free(f);
}

Test(import, bad_lspci)
{
    char arg[600];
    snprintf(arg, sizeof arg, "lspci:%s",
             write_tmp("noslot.lspci", "Class:\tEthernet controller [0200]\nVendor:\tX [15b3]\n"
                                       "Device:\tY [101e]\n"));
    inventory_fail(arg, DC_ERR_FACTS, "noslot.lspci:1: a record without Slot", NULL);
    snprintf(arg, sizeof arg, "lspci:%s",
             write_tmp("nonn.lspci", "Slot:\t0000:00:02.0\nClass:\tVGA compatible controller\n"
                                     "Vendor:\tIntel Corporation\nDevice:\tHD Graphics\n"));
    facts_fail(arg, DC_ERR_FACTS, "nonn.lspci:", NULL);
    /* a value within the limit that escaping takes past it: the error gives
     * its escaped length and reads nothing past the input (found by the ASan
     * replay of fuzz_import_lspci's queue: it read 4097 bytes of a shorter
     * value) */
    char text[2200];
    int n = snprintf(text, sizeof text,
                     "Slot:\t0000:00:02.0\nClass:\tVGA [0300]\n"
                     "Vendor:\tIntel [8086]\nDevice:\tGPU [591d]\nPhySlot:\t");
    memset(text + n, 0xff, 2000);
    text[n + 2000] = '\0';
    snprintf(arg, sizeof arg, "lspci:%s", write_tmp("escaped.lspci", text));
    inventory_fail(arg, DC_ERR_LIMIT, "escaped.lspci:5: fact 'lspci.physlot'",
                   "value is 8000 bytes once escaped, longer than 4096 bytes (the limit)");
}

Test(import, bad_json_sources)
{
    char arg[600];
    snprintf(
        arg, sizeof arg, "mdevctl:%s",
        write_tmp("trunc.json", "[{\"0000:00:02.0\": [{\"i915-GVTg_V5_4\": {\"device_api\":"));
    inventory_fail(arg, DC_ERR_FACTS, "trunc.json:", NULL);
    snprintf(arg, sizeof arg, "devlink:%s",
             write_tmp("group.json", "{\"info\": {\"pci/0000:3b:00.0\": {\"versions\":\n"
                                     "  {\"flashed\": {}}}}}"));
    inventory_fail(arg, DC_ERR_FACTS, "group.json:2:", "unknown group 'flashed'");
    snprintf(arg, sizeof arg, "dra:%s",
             write_tmp("float.yaml", "apiVersion: resource.k8s.io/v1\nkind: ResourceSlice\n"
                                     "spec:\n  driver: d.example.com\n  pool: {name: p}\n"
                                     "  devices:\n  - name: a\n    attributes:\n"
                                     "      x: {float: 1.5}\n"));
    inventory_fail(arg, DC_ERR_FACTS, "float.yaml:9:", NULL);
    /* one mdev type's mapping alone has no name to be known by (found by
     * fuzz_import_mdevctl: it was read through a NULL key) */
    snprintf(
        arg, sizeof arg, "mdevctl:%s",
        write_tmp("type.json", "{\"available_instances\": 2, \"device_api\": \"vfio-pci\"}"));
    inventory_fail(arg, DC_ERR_FACTS, "type.json:1:", "an mdev type alone, without its name");
    facts_fail(arg, DC_ERR_FACTS, "type.json:1:", "an mdev type alone, without its name");
}

/* Descriptive text is escaped; an identifier never is: it is refused. */
Test(import, non_ascii)
{
    char arg[600];
    snprintf(arg, sizeof arg, "lspci:%s#0000:00:02.0",
             write_tmp("utf8.lspci", "Slot:\t0000:00:02.0\nClass:\tVGA [0300]\n"
                                     "Vendor:\tIntel \xc3\xa9 [8086]\nDevice:\tGPU [591d]\n"));
    dc_facts *f = open_facts(arg);
    has(f, "lspci.vendor_name", "Intel \\xc3\\xa9");
    dc_facts_free(f);
    snprintf(arg, sizeof arg, "libvirt:%s",
             write_tmp("id.xml", "<device><name>pci_\xc3\xa9</name><capability type='mdev'>"
                                 "<type id='t'/></capability></device>\n"));
    inventory_fail(arg, DC_ERR_FACTS, "id.xml:1: id 'pci_...' has byte 0xc3 at offset 4", NULL);
}

/* ------------------------------------------------------- live libvirt */

Test(import, libvirt_live_or_absent)
{
    char uri[600], arg[700];
    /* the test driver reads the file itself: an absolute path */
    char *abs = realpath(IMP "/node.xml", NULL);
    cr_assert_not_null(abs);
    snprintf(uri, sizeof uri, "test://%s", abs);
    free(abs);
    snprintf(arg, sizeof arg, "libvirt+%s:pci_0000_3b_00_3", uri);
    if (!dc_have_libvirt()) {
        facts_fail(arg, DC_ERR_INVALID, "built without libvirt", NULL);
        dc_facts *f = (dc_facts *)&f;
        dc_error err;
        cr_assert_eq(dc_facts_read_libvirt(uri, "pci_0000_3b_00_3", &f, &err), DC_ERR_INVALID);
        cr_assert_null(f);
        return;
    }
    dc_libvirt_quiet(); /* this program wants no libvirt output */
    dc_facts *f = open_facts(arg);
    has(f, "pf.address", "0000:3b:00.0");
    has(f, "pf.pci_id", "15b3101d"); /* the PF fetched from the connection */
    has(f, "vf_index", "1");
    dc_facts_free(f);
    snprintf(arg, sizeof arg, "libvirt+%s", uri);
    dc_inventory *inv = open_inventory(arg);
    size_t n = dc_inventory_count(inv);
    cr_assert_geq(n, 4);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_neq(dc_inventory_id(inv, i), "computer"); /* the host is no device */
    dc_inventory_free(inv);
    snprintf(arg, sizeof arg, "libvirt+%s:pci_0000_99_00_0", uri);
    facts_fail(arg, DC_ERR_IO, "pci_0000_99_00_0: no such node device", NULL);
    facts_fail("libvirt+test:///nonexistent/node.xml:pci_0000_00_02_0", DC_ERR_IO,
               "libvirt+test:///nonexistent/node.xml", "cannot connect");
}

#ifdef DC_TEST_LIBVIRT
/* The program's own libvirt error handler (Nova's, virt-handler's) is left
 * alone: the reader's connection errors go to its own silent handler, and
 * only a failed open -- no connection yet -- reaches the program's. */
static int seen;

static void count_errors(void *ud, virErrorPtr e)
{
    (void)ud, (void)e;
    seen++;
}

Test(import, libvirt_error_handler_left_alone)
{
    char uri[600];
    char *abs = realpath(IMP "/node.xml", NULL);
    cr_assert_not_null(abs);
    snprintf(uri, sizeof uri, "test://%s", abs);
    free(abs);
    virSetErrorFunc(NULL, count_errors);
    dc_facts *f = (dc_facts *)&f;
    dc_error err;
    cr_assert_eq(dc_facts_read_libvirt(uri, "pci_0000_99_00_0", &f, &err), DC_ERR_IO);
    cr_assert_null(f);
    cr_assert(strstr(err.message, "pci_0000_99_00_0: no such node device"), "%s", err.message);
    cr_assert_eq(seen, 0, "the lookup's error reached the program's handler");
    dc_inventory *inv = NULL;
    cr_assert_eq(dc_inventory_read_libvirt(uri, &inv, &err), DC_OK, "%s", err.message);
    dc_inventory_free(inv);
    /* still the program's handler: libvirt's own calls reach it */
    char bad[600];
    snprintf(bad, sizeof bad, "test://%s", write_tmp("bad-node.xml", "<node><device>\n"));
    virConnectPtr c = virConnectOpenReadOnly(bad);
    cr_assert_null(c);
    cr_assert_eq(seen, 1);
    /* a missing test-driver file is found missing before libvirt is asked
     * (its libxml2 would print a warning): no handler sees it */
    cr_assert_eq(dc_facts_read_libvirt("test:///nonexistent/node.xml", "x", &f, &err),
                 DC_ERR_IO);
    cr_assert(strstr(err.message, "cannot connect: /nonexistent/node.xml: No such file"), "%s",
              err.message);
    cr_assert_eq(seen, 1);
    /* a failed open, through the library: the program's handler sees it, and
     * the dc_error has libvirt's message */
    cr_assert_eq(dc_facts_read_libvirt(bad, "x", &f, &err), DC_ERR_IO);
    cr_assert(strstr(err.message, "cannot connect"), "%s", err.message);
    cr_assert_eq(seen, 2);
    /* the opt-in: a silent process-wide handler */
    dc_libvirt_quiet();
    cr_assert_eq(dc_facts_read_libvirt(bad, "x", &f, &err), DC_ERR_IO);
    cr_assert_eq(seen, 2);
    cr_assert(strstr(err.message, "bad-node.xml"), "%s", err.message);
}
#endif
