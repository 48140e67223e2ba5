/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio plugin: one transport (transport.c, virtqueue.c) and the device types built
 * on it. Backends describe every instance from virtio_mmio_fw alone: a `virtio,mmio` device
 * tree node or an ACPI `LNRO0005` device with the window and the interrupt, level-triggered,
 * active high.
 */
#include "virtio.h"

const struct vmb_fw_desc virtio_mmio_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "virtio,mmio\0",
    .acpi_hid = "LNRO0005",
    .acpi_cid = NULL,
};

static const struct vmb_device_type *const virtio_types[] = {
    &virtio_blk_type, &virtio_net_type, &virtio_console_type, &virtio_rng_type, NULL,
};

static const struct vmb_plugin virtio_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "virtio-mmio",
    .version = "1.0",
    .types = virtio_types,
};

VMB_PLUGIN_DEFINE(virtio_plugin)
