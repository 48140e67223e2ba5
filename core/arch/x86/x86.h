/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of the x86_64 backend, shared by its files. */
#ifndef VMBOARD_ARCH_X86_H
#define VMBOARD_ARCH_X86_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct arch_ops;
struct kvm_cpuid2;
struct vm;
struct vcpu;

extern const struct arch_ops x86_arch_ops;

/* Guest-physical layout (see docs/board-format.md, "x86_64 memory map"). */
#define X86_RAM_LOW_LIMIT 0xc0000000ull  /* RAM above this goes above 4 GiB */
#define X86_HIGH_RAM_BASE 0x100000000ull
#define X86_LAPIC_BASE 0xfee00000ull
#define X86_IOAPIC_BASE 0xfec00000ull

enum x86_cpu_mode {
    X86_MODE_REAL = 0,    /* CS:IP from entry, 16-bit */
    X86_MODE_PROTECTED32, /* flat 4 GiB segments, paging off (multiboot, PVH) */
    X86_MODE_LONG,        /* identity-mapped page tables, 64-bit code segment */
};

/* How the bootstrap processor starts; filled by a loader, applied by vcpu_init to vCPU 0.
 * Secondary vCPUs wait for INIT/SIPI in the in-kernel LAPIC. */
struct x86_entry {
    enum x86_cpu_mode mode;
    uint64_t rip;
    uint64_t rsp;
    uint64_t rax, rbx, rsi; /* multiboot: eax = magic, ebx = info; Linux: rsi = zero page */
};

struct x86_state {
    struct x86_entry entry;
    /* Guest-physical address of page tables / GDT built for long and protected mode. */
    uint64_t gdt_gpa;
    uint64_t pml4_gpa;
    /* Segment selectors the entry loads; 0 means the X86_GDT_* defaults below. The Linux
     * 64-bit boot protocol wants code at 0x10 and data at 0x18. */
    uint16_t code_selector;
    uint16_t data_selector;
    /* KVM_GET_SUPPORTED_CPUID, read once; each vCPU gets a copy with its own APIC ids. */
    struct kvm_cpuid2 *supported_cpuid;
};

/* Selectors of the GDT the flat long-mode loader builds at gdt_gpa. */
#define X86_GDT_CODE64 0x08
#define X86_GDT_DATA 0x10
#define X86_GDT_CODE32 0x18
#define X86_GDT_ENTRIES 4

/* Loaders: read the board's kernel (and initrd, cmdline), place them in RAM, fill *entry. */
bool x86_load_flat(struct vm *vm, struct x86_entry *entry, GError **error);
bool x86_load_multiboot(struct vm *vm, struct x86_entry *entry, GError **error);
/* True when the file starts like a multiboot v1 ELF image (header in the first 8 KiB). */
bool x86_is_multiboot(const uint8_t *image, size_t length);

/* Linux boot: bzImage through the boot protocol's 64-bit entry, ELF vmlinux through its PVH
 * entry note (32-bit, hvm_start_info). */
bool x86_load_bzimage(struct vm *vm, struct x86_entry *entry, GError **error);
bool x86_load_pvh(struct vm *vm, struct x86_entry *entry, GError **error);
/* True when the image carries the boot protocol's "HdrS" setup header. */
bool x86_is_bzimage(const uint8_t *image, size_t length);

/* flat.c: a GDT (the given descriptors) at 0x1000, a PML4 at 0x2000 and from 0x3000 page
 * tables identity-mapping [0, map_top) with 2 MiB pages; sets state->gdt_gpa and pml4_gpa
 * and returns the first guest-physical address after the tables in *end. */
bool x86_build_boot_tables(struct vm *vm, const uint64_t gdt[X86_GDT_ENTRIES], uint64_t map_top,
                           uint64_t *end, GError **error);
extern const uint64_t x86_boot_gdt[X86_GDT_ENTRIES];

/* linux.c: what both Linux entries share. */
#define X86_E820_RAM      1u
#define X86_E820_RESERVED 2u
#define X86_E820_MAX      128u /* entries that fit in boot_params */
struct x86_e820_entry {
    uint64_t address;
    uint64_t size;
    uint32_t type;
};
/* The guest's memory map: RAM from the board's slots, the legacy hole below 1 MiB reserved. */
unsigned x86_e820_build(struct vm *vm, struct x86_e820_entry *table, unsigned capacity);
/* Copy the board's command line (with the terminating NUL, at most max_length bytes before
 * it) to gpa. */
bool x86_linux_place_cmdline(struct vm *vm, uint64_t gpa, uint64_t max_length, GError **error);
/* Load the board's initrd, if any, page aligned as high as possible in RAM within
 * [lowest, highest_end); *size is 0 without one. */
bool x86_linux_load_initrd(struct vm *vm, uint64_t lowest, uint64_t highest_end, uint64_t *gpa,
                           uint64_t *size, GError **error);
/* Real-mode code at the reset vector (0xffff0) that resets the board through its acpi-power
 * or i8042 device: where Linux jumps when it reboots "through the BIOS". */
#define X86_RESET_VECTOR 0xffff0ull
void x86_linux_write_reset_vector(struct vm *vm);
/* Write the ACPI tables describing the board; *rsdp is their root pointer's address. */
bool x86_linux_acpi(struct vm *vm, uint64_t *rsdp, GError **error);

/* acpi.c: write the board's ACPI tables into guest RAM at X86_ACPI_BASE (acpi.h; the e820
 * map reserves that area) and return the RSDP's guest-physical address. */
bool x86_acpi_build(struct vm *vm, uint64_t *rsdp, GError **error);

/* cpu.c: CPUID, MSRs and the register state a vCPU starts with. */
bool x86_cpuid_init(struct vm *vm, GError **error);
bool x86_vcpu_setup_cpuid(struct vcpu *vcpu, GError **error);
bool x86_vcpu_setup_msrs(struct vcpu *vcpu, GError **error);
/* Registers for the bootstrap processor from state->entry (and gdt_gpa/pml4_gpa). */
bool x86_vcpu_apply_entry(struct vcpu *vcpu, const struct x86_state *state, GError **error);

#endif
