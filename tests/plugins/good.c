/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: a well-formed plugin with two device types and every property type. */
#include <stdlib.h>

#include <vmboard/plugin.h>

struct scratch {
    vmb_device *dev;
    const struct vmb_host *host;
    uint64_t value;
};

static uint64_t scratch_read(void *opaque, uint64_t offset, unsigned size)
{
    struct scratch *s = opaque;
    return s->value >> (offset * 8);
}

static void scratch_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct scratch *s = opaque;
    s->value = value;
}

static const struct vmb_region_ops scratch_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = scratch_read,
    .write = scratch_write,
    .min_access = 1,
    .max_access = 8,
};

static void *scratch_create(vmb_device *dev, const struct vmb_host *host)
{
    struct scratch *s = calloc(1, sizeof(*s));
    if (!s) {
        host->error(dev, "out of memory");
        return NULL;
    }
    s->dev = dev;
    s->host = host;
    s->value = host->prop_uint(dev, "initial");
    if (host->prop_bool(dev, "fail-create")) {
        host->error(dev, "asked to fail by the board");
        free(s);
        return NULL;
    }
    return s;
}

static int scratch_realize(void *opaque)
{
    struct scratch *s = opaque;
    enum vmb_space space;
    uint64_t base;

    if (s->host->device_address(s->dev, &space, &base) != 0)
        return 0;
    return s->host->map_region(s->dev, space, base, 8, &scratch_ops, s);
}

static void scratch_destroy(void *opaque)
{
    free(opaque);
}

static const struct vmb_prop_spec scratch_props[] = {
    {"initial", VMB_PROP_UINT, "0", 0, "initial register value"},
    {"fail-create", VMB_PROP_BOOL, "false", 0, "make create() fail (for tests)"},
    {"label", VMB_PROP_STRING, NULL, 0, "free text"},
    {"offset", VMB_PROP_INT, "-1", 0, "a signed number"},
    {"buffer", VMB_PROP_SIZE, "4K", 0, "a size"},
    {NULL},
};

static const struct vmb_device_type scratch_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-scratch",
    .description = "an 8-byte scratch register",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_PIO,
    .window_size = 8,
    .irq_count = 1,
    .props = scratch_props,
    .create = scratch_create,
    .realize = scratch_realize,
    .destroy = scratch_destroy,
};

static const struct vmb_prop_spec needy_props[] = {
    {"path", VMB_PROP_STRING, NULL, VMB_PROP_REQUIRED, "a required path"},
    {NULL},
};

static const struct vmb_device_type needy_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-needy",
    .description = "needs an address, an irq and a path",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR | VMB_TYPE_NEEDS_IRQ,
    .window_size = 0x1000,
    .irq_count = 1,
    .props = needy_props,
    .create = scratch_create,
    .destroy = scratch_destroy,
};

static const struct vmb_device_type *const types[] = {&scratch_type, &needy_type, NULL};

static const struct vmb_plugin plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-good",
    .version = "1.0",
    .types = types,
};

VMB_PLUGIN_DEFINE(plugin)
