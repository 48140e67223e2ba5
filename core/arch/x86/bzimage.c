/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bzImage through the Linux/x86 boot protocol (Documentation/arch/x86/boot.rst), entered at
 * its 64-bit entry point: load address + 0x200, in long mode with identity paging, RSI
 * pointing at the boot_params "zero page".
 *
 * Guest-physical layout (all below 1 MiB, in RAM the kernel may reuse once it runs):
 *   0x1000 GDT (code at 0x10, data at 0x18, as the protocol asks), 0x2000 PML4,
 *   0x3000-0x7fff page tables identity-mapping the low 4 GiB, stack below 0x10000,
 *   0x10000 boot_params, 0x20000 command line (up to the kernel's cmdline_size).
 * The protected-mode kernel goes to its preferred address (pref_address) when it is
 * relocatable, else to 1 MiB; the initrd as high as RAM and initrd_addr_max allow.
 *
 * The image is untrusted input: every header field is checked before it is used, and an
 * image that is not a 64-bit bzImage is refused with a message saying what is wrong.
 */
#include "config.h"

#include "arch/x86/x86.h"

#include <inttypes.h>
#include <string.h>

#include "memory.h"
#include "util.h"
#include "vm.h"

#define LINUX_ZERO_PAGE    UINT64_C(0x10000)
#define LINUX_STACK_TOP    UINT64_C(0x10000)
#define LINUX_CMDLINE      UINT64_C(0x20000)
#define LINUX_CMDLINE_ROOM UINT64_C(0x10000)
#define LINUX_DEFAULT_LOAD UINT64_C(0x100000)
#define LINUX_ENTRY_64     UINT64_C(0x200)
#define LINUX_MAP_TOP      (UINT64_C(4) << 30)
#define ZERO_PAGE_SIZE     4096u

/* boot_params and its setup header (offsets from the start of the image / zero page). */
#define BP_ACPI_RSDP_ADDR     0x070
#define BP_EXT_RAMDISK_IMAGE  0x0c0
#define BP_EXT_RAMDISK_SIZE   0x0c4
#define BP_EXT_CMD_LINE_PTR   0x0c8
#define BP_E820_ENTRIES       0x1e8
#define BP_E820_TABLE         0x2d0
#define BP_E820_ENTRY_SIZE    20u
#define HDR_START             0x1f1 /* setup_sects */
#define HDR_END_LIMIT         0x290 /* struct setup_header ends before edd_mbr_sig_buffer */
#define HDR_SETUP_SECTS       0x1f1
#define HDR_VID_MODE          0x1fa
#define HDR_BOOT_FLAG         0x1fe
#define HDR_JUMP_LENGTH       0x201 /* second byte of the jump: the header's end - 0x202 */
#define HDR_MAGIC             0x202
#define HDR_VERSION           0x206
#define HDR_TYPE_OF_LOADER    0x210
#define HDR_LOADFLAGS         0x211
#define HDR_CODE32_START      0x214
#define HDR_RAMDISK_IMAGE     0x218
#define HDR_RAMDISK_SIZE      0x21c
#define HDR_HEAP_END_PTR      0x224
#define HDR_CMD_LINE_PTR      0x228
#define HDR_INITRD_ADDR_MAX   0x22c
#define HDR_KERNEL_ALIGNMENT  0x230
#define HDR_RELOCATABLE       0x234
#define HDR_XLOADFLAGS        0x236
#define HDR_CMDLINE_SIZE      0x238
#define HDR_PREF_ADDRESS      0x258
#define HDR_INIT_SIZE         0x260

#define BOOT_FLAG_MAGIC       0xaa55u
#define HDRS_MAGIC            0x53726448u /* "HdrS" */
#define PROTOCOL_64BIT_ENTRY  0x20c       /* 2.12: xloadflags and the 64-bit entry */
#define PROTOCOL_ACPI_RSDP    0x20e       /* 2.14: acpi_rsdp_addr */
#define LOADFLAGS_LOADED_HIGH 0x01u
#define LOADFLAGS_CAN_USE_HEAP 0x80u
#define XLF_KERNEL_64         0x01u
#define LOADER_TYPE_UNKNOWN   0xffu
#define VID_MODE_NORMAL       0xffffu

/* The GDT the 64-bit protocol asks for: __BOOT_CS = 0x10, __BOOT_DS = 0x18, both flat. */
static const uint64_t linux_boot_gdt[X86_GDT_ENTRIES] = {
    0,
    0,
    0x00af9b000000ffffull, /* 0x10: 64-bit code */
    0x00cf93000000ffffull, /* 0x18: read/write data */
};
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

static uint32_t get_le(const uint8_t *at, unsigned size)
{
    uint32_t value = 0;
    for (unsigned i = 0; i < size; i++)
        value |= (uint32_t)at[i] << (8 * i);
    return value;
}

static uint64_t get_le64(const uint8_t *at)
{
    return get_le(at, 4) | (uint64_t)get_le(at + 4, 4) << 32;
}

static void put_le(uint8_t *at, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        at[i] = (uint8_t)(value >> (8 * i));
}

bool x86_is_bzimage(const uint8_t *image, size_t length)
{
    return length >= HDR_MAGIC + 4 && get_le(image + HDR_BOOT_FLAG, 2) == BOOT_FLAG_MAGIC &&
           get_le(image + HDR_MAGIC, 4) == HDRS_MAGIC;
}

/* What the loader needs from the setup header, checked. */
struct bzimage_header {
    uint16_t version;
    uint64_t setup_bytes;    /* real-mode part: the protected-mode kernel follows */
    uint64_t header_end;     /* bytes of the setup header to copy into boot_params */
    uint64_t kernel_bytes;
    uint64_t load_address;
    uint64_t init_size;      /* memory the kernel needs from its load address */
    uint64_t initrd_max_end; /* initrd must end at or below this */
    uint64_t cmdline_max;    /* bytes before the NUL */
};

static bool bad_image(GError **error, const struct board_boot *boot, const char *why)
{
    g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: %s is not a bootable 64-bit bzImage: %s",
                board_loc_str(&boot->kernel_loc), boot->kernel, why);
    return false;
}

static bool parse_header(const struct board_boot *boot, const uint8_t *image, size_t length,
                         struct bzimage_header *header, GError **error)
{
    if (length < 2 * ZERO_PAGE_SIZE || !x86_is_bzimage(image, length))
        return bad_image(error, boot, "no boot protocol header (\"HdrS\" at 0x202)");
    header->version = (uint16_t)get_le(image + HDR_VERSION, 2);
    if (header->version < PROTOCOL_64BIT_ENTRY) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s speaks boot protocol %u.%02u; vmboard needs 2.12 or later (a 64-bit "
                    "entry point, Linux 3.8 and newer)",
                    board_loc_str(&boot->kernel_loc), boot->kernel, header->version >> 8,
                    header->version & 0xff);
        return false;
    }
    if (!(image[HDR_XLOADFLAGS] & XLF_KERNEL_64))
        return bad_image(error, boot, "xloadflags lacks XLF_KERNEL_64 (a 32-bit kernel?)");
    if (!(image[HDR_LOADFLAGS] & LOADFLAGS_LOADED_HIGH))
        return bad_image(error, boot, "loadflags lacks LOADED_HIGH (a zImage, not a bzImage)");

    unsigned setup_sects = image[HDR_SETUP_SECTS] ? image[HDR_SETUP_SECTS] : 4;
    header->setup_bytes = (uint64_t)(setup_sects + 1) * 512;
    if (header->setup_bytes + LINUX_ENTRY_64 >= length)
        return bad_image(error, boot, "the setup code claims the whole file (setup_sects)");
    header->kernel_bytes = length - header->setup_bytes;
    header->header_end = MIN((uint64_t)HDR_MAGIC + image[HDR_JUMP_LENGTH], HDR_END_LIMIT);
    if (header->header_end < HDR_INIT_SIZE + 4)
        return bad_image(error, boot, "the setup header is shorter than its version promises");

    uint64_t alignment = get_le(image + HDR_KERNEL_ALIGNMENT, 4);
    bool relocatable = image[HDR_RELOCATABLE] != 0;
    uint64_t preferred = get_le64(image + HDR_PREF_ADDRESS);
    if (relocatable && (alignment == 0 || (alignment & (alignment - 1))))
        return bad_image(error, boot, "kernel_alignment is not a power of two");
    if (relocatable && preferred >= LINUX_DEFAULT_LOAD)
        header->load_address = (preferred + alignment - 1) & ~(alignment - 1);
    else if (relocatable)
        header->load_address = (LINUX_DEFAULT_LOAD + alignment - 1) & ~(alignment - 1);
    else
        header->load_address = LINUX_DEFAULT_LOAD;
    header->init_size = MAX((uint64_t)get_le(image + HDR_INIT_SIZE, 4), header->kernel_bytes);
    header->initrd_max_end = (uint64_t)get_le(image + HDR_INITRD_ADDR_MAX, 4) + 1;
    header->cmdline_max = get_le(image + HDR_CMDLINE_SIZE, 4);
    header->cmdline_max = MIN(header->cmdline_max, LINUX_CMDLINE_ROOM - 1);
    return true;
}

/* The zero page: the image's setup header plus what a boot loader fills in. */
static bool write_zero_page(struct vm *vm, const uint8_t *image, const struct bzimage_header *header,
                            uint64_t initrd, uint64_t initrd_size, uint64_t rsdp, GError **error)
{
    uint8_t *page = memory_translate(vm->mem, LINUX_ZERO_PAGE, ZERO_PAGE_SIZE);
    if (!page) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "boot_params at 0x%" PRIx64 " is not in guest RAM", LINUX_ZERO_PAGE);
        return false;
    }
    memset(page, 0, ZERO_PAGE_SIZE);
    memcpy(page + HDR_START, image + HDR_START, header->header_end - HDR_START);

    page[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNKNOWN;
    page[HDR_LOADFLAGS] |= LOADFLAGS_CAN_USE_HEAP;
    put_le(page + HDR_HEAP_END_PTR, 0xfe00, 2);
    put_le(page + HDR_VID_MODE, VID_MODE_NORMAL, 2);
    put_le(page + HDR_CODE32_START, header->load_address, 4);
    put_le(page + HDR_CMD_LINE_PTR, LINUX_CMDLINE, 4);
    put_le(page + BP_EXT_CMD_LINE_PTR, LINUX_CMDLINE >> 32, 4);
    put_le(page + HDR_RAMDISK_IMAGE, initrd, 4);
    put_le(page + BP_EXT_RAMDISK_IMAGE, initrd >> 32, 4);
    put_le(page + HDR_RAMDISK_SIZE, initrd_size, 4);
    put_le(page + BP_EXT_RAMDISK_SIZE, initrd_size >> 32, 4);
    if (header->version >= PROTOCOL_ACPI_RSDP)
        put_le(page + BP_ACPI_RSDP_ADDR, rsdp, 8);

    struct x86_e820_entry e820[X86_E820_MAX];
    unsigned entries = x86_e820_build(vm, e820, G_N_ELEMENTS(e820));
    page[BP_E820_ENTRIES] = (uint8_t)entries;
    for (unsigned i = 0; i < entries; i++) {
        uint8_t *at = page + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
        put_le(at, e820[i].address, 8);
        put_le(at + 8, e820[i].size, 8);
        put_le(at + 16, e820[i].type, 4);
    }
    return true;
}

bool x86_load_bzimage(struct vm *vm, struct x86_entry *entry, GError **error)
{
    struct x86_state *state = vm->arch_state;
    const struct board_boot *boot = &vm->board->boot;
    gchar *image = NULL;
    gsize length = 0;
    bool ok = false;

    if (!g_file_get_contents(boot->kernel, &image, &length, error)) {
        g_prefix_error(error, "%s: cannot read the kernel: ", board_loc_str(&boot->kernel_loc));
        return false;
    }
    const uint8_t *bytes = (const uint8_t *)image;
    struct bzimage_header header;
    if (!parse_header(boot, bytes, length, &header, error))
        goto out;
    if (boot->has_load_address || boot->has_entry)
        vmb_log_warn("%s: load-address and entry are ignored for a bzImage (the boot protocol "
                     "decides them)",
                     board_loc_str(&boot->loc));

    uint8_t *destination = memory_translate(vm->mem, header.load_address, header.init_size);
    if (!destination) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the kernel needs guest RAM [0x%" PRIx64 ", 0x%" PRIx64
                    ") to decompress and run (init_size); the board has %" PRIu64
                    " MiB: give it more memory",
                    board_loc_str(&boot->kernel_loc), header.load_address,
                    header.load_address + header.init_size, memory_total(vm->mem) >> 20);
        goto out;
    }
    memcpy(destination, bytes + header.setup_bytes, header.kernel_bytes);

    uint64_t tables_end;
    if (!x86_build_boot_tables(vm, linux_boot_gdt, LINUX_MAP_TOP, &tables_end, error))
        goto out;
    if (tables_end > LINUX_STACK_TOP - 0x1000) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "boot page tables overrun the stack");
        goto out;
    }
    if (!x86_linux_place_cmdline(vm, LINUX_CMDLINE, header.cmdline_max, error))
        goto out;

    uint64_t initrd, initrd_size, rsdp;
    if (!x86_linux_load_initrd(vm, header.load_address + header.init_size,
                               MIN(header.initrd_max_end, X86_RAM_LOW_LIMIT), &initrd,
                               &initrd_size, error) ||
        !x86_linux_acpi(vm, &rsdp, error) ||
        !write_zero_page(vm, bytes, &header, initrd, initrd_size, rsdp, error))
        goto out;

    state->code_selector = LINUX_BOOT_CS;
    state->data_selector = LINUX_BOOT_DS;
    *entry = (struct x86_entry){
        .mode = X86_MODE_LONG,
        .rip = header.load_address + LINUX_ENTRY_64,
        .rsp = LINUX_STACK_TOP,
        .rsi = LINUX_ZERO_PAGE,
    };
    vmb_log_debug("bzImage: protocol %u.%02u, kernel at 0x%" PRIx64 " (init_size 0x%" PRIx64
                  "), initrd at 0x%" PRIx64 " (%" PRIu64 " bytes)",
                  header.version >> 8, header.version & 0xff, header.load_address,
                  header.init_size, initrd, initrd_size);
    ok = true;
out:
    g_free(image);
    return ok;
}
