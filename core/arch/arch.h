/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interface an architecture backend implements; a board's `arch:` picks one. Backends
 * only build for their own host architecture (KVM runs guests of the host's kind); the others
 * are absent and a board naming them fails in board_check_host_arch() before any ioctl.
 */
#ifndef VMBOARD_ARCH_H
#define VMBOARD_ARCH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmboard/plugin.h"

struct vm;
struct vcpu;

/* What the vCPU loop should do after the backend handled an exit. */
enum arch_exit_action {
    ARCH_EXIT_CONTINUE = 0, /* run again */
    ARCH_EXIT_STOP,         /* the backend called vm_request_stop() */
    ARCH_EXIT_UNHANDLED,    /* not an arch exit: the generic code reports it as fatal */
};

struct arch_ops {
    enum vmb_arch arch;
    const char *name;
    /* After the VM fd exists: irqchip, timers, RAM slots (memory_add_ram). */
    bool (*vm_init)(struct vm *vm, GError **error);
    /* Load the boot payload into RAM and remember the entry state for vcpu_init. Runs after
     * devices are realized (tables may describe them). */
    bool (*load)(struct vm *vm, GError **error);
    /* Set up a new vCPU: CPUID, registers, MP state (secondaries wait for INIT/SIPI or PSCI). */
    bool (*vcpu_init)(struct vcpu *vcpu, GError **error);
    /* After all vCPUs exist (e.g. GIC init). Optional. */
    bool (*vm_late_init)(struct vm *vm, GError **error);
    /* Exits the generic loop does not know. Optional. */
    enum arch_exit_action (*handle_exit)(struct vcpu *vcpu);
    /* Append the vCPU's registers, readable by a person, for fatal errors. */
    void (*dump_registers)(struct vcpu *vcpu, GString *out);
    /* KVM_IRQ_LINE's irq field for a board irq number. */
    uint32_t (*irq_line_encode)(struct vm *vm, unsigned line);
    void (*vm_destroy)(struct vm *vm); /* optional: free arch_state */
    void (*vcpu_destroy)(struct vcpu *vcpu); /* optional */
    /* Read shadows (host->mmio_shadow) are offered. On arm64 the guest reads device
     * registers uncached, so the core cleans published stores to the point of coherency
     * (host->mmio_shadow_publish); x86 keeps uncached reads coherent by itself. */
    bool mmio_shadow;
};

/* The backend for `arch`, or NULL if this build has none (another host architecture). */
const struct arch_ops *arch_lookup(enum vmb_arch arch);

#endif
