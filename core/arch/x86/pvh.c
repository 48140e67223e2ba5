/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An uncompressed ELF vmlinux entered through its PVH entry point: the Xen ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY names a 32-bit physical address the kernel runs from in flat
 * protected mode, paging off, with EBX pointing at an hvm_start_info (command line, initrd as
 * module 0, memory map, ACPI RSDP). This skips the bzImage decompressor.
 *
 * Guest-physical layout: GDT and unused page tables from 0x1000 (the same builder as the
 * other entries), hvm_start_info at 0x10000 with the module list and memory map right after
 * it, the command line at 0x20000, PT_LOAD segments at their physical addresses, the initrd
 * as high as RAM below 4 GiB allows.
 *
 * The file is untrusted: header, program header and note fields are range-checked against
 * the file and guest RAM before anything is copied.
 */
#include "config.h"

#include "arch/x86/x86.h"

#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "memory.h"
#include "util.h"
#include "vm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578u
#define HVM_START_VERSION        1u /* with the memory map */

#define PVH_START_INFO     UINT64_C(0x10000)
#define PVH_MODULE_LIST    (PVH_START_INFO + 0x40)
#define PVH_MEMORY_MAP     (PVH_START_INFO + 0x80)
#define PVH_INFO_END       UINT64_C(0x11000)
#define PVH_CMDLINE        UINT64_C(0x20000)
#define PVH_CMDLINE_MAX    UINT64_C(0xffff)
#define PVH_MAP_TOP        (UINT64_C(4) << 30)
#define PVH_MEMMAP_ENTRIES ((PVH_INFO_END - PVH_MEMORY_MAP) / 24)

static bool bad_elf(GError **error, const struct board_boot *boot, const char *why)
{
    g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: %s cannot be booted as an ELF vmlinux: %s",
                board_loc_str(&boot->kernel_loc), boot->kernel, why);
    return false;
}

/* [offset, offset + size) inside a file of `length` bytes, without overflow. */
static bool in_file(uint64_t offset, uint64_t size, uint64_t length)
{
    return offset <= length && size <= length - offset;
}

static uint64_t align4(uint64_t value)
{
    return (value + 3) & ~UINT64_C(3);
}

/* The PHYS32 entry from the notes of one PT_NOTE segment, if there. */
static bool find_pvh_note(const uint8_t *notes, uint64_t size, uint64_t *entry)
{
    uint64_t at = 0;
    while (size - at >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr note;
        memcpy(&note, notes + at, sizeof(note));
        uint64_t name_at = at + sizeof(note);
        uint64_t name_room = align4(note.n_namesz);
        if (!in_file(name_at, name_room, size))
            return false;
        uint64_t desc_at = name_at + name_room;
        uint64_t desc_room = align4(note.n_descsz);
        if (!in_file(desc_at, desc_room, size))
            return false;
        if (note.n_type == XEN_ELFNOTE_PHYS32_ENTRY && note.n_namesz == 4 &&
            memcmp(notes + name_at, "Xen", 4) == 0 &&
            (note.n_descsz == 4 || note.n_descsz == 8)) {
            uint64_t value = 0;
            memcpy(&value, notes + desc_at, note.n_descsz); /* little-endian host and guest */
            *entry = value;
            return true;
        }
        at = desc_at + desc_room;
    }
    return false;
}

static bool check_elf_header(const struct board_boot *boot, const uint8_t *image, size_t length,
                             Elf64_Ehdr *header, GError **error)
{
    if (length < sizeof(*header) || memcmp(image, ELFMAG, SELFMAG) != 0)
        return bad_elf(error, boot, "not an ELF file");
    memcpy(header, image, sizeof(*header));
    if (header->e_ident[EI_CLASS] != ELFCLASS64 || header->e_ident[EI_DATA] != ELFDATA2LSB ||
        header->e_machine != EM_X86_64)
        return bad_elf(error, boot, "not a 64-bit little-endian x86-64 ELF");
    if (header->e_phentsize != sizeof(Elf64_Phdr) || header->e_phnum == 0 ||
        !in_file(header->e_phoff, (uint64_t)header->e_phnum * sizeof(Elf64_Phdr), length))
        return bad_elf(error, boot, "its program headers lie outside the file");
    return true;
}

bool x86_load_pvh(struct vm *vm, struct x86_entry *entry, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    gchar *contents = NULL;
    gsize length = 0;
    bool ok = false;

    if (!g_file_get_contents(boot->kernel, &contents, &length, error)) {
        g_prefix_error(error, "%s: cannot read the kernel: ", board_loc_str(&boot->kernel_loc));
        return false;
    }
    const uint8_t *image = (const uint8_t *)contents;
    Elf64_Ehdr header;
    if (!check_elf_header(boot, image, length, &header, error))
        goto out;

    uint64_t start = 0;
    bool has_entry = false;
    for (unsigned i = 0; i < header.e_phnum && !has_entry; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, image + header.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_NOTE && in_file(ph.p_offset, ph.p_filesz, length))
            has_entry = find_pvh_note(image + ph.p_offset, ph.p_filesz, &start);
    }
    if (!has_entry) {
        bad_elf(error, boot,
                "it has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY; build the kernel with "
                "CONFIG_PVH=y, or boot its bzImage)");
        goto out;
    }
    if (start >= X86_RAM_LOW_LIMIT) {
        bad_elf(error, boot, "its PVH entry point is not below 3 GiB");
        goto out;
    }

    /* PT_LOAD segments at their physical addresses. */
    uint64_t kernel_end = 0;
    for (unsigned i = 0; i < header.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, image + header.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz || !in_file(ph.p_offset, ph.p_filesz, length)) {
            bad_elf(error, boot, "a PT_LOAD segment lies outside the file");
            goto out;
        }
        uint8_t *destination = memory_translate(vm->mem, ph.p_paddr, ph.p_memsz);
        if (!destination || ph.p_paddr < PVH_INFO_END) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: segment %u of %s wants guest RAM [0x%" PRIx64 ", 0x%" PRIx64
                        "), which %s",
                        board_loc_str(&boot->kernel_loc), i, boot->kernel, ph.p_paddr,
                        ph.p_paddr + ph.p_memsz,
                        destination ? "overlaps vmboard's boot area below 0x11000"
                                    : "the board's RAM does not cover (give it more memory)");
            goto out;
        }
        memcpy(destination, image + ph.p_offset, ph.p_filesz);
        memset(destination + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
        kernel_end = MAX(kernel_end, ph.p_paddr + ph.p_memsz);
    }
    if (kernel_end == 0) {
        bad_elf(error, boot, "it has no loadable segment");
        goto out;
    }

    uint64_t tables_end, initrd, initrd_size, rsdp;
    if (!x86_build_boot_tables(vm, x86_boot_gdt, PVH_MAP_TOP, &tables_end, error) ||
        !x86_linux_place_cmdline(vm, PVH_CMDLINE, PVH_CMDLINE_MAX, error) ||
        !x86_linux_load_initrd(vm, kernel_end, X86_RAM_LOW_LIMIT, &initrd, &initrd_size, error) ||
        !x86_linux_acpi(vm, &rsdp, error))
        goto out;

    uint8_t *info = memory_translate(vm->mem, PVH_START_INFO, PVH_INFO_END - PVH_START_INFO);
    if (!info) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "hvm_start_info is not in guest RAM");
        goto out;
    }
    memset(info, 0, PVH_INFO_END - PVH_START_INFO);

    struct x86_e820_entry map[PVH_MEMMAP_ENTRIES];
    unsigned entries = x86_e820_build(vm, map, G_N_ELEMENTS(map));
    for (unsigned i = 0; i < entries; i++) {
        uint8_t *at = info + (PVH_MEMORY_MAP - PVH_START_INFO) + i * 24;
        memcpy(at, &map[i].address, 8);
        memcpy(at + 8, &map[i].size, 8);
        memcpy(at + 16, &map[i].type, 4);
    }
    if (initrd_size) {
        uint8_t *module = info + (PVH_MODULE_LIST - PVH_START_INFO);
        memcpy(module, &initrd, 8);
        memcpy(module + 8, &initrd_size, 8);
    }
    /* struct hvm_start_info, version 1: little-endian fields at fixed offsets. */
    uint32_t words[] = {HVM_START_MAGIC, HVM_START_VERSION, 0, initrd_size ? 1 : 0};
    uint64_t addresses[] = {initrd_size ? PVH_MODULE_LIST : 0, PVH_CMDLINE, rsdp, PVH_MEMORY_MAP};
    memcpy(info, words, sizeof(words));
    memcpy(info + 16, addresses, sizeof(addresses));
    memcpy(info + 48, &entries, 4);

    *entry = (struct x86_entry){
        .mode = X86_MODE_PROTECTED32,
        .rip = start,
        .rbx = PVH_START_INFO,
    };
    vmb_log_debug("PVH: entry 0x%" PRIx64 ", kernel ends at 0x%" PRIx64 ", initrd at 0x%" PRIx64
                  " (%" PRIu64 " bytes)",
                  start, kernel_end, initrd, initrd_size);
    ok = true;
out:
    g_free(contents);
    return ok;
}
