/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pl011 plugin through the real bus and host API, on a VM without KVM (so it runs on
 * any host): identification, the state firmware leaves, transmit to a file console,
 * loopback reception with FIFO levels and interrupts, interrupt masking and clearing.
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "board.h"
#include "bus.h"
#include "device.h"
#include "irq.h"
#include "plugin.h"
#include "vm.h"

#define BASE 0x09000000ull
#define IRQ 1

enum {
    DR = 0x000, RSR = 0x004, FR = 0x018, IBRD = 0x024, FBRD = 0x028, LCR_H = 0x02c,
    CR = 0x030, IFLS = 0x034, IMSC = 0x038, RIS = 0x03c, MIS = 0x040, ICR = 0x044,
};
#define FR_RXFE 0x10
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define INT_RX 0x10
#define INT_TX 0x20
#define INT_RT 0x40
#define INT_OE 0x400

struct harness {
    char *dir;
    struct plugin_registry *registry;
    struct board *board;
    struct vm *vm;
};

static struct harness *start(void)
{
    struct harness *h = g_new0(struct harness, 1);
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    GError *error = NULL;

    h->dir = g_dir_make_tmp("vmb-pl011-XXXXXX", &error);
    ck_assert_msg(h->dir != NULL, "%s", error ? error->message : "");
    const char *path = g_getenv("VMBOARD_PLUGIN_PATH");
    ck_assert_msg(path != NULL, "VMBOARD_PLUGIN_PATH is not set: run through `make check`");
    char **dirs = g_strsplit(path, ":", -1);
    h->registry = plugin_registry_new();
    plugin_registry_load_dirs(h->registry, (const char *const *)dirs, diags);
    g_strfreev(dirs);
    ck_assert_msg(plugin_registry_find(h->registry, "pl011"), "no pl011 plugin in %s", path);
    g_ptr_array_set_size(diags, 0);

    char *text = g_strdup_printf("name: pl011-test\narch: %s\ncpus: 1\nmemory: 1M\n"
                                 "devices:\n  - type: pl011\n    id: uart0\n"
                                 "    mmio: 0x09000000\n    irq: %d\n    console: file:%s/out\n",
                                 board_arch_name(board_host_arch()), IRQ, h->dir);
    char *board_path = g_build_filename(h->dir, "board.yaml", NULL);
    h->board = board_load_from_string(board_path, text, diags);
    ck_assert_msg(h->board && board_validate(h->board, h->registry, diags), "%s",
                  diags->len ? (char *)diags->pdata[0] : "");
    h->vm = vm_new(h->board, &error);
    ck_assert_msg(h->vm && vm_setup_plain_ram(h->vm, &error) && devices_create(h->vm, &error),
                  "%s", error ? error->message : "");
    devices_reset(h->vm);
    g_free(board_path);
    g_free(text);
    g_ptr_array_unref(diags);
    return h;
}

static char *finish(struct harness *h)
{
    char *out_path = g_build_filename(h->dir, "out", NULL);
    char *output = NULL;
    vm_free(h->vm); /* consoles flush here */
    ck_assert(g_file_get_contents(out_path, &output, NULL, NULL));
    g_remove(out_path);
    g_free(out_path);
    board_free(h->board);
    plugin_registry_free(h->registry);
    g_rmdir(h->dir);
    g_free(h->dir);
    g_free(h);
    return output;
}

static uint32_t rd(struct harness *h, unsigned reg)
{
    return (uint32_t)bus_read(h->vm->mmio, BASE + reg, 4);
}

static void wr(struct harness *h, unsigned reg, uint32_t value)
{
    bus_write(h->vm->mmio, BASE + reg, value, 4);
}

START_TEST(identification_and_firmware_state)
{
    struct harness *h = start();
    static const uint8_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(rd(h, 0xfe0 + 4 * i), ids[i]);
    ck_assert_uint_eq(rd(h, CR), 0x301);    /* enabled, as firmware leaves it */
    ck_assert_uint_eq(rd(h, LCR_H), 0x70);  /* 8N1, FIFOs on */
    ck_assert_uint_eq(rd(h, IBRD), 13);
    ck_assert_uint_eq(rd(h, FBRD), 1);
    ck_assert_uint_eq(rd(h, FR) & (FR_RXFE | FR_TXFE | FR_RXFF), FR_RXFE | FR_TXFE);
    ck_assert_uint_eq(rd(h, IMSC), 0);
    ck_assert_int_eq(irq_level(h->vm, IRQ), 0);
    g_free(finish(h));
}
END_TEST

START_TEST(transmit_reaches_the_console)
{
    struct harness *h = start();
    const char *text = "hi pl011\n";
    for (const char *c = text; *c; c++)
        wr(h, DR, (uint8_t)*c);
    ck_assert_uint_eq(rd(h, RIS) & INT_TX, INT_TX);
    /* TX interrupt: masked, then unmasked (line rises), then cleared (line falls). */
    ck_assert_int_eq(irq_level(h->vm, IRQ), 0);
    wr(h, IMSC, INT_TX);
    ck_assert_int_eq(irq_level(h->vm, IRQ), 1);
    ck_assert_uint_eq(rd(h, MIS), INT_TX);
    wr(h, ICR, INT_TX);
    ck_assert_int_eq(irq_level(h->vm, IRQ), 0);
    /* With the UART disabled nothing goes out. */
    wr(h, CR, 0x300);
    wr(h, DR, 'X');
    char *output = finish(h);
    ck_assert_str_eq(output, text);
    g_free(output);
}
END_TEST

START_TEST(loopback_fifo_levels_and_interrupts)
{
    struct harness *h = start();
    wr(h, CR, 0x381);  /* UARTEN | LBE | TXE | RXE */
    wr(h, IFLS, 0x08); /* receive trigger 1/4 full: 8 characters */
    wr(h, IMSC, INT_RX | INT_RT);

    wr(h, DR, 'a');
    ck_assert_uint_eq(rd(h, FR) & FR_RXFE, 0);
    ck_assert_uint_eq(rd(h, RIS) & (INT_RX | INT_RT), INT_RT); /* below the trigger */
    ck_assert_int_eq(irq_level(h->vm, IRQ), 1);
    for (int i = 1; i < 8; i++)
        wr(h, DR, (uint32_t)('a' + i));
    ck_assert_uint_eq(rd(h, RIS) & (INT_RX | INT_RT), INT_RX);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(rd(h, DR), (uint32_t)('a' + i));
    ck_assert_uint_eq(rd(h, FR) & FR_RXFE, FR_RXFE);
    ck_assert_uint_eq(rd(h, RIS) & (INT_RX | INT_RT), 0);
    ck_assert_int_eq(irq_level(h->vm, IRQ), 0);

    /* 32 fill the FIFO; the 33rd overruns and is flagged on the last entry. */
    for (int i = 0; i < 33; i++)
        wr(h, DR, 'z');
    ck_assert_uint_eq(rd(h, FR) & FR_RXFF, FR_RXFF);
    ck_assert_uint_eq(rd(h, RIS) & INT_OE, INT_OE);
    for (int i = 0; i < 31; i++)
        ck_assert_uint_eq(rd(h, DR), 'z');
    ck_assert_uint_eq(rd(h, DR), 0x800 | 'z'); /* OE in DR bit 11 */
    ck_assert_uint_eq(rd(h, RSR) & 0x8, 0x8);
    wr(h, RSR, 0);
    ck_assert_uint_eq(rd(h, RSR), 0);

    /* FIFOs off: one holding register; turning them off flushes. */
    wr(h, DR, '1');
    wr(h, LCR_H, 0x60);
    ck_assert_uint_eq(rd(h, FR) & FR_RXFE, FR_RXFE);
    wr(h, DR, '2');
    ck_assert_uint_eq(rd(h, FR) & FR_RXFF, FR_RXFF);
    ck_assert_uint_eq(rd(h, DR), '2');

    char *output = finish(h);
    ck_assert_str_eq(output, ""); /* loopback sends nothing out */
    g_free(output);
}
END_TEST

START_TEST(unknown_offsets_are_harmless)
{
    struct harness *h = start();
    ck_assert_uint_eq(rd(h, 0x800), 0);
    wr(h, 0x800, 0xffffffff);
    wr(h, FR, 0); /* read-only */
    ck_assert_uint_eq(rd(h, FR) & FR_TXFE, FR_TXFE);
    ck_assert_uint_eq(rd(h, CR), 0x301);
    g_free(finish(h));
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pl011");
    TCase *tc = tcase_create("registers");
    tcase_add_test(tc, identification_and_firmware_state);
    tcase_add_test(tc, transmit_reaches_the_console);
    tcase_add_test(tc, loopback_fifo_levels_and_interrupts);
    tcase_add_test(tc, unknown_offsets_are_harmless);
    suite_add_tcase(suite, tc);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
