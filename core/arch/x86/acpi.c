/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI tables from the board (see acpi.h and docs/x86.md).
 *
 * The machine is "hardware-reduced" ACPI (FADT flag HW_REDUCED_ACPI): no PM1 blocks, no SCI,
 * no FACS. Power-off and reset go through the FADT's sleep control/status and reset registers,
 * which an acpi-power device provides; Linux then uses the I/O APIC only (no 8259 setup).
 *
 * Interrupts: every board irq is a GSI of the in-kernel I/O APIC, which KVM's default routing
 * connects one to one (GSI n to pin n; the in-kernel PIT drives GSI 0, so no IRQ0->GSI2
 * override). Devices drive their lines as levels (asserted while they want service), so the
 * DSDT declares each line level-triggered, active-high, and for lines below 16, which Linux
 * would otherwise take as ISA edge-triggered lines, the MADT carries an interrupt source
 * override saying the same.
 *
 * The DSDT holds no per-device code: a device appears when its type's firmware description
 * has an ACPI id, with resources made from its placement (window size from the type) and irq.
 */
#include "config.h"

#include "arch/x86/acpi.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>

#include "aml.h"
#include "arch/x86/x86.h"
#include "board.h"
#include "memory.h"
#include "plugin.h"
#include "util.h"
#include "vm.h"

/* Identification in every table header. */
#define ACPI_OEM_ID           "VMBRD "
#define ACPI_OEM_TABLE_ID     "VMBOARD "
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_ID       "VMBD"
#define ACPI_CREATOR_REVISION 1
#define ACPI_HEADER_LENGTH    36
#define ACPI_HEADER_CHECKSUM  9
#define ACPI_TABLE_ALIGNMENT  16

/* Root System Description Pointer, ACPI 2.0 form. */
#define RSDP_LENGTH            36
#define RSDP_REVISION          2
#define RSDP_CHECKSUM          8
#define RSDP_V1_LENGTH         20
#define RSDP_EXTENDED_CHECKSUM 32
#define XSDT_REVISION          1

/* Fixed ACPI Description Table, ACPI 6.3 layout (revision 6, 276 bytes). */
#define FADT_REVISION          6
#define FADT_MINOR_VERSION     3
#define FADT_LENGTH            276
#define FADT_DSDT              40
#define FADT_CENTURY           108
#define FADT_IAPC_BOOT_ARCH    109
#define FADT_FLAGS             112
#define FADT_RESET_REG         116
#define FADT_RESET_VALUE       128
#define FADT_MINOR_VERSION_AT  131
#define FADT_X_DSDT            140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_SLEEP_STATUS_REG  256

#define FADT_WBINVD          (1u << 0)
#define FADT_PROC_C1         (1u << 2)
#define FADT_PWR_BUTTON      (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON      (1u << 5) /* no fixed-feature sleep button */
#define FADT_RESET_REG_SUP   (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)

#define BOOT_ARCH_VGA_NOT_PRESENT      (1u << 2)
#define BOOT_ARCH_CMOS_RTC_NOT_PRESENT (1u << 5)

/* Generic Address Structure. */
#define GAS_LENGTH        12
#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO     1
#define GAS_ACCESS_BYTE   1

/* Multiple APIC Description Table, ACPI 6.3 (revision 5). */
#define MADT_REVISION           5
#define MADT_PCAT_COMPAT        1u /* KVM's irqchip has the 8259 pair too */
#define MADT_LOCAL_APIC         0
#define MADT_IO_APIC            1
#define MADT_INTERRUPT_OVERRIDE 2
#define MADT_LOCAL_APIC_NMI     4
#define MADT_LOCAL_X2APIC       9
#define MADT_LOCAL_X2APIC_NMI   10
#define MADT_ENABLED            1u
#define MADT_LEVEL_ACTIVE_HIGH  0x000du /* polarity 01 (high), trigger mode 11 (level) */
#define MADT_ALL_PROCESSORS     0xff
#define MADT_NMI_LINT           1   /* NMI arrives on LINT1, as on a PC */
#define XAPIC_MAX_ID            254 /* 255 is the xAPIC broadcast id */
#define X86_IOAPIC_ID           0   /* what KVM's I/O APIC reports after reset */
#define ISA_IRQS                16

#define DSDT_REVISION    2 /* 64-bit integers */
#define PROCESSOR_HID    "ACPI0007"
#define MAX_DSDT_DEVICES 0x1000 /* names D000-DFFF */

static void put_le(GByteArray *out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        uint8_t byte = (uint8_t)(value >> (8 * i));
        g_byte_array_append(out, &byte, 1);
    }
}

static void set_le(GByteArray *out, size_t offset, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        out->data[offset + i] = (uint8_t)(value >> (8 * i));
}

static void put_text(GByteArray *out, const char *text, size_t length)
{
    g_byte_array_append(out, (const guint8 *)text, (guint)length);
}

static GByteArray *table_begin(const char *signature, uint8_t revision)
{
    GByteArray *table = g_byte_array_new();
    put_text(table, signature, 4);
    put_le(table, 0, 4); /* length, set by table_finish */
    put_le(table, revision, 1);
    put_le(table, 0, 1); /* checksum, set by table_finish */
    put_text(table, ACPI_OEM_ID, 6);
    put_text(table, ACPI_OEM_TABLE_ID, 8);
    put_le(table, ACPI_OEM_REVISION, 4);
    put_text(table, ACPI_CREATOR_ID, 4);
    put_le(table, ACPI_CREATOR_REVISION, 4);
    return table;
}

static void table_finish(GByteArray *table)
{
    set_le(table, 4, table->len, 4);
    table->data[ACPI_HEADER_CHECKSUM] = 0;
    table->data[ACPI_HEADER_CHECKSUM] = acpi_checksum(table->data, table->len);
}

static uint64_t align_up(uint64_t value)
{
    return (value + ACPI_TABLE_ALIGNMENT - 1) & ~(uint64_t)(ACPI_TABLE_ALIGNMENT - 1);
}

/* The device entries the tables describe, with the board line for messages. */
static const char *where(const struct board_device *dev)
{
    return board_loc_str(&dev->loc);
}

static const struct board_device *find_device_of_type(const struct board *board, const char *type,
                                                      GError **error)
{
    const struct board_device *found = NULL;
    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, i);
        if (strcmp(dev->type, type) != 0)
            continue;
        if (found) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: a second %s device '%s' (the first is '%s'); the FADT describes one",
                        where(dev), type, dev->id, found->id);
            return NULL;
        }
        found = dev;
    }
    return found;
}

/* ---- DSDT ------------------------------------------------------------------------------- */

/* ACPI ids are "PNP" ids (three letters, four hex digits) or "ACPI" ids (four letters or
 * digits, four hex digits). */
static bool acpi_id_valid(const char *id)
{
    if (aml_is_eisa_id(id))
        return true;
    if (strlen(id) != 8)
        return false;
    for (int i = 0; i < 8; i++) {
        char c = id[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
        if (i < 4 ? !(g_ascii_isupper(c) || g_ascii_isdigit(c) || c == '_') : !hex)
            return false;
    }
    return true;
}

static const struct vmb_fw_desc *device_fw(const struct board_device *dev)
{
    const struct vmb_fw_desc *fw = dev->dtype ? dev->dtype->fw : NULL;
    if (!fw || !VMB_HAS_FIELD(fw, struct vmb_fw_desc, acpi_hid) || !fw->acpi_hid)
        return NULL;
    return fw;
}

static const char *device_cid(const struct vmb_fw_desc *fw)
{
    return VMB_HAS_FIELD(fw, struct vmb_fw_desc, acpi_cid) ? fw->acpi_cid : NULL;
}

/* The _CRS resource template of one device: its window and its interrupt. */
static bool device_resources(const struct board_device *dev, GByteArray *rt, GError **error)
{
    if (dev->placement == PLACE_PIO) {
        uint64_t ports = plugin_type_window(dev->dtype, VMB_SPACE_PIO);
        if (dev->address + ports > 0x10000) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: device '%s' at pio 0x%" PRIx64 " with %" PRIu64
                        " ports goes past port 0xffff",
                        where(dev), dev->id, dev->address, ports);
            return false;
        }
        /* An I/O descriptor covers at most 255 ports. */
        for (uint64_t done = 0; done < ports; done += 255)
            aml_resource_io(rt, (uint16_t)(dev->address + done), (uint8_t)MIN(ports - done, 255));
    } else if (dev->placement == PLACE_MMIO) {
        uint64_t bytes = plugin_type_window(dev->dtype, VMB_SPACE_MMIO);
        if (dev->address <= UINT32_MAX && bytes <= (uint64_t)UINT32_MAX + 1 - dev->address)
            aml_resource_memory32_fixed(rt, (uint32_t)dev->address, (uint32_t)bytes);
        else
            aml_resource_qword_memory(rt, dev->address, bytes);
    }
    if (dev->irq >= 0)
        aml_resource_interrupt(rt, (uint32_t)dev->irq, AML_IRQ_LEVEL | AML_IRQ_ACTIVE_HIGH);
    if (!rt->len)
        return true;
    aml_resource_end(rt);
    return true;
}

static bool dsdt_device(const struct board_device *dev, unsigned index, GHashTable *uids,
                        GByteArray *scope, GError **error)
{
    const struct vmb_fw_desc *fw = device_fw(dev);
    const char *cid = device_cid(fw);
    const struct plugin_type_entry *entry = dev->entry;
    const char *file = entry ? entry->file : dev->type;

    if (!acpi_id_valid(fw->acpi_hid) || (cid && !acpi_id_valid(cid))) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type '%s' (%s) declares the ACPI id '%s', which is neither a "
                    "PNP id (like PNP0501) nor an ACPI id (like LNRO0005)",
                    where(dev), dev->type, file, acpi_id_valid(fw->acpi_hid) ? cid : fw->acpi_hid);
        return false;
    }
    if (index >= MAX_DSDT_DEVICES) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device '%s' is device number %u of the board; the DSDT names at "
                    "most %d (D000-DFFF)",
                    where(dev), dev->id, index + 1, MAX_DSDT_DEVICES);
        return false;
    }

    /* _UID tells apart devices with the same _HID: count them per id. */
    unsigned uid = GPOINTER_TO_UINT(g_hash_table_lookup(uids, fw->acpi_hid));
    g_hash_table_insert(uids, (gpointer)fw->acpi_hid, GUINT_TO_POINTER(uid + 1));

    GByteArray *resources = g_byte_array_new();
    if (!device_resources(dev, resources, error)) {
        g_byte_array_unref(resources);
        return false;
    }
    GByteArray *body = g_byte_array_new();
    GByteArray *object = g_byte_array_new();
    aml_append_id(object, fw->acpi_hid);
    aml_append_name(body, "_HID", object);
    if (cid) {
        g_byte_array_set_size(object, 0);
        aml_append_id(object, cid);
        aml_append_name(body, "_CID", object);
    }
    aml_append_name_integer(body, "_UID", uid);
    /* The board's id as the description (Linux shows it in sysfs as "description"). */
    g_byte_array_set_size(object, 0);
    bool ok = aml_append_unicode(object, dev->id);
    if (ok)
        aml_append_name(body, "_STR", object);
    if (ok && resources->len) {
        g_byte_array_set_size(object, 0);
        ok = aml_append_buffer(object, resources->data, resources->len);
        aml_append_name(body, "_CRS", object);
    }
    char name[8];
    g_snprintf(name, sizeof(name), "D%03X", index);
    ok = ok && aml_append_device(scope, name, body);
    if (!ok)
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device '%s' does not fit in an AML object (is its id that long?)",
                    where(dev), dev->id);
    g_byte_array_unref(object);
    g_byte_array_unref(body);
    g_byte_array_unref(resources);
    return ok;
}

static GByteArray *build_dsdt(const struct board *board, bool has_power, GError **error)
{
    GByteArray *scope = g_byte_array_new();
    GByteArray *body = g_byte_array_new();
    GHashTable *uids = g_hash_table_new(g_str_hash, g_str_equal);
    GByteArray *dsdt = NULL;
    bool ok = true;

    /* Processors, matched to the MADT's entries by _UID = ACPI processor UID = vCPU index. */
    for (uint32_t cpu = 0; cpu < board->cpus && ok; cpu++) {
        char name[8];
        g_snprintf(name, sizeof(name), "C%03X", cpu);
        g_byte_array_set_size(body, 0);
        aml_append_name_string_object(body, "_HID", PROCESSOR_HID);
        aml_append_name_integer(body, "_UID", cpu);
        ok = aml_append_device(scope, name, body);
    }
    for (guint i = 0; i < board->devices->len && ok; i++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, i);
        if (device_fw(dev))
            ok = dsdt_device(dev, i, uids, scope, error);
    }
    if (!ok)
        goto out;

    dsdt = table_begin("DSDT", DSDT_REVISION);
    if (!aml_append_scope(dsdt, "\\_SB", scope)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "the DSDT's \\_SB scope is too large");
        g_byte_array_unref(dsdt);
        dsdt = NULL;
        goto out;
    }
    if (has_power) {
        /* \_S5: the SLP_TYP values for power-off (only the first counts on reduced hardware). */
        GByteArray *elements = g_byte_array_new();
        GByteArray *package = g_byte_array_new();
        aml_append_integer(elements, ACPI_POWER_S5_TYPE);
        aml_append_integer(elements, 0);
        aml_append_package(package, 2, elements);
        aml_append_name(dsdt, "\\_S5", package);
        g_byte_array_unref(package);
        g_byte_array_unref(elements);
    }
    table_finish(dsdt);
out:
    g_hash_table_unref(uids);
    g_byte_array_unref(body);
    g_byte_array_unref(scope);
    return dsdt;
}

/* ---- MADT ------------------------------------------------------------------------------- */

static bool check_irqs(const struct board *board, GError **error)
{
    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, i);
        if (dev->irq >= X86_IOAPIC_PINS) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: device '%s' uses irq %d, but the I/O APIC has inputs 0-%d only",
                        board_loc_str(dev->irq_loc.line ? &dev->irq_loc : &dev->loc), dev->id,
                        dev->irq, X86_IOAPIC_PINS - 1);
            return false;
        }
    }
    return true;
}

static GByteArray *build_madt(const struct board *board)
{
    GByteArray *madt = table_begin("APIC", MADT_REVISION);
    put_le(madt, X86_LAPIC_BASE, 4);
    put_le(madt, MADT_PCAT_COMPAT, 4);

    /* APIC id = vCPU index, as cpu.c gives each vCPU in CPUID. */
    bool any_x2apic = false;
    for (uint32_t cpu = 0; cpu < board->cpus; cpu++) {
        if (cpu <= XAPIC_MAX_ID) {
            put_le(madt, MADT_LOCAL_APIC, 1);
            put_le(madt, 8, 1);
            put_le(madt, cpu, 1); /* ACPI processor UID */
            put_le(madt, cpu, 1); /* APIC id */
            put_le(madt, MADT_ENABLED, 4);
        } else {
            any_x2apic = true;
            put_le(madt, MADT_LOCAL_X2APIC, 1);
            put_le(madt, 16, 1);
            put_le(madt, 0, 2);   /* reserved */
            put_le(madt, cpu, 4); /* x2APIC id */
            put_le(madt, MADT_ENABLED, 4);
            put_le(madt, cpu, 4); /* ACPI processor UID */
        }
    }

    put_le(madt, MADT_IO_APIC, 1);
    put_le(madt, 12, 1);
    put_le(madt, X86_IOAPIC_ID, 1);
    put_le(madt, 0, 1); /* reserved */
    put_le(madt, X86_IOAPIC_BASE, 4);
    put_le(madt, 0, 4); /* GSI base */

    /* Lines below 16 would default to ISA edge/high: say they are level/high, like the
     * devices drive them and the DSDT declares them. One entry per line. */
    bool overridden[ISA_IRQS] = {false};
    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, i);
        if (dev->irq < 0 || dev->irq >= ISA_IRQS || overridden[dev->irq])
            continue;
        overridden[dev->irq] = true;
        put_le(madt, MADT_INTERRUPT_OVERRIDE, 1);
        put_le(madt, 10, 1);
        put_le(madt, 0, 1); /* bus: ISA */
        put_le(madt, dev->irq, 1);
        put_le(madt, dev->irq, 4); /* GSI */
        put_le(madt, MADT_LEVEL_ACTIVE_HIGH, 2);
    }

    put_le(madt, MADT_LOCAL_APIC_NMI, 1);
    put_le(madt, 6, 1);
    put_le(madt, MADT_ALL_PROCESSORS, 1);
    put_le(madt, 0, 2); /* flags: as the bus defines (edge, high) */
    put_le(madt, MADT_NMI_LINT, 1);
    if (any_x2apic) {
        put_le(madt, MADT_LOCAL_X2APIC_NMI, 1);
        put_le(madt, 12, 1);
        put_le(madt, 0, 2);          /* flags */
        put_le(madt, UINT32_MAX, 4); /* all processors */
        put_le(madt, MADT_NMI_LINT, 1);
        put_le(madt, 0, 3); /* reserved */
    }
    table_finish(madt);
    return madt;
}

/* ---- FADT, XSDT, RSDP ------------------------------------------------------------------- */

/* A one-byte register of the acpi-power device, in its own address space. */
static void set_power_register(GByteArray *fadt, size_t offset, const struct board_device *power,
                               unsigned reg)
{
    fadt->data[offset + 0] = power->placement == PLACE_PIO ? GAS_SYSTEM_IO : GAS_SYSTEM_MEMORY;
    fadt->data[offset + 1] = 8; /* bit width */
    fadt->data[offset + 2] = 0; /* bit offset */
    fadt->data[offset + 3] = GAS_ACCESS_BYTE;
    set_le(fadt, offset + 4, power->address + reg, 8);
}

static GByteArray *build_fadt(const struct board_device *power, const struct board_device *rtc,
                              uint64_t dsdt_address)
{
    GByteArray *fadt = table_begin("FACP", FADT_REVISION);
    g_byte_array_set_size(fadt, FADT_LENGTH);
    memset(fadt->data + ACPI_HEADER_LENGTH, 0, FADT_LENGTH - ACPI_HEADER_LENGTH);

    uint32_t flags =
        FADT_HW_REDUCED_ACPI | FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON;
    /* No VGA; no 8042 either: the i8042 device is there for reset only, so Linux need not
     * probe for a keyboard that is not attached. */
    uint16_t boot_arch = BOOT_ARCH_VGA_NOT_PRESENT;

    set_le(fadt, FADT_DSDT, dsdt_address, 4);
    set_le(fadt, FADT_X_DSDT, dsdt_address, 8);
    if (rtc)
        fadt->data[FADT_CENTURY] = ACPI_RTC_CENTURY_INDEX;
    else
        boot_arch |= BOOT_ARCH_CMOS_RTC_NOT_PRESENT;
    if (power) {
        flags |= FADT_RESET_REG_SUP;
        set_power_register(fadt, FADT_RESET_REG, power, ACPI_POWER_RESET);
        fadt->data[FADT_RESET_VALUE] = ACPI_POWER_RESET_VALUE;
        set_power_register(fadt, FADT_SLEEP_CONTROL_REG, power, ACPI_POWER_SLEEP_CONTROL);
        set_power_register(fadt, FADT_SLEEP_STATUS_REG, power, ACPI_POWER_SLEEP_STATUS);
    }
    set_le(fadt, FADT_IAPC_BOOT_ARCH, boot_arch, 2);
    set_le(fadt, FADT_FLAGS, flags, 4);
    fadt->data[FADT_MINOR_VERSION_AT] = FADT_MINOR_VERSION;
    table_finish(fadt);
    return fadt;
}

static GByteArray *build_xsdt(const uint64_t *addresses, unsigned count)
{
    GByteArray *xsdt = table_begin("XSDT", XSDT_REVISION);
    for (unsigned i = 0; i < count; i++)
        put_le(xsdt, addresses[i], 8);
    table_finish(xsdt);
    return xsdt;
}

static GByteArray *build_rsdp(uint64_t xsdt_address)
{
    GByteArray *rsdp = g_byte_array_new();
    put_text(rsdp, "RSD PTR ", 8);
    put_le(rsdp, 0, 1); /* checksum of the first 20 bytes */
    put_text(rsdp, ACPI_OEM_ID, 6);
    put_le(rsdp, RSDP_REVISION, 1);
    put_le(rsdp, 0, 4); /* no RSDT: every table is reached through the XSDT */
    put_le(rsdp, RSDP_LENGTH, 4);
    put_le(rsdp, xsdt_address, 8);
    put_le(rsdp, 0, 4); /* extended checksum, 3 reserved bytes */
    rsdp->data[RSDP_CHECKSUM] = acpi_checksum(rsdp->data, RSDP_V1_LENGTH);
    rsdp->data[RSDP_EXTENDED_CHECKSUM] = acpi_checksum(rsdp->data, RSDP_LENGTH);
    return rsdp;
}

static void table_free(gpointer data)
{
    struct acpi_table *table = data;
    g_byte_array_unref(table->bytes);
    g_free(table);
}

static void add_table(GPtrArray *tables, const char *name, uint64_t address, GByteArray *bytes)
{
    struct acpi_table *table = g_new0(struct acpi_table, 1);
    g_strlcpy(table->name, name, sizeof(table->name));
    table->address = address;
    table->bytes = bytes;
    g_ptr_array_add(tables, table);
}

GPtrArray *acpi_tables_build(const struct board *board, GError **error)
{
    if (board->arch != VMB_ARCH_X86_64) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: ACPI tables are made for x86_64 boards; this board is %s", board->path,
                    board_arch_name(board->arch));
        return NULL;
    }
    GError *local = NULL;
    const struct board_device *power = find_device_of_type(board, ACPI_POWER_TYPE, &local);
    const struct board_device *rtc =
        local ? NULL : find_device_of_type(board, ACPI_RTC_TYPE, &local);
    if (local || !check_irqs(board, &local)) {
        g_propagate_error(error, local);
        return NULL;
    }
    GByteArray *dsdt = build_dsdt(board, power != NULL, error);
    if (!dsdt)
        return NULL;
    GByteArray *madt = build_madt(board);

    /* In memory: RSDP, XSDT, FADT, MADT, DSDT. Only the last two vary in length. */
    uint64_t rsdp_address = X86_ACPI_BASE;
    uint64_t xsdt_address = align_up(rsdp_address + RSDP_LENGTH);
    uint64_t fadt_address = align_up(xsdt_address + ACPI_HEADER_LENGTH + 2 * 8);
    uint64_t madt_address = align_up(fadt_address + FADT_LENGTH);
    uint64_t dsdt_address = align_up(madt_address + madt->len);
    uint64_t end = dsdt_address + dsdt->len;
    if (end > X86_ACPI_BASE + X86_ACPI_SIZE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: the ACPI tables need %" PRIu64 " bytes; the firmware area holds %" PRIu64,
                    board->path, (uint64_t)(end - X86_ACPI_BASE), (uint64_t)X86_ACPI_SIZE);
        g_byte_array_unref(dsdt);
        g_byte_array_unref(madt);
        return NULL;
    }

    const uint64_t xsdt_entries[] = {fadt_address, madt_address};
    GPtrArray *tables = g_ptr_array_new_with_free_func(table_free);
    add_table(tables, "RSDP", rsdp_address, build_rsdp(xsdt_address));
    add_table(tables, "XSDT", xsdt_address, build_xsdt(xsdt_entries, G_N_ELEMENTS(xsdt_entries)));
    add_table(tables, "FACP", fadt_address, build_fadt(power, rtc, dsdt_address));
    add_table(tables, "APIC", madt_address, madt);
    add_table(tables, "DSDT", dsdt_address, dsdt);
    return tables;
}

const char *acpi_table_file_suffix(const struct acpi_table *table)
{
    return strcmp(table->name, "RSDP") == 0 ? "bin" : "dat";
}

bool acpi_tables_write_files(const GPtrArray *tables, const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "cannot create the directory %s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        char *file = g_strdup_printf("%s.%s", table->name, acpi_table_file_suffix(table));
        char *path = g_build_filename(dir, file, NULL);
        bool ok =
            g_file_set_contents(path, (const char *)table->bytes->data, table->bytes->len, error);
        g_free(path);
        g_free(file);
        if (!ok)
            return false;
    }
    return true;
}

bool x86_acpi_build(struct vm *vm, uint64_t *rsdp, GError **error)
{
    GPtrArray *tables = acpi_tables_build(vm->board, error);
    if (!tables)
        return false;
    bool ok = true;
    for (guint i = 0; i < tables->len && ok; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        ok = memory_write(vm->mem, table->address, table->bytes->data, table->bytes->len);
        if (!ok)
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "the ACPI %s table belongs at 0x%" PRIx64 ", which is not guest RAM "
                        "(the board has %" PRIu64 " bytes)",
                        table->name, table->address, vm->board->memory);
        else
            vmb_log_debug("ACPI %s at 0x%" PRIx64 ", %u bytes", table->name, table->address,
                          table->bytes->len);
    }
    *rsdp = ok ? ((const struct acpi_table *)g_ptr_array_index(tables, 0))->address : 0;
    g_ptr_array_unref(tables);
    return ok;
}
