/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of the x86_64 backend, shared by its files. */
#ifndef VMBOARD_ARCH_X86_H
#define VMBOARD_ARCH_X86_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

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
};

/* Loaders: read the board's kernel (and initrd, cmdline), place them in RAM, fill *entry. */
bool x86_load_flat(struct vm *vm, struct x86_entry *entry, GError **error);
bool x86_load_multiboot(struct vm *vm, struct x86_entry *entry, GError **error);
/* True when the file starts like a multiboot v1 ELF image (header in the first 8 KiB). */
bool x86_is_multiboot(const uint8_t *image, size_t length);

#endif
