/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Board files: parsing, defaults, paths, command-line overrides, validation against device
 * schemas, and the exact text (with FILE:LINE:COL) of every diagnostic `vmboard check` prints.
 *
 * Every test runs in a fresh temporary directory holding kernel.bin, initrd.img and sub/, so
 * boards loaded from strings as "b.yaml" find their payload next to them.
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "board.h"
#include "plugin.h"

/* ---- test device types -------------------------------------------------------------------- */

static void *test_create(vmb_device *dev, const struct vmb_host *host)
{
    /* Never called: these types only feed the validator. */
    return NULL;
}

static const struct vmb_prop_spec uart_props[] = {
    {"console", VMB_PROP_STRING, "stdio", 0, "stdio, file:PATH or none"},
    {"fifo", VMB_PROP_BOOL, "true", 0, "16-byte FIFOs"},
    {"baud-base", VMB_PROP_UINT, "115200", 0, "input clock / 16"},
    {"skew", VMB_PROP_INT, "-3", 0, "signed test property"},
    {"buffer", VMB_PROP_SIZE, "4K", 0, "output buffer"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type uart_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "uart-16550",
    .description = "test UART",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 8,
    .irq_count = 1,
    .props = uart_props,
    .create = test_create,
};

static const struct vmb_prop_spec no_props[] = {{NULL, 0, NULL, 0, NULL}};

static const struct vmb_device_type debug_exit_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "debug-exit",
    .description = "test exit port",
    .flags = VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 1,
    .irq_count = 0,
    .props = no_props,
    .create = test_create,
};

static const struct vmb_prop_spec blk_props[] = {
    {"path", VMB_PROP_STRING, NULL, VMB_PROP_REQUIRED, "disk image file"},
    {"readonly", VMB_PROP_BOOL, "false", 0, "refuse writes"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type blk_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-blk",
    .description = "test MMIO block device",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR | VMB_TYPE_NEEDS_IRQ,
    .window_size = 0x200,
    .irq_count = 1,
    .props = blk_props,
    .create = test_create,
};

static const struct vmb_prop_spec rng_props[] = {
    {"seed", VMB_PROP_UINT, NULL, 0, "fixed seed"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type rng_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-rng",
    .description = "test device without an address",
    .flags = 0,
    .window_size = 0,
    .irq_count = 0,
    .props = rng_props,
    .create = test_create,
};

static const struct vmb_device_type *const test_types[] = {&uart_type, &debug_exit_type, &blk_type,
                                                           &rng_type, NULL};

static const struct vmb_plugin test_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-board-types",
    .version = "1",
    .types = test_types,
};

/* ---- fixture ------------------------------------------------------------------------------ */

static struct plugin_registry *registry;
static char *tmpdir, *old_cwd;

static void write_file(const char *path, const char *text)
{
    GError *error = NULL;

    if (!g_file_set_contents(path, text, -1, &error))
        ck_abort_msg("cannot write %s: %s", path, error->message);
}

static void setup(void)
{
    GError *error = NULL;

    registry = plugin_registry_new();
    if (!plugin_registry_add(registry, &test_plugin, "test-board-types.so", &error))
        ck_abort_msg("plugin_registry_add: %s", error->message);
    tmpdir = g_dir_make_tmp("test-board-XXXXXX", &error);
    ck_assert_msg(tmpdir, "g_dir_make_tmp: %s", error ? error->message : "");
    old_cwd = g_get_current_dir();
    ck_assert_int_eq(chdir(tmpdir), 0);
    write_file("kernel.bin", "kernel");
    write_file("initrd.img", "initrd");
    ck_assert_int_eq(g_mkdir("sub", 0755), 0);
    write_file("sub/kernel.bin", "kernel in sub");
}

static void teardown(void)
{
    ck_assert_int_eq(chdir(old_cwd), 0);
    for (const char *const *name =
             (const char *const[]){"kernel.bin", "initrd.img", "sub/kernel.bin", "sub", NULL};
         *name; name++) {
        char *path = g_build_filename(tmpdir, *name, NULL);

        g_remove(path);
        g_free(path);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
    g_free(old_cwd);
    plugin_registry_free(registry);
}

/* ---- helpers ------------------------------------------------------------------------------- */

static GPtrArray *diags_new(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

/* All diagnostics, one per line, so a mismatch shows the whole list. */
static char *diags_text(GPtrArray *diags)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < diags->len; i++)
        g_string_append_printf(out, "%s\n", (const char *)g_ptr_array_index(diags, i));
    return g_string_free(out, FALSE);
}

static struct board *load_ok(const char *yaml)
{
    GPtrArray *diags = diags_new();
    struct board *board = board_load_from_string("b.yaml", yaml, diags);
    char *text = diags_text(diags);

    ck_assert_msg(board && diags->len == 0, "unexpected diagnostics:\n%s", text);
    g_free(text);
    g_ptr_array_unref(diags);
    return board;
}

/* Loading must fail with exactly `expected` (lines joined with \n, final \n included). */
static void expect_load_errors(const char *yaml, const char *expected)
{
    GPtrArray *diags = diags_new();
    struct board *board = board_load_from_string("b.yaml", yaml, diags);
    char *text = diags_text(diags);

    ck_assert_msg(board == NULL, "board loaded although diagnostics were expected");
    ck_assert_str_eq(text, expected);
    g_free(text);
    g_ptr_array_unref(diags);
}

static struct board *validate_ok(const char *yaml)
{
    struct board *board = load_ok(yaml);
    GPtrArray *diags = diags_new();
    bool ok = board_validate(board, registry, diags);
    char *text = diags_text(diags);

    ck_assert_msg(ok && diags->len == 0, "unexpected diagnostics:\n%s", text);
    g_free(text);
    g_ptr_array_unref(diags);
    return board;
}

/* The board loads, then validation fails with exactly `expected`. */
static void expect_validate_errors(const char *yaml, const char *expected)
{
    struct board *board = load_ok(yaml);
    GPtrArray *diags = diags_new();
    bool ok = board_validate(board, registry, diags);
    char *text = diags_text(diags);

    ck_assert_msg(!ok, "board validated although diagnostics were expected");
    ck_assert_str_eq(text, expected);
    g_free(text);
    g_ptr_array_unref(diags);
    board_free(board);
}

static struct board_device *device(struct board *board, guint index)
{
    ck_assert_uint_lt(index, board->devices->len);
    return g_ptr_array_index(board->devices, index);
}

static void assert_loc(const struct board_loc *loc, const char *file, int line, int column)
{
    ck_assert_str_eq(loc->file, file);
    ck_assert_int_eq(loc->line, line);
    ck_assert_int_eq(loc->column, column);
}

/* Head of most device tests: devices start on line 4. */
#define HEAD "arch: x86_64\nboot: {kernel: kernel.bin}\ndevices:\n"

/* ---- a valid board ------------------------------------------------------------------------- */

static const char full_board[] = "name: demo\n"                     /* 1 */
                                 "arch: x86_64\n"                   /* 2 */
                                 "cpus: 4\n"                        /* 3 */
                                 "memory: 256M\n"                   /* 4 */
                                 "boot:\n"                          /* 5 */
                                 "  kernel: kernel.bin\n"           /* 6 */
                                 "  initrd: initrd.img\n"           /* 7 */
                                 "  cmdline: console=ttyS0 quiet\n" /* 8 */
                                 "  format: flat\n"                 /* 9 */
                                 "  load-address: 0x100000\n"       /* 10 */
                                 "  entry: 1048576\n"               /* 11 */
                                 "  mode: real\n"                   /* 12 */
                                 "devices:\n"                       /* 13 */
                                 "  - type: uart-16550\n"           /* 14 */
                                 "    id: uart0\n"                  /* 15 */
                                 "    pio: 0x3f8\n"                 /* 16 */
                                 "    irq: 4\n"                     /* 17 */
                                 "    console: \"file:out.txt\"\n"  /* 18 */
                                 "    fifo: off\n"                  /* 19 */
                                 "    baud-base: 0x1c200\n"         /* 20 */
                                 "    skew: -0x10\n"                /* 21 */
                                 "    buffer: 64K\n"                /* 22 */
                                 "  - type: test-blk\n"             /* 23 */
                                 "    mmio: 0xd0000000\n"           /* 24 */
                                 "    irq: 5\n"                     /* 25 */
                                 "    path: disk.img\n";            /* 26 */

START_TEST(test_valid_round_trip)
{
    struct board *board = validate_ok(full_board);
    struct board_device *uart, *blk;
    const struct device_prop_value *value;

    ck_assert_str_eq(board->path, "b.yaml");
    ck_assert_str_eq(board->dir, ".");
    ck_assert_str_eq(board->name, "demo");
    ck_assert_int_eq(board->arch, VMB_ARCH_X86_64);
    ck_assert_uint_eq(board->cpus, 4);
    ck_assert_uint_eq(board->memory, 256ull << 20);
    assert_loc(&board->name_loc, "b.yaml", 1, 7);
    assert_loc(&board->arch_loc, "b.yaml", 2, 7);
    assert_loc(&board->cpus_loc, "b.yaml", 3, 7);
    assert_loc(&board->memory_loc, "b.yaml", 4, 9);

    ck_assert_str_eq(board->boot.kernel, "kernel.bin");
    ck_assert_str_eq(board->boot.initrd, "initrd.img");
    ck_assert_str_eq(board->boot.cmdline, "console=ttyS0 quiet");
    ck_assert_int_eq(board->boot.format, BOOT_FORMAT_FLAT);
    ck_assert(board->boot.has_load_address);
    ck_assert_uint_eq(board->boot.load_address, 0x100000);
    ck_assert(board->boot.has_entry);
    ck_assert_uint_eq(board->boot.entry, 0x100000);
    ck_assert_int_eq(board->boot.mode, BOOT_MODE_REAL);
    assert_loc(&board->boot.loc, "b.yaml", 5, 1);
    assert_loc(&board->boot.kernel_loc, "b.yaml", 6, 11);
    assert_loc(&board->boot.initrd_loc, "b.yaml", 7, 11);

    ck_assert_uint_eq(board->devices->len, 2);
    uart = device(board, 0);
    ck_assert_str_eq(uart->type, "uart-16550");
    ck_assert_str_eq(uart->id, "uart0");
    ck_assert_int_eq(uart->placement, PLACE_PIO);
    ck_assert_uint_eq(uart->address, 0x3f8);
    ck_assert_int_eq(uart->irq, 4);
    assert_loc(&uart->loc, "b.yaml", 14, 5);
    assert_loc(&uart->type_loc, "b.yaml", 14, 11);
    assert_loc(&uart->id_loc, "b.yaml", 15, 9);
    assert_loc(&uart->address_loc, "b.yaml", 16, 10);
    assert_loc(&uart->irq_loc, "b.yaml", 17, 10);
    ck_assert_ptr_eq(uart->dtype, &uart_type);
    ck_assert_ptr_eq(uart->entry->type, &uart_type);
    ck_assert_str_eq(uart->entry->file, "test-board-types.so");

    /* Raw properties in file order, with both marks. */
    ck_assert_uint_eq(uart->props->len, 5);
    {
        const struct board_prop *prop = g_ptr_array_index(uart->props, 0);

        ck_assert_str_eq(prop->key, "console");
        ck_assert_str_eq(prop->value, "file:out.txt");
        assert_loc(&prop->key_loc, "b.yaml", 18, 5);
        assert_loc(&prop->value_loc, "b.yaml", 18, 14);
    }

    /* Typed values, one per schema entry in schema order. */
    ck_assert_uint_eq(uart->values->len, 5);
    value = board_device_value(uart, "console");
    ck_assert(value->present);
    ck_assert_str_eq(value->string_value, "file:out.txt");
    ck_assert_ptr_eq(value->spec, &uart_props[0]);
    value = board_device_value(uart, "fifo");
    ck_assert(value->present);
    ck_assert(!value->bool_value);
    ck_assert_str_eq(value->string_value, "off");
    value = board_device_value(uart, "baud-base");
    ck_assert_uint_eq(value->uint_value, 115200);
    value = board_device_value(uart, "skew");
    ck_assert_int_eq(value->int_value, -16);
    value = board_device_value(uart, "buffer");
    ck_assert_uint_eq(value->uint_value, 64 * 1024);
    ck_assert_ptr_null(board_device_value(uart, "no-such-property"));

    blk = device(board, 1);
    ck_assert_str_eq(blk->id, "test-blk.0");
    assert_loc(&blk->id_loc, "b.yaml", 23, 5);
    ck_assert_int_eq(blk->placement, PLACE_MMIO);
    ck_assert_uint_eq(blk->address, 0xd0000000);
    ck_assert_int_eq(blk->irq, 5);
    ck_assert_str_eq(board_device_value(blk, "path")->string_value, "disk.img");
    ck_assert(board_device_value(blk, "readonly")->present);
    ck_assert(!board_device_value(blk, "readonly")->bool_value);
    board_free(board);
}
END_TEST

START_TEST(test_defaults)
{
    struct board *board = validate_ok(HEAD "  - type: uart-16550\n"
                                           "    pio: 0x3f8\n"
                                           "    irq: 4\n"
                                           "  - type: uart-16550\n"
                                           "    pio: 0x2f8\n"
                                           "  - type: test-rng\n"
                                           "  - type: uart-16550\n"
                                           "    id: com3\n"
                                           "    pio: 0x3e8\n"
                                           "  - type: uart-16550\n"
                                           "    pio: 0x2e8\n");
    const struct device_prop_value *value;
    struct board_device *dev;

    ck_assert_str_eq(board->name, "b");
    ck_assert_uint_eq(board->cpus, 1);
    ck_assert_uint_eq(board->memory, 128ull << 20);
    ck_assert_str_eq(board->boot.cmdline, "");
    ck_assert_ptr_null(board->boot.initrd);
    ck_assert_int_eq(board->boot.format, BOOT_FORMAT_AUTO);
    ck_assert_int_eq(board->boot.mode, BOOT_MODE_DEFAULT);
    ck_assert(!board->boot.has_load_address);
    ck_assert(!board->boot.has_entry);

    /* Default ids count the devices of each type from 0, explicit ids included. */
    ck_assert_str_eq(device(board, 0)->id, "uart-16550.0");
    ck_assert_str_eq(device(board, 1)->id, "uart-16550.1");
    ck_assert_str_eq(device(board, 2)->id, "test-rng.0");
    ck_assert_str_eq(device(board, 3)->id, "com3");
    ck_assert_str_eq(device(board, 4)->id, "uart-16550.3");
    ck_assert_int_eq(device(board, 1)->irq, -1);
    ck_assert_int_eq(device(board, 2)->placement, PLACE_NONE);

    dev = device(board, 0);
    value = board_device_value(dev, "console");
    ck_assert(value->present);
    ck_assert_str_eq(value->string_value, "stdio");
    value = board_device_value(dev, "fifo");
    ck_assert(value->present && value->bool_value);
    ck_assert_uint_eq(board_device_value(dev, "baud-base")->uint_value, 115200);
    ck_assert_int_eq(board_device_value(dev, "skew")->int_value, -3);
    ck_assert_uint_eq(board_device_value(dev, "buffer")->uint_value, 4096);
    ck_assert_str_eq(board_device_value(dev, "buffer")->string_value, "4K");

    /* No default and not given: present is false. */
    value = board_device_value(device(board, 2), "seed");
    ck_assert_ptr_nonnull(value);
    ck_assert(!value->present);
    ck_assert_ptr_null(value->string_value);
    board_free(board);
}
END_TEST

START_TEST(test_numbers_and_sizes)
{
    static const struct {
        const char *memory;
        uint64_t bytes;
    } sizes[] = {
        {"4096", 4096},     {"0x10000", 0x10000}, {"64K", 64 << 10},  {"256M", 256 << 20},
        {"1G", 1ull << 30}, {"2GiB", 2ull << 30}, {"1T", 1ull << 40},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        char *yaml = g_strdup_printf("arch: arm64\nmemory: %s\ncpus: 0x10\n", sizes[i].memory);
        struct board *board = load_ok(yaml);

        ck_assert_uint_eq(board->memory, sizes[i].bytes);
        ck_assert_uint_eq(board->cpus, 16);
        ck_assert_int_eq(board->arch, VMB_ARCH_ARM64);
        board_free(board);
        g_free(yaml);
    }
    /* Quoted scalars are values too; 010 is ten, not octal. */
    {
        struct board *board = load_ok("arch: s390x\ncpus: \"010\"\nname: 'my board'\n");

        ck_assert_uint_eq(board->cpus, 10);
        ck_assert_int_eq(board->arch, VMB_ARCH_S390X);
        ck_assert_str_eq(board->name, "my board");
        board_free(board);
    }
}
END_TEST

START_TEST(test_relative_paths)
{
    struct board *board;

    board = load_ok("arch: x86_64\nboot: {kernel: kernel.bin, initrd: ../initrd.img}\n");
    ck_assert_str_eq(board->boot.kernel, "kernel.bin");
    ck_assert_str_eq(board->boot.initrd, "../initrd.img");
    board_free(board);

    /* Relative to the board file's directory, not to the current one. */
    {
        GPtrArray *diags = diags_new();

        board = board_load_from_string(
            "sub/b.yaml", "arch: x86_64\nboot: {kernel: kernel.bin, initrd: ../initrd.img}\n",
            diags);
        ck_assert_ptr_nonnull(board);
        ck_assert_str_eq(board->dir, "sub");
        ck_assert_str_eq(board->boot.kernel, "sub/kernel.bin");
        ck_assert_str_eq(board->boot.initrd, "sub/../initrd.img");
        ck_assert(board_validate(board, registry, diags));
        ck_assert_uint_eq(diags->len, 0);
        board_free(board);

        board = board_load_from_string("/srv/boards/b.yaml",
                                       "arch: x86_64\nboot: {kernel: /boot/vmlinuz, initrd: i}\n",
                                       diags);
        ck_assert_str_eq(board->boot.kernel, "/boot/vmlinuz");
        ck_assert_str_eq(board->boot.initrd, "/srv/boards/i");
        board_free(board);
        g_ptr_array_unref(diags);
    }
}
END_TEST

START_TEST(test_loc_str_and_arch_names)
{
    struct board_loc in_file = {.file = "boards/x.yaml", .line = 12, .column = 5};
    struct board_loc option = {.file = "--set uart0.irq=4", .line = 0, .column = 0};

    ck_assert_str_eq(board_loc_str(&in_file), "boards/x.yaml:12:5");
    ck_assert_str_eq(board_loc_str(&option), "--set uart0.irq=4");
    ck_assert_str_eq(board_arch_name(VMB_ARCH_X86_64), "x86_64");
    ck_assert_str_eq(board_arch_name(VMB_ARCH_ARM64), "arm64");
    ck_assert_str_eq(board_arch_name(VMB_ARCH_S390X), "s390x");
#if defined(__x86_64__)
    ck_assert_int_eq(board_host_arch(), VMB_ARCH_X86_64);
#elif defined(__aarch64__)
    ck_assert_int_eq(board_host_arch(), VMB_ARCH_ARM64);
#elif defined(__s390x__)
    ck_assert_int_eq(board_host_arch(), VMB_ARCH_S390X);
#endif
}
END_TEST

/* ---- load errors --------------------------------------------------------------------------- */

START_TEST(test_unknown_keys)
{
    expect_load_errors("arch: x86_64\ncpus: 1\nmemroy: 64M\n",
                       "b.yaml:3:1: error: unknown key 'memroy' (did you mean 'memory'?)\n");
    expect_load_errors("arch: x86_64\ncolour: red\n",
                       "b.yaml:2:1: error: unknown key 'colour'; the keys are: name, arch, cpus, "
                       "memory, cpu, boot, devices\n");
    expect_load_errors("arch: x86_64\nboot:\n  kernal: k\n  cmd-line: x\n",
                       "b.yaml:3:3: error: unknown key 'kernal' in 'boot' (did you mean "
                       "'kernel'?)\n"
                       "b.yaml:4:3: error: unknown key 'cmd-line' in 'boot' (did you mean "
                       "'cmdline'?)\n");
}
END_TEST

START_TEST(test_cpus_errors)
{
    expect_load_errors("arch: x86_64\ncpus: two\n",
                       "b.yaml:2:7: error: 'cpus' must be a whole number from 1 to 256, not "
                       "'two'\n");
    expect_load_errors("arch: x86_64\ncpus: 0\n",
                       "b.yaml:2:7: error: 'cpus' must be a whole number from 1 to 256, not "
                       "'0'\n");
    expect_load_errors("arch: x86_64\ncpus: 257\n",
                       "b.yaml:2:7: error: 'cpus' must be a whole number from 1 to 256, not "
                       "'257'\n");
    expect_load_errors("arch: x86_64\ncpus: -1\n",
                       "b.yaml:2:7: error: 'cpus' must be a whole number from 1 to 256, not "
                       "'-1'\n");
    expect_load_errors("arch: x86_64\ncpus: 1.5\n",
                       "b.yaml:2:7: error: 'cpus' must be a whole number from 1 to 256, not "
                       "'1.5'\n");
    expect_load_errors("arch: x86_64\ncpus:\nname: x\n",
                       "b.yaml:2:6: error: 'cpus' has no value; it must be a whole number from "
                       "1 to 256\n");
}
END_TEST

START_TEST(test_memory_errors)
{
    expect_load_errors("arch: x86_64\nmemory: lots\n",
                       "b.yaml:2:9: error: 'memory' must be a size in bytes, optionally with a "
                       "K, M, G or T suffix (e.g. 256M), not 'lots'\n");
    expect_load_errors("arch: x86_64\nmemory: 12Q\n",
                       "b.yaml:2:9: error: 'memory' must be a size in bytes, optionally with a "
                       "K, M, G or T suffix (e.g. 256M), not '12Q'\n");
    expect_load_errors("arch: x86_64\nmemory: 0\n",
                       "b.yaml:2:9: error: 'memory' must be more than 0\n");
    expect_load_errors("arch: x86_64\nmemory: 0M\n",
                       "b.yaml:2:9: error: 'memory' must be more than 0\n");
    expect_load_errors("arch: x86_64\nmemory: 1000\n",
                       "b.yaml:2:9: error: 'memory' must be a multiple of 4 KiB (4096 bytes), "
                       "not '1000'\n");
    expect_load_errors("arch: x86_64\nmemory: 99999999999999999999\n",
                       "b.yaml:2:9: error: 'memory' must be a size in bytes, optionally with a "
                       "K, M, G or T suffix (e.g. 256M), not '99999999999999999999'\n");
    expect_load_errors("arch: x86_64\nmemory: 99999999999T\n",
                       "b.yaml:2:9: error: 'memory' must be a size in bytes, optionally with a "
                       "K, M, G or T suffix (e.g. 256M), not '99999999999T'\n");
}
END_TEST

START_TEST(test_arch_errors)
{
    expect_load_errors("name: x\ncpus: 2\n",
                       "b.yaml:1:1: error: the board has no 'arch' (one of x86_64, arm64, "
                       "s390x)\n");
    expect_load_errors("arch: aarch64\n", "b.yaml:1:7: error: 'arch' must be one of x86_64, "
                                          "arm64, s390x, not 'aarch64' (did you mean 'arm64'?)\n");
    expect_load_errors("arch: arm46\n", "b.yaml:1:7: error: 'arch' must be one of x86_64, arm64, "
                                        "s390x, not 'arm46' (did you mean 'arm64'?)\n");
    expect_load_errors("arch: sparc\n", "b.yaml:1:7: error: 'arch' must be one of x86_64, arm64, "
                                        "s390x, not 'sparc'\n");
    expect_load_errors("arch: [x86_64]\n",
                       "b.yaml:1:7: error: 'arch' must be a single value, not a list\n");
}
END_TEST

START_TEST(test_structure_errors)
{
    expect_load_errors("", "b.yaml:1:1: error: the board file is empty; it needs at least "
                           "'arch:'\n");
    expect_load_errors("# only a comment\n\n", "b.yaml:1:1: error: the board file is empty; it "
                                               "needs at least 'arch:'\n");
    expect_load_errors("- arch: x86_64\n", "b.yaml:1:1: error: a board must be a mapping of keys "
                                           "(name:, arch:, cpus:, ...), not a list\n");
    expect_load_errors("\n\nhello\n", "b.yaml:3:1: error: a board must be a mapping of keys "
                                      "(name:, arch:, cpus:, ...), not a single value\n");
    expect_load_errors("arch: x86_64\ncpus: 1\ncpus: 2\n",
                       "b.yaml:3:1: error: duplicate key 'cpus' (first given at b.yaml:2:1)\n");
    expect_load_errors("arch: x86_64\n? [a, b]\n: 1\n",
                       "b.yaml:2:3: error: a key must be a plain name, not a list\n");
    expect_load_errors("arch: x86_64\nname: {a: 1}\n",
                       "b.yaml:2:7: error: 'name' must be a single value, not a mapping\n");
    expect_load_errors("arch: x86_64\ncpus: [1, 2]\n",
                       "b.yaml:2:7: error: 'cpus' must be a single value, not a list\n");
    expect_load_errors("arch: x86_64\nboot: vmlinuz\n",
                       "b.yaml:2:7: error: 'boot' must be a mapping (kernel:, cmdline:, ...), not "
                       "a single value\n");
    expect_load_errors("arch: x86_64\ndevices: {type: uart-16550}\n",
                       "b.yaml:2:10: error: 'devices' must be a list of devices (- type: NAME "
                       "...), not a mapping\n");
    expect_load_errors("arch: x86_64\ndevices:\n  - uart-16550\n  -\n  - [a]\n",
                       "b.yaml:3:5: error: each entry of 'devices' must be a mapping (- type: "
                       "NAME ...), not a single value\n"
                       "b.yaml:4:4: error: empty entry in 'devices'; write '- type: NAME ...'\n"
                       "b.yaml:5:5: error: each entry of 'devices' must be a mapping (- type: "
                       "NAME ...), not a list\n");
    expect_load_errors("arch: x86_64\nname: \"a\\0b\"\n",
                       "b.yaml:2:7: error: 'name' contains a NUL character\n");
    expect_load_errors("arch: x86_64\n---\narch: arm64\n",
                       "b.yaml:2:1: error: a second YAML document starts here; a board file "
                       "holds one board\n");
}
END_TEST

START_TEST(test_null_sections)
{
    /* Empty 'boot:' and 'devices:' mean none, as YAML writers expect. */
    struct board *board = load_ok("arch: x86_64\nboot:\ndevices:\nname: ~\n");

    ck_assert_uint_eq(board->devices->len, 0);
    ck_assert_ptr_null(board->boot.kernel);
    ck_assert_str_eq(board->name, "");
    board_free(board);
}
END_TEST

START_TEST(test_yaml_syntax_errors)
{
    expect_load_errors("arch: x86_64\ncpus: [1\nmemory: 2\n",
                       "b.yaml:3:7: error: invalid YAML: did not find expected ',' or ']' (while "
                       "parsing a flow sequence at b.yaml:2:7)\n");
    expect_load_errors("arch: x86_64\n  cpus: 1\n",
                       "b.yaml:2:7: error: invalid YAML: mapping values are not allowed in this "
                       "context\n");
    expect_load_errors("arch: x86_64\nname: \"unterminated\n",
                       "b.yaml:3:1: error: invalid YAML: found unexpected end of stream (while "
                       "scanning a quoted scalar at b.yaml:2:7)\n");
    expect_load_errors("arch: x86_64\ncpus: *two\n",
                       "b.yaml:2:7: error: invalid YAML: found undefined alias\n");
    /* Byte 0xff cannot start UTF-8: libyaml reports an offset, we report line and column. */
    expect_load_errors("arch: x86_64\nname: \xc3\xa9t\xff\n",
                       "b.yaml:2:9: error: not valid YAML text: invalid leading UTF-8 octet\n");
    /* A syntax error in a second document is still an error. */
    expect_load_errors("arch: x86_64\n---\n[\n",
                       "b.yaml:4:1: error: invalid YAML: did not find expected node content "
                       "(while parsing a flow node at b.yaml:4:1)\n");
}
END_TEST

START_TEST(test_boot_errors)
{
    expect_load_errors("arch: x86_64\nboot:\n  format: bzimag\n",
                       "b.yaml:3:11: error: 'format' must be one of auto, flat, multiboot, "
                       "bzimage, elf, arm64-image, not 'bzimag' (did you mean 'bzimage'?)\n");
    expect_load_errors("arch: arm64\nboot:\n  format: bzimage\n",
                       "b.yaml:3:11: error: boot format 'bzimage' is for x86_64 boards, but this "
                       "board is arm64\n");
    expect_load_errors("arch: x86_64\nboot:\n  format: arm64-image\n",
                       "b.yaml:3:11: error: boot format 'arm64-image' is for arm64 boards, but "
                       "this board is x86_64\n");
    expect_load_errors("arch: arm64\nboot:\n  mode: real\n",
                       "b.yaml:3:3: error: 'mode' applies to x86_64 flat images only, but this "
                       "board is arm64\n");
    expect_load_errors("arch: x86_64\nboot:\n  mode: long\n  format: multiboot\n",
                       "b.yaml:3:3: error: 'mode' applies to flat images only, but the format is "
                       "'multiboot'\n");
    expect_load_errors("arch: x86_64\nboot:\n  entry: 0x100000\n  format: multiboot\n"
                       "  load-address: 0x100000\n",
                       "b.yaml:3:3: error: 'entry' does not apply to multiboot images: their "
                       "header says where they load and start\n"
                       "b.yaml:5:3: error: 'load-address' does not apply to multiboot images: "
                       "their header says where they load and start\n");
    expect_load_errors("arch: x86_64\nboot:\n  mode: protected\n",
                       "b.yaml:3:9: error: 'mode' must be one of real, long, not 'protected'\n");
    expect_load_errors("arch: x86_64\nboot:\n  load-address: high\n  entry: 0xg\n",
                       "b.yaml:3:17: error: 'load-address' must be a guest-physical address "
                       "(decimal or 0x hex), not 'high'\n"
                       "b.yaml:4:10: error: 'entry' must be a guest address (decimal or 0x hex), "
                       "not '0xg'\n");
    expect_load_errors("arch: x86_64\nboot:\n  kernel: ''\n  initrd:\n  cmdline: [a]\n",
                       "b.yaml:3:11: error: 'kernel' is empty\n"
                       "b.yaml:4:10: error: 'initrd' is empty\n"
                       "b.yaml:5:12: error: 'cmdline' must be a single value, not a list\n");
    expect_load_errors("arch: x86_64\nboot:\n  format:\n",
                       "b.yaml:3:10: error: 'format' has no value; it must be one of auto, flat, "
                       "multiboot, bzimage, elf, arm64-image\n");
}
END_TEST

START_TEST(test_device_load_errors)
{
    expect_load_errors(HEAD "  - pio: 0x3f8\n",
                       "b.yaml:4:5: error: device has no 'type' (run 'vmboard plugins' to list "
                       "them)\n");
    expect_load_errors(HEAD "  - type: uart-16550\n"
                            "    id: uart0\n"
                            "    pio: 0x3f8\n"
                            "    mmio: 0xd0000000\n",
                       "b.yaml:7:5: error: device 'uart0' has both 'mmio' and 'pio'; a device sits "
                       "in one address space, give only one\n");
    expect_load_errors(HEAD "  - type: uart-16550\n"
                            "    id: uart0\n"
                            "    pio: 0x10000\n"
                            "    irq: 1024\n"
                            "  - type: test-blk\n"
                            "    mmio: 0xd000_0000\n"
                            "    irq: -1\n",
                       "b.yaml:6:10: error: 'pio' of device 'uart0' must be a port number from 0 "
                       "to 0xffff, not '0x10000'\n"
                       "b.yaml:7:10: error: 'irq' of device 'uart0' must be an interrupt line "
                       "number from 0 to 1023, not '1024'\n"
                       "b.yaml:9:11: error: 'mmio' of device 'test-blk.0' must be an address "
                       "(decimal or 0x hex), not '0xd000_0000'\n"
                       "b.yaml:10:10: error: 'irq' of device 'test-blk.0' must be an interrupt "
                       "line number from 0 to 1023, not '-1'\n");
    expect_load_errors(HEAD "  - type: uart-16550\n"
                            "    id: uart 0\n"
                            "  - type: uart-16550\n"
                            "    id: ''\n"
                            "  - type: {a: b}\n",
                       "b.yaml:5:9: error: device id 'uart 0' may only contain letters, digits, "
                       "'_', '.' and '-'\n"
                       "b.yaml:7:9: error: 'id' is empty\n"
                       "b.yaml:8:11: error: 'type' must be a single value, not a mapping\n");
    expect_load_errors(HEAD "  - type: uart-16550\n"
                            "    console: [stdio]\n"
                            "    console: none\n",
                       "b.yaml:6:5: error: duplicate key 'console' (first given at b.yaml:5:5)\n"
                       "b.yaml:5:14: error: 'console' of device 'uart-16550.0' must be a single "
                       "value, not a list\n");
}
END_TEST

START_TEST(test_many_errors_one_pass)
{
    expect_load_errors("memroy: 64M\n"
                       "cpus: two\n"
                       "boot:\n"
                       "  kernel: kernel.bin\n"
                       "  format: bzimag\n"
                       "devices:\n"
                       "  - type: uart-16550\n"
                       "    pio: 0x3f8\n"
                       "    mmio: 0x1000\n",
                       "b.yaml:1:1: error: the board has no 'arch' (one of x86_64, arm64, s390x)\n"
                       "b.yaml:1:1: error: unknown key 'memroy' (did you mean 'memory'?)\n"
                       "b.yaml:2:7: error: 'cpus' must be a whole number from 1 to 256, not "
                       "'two'\n"
                       "b.yaml:5:11: error: 'format' must be one of auto, flat, multiboot, "
                       "bzimage, elf, arm64-image, not 'bzimag' (did you mean 'bzimage'?)\n"
                       "b.yaml:9:5: error: device 'uart-16550.0' has both 'mmio' and 'pio'; a "
                       "device sits in one address space, give only one\n");
}
END_TEST

START_TEST(test_board_load_file_errors)
{
    GPtrArray *diags = diags_new();
    char *text;

    ck_assert_ptr_null(board_load("nope.yaml", diags));
    ck_assert_ptr_null(board_load("sub", diags));
    /* write_file() would stop at the NUL: write the bytes ourselves. */
    {
        FILE *file = fopen("nul.yaml", "wb");

        ck_assert_ptr_nonnull(file);
        fwrite("arch: x86_64\nna\0me: x\n", 1, 22, file);
        fclose(file);
    }
    ck_assert_ptr_null(board_load("nul.yaml", diags));
    text = diags_text(diags);
    ck_assert_str_eq(text, "nope.yaml: error: cannot read the board file: No such file or "
                           "directory\n"
                           "sub: error: the board file is not a regular file\n"
                           "nul.yaml:2:3: error: the board file contains a NUL byte; it must be "
                           "YAML text\n");
    g_free(text);
    g_remove("nul.yaml");
    g_ptr_array_unref(diags);
}
END_TEST

/* ---- validation errors --------------------------------------------------------------------- */

START_TEST(test_unknown_device_type)
{
    expect_validate_errors(HEAD "  - type: uart-16500\n    pio: 0x3f8\n",
                           "b.yaml:4:11: error: unknown device type 'uart-16500' (did you mean "
                           "'uart-16550'?)\n");
    expect_validate_errors(HEAD "  - type: floppy\n",
                           "b.yaml:4:11: error: unknown device type 'floppy'; the known types "
                           "are: debug-exit, test-blk, test-rng, uart-16550\n");

    /* No plugins at all: say where plugins are looked for. */
    {
        struct board *board = load_ok(HEAD "  - type: uart-16550\n");
        struct plugin_registry *empty = plugin_registry_new();
        GPtrArray *diags = diags_new();
        char *text;

        ck_assert(!board_validate(board, empty, diags));
        text = diags_text(diags);
        ck_assert_str_eq(text, "b.yaml:4:11: error: unknown device type 'uart-16550': no device "
                               "plugins were found (see --plugin-path and VMBOARD_PLUGIN_PATH)\n");
        g_free(text);
        g_ptr_array_unref(diags);
        plugin_registry_free(empty);
        board_free(board);
    }
}
END_TEST

START_TEST(test_unknown_property)
{
    expect_validate_errors(HEAD "  - type: uart-16550\n"
                                "    id: uart1\n"
                                "    pio: 0x2f8\n"
                                "    consle: stdio\n"
                                "    iqr: 3\n"
                                "    colour: blue\n"
                                "  - type: debug-exit\n"
                                "    pio: 0x501\n"
                                "    size: 2\n",
                           "b.yaml:7:5: error: device 'uart1' has no property 'consle' (did you "
                           "mean 'console'?); uart-16550 has: console, fifo, baud-base, skew, "
                           "buffer\n"
                           "b.yaml:8:5: error: device 'uart1' has no property 'iqr' (did you mean "
                           "'irq'?); uart-16550 has: console, fifo, baud-base, skew, buffer\n"
                           "b.yaml:9:5: error: device 'uart1' has no property 'colour'; uart-16550 "
                           "has: console, fifo, baud-base, skew, buffer\n"
                           "b.yaml:12:5: error: device 'debug-exit.0' has no property 'size'; "
                           "debug-exit has no properties\n");
}
END_TEST

START_TEST(test_property_types)
{
    expect_validate_errors(HEAD "  - type: uart-16550\n"
                                "    id: uart0\n"
                                "    pio: 0x3f8\n"
                                "    fifo: maybe\n"
                                "    skew: 1.5\n"
                                "    baud-base: -5\n"
                                "    buffer: 4X\n"
                                "    console: 42\n",
                           "b.yaml:7:11: error: property 'fifo' of device 'uart0' must be true or "
                           "false (also yes/no, on/off, 1/0), not 'maybe'\n"
                           "b.yaml:8:11: error: property 'skew' of device 'uart0' must be a whole "
                           "number (decimal or 0x hex, may be negative), not '1.5'\n"
                           "b.yaml:9:16: error: property 'baud-base' of device 'uart0' must be a "
                           "whole number from 0 (decimal or 0x hex), not '-5'\n"
                           "b.yaml:10:13: error: property 'buffer' of device 'uart0' must be a "
                           "size in bytes, optionally with a K, M, G or T suffix (e.g. 64K), not "
                           "'4X'\n");
}
END_TEST

START_TEST(test_required_property)
{
    expect_validate_errors(HEAD "  - type: test-blk\n"
                                "    mmio: 0xd0000000\n"
                                "    irq: 5\n",
                           "b.yaml:4:5: error: device 'test-blk.0' (test-blk) needs property "
                           "'path' (disk image file)\n");
}
END_TEST

START_TEST(test_placement_errors)
{
    expect_validate_errors(HEAD "  - type: test-blk\n"
                                "    id: disk\n"
                                "    pio: 0x100\n"
                                "    irq: 5\n"
                                "    path: d.img\n"
                                "  - type: test-rng\n"
                                "    id: rng\n"
                                "    mmio: 0xd0000000\n"
                                "  - type: debug-exit\n"
                                "  - type: uart-16550\n",
                           "b.yaml:6:10: error: device 'disk': test-blk cannot be placed in port "
                           "I/O space; it takes 'mmio: ADDRESS'\n"
                           "b.yaml:11:11: error: device 'rng': test-rng is not placed at an "
                           "address; remove 'mmio'\n"
                           "b.yaml:12:5: error: device 'debug-exit.0' (debug-exit) needs an "
                           "address: add 'pio: PORT'\n"
                           "b.yaml:13:5: error: device 'uart-16550.0' (uart-16550) needs an "
                           "address: add 'mmio: ADDRESS' or 'pio: PORT'\n");
}
END_TEST

START_TEST(test_irq_errors)
{
    expect_validate_errors(HEAD "  - type: test-blk\n"
                                "    id: disk\n"
                                "    mmio: 0xd0000000\n"
                                "    path: d.img\n"
                                "  - type: debug-exit\n"
                                "    pio: 0x501\n"
                                "    irq: 3\n",
                           "b.yaml:4:5: error: device 'disk' (test-blk) needs an interrupt line: "
                           "add 'irq: LINE'\n"
                           "b.yaml:10:10: error: device 'debug-exit.0': debug-exit has no "
                           "interrupt line, so 'irq' does not apply; remove it\n");
}
END_TEST

START_TEST(test_window_wrap)
{
    struct board *board;

    expect_validate_errors(HEAD "  - type: uart-16550\n"
                                "    id: uart0\n"
                                "    pio: 0xfffc\n"
                                "  - type: uart-16550\n"
                                "    id: uart1\n"
                                "    mmio: 0xfffffffffffffffc\n",
                           "b.yaml:6:10: error: device 'uart0' at pio 0xfffc needs 0x8 ports and "
                           "runs past the last port, 0xffff\n"
                           "b.yaml:9:11: error: device 'uart1' at mmio 0xfffffffffffffffc needs "
                           "0x8 bytes and runs past the end of the address space\n");
    /* Ending exactly on the last port or byte is fine. */
    board = validate_ok(HEAD "  - type: uart-16550\n"
                             "    pio: 0xfff8\n"
                             "  - type: uart-16550\n"
                             "    mmio: 0xfffffffffffffff8\n");
    board_free(board);
}
END_TEST

START_TEST(test_overlaps)
{
    struct board *board;

    expect_validate_errors(HEAD "  - type: uart-16550\n" /* 4 */
                                "    id: uart0\n"        /* 5 */
                                "    pio: 0x3f8\n"       /* 6 */
                                "  - type: uart-16550\n" /* 7 */
                                "    id: uart1\n"        /* 8 */
                                "    pio: 0x3f8\n"       /* 9 */
                                "  - type: debug-exit\n" /* 10 */
                                "    pio: 0x3ff\n"       /* 11 */
                                "  - type: test-blk\n"   /* 12 */
                                "    id: disk0\n"        /* 13 */
                                "    mmio: 0xd0000000\n" /* 14 */
                                "    irq: 5\n"           /* 15 */
                                "    path: a.img\n"      /* 16 */
                                "  - type: test-blk\n"   /* 17 */
                                "    id: disk1\n"        /* 18 */
                                "    mmio: 0xd00001ff\n" /* 19 */
                                "    irq: 6\n"           /* 20 */
                                "    path: b.img\n",     /* 21 */
                           "b.yaml:7:5: error: device 'uart1' at pio 0x3f8..0x3ff overlaps device "
                           "'uart0' at pio 0x3f8..0x3ff (declared at b.yaml:4:5)\n"
                           "b.yaml:10:5: error: device 'debug-exit.0' at pio 0x3ff..0x3ff "
                           "overlaps device 'uart0' at pio 0x3f8..0x3ff (declared at b.yaml:4:5)\n"
                           "b.yaml:10:5: error: device 'debug-exit.0' at pio 0x3ff..0x3ff "
                           "overlaps device 'uart1' at pio 0x3f8..0x3ff (declared at b.yaml:7:5)\n"
                           "b.yaml:17:5: error: device 'disk1' at mmio 0xd00001ff..0xd00003fe "
                           "overlaps device 'disk0' at mmio 0xd0000000..0xd00001ff (declared at "
                           "b.yaml:12:5)\n");

    /* Adjacent windows, and the same number in the other space, do not overlap. */
    board = validate_ok(HEAD "  - type: uart-16550\n"
                             "    pio: 0x3f8\n"
                             "  - type: uart-16550\n"
                             "    pio: 0x400\n"
                             "  - type: uart-16550\n"
                             "    pio: 0x3f0\n"
                             "  - type: uart-16550\n"
                             "    mmio: 0xd00003f8\n"
                             "  - type: test-blk\n"
                             "    mmio: 0xd0000000\n"
                             "    irq: 5\n"
                             "    path: a.img\n");
    board_free(board);
}
END_TEST

START_TEST(test_duplicate_ids)
{
    expect_validate_errors(HEAD "  - type: uart-16550\n"
                                "    id: uart0\n"
                                "    pio: 0x3f8\n"
                                "  - type: uart-16550\n"
                                "    id: uart0\n"
                                "    pio: 0x2f8\n"
                                "  - type: debug-exit\n"
                                "    pio: 0x501\n"
                                "  - type: uart-16550\n"
                                "    id: debug-exit.0\n"
                                "    pio: 0x3e8\n",
                           "b.yaml:8:9: error: duplicate device id 'uart0' (first used at "
                           "b.yaml:5:9)\n"
                           "b.yaml:13:9: error: duplicate device id 'debug-exit.0' (first used at "
                           "b.yaml:10:5)\n");
}
END_TEST

START_TEST(test_boot_file_errors)
{
    expect_validate_errors("arch: x86_64\nboot: {kernel: missing.bin, initrd: sub}\n",
                           "b.yaml:2:16: error: cannot read kernel 'missing.bin': No such file or "
                           "directory\n"
                           "b.yaml:2:37: error: initrd 'sub' is a directory, not a file\n");
    expect_validate_errors("arch: x86_64\nboot:\n  kernel: sub\n  initrd: nothing.img\n",
                           "b.yaml:3:11: error: kernel 'sub' is a directory, not a file\n"
                           "b.yaml:4:11: error: cannot read initrd 'nothing.img': No such file or "
                           "directory\n");
    /* Unreadable files (root reads anything, so only as another user). */
    if (geteuid() != 0) {
        ck_assert_int_eq(g_chmod("kernel.bin", 0), 0);
        expect_validate_errors("arch: x86_64\nboot: {kernel: kernel.bin}\n",
                               "b.yaml:2:16: error: cannot read kernel 'kernel.bin': Permission "
                               "denied\n");
    }
    /* No kernel at all is left to `run` (the backend reports it); --kernel may supply one. */
    board_free(validate_ok("arch: x86_64\nboot:\n  cmdline: quiet\n"));
}
END_TEST

START_TEST(test_x86_reserved_ranges)
{
    struct board *board;

    expect_validate_errors(HEAD "  - type: test-blk\n"
                                "    id: low\n"
                                "    mmio: 0x7ffff00\n"
                                "    irq: 5\n"
                                "    path: a.img\n"
                                "  - type: uart-16550\n"
                                "    id: apic\n"
                                "    mmio: 0xfee00100\n"
                                "  - type: uart-16550\n"
                                "    id: ioapic\n"
                                "    mmio: 0xfec00ffc\n"
                                "  - type: debug-exit\n"
                                "    pio: 0x61\n",
                           "b.yaml:6:11: error: device 'low' at mmio 0x7ffff00..0x80000ff overlaps "
                           "guest RAM at 0x0..0x7ffffff\n"
                           "b.yaml:11:11: error: device 'apic' at mmio 0xfee00100..0xfee00107 "
                           "overlaps the local APIC at mmio 0xfee00000..0xfee00fff\n"
                           "b.yaml:14:11: error: device 'ioapic' at mmio 0xfec00ffc..0xfec01003 "
                           "overlaps the I/O APIC at mmio 0xfec00000..0xfec00fff\n"
                           "b.yaml:16:10: error: device 'debug-exit.0' at pio 0x61..0x61 overlaps "
                           "the in-kernel PC speaker port at pio 0x61..0x61\n");
    /* Above 3 GiB RAM continues at 4 GiB. */
    expect_validate_errors("arch: x86_64\n"
                           "memory: 4G\n"
                           "boot: {kernel: kernel.bin}\n"
                           "devices:\n"
                           "  - type: uart-16550\n"
                           "    mmio: 0x13ffffffc\n",
                           "b.yaml:6:11: error: device 'uart-16550.0' at mmio "
                           "0x13ffffffc..0x140000003 overlaps guest RAM at "
                           "0x100000000..0x13fffffff\n");
    /* The 3..4 GiB hole is free for devices when there is more than 3 GiB of RAM. */
    board = validate_ok("arch: x86_64\n"
                        "memory: 4G\n"
                        "boot: {kernel: kernel.bin}\n"
                        "devices:\n"
                        "  - type: uart-16550\n"
                        "    mmio: 0xc0000000\n"
                        "  - type: uart-16550\n"
                        "    mmio: 0x140000000\n");
    board_free(board);
    /* Other architectures keep their own maps: no x86 ranges there. */
    board = validate_ok("arch: arm64\n"
                        "boot: {kernel: kernel.bin}\n"
                        "devices:\n"
                        "  - type: uart-16550\n"
                        "    mmio: 0xfee00000\n"
                        "  - type: test-blk\n"
                        "    mmio: 0x1000\n"
                        "    irq: 33\n"
                        "    path: a.img\n");
    board_free(board);
}
END_TEST

START_TEST(test_no_port_io_outside_x86)
{
    expect_validate_errors("arch: arm64\n"
                           "boot: {kernel: kernel.bin}\n"
                           "devices:\n"
                           "  - type: uart-16550\n"
                           "    pio: 0x3f8\n"
                           "  - type: debug-exit\n"
                           "    pio: 0x501\n",
                           "b.yaml:5:10: error: device 'uart-16550.0': arm64 guests have no port "
                           "I/O space; use 'mmio: ADDRESS'\n"
                           "b.yaml:7:10: error: device 'debug-exit.0': arm64 guests have no port "
                           "I/O space\n");
}
END_TEST

START_TEST(test_host_arch)
{
    enum vmb_arch other = board_host_arch() == VMB_ARCH_ARM64 ? VMB_ARCH_X86_64 : VMB_ARCH_ARM64;
    char *yaml = g_strdup_printf("arch: %s\n", board_arch_name(other));
    char *expected = g_strdup_printf("b.yaml:1:7: error: this board is for %s but this host is "
                                     "%s; KVM runs guests of the host's architecture only\n",
                                     board_arch_name(other), board_arch_name(board_host_arch()));
    struct board *board = load_ok(yaml);
    GPtrArray *diags = diags_new();
    char *text;

    ck_assert(!board_check_host_arch(board, diags));
    text = diags_text(diags);
    ck_assert_str_eq(text, expected);
    g_free(text);
    board_free(board);
    g_free(yaml);
    g_free(expected);

    yaml = g_strdup_printf("arch: %s\n", board_arch_name(board_host_arch()));
    board = load_ok(yaml);
    ck_assert(board_check_host_arch(board, diags));
    ck_assert_uint_eq(diags->len, 1);
    board_free(board);
    g_free(yaml);
    g_ptr_array_unref(diags);
}
END_TEST

/* ---- overrides ----------------------------------------------------------------------------- */

static const char override_board[] = "arch: x86_64\n"
                                     "cpus: 2\n"
                                     "memory: 64M\n"
                                     "boot:\n"
                                     "  kernel: kernel.bin\n"
                                     "  cmdline: console=ttyS0\n"
                                     "devices:\n"
                                     "  - type: uart-16550\n" /* 8 */
                                     "    id: uart0\n"
                                     "    pio: 0x3f8\n"
                                     "    console: stdio\n"   /* 11 */
                                     "  - type: debug-exit\n" /* 12 */
                                     "    pio: 0x501\n";

static void expect_override_errors(const struct board_overrides *ov, const char *expected)
{
    struct board *board = load_ok(override_board);
    GPtrArray *diags = diags_new();
    char *text;

    ck_assert(!board_apply_overrides(board, ov, diags));
    text = diags_text(diags);
    ck_assert_str_eq(text, expected);
    g_free(text);
    g_ptr_array_unref(diags);
    board_free(board);
}

START_TEST(test_overrides)
{
    char *set[] = {"uart0.console=file:out.txt", "uart0.fifo=off",         "uart0.irq=3",
                   "uart0.mmio=0xd0001000",      "debug-exit.0.pio=0x502", NULL};
    struct board_overrides ov = {
        .kernel = "sub/kernel.bin",
        .initrd = "initrd.img",
        .append = "console=hvc0 debug",
        .cpus = 8,
        .memory = "1G",
        .set = set,
    };
    GPtrArray *diags = diags_new();
    struct board *board = board_load_from_string("sub/../b.yaml", override_board, diags);
    struct board_device *uart, *exit_port;
    const struct board_prop *prop;

    ck_assert_ptr_nonnull(board);
    /* From the file the kernel is relative to the board's directory... */
    ck_assert_str_eq(board->boot.kernel, "sub/../kernel.bin");
    ck_assert(board_apply_overrides(board, &ov, diags));
    ck_assert(board_validate(board, registry, diags));
    ck_assert_uint_eq(diags->len, 0);

    /* ...from the command line it is relative to the current directory. */
    ck_assert_str_eq(board->boot.kernel, "sub/kernel.bin");
    assert_loc(&board->boot.kernel_loc, "--kernel sub/kernel.bin", 0, 0);
    ck_assert_str_eq(board->boot.initrd, "initrd.img");
    ck_assert_str_eq(board->boot.cmdline, "console=hvc0 debug");
    ck_assert_uint_eq(board->cpus, 8);
    assert_loc(&board->cpus_loc, "--cpus 8", 0, 0);
    ck_assert_uint_eq(board->memory, 1ull << 30);

    uart = device(board, 0);
    ck_assert_int_eq(uart->placement, PLACE_MMIO);
    ck_assert_uint_eq(uart->address, 0xd0001000);
    assert_loc(&uart->address_loc, "--set uart0.mmio=0xd0001000", 0, 0);
    ck_assert_int_eq(uart->irq, 3);
    ck_assert_str_eq(board_device_value(uart, "console")->string_value, "file:out.txt");
    ck_assert(!board_device_value(uart, "fifo")->bool_value);
    /* Replaced in place, not appended. */
    ck_assert_uint_eq(uart->props->len, 2);
    prop = g_ptr_array_index(uart->props, 0);
    ck_assert_str_eq(prop->key, "console");
    assert_loc(&prop->value_loc, "--set uart0.console=file:out.txt", 0, 0);

    exit_port = device(board, 1);
    ck_assert_uint_eq(exit_port->address, 0x502);
    ck_assert_int_eq(exit_port->placement, PLACE_PIO);

    g_ptr_array_unref(diags);
    board_free(board);
}
END_TEST

START_TEST(test_override_errors)
{
    char *bad_sets[] = {"uart9.console=x",   "uart0console=x",      "uart0.=x",
                        ".console=x",        "uart0.type=test-blk", "uart0.irq=x",
                        "uart0.pio=0x10000", "uart0.mmio=",         NULL};
    struct board_overrides ov = {.cpus = 300, .memory = "12Q", .set = bad_sets};

    expect_override_errors(
        &ov, "--cpus 300: error: 'cpus' must be a whole number from 1 to 256, not '300'\n"
             "--memory 12Q: error: 'memory' must be a size in bytes, optionally with a K, M, G or "
             "T suffix (e.g. 256M), not '12Q'\n"
             "--set uart9.console=x: error: no device 'uart9' in the board (did you mean "
             "'uart0'?); its devices are: uart0, debug-exit.0\n"
             "--set uart0console=x: error: expected DEVICE_ID.PROPERTY=VALUE, e.g. "
             "uart0.console=stdio\n"
             "--set uart0.=x: error: expected DEVICE_ID.PROPERTY=VALUE, e.g. uart0.console=stdio\n"
             "--set .console=x: error: expected DEVICE_ID.PROPERTY=VALUE, e.g. "
             "uart0.console=stdio\n"
             "--set uart0.type=test-blk: error: 'type' cannot be changed with --set; edit the "
             "board file\n"
             "--set uart0.irq=x: error: 'irq' must be an interrupt line number from 0 to 1023, "
             "not 'x'\n"
             "--set uart0.pio=0x10000: error: 'pio' must be a port number from 0 to 0xffff, not "
             "'0x10000'\n"
             "--set uart0.mmio=: error: 'mmio' must be an address (decimal or 0x hex), not ''\n");

    {
        struct board_overrides neg = {.cpus = -1, .memory = "4095", .kernel = "", .initrd = ""};

        expect_override_errors(&neg, "--kernel '': error: the kernel path is empty\n"
                                     "--initrd '': error: the initrd path is empty\n"
                                     "--cpus -1: error: 'cpus' must be a whole number from 1 to "
                                     "256, not '-1'\n"
                                     "--memory 4095: error: 'memory' must be a multiple of 4 KiB "
                                     "(4096 bytes), not '4095'\n");
    }

    /* A board without devices. */
    {
        char *set[] = {"uart0.console=none", NULL};
        struct board_overrides ov_set = {.set = set};
        struct board *board = load_ok("arch: x86_64\n");
        GPtrArray *diags = diags_new();
        char *text;

        ck_assert(!board_apply_overrides(board, &ov_set, diags));
        text = diags_text(diags);
        ck_assert_str_eq(text, "--set uart0.console=none: error: no device 'uart0': the board has "
                               "no devices\n");
        g_free(text);
        g_ptr_array_unref(diags);
        board_free(board);
    }
}
END_TEST

START_TEST(test_override_validation_errors)
{
    /* --set is checked against the schema like the file, and says which option was wrong. */
    char *set[] = {"uart0.consle=none", "uart0.fifo=maybe", "uart0.pio=0x500", NULL};
    struct board_overrides ov = {.kernel = "nothing.bin", .set = set};
    struct board *board = load_ok(override_board);
    GPtrArray *diags = diags_new();
    char *text;

    ck_assert(board_apply_overrides(board, &ov, diags));
    ck_assert(!board_validate(board, registry, diags));
    text = diags_text(diags);
    ck_assert_str_eq(text,
                     "--kernel nothing.bin: error: cannot read kernel 'nothing.bin': No such "
                     "file or directory\n"
                     "--set uart0.consle=none: error: device 'uart0' has no property "
                     "'consle' (did you mean 'console'?); uart-16550 has: console, fifo, "
                     "baud-base, skew, buffer\n"
                     "--set uart0.fifo=maybe: error: property 'fifo' of device 'uart0' must "
                     "be true or false (also yes/no, on/off, 1/0), not 'maybe'\n"
                     "b.yaml:12:5: error: device 'debug-exit.0' at pio 0x501..0x501 "
                     "overlaps device 'uart0' at pio 0x500..0x507 (declared at b.yaml:8:5)\n");
    g_free(text);
    g_ptr_array_unref(diags);
    board_free(board);
}
END_TEST

/* ---- real files ---------------------------------------------------------------------------- */

static char *srcdir_path(const char *relative)
{
    const char *srcdir = g_getenv("VMB_TEST_SRCDIR");

    ck_assert_msg(srcdir, "VMB_TEST_SRCDIR is not set (run through make check)");
    return g_build_filename(srcdir, relative, NULL);
}

START_TEST(test_real_file)
{
    char *path = srcdir_path("boards/full.yaml");
    char *kernel = srcdir_path("boards/payload/kernel.bin");
    char *initrd = srcdir_path("boards/payload/initrd.img");
    GPtrArray *diags = diags_new();
    struct board *board = board_load(path, diags);
    char *text = diags_text(diags);

    ck_assert_msg(board, "%s", text);
    ck_assert_str_eq(board->path, path);
    ck_assert_str_eq(board->name, "full-board");
    ck_assert_uint_eq(board->cpus, 2);
    ck_assert_uint_eq(board->memory, 64 << 20);
    ck_assert_str_eq(board->boot.kernel, kernel);
    ck_assert_str_eq(board->boot.initrd, initrd);
    ck_assert_str_eq(board->boot.cmdline, "console=ttyS0 quiet");
    ck_assert_int_eq(board->boot.mode, BOOT_MODE_LONG);
    assert_loc(&board->boot.kernel_loc, path, 8, 11);
    ck_assert(board_validate(board, registry, diags));
    ck_assert_uint_eq(diags->len, 0);
    ck_assert_uint_eq(board->devices->len, 3);
    ck_assert_str_eq(device(board, 1)->id, "debug-exit.0");
    ck_assert_str_eq(board_device_value(device(board, 2), "path")->string_value,
                     "payload/initrd.img");
    g_free(text);
    g_free(path);
    g_free(kernel);
    g_free(initrd);
    g_ptr_array_unref(diags);
    board_free(board);
}
END_TEST

START_TEST(test_real_file_errors)
{
    char *srcdir = srcdir_path(".");
    GPtrArray *diags = diags_new();
    char *text;

    ck_assert_int_eq(chdir(srcdir), 0);
    ck_assert_ptr_null(board_load("boards/errors.yaml", diags));
    text = diags_text(diags);
    ck_assert_str_eq(text, "boards/errors.yaml:4:1: error: unknown key 'memroy' (did you mean "
                           "'memory'?)\n"
                           "boards/errors.yaml:5:7: error: 'cpus' must be a whole number from 1 "
                           "to 256, not 'two'\n"
                           "boards/errors.yaml:8:11: error: 'format' must be one of auto, flat, "
                           "multiboot, bzimage, elf, arm64-image, not 'bzimag' (did you mean "
                           "'bzimage'?)\n"
                           "boards/errors.yaml:12:5: error: device 'uart-16550.0' has both 'mmio' "
                           "and 'pio'; a device sits in one address space, give only one\n");
    g_free(text);
    g_free(srcdir);
    g_ptr_array_unref(diags);
}
END_TEST

static Suite *board_suite(void)
{
    Suite *suite = suite_create("board");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_valid_round_trip);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_numbers_and_sizes);
    tcase_add_test(tc, test_relative_paths);
    tcase_add_test(tc, test_loc_str_and_arch_names);
    tcase_add_test(tc, test_null_sections);
    suite_add_tcase(suite, tc);

    tc = tcase_create("load-errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_cpus_errors);
    tcase_add_test(tc, test_memory_errors);
    tcase_add_test(tc, test_arch_errors);
    tcase_add_test(tc, test_structure_errors);
    tcase_add_test(tc, test_yaml_syntax_errors);
    tcase_add_test(tc, test_boot_errors);
    tcase_add_test(tc, test_device_load_errors);
    tcase_add_test(tc, test_many_errors_one_pass);
    tcase_add_test(tc, test_board_load_file_errors);
    suite_add_tcase(suite, tc);

    tc = tcase_create("validate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unknown_device_type);
    tcase_add_test(tc, test_unknown_property);
    tcase_add_test(tc, test_property_types);
    tcase_add_test(tc, test_required_property);
    tcase_add_test(tc, test_placement_errors);
    tcase_add_test(tc, test_irq_errors);
    tcase_add_test(tc, test_window_wrap);
    tcase_add_test(tc, test_overlaps);
    tcase_add_test(tc, test_duplicate_ids);
    tcase_add_test(tc, test_boot_file_errors);
    tcase_add_test(tc, test_x86_reserved_ranges);
    tcase_add_test(tc, test_no_port_io_outside_x86);
    tcase_add_test(tc, test_host_arch);
    suite_add_tcase(suite, tc);

    tc = tcase_create("overrides");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_override_errors);
    tcase_add_test(tc, test_override_validation_errors);
    suite_add_tcase(suite, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_real_file);
    tcase_add_test(tc, test_real_file_errors);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(board_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
