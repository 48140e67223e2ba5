/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: a property whose default is not a value of its type. */
#include <stddef.h>

#include <vmboard/plugin.h>

static void *never_create(vmb_device *dev, const struct vmb_host *host)
{
    return NULL;
}

static const struct vmb_prop_spec props[] = {
    {"count", VMB_PROP_UINT, "many", 0, "a number with a broken default"},
    {NULL},
};

static const struct vmb_device_type type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-bad-default",
    .props = props,
    .create = never_create,
};

static const struct vmb_device_type *const types[] = {&type, NULL};

static const struct vmb_plugin plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-bad-default",
    .version = "1.0",
    .types = types,
};

VMB_PLUGIN_DEFINE(plugin)
