/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96).
 *
 * The kernel is an ELF32 image (or an ELF64 one living below 4 GiB) loaded by its program
 * headers at their physical addresses, or any image whose header sets the a.out kludge flag
 * and gives its load addresses itself. Above the highest loaded byte, page aligned, come the
 * optional module (boot.initrd) and then one block holding the boot information, the memory
 * map, the module list and the strings. The kernel is entered in 32-bit protected mode with
 * EAX = 0x2BADB002 and EBX = the boot information's address.
 *
 * The command line is "KERNEL-PATH CMDLINE", the kernel's file name first as GRUB and QEMU
 * pass it; the module's string is the initrd's file name. The kernel file is untrusted input:
 * every offset and size in it is checked against the file and against guest RAM.
 */
#include "config.h"

#include "x86.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board.h"
#include "memory.h"
#include "util.h"
#include "vm.h"

#define MULTIBOOT_HEADER_MAGIC     0x1badb002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MULTIBOOT_SEARCH_BYTES     8192
#define MULTIBOOT_HEADER_SIZE      12 /* magic, flags, checksum */
#define MULTIBOOT_AOUT_HEADER_SIZE 32 /* ... and the five address fields */

/* Header flags. Bits 0-15 are requirements a loader must refuse if it cannot meet them. */
#define MULTIBOOT_PAGE_ALIGN    (1u << 0) /* modules page aligned: ours always are */
#define MULTIBOOT_MEMORY_INFO   (1u << 1) /* mem_* and mmap_*: always given */
#define MULTIBOOT_VIDEO_MODE    (1u << 2)
#define MULTIBOOT_AOUT_KLUDGE   (1u << 16)
#define MULTIBOOT_REQUIRED_MASK 0xffffu

/* Boot information flags and layout. */
#define MBI_FLAG_MEMORY      (1u << 0)
#define MBI_FLAG_CMDLINE     (1u << 2)
#define MBI_FLAG_MODS        (1u << 3)
#define MBI_FLAG_MMAP        (1u << 6)
#define MBI_FLAG_LOADER_NAME (1u << 9)
#define MBI_FLAGS            0
#define MBI_MEM_LOWER        4
#define MBI_MEM_UPPER        8
#define MBI_CMDLINE          16
#define MBI_MODS_COUNT       20
#define MBI_MODS_ADDR        24
#define MBI_MMAP_LENGTH      44
#define MBI_MMAP_ADDR        48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_SIZE             120 /* through the framebuffer fields, all zero */
/* Memory map entry: u32 size (20: not counting itself), u64 base, u64 length, u32 type. */
#define MBI_MMAP_ENTRY_SIZE 24
#define MBI_MODULE_SIZE     16 /* u32 start, end, string, reserved */
#define MBI_MMAP_AVAILABLE  1
#define MBI_MMAP_RESERVED   2

/* Where a PC's usable low memory ends (the EBDA, VGA and BIOS area follow, up to 1 MiB). */
#define LOW_MEMORY_END    0x9fc00ull
#define HIGH_MEMORY_START 0x100000ull
#define FOUR_GIB          0x100000000ull
#define PAGE_SIZE         4096ull

struct multiboot_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr; /* a.out kludge */
};

/* What the loaded image occupies in guest RAM. */
struct loaded_image {
    uint64_t low, high; /* [low, high) covers every segment */
    uint64_t entry;
};

struct mmap_range {
    uint64_t base, length;
    uint32_t type;
};

static uint32_t read_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_LE(v);
}

static void write_u32(uint8_t *p, uint32_t value)
{
    value = GUINT32_TO_LE(value);
    memcpy(p, &value, sizeof(value));
}

static void write_u64(uint8_t *p, uint64_t value)
{
    value = GUINT64_TO_LE(value);
    memcpy(p, &value, sizeof(value));
}

static uint64_t align_up(uint64_t value, uint64_t alignment)
{
    return (value + alignment - 1) & ~(alignment - 1);
}

/* Offset of a valid header (magic + flags + checksum == 0), 4-byte aligned, or -1. */
static long find_header(const uint8_t *image, size_t length)
{
    size_t limit = MIN(length, (size_t)MULTIBOOT_SEARCH_BYTES);

    for (size_t offset = 0; offset + MULTIBOOT_HEADER_SIZE <= limit; offset += 4) {
        uint32_t magic = read_u32(image + offset);
        uint32_t flags = read_u32(image + offset + 4);
        uint32_t checksum = read_u32(image + offset + 8);
        if (magic == MULTIBOOT_HEADER_MAGIC && (uint32_t)(magic + flags + checksum) == 0)
            return (long)offset;
    }
    return -1;
}

bool x86_is_multiboot(const uint8_t *image, size_t length)
{
    return image && find_header(image, length) >= 0;
}

/* Check that [gpa, gpa + size) is guest RAM below 4 GiB; return its host address. */
static uint8_t *ram_below_4g(struct vm *vm, uint64_t gpa, uint64_t size, const char *path,
                             const char *what, GError **error)
{
    uint8_t *host = NULL;

    if (size <= FOUR_GIB && gpa <= FOUR_GIB - size)
        host = memory_translate(vm->mem, gpa, size);
    if (!host)
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s at [0x%" PRIx64 ", 0x%" PRIx64 ") is not in guest RAM below 4 GiB "
                    "(the board has %" PRIu64 " MiB)",
                    path, what, gpa, gpa + size, memory_total(vm->mem) >> 20);
    return host;
}

static bool load_segment(struct vm *vm, const uint8_t *image, size_t length, uint64_t offset,
                         uint64_t filesz, uint64_t paddr, uint64_t memsz, const char *path,
                         const char *what, struct loaded_image *loaded, GError **error)
{
    if (filesz > memsz) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s has more bytes in the file (0x%" PRIx64 ") than in memory (0x%" PRIx64
                    ")",
                    path, what, filesz, memsz);
        return false;
    }
    if (memsz == 0)
        return true;
    if (filesz > 0 && (filesz > length || offset > length - filesz)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s at file offset 0x%" PRIx64 " (0x%" PRIx64
                    " bytes) runs past the end of the file (0x%zx bytes)",
                    path, what, offset, filesz, length);
        return false;
    }
    uint8_t *host = ram_below_4g(vm, paddr, memsz, path, what, error);
    if (!host)
        return false;
    memcpy(host, image + offset, filesz);
    memset(host + filesz, 0, memsz - filesz);
    loaded->low = MIN(loaded->low, paddr);
    loaded->high = MAX(loaded->high, paddr + memsz);
    return true;
}

/* The a.out kludge: the header says where the file's bytes go and where to enter. */
static bool load_aout_kludge(struct vm *vm, const uint8_t *image, size_t length,
                             size_t header_offset, const struct multiboot_header *header,
                             const char *path, struct loaded_image *loaded, GError **error)
{
    if (header_offset + MULTIBOOT_AOUT_HEADER_SIZE > length) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the multiboot header asks for the a.out kludge but the file ends "
                    "before its address fields",
                    path);
        return false;
    }
    uint64_t load_addr = header->load_addr;
    uint64_t header_addr = header->header_addr;
    if (header_addr < load_addr || header_addr - load_addr > header_offset) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: multiboot header_addr 0x%" PRIx64 " and load_addr 0x%" PRIx64
                    " do not agree with the header's file offset 0x%zx",
                    path, header_addr, load_addr, header_offset);
        return false;
    }
    uint64_t file_offset = header_offset - (header_addr - load_addr);
    uint64_t load_size;
    if (header->load_end_addr == 0) {
        load_size = length - file_offset;
    } else if (header->load_end_addr < load_addr) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: multiboot load_end_addr 0x%" PRIx32 " is below load_addr 0x%" PRIx64, path,
                    header->load_end_addr, load_addr);
        return false;
    } else {
        load_size = header->load_end_addr - load_addr;
    }
    uint64_t memory_size = load_size;
    if (header->bss_end_addr != 0) {
        if (header->bss_end_addr < load_addr + load_size) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: multiboot bss_end_addr 0x%" PRIx32
                        " is below the end of the loaded image 0x%" PRIx64,
                        path, header->bss_end_addr, load_addr + load_size);
            return false;
        }
        memory_size = header->bss_end_addr - load_addr;
    }
    if (!load_segment(vm, image, length, file_offset, load_size, load_addr, memory_size, path,
                      "the image (a.out kludge)", loaded, error))
        return false;
    loaded->entry = header->entry_addr;
    return true;
}

/* Program headers of either class, widened. */
struct program_header {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void read_program_header(const uint8_t *p, bool is64, struct program_header *ph)
{
    if (is64) {
        Elf64_Phdr h;
        memcpy(&h, p, sizeof(h));
        *ph = (struct program_header){h.p_type,  h.p_offset, h.p_vaddr,
                                      h.p_paddr, h.p_filesz, h.p_memsz};
    } else {
        Elf32_Phdr h;
        memcpy(&h, p, sizeof(h));
        *ph = (struct program_header){h.p_type,  h.p_offset, h.p_vaddr,
                                      h.p_paddr, h.p_filesz, h.p_memsz};
    }
}

static bool load_elf(struct vm *vm, const uint8_t *image, size_t length, const char *path,
                     struct loaded_image *loaded, GError **error)
{
    if (length < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: a multiboot kernel must be an ELF file or set the a.out kludge flag "
                    "(bit 16) in its multiboot header",
                    path);
        return false;
    }
    bool is64 = image[EI_CLASS] == ELFCLASS64;
    if ((image[EI_CLASS] != ELFCLASS32 && !is64) || image[EI_DATA] != ELFDATA2LSB) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: unsupported ELF class or byte order (want little-endian ELF32 or ELF64)",
                    path);
        return false;
    }

    uint16_t type, machine, phentsize, phnum;
    uint64_t entry, phoff;
    if (is64) {
        Elf64_Ehdr h;
        if (length < sizeof(h))
            goto truncated;
        memcpy(&h, image, sizeof(h));
        type = h.e_type, machine = h.e_machine, entry = h.e_entry, phoff = h.e_phoff;
        phentsize = h.e_phentsize, phnum = h.e_phnum;
    } else {
        Elf32_Ehdr h;
        if (length < sizeof(h))
            goto truncated;
        memcpy(&h, image, sizeof(h));
        type = h.e_type, machine = h.e_machine, entry = h.e_entry, phoff = h.e_phoff;
        phentsize = h.e_phentsize, phnum = h.e_phnum;
    }
    if (type != ET_EXEC || machine != (is64 ? EM_X86_64 : EM_386)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: not an x86 executable (ELF type %u, machine %u)", path, type, machine);
        return false;
    }
    size_t phdr_size = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (phentsize < phdr_size || phnum == 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: bad ELF program header table (%u entries of %u bytes)", path, phnum,
                    phentsize);
        return false;
    }
    if (phoff > length || (uint64_t)phnum * phentsize > length - phoff)
        goto truncated;

    unsigned loads = 0;
    for (unsigned i = 0; i < phnum; i++) {
        struct program_header ph;
        read_program_header(image + phoff + (uint64_t)i * phentsize, is64, &ph);
        if (ph.type != PT_LOAD)
            continue;
        char what[48];
        g_snprintf(what, sizeof(what), "ELF segment %u", i);
        if (!load_segment(vm, image, length, ph.offset, ph.filesz, ph.paddr, ph.memsz, path, what,
                          loaded, error))
            return false;
        /* Kernels linked to run high give virtual entry points; enter at the physical copy. */
        if (ph.memsz && entry >= ph.vaddr && entry - ph.vaddr < ph.memsz)
            loaded->entry = entry - ph.vaddr + ph.paddr;
        loads++;
    }
    if (loads == 0 || loaded->low >= loaded->high) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: the ELF file has nothing to load",
                    path);
        return false;
    }
    if (loaded->entry == UINT64_MAX)
        loaded->entry = entry;
    if (loaded->entry >= FOUR_GIB) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: entry point 0x%" PRIx64 " is above 4 GiB, out of reach of 32-bit "
                    "protected mode",
                    path, loaded->entry);
        return false;
    }
    return true;

truncated:
    g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: truncated ELF headers", path);
    return false;
}

/* Read a whole file into guest RAM at gpa (page aligned, below 4 GiB). */
static bool load_module(struct vm *vm, const char *path, uint64_t gpa, uint64_t *size,
                        GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "cannot open initrd %s: %s", path,
                    g_strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = false;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "initrd %s is not a regular file", path);
        goto out;
    }
    uint64_t length = (uint64_t)st.st_size;
    uint8_t *host = ram_below_4g(vm, gpa, length, path, "the multiboot module", error);
    if (!host)
        goto out;
    for (uint64_t done = 0; done < length;) {
        ssize_t n = read(fd, host + done, MIN(length - done, (uint64_t)(1 << 30)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "cannot read initrd %s: %s", path,
                        n < 0 ? g_strerror(errno) : "file shrank while being read");
            goto out;
        }
        done += (uint64_t)n;
    }
    *size = length;
    ok = true;
out:
    close(fd);
    return ok;
}

static gint compare_ranges(gconstpointer a, gconstpointer b)
{
    const struct mmap_range *ra = a, *rb = b;
    return ra->base < rb->base ? -1 : ra->base > rb->base;
}

/* The memory map: RAM slots as available, minus the PC's reserved 0x9fc00..0xfffff. */
static GArray *build_memory_map(struct guest_memory *mem)
{
    GArray *map = g_array_new(FALSE, FALSE, sizeof(struct mmap_range));
    struct mmap_range hole = {LOW_MEMORY_END, HIGH_MEMORY_START - LOW_MEMORY_END,
                              MBI_MMAP_RESERVED};

    g_array_append_val(map, hole);
    for (unsigned i = 0; i < memory_slot_count(mem); i++) {
        const struct mem_slot *slot = memory_slot(mem, i);
        uint64_t start = slot->gpa, end = slot->gpa + slot->size;
        if (start < LOW_MEMORY_END) {
            struct mmap_range r = {start, MIN(end, LOW_MEMORY_END) - start, MBI_MMAP_AVAILABLE};
            g_array_append_val(map, r);
        }
        if (end > HIGH_MEMORY_START) {
            uint64_t from = MAX(start, HIGH_MEMORY_START);
            struct mmap_range r = {from, end - from, MBI_MMAP_AVAILABLE};
            g_array_append_val(map, r);
        }
    }
    g_array_sort(map, compare_ranges);
    return map;
}

/* End of the RAM that runs contiguously from `start` (start itself if it is not RAM). */
static uint64_t contiguous_ram_end(struct guest_memory *mem, uint64_t start)
{
    uint64_t end = start;
    bool grew = true;

    while (grew) {
        grew = false;
        for (unsigned i = 0; i < memory_slot_count(mem); i++) {
            const struct mem_slot *slot = memory_slot(mem, i);
            if (slot->gpa <= end && slot->gpa + slot->size > end) {
                end = slot->gpa + slot->size;
                grew = true;
            }
        }
    }
    return end;
}

static bool ranges_overlap(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end)
{
    return a_start < b_end && b_start < a_end;
}

/*
 * Lay out and write the boot information block at `gpa`:
 * info | memory map | module entry | cmdline | module string | loader name.
 */
static bool write_boot_info(struct vm *vm, uint64_t gpa, const char *kernel_path,
                            const char *cmdline, const char *module_path, uint64_t module_start,
                            uint64_t module_size, const struct loaded_image *loaded,
                            uint64_t *info_end, GError **error)
{
    GArray *map = build_memory_map(vm->mem);
    g_autofree char *command_line = cmdline && *cmdline
                                        ? g_strdup_printf("%s %s", kernel_path, cmdline)
                                        : g_strdup(kernel_path);
    const char *loader_name = PACKAGE_STRING;

    size_t mmap_offset = MBI_SIZE;
    size_t mmap_length = map->len * MBI_MMAP_ENTRY_SIZE;
    size_t module_offset = mmap_offset + mmap_length;
    size_t cmdline_offset = module_offset + (module_path ? MBI_MODULE_SIZE : 0);
    size_t module_string_offset = cmdline_offset + strlen(command_line) + 1;
    size_t loader_offset = module_string_offset + (module_path ? strlen(module_path) + 1 : 0);
    size_t total = loader_offset + strlen(loader_name) + 1;
    bool ok = false;

    uint8_t *block = ram_below_4g(vm, gpa, total, kernel_path, "the multiboot information", error);
    if (!block)
        goto out;
    if (ranges_overlap(gpa, gpa + total, loaded->low, loaded->high)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: no room for the multiboot information outside the kernel", kernel_path);
        goto out;
    }
    memset(block, 0, total);

    uint32_t flags =
        MBI_FLAG_MEMORY | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME;
    uint64_t low_end = MIN(contiguous_ram_end(vm->mem, 0), LOW_MEMORY_END);
    uint64_t high_end = contiguous_ram_end(vm->mem, HIGH_MEMORY_START);
    write_u32(block + MBI_FLAGS, flags);
    write_u32(block + MBI_MEM_LOWER, (uint32_t)(low_end / 1024));
    write_u32(block + MBI_MEM_UPPER,
              (uint32_t)MIN((high_end - HIGH_MEMORY_START) / 1024, (uint64_t)UINT32_MAX));
    write_u32(block + MBI_CMDLINE, (uint32_t)(gpa + cmdline_offset));
    write_u32(block + MBI_MODS_COUNT, module_path ? 1 : 0);
    write_u32(block + MBI_MODS_ADDR, (uint32_t)(gpa + module_offset));
    write_u32(block + MBI_MMAP_LENGTH, (uint32_t)mmap_length);
    write_u32(block + MBI_MMAP_ADDR, (uint32_t)(gpa + mmap_offset));
    write_u32(block + MBI_BOOT_LOADER_NAME, (uint32_t)(gpa + loader_offset));

    for (guint i = 0; i < map->len; i++) {
        const struct mmap_range *r = &g_array_index(map, struct mmap_range, i);
        uint8_t *entry = block + mmap_offset + i * MBI_MMAP_ENTRY_SIZE;
        write_u32(entry, MBI_MMAP_ENTRY_SIZE - 4);
        write_u64(entry + 4, r->base);
        write_u64(entry + 12, r->length);
        write_u32(entry + 20, r->type);
    }
    if (module_path) {
        write_u32(block + module_offset, (uint32_t)module_start);
        write_u32(block + module_offset + 4, (uint32_t)(module_start + module_size));
        write_u32(block + module_offset + 8, (uint32_t)(gpa + module_string_offset));
        strcpy((char *)block + module_string_offset, module_path);
    }
    strcpy((char *)block + cmdline_offset, command_line);
    strcpy((char *)block + loader_offset, loader_name);
    *info_end = gpa + total;
    ok = true;
out:
    g_array_unref(map);
    return ok;
}

bool x86_load_multiboot(struct vm *vm, struct x86_entry *entry, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    const char *path = boot->kernel;
    g_autofree char *contents = NULL;
    gsize length = 0;

    if (!path) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "the board has no boot kernel");
        return false;
    }
    if (!g_file_get_contents(path, &contents, &length, error)) {
        g_prefix_error(error, "cannot read kernel: ");
        return false;
    }
    const uint8_t *image = (const uint8_t *)contents;
    long header_offset = find_header(image, length);
    if (header_offset < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: no multiboot header (magic 0x%08x with a valid checksum) in the first "
                    "%d bytes",
                    path, MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH_BYTES);
        return false;
    }
    const uint8_t *fields = image + header_offset;
    struct multiboot_header header = {
        .magic = read_u32(fields),
        .flags = read_u32(fields + 4),
        .checksum = read_u32(fields + 8),
    };
    /* The address fields exist only when the a.out kludge uses them; checked there. */
    if ((size_t)header_offset + MULTIBOOT_AOUT_HEADER_SIZE <= length) {
        header.header_addr = read_u32(fields + 12);
        header.load_addr = read_u32(fields + 16);
        header.load_end_addr = read_u32(fields + 20);
        header.bss_end_addr = read_u32(fields + 24);
        header.entry_addr = read_u32(fields + 28);
    }

    if (header.flags & MULTIBOOT_VIDEO_MODE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the multiboot header requires a video mode (flag bit 2), which vmboard "
                    "cannot provide",
                    path);
        return false;
    }
    uint32_t unknown =
        header.flags & MULTIBOOT_REQUIRED_MASK & ~(MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO);
    if (unknown) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the multiboot header requires features vmboard does not know (flags "
                    "0x%08x)",
                    path, unknown);
        return false;
    }

    struct loaded_image loaded = {.low = UINT64_MAX, .high = 0, .entry = UINT64_MAX};
    bool loaded_ok = header.flags & MULTIBOOT_AOUT_KLUDGE
                         ? load_aout_kludge(vm, image, length, (size_t)header_offset, &header, path,
                                            &loaded, error)
                         : load_elf(vm, image, length, path, &loaded, error);
    if (!loaded_ok)
        return false;

    uint64_t next = align_up(loaded.high, PAGE_SIZE);
    uint64_t module_start = 0, module_size = 0;
    if (boot->initrd) {
        module_start = next;
        if (!load_module(vm, boot->initrd, module_start, &module_size, error))
            return false;
        next = align_up(module_start + module_size, PAGE_SIZE);
    }
    uint64_t info_end;
    if (!write_boot_info(vm, next, path, boot->cmdline, boot->initrd, module_start, module_size,
                         &loaded, &info_end, error))
        return false;

    *entry = (struct x86_entry){
        .mode = X86_MODE_PROTECTED32,
        .rip = loaded.entry,
        .rax = MULTIBOOT_BOOTLOADER_MAGIC,
        .rbx = next,
    };
    vmb_log_debug("multiboot: %s at [0x%" PRIx64 ", 0x%" PRIx64 "), entry 0x%" PRIx64
                  ", info at 0x%" PRIx64 "..0x%" PRIx64,
                  path, loaded.low, loaded.high, loaded.entry, next, info_end);
    return true;
}
