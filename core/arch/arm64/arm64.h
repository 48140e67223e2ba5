/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of the arm64 backend, shared by its files. See docs/arm64.md. */
#ifndef VMBOARD_ARCH_ARM64_H
#define VMBOARD_ARCH_ARM64_H

#include <glib.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct arch_ops;
struct board_device;
struct vm;
struct vcpu;

extern const struct arch_ops arm64_arch_ops;

/* Guest-physical layout: devices below 1 GiB (the board places them), RAM from 1 GiB. */
#define ARM64_RAM_BASE UINT64_C(0x40000000)
#define ARM64_RAM_LIMIT (UINT64_C(1) << 39) /* KVM's default 40-bit IPA space, with room to spare */
#define ARM64_SIZE_2M (UINT64_C(2) << 20)
#define ARM64_DTB_MAX_SIZE ARM64_SIZE_2M /* arm64 booting.txt limit */

/* One GICv3 redistributor: RD_base and SGI_base frames of 64 KiB each. */
#define ARM64_GIC_REDIST_STRIDE UINT64_C(0x20000)
#define ARM64_GIC_DIST_SIZE UINT64_C(0x10000)
#define ARM64_GIC_CPU_SIZE UINT64_C(0x2000)
/* Interrupt ids KVM's vGIC is configured with: 32 private + 224 shared (board irq 0..223). */
#define ARM64_GIC_NR_IRQS 256u
#define ARM64_GIC_SPI_BASE 32u

/* Phandles of the nodes the FDT refers to. */
#define ARM64_PHANDLE_GIC 1u
#define ARM64_PHANDLE_CLOCK 2u

struct arm64_gic {
    bool present;
    unsigned version; /* 2 or 3 */
    int fd;           /* KVM device fd, -1 before creation */
    uint64_t dist_base;
    uint64_t redist_base, redist_size; /* v3 */
    uint64_t cpu_base;                 /* v2 */
};

struct arm64_state {
    struct kvm_vcpu_init preferred; /* KVM_ARM_PREFERRED_TARGET */
    struct arm64_gic gic;
    uint64_t entry_pc;
    uint64_t dtb_gpa;
    uint64_t initrd_start, initrd_end; /* 0, 0 without an initrd */
};

/* MPIDR_EL1 affinity KVM gives vCPU `index` (and the DT's cpu reg value). */
uint64_t arm64_vcpu_mpidr(unsigned index);

/* gic.c: the in-kernel vGIC, configured by the board's `gic` device (docs/arm64.md). */
const struct board_device *arm64_board_gic(const struct vm *vm);
bool arm64_gic_create(struct vm *vm, struct arm64_gic *gic, GError **error);
bool arm64_gic_finalize(struct vm *vm, struct arm64_gic *gic, GError **error);
void arm64_gic_destroy(struct arm64_gic *gic);

/* boot.c: kernel (arm64 Image or flat binary), initrd and device tree into RAM. */
bool arm64_load_payload(struct vm *vm, struct arm64_state *state, GError **error);
/* True when the buffer starts with an arm64 Image header (magic "ARM\x64" at 56). */
bool arm64_is_image(const uint8_t *data, size_t length);

/* fdt.c: the flattened device tree describing the board. Returns a g_malloc'd blob. */
void *arm64_build_fdt(struct vm *vm, const struct arm64_state *state, size_t *size,
                      GError **error);

#endif
