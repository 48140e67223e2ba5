/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test plugin: structs as a plugin built against an older minor version fills them, with
 * `size` fields smaller than this header's sizeof. The fields past each size hold junk, so a
 * core that read them anyway would misbehave visibly:
 *  - its region ops end before min_access/max_access (junk: 2 and 2), so the core must use
 *    the defaults 1 and 8 and pass a 4-byte read through whole;
 *  - it asks machine_info for a struct that ends after `cpus`, with guard bytes behind it
 *    that the core must not touch.
 * Registers (MMIO or PIO, 0x20 bytes): any read returns (size << 8) | offset, except
 * +0x10 (4 bytes) the vCPU count machine_info gave, +0x18 (4 bytes) 1 if the guard is intact
 * and the core reported the small size back, else 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

#define OLD_INFO_SIZE (offsetof(struct vmb_machine_info, cpus) + sizeof(uint32_t))
#define GUARD_BYTE    0xaa

struct old_layout {
    vmb_device *dev;
    const struct vmb_host *host;
    uint32_t cpus;
    uint32_t info_ok;
};

static uint64_t old_read(void *opaque, uint64_t offset, unsigned size)
{
    struct old_layout *old = opaque;
    if (offset == 0x10)
        return old->cpus;
    if (offset == 0x18)
        return old->info_ok;
    return ((uint64_t)size << 8) | offset;
}

static void old_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
}

/* An older header's struct vmb_region_ops ended after `write`. */
static const struct vmb_region_ops old_ops = {
    .size = offsetof(struct vmb_region_ops, write) + sizeof(old_ops.write),
    .read = old_read,
    .write = old_write,
    .min_access = 2, /* junk past `size`: must be ignored */
    .max_access = 2,
};

static void *old_create(vmb_device *dev, const struct vmb_host *host)
{
    struct old_layout *old = calloc(1, sizeof(*old));
    if (!old) {
        host->error(dev, "out of memory");
        return NULL;
    }
    old->dev = dev;
    old->host = host;

    unsigned char buffer[sizeof(struct vmb_machine_info) + 16];
    memset(buffer, GUARD_BYTE, sizeof(buffer));
    struct vmb_machine_info *info = (struct vmb_machine_info *)buffer;
    info->size = OLD_INFO_SIZE;
    host->machine_info(dev, info);
    old->cpus = info->cpus;
    old->info_ok = info->size == OLD_INFO_SIZE;
    for (size_t i = OLD_INFO_SIZE; i < sizeof(buffer); i++) {
        if (buffer[i] != GUARD_BYTE)
            old->info_ok = 0;
    }
    return old;
}

static int old_realize(void *opaque)
{
    struct old_layout *old = opaque;
    enum vmb_space space;
    uint64_t base;

    if (old->host->device_address(old->dev, &space, &base) != 0) {
        old->host->error(old->dev, "needs mmio: or pio:");
        return -EINVAL;
    }
    return old->host->map_region(old->dev, space, base, 0x20, &old_ops, old);
}

static void old_destroy(void *opaque)
{
    free(opaque);
}

static const struct vmb_prop_spec old_props[] = {
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type old_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-old-layout",
    .description = "fills the ABI's structs as a plugin from an older minor version would",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 0x20,
    .props = old_props,
    .create = old_create,
    .realize = old_realize,
    .destroy = old_destroy,
};

static const struct vmb_device_type *const old_types[] = {&old_type, NULL};

static const struct vmb_plugin old_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = 0,
    .size = sizeof(struct vmb_plugin),
    .name = "test-old-layout",
    .version = "1.0",
    .types = old_types,
};

VMB_PLUGIN_DEFINE(old_plugin)
