/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM bounds and interrupt lines: the checks every guest-controlled address goes through. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board.h"
#include "irq.h"
#include "memory.h"
#include "vm.h"

/* Two slots: [0, 0x3000) and [4 GiB, 4 GiB + 0x2000). */
static struct guest_memory *two_slots(void)
{
    struct guest_memory *mem = memory_new();
    GError *error = NULL;
    ck_assert(memory_add_ram(mem, 0x100000000ull, 0x2000, &error));
    ck_assert(memory_add_ram(mem, 0, 0x3000, &error));
    return mem;
}

START_TEST(slots_are_sorted_and_refuse_bad_ranges)
{
    struct guest_memory *mem = two_slots();
    GError *error = NULL;

    ck_assert_uint_eq(memory_slot_count(mem), 2);
    ck_assert_uint_eq(memory_slot(mem, 0)->gpa, 0);
    ck_assert_uint_eq(memory_slot(mem, 1)->gpa, 0x100000000ull);
    ck_assert_uint_eq(memory_total(mem), 0x5000);

    ck_assert(!memory_add_ram(mem, 0x2000, 0x2000, &error)); /* overlaps slot 0 */
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    ck_assert(!memory_add_ram(mem, 0xfffffffffffff000ull, 0x2000, &error)); /* wraps */
    g_clear_error(&error);
    ck_assert(!memory_add_ram(mem, 0x5000, 0x100, &error)); /* not page sized */
    g_clear_error(&error);
    ck_assert_uint_eq(memory_slot_count(mem), 2);
    memory_free(mem);
}
END_TEST

START_TEST(translate_never_crosses_a_slot_or_wraps)
{
    struct guest_memory *mem = two_slots();

    ck_assert_ptr_nonnull(memory_translate(mem, 0, 0x3000));
    ck_assert_ptr_null(memory_translate(mem, 0, 0x3001));
    ck_assert_ptr_null(memory_translate(mem, 0x3000, 1)); /* the hole after slot 0 */
    ck_assert_ptr_null(memory_translate(mem, 0x2fff, UINT64_MAX));
    ck_assert_ptr_null(memory_translate(mem, UINT64_MAX, 2));
    ck_assert_ptr_null(memory_translate(mem, 0x100000000ull + 0x1fff, UINT64_MAX));
    ck_assert_ptr_nonnull(memory_translate(mem, 0x100000000ull + 0x1fff, 1));
    ck_assert_ptr_null(memory_translate(mem, 0x100000000ull + 0x2000, 1));
    /* A pointer is into the slot's own mapping. */
    uint8_t *base = memory_translate(mem, 0, 1);
    ck_assert_ptr_eq(memory_translate(mem, 0x123, 1), base + 0x123);
    memory_free(mem);
}
END_TEST

START_TEST(read_write_all_or_nothing)
{
    struct guest_memory *mem = two_slots();
    uint8_t buf[16];

    ck_assert(memory_write(mem, 0x2ff8, "abcdefgh", 8));
    ck_assert(memory_read(mem, 0x2ff8, buf, 8));
    ck_assert_mem_eq(buf, "abcdefgh", 8);

    /* Half in RAM, half in the hole: refused, and nothing of it is written. */
    memset(buf, 'z', sizeof(buf));
    ck_assert(!memory_write(mem, 0x2ffc, buf, 8));
    ck_assert(memory_read(mem, 0x2ff8, buf, 8));
    ck_assert_mem_eq(buf, "abcdefgh", 8);
    ck_assert(!memory_read(mem, 0x2ffc, buf, 8));
    ck_assert(!memory_read(mem, UINT64_MAX - 3, buf, 8));
    ck_assert(!memory_write(mem, UINT64_MAX, buf, 2));
    memory_free(mem);
}
END_TEST

static struct board *plain_board(void)
{
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    struct board *board = board_load_from_string("irq.yaml",
                                                 "name: irq\narch: x86_64\nmemory: 64M\n", diags);
    ck_assert_msg(board, "%s", diags->len ? (char *)diags->pdata[0] : "");
    g_ptr_array_unref(diags);
    return board;
}

START_TEST(irq_lines_record_levels_and_edges)
{
    struct board *board = plain_board();
    GError *error = NULL;
    struct vm *vm = vm_new(board, &error);
    ck_assert(vm_setup_plain_ram(vm, &error));
    ck_assert_uint_eq(memory_total(vm->mem), 64 << 20);

    ck_assert(irq_set_level(vm, 5, 1));
    ck_assert_int_eq(irq_level(vm, 5), 1);
    ck_assert(irq_set_level(vm, 5, 1)); /* no new edge while high */
    ck_assert_uint_eq(irq_raise_count(vm, 5), 1);
    ck_assert(irq_set_level(vm, 5, 0));
    ck_assert(irq_set_level(vm, 5, 1));
    ck_assert_uint_eq(irq_raise_count(vm, 5), 2);

    ck_assert(irq_pulse(vm, 6));
    ck_assert_int_eq(irq_level(vm, 6), 0);
    ck_assert_uint_eq(irq_raise_count(vm, 6), 1);

    /* A line beyond the table is refused, not written out of bounds. */
    ck_assert(!irq_set_level(vm, IRQ_MAX_LINES, 1));
    ck_assert(!irq_set_level(vm, 5000, 1));
    ck_assert_int_eq(irq_level(vm, IRQ_MAX_LINES), 0);
    vm_free(vm);
    board_free(board);
}
END_TEST

START_TEST(kvm_ram_layout_splits_at_3g)
{
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        printf("memory: no usable /dev/kvm: the KVM memory slots are checked by "
               "tests/kvm-nested.sh in the nested x86 VM\n");
        return;
    }
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    struct board *board = board_load_from_string("big.yaml", "name: big\narch: x86_64\n"
                                                             "memory: 4G\n",
                                                 diags);
    ck_assert(board);
    GError *error = NULL;
    struct vm *vm = vm_new(board, &error);
    ck_assert_msg(vm_setup_kvm(vm, &error), "%s", error ? error->message : "");
    ck_assert_uint_eq(memory_slot_count(vm->mem), 2);
    ck_assert_uint_eq(memory_slot(vm->mem, 0)->size, 3ull << 30);
    ck_assert_uint_eq(memory_slot(vm->mem, 1)->gpa, 1ull << 32);
    ck_assert_uint_eq(memory_slot(vm->mem, 1)->size, 1ull << 30);
    /* Lines reach the in-kernel irqchip: every ISA line can be raised and lowered. */
    for (unsigned line = 0; line < 24; line++) {
        ck_assert(irq_set_level(vm, line, 1));
        ck_assert(irq_set_level(vm, line, 0));
    }
    ck_assert_uint_eq(irq_raise_count(vm, 4), 1);
    vm_free(vm);
    board_free(board);
    g_ptr_array_unref(diags);
}
END_TEST

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("bounds");
    tcase_add_test(tc, slots_are_sorted_and_refuse_bad_ranges);
    tcase_add_test(tc, translate_never_crosses_a_slot_or_wraps);
    tcase_add_test(tc, read_write_all_or_nothing);
    tcase_add_test(tc, irq_lines_record_levels_and_edges);
#if defined(__x86_64__)
    tcase_add_test(tc, kvm_ram_layout_splits_at_3g);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(memory_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
