/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: claims the ABI version the build sets (ABI_MAJOR, ABI_MINOR): a future major,
 * a newer minor, or minor 0 (a plugin built before ABI 1.1). */
#include <stddef.h>

#include <vmboard/plugin.h>

static void *never_create(vmb_device *dev, const struct vmb_host *host)
{
    return NULL;
}

static const struct vmb_device_type type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-wrong-abi",
    .create = never_create,
};

static const struct vmb_device_type *const types[] = {&type, NULL};

static const struct vmb_plugin plugin = {
    .abi_major = ABI_MAJOR,
    .abi_minor = ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-wrong-abi",
    .version = "1.0",
    .types = types,
};

VMB_PLUGIN_DEFINE(plugin)
