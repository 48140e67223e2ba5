/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arm64 backend: RAM from 1 GiB, the in-kernel vGIC (gic.c), payload and device tree
 * (boot.c, fdt.c), vCPU setup through KVM_ARM_VCPU_INIT and ONE_REG, register dumps.
 *
 * Every vCPU is created with PSCI 0.2 handled inside KVM. vCPU 0 starts at the payload's
 * entry with x0 = device tree; the others start powered off and the guest brings them up
 * with PSCI CPU_ON, which KVM serves without an exit. PSCI SYSTEM_OFF and SYSTEM_RESET come
 * back as KVM_EXIT_SYSTEM_EVENT, which the generic vCPU loop turns into a clean stop.
 */
#include "config.h"

#include "arch/arm64/arm64.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arch/arm64/regs.h"
#include "memory.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

/* PSTATE at entry: EL1 using SP_EL1, debug, SError, IRQ and FIQ masked (booting.txt). */
#define ARM64_PSTATE_EL1H_MASKED 0x3c5ull

struct arm64_capability_need {
    int cap;
    const char *name;
    const char *why;
};

static const struct arm64_capability_need arm64_caps[] = {
    {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG", "setting vCPU registers"},
    {KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2", "starting and stopping vCPUs (PSCI 0.2)"},
};

uint64_t arm64_vcpu_mpidr(unsigned index)
{
    /* KVM's reset value: Aff0 holds 16 vCPUs (the GICv3 SGI target list limit), then Aff1. */
    return (index & 0xfull) | (((uint64_t)(index >> 4) & 0xff) << 8) |
           (((uint64_t)(index >> 12) & 0xff) << 16);
}

static bool arm64_vm_init(struct vm *vm, GError **error)
{
    struct arm64_state *state = g_new0(struct arm64_state, 1);
    state->gic.fd = -1;
    vm->arch_state = state;

    for (size_t i = 0; i < G_N_ELEMENTS(arm64_caps); i++) {
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, arm64_caps[i].cap) <= 0) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "this host's KVM lacks %s, needed for %s",
                        arm64_caps[i].name, arm64_caps[i].why);
            return false;
        }
    }
    if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &state->preferred) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_ARM_PREFERRED_TARGET failed: %s",
                    g_strerror(errno));
        return false;
    }

#ifdef KVM_CAP_ARM_NISV_TO_USER
    /* Device accesses KVM cannot decode come to us (and are reported with the registers)
     * instead of failing KVM_RUN with a bare ENOSYS. */
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0) {
        struct kvm_enable_cap nisv = {.cap = KVM_CAP_ARM_NISV_TO_USER};
        if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &nisv) < 0)
            vmb_log_warn("KVM_ENABLE_CAP KVM_CAP_ARM_NISV_TO_USER failed: %s", g_strerror(errno));
    }
#endif

    uint64_t ram = (vm->board->memory + 4095) & ~4095ull;
    if (ram > ARM64_RAM_LIMIT - ARM64_RAM_BASE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: memory %" PRIu64 " MiB is more than the arm64 layout holds (%" PRIu64
                    " MiB from 1 GiB up)",
                    board_loc_str(&vm->board->memory_loc), ram >> 20,
                    (ARM64_RAM_LIMIT - ARM64_RAM_BASE) >> 20);
        return false;
    }
    /* The vGIC exists before the vCPUs so KVM sizes it for them; it is initialised in
     * vm_late_init once they all exist. */
    if (!arm64_gic_create(vm, &state->gic, error))
        return false;
    return memory_add_ram(vm->mem, ARM64_RAM_BASE, ram, error);
}

static bool arm64_load(struct vm *vm, GError **error)
{
    return arm64_load_payload(vm, vm->arch_state, error);
}

static bool set_one_reg(struct vcpu *vcpu, uint64_t id, uint64_t value, const char *name,
                        GError **error)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)&value};
    if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_SET_ONE_REG %s failed: %s", name,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static bool arm64_vcpu_init(struct vcpu *vcpu, GError **error)
{
    const struct arm64_state *state = vcpu->vm->arch_state;
    struct kvm_vcpu_init init = state->preferred;

    memset(init.features, 0, sizeof(init.features));
    init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (vcpu->index != 0)
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* until PSCI CPU_ON */
    if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_ARM_VCPU_INIT (target %u) failed: %s",
                    init.target, g_strerror(errno));
        return false;
    }
    if (vcpu->index != 0)
        return true;

    /* Linux arm64 boot protocol: x0 = device tree, x1..x3 = 0, MMU off, EL1h, DAIF masked. */
    if (!set_one_reg(vcpu, arm64_reg_id_pstate(), ARM64_PSTATE_EL1H_MASKED, "pstate", error) ||
        !set_one_reg(vcpu, arm64_reg_id_x(0), state->dtb_gpa, "x0", error))
        return false;
    for (unsigned n = 1; n <= 3; n++) {
        if (!set_one_reg(vcpu, arm64_reg_id_x(n), 0, "x1-x3", error))
            return false;
    }
    return set_one_reg(vcpu, arm64_reg_id_pc(), state->entry_pc, "pc", error);
}

static bool arm64_vm_late_init(struct vm *vm, GError **error)
{
    struct arm64_state *state = vm->arch_state;
    return arm64_gic_finalize(vm, &state->gic, error);
}

static enum arch_exit_action arm64_handle_exit(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;

#ifdef KVM_EXIT_ARM_NISV
    if (run->exit_reason == KVM_EXIT_ARM_NISV) {
        /* A device access KVM could not decode (load/store pair, writeback, ...): we cannot
         * emulate it either without decoding guest instructions, so it is fatal. */
        vmb_log_error("vCPU %u: the guest accessed device address 0x%llx with an instruction "
                      "KVM cannot emulate (no valid syndrome; ESR 0x%llx)",
                      vcpu->index, (unsigned long long)run->arm_nisv.fault_ipa,
                      (unsigned long long)run->arm_nisv.esr_iss);
    }
#endif
    return ARCH_EXIT_UNHANDLED;
}

/* ---- register dumps -------------------------------------------------------------------- */

static bool get_one_reg(struct vcpu *vcpu, uint64_t id, void *value)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)value};
    return ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) == 0;
}

static const char *exception_level_name(uint64_t pstate)
{
    static const char *const modes[16] = {
        [0x0] = "EL0t", [0x4] = "EL1t", [0x5] = "EL1h", [0x8] = "EL2t", [0x9] = "EL2h",
    };
    if (pstate & 0x10)
        return "AArch32";
    const char *name = modes[pstate & 0xf];
    return name ? name : "reserved mode";
}

static const struct {
    const char *name;
    uint64_t id;
} dump_sysregs[] = {
    {"mpidr_el1", ARM64_SYS_REG(3, 0, 0, 0, 5)},  {"sctlr_el1", ARM64_SYS_REG(3, 0, 1, 0, 0)},
    {"esr_el1", ARM64_SYS_REG(3, 0, 5, 2, 0)},    {"far_el1", ARM64_SYS_REG(3, 0, 6, 0, 0)},
    {"vbar_el1", ARM64_SYS_REG(3, 0, 12, 0, 0)},  {"tcr_el1", ARM64_SYS_REG(3, 0, 2, 0, 2)},
    {"ttbr0_el1", ARM64_SYS_REG(3, 0, 2, 0, 0)},  {"ttbr1_el1", ARM64_SYS_REG(3, 0, 2, 0, 1)},
};

/* How many registers KVM_GET_REG_LIST offers, by class, so a dump says what else exists. */
static void dump_reg_list_summary(struct vcpu *vcpu, GString *out)
{
    struct kvm_reg_list probe = {.n = 0};
    if (ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG) {
        g_string_append_printf(out, "  KVM_GET_REG_LIST: %s\n", g_strerror(errno));
        return;
    }
    struct kvm_reg_list *list = g_malloc0(sizeof(*list) + probe.n * sizeof(uint64_t));
    list->n = probe.n;
    if (ioctl(vcpu->fd, KVM_GET_REG_LIST, list) < 0) {
        g_string_append_printf(out, "  KVM_GET_REG_LIST: %s\n", g_strerror(errno));
        g_free(list);
        return;
    }
    unsigned core = 0, system = 0, firmware = 0, other = 0;
    for (uint64_t i = 0; i < list->n; i++) {
        switch (list->reg[i] & KVM_REG_ARM_COPROC_MASK) {
        case KVM_REG_ARM_CORE:
            core++;
            break;
        case KVM_REG_ARM64_SYSREG:
            system++;
            break;
        case KVM_REG_ARM_FW:
            firmware++;
            break;
        default:
            other++;
            break;
        }
    }
    g_string_append_printf(out,
                           "  KVM_GET_REG_LIST: %llu registers (%u core, %u system, %u firmware, "
                           "%u other)\n",
                           (unsigned long long)list->n, core, system, firmware, other);
    g_free(list);
}

static void arm64_dump_registers(struct vcpu *vcpu, GString *out)
{
    size_t count;
    const struct arm64_core_reg *regs = arm64_core_regs(&count);
    unsigned column = 0;
    uint64_t pstate = 0;

    for (size_t i = 0; i < count; i++) {
        if (regs[i].bytes != 8)
            continue; /* V0-V31 and FPSR/FPCR say little about a crash */
        uint64_t value;
        if (!get_one_reg(vcpu, regs[i].id, &value)) {
            g_string_append_printf(out, "  (%s unavailable: %s)\n", regs[i].name,
                                   g_strerror(errno));
            return;
        }
        if (strcmp(regs[i].name, "pstate") == 0)
            pstate = value;
        g_string_append_printf(out, "%s%-8s=%016" PRIx64, column ? " " : "  ", regs[i].name,
                               value);
        if (++column == 4) {
            g_string_append_c(out, '\n');
            column = 0;
        }
    }
    if (column)
        g_string_append_c(out, '\n');
    g_string_append_printf(out, "  pstate: %s, DAIF=%c%c%c%c, NZCV=%c%c%c%c\n",
                           exception_level_name(pstate), (pstate & (1 << 9)) ? 'D' : '-',
                           (pstate & (1 << 8)) ? 'A' : '-', (pstate & (1 << 7)) ? 'I' : '-',
                           (pstate & (1 << 6)) ? 'F' : '-', (pstate & (1u << 31)) ? 'N' : '-',
                           (pstate & (1 << 30)) ? 'Z' : '-', (pstate & (1 << 29)) ? 'C' : '-',
                           (pstate & (1 << 28)) ? 'V' : '-');
    column = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(dump_sysregs); i++) {
        uint64_t value;
        if (!get_one_reg(vcpu, dump_sysregs[i].id, &value))
            continue;
        g_string_append_printf(out, "%s%-9s=%016" PRIx64, column ? " " : "  ",
                               dump_sysregs[i].name, value);
        if (++column == 4) {
            g_string_append_c(out, '\n');
            column = 0;
        }
    }
    if (column)
        g_string_append_c(out, '\n');
    dump_reg_list_summary(vcpu, out);
    if (out->len && out->str[out->len - 1] == '\n')
        g_string_truncate(out, out->len - 1);
}

static uint32_t arm64_irq_line_encode(struct vm *vm, unsigned line)
{
    /* Board irq N is shared peripheral interrupt N, GIC interrupt id 32 + N. */
    return (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) |
           ((ARM64_GIC_SPI_BASE + line) & KVM_ARM_IRQ_NUM_MASK);
}

static void arm64_vm_destroy(struct vm *vm)
{
    struct arm64_state *state = vm->arch_state;
    if (!state)
        return;
    arm64_gic_destroy(&state->gic);
    g_free(state);
    vm->arch_state = NULL;
}

const struct arch_ops arm64_arch_ops = {
    .arch = VMB_ARCH_ARM64,
    .name = "arm64",
    .vm_init = arm64_vm_init,
    .load = arm64_load,
    .vcpu_init = arm64_vcpu_init,
    .vm_late_init = arm64_vm_late_init,
    .handle_exit = arm64_handle_exit,
    .dump_registers = arm64_dump_registers,
    .irq_line_encode = arm64_irq_line_encode,
    .vm_destroy = arm64_vm_destroy,
    .mmio_shadow = true,
};
