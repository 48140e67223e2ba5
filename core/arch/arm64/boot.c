/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Payloads: an arm64 Linux `Image` placed by its header (Documentation/arch/arm64/booting),
 * or a flat binary at load-address; the initrd and the device tree go to the top of RAM,
 * the tree in a 2 MiB block of its own as the boot protocol asks.
 */
#include "config.h"

#include "arch/arm64/arm64.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "board.h"
#include "memory.h"
#include "util.h"
#include "vm.h"

#define IMAGE_HEADER_SIZE 64
#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" */
#define IMAGE_MAGIC_OFFSET 56
#define IMAGE_LEGACY_TEXT_OFFSET 0x80000ull
#define IMAGE_FLAG_BIG_ENDIAN 0x1ull
#define PAGE_SIZE_4K 4096ull

static uint64_t load_le64(const uint8_t *bytes)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = (value << 8) | bytes[i];
    return value;
}

bool arm64_is_image(const uint8_t *data, size_t length)
{
    if (length < IMAGE_HEADER_SIZE)
        return false;
    uint32_t magic = (uint32_t)data[IMAGE_MAGIC_OFFSET] |
                     ((uint32_t)data[IMAGE_MAGIC_OFFSET + 1] << 8) |
                     ((uint32_t)data[IMAGE_MAGIC_OFFSET + 2] << 16) |
                     ((uint32_t)data[IMAGE_MAGIC_OFFSET + 3] << 24);
    return magic == IMAGE_MAGIC;
}

static uint64_t ram_end(const struct vm *vm)
{
    return ARM64_RAM_BASE + ((vm->board->memory + 4095) & ~4095ull);
}

/* [start, start + length) inside guest RAM, overflow-safe. */
static bool in_ram(const struct vm *vm, uint64_t start, uint64_t length)
{
    return start >= ARM64_RAM_BASE && start <= ram_end(vm) && length <= ram_end(vm) - start;
}

static bool read_file(const char *path, const struct board_loc *loc, const char *what,
                      uint8_t **data, size_t *length, GError **error)
{
    gchar *contents;
    gsize size;
    GError *local = NULL;
    if (!g_file_get_contents(path, &contents, &size, &local)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: cannot read the %s: %s",
                    board_loc_str(loc), what, local->message);
        g_error_free(local);
        return false;
    }
    *data = (uint8_t *)contents;
    *length = size;
    return true;
}

/* Place an Image: 2 MiB aligned base (the start of RAM) + text_offset. */
static bool load_image(struct vm *vm, const uint8_t *data, size_t length, uint64_t *entry,
                       uint64_t *end, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    uint64_t text_offset = load_le64(data + 8);
    uint64_t image_size = load_le64(data + 16);
    uint64_t flags = load_le64(data + 24);

    if (image_size == 0) {
        /* Kernels before 3.17 leave the size out: text_offset is then 0x80000. */
        text_offset = IMAGE_LEGACY_TEXT_OFFSET;
        image_size = length;
    }
    if (flags & IMAGE_FLAG_BIG_ENDIAN) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s is a big-endian arm64 Image; vmboard starts little-endian guests",
                    board_loc_str(&boot->kernel_loc), boot->kernel);
        return false;
    }
    if (image_size < length || text_offset >= ARM64_SIZE_2M * 512) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s has an inconsistent Image header (text_offset 0x%" PRIx64
                    ", image_size 0x%" PRIx64 ", file 0x%zx bytes)",
                    board_loc_str(&boot->kernel_loc), boot->kernel, text_offset, image_size,
                    length);
        return false;
    }
    /* RAM starts 2 MiB aligned, so its base satisfies both placement flags. */
    uint64_t base = ARM64_RAM_BASE + text_offset;
    if (!in_ram(vm, base, image_size)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the kernel needs 0x%" PRIx64 " bytes from 0x%" PRIx64
                    ", more than the board's memory holds",
                    board_loc_str(&boot->kernel_loc), image_size, base);
        return false;
    }
    memory_write(vm->mem, base, data, length);
    *entry = base;
    *end = base + image_size;
    return true;
}

static bool load_flat(struct vm *vm, const uint8_t *data, size_t length, uint64_t *entry,
                      uint64_t *end, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    uint64_t base = boot->has_load_address ? boot->load_address : ARM64_RAM_BASE;
    uint64_t start = boot->has_entry ? boot->entry : base;

    if (!in_ram(vm, base, length) || (base & 3)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the flat image (0x%zx bytes at 0x%" PRIx64
                    ") must lie 4-byte aligned in RAM [0x%" PRIx64 ", 0x%" PRIx64 ")",
                    board_loc_str(&boot->loc), length, base, ARM64_RAM_BASE, ram_end(vm));
        return false;
    }
    if (!in_ram(vm, start, 4) || (start & 3)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: entry 0x%" PRIx64 " is not a 4-byte aligned address in RAM",
                    board_loc_str(&boot->loc), start);
        return false;
    }
    memory_write(vm->mem, base, data, length);
    *entry = start;
    *end = base + length;
    return true;
}

bool arm64_load_payload(struct vm *vm, struct arm64_state *state, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    uint8_t *kernel = NULL;
    size_t kernel_length = 0;
    uint64_t kernel_end = 0;
    bool ok = false;

    if (!boot->kernel) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the board has no boot kernel (boot.kernel or --kernel)", vm->board->path);
        return false;
    }
    if (!read_file(boot->kernel, &boot->kernel_loc, "kernel", &kernel, &kernel_length, error))
        return false;

    enum boot_format format = boot->format;
    if (format == BOOT_FORMAT_AUTO)
        format = arm64_is_image(kernel, kernel_length) ? BOOT_FORMAT_ARM64_IMAGE : BOOT_FORMAT_FLAT;
    switch (format) {
    case BOOT_FORMAT_ARM64_IMAGE:
        if (!arm64_is_image(kernel, kernel_length)) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: %s is not an arm64 Image (no \"ARM\\x64\" magic at offset 56)",
                        board_loc_str(&boot->kernel_loc), boot->kernel);
            goto out;
        }
        ok = load_image(vm, kernel, kernel_length, &state->entry_pc, &kernel_end, error);
        break;
    case BOOT_FORMAT_FLAT:
        ok = load_flat(vm, kernel, kernel_length, &state->entry_pc, &kernel_end, error);
        break;
    default:
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: this boot format is not an arm64 format (use auto, arm64-image or flat)",
                    board_loc_str(&boot->loc));
        break;
    }
    if (!ok)
        goto out;
    ok = false;

    /* The device tree takes the last whole 2 MiB block of RAM; the initrd sits below it. */
    uint64_t top = ram_end(vm) & ~(ARM64_SIZE_2M - 1);
    if (top < kernel_end + ARM64_DTB_MAX_SIZE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: no room for the device tree above the kernel (ends at 0x%" PRIx64
                    "): give the board more memory",
                    board_loc_str(&vm->board->memory_loc), kernel_end);
        goto out;
    }
    state->dtb_gpa = top - ARM64_DTB_MAX_SIZE;

    if (boot->initrd) {
        uint8_t *initrd;
        size_t initrd_length;
        if (!read_file(boot->initrd, &boot->initrd_loc, "initrd", &initrd, &initrd_length,
                       error))
            goto out;
        uint64_t start = (state->dtb_gpa - MIN(initrd_length, state->dtb_gpa)) &
                         ~(PAGE_SIZE_4K - 1);
        if (start < kernel_end || initrd_length > state->dtb_gpa - ARM64_RAM_BASE) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: the initrd (%zu bytes) does not fit between the kernel and the "
                        "device tree: give the board more memory",
                        board_loc_str(&boot->initrd_loc), initrd_length);
            g_free(initrd);
            goto out;
        }
        memory_write(vm->mem, start, initrd, initrd_length);
        state->initrd_start = start;
        state->initrd_end = start + initrd_length;
        g_free(initrd);
    }

    size_t fdt_size;
    void *fdt = arm64_build_fdt(vm, state, &fdt_size, error);
    if (!fdt)
        goto out;
    if (fdt_size > ARM64_DTB_MAX_SIZE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "the generated device tree is %zu bytes, over the 2 MiB the boot protocol "
                    "allows",
                    fdt_size);
        g_free(fdt);
        goto out;
    }
    memory_write(vm->mem, state->dtb_gpa, fdt, fdt_size);
    g_free(fdt);
    ok = true;
out:
    g_free(kernel);
    return ok;
}
