/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flat x86 images: the file's bytes are copied to load-address and run from entry.
 *
 * Real mode (mode: real): load-address defaults to 0x10000 and entry to load-address.
 * CS:IP is derived from entry (CS = (entry >> 4) & 0xf000, IP = entry - CS * 16); DS, ES,
 * FS and GS equal CS; SS = 0 and SP = load-address, or 0 (so the first push lands at
 * 0xfffe) when load-address is 64 KiB or more. Interrupts are off.
 *
 * Long mode (the default): load-address defaults to 0x100000 and entry to load-address.
 * vmboard builds a GDT at 0x1000 (null, 64-bit code 0x08, data 0x10, 32-bit code 0x18), a
 * PML4 at 0x2000 and, from 0x3000, page tables identity-mapping [0, max(4 GiB, top of RAM))
 * with 2 MiB pages. The image must not overlap that area nor the 16 KiB above it, which is
 * the least room left for the stack: RSP = load-address rounded down to 16 and grows down.
 */
#include "config.h"

#include "arch/x86/x86.h"

#include <inttypes.h>
#include <string.h>

#include "memory.h"
#include "util.h"
#include "vm.h"

#define FLAT_REAL_DEFAULT_LOAD UINT64_C(0x10000)
#define FLAT_LONG_DEFAULT_LOAD UINT64_C(0x100000)
#define REAL_MODE_LIMIT        UINT64_C(0x100000)

#define BOOT_GDT_GPA    UINT64_C(0x1000)
#define BOOT_PML4_GPA   UINT64_C(0x2000)
#define BOOT_TABLES_GPA UINT64_C(0x3000) /* PDPTs, then page directories */
#define BOOT_STACK_MIN  UINT64_C(0x4000)
#define PAGE_SIZE       UINT64_C(0x1000)
#define GIB             (UINT64_C(1) << 30)
#define LARGE_PAGE      (UINT64_C(2) << 20)
#define TABLE_ENTRIES   UINT64_C(512)

#define PTE_PRESENT  0x1ull
#define PTE_WRITABLE 0x2ull
#define PTE_LARGE    0x80ull

const uint64_t x86_boot_gdt[X86_GDT_ENTRIES] = {
    0,                     /* null */
    0x00af9b000000ffffull, /* 0x08: 64-bit code, present, ring 0 */
    0x00cf93000000ffffull, /* 0x10: 4 GiB read/write data */
    0x00cf9b000000ffffull, /* 0x18: 4 GiB 32-bit code */
};

static void put_u64(uint8_t *at, uint64_t value)
{
    for (unsigned i = 0; i < 8; i++)
        at[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t ram_top(struct guest_memory *mem)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < memory_slot_count(mem); i++) {
        const struct mem_slot *slot = memory_slot(mem, i);
        top = MAX(top, slot->gpa + slot->size);
    }
    return top;
}

bool x86_build_boot_tables(struct vm *vm, const uint64_t gdt[X86_GDT_ENTRIES], uint64_t map_top,
                           uint64_t *end, GError **error)
{
    struct x86_state *state = vm->arch_state;
    uint64_t mapped = (map_top + GIB - 1) & ~(GIB - 1);
    uint64_t directories = mapped / GIB; /* one page directory maps 1 GiB */
    uint64_t pointer_tables = (directories + TABLE_ENTRIES - 1) / TABLE_ENTRIES;

    if (pointer_tables > TABLE_ENTRIES || map_top > mapped) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "guest RAM up to 0x%" PRIx64 " is beyond what 4-level paging maps", map_top);
        return false;
    }
    uint64_t tables_end = BOOT_TABLES_GPA + (pointer_tables + directories) * PAGE_SIZE;
    uint8_t *area = memory_translate(vm->mem, BOOT_GDT_GPA, tables_end - BOOT_GDT_GPA);
    if (!area) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "long mode needs guest RAM at [0x%" PRIx64 ", 0x%" PRIx64
                    ") for its GDT and page tables; the board has too little memory",
                    BOOT_GDT_GPA, tables_end);
        return false;
    }

    memset(area, 0, tables_end - BOOT_GDT_GPA);
    for (unsigned i = 0; i < X86_GDT_ENTRIES; i++)
        put_u64(area + i * 8, gdt[i]);

    uint8_t *pml4 = area + (BOOT_PML4_GPA - BOOT_GDT_GPA);
    uint64_t pointer_gpa = BOOT_TABLES_GPA;
    uint64_t directory_gpa = BOOT_TABLES_GPA + pointer_tables * PAGE_SIZE;
    for (uint64_t p = 0; p < pointer_tables; p++)
        put_u64(pml4 + p * 8, (pointer_gpa + p * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE);
    for (uint64_t d = 0; d < directories; d++) {
        /* Pointer-table entries are contiguous across the pointer tables. */
        uint8_t *pointer_entry = area + (pointer_gpa - BOOT_GDT_GPA) + d * 8;
        uint64_t this_directory = directory_gpa + d * PAGE_SIZE;
        put_u64(pointer_entry, this_directory | PTE_PRESENT | PTE_WRITABLE);
        uint8_t *directory = area + (this_directory - BOOT_GDT_GPA);
        for (uint64_t e = 0; e < TABLE_ENTRIES; e++) {
            uint64_t address = d * GIB + e * LARGE_PAGE;
            put_u64(directory + e * 8, address | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE);
        }
    }
    state->gdt_gpa = BOOT_GDT_GPA;
    state->pml4_gpa = BOOT_PML4_GPA;
    *end = tables_end;
    return true;
}

/* GDT and identity-mapped page tables for long mode; checks the image stays clear of them. */
static bool build_long_mode_tables(struct vm *vm, uint64_t load, uint64_t length, GError **error)
{
    uint64_t tables_end;
    if (!x86_build_boot_tables(vm, x86_boot_gdt, MAX(X86_HIGH_RAM_BASE, ram_top(vm->mem)),
                               &tables_end, error))
        return false;
    uint64_t reserved_end = tables_end + BOOT_STACK_MIN;
    if (load < reserved_end && BOOT_GDT_GPA < load + length) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "the flat image at [0x%" PRIx64 ", 0x%" PRIx64
                    ") overlaps the long-mode boot area [0x%" PRIx64 ", 0x%" PRIx64
                    ") (GDT, page tables, and room for the stack below the image); "
                    "use a load-address of at least 0x%" PRIx64,
                    load, load + length, BOOT_GDT_GPA, reserved_end, reserved_end);
        return false;
    }
    return true;
}

bool x86_load_flat(struct vm *vm, struct x86_entry *entry, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    bool real = boot->mode == BOOT_MODE_REAL;
    uint64_t load = boot->has_load_address
                        ? boot->load_address
                        : (real ? FLAT_REAL_DEFAULT_LOAD : FLAT_LONG_DEFAULT_LOAD);
    uint64_t start = boot->has_entry ? boot->entry : load;
    gchar *image = NULL;
    gsize length = 0;

    if (!g_file_get_contents(boot->kernel, &image, &length, error)) {
        g_prefix_error(error, "%s: cannot read the kernel: ", board_loc_str(&boot->kernel_loc));
        return false;
    }
    bool ok = false;
    if (length == 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: kernel %s is empty",
                    board_loc_str(&boot->kernel_loc), boot->kernel);
        goto out;
    }
    uint8_t *destination = memory_translate(vm->mem, load, length);
    if (!destination) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: kernel %s (%zu bytes) at load-address 0x%" PRIx64
                    " does not fit in guest RAM (%" PRIu64 " bytes from 0x0%s)",
                    board_loc_str(&boot->kernel_loc), boot->kernel, (size_t)length, load,
                    memory_total(vm->mem),
                    memory_slot_count(vm->mem) > 1 ? ", above 3 GiB moved to 4 GiB" : "");
        goto out;
    }
    if (boot->initrd || (boot->cmdline && boot->cmdline[0]))
        vmb_log_warn("a flat image has no way to receive an initrd or command line; "
                     "they are ignored");
    if (start < load || start - load >= length)
        vmb_log_warn("entry 0x%" PRIx64 " is outside the flat image [0x%" PRIx64 ", 0x%" PRIx64 ")",
                     start, load, load + length);

    memset(entry, 0, sizeof(*entry));
    entry->rip = start;
    if (real) {
        if (start >= REAL_MODE_LIMIT) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: real-mode entry 0x%" PRIx64 " is not below 1 MiB",
                        board_loc_str(&boot->loc), start);
            goto out;
        }
        entry->mode = X86_MODE_REAL;
        entry->rsp = load >= 0x10000 ? 0 : load;
    } else {
        if (!build_long_mode_tables(vm, load, length, error)) {
            g_prefix_error(error, "%s: ", board_loc_str(&boot->loc));
            goto out;
        }
        entry->mode = X86_MODE_LONG;
        entry->rsp = load & ~0xfull;
    }
    memcpy(destination, image, length);
    ok = true;
out:
    g_free(image);
    return ok;
}
