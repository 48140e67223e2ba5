/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The in-kernel vGIC. The board declares it as a device of type `gic` (the `gic` plugin gives
 * the type its properties and reserves its windows on the bus); the backend creates it here
 * because only the backend holds the VM fd and runs at the two moments KVM needs: creation and
 * addresses before the vCPUs, KVM_DEV_ARM_VGIC_CTRL_INIT after all of them exist.
 * docs/arm64.md explains the choice.
 */
#include "config.h"

#include "arch/arm64/arm64.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "board.h"
#include "util.h"
#include "vm.h"

#define GIC_TYPE_NAME "gic"

const struct board_device *arm64_board_gic(const struct vm *vm)
{
    for (guint i = 0; i < vm->board->devices->len; i++) {
        const struct board_device *decl = vm->board->devices->pdata[i];
        if (strcmp(decl->type, GIC_TYPE_NAME) == 0)
            return decl;
    }
    return NULL;
}

static uint64_t prop_uint(const struct board_device *decl, const char *name, uint64_t fallback)
{
    const struct device_prop_value *value = board_device_value(decl, name);
    return value && value->present ? value->uint_value : fallback;
}

static const char *prop_string(const struct board_device *decl, const char *name,
                               const char *fallback)
{
    const struct device_prop_value *value = board_device_value(decl, name);
    return value && value->present ? value->string_value : fallback;
}

static int set_attr(int fd, uint32_t group, uint64_t attr, void *value)
{
    struct kvm_device_attr request = {
        .group = group,
        .attr = attr,
        .addr = (uint64_t)(uintptr_t)value,
    };
    return ioctl(fd, KVM_SET_DEVICE_ATTR, &request) < 0 ? -errno : 0;
}

/* KVM_CREATE_DEVICE for one vGIC model; -errno when the host cannot provide it. */
static int create_device(struct vm *vm, uint32_t type)
{
    struct kvm_create_device create = {.type = type};
    if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &create) < 0)
        return -errno;
    return (int)create.fd;
}

static bool set_address(struct arm64_gic *gic, const struct board_device *decl, uint64_t type,
                        uint64_t address, const char *what, GError **error)
{
    int err = set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &address);
    if (err == 0)
        return true;
    g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                "%s: the in-kernel GICv%u refused its %s at 0x%" PRIx64 ": %s%s",
                board_loc_str(&decl->loc), gic->version, what, address, g_strerror(-err),
                err == -EINVAL ? " (addresses must be 64 KiB aligned and inside the guest's "
                                 "physical address space)"
                               : "");
    return false;
}

bool arm64_gic_create(struct vm *vm, struct arm64_gic *gic, GError **error)
{
    const struct board_device *decl = arm64_board_gic(vm);
    if (!decl)
        return true; /* no interrupt controller: tiny guests only (docs/arm64.md) */

    const char *wanted = prop_string(decl, "version", "auto");
    bool try_v3 = strcmp(wanted, "auto") == 0 || strcmp(wanted, "3") == 0;
    bool try_v2 = strcmp(wanted, "auto") == 0 || strcmp(wanted, "2") == 0;
    if (!try_v3 && !try_v2) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: gic version must be auto, 3 or 2, not '%s'", board_loc_str(&decl->loc),
                    wanted);
        return false;
    }

    int v3 = -ENODEV, v2 = -ENODEV;
    if (try_v3) {
        v3 = create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
        if (v3 >= 0) {
            gic->fd = v3;
            gic->version = 3;
        }
    }
    if (gic->fd < 0 && try_v2) {
        v2 = create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V2);
        if (v2 >= 0) {
            gic->fd = v2;
            gic->version = 2;
        }
    }
    if (gic->fd < 0) {
        GString *why = g_string_new(NULL);
        if (try_v3)
            g_string_append_printf(why, "GICv3: %s", g_strerror(-v3));
        if (try_v2)
            g_string_append_printf(why, "%sGICv2: %s", try_v3 ? "; " : "", g_strerror(-v2));
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "%s: this host's KVM cannot create an in-kernel GIC (%s). Use a host whose "
                    "interrupt controller KVM can virtualize%s",
                    board_loc_str(&decl->loc), why->str,
                    try_v2 && try_v3 ? "" : ", or set the gic's version to auto");
        g_string_free(why, TRUE);
        return false;
    }
    gic->present = true;
    gic->dist_base = decl->address;

    uint32_t nr_irqs = ARM64_GIC_NR_IRQS;
    int err = set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
    if (err) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "%s: setting the GIC's %u interrupts: %s",
                    board_loc_str(&decl->loc), nr_irqs, g_strerror(-err));
        return false;
    }

    if (gic->version == 3) {
        gic->redist_base = prop_uint(decl, "redistributor", 0);
        gic->redist_size = ARM64_GIC_REDIST_STRIDE * vm->board->cpus;
        return set_address(gic, decl, KVM_VGIC_V3_ADDR_TYPE_DIST, gic->dist_base, "distributor",
                           error) &&
               set_address(gic, decl, KVM_VGIC_V3_ADDR_TYPE_REDIST, gic->redist_base,
                           "redistributors", error);
    }
    if (vm->board->cpus > 8) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: this host offers only GICv2, which serves at most 8 vCPUs, not %u",
                    board_loc_str(&decl->loc), vm->board->cpus);
        return false;
    }
    gic->cpu_base = prop_uint(decl, "cpu-interface", 0);
    return set_address(gic, decl, KVM_VGIC_V2_ADDR_TYPE_DIST, gic->dist_base, "distributor",
                       error) &&
           set_address(gic, decl, KVM_VGIC_V2_ADDR_TYPE_CPU, gic->cpu_base, "CPU interface",
                       error);
}

bool arm64_gic_finalize(struct vm *vm, struct arm64_gic *gic, GError **error)
{
    const unsigned spis = ARM64_GIC_NR_IRQS - ARM64_GIC_SPI_BASE;

    for (guint i = 0; i < vm->board->devices->len; i++) {
        const struct board_device *decl = vm->board->devices->pdata[i];
        if (decl->irq < 0)
            continue;
        if (!gic->present) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: device '%s' has irq %d, but the board has no gic device to "
                        "deliver it",
                        board_loc_str(&decl->irq_loc), decl->id, decl->irq);
            return false;
        }
        if ((unsigned)decl->irq >= spis) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: irq %d is out of range: arm64 boards number shared peripheral "
                        "interrupts 0..%u",
                        board_loc_str(&decl->irq_loc), decl->irq, spis - 1);
            return false;
        }
    }
    if (!gic->present)
        return true;
    int err = set_attr(gic->fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
    if (err) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "initialising the in-kernel GICv%u: %s",
                    gic->version, g_strerror(-err));
        return false;
    }
    return true;
}

void arm64_gic_destroy(struct arm64_gic *gic)
{
    if (gic->fd >= 0)
        close(gic->fd);
    gic->fd = -1;
}
