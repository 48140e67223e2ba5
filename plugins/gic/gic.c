/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gic: the board's entry for the arm64 interrupt controller. KVM emulates the GIC in the
 * kernel (the arm64 backend creates it from this entry: KVM_CREATE_DEVICE, addresses before
 * the vCPUs, CTRL_INIT after them; see docs/arm64.md for why the backend and not this plugin
 * makes those calls). This plugin gives the type its properties and schema, and reserves the
 * GIC's windows on the MMIO bus so no other device can be placed over them: KVM takes those
 * accesses itself, so one that reaches us means the in-kernel GIC is not serving that
 * address (a redistributor of a vCPU the board does not have, a GICv2 host's unused
 * redistributor range); the guest gets zeros or all-ones for it and a logged guest error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

#define DIST_SIZE 0x10000ull
#define REDIST_STRIDE 0x20000ull /* RD_base + SGI_base frames per vCPU */
#define CPU_INTERFACE_SIZE 0x2000ull

struct gic {
    vmb_device *dev;
    const struct vmb_host *host;
    const char *version;
    uint64_t dist, redist, redist_size, cpu_interface;
};

static const struct vmb_prop_spec gic_props[] = {
    {"version", VMB_PROP_STRING, "auto", 0,
     "GIC architecture: 3, 2, or auto (GICv3 when the host's KVM offers it, else GICv2)"},
    {"redistributor", VMB_PROP_UINT, "0x080a0000", 0,
     "GICv3 redistributor base; 128 KiB per vCPU from there"},
    {"cpu-interface", VMB_PROP_UINT, "0x08010000", 0, "GICv2 CPU interface base (8 KiB)"},
    {NULL, 0, NULL, 0, NULL},
};

static uint64_t gic_read(void *opaque, uint64_t offset, unsigned size)
{
    struct gic *gic = opaque;
    gic->host->guest_error(gic->dev,
                           "read at offset 0x%llx that the in-kernel GIC does not serve "
                           "(returns all-ones)",
                           (unsigned long long)offset);
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void gic_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct gic *gic = opaque;
    gic->host->guest_error(gic->dev,
                           "write of 0x%llx at offset 0x%llx that the in-kernel GIC does not "
                           "serve (dropped)",
                           (unsigned long long)value, (unsigned long long)offset);
    (void)size;
}

static const struct vmb_region_ops gic_ops = {sizeof(struct vmb_region_ops), gic_read, gic_write,
                                              1, 8};

static bool aligned_64k(uint64_t address)
{
    return (address & 0xffffull) == 0;
}

static void *gic_create(vmb_device *dev, const struct vmb_host *host)
{
    struct vmb_machine_info info = {.size = sizeof(info)};
    struct gic *gic;
    enum vmb_space space;

    host->machine_info(dev, &info);
    if (info.arch != VMB_ARCH_ARM64) {
        host->error(dev, "a gic belongs on an arm64 board");
        return NULL;
    }
    gic = calloc(1, sizeof(*gic));
    if (!gic) {
        host->error(dev, "out of memory");
        return NULL;
    }
    gic->dev = dev;
    gic->host = host;
    gic->version = host->prop_string(dev, "version");
    gic->redist = host->prop_uint(dev, "redistributor");
    gic->redist_size = REDIST_STRIDE * info.cpus;
    gic->cpu_interface = host->prop_uint(dev, "cpu-interface");
    if (host->device_address(dev, &space, &gic->dist) != 0 || space != VMB_SPACE_MMIO) {
        host->error(dev, "needs the distributor's address: give it mmio: ADDRESS");
        goto fail;
    }
    if (strcmp(gic->version, "auto") != 0 && strcmp(gic->version, "3") != 0 &&
        strcmp(gic->version, "2") != 0) {
        host->error(dev, "version must be auto, 3 or 2, not '%s'", gic->version);
        goto fail;
    }
    if (!aligned_64k(gic->dist) || !aligned_64k(gic->redist) ||
        !aligned_64k(gic->cpu_interface)) {
        host->error(dev, "the distributor, redistributor and cpu-interface addresses must be "
                         "64 KiB aligned");
        goto fail;
    }
    return gic;
fail:
    free(gic);
    return NULL;
}

static int gic_realize(void *opaque)
{
    struct gic *gic = opaque;
    bool v3 = strcmp(gic->version, "2") != 0;
    bool v2 = strcmp(gic->version, "3") != 0;

    /* With version auto both the GICv3 and GICv2 windows stay reserved: which one KVM
     * provides is known only once the backend has asked it. */
    int ret = gic->host->map_region(gic->dev, VMB_SPACE_MMIO, gic->dist, DIST_SIZE, &gic_ops, gic);
    if (ret == 0 && v3)
        ret = gic->host->map_region(gic->dev, VMB_SPACE_MMIO, gic->redist, gic->redist_size,
                                    &gic_ops, gic);
    if (ret == 0 && v2)
        ret = gic->host->map_region(gic->dev, VMB_SPACE_MMIO, gic->cpu_interface,
                                    CPU_INTERFACE_SIZE, &gic_ops, gic);
    return ret;
}

static void gic_destroy(void *opaque)
{
    free(opaque);
}

static const struct vmb_fw_desc gic_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "arm,gic-v3\0arm,cortex-a15-gic\0",
    .acpi_hid = NULL,
    .acpi_cid = NULL,
};

static const struct vmb_device_type gic_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "gic",
    .description = "arm64 interrupt controller (in-kernel vGICv3 or vGICv2), distributor at mmio:",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = DIST_SIZE,
    .irq_count = 0,
    .props = gic_props,
    .fw = &gic_fw,
    .create = gic_create,
    .realize = gic_realize,
    .reset = NULL,
    .destroy = gic_destroy,
};

static const struct vmb_device_type *const gic_types[] = {&gic_type, NULL};

static const struct vmb_plugin gic_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "gic",
    .version = "1.0",
    .types = gic_types,
};

VMB_PLUGIN_DEFINE(gic_plugin)
