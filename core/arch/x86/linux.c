/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the two Linux entries (bzImage's boot protocol, vmlinux's PVH note) share: the guest's
 * memory map, the command line, where the initrd goes, and the ACPI root pointer.
 *
 * Reset vector: Linux's last resort to reboot (and its choice on a hardware-reduced ACPI
 * machine without EFI) is a jump to the BIOS at 0xffff0. There is no BIOS, so vmboard puts a
 * few instructions there that write the board's reset registers (acpi-power, i8042), which
 * end the machine as a reset; without either the vCPU halts.
 *
 * Memory map: every RAM slot is RAM, except that the legacy area [0x9fc00, 0x100000) of the
 * first slot (EBDA, VGA window, option and BIOS ROMs on a PC) is left out of RAM and
 * [0xe0000, 0x100000) is listed as reserved, where firmware tables traditionally live.
 */
#include "config.h"

#include "arch/x86/x86.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory.h"
#include "util.h"
#include "vm.h"

#define LEGACY_HOLE_START   UINT64_C(0x9fc00)
#define BIOS_AREA_START     UINT64_C(0xe0000)
#define HIGH_MEMORY_START   UINT64_C(0x100000)
#define INITRD_ALIGNMENT    UINT64_C(0x1000)

static unsigned e820_add(struct x86_e820_entry *table, unsigned count, unsigned capacity,
                         uint64_t address, uint64_t end, uint32_t type)
{
    if (end <= address || count >= capacity)
        return count;
    table[count] = (struct x86_e820_entry){.address = address, .size = end - address, .type = type};
    return count + 1;
}

unsigned x86_e820_build(struct vm *vm, struct x86_e820_entry *table, unsigned capacity)
{
    unsigned count = 0;

    for (unsigned i = 0; i < memory_slot_count(vm->mem); i++) {
        const struct mem_slot *slot = memory_slot(vm->mem, i);
        uint64_t end = slot->gpa + slot->size;
        if (slot->gpa >= HIGH_MEMORY_START) {
            count = e820_add(table, count, capacity, slot->gpa, end, X86_E820_RAM);
            continue;
        }
        count = e820_add(table, count, capacity, slot->gpa, MIN(end, LEGACY_HOLE_START),
                         X86_E820_RAM);
        count = e820_add(table, count, capacity, MAX(slot->gpa, BIOS_AREA_START),
                         MIN(end, HIGH_MEMORY_START), X86_E820_RESERVED);
        count = e820_add(table, count, capacity, MAX(slot->gpa, HIGH_MEMORY_START), end,
                         X86_E820_RAM);
    }
    return count;
}

bool x86_linux_place_cmdline(struct vm *vm, uint64_t gpa, uint64_t max_length, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    const char *cmdline = boot->cmdline ? boot->cmdline : "";
    size_t length = strlen(cmdline);

    if (length > max_length) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the kernel command line is %zu bytes; this kernel accepts at most %" PRIu64,
                    board_loc_str(&boot->loc), length, max_length);
        return false;
    }
    if (!memory_write(vm->mem, gpa, cmdline, length + 1)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "the kernel command line at 0x%" PRIx64 " is not in guest RAM (too little "
                    "memory)",
                    gpa);
        return false;
    }
    return true;
}

/* Read exactly `size` bytes of fd into host memory, whatever read() returns at a time. */
static bool read_whole(int fd, uint8_t *destination, uint64_t size)
{
    while (size > 0) {
        ssize_t got = read(fd, destination, MIN(size, (uint64_t)1 << 30));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        destination += got;
        size -= (uint64_t)got;
    }
    return true;
}

bool x86_linux_load_initrd(struct vm *vm, uint64_t lowest, uint64_t highest_end, uint64_t *gpa,
                           uint64_t *size, GError **error)
{
    const struct board_boot *boot = &vm->board->boot;
    *gpa = 0;
    *size = 0;
    if (!boot->initrd)
        return true;

    int fd = open(boot->initrd, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: cannot read the initrd %s: %s",
                    board_loc_str(&boot->initrd_loc), boot->initrd,
                    fd < 0 || errno ? g_strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return false;
    }
    uint64_t length = (uint64_t)st.st_size;

    /* The highest aligned place inside one RAM slot and the allowed window. */
    uint64_t chosen = 0;
    bool found = false;
    for (unsigned i = memory_slot_count(vm->mem); i-- > 0 && !found;) {
        const struct mem_slot *slot = memory_slot(vm->mem, i);
        uint64_t low = MAX(slot->gpa, lowest);
        uint64_t high = MIN(slot->gpa + slot->size, highest_end);
        if (high <= low || high - low < length)
            continue;
        chosen = (high - length) & ~(INITRD_ALIGNMENT - 1);
        found = chosen >= low;
    }
    uint8_t *destination = found ? memory_translate(vm->mem, chosen, length) : NULL;
    if (!destination) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the initrd %s (%" PRIu64 " bytes) does not fit in guest RAM between the "
                    "kernel (ends at 0x%" PRIx64 ") and 0x%" PRIx64 "; give the board more memory",
                    board_loc_str(&boot->initrd_loc), boot->initrd, length, lowest, highest_end);
        close(fd);
        return false;
    }
    bool ok = read_whole(fd, destination, length);
    int saved = errno;
    close(fd);
    if (!ok) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "%s: cannot read the initrd %s: %s",
                    board_loc_str(&boot->initrd_loc), boot->initrd,
                    saved ? g_strerror(saved) : "file shrank while reading");
        return false;
    }
    *gpa = chosen;
    *size = length;
    return true;
}

bool x86_linux_acpi(struct vm *vm, uint64_t *rsdp, GError **error)
{
    if (!x86_acpi_build(vm, rsdp, error))
        return false;
    x86_linux_write_reset_vector(vm); /* after the tables, which share the BIOS area */
    return true;
}

/* The board's port for a device type, if it has one on port I/O. */
static bool board_port(const struct board *board, const char *type, uint64_t *port)
{
    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *device = g_ptr_array_index(board->devices, i);
        if (strcmp(device->type, type) == 0 && device->placement == PLACE_PIO &&
            device->address <= 0xfff0) {
            *port = device->address;
            return true;
        }
    }
    return false;
}

static unsigned put_port_write(uint8_t *code, uint64_t port, uint8_t value)
{
    code[0] = 0xba; /* mov dx, port */
    code[1] = (uint8_t)port;
    code[2] = (uint8_t)(port >> 8);
    code[3] = 0xb0; /* mov al, value */
    code[4] = value;
    code[5] = 0xee; /* out dx, al */
    return 6;
}

void x86_linux_write_reset_vector(struct vm *vm)
{
    uint8_t *vector = memory_translate(vm->mem, X86_RESET_VECTOR, 16);
    uint64_t port;
    unsigned length = 0;

    if (!vector)
        return;
    memset(vector, 0, 16);
    if (board_port(vm->board, "acpi-power", &port))
        length += put_port_write(vector + length, port + 2, 0x01); /* the reset register */
    if (board_port(vm->board, "i8042", &port))
        length += put_port_write(vector + length, port + 4, 0xfe); /* pulse the reset line */
    vector[length++] = 0xfa; /* cli */
    vector[length++] = 0xf4; /* hlt */
}
