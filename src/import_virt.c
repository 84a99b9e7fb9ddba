/* import_virt.c -- node devices of a live libvirt connection
 * (docs/facts.md, "libvirt, live").
 *
 * Through libvirt's own API: the connection (read-only) gives each node
 * device's XML, which import_libvirt.c reads exactly as it reads a file;
 * the devices are read together so that a VF finds its PF and an mdev its
 * parent's types.  libvirt is optional at configure time (--with-libvirt);
 * without it these functions fail with DC_ERR_INVALID, saying so.
 *
 * libvirt reports errors to a process-wide handler that prints them unless
 * one is set.  That handler belongs to the program (Nova and virt-handler
 * install their own): these functions never touch it.  Each connection
 * they open gets a silent handler of its own (virConnSetErrorFunc), and
 * libvirt's message, taken from the thread's last error (virGetLastError),
 * goes into the dc_error.  A failed open has no connection yet: its error
 * reaches the program's handler, as any libvirt call's would;
 * dc_libvirt_quiet() is the program's opt-in to a silent process-wide
 * handler (compatc calls it).  docs/embedding.md, "libvirt's errors".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "import.h"
#include "sink.h"

int dc_have_libvirt(void)
{
#ifdef HAVE_LIBVIRT
    return 1;
#else
    return 0;
#endif
}

#ifndef HAVE_LIBVIRT

void dc_libvirt_quiet(void)
{
}

static dc_status absent(const char *uri, dc_error *err)
{
    return dc_error_set(err, DC_ERR_INVALID,
                        "libvirt+%s: this devcompat was built without "
                        "libvirt (configure --with-libvirt, with libvirt-dev installed)",
                        uri ? uri : "");
}

dc_status dc_facts_read_libvirt(const char *uri, const char *nodedev, dc_facts **out,
                                dc_error *err)
{
    (void)nodedev;
    if (out)
        *out = NULL;
    return absent(uri, err);
}

dc_status dc_inventory_read_libvirt(const char *uri, dc_inventory **out, dc_error *err)
{
    if (out)
        *out = NULL;
    return absent(uri, err);
}

dc_status virt_device_inventory(const char *uri, const char *nodedev, dc_inventory **out,
                                dc_error *err)
{
    (void)nodedev;
    *out = NULL;
    return absent(uri, err);
}

#else

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static void quiet(void *ud, virErrorPtr e)
{
    (void)ud;
    (void)e;
}

static dc_status virt_error(const char *uri, const char *what, dc_error *err)
{
    virErrorPtr e = virGetLastError();
    return dc_error_set(err, DC_ERR_IO, "libvirt+%s: %s: %s", uri, what,
                        e && e->message ? e->message : "failed");
}

/* Append to the growing text "<devices>" + each device's XML +
 * "</devices>"; false once an allocation has failed. */
static bool put(sink *t, const char *s)
{
    sink_puts(t, s);
    return !t->failed;
}

void dc_libvirt_quiet(void)
{
    virSetErrorFunc(NULL, quiet);
}

/* libvirt's test driver reads the file its URI names (test:///PATH.xml)
 * through libxml2, which prints a warning to stderr when the file cannot
 * be opened: so that nothing prints, the file is tried here first.
 * test:///default is the driver's built-in host, no file. */
static bool test_file_unreadable(const char *uri, dc_error *err)
{
    if (strncmp(uri, "test:///", 8) != 0)
        return false;
    const char *path = uri + 7;
    size_t n = strcspn(path, "?");
    if (n == 8 && !strncmp(path, "/default", 8))
        return false;
    char file[4096];
    if (n >= sizeof file)
        return false; /* libvirt refuses it, silently */
    memcpy(file, path, n);
    file[n] = '\0';
    FILE *fp = fopen(file, "r");
    if (fp) {
        fclose(fp);
        return false;
    }
    dc_error_set(err, DC_ERR_IO, "libvirt+%s: cannot connect: %s: %s", uri, file,
                 strerror(errno));
    return true;
}

/* A read-only connection whose errors are this reader's alone. */
static virConnectPtr open_conn(const char *uri, dc_error *err)
{
    if (test_file_unreadable(uri, err))
        return NULL;
    virConnectPtr conn = virConnectOpenReadOnly(uri);
    if (!conn)
        virt_error(uri, "cannot connect", err);
    else
        virConnSetErrorFunc(conn, NULL, quiet);
    return conn;
}

/* Append a named node device's XML; *found false when it does not exist
 * (an error only when `required`). */
static dc_status add_device(virConnectPtr conn, const char *uri, const char *name, sink *t,
                            bool required, dc_error *err)
{
    virNodeDevicePtr dev = virNodeDeviceLookupByName(conn, name);
    if (!dev) {
        if (!required)
            return DC_OK;
        virErrorPtr e = virGetLastError();
        return dc_error_set(err, DC_ERR_IO, "libvirt+%s:%s: no such node device (%s)", uri,
                            name, e && e->message ? e->message : "not found");
    }
    char *xml = virNodeDeviceGetXMLDesc(dev, 0);
    virNodeDeviceFree(dev);
    if (!xml)
        return virt_error(uri, name, err);
    bool ok = put(t, xml) && put(t, "\n");
    free(xml);
    return ok ? DC_OK : dc_error_set(err, DC_ERR_NOMEM, "libvirt+%s: out of memory", uri);
}

/* The named device's XML and, for a VF, its PF's, read as one input. */
static dc_status device_and_pf(const char *uri, const char *nodedev, const char *label,
                               dc_inventory **out, dc_error *err)
{
    *out = NULL;
    virConnectPtr conn = open_conn(uri, err);
    if (!conn)
        return DC_ERR_IO;
    sink t = sink_growing(NULL);
    dc_status st = put(&t, "<devices>\n") ? add_device(conn, uri, nodedev, &t, true, err)
                                          : dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    dc_inventory *one = NULL;
    if (st == DC_OK && put(&t, "</devices>\n"))
        st =
            dc_inventory_parse_source(DC_SOURCE_LIBVIRT, label, sink_str(&t), t.len, &one, err);
    const dc_facts *f = one ? dc_inventory_facts(one, 0) : NULL;
    const char *pf = f ? dc_facts_lookup(f, "pf.address") : NULL;
    if (st == DC_OK && pf && strlen(pf) == 12) {
        /* 0000:3b:00.0 is pci_0000_3b_00_0 */
        char name[32];
        snprintf(name, sizeof name, "pci_%.4s_%.2s_%.2s_%.1s", pf, pf + 5, pf + 8, pf + 11);
        t.len -= strlen("</devices>\n");
        if ((st = add_device(conn, uri, name, &t, false, err)) == DC_OK &&
            put(&t, "</devices>\n")) {
            dc_inventory_free(one);
            one = NULL;
            st = dc_inventory_parse_source(DC_SOURCE_LIBVIRT, label, sink_str(&t), t.len, &one,
                                           err);
        }
    }
    sink_free(&t);
    virConnectClose(conn);
    *out = one;
    return st;
}

dc_status dc_facts_read_libvirt(const char *uri, const char *nodedev, dc_facts **out,
                                dc_error *err)
{
    if (!uri || !nodedev || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_facts_read_libvirt: NULL argument");
    *out = NULL;
    char label[1024];
    snprintf(label, sizeof label, "libvirt+%s:%s", uri, nodedev);
    dc_inventory *inv;
    dc_status st = device_and_pf(uri, nodedev, label, &inv, err);
    if (st != DC_OK)
        return st;
    for (size_t i = 0; i < dc_inventory_count(inv); i++)
        if (!strcmp(dc_inventory_id(inv, i), nodedev)) {
            *out = inv_take(inv, i);
            dc_inventory_free(inv);
            return DC_OK;
        }
    dc_inventory_free(inv);
    return dc_error_set(err, DC_ERR_FACTS,
                        "%s: not a PCI function or mdev device (devcompat "
                        "reads those)",
                        label);
}

dc_status virt_device_inventory(const char *uri, const char *nodedev, dc_inventory **out,
                                dc_error *err)
{
    char label[1024];
    snprintf(label, sizeof label, "libvirt+%s:%s", uri, nodedev);
    dc_inventory *all;
    dc_status st = device_and_pf(uri, nodedev, label, &all, err);
    if (st != DC_OK)
        return st;
    /* the device and its types, not its PF */
    dc_inventory *inv = inv_new(NULL, label);
    size_t n = strlen(nodedev);
    if (!inv)
        st = dc_error_set(err, DC_ERR_NOMEM, "%s: out of memory", label);
    for (size_t i = 0; st == DC_OK && i < dc_inventory_count(all); i++) {
        const char *id = dc_inventory_id(all, i);
        if (strncmp(id, nodedev, n) || (id[n] && id[n] != '/'))
            continue;
        st = inv_push(inv, id, strlen(id), inv_take(all, i), inv_line(all, i),
                      inv_is_type(all, i), err);
    }
    dc_inventory_free(all);
    if (st == DC_OK)
        st = inv_finish(inv, err);
    if (st != DC_OK) {
        dc_inventory_free(inv);
        return st;
    }
    *out = inv;
    return DC_OK;
}

dc_status dc_inventory_read_libvirt(const char *uri, dc_inventory **out, dc_error *err)
{
    if (!uri || !out)
        return dc_error_set(err, DC_ERR_INVALID, "dc_inventory_read_libvirt: NULL argument");
    *out = NULL;
    virConnectPtr conn = open_conn(uri, err);
    if (!conn)
        return DC_ERR_IO;
    virNodeDevicePtr *devs = NULL;
    int n = virConnectListAllNodeDevices(conn, &devs, 0);
    dc_status st = DC_OK;
    sink t = sink_growing(NULL);
    if (n < 0)
        st = virt_error(uri, "cannot list node devices", err);
    else if (!put(&t, "<devices>\n"))
        st = dc_error_set(err, DC_ERR_NOMEM, "libvirt+%s: out of memory", uri);
    for (int i = 0; i < n; i++) {
        if (st == DC_OK) {
            char *xml = virNodeDeviceGetXMLDesc(devs[i], 0);
            if (!xml)
                st = virt_error(uri, virNodeDeviceGetName(devs[i]), err);
            else if (!put(&t, xml) || !put(&t, "\n"))
                st = dc_error_set(err, DC_ERR_NOMEM, "libvirt+%s: out of memory", uri);
            free(xml);
        }
        virNodeDeviceFree(devs[i]);
    }
    free(devs);
    virConnectClose(conn);
    char label[1024];
    snprintf(label, sizeof label, "libvirt+%s", uri);
    if (st == DC_OK && !put(&t, "</devices>\n"))
        st = dc_error_set(err, DC_ERR_NOMEM, "libvirt+%s: out of memory", uri);
    if (st == DC_OK)
        st = dc_inventory_parse_source(DC_SOURCE_LIBVIRT, label, sink_str(&t), t.len, out, err);
    sink_free(&t);
    return st;
}

#endif
