/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "arch/arm64/regs.h"

#include <linux/kvm.h>
#include <strings.h>

/* Bytes of a register from the KVM_REG_SIZE field of its id (log2 of the size). */
#define ID_BYTES(id) (1u << (((id) & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT))

#define CORE_ID(size, field)                                                                    \
    (KVM_REG_ARM64 | (uint64_t)(size) | KVM_REG_ARM_CORE |                                      \
     (uint64_t)(offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

#define CORE(name, size, field) {name, CORE_ID(size, field), ID_BYTES(CORE_ID(size, field))}
#define X(n) CORE("x" #n, KVM_REG_SIZE_U64, regs.regs[n])
#define V(n) CORE("v" #n, KVM_REG_SIZE_U128, fp_regs.vregs[n])

static const struct arm64_core_reg core_regs[] = {
    X(0),  X(1),  X(2),  X(3),  X(4),  X(5),  X(6),  X(7),  X(8),  X(9),  X(10),
    X(11), X(12), X(13), X(14), X(15), X(16), X(17), X(18), X(19), X(20), X(21),
    X(22), X(23), X(24), X(25), X(26), X(27), X(28), X(29), X(30),
    CORE("sp", KVM_REG_SIZE_U64, regs.sp),
    CORE("pc", KVM_REG_SIZE_U64, regs.pc),
    CORE("pstate", KVM_REG_SIZE_U64, regs.pstate),
    CORE("sp_el1", KVM_REG_SIZE_U64, sp_el1),
    CORE("elr_el1", KVM_REG_SIZE_U64, elr_el1),
    CORE("spsr_el1", KVM_REG_SIZE_U64, spsr[KVM_SPSR_EL1]),
    CORE("spsr_abt", KVM_REG_SIZE_U64, spsr[KVM_SPSR_ABT]),
    CORE("spsr_und", KVM_REG_SIZE_U64, spsr[KVM_SPSR_UND]),
    CORE("spsr_irq", KVM_REG_SIZE_U64, spsr[KVM_SPSR_IRQ]),
    CORE("spsr_fiq", KVM_REG_SIZE_U64, spsr[KVM_SPSR_FIQ]),
    V(0),  V(1),  V(2),  V(3),  V(4),  V(5),  V(6),  V(7),  V(8),  V(9),  V(10),
    V(11), V(12), V(13), V(14), V(15), V(16), V(17), V(18), V(19), V(20), V(21),
    V(22), V(23), V(24), V(25), V(26), V(27), V(28), V(29), V(30), V(31),
    CORE("fpsr", KVM_REG_SIZE_U32, fp_regs.fpsr),
    CORE("fpcr", KVM_REG_SIZE_U32, fp_regs.fpcr),
};

const struct arm64_core_reg *arm64_core_regs(size_t *count)
{
    *count = sizeof(core_regs) / sizeof(core_regs[0]);
    return core_regs;
}

const struct arm64_core_reg *arm64_core_reg_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(core_regs) / sizeof(core_regs[0]); i++) {
        if (strcasecmp(core_regs[i].name, name) == 0)
            return &core_regs[i];
    }
    return NULL;
}

uint64_t arm64_reg_id_x(unsigned n)
{
    return n <= 30 ? core_regs[n].id : 0;
}

uint64_t arm64_reg_id_pc(void)
{
    return CORE_ID(KVM_REG_SIZE_U64, regs.pc);
}

uint64_t arm64_reg_id_pstate(void)
{
    return CORE_ID(KVM_REG_SIZE_U64, regs.pstate);
}
