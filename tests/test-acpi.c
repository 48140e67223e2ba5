/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86_64 firmware view: the AML encoder against bytes worked out from the ACPI specification,
 * the tables a board produces (checksums, lengths, pointers, what each field says), `vmboard
 * dump acpi` read back by iasl, and the platform plugins behind the tables (acpi-power,
 * i8042, rtc-cmos) driven through the real bus and host API on a VM without KVM.
 *
 * Boards use the real plugins from $VMBOARD_PLUGIN_PATH, plus a virtio-mmio-like type
 * registered here, so the DSDT is tested on an MMIO device without depending on the virtio
 * plugin's details.
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aml.h"
#include "arch/x86/acpi.h"
#include "arch/x86/x86.h"
#include "board.h"
#include "bus.h"
#include "device.h"
#include "irq.h"
#include "loop.h"
#include "memory.h"
#include "plugin.h"
#include "test-machine.h"
#include "vm.h"

/* ---- byte helpers ------------------------------------------------------------------------- */

static void assert_bytes(const GByteArray *got, const uint8_t *want, size_t length)
{
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < got->len; i++)
        g_string_append_printf(text, " %02x", got->data[i]);
    ck_assert_msg(got->len == length && memcmp(got->data, want, length) == 0, "encoded %u bytes:%s",
                  got->len, text->str);
    g_string_free(text, TRUE);
}

#define ASSERT_BYTES(array, ...)                                                                   \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        assert_bytes((array), want_, sizeof(want_));                                               \
    } while (0)

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < bytes; i++)
        value |= (uint64_t)p[i] << (8 * i);
    return value;
}

static const uint8_t *find_bytes(const uint8_t *haystack, size_t length, const void *needle,
                                 size_t needle_length)
{
    for (size_t i = 0; needle_length <= length && i <= length - needle_length; i++) {
        if (memcmp(haystack + i, needle, needle_length) == 0)
            return haystack + i;
    }
    return NULL;
}

/* ---- AML encoder ------------------------------------------------------------------------ */

static GByteArray *pkg_length(size_t body)
{
    GByteArray *out = g_byte_array_new();
    ck_assert(aml_append_pkg_length(out, body));
    return out;
}

START_TEST(aml_pkg_length_encodings)
{
    /* The value counts its own bytes; one byte holds up to 63, two bytes up to 2^12 - 1,
     * three up to 2^20 - 1, four up to 2^28 - 1 (lead byte: count << 6 | low nibble). */
    GByteArray *out;
    out = pkg_length(0);
    ASSERT_BYTES(out, 0x01);
    g_byte_array_unref(out);
    out = pkg_length(62);
    ASSERT_BYTES(out, 0x3f);
    g_byte_array_unref(out);
    out = pkg_length(63); /* 65 in two bytes: 0x41 = 1 << 6 | 0x1, 0x04 */
    ASSERT_BYTES(out, 0x41, 0x04);
    g_byte_array_unref(out);
    out = pkg_length(4093); /* 4095 */
    ASSERT_BYTES(out, 0x4f, 0xff);
    g_byte_array_unref(out);
    out = pkg_length(4094); /* 4097 in three bytes */
    ASSERT_BYTES(out, 0x81, 0x00, 0x01);
    g_byte_array_unref(out);
    out = pkg_length(0xffffd); /* 0x100001 in four bytes */
    ASSERT_BYTES(out, 0xc1, 0x00, 0x00, 0x01);
    g_byte_array_unref(out);
    out = pkg_length(AML_PKG_LENGTH_MAX - 4);
    ASSERT_BYTES(out, 0xcf, 0xff, 0xff, 0xff);
    g_byte_array_unref(out);

    out = g_byte_array_new();
    ck_assert(!aml_append_pkg_length(out, AML_PKG_LENGTH_MAX - 3));
    ck_assert_uint_eq(out->len, 0);
    g_byte_array_unref(out);
}
END_TEST

static GByteArray *name_string(const char *path)
{
    ck_assert_msg(aml_name_valid(path), "'%s' refused", path);
    GByteArray *out = g_byte_array_new();
    aml_append_name_string(out, path);
    return out;
}

START_TEST(aml_name_strings)
{
    GByteArray *out;
    out = name_string("_SB");
    ASSERT_BYTES(out, '_', 'S', 'B', '_');
    g_byte_array_unref(out);
    out = name_string("\\_SB.C000");
    ASSERT_BYTES(out, '\\', 0x2e, '_', 'S', 'B', '_', 'C', '0', '0', '0');
    g_byte_array_unref(out);
    out = name_string("A.B.C");
    ASSERT_BYTES(out, 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_');
    g_byte_array_unref(out);
    out = name_string("\\");
    ASSERT_BYTES(out, '\\', 0x00);
    g_byte_array_unref(out);
    out = name_string("^^DEV1");
    ASSERT_BYTES(out, '^', '^', 'D', 'E', 'V', '1');
    g_byte_array_unref(out);

    static const char *const invalid[] = {"",    "1ABC",  "ABCDE", "A..B", "A.",
                                          "_sb", "\\\\X", ".A",    "A-B"};
    for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++)
        ck_assert_msg(!aml_name_valid(invalid[i]), "'%s' accepted", invalid[i]);
    ck_assert(!aml_name_valid(NULL));
}
END_TEST

START_TEST(aml_integers_and_strings)
{
    static const struct {
        uint64_t value;
        uint8_t bytes[9];
        size_t length;
    } cases[] = {
        {0, {0x00}, 1},
        {1, {0x01}, 1},
        {2, {0x0a, 0x02}, 2},
        {0xff, {0x0a, 0xff}, 2},
        {0x100, {0x0b, 0x00, 0x01}, 3},
        {0x10000, {0x0c, 0x00, 0x00, 0x01, 0x00}, 5},
        {0xffffffff, {0x0c, 0xff, 0xff, 0xff, 0xff}, 5},
        {0x100000000ull, {0x0e, 0, 0, 0, 0, 1, 0, 0, 0}, 9},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GByteArray *out = g_byte_array_new();
        aml_append_integer(out, cases[i].value);
        assert_bytes(out, cases[i].bytes, cases[i].length);
        g_byte_array_unref(out);
    }

    GByteArray *out = g_byte_array_new();
    aml_append_string(out, "ab");
    ASSERT_BYTES(out, 0x0d, 'a', 'b', 0x00);
    g_byte_array_set_size(out, 0);
    aml_append_name_integer(out, "_UID", 0);
    ASSERT_BYTES(out, 0x08, '_', 'U', 'I', 'D', 0x00);
    g_byte_array_set_size(out, 0);
    ck_assert(aml_append_unicode(out, "ab"));
    ASSERT_BYTES(out, 0x11, 0x09, 0x0a, 0x06, 'a', 0, 'b', 0, 0, 0);
    g_byte_array_unref(out);
}
END_TEST

START_TEST(aml_eisa_ids)
{
    ck_assert(aml_is_eisa_id("PNP0501"));
    ck_assert(aml_is_eisa_id("PNP0B00"));
    ck_assert(!aml_is_eisa_id("LNRO0005")); /* an ACPI id: stays a string */
    ck_assert(!aml_is_eisa_id("pnp0501"));
    ck_assert(!aml_is_eisa_id("PNP05G1"));
    ck_assert(!aml_is_eisa_id("PNP050"));
    ck_assert_uint_eq(aml_eisa_id("PNP0501"), 0x0105d041);
    ck_assert_uint_eq(aml_eisa_id("PNP0B00"), 0x000bd041);

    GByteArray *out = g_byte_array_new();
    aml_append_id(out, "PNP0501");
    ASSERT_BYTES(out, 0x0c, 0x41, 0xd0, 0x05, 0x01);
    g_byte_array_set_size(out, 0);
    aml_append_id(out, "LNRO0005");
    ASSERT_BYTES(out, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00);
    g_byte_array_unref(out);
}
END_TEST

START_TEST(aml_blocks)
{
    GByteArray *body = g_byte_array_new();
    GByteArray *out = g_byte_array_new();

    aml_append_name_integer(body, "_UID", 0);
    ck_assert(aml_append_device(out, "D000", body));
    ASSERT_BYTES(out, 0x5b, 0x82, 0x0b, 'D', '0', '0', '0', 0x08, '_', 'U', 'I', 'D', 0x00);

    g_byte_array_set_size(out, 0);
    ck_assert(aml_append_scope(out, "\\_SB", body));
    ASSERT_BYTES(out, 0x10, 0x0c, '\\', '_', 'S', 'B', '_', 0x08, '_', 'U', 'I', 'D', 0x00);

    g_byte_array_set_size(out, 0);
    static const uint8_t data[] = {1, 2, 3};
    ck_assert(aml_append_buffer(out, data, sizeof(data)));
    ASSERT_BYTES(out, 0x11, 0x06, 0x0a, 0x03, 1, 2, 3);

    g_byte_array_set_size(out, 0);
    g_byte_array_set_size(body, 0);
    aml_append_integer(body, 5);
    aml_append_integer(body, 0);
    ck_assert(aml_append_package(out, 2, body));
    ASSERT_BYTES(out, 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00);

    /* A body long enough for a two-byte PkgLength. */
    g_byte_array_set_size(out, 0);
    g_byte_array_set_size(body, 100);
    memset(body->data, 0xa5, body->len);
    ck_assert(aml_append_device(out, "BIG", body));
    ck_assert_uint_eq(out->len, 2 + 2 + 4 + 100);
    ck_assert_uint_eq(out->data[2], 0x4a); /* 106 = 0x6a: 0x40 | 0xa, then 0x06 */
    ck_assert_uint_eq(out->data[3], 0x06);
    ck_assert_mem_eq(out->data + 4, "BIG_", 4);

    g_byte_array_unref(body);
    g_byte_array_unref(out);
}
END_TEST

START_TEST(aml_resource_descriptors)
{
    GByteArray *rt = g_byte_array_new();
    aml_resource_io(rt, 0x3f8, 8);
    ASSERT_BYTES(rt, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08);

    g_byte_array_set_size(rt, 0);
    aml_resource_memory32_fixed(rt, 0xd0000000, 0x200);
    ASSERT_BYTES(rt, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00);

    g_byte_array_set_size(rt, 0);
    aml_resource_interrupt(rt, 5, AML_IRQ_LEVEL | AML_IRQ_ACTIVE_HIGH);
    ASSERT_BYTES(rt, 0x89, 0x06, 0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00);
    g_byte_array_set_size(rt, 0);
    aml_resource_interrupt(rt, 40, AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED);
    ASSERT_BYTES(rt, 0x89, 0x06, 0x00, 0x0f, 0x01, 0x28, 0x00, 0x00, 0x00);

    g_byte_array_set_size(rt, 0);
    aml_resource_qword_memory(rt, 0x200000000ull, 0x1000);
    ck_assert_uint_eq(rt->len, 46);
    ck_assert_uint_eq(rt->data[0], 0x8a);
    ck_assert_uint_eq(get_le(rt->data + 1, 2), 43);
    ck_assert_uint_eq(rt->data[3], 0);                           /* memory */
    ck_assert_uint_eq(get_le(rt->data + 14, 8), 0x200000000ull); /* minimum */
    ck_assert_uint_eq(get_le(rt->data + 22, 8), 0x200000fffull); /* maximum */
    ck_assert_uint_eq(get_le(rt->data + 38, 8), 0x1000);         /* length */

    g_byte_array_set_size(rt, 0);
    aml_resource_end(rt);
    ASSERT_BYTES(rt, 0x79, 0x00);
    g_byte_array_unref(rt);
}
END_TEST

/* ---- boards ------------------------------------------------------------------------------ */

static void *test_type_create(vmb_device *dev, const struct vmb_host *host)
{
    return dev;
}

static const struct vmb_prop_spec no_props[] = {{NULL, 0, NULL, 0, NULL}};

static const struct vmb_fw_desc virtio_like_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "virtio,mmio\0",
    .acpi_hid = "LNRO0005",
};

static const struct vmb_device_type virtio_like_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-virtio-mmio",
    .description = "an MMIO device declared as virtio-mmio to the firmware",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR | VMB_TYPE_NEEDS_IRQ,
    .window_size = 0x200,
    .irq_count = 1,
    .props = no_props,
    .fw = &virtio_like_fw,
    .create = test_type_create,
};

static const struct vmb_fw_desc bad_id_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .acpi_hid = "serial port",
};

static const struct vmb_device_type bad_id_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-bad-acpi-id",
    .description = "declares an ACPI id that is none",
    .flags = VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 1,
    .props = no_props,
    .fw = &bad_id_fw,
    .create = test_type_create,
};

static const struct vmb_device_type *const test_types[] = {&virtio_like_type, &bad_id_type, NULL};

static const struct vmb_plugin test_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-acpi",
    .version = "1",
    .types = test_types,
};

static struct plugin_registry *registry;

static const char *const platform_types[] = {"uart-16550", "rtc-cmos", "i8042", "acpi-power", NULL};

static void load_plugins(void)
{
    GError *error = NULL;

    registry = test_plugins_load(platform_types);
    ck_assert_msg(plugin_registry_add(registry, &test_plugin, "test-acpi.c", &error), "%s",
                  error ? error->message : "");
}

static void unload_plugins(void)
{
    plugin_registry_free(registry);
    registry = NULL;
}

/* A validated board: `devices` is the YAML list, `cpus` and `memory` as given. */
static struct board *make_board(const char *arch, unsigned cpus, const char *memory,
                                const char *devices)
{
    char *text = g_strdup_printf("name: acpi-test\n"
                                 "arch: %s\n"
                                 "cpus: %u\n"
                                 "memory: %s\n"
                                 "devices:\n%s",
                                 arch, cpus, memory, devices);
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    struct board *board = board_load_from_string("acpi-test.yaml", text, diags);
    ck_assert_msg(board != NULL, "%s", diags->len ? (char *)diags->pdata[0] : "");
    ck_assert_msg(board_validate(board, registry, diags), "%s",
                  diags->len ? (char *)diags->pdata[0] : "");
    g_ptr_array_unref(diags);
    g_free(text);
    return board;
}

static const char full_devices[] = "  - type: uart-16550\n"
                                   "    id: com1\n"
                                   "    pio: 0x3f8\n"
                                   "    irq: 4\n"
                                   "    console: none\n"
                                   "  - type: rtc-cmos\n"
                                   "    id: rtc\n"
                                   "    pio: 0x70\n"
                                   "    irq: 8\n"
                                   "  - type: i8042\n"
                                   "    id: kbc\n"
                                   "    pio: 0x60\n"
                                   "  - type: acpi-power\n"
                                   "    id: power\n"
                                   "    pio: 0x600\n"
                                   "  - type: test-virtio-mmio\n"
                                   "    id: disk\n"
                                   "    mmio: 0xd0000000\n"
                                   "    irq: 16\n";

static GPtrArray *build(const struct board *board)
{
    GError *error = NULL;
    GPtrArray *tables = acpi_tables_build(board, &error);
    ck_assert_msg(tables != NULL, "%s", error ? error->message : "");
    return tables;
}

static const struct acpi_table *table_named(const GPtrArray *tables, const char *name)
{
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        if (strcmp(table->name, name) == 0)
            return table;
    }
    ck_abort_msg("no %s table", name);
    return NULL;
}

static const struct acpi_table *table_at(const GPtrArray *tables, uint64_t address)
{
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        if (table->address == address)
            return table;
    }
    ck_abort_msg("no table at 0x%llx", (unsigned long long)address);
    return NULL;
}

static uint8_t sum(const uint8_t *data, size_t length)
{
    uint8_t total = 0;
    for (size_t i = 0; i < length; i++)
        total += data[i];
    return total;
}

/* ---- table structure ------------------------------------------------------------------------ */

START_TEST(tables_checksums_lengths_and_pointers)
{
    load_plugins();
    struct board *board = make_board("x86_64", 2, "64M", full_devices);
    GPtrArray *tables = build(board);

    static const char *const order[] = {"RSDP", "XSDT", "FACP", "APIC", "DSDT"};
    ck_assert_uint_eq(tables->len, G_N_ELEMENTS(order));
    uint64_t previous_end = X86_ACPI_BASE;
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        const uint8_t *bytes = table->bytes->data;
        ck_assert_str_eq(table->name, order[i]);
        ck_assert_msg(table->address % 16 == 0, "%s at 0x%llx", table->name,
                      (unsigned long long)table->address);
        ck_assert_uint_ge(table->address, previous_end);
        previous_end = table->address + table->bytes->len;
        ck_assert_uint_le(previous_end, X86_ACPI_BASE + X86_ACPI_SIZE);
        if (i == 0)
            continue;
        ck_assert_mem_eq(bytes, order[i], 4);
        ck_assert_uint_eq(get_le(bytes + 4, 4), table->bytes->len);
        ck_assert_msg(sum(bytes, table->bytes->len) == 0, "%s checksum", table->name);
        ck_assert_mem_eq(bytes + 10, "VMBRD ", 6);
    }

    const struct acpi_table *rsdp = table_named(tables, "RSDP");
    const uint8_t *r = rsdp->bytes->data;
    ck_assert_uint_eq(rsdp->address, X86_ACPI_BASE);
    ck_assert_uint_eq(rsdp->bytes->len, 36);
    ck_assert_mem_eq(r, "RSD PTR ", 8);
    ck_assert_uint_eq(sum(r, 20), 0);
    ck_assert_uint_eq(sum(r, 36), 0);
    ck_assert_uint_eq(r[15], 2);              /* revision: ACPI 2.0+ */
    ck_assert_uint_eq(get_le(r + 20, 4), 36); /* length */
    const struct acpi_table *xsdt = table_at(tables, get_le(r + 24, 8));
    ck_assert_str_eq(xsdt->name, "XSDT");

    ck_assert_uint_eq(xsdt->bytes->len, 36 + 2 * 8);
    ck_assert_str_eq(table_at(tables, get_le(xsdt->bytes->data + 36, 8))->name, "FACP");
    ck_assert_str_eq(table_at(tables, get_le(xsdt->bytes->data + 44, 8))->name, "APIC");

    const uint8_t *fadt = table_named(tables, "FACP")->bytes->data;
    uint64_t dsdt = table_named(tables, "DSDT")->address;
    ck_assert_uint_eq(get_le(fadt + 40, 4), dsdt);  /* DSDT */
    ck_assert_uint_eq(get_le(fadt + 140, 8), dsdt); /* X_DSDT */

    g_ptr_array_unref(tables);
    board_free(board);
    unload_plugins();
}
END_TEST

/* A Generic Address Structure: byte registers in the given space. */
static void assert_gas(const uint8_t *gas, unsigned space, uint64_t address)
{
    ck_assert_uint_eq(gas[0], space);
    ck_assert_uint_eq(gas[1], 8); /* bit width */
    ck_assert_uint_eq(gas[2], 0); /* bit offset */
    ck_assert_uint_eq(gas[3], 1); /* byte access */
    ck_assert_uint_eq(get_le(gas + 4, 8), address);
}

START_TEST(fadt_hardware_reduced_with_power_registers)
{
    load_plugins();
    struct board *board = make_board("x86_64", 1, "64M", full_devices);
    GPtrArray *tables = build(board);
    const struct acpi_table *table = table_named(tables, "FACP");
    const uint8_t *fadt = table->bytes->data;

    ck_assert_uint_eq(table->bytes->len, 276);
    ck_assert_uint_eq(fadt[8], 6); /* revision */
    uint32_t flags = (uint32_t)get_le(fadt + 112, 4);
    ck_assert_msg(flags & (1u << 20), "HW_REDUCED_ACPI not set: 0x%x", flags);
    ck_assert_msg(flags & (1u << 10), "RESET_REG_SUP not set: 0x%x", flags);
    ck_assert_uint_eq(get_le(fadt + 36, 4), 0); /* no FACS */
    ck_assert_uint_eq(get_le(fadt + 46, 2), 0); /* no SCI */
    ck_assert_uint_eq(get_le(fadt + 64, 4), 0); /* no PM1a control block */
    assert_gas(fadt + 116, 1, 0x602);           /* reset register: SystemIO */
    ck_assert_uint_eq(fadt[128], ACPI_POWER_RESET_VALUE);
    assert_gas(fadt + 244, 1, 0x600);   /* sleep control */
    assert_gas(fadt + 256, 1, 0x601);   /* sleep status */
    ck_assert_uint_eq(fadt[108], 0x32); /* the RTC keeps the century at CMOS 0x32 */
    uint16_t boot_arch = (uint16_t)get_le(fadt + 109, 2);
    ck_assert_uint_eq(boot_arch & (1u << 5), 0); /* CMOS RTC present */
    ck_assert_uint_eq(boot_arch & (1u << 1), 0); /* no 8042 to probe: reset only */
    g_ptr_array_unref(tables);
    board_free(board);

    /* acpi-power on MMIO: SystemMemory addresses. No RTC: the flag says so. */
    board = make_board("x86_64", 1, "64M",
                       "  - type: acpi-power\n    id: power\n    mmio: 0xfe000000\n");
    tables = build(board);
    fadt = table_named(tables, "FACP")->bytes->data;
    assert_gas(fadt + 244, 0, 0xfe000000);
    assert_gas(fadt + 256, 0, 0xfe000001);
    assert_gas(fadt + 116, 0, 0xfe000002);
    ck_assert_uint_eq(fadt[108], 0);
    ck_assert_uint_ne(get_le(fadt + 109, 2) & (1u << 5), 0);
    g_ptr_array_unref(tables);
    board_free(board);

    /* No power device: no reset register, no sleep registers. */
    board = make_board("x86_64", 1, "64M",
                       "  - type: uart-16550\n    id: com1\n    pio: 0x3f8\n    console: none\n");
    tables = build(board);
    fadt = table_named(tables, "FACP")->bytes->data;
    ck_assert_uint_eq(get_le(fadt + 112, 4) & (1u << 10), 0);
    ck_assert_uint_eq(get_le(fadt + 248, 8), 0);
    ck_assert_uint_eq(get_le(fadt + 260, 8), 0);
    g_ptr_array_unref(tables);
    board_free(board);
    unload_plugins();
}
END_TEST

struct madt_summary {
    unsigned local_apics, x2apics, io_apics, overrides, nmis, x2apic_nmis;
    uint32_t apic_ids[300];
    uint32_t uids[300];
    uint8_t override_source[16];
    uint32_t override_gsi[16];
    uint16_t override_flags[16];
    uint32_t io_apic_address, io_apic_gsi_base;
};

static void walk_madt(const struct acpi_table *table, struct madt_summary *s)
{
    const uint8_t *madt = table->bytes->data;
    size_t length = table->bytes->len;
    memset(s, 0, sizeof(*s));
    ck_assert_uint_eq(get_le(madt + 36, 4), 0xfee00000); /* local APIC address */
    ck_assert_uint_eq(get_le(madt + 40, 4), 1);          /* PCAT_COMPAT */
    for (size_t at = 44; at < length;) {
        const uint8_t *entry = madt + at;
        ck_assert_msg(at + 2 <= length && entry[1] >= 2 && at + entry[1] <= length,
                      "MADT entry at %zu overruns the table", at);
        unsigned cpus = s->local_apics + s->x2apics;
        switch (entry[0]) {
        case 0:
            ck_assert_uint_eq(entry[1], 8);
            ck_assert_uint_eq(get_le(entry + 4, 4), 1); /* enabled */
            s->uids[cpus] = entry[2];
            s->apic_ids[cpus] = entry[3];
            s->local_apics++;
            break;
        case 1:
            ck_assert_uint_eq(entry[1], 12);
            s->io_apic_address = (uint32_t)get_le(entry + 4, 4);
            s->io_apic_gsi_base = (uint32_t)get_le(entry + 8, 4);
            s->io_apics++;
            break;
        case 2:
            ck_assert_uint_eq(entry[1], 10);
            ck_assert_uint_eq(entry[2], 0); /* ISA */
            s->override_source[s->overrides] = entry[3];
            s->override_gsi[s->overrides] = (uint32_t)get_le(entry + 4, 4);
            s->override_flags[s->overrides] = (uint16_t)get_le(entry + 8, 2);
            s->overrides++;
            break;
        case 4:
            ck_assert_uint_eq(entry[1], 6);
            ck_assert_uint_eq(entry[2], 0xff); /* all processors */
            ck_assert_uint_eq(entry[5], 1);    /* LINT1 */
            s->nmis++;
            break;
        case 9:
            ck_assert_uint_eq(entry[1], 16);
            ck_assert_uint_eq(get_le(entry + 8, 4), 1);
            s->apic_ids[cpus] = (uint32_t)get_le(entry + 4, 4);
            s->uids[cpus] = (uint32_t)get_le(entry + 12, 4);
            s->x2apics++;
            break;
        case 10:
            ck_assert_uint_eq(entry[1], 12);
            s->x2apic_nmis++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", entry[0]);
        }
        at += entry[1];
    }
}

START_TEST(madt_cpus_ioapic_and_overrides)
{
    load_plugins();
    struct board *board = make_board("x86_64", 3, "64M", full_devices);
    GPtrArray *tables = build(board);
    struct madt_summary s;

    walk_madt(table_named(tables, "APIC"), &s);
    ck_assert_uint_eq(s.local_apics, 3);
    ck_assert_uint_eq(s.x2apics, 0);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(s.apic_ids[i], i);
        ck_assert_uint_eq(s.uids[i], i);
    }
    ck_assert_uint_eq(s.io_apics, 1);
    ck_assert_uint_eq(s.io_apic_address, 0xfec00000);
    ck_assert_uint_eq(s.io_apic_gsi_base, 0);
    ck_assert_uint_eq(s.nmis, 1);
    ck_assert_uint_eq(s.x2apic_nmis, 0);
    /* irq 4 and 8 are below 16: level, active high (0x000d); 16 needs no override. */
    ck_assert_uint_eq(s.overrides, 2);
    ck_assert_uint_eq(s.override_source[0], 4);
    ck_assert_uint_eq(s.override_gsi[0], 4);
    ck_assert_uint_eq(s.override_flags[0], 0x000d);
    ck_assert_uint_eq(s.override_source[1], 8);
    ck_assert_uint_eq(s.override_gsi[1], 8);
    ck_assert_uint_eq(s.override_flags[1], 0x000d);
    g_ptr_array_unref(tables);
    board_free(board);

    /* 256 vCPUs: APIC ids from 255 up need x2APIC entries (255 is the xAPIC broadcast). */
    board = make_board("x86_64", 256, "64M", "  []\n");
    tables = build(board);
    walk_madt(table_named(tables, "APIC"), &s);
    ck_assert_uint_eq(s.local_apics, 255);
    ck_assert_uint_eq(s.x2apics, 1);
    ck_assert_uint_eq(s.apic_ids[255], 255);
    ck_assert_uint_eq(s.uids[255], 255);
    ck_assert_uint_eq(s.x2apic_nmis, 1);
    ck_assert_uint_eq(s.overrides, 0);
    g_ptr_array_unref(tables);
    board_free(board);
    unload_plugins();
}
END_TEST

/* ---- DSDT ---------------------------------------------------------------------------------- */

static size_t decode_pkg_length(const uint8_t *p, size_t *bytes)
{
    unsigned extra = p[0] >> 6;
    if (extra == 0) {
        *bytes = 1;
        return p[0] & 0x3f;
    }
    size_t length = p[0] & 0x0f;
    for (unsigned i = 0; i < extra; i++)
        length |= (size_t)p[1 + i] << (4 + 8 * i);
    *bytes = 1 + extra;
    return length;
}

/* The body of Device (NAME) in the DSDT (after its name), or NULL. */
static const uint8_t *find_device(const struct acpi_table *dsdt, const char *name,
                                  size_t *body_length)
{
    const uint8_t *data = dsdt->bytes->data;
    size_t length = dsdt->bytes->len;
    for (size_t i = 36; i + 7 < length; i++) {
        if (data[i] != 0x5b || data[i + 1] != 0x82)
            continue;
        size_t pkg_bytes;
        size_t pkg = decode_pkg_length(data + i + 2, &pkg_bytes);
        const uint8_t *seg = data + i + 2 + pkg_bytes;
        if (seg + 4 > data + length || memcmp(seg, name, 4) != 0)
            continue;
        ck_assert_uint_le(i + 2 + pkg, length);
        *body_length = pkg - pkg_bytes - 4;
        return seg + 4;
    }
    return NULL;
}

static void assert_device_has(const struct acpi_table *dsdt, const char *name, const uint8_t *bytes,
                              size_t length, const char *what)
{
    size_t body_length;
    const uint8_t *body = find_device(dsdt, name, &body_length);
    ck_assert_msg(body != NULL, "Device (%s) not in the DSDT", name);
    ck_assert_msg(find_bytes(body, body_length, bytes, length) != NULL, "Device (%s) lacks %s",
                  name, what);
}

#define DEVICE_HAS(dsdt, name, what, ...)                                                          \
    do {                                                                                           \
        static const uint8_t bytes_[] = {__VA_ARGS__};                                             \
        assert_device_has((dsdt), (name), bytes_, sizeof(bytes_), (what));                         \
    } while (0)

START_TEST(dsdt_devices_from_the_board)
{
    load_plugins();
    struct board *board = make_board("x86_64", 2, "64M", full_devices);
    GPtrArray *tables = build(board);
    const struct acpi_table *dsdt = table_named(tables, "DSDT");
    size_t unused;

    ck_assert_uint_eq(dsdt->bytes->data[8], 2); /* revision 2: 64-bit integers */

    /* Processors C000, C001 with their _UID. */
    DEVICE_HAS(dsdt, "C000", "_HID ACPI0007", 0x08, '_', 'H', 'I', 'D', 0x0d, 'A', 'C', 'P', 'I',
               '0', '0', '0', '7', 0x00);
    DEVICE_HAS(dsdt, "C001", "_UID 1", 0x08, '_', 'U', 'I', 'D', 0x01);
    ck_assert(find_device(dsdt, "C002", &unused) == NULL);

    /* Board device 0: the UART as PNP0501 with its ports and a level, active-high irq 4. */
    DEVICE_HAS(dsdt, "D000", "_HID EisaId(PNP0501)", 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
               0x05, 0x01);
    DEVICE_HAS(dsdt, "D000", "IO 0x3f8/8", 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08);
    DEVICE_HAS(dsdt, "D000", "Interrupt 4", 0x89, 0x06, 0x00, 0x01, 0x01, 0x04, 0, 0, 0);
    DEVICE_HAS(dsdt, "D000", "_STR com1", 0x08, '_', 'S', 'T', 'R', 0x11, 0x0d, 0x0a, 0x0a, 'c', 0,
               'o', 0, 'm', 0, '1', 0, 0, 0);
    /* Device 1: the RTC. */
    DEVICE_HAS(dsdt, "D001", "_HID EisaId(PNP0B00)", 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
               0x0b, 0x00);
    DEVICE_HAS(dsdt, "D001", "IO 0x70/2", 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02);
    DEVICE_HAS(dsdt, "D001", "Interrupt 8", 0x89, 0x06, 0x00, 0x01, 0x01, 0x08, 0, 0, 0);
    /* Devices 2 (i8042) and 3 (acpi-power) declare no ACPI id: no objects. */
    ck_assert(find_device(dsdt, "D002", &unused) == NULL);
    ck_assert(find_device(dsdt, "D003", &unused) == NULL);
    /* Device 4: the virtio-mmio-like type, memory and interrupt. */
    DEVICE_HAS(dsdt, "D004", "_HID LNRO0005", 0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O',
               '0', '0', '0', '5', 0x00);
    DEVICE_HAS(dsdt, "D004", "Memory32Fixed", 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00,
               0x02, 0x00, 0x00);
    DEVICE_HAS(dsdt, "D004", "Interrupt 16", 0x89, 0x06, 0x00, 0x01, 0x01, 0x10, 0, 0, 0);
    DEVICE_HAS(dsdt, "D004", "EndTag", 0x79, 0x00);

    /* \_S5 = Package {5, 0}: what acpi-power takes as power-off. */
    static const uint8_t s5[] = {0x08, '\\', '_',  'S',  '5',  '_',
                                 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00};
    ck_assert(find_bytes(dsdt->bytes->data, dsdt->bytes->len, s5, sizeof(s5)) != NULL);
    g_ptr_array_unref(tables);
    board_free(board);

    /* Two devices with the same _HID get _UID 0 and 1; no power device, no \_S5. */
    board =
        make_board("x86_64", 1, "64M",
                   "  - type: test-virtio-mmio\n    id: a\n    mmio: 0xd0000000\n    irq: 5\n"
                   "  - type: test-virtio-mmio\n    id: b\n    mmio: 0x400000000\n    irq: 6\n");
    tables = build(board);
    dsdt = table_named(tables, "DSDT");
    DEVICE_HAS(dsdt, "D000", "_UID 0", 0x08, '_', 'U', 'I', 'D', 0x00);
    DEVICE_HAS(dsdt, "D001", "_UID 1", 0x08, '_', 'U', 'I', 'D', 0x01);
    DEVICE_HAS(dsdt, "D001", "QWordMemory above 4 GiB", 0x8a, 0x2b, 0x00, 0x00, 0x0d, 0x01);
    static const char s5_name[] = "_S5_";
    ck_assert(find_bytes(dsdt->bytes->data, dsdt->bytes->len, s5_name, 4) == NULL);
    struct madt_summary s;
    walk_madt(table_named(tables, "APIC"), &s);
    ck_assert_uint_eq(s.overrides, 2);
    ck_assert_uint_eq(s.override_source[0], 5);
    ck_assert_uint_eq(s.override_source[1], 6);
    g_ptr_array_unref(tables);
    board_free(board);
    unload_plugins();
}
END_TEST

static char *build_error(const struct board *board)
{
    GError *error = NULL;
    GPtrArray *tables = acpi_tables_build(board, &error);
    ck_assert_msg(tables == NULL, "the tables were built");
    ck_assert(error != NULL);
    char *message = g_strdup(error->message);
    g_error_free(error);
    return message;
}

START_TEST(tables_refuse_what_they_cannot_describe)
{
    load_plugins();
    struct board *board = make_board("x86_64", 1, "64M",
                                     "  - type: uart-16550\n    id: com1\n    pio: 0x3f8\n"
                                     "    irq: 30\n    console: none\n");
    char *message = build_error(board);
    ck_assert_contains(message, "acpi-test.yaml:");
    ck_assert_contains(message, "device 'com1' uses irq 30");
    ck_assert_contains(message, "inputs 0-23");
    g_free(message);
    board_free(board);

    board = make_board("x86_64", 1, "64M",
                       "  - type: acpi-power\n    id: p1\n    pio: 0x600\n"
                       "  - type: acpi-power\n    id: p2\n    pio: 0x610\n");
    message = build_error(board);
    ck_assert_contains(message, "a second acpi-power device 'p2' (the first is 'p1')");
    g_free(message);
    board_free(board);

    board =
        make_board("x86_64", 1, "64M", "  - type: test-bad-acpi-id\n    id: odd\n    pio: 0x700\n");
    message = build_error(board);
    ck_assert_contains(message, "'test-bad-acpi-id'");
    ck_assert_contains(message, "'serial port'");
    g_free(message);
    board_free(board);

    board = make_board("arm64", 1, "64M", "  []\n");
    message = build_error(board);
    ck_assert_contains(message, "ACPI tables are made for x86_64 boards; this board is arm64");
    g_free(message);
    board_free(board);
    unload_plugins();
}
END_TEST

START_TEST(tables_written_into_guest_ram)
{
    load_plugins();
    struct board *board = make_board("x86_64", 2, "16M", full_devices);
    GError *error = NULL;
    struct vm *vm = vm_new(board, &error);
    ck_assert_msg(vm != NULL, "%s", error ? error->message : "");
    ck_assert_msg(vm_setup_plain_ram(vm, &error), "%s", error ? error->message : "");

    uint64_t rsdp = 0;
    ck_assert_msg(x86_acpi_build(vm, &rsdp, &error), "%s", error ? error->message : "");
    ck_assert_uint_eq(rsdp, X86_ACPI_BASE);
    GPtrArray *tables = build(board);
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        uint8_t *copy = g_malloc(table->bytes->len);
        ck_assert(memory_read(vm->mem, table->address, copy, table->bytes->len));
        ck_assert_msg(memcmp(copy, table->bytes->data, table->bytes->len) == 0,
                      "%s differs in guest RAM", table->name);
        g_free(copy);
    }
    g_ptr_array_unref(tables);
    vm_free(vm);
    board_free(board);
    unload_plugins();
}
END_TEST

/* ---- vmboard dump acpi ------------------------------------------------------------------------
 */

static int run(char **argv, const char *cwd, char **out, char **err)
{
    GError *error = NULL;
    int status = -1;
    ck_assert_msg(
        g_spawn_sync(cwd, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, err, &status, &error),
        "%s: %s", argv[0], error ? error->message : "");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *read_text(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    g_free(path);
    return text;
}

START_TEST(dump_acpi_reads_back_with_iasl)
{
    const char *vmboard = g_getenv("VMBOARD");
    ck_assert_msg(vmboard != NULL, "VMBOARD is not set: run through `make check`");
    char *dir = g_dir_make_tmp("vmb-acpi-XXXXXX", NULL);
    ck_assert(dir != NULL);
    char *board_path = g_build_filename(dir, "board.yaml", NULL);
    char *out_dir = g_build_filename(dir, "tables", NULL);
    char *text = g_strdup_printf("name: dump-test\narch: x86_64\ncpus: 2\nmemory: 128M\n"
                                 "devices:\n%s"
                                 "  - type: fw-cfg\n    id: fw-cfg\n    pio: 0x510\n",
                                 "  - type: uart-16550\n    id: com1\n    pio: 0x3f8\n"
                                 "    irq: 4\n    console: none\n"
                                 "  - type: rtc-cmos\n    id: rtc\n    pio: 0x70\n    irq: 8\n"
                                 "  - type: i8042\n    id: kbc\n    pio: 0x60\n"
                                 "  - type: acpi-power\n    id: power\n    pio: 0x600\n");
    ck_assert(g_file_set_contents(board_path, text, -1, NULL));

    char *argv[] = {(char *)vmboard, "dump", "acpi", board_path, out_dir, NULL};
    char *out = NULL, *err = NULL;
    int status = run(argv, NULL, &out, &err);
    ck_assert_msg(status == 0, "vmboard dump acpi exited %d: %s", status, err);
    ck_assert_contains(out, "DSDT.dat: ");
    ck_assert_contains(out, "RSDP.bin: 36 bytes, at 0xe0000 in the guest");

    /* The files hold exactly what the guest would get. */
    load_plugins();
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    struct board *board = board_load(board_path, diags);
    ck_assert(board && board_validate(board, registry, diags));
    GPtrArray *tables = build(board);
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = g_ptr_array_index(tables, i);
        char *name = g_strdup_printf("%s.%s", table->name, acpi_table_file_suffix(table));
        char *path = g_build_filename(out_dir, name, NULL);
        char *contents = NULL;
        gsize length = 0;
        ck_assert_msg(g_file_get_contents(path, &contents, &length, NULL), "no %s", path);
        ck_assert_uint_eq(length, table->bytes->len);
        ck_assert_msg(memcmp(contents, table->bytes->data, length) == 0, "%s differs", name);
        g_free(contents);
        g_free(path);
        g_free(name);
    }
    g_ptr_array_unref(tables);
    board_free(board);
    g_ptr_array_unref(diags);
    unload_plugins();
    g_free(out);
    g_free(err);

    char *iasl = g_find_program_in_path("iasl");
    if (!iasl) {
        ck_assert_msg(g_strcmp0(g_getenv("CI"), "true") != 0,
                      "iasl not found: CI must install acpica-tools");
        printf("test-acpi: iasl not found (Debian package acpica-tools): the tables were "
               "checked, their disassembly was not\n");
    } else {
        char *iasl_argv[] = {iasl, "-d", "XSDT.dat", "FACP.dat", "APIC.dat", "DSDT.dat", NULL};
        status = run(iasl_argv, out_dir, &out, &err);
        ck_assert_msg(status == 0, "iasl -d exited %d:\n%s\n%s", status, out, err);
        ck_assert_msg(!strstr(err, "Error") && !strstr(out, "Error") && !strstr(err, "Warning"),
                      "iasl complained:\n%s\n%s", out, err);
        g_free(out);
        g_free(err);

        char *dsl = read_text(out_dir, "DSDT.dsl");
        ck_assert_contains(dsl, "Name (_HID, EisaId (\"PNP0501\")");
        ck_assert_contains(dsl, "Name (_HID, EisaId (\"PNP0B00\")");
        ck_assert_contains(dsl, "Name (_HID, \"QEMU0002\")");
        ck_assert_contains(dsl, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive");
        ck_assert_contains(dsl, "Name (\\_S5, Package (0x02)");
        g_free(dsl);
        char *facp = read_text(out_dir, "FACP.dsl");
        ck_assert_contains(facp, "Hardware Reduced (V5) : 1");
        ck_assert_contains(facp, "Reset Register Supported (V2) : 1");
        g_free(facp);
        char *apic = read_text(out_dir, "APIC.dsl");
        ck_assert_contains(apic, "Local Apic ID : 01");
        ck_assert_contains(apic, "Interrupt Source Override");
        g_free(apic);
        g_free(iasl);
    }
    remove_tree(out_dir);
    remove_tree(dir);
    g_free(text);
    g_free(out_dir);
    g_free(board_path);
    g_free(dir);
}
END_TEST

/* ---- platform devices through the host API ------------------------------------------------ */

static const struct test_machine_config platform_machine = {
    .board = "name: acpi-test\n"
             "arch: x86_64\n"
             "cpus: 1\n"
             "memory: 16M\n",
    .types = platform_types,
    .deterministic = true, /* timers run when the test advances time */
};

static struct test_machine *platform_start(const char *devices)
{
    struct test_machine *m = machine_new(&platform_machine);
    machine_start(m, devices);
    return m;
}

static const char power_board[] = "  - type: acpi-power\n    id: power\n    pio: 0x600\n";

START_TEST(acpi_power_off_exits_zero)
{
    struct test_machine *m = platform_start(power_board);

    out8(m, 0x600, 5 << 2); /* SLP_TYP without SLP_EN: nothing yet */
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_RUNNING);
    ck_assert_uint_eq(in8(m, 0x600), 0);
    /* The sequence ACPI prescribes: clear WAK_STS, then SLP_TYP 5 | SLP_EN. */
    out8(m, 0x601, 0x80);
    out8(m, 0x600, (5 << 2) | 0x20);
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_STOP_EXIT);
    ck_assert_int_eq(m->vm->exit_status, 0);
    machine_free(m);
}
END_TEST

START_TEST(acpi_power_other_sleep_states_wake_at_once)
{
    struct test_machine *m = platform_start(power_board);

    ck_assert_uint_eq(in8(m, 0x601), 0);
    out8(m, 0x600, (3 << 2) | 0x20); /* S3 was never declared */
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_RUNNING);
    ck_assert_uint_eq(in8(m, 0x601), 0x80); /* woken: a guest polling WAK_STS goes on */
    out8(m, 0x601, 0x7f);                   /* writing 0 to the bit keeps it */
    ck_assert_uint_eq(in8(m, 0x601), 0x80);
    out8(m, 0x601, 0x80);
    ck_assert_uint_eq(in8(m, 0x601), 0);
    ck_assert_uint_eq(in8(m, 0x603), 0);
    machine_free(m);
}
END_TEST

START_TEST(acpi_power_reset_register)
{
    struct test_machine *m = platform_start(power_board);

    out8(m, 0x602, 0x06); /* not the FADT's reset value */
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_RUNNING);
    /* A 4-byte write is split into bytes; byte 2 carries the reset value. */
    bus_write(m->vm->pio, 0x600, (uint64_t)ACPI_POWER_RESET_VALUE << 16, 4);
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_STOP_RESET);
    ck_assert_int_eq(m->vm->exit_status, 0);
    machine_free(m);
}
END_TEST

static const char kbc_board[] = "  - type: i8042\n    id: kbc\n    pio: 0x60\n    irq: 1\n";

/* Read the data port once the status says a byte is there. */
static uint8_t kbc_read_data(struct test_machine *m)
{
    ck_assert_msg(in8(m, 0x64) & 0x01, "output buffer empty");
    return in8(m, 0x60);
}

START_TEST(i8042_controller_answers)
{
    struct test_machine *m = platform_start(kbc_board);

    ck_assert_uint_eq(in8(m, 0x64), 0x14);        /* unlocked, system flag, nothing to read */
    out8(m, 0x64, 0x20);                          /* read the command byte */
    ck_assert_uint_eq(in8(m, 0x64) & 0x09, 0x09); /* data waiting; last write was a command */
    ck_assert_int_eq(irq_level(m->vm, 1), 1);     /* and the keyboard interrupt is enabled */
    ck_assert_uint_eq(kbc_read_data(m), 0x65);
    ck_assert_int_eq(irq_level(m->vm, 1), 0);
    ck_assert_uint_eq(in8(m, 0x64) & 0x01, 0);

    out8(m, 0x64, 0xaa); /* self test */
    ck_assert_uint_eq(kbc_read_data(m), 0x55);
    out8(m, 0x64, 0xab); /* keyboard port test */
    ck_assert_uint_eq(kbc_read_data(m), 0x00);
    out8(m, 0x64, 0xa9); /* mouse port test */
    ck_assert_uint_eq(kbc_read_data(m), 0x00);

    /* Write the command byte: interrupts off, then the byte reads back. */
    out8(m, 0x64, 0x60);
    out8(m, 0x60, 0x44);
    ck_assert_uint_eq(in8(m, 0x64) & 0x08, 0); /* last write was data */
    out8(m, 0x64, 0x20);
    ck_assert_int_eq(irq_level(m->vm, 1), 0);
    ck_assert_uint_eq(kbc_read_data(m), 0x44);
    out8(m, 0x64, 0xa8); /* mouse clock on: command byte bit 5 clears */
    out8(m, 0x64, 0xad); /* keyboard clock off: bit 4 sets */
    out8(m, 0x64, 0x20);
    ck_assert_uint_eq(kbc_read_data(m), 0x54);

    /* The controller's own output buffer, written by the guest. */
    out8(m, 0x64, 0xd2);
    out8(m, 0x60, 0xab);
    ck_assert_uint_eq(in8(m, 0x64) & 0x21, 0x01);
    ck_assert_uint_eq(kbc_read_data(m), 0xab);
    out8(m, 0x64, 0xd3);
    out8(m, 0x60, 0xcd);
    ck_assert_uint_eq(in8(m, 0x64) & 0x21, 0x21); /* mouse data */
    ck_assert_uint_eq(kbc_read_data(m), 0xcd);

    /* Nobody answers on the keyboard or mouse: 0xff with the timeout bit. */
    out8(m, 0x60, 0xf2);
    ck_assert_uint_eq(in8(m, 0x64) & 0x41, 0x41);
    ck_assert_uint_eq(kbc_read_data(m), 0xff);
    ck_assert_uint_eq(in8(m, 0x64) & 0x41, 0x00);
    out8(m, 0x64, 0xd4);
    out8(m, 0x60, 0xf4);
    ck_assert_uint_eq(in8(m, 0x64) & 0x61, 0x61);
    ck_assert_uint_eq(kbc_read_data(m), 0xff);

    /* Output port: reset line high, A20 on. Writing it with A20 off does not reset. */
    out8(m, 0x64, 0xd0);
    ck_assert_uint_eq(kbc_read_data(m), 0x03);
    out8(m, 0x64, 0xd1);
    out8(m, 0x60, 0x01);
    out8(m, 0x64, 0xd0);
    ck_assert_uint_eq(kbc_read_data(m), 0x01);
    out8(m, 0x64, 0xff); /* pulse nothing */
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_RUNNING);
    machine_free(m);
}
END_TEST

START_TEST(i8042_reset_pulse)
{
    struct test_machine *m = platform_start(kbc_board);

    /* What Linux's reboot does: wait for an empty input buffer, then 0xfe. */
    ck_assert_uint_eq(in8(m, 0x64) & 0x02, 0);
    out8(m, 0x64, 0xfe);
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_STOP_RESET);
    ck_assert_int_eq(m->vm->exit_status, 0);
    machine_free(m);

    m = platform_start(kbc_board);
    out8(m, 0x64, 0xd1); /* output port with the reset line low */
    out8(m, 0x60, 0x02);
    ck_assert_int_eq(vm_stop_reason(m->vm), VM_STOP_RESET);
    machine_free(m);
}
END_TEST

static const char rtc_board[] = "  - type: rtc-cmos\n    id: rtc\n    pio: 0x70\n    irq: 8\n";

static uint8_t cmos_read(struct test_machine *m, uint8_t index)
{
    out8(m, 0x70, index);
    return in8(m, 0x71);
}

static void cmos_write(struct test_machine *m, uint8_t index, uint8_t value)
{
    out8(m, 0x70, index);
    out8(m, 0x71, value);
}

static unsigned from_bcd(uint8_t value)
{
    ck_assert_msg((value >> 4) <= 9 && (value & 0xf) <= 9, "0x%02x is not BCD", value);
    return (value >> 4) * 10 + (value & 0xf);
}

/* The clock as seconds since 1970 (the registers in BCD, 24-hour mode). */
static int64_t rtc_seconds(struct test_machine *m)
{
    GDateTime *time = g_date_time_new_utc(
        (gint)(from_bcd(cmos_read(m, 0x32)) * 100 + from_bcd(cmos_read(m, 0x09))),
        (gint)from_bcd(cmos_read(m, 0x08)), (gint)from_bcd(cmos_read(m, 0x07)),
        (gint)from_bcd(cmos_read(m, 0x04)), (gint)from_bcd(cmos_read(m, 0x02)),
        from_bcd(cmos_read(m, 0x00)));
    ck_assert(time != NULL);
    int64_t seconds = g_date_time_to_unix(time);
    g_date_time_unref(time);
    return seconds;
}

static void advance(struct test_machine *m, uint64_t ns)
{
    ck_assert(loop_advance(m->vm->loop, ns));
}

START_TEST(rtc_reads_the_host_time)
{
    int64_t before = (int64_t)time(NULL);
    struct test_machine *m = platform_start(rtc_board);

    ck_assert_uint_eq(cmos_read(m, 0x0a) & 0x7f, 0x26); /* 32.768 kHz, 1024 Hz rate */
    ck_assert_uint_eq(cmos_read(m, 0x0b), 0x02);        /* 24-hour, BCD */
    ck_assert_uint_eq(cmos_read(m, 0x0d), 0x80);        /* valid RAM and time */
    int64_t seconds = rtc_seconds(m);
    ck_assert_int_ge(seconds, before);
    ck_assert_int_le(seconds, (int64_t)time(NULL));

    GDateTime *now = g_date_time_new_from_unix_utc(seconds);
    ck_assert_uint_eq(from_bcd(cmos_read(m, 0x06)), g_date_time_get_day_of_week(now) % 7 + 1);
    unsigned century = (unsigned)g_date_time_get_year(now) / 100;
    g_date_time_unref(now);

    /* The virtual clock drives it: ten seconds later it reads ten seconds later. */
    advance(m, 10 * 1000000000ull);
    ck_assert_int_eq(rtc_seconds(m), seconds + 10);

    /* Binary mode and 12-hour mode change how the same time reads. */
    uint8_t hour_bcd = cmos_read(m, 0x04);
    unsigned hour = from_bcd(hour_bcd);
    cmos_write(m, 0x0b, 0x06); /* binary, 24-hour */
    ck_assert_uint_eq(cmos_read(m, 0x04), hour);
    ck_assert_uint_eq(cmos_read(m, 0x32), century);
    cmos_write(m, 0x0b, 0x04); /* binary, 12-hour */
    unsigned twelve = hour % 12 ? hour % 12 : 12;
    ck_assert_uint_eq(cmos_read(m, 0x04), twelve | (hour >= 12 ? 0x80 : 0));
    machine_free(m);
}
END_TEST

START_TEST(rtc_guest_sets_the_clock)
{
    struct test_machine *m = platform_start(rtc_board);

    /* Linux's way: divider held in reset and SET, write the fields, release. */
    uint8_t a = cmos_read(m, 0x0a);
    cmos_write(m, 0x0a, a | 0x70);
    cmos_write(m, 0x0b, 0x82);
    cmos_write(m, 0x00, 0x06);
    cmos_write(m, 0x02, 0x05);
    cmos_write(m, 0x04, 0x04);
    cmos_write(m, 0x07, 0x03);
    cmos_write(m, 0x08, 0x02);
    cmos_write(m, 0x09, 0x01);
    cmos_write(m, 0x32, 0x20);
    ck_assert_uint_eq(cmos_read(m, 0x00), 0x06); /* frozen: reads what was written */
    advance(m, 3 * 1000000000ull);
    ck_assert_uint_eq(cmos_read(m, 0x00), 0x06);
    cmos_write(m, 0x0b, 0x02);
    cmos_write(m, 0x0a, a);
    /* Out of divider reset, the first second ends half a second later. */
    ck_assert_uint_eq(cmos_read(m, 0x00), 0x06);
    advance(m, 400 * 1000000ull);
    ck_assert_uint_eq(cmos_read(m, 0x00), 0x06);
    advance(m, 200 * 1000000ull);
    ck_assert_uint_eq(cmos_read(m, 0x00), 0x07);
    ck_assert_uint_eq(cmos_read(m, 0x02), 0x05);
    ck_assert_uint_eq(cmos_read(m, 0x04), 0x04);
    ck_assert_uint_eq(cmos_read(m, 0x07), 0x03);
    ck_assert_uint_eq(cmos_read(m, 0x08), 0x02);
    ck_assert_uint_eq(cmos_read(m, 0x09), 0x01);
    ck_assert_uint_eq(cmos_read(m, 0x32), 0x20);
    ck_assert_uint_eq(cmos_read(m, 0x06), 0x07); /* 2001-02-03 was a Saturday */

    /* Binary 12-hour: 11 PM on 1999-12-31 rolls over into 2000. */
    cmos_write(m, 0x0b, 0x84);
    cmos_write(m, 0x00, 59);
    cmos_write(m, 0x02, 59);
    cmos_write(m, 0x04, 11 | 0x80);
    cmos_write(m, 0x07, 31);
    cmos_write(m, 0x08, 12);
    cmos_write(m, 0x09, 99);
    cmos_write(m, 0x32, 19);
    cmos_write(m, 0x0b, 0x04); /* SET off: the divider kept running */
    advance(m, 1000000000ull);
    ck_assert_uint_eq(cmos_read(m, 0x04), 12); /* midnight in 12-hour mode: 12 AM */
    ck_assert_uint_eq(cmos_read(m, 0x02), 0);
    ck_assert_uint_eq(cmos_read(m, 0x09), 0);
    ck_assert_uint_eq(cmos_read(m, 0x32), 20);
    ck_assert_uint_eq(cmos_read(m, 0x08), 1);
    ck_assert_uint_eq(cmos_read(m, 0x07), 1);

    /* Nonsense is refused: the clock keeps its time. */
    cmos_write(m, 0x0b, 0x86);
    cmos_write(m, 0x08, 13);
    cmos_write(m, 0x0b, 0x06);
    ck_assert_uint_eq(cmos_read(m, 0x08), 1);
    ck_assert_uint_eq(cmos_read(m, 0x09), 0);
    machine_free(m);
}
END_TEST

START_TEST(rtc_nvram_and_update_in_progress)
{
    struct test_machine *m = platform_start(rtc_board);

    for (unsigned i = 0x0e; i < 0x80; i++) {
        if (i != 0x32)
            cmos_write(m, (uint8_t)i, (uint8_t)(i ^ 0x5a));
    }
    for (unsigned i = 0x0e; i < 0x80; i++) {
        if (i != 0x32)
            ck_assert_uint_eq(cmos_read(m, (uint8_t)i), i ^ 0x5a);
    }
    ck_assert_uint_eq(cmos_read(m, 0x80 | 0x40), 0x40 ^ 0x5a); /* bit 7 of the index: NMI */
    ck_assert_uint_eq(in8(m, 0x70), 0xff);                     /* the index is write-only */
    cmos_write(m, 0x0d, 0x00);                                 /* read-only: ignored */
    ck_assert_uint_eq(cmos_read(m, 0x0d), 0x80);

    /* UIP is set only in the last 244 us before a second ends: sampled every 50 us over
     * exactly one second, it is seen set 4 or 5 times in a row, once. The second starts at the
     * host clock's phase, so the run may wrap from the last samples to the first: count runs
     * circularly. */
    unsigned set_samples = 0, set_runs = 0;
    bool previous = false, first = false;
    for (int step = 0; step < 20000; step++) {
        bool uip = cmos_read(m, 0x0a) & 0x80;
        if (step == 0)
            first = uip;
        set_samples += uip;
        set_runs += uip && !previous;
        previous = uip;
        advance(m, 50000);
    }
    if (first && previous)
        set_runs--; /* one run split across the window's ends */
    ck_assert_uint_eq(set_runs, 1);
    ck_assert_uint_ge(set_samples, 4);
    ck_assert_uint_le(set_samples, 5);
    cmos_write(m, 0x0b, 0x82); /* SET: no updates, no UIP */
    for (int step = 0; step < 22000; step++) {
        ck_assert_uint_eq(cmos_read(m, 0x0a) & 0x80, 0);
        advance(m, 50000);
    }
    machine_free(m);
}
END_TEST

START_TEST(rtc_interrupts)
{
    struct test_machine *m = platform_start(rtc_board);

    /* Flags are set whether enabled or not; only enabled ones raise the line. */
    advance(m, 1100 * 1000000ull);
    ck_assert_uint_eq(cmos_read(m, 0x0c), 0x10 | 0x40); /* update ended, periodic: no IRQF */
    ck_assert_uint_eq(cmos_read(m, 0x0c), 0x00);        /* reading cleared them */
    ck_assert_int_eq(irq_level(m->vm, 8), 0);

    /* Update-ended interrupt: once a second, until C is read. */
    cmos_write(m, 0x0b, 0x12);
    advance(m, 1001 * 1000000ull);
    ck_assert_int_eq(irq_level(m->vm, 8), 1);
    ck_assert_uint_eq(cmos_read(m, 0x0c) & 0x90, 0x90);
    ck_assert_int_eq(irq_level(m->vm, 8), 0);
    advance(m, 1001 * 1000000ull);
    ck_assert_int_eq(irq_level(m->vm, 8), 1);
    ck_assert_uint_eq(irq_raise_count(m->vm, 8), 2);
    cmos_read(m, 0x0c);

    /* Periodic interrupt at 2 Hz (rate 15: 500 ms). */
    cmos_write(m, 0x0b, 0x42);
    cmos_write(m, 0x0a, 0x2f);
    cmos_read(m, 0x0c);
    ck_assert_int_eq(irq_level(m->vm, 8), 0);
    advance(m, 501 * 1000000ull);
    ck_assert_int_eq(irq_level(m->vm, 8), 1);
    ck_assert_uint_eq(cmos_read(m, 0x0c) & 0xc0, 0xc0);

    /* Alarm at "any hour, any minute, second S": fires when the clock reaches S. */
    cmos_write(m, 0x0b, 0x22);
    cmos_read(m, 0x0c);
    unsigned second = from_bcd(cmos_read(m, 0x00));
    unsigned target = (second + 3) % 60;
    cmos_write(m, 0x01, (uint8_t)((target / 10) << 4 | target % 10));
    cmos_write(m, 0x03, 0xff);
    cmos_write(m, 0x05, 0xff);
    advance(m, 1000 * 1000000ull);
    ck_assert_int_eq(irq_level(m->vm, 8), 0);
    advance(m, 3000 * 1000000ull);
    ck_assert_int_eq(irq_level(m->vm, 8), 1);
    ck_assert_uint_eq(cmos_read(m, 0x0c) & 0xa0, 0xa0);
    ck_assert_uint_eq(from_bcd(cmos_read(m, 0x00)), (target + 1) % 60);

    /* A machine reset clears the enables and the flags. */
    advance(m, 60 * 1000000000ull);
    ck_assert_int_eq(irq_level(m->vm, 8), 1);
    devices_reset(m->vm);
    ck_assert_int_eq(irq_level(m->vm, 8), 0);
    ck_assert_uint_eq(cmos_read(m, 0x0b), 0x02);
    machine_free(m);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *suite = suite_create("acpi");
    TCase *aml = tcase_create("aml");
    tcase_add_test(aml, aml_pkg_length_encodings);
    tcase_add_test(aml, aml_name_strings);
    tcase_add_test(aml, aml_integers_and_strings);
    tcase_add_test(aml, aml_eisa_ids);
    tcase_add_test(aml, aml_blocks);
    tcase_add_test(aml, aml_resource_descriptors);
    suite_add_tcase(suite, aml);

    TCase *tables = tcase_create("tables");
    tcase_add_test(tables, tables_checksums_lengths_and_pointers);
    tcase_add_test(tables, fadt_hardware_reduced_with_power_registers);
    tcase_add_test(tables, madt_cpus_ioapic_and_overrides);
    tcase_add_test(tables, dsdt_devices_from_the_board);
    tcase_add_test(tables, tables_refuse_what_they_cannot_describe);
    tcase_add_test(tables, tables_written_into_guest_ram);
    tcase_add_test(tables, dump_acpi_reads_back_with_iasl);
    suite_add_tcase(suite, tables);

    TCase *devices = tcase_create("devices");
    tcase_add_test(devices, acpi_power_off_exits_zero);
    tcase_add_test(devices, acpi_power_other_sleep_states_wake_at_once);
    tcase_add_test(devices, acpi_power_reset_register);
    tcase_add_test(devices, i8042_controller_answers);
    tcase_add_test(devices, i8042_reset_pulse);
    tcase_add_test(devices, rtc_reads_the_host_time);
    tcase_add_test(devices, rtc_guest_sets_the_clock);
    tcase_add_test(devices, rtc_nvram_and_update_in_progress);
    tcase_add_test(devices, rtc_interrupts);
    suite_add_tcase(suite, devices);
    return suite;
}

int main(void)
{
    return run_suite(acpi_suite());
}
