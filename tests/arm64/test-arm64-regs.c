/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arm64 ONE_REG ids vmboard computes from struct kvm_regs, checked against the values
 * the KVM API documentation gives (Documentation/virt/kvm/api.rst, "ARM64 core registers")
 * and against the encoding rules: size field, KVM_REG_ARM_CORE, offset / 4.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arch/arm64/regs.h"

static uint64_t id_of(const char *name)
{
    const struct arm64_core_reg *reg = arm64_core_reg_by_name(name);
    ck_assert_msg(reg != NULL, "no core register named %s", name);
    return reg->id;
}

START_TEST(documented_ids)
{
    /* Values from the KVM API documentation's table of arm64 core registers. */
    ck_assert_uint_eq(id_of("x0"), 0x6030000000100000ull);
    ck_assert_uint_eq(id_of("x30"), 0x603000000010003cull);
    ck_assert_uint_eq(id_of("sp"), 0x603000000010003eull);
    ck_assert_uint_eq(id_of("pc"), 0x6030000000100040ull);
    ck_assert_uint_eq(id_of("pstate"), 0x6030000000100042ull);
    ck_assert_uint_eq(id_of("sp_el1"), 0x6030000000100044ull);
    ck_assert_uint_eq(id_of("elr_el1"), 0x6030000000100046ull);
    ck_assert_uint_eq(id_of("spsr_el1"), 0x6030000000100048ull);
    ck_assert_uint_eq(id_of("spsr_fiq"), 0x6030000000100050ull);
    ck_assert_uint_eq(id_of("v0"), 0x6040000000100054ull);
    ck_assert_uint_eq(id_of("v31"), 0x60400000001000d0ull);
    ck_assert_uint_eq(id_of("fpsr"), 0x60200000001000d4ull);
    ck_assert_uint_eq(id_of("fpcr"), 0x60200000001000d5ull);
}
END_TEST

START_TEST(accessors_match_table)
{
    ck_assert_uint_eq(arm64_reg_id_pc(), id_of("PC"));
    ck_assert_uint_eq(arm64_reg_id_pstate(), id_of("pstate"));
    for (unsigned n = 0; n <= 30; n++) {
        char name[8];
        snprintf(name, sizeof(name), "x%u", n);
        ck_assert_uint_eq(arm64_reg_id_x(n), id_of(name));
        ck_assert_uint_eq(arm64_reg_id_x(n), 0x6030000000100000ull + 2 * n);
    }
    ck_assert_uint_eq(arm64_reg_id_x(31), 0);
    ck_assert_ptr_null(arm64_core_reg_by_name("x31"));
}
END_TEST

/* Every id: arm64 class, core group, a size field matching the field's width, and offsets
 * rising without overlapping the register before. */
START_TEST(encoding_is_consistent)
{
    size_t count;
    const struct arm64_core_reg *regs = arm64_core_regs(&count);
    uint64_t next_offset = 0;

    ck_assert_uint_eq(count, 31 + 3 + 2 + 5 + 32 + 2);
    for (size_t i = 0; i < count; i++) {
        uint64_t id = regs[i].id;
        uint64_t expected_top = regs[i].bytes == 16 ? 0x6040 : regs[i].bytes == 8 ? 0x6030 : 0x6020;
        ck_assert_uint_eq(id >> 48, expected_top);
        ck_assert_uint_eq((id >> 16) & 0xffff, 0x0010); /* KVM_REG_ARM_CORE */
        uint64_t offset = id & 0xffff;
        ck_assert_msg(offset >= next_offset, "%s overlaps the register before it", regs[i].name);
        next_offset = offset + regs[i].bytes / 4;
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(regs[i].name, regs[j].name);
    }
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("arm64-regs");
    TCase *tc = tcase_create("ids");
    tcase_add_test(tc, documented_ids);
    tcase_add_test(tc, accessors_match_table);
    tcase_add_test(tc, encoding_is_consistent);
    suite_add_tcase(suite, tc);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
