/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM_GET/SET_ONE_REG ids of the arm64 core registers. Each id is the KVM API's encoding:
 * KVM_REG_ARM64 | size field | KVM_REG_ARM_CORE | (offset of the field in struct kvm_regs / 4),
 * computed here from the uapi structures. This file needs only <linux/kvm.h> for arm64, so a
 * unit test can check the table on any host that has the arm64 uapi headers.
 */
#ifndef VMBOARD_ARCH_ARM64_REGS_H
#define VMBOARD_ARCH_ARM64_REGS_H

#include <stddef.h>
#include <stdint.h>

struct arm64_core_reg {
    const char *name; /* "x0", "pc", "v31", "fpsr", ... */
    uint64_t id;
    unsigned bytes;   /* 4, 8 or 16, from the id's size field */
};

/* Every core register, in struct kvm_regs order. */
const struct arm64_core_reg *arm64_core_regs(size_t *count);
/* The register named `name` (case-insensitive), or NULL. */
const struct arm64_core_reg *arm64_core_reg_by_name(const char *name);

/* Ids the backend uses directly. */
uint64_t arm64_reg_id_x(unsigned n); /* n in 0..30 */
uint64_t arm64_reg_id_pc(void);
uint64_t arm64_reg_id_pstate(void);

#endif
