/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * debug-exit: lets a guest end vmboard with a status of its choosing, like QEMU's
 * isa-debug-exit, so test kernels written for QEMU work unchanged. Writing V (1, 2 or 4 bytes
 * at offset 0) ends the run with status (V << 1) | 1: a guest can never produce 0, so a clean
 * exit stays distinguishable from a guest-reported one.
 *
 * The operating system keeps only the low 8 bits of a process exit status, so that is what
 * we pass on: V = 0x10 gives 33, V = 0x80 gives 1.
 *
 * Reads return all-ones (QEMU's device returns 0): the register is write-only, and all-ones is
 * what a read of a port with nothing behind it gives, so probing code sees no device state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <vmboard/plugin.h>

struct debug_exit {
    vmb_device *dev;
    const struct vmb_host *host;
};

static uint64_t debug_exit_read(void *opaque, uint64_t offset, unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
}

static void debug_exit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct debug_exit *de = opaque;

    if (offset != 0 || size > 4) {
        de->host->guest_error(de->dev,
                              "%u-byte write at offset %llu ignored: write 1, 2 or 4 bytes at 0",
                              size, (unsigned long long)offset);
        return;
    }
    int status = (int)(((value << 1) | 1) & 0xff);
    de->host->request_exit(de->dev, status); /* first: it flushes the guest's output */
    de->host->log(de->dev, VMB_LOG_INFO, "guest wrote 0x%llx: exit status %d",
                  (unsigned long long)value, status);
}

static const struct vmb_region_ops debug_exit_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = debug_exit_read,
    .write = debug_exit_write,
    .min_access = 1,
    .max_access = 4,
};

static void *debug_exit_create(vmb_device *dev, const struct vmb_host *host)
{
    struct debug_exit *de = calloc(1, sizeof(*de));
    if (!de) {
        host->error(dev, "out of memory");
        return NULL;
    }
    de->dev = dev;
    de->host = host;
    return de;
}

static int debug_exit_realize(void *opaque)
{
    struct debug_exit *de = opaque;
    enum vmb_space space;
    uint64_t base;

    if (de->host->device_address(de->dev, &space, &base) != 0) {
        de->host->error(de->dev, "needs an address: give it pio: PORT or mmio: ADDRESS");
        return -EINVAL;
    }
    return de->host->map_region(de->dev, space, base, 4, &debug_exit_ops, de);
}

static void debug_exit_destroy(void *opaque)
{
    free(opaque);
}

static const struct vmb_prop_spec debug_exit_props[] = {
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type debug_exit_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "debug-exit",
    .description = "a guest write of V ends vmboard with exit status (V << 1) | 1",
    .flags = VMB_TYPE_PIO | VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 4,
    .irq_count = 0,
    .props = debug_exit_props,
    .fw = NULL,
    .create = debug_exit_create,
    .realize = debug_exit_realize,
    .reset = NULL,
    .destroy = debug_exit_destroy,
};

static const struct vmb_device_type *const debug_exit_types[] = {&debug_exit_type, NULL};

static const struct vmb_plugin debug_exit_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "debug-exit",
    .version = "1.0",
    .types = debug_exit_types,
};

VMB_PLUGIN_DEFINE(debug_exit_plugin)
