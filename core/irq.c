/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interrupt lines. Levels and rising-edge counts are kept for every VM so tests can observe
 * them; on a KVM VM a change of level is also passed to the in-kernel irqchip.
 */
#include "config.h"

#include "irq.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "util.h"
#include "vm.h"

static struct ratelimit irq_errors;

static bool irq_line_valid(unsigned line)
{
    if (line < IRQ_MAX_LINES)
        return true;
    vmb_log_guest_error(&irq_errors, "interrupt line %u out of range (0..%d)", line,
                        IRQ_MAX_LINES - 1);
    return false;
}

static bool irq_tell_kvm(struct vm *vm, unsigned line, int level)
{
    if (vm->vm_fd < 0)
        return true;
    struct kvm_irq_level irq = {
        .irq = vm->arch->irq_line_encode(vm, line),
        .level = level,
    };
    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
        static atomic_bool logged;
        if (!atomic_exchange(&logged, true))
            vmb_log_error("KVM_IRQ_LINE for line %u level %d failed: %s", line, level,
                          g_strerror(errno));
        return false;
    }
    return true;
}

/* Lines are driven by one device each and calls into a device are serialised, so the
 * exchange and the ioctl below need no lock to stay in order. */
bool irq_set_level(struct vm *vm, unsigned line, int level)
{
    if (!irq_line_valid(line))
        return false;
    level = level ? 1 : 0;
    int old = atomic_exchange_explicit(&vm->irq_levels[line], level, memory_order_acq_rel);
    if (old == level)
        return true;
    if (level)
        atomic_fetch_add_explicit(&vm->irq_raises[line], 1, memory_order_relaxed);
    return irq_tell_kvm(vm, line, level);
}

bool irq_pulse(struct vm *vm, unsigned line)
{
    if (!irq_line_valid(line))
        return false;
    /* An edge: raise then lower, whatever the line's level was. */
    bool raised = irq_set_level(vm, line, 1);
    bool lowered = irq_set_level(vm, line, 0);
    return raised && lowered;
}

int irq_level(struct vm *vm, unsigned line)
{
    if (line >= IRQ_MAX_LINES)
        return 0;
    return atomic_load_explicit(&vm->irq_levels[line], memory_order_acquire);
}

uint64_t irq_raise_count(struct vm *vm, unsigned line)
{
    if (line >= IRQ_MAX_LINES)
        return 0;
    return atomic_load_explicit(&vm->irq_raises[line], memory_order_relaxed);
}
