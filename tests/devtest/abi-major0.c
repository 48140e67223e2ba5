/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test plugin: what a plugin built against a pre-1.0 header looks like to this core. The
 * descriptor's first field, abi_major, says 0; the core must refuse it with the documented
 * message before reading anything else.
 */
#include <stddef.h>

#include <vmboard/plugin.h>

static void *never_create(vmb_device *dev, const struct vmb_host *host)
{
    host->error(dev, "an ABI 0 plugin must never be instantiated");
    return NULL;
}

static const struct vmb_device_type old_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-abi0",
    .create = never_create,
};

static const struct vmb_device_type *const old_types[] = {&old_type, NULL};

static const struct vmb_plugin old_plugin = {
    .abi_major = 0,
    .abi_minor = 9,
    .size = sizeof(struct vmb_plugin),
    .name = "test-abi0",
    .version = "0.9",
    .types = old_types,
};

VMB_PLUGIN_DEFINE(old_plugin)
