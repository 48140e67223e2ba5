/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The vmboard command line as a user meets it: exit codes, listings and error lines. */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmboard/plugin.h"

struct result {
    int status;
    char *out;
    char *err;
};

/* Run vmboard with argv (NULL-terminated, without the program) and wait for it. */
static struct result run_vmboard(const char *const *args)
{
    const char *vmboard = g_getenv("VMBOARD");
    GPtrArray *argv = g_ptr_array_new();
    struct result r = {0};
    GError *error = NULL;
    int wait_status;

    g_ptr_array_add(argv, (gpointer)(vmboard ? vmboard : "./vmboard"));
    for (size_t i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &wait_status, &error),
                  "spawn: %s", error ? error->message : "");
    ck_assert(WIFEXITED(wait_status));
    r.status = WEXITSTATUS(wait_status);
    g_ptr_array_unref(argv);
    return r;
}

static void result_free(struct result *r)
{
    g_free(r->out);
    g_free(r->err);
}

#define ck_assert_contains(haystack, needle)                                                   \
    ck_assert_msg(strstr((haystack), (needle)), "'%s' not found in:\n%s", (needle), (haystack))

static char *write_board(const char *name, const char *text)
{
    char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    return path;
}

START_TEST(version_names_abi)
{
    const char *args[] = {"--version", NULL};
    struct result r = run_vmboard(args);
    char *abi = g_strdup_printf("(plugin ABI %d.%d, ", VMB_ABI_MAJOR, VMB_ABI_MINOR);
    ck_assert_int_eq(r.status, 0);
    ck_assert_contains(r.out, "vmboard " PACKAGE_VERSION " ");
    ck_assert_contains(r.out, abi);
    g_free(abi);
    result_free(&r);
}
END_TEST

START_TEST(help_lists_commands)
{
    const char *args[] = {"--help", NULL};
    struct result r = run_vmboard(args);
    ck_assert_int_eq(r.status, 0);
    ck_assert_contains(r.out, "  run ");
    ck_assert_contains(r.out, "  check ");
    ck_assert_contains(r.out, "  plugins ");
    ck_assert_contains(r.out, "  dump ");
    result_free(&r);

    const char *run_help[] = {"run", "--help", NULL};
    r = run_vmboard(run_help);
    ck_assert_int_eq(r.status, 0);
    ck_assert_contains(r.out, "vmboard run [OPTION");
    ck_assert_contains(r.out, "--set=ID.PROPERTY=VALUE");
    ck_assert_contains(r.out, "--stats");
    result_free(&r);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
    const char *typo[] = {"chek", "x.yaml", NULL};
    struct result r = run_vmboard(typo);
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "unknown command 'chek' (did you mean 'check'?)");
    result_free(&r);

    const char *none[] = {"run", NULL};
    r = run_vmboard(none);
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "expected one board file");
    result_free(&r);

    const char *bad_option[] = {"run", "--no-such-option", "b.yaml", NULL};
    r = run_vmboard(bad_option);
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--no-such-option");
    result_free(&r);
}
END_TEST

START_TEST(check_valid_board_exits_0)
{
    char *path = write_board("vmb-cli-ok.yaml", "name: ok\n"
                                                "arch: x86_64\n"
                                                "memory: 32M\n"
                                                "devices:\n"
                                                "  - {type: uart-16550, id: uart0, pio: 0x3f8, "
                                                "irq: 4, console: none}\n"
                                                "  - {type: debug-exit, id: exit, pio: 0xf4}\n");
    const char *args[] = {"check", "-v", path, NULL};
    struct result r = run_vmboard(args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_contains(r.out, ": ok (x86_64, 1 vCPUs, 2 devices)");
    ck_assert_str_eq(r.err, "");
    result_free(&r);
    g_unlink(path);
    g_free(path);
}
END_TEST

START_TEST(check_prints_one_line_per_problem)
{
    char *path = write_board("vmb-cli-bad.yaml",
                             "name: bad\n"
                             "arch: x86_64\n"
                             "memory: 32M\n"
                             "devices:\n"
                             "  - {type: uart-16550, id: uart0, pio: 0x3f8, consle: none}\n"
                             "  - {type: uart-16550, id: uart1, pio: 0x3fc, console: none}\n"
                             "  - {type: uart-1655, id: uart2, pio: 0x2f8}\n");
    const char *args[] = {"check", path, NULL};
    struct result r = run_vmboard(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    char *unknown_key = g_strdup_printf(
        "%s:5:47: error: device 'uart0' has no property 'consle' (did you mean 'console'?)", path);
    char *overlap = g_strdup_printf("%s:6:5: error: device 'uart1' at pio 0x3fc..0x403 overlaps "
                                    "device 'uart0' at pio 0x3f8..0x3ff (declared at %s:5:5)",
                                    path, path);
    char *unknown_type = g_strdup_printf(
        "%s:7:12: error: unknown device type 'uart-1655' (did you mean 'uart-16550'?)", path);
    ck_assert_contains(r.err, unknown_key);
    ck_assert_contains(r.err, overlap);
    ck_assert_contains(r.err, unknown_type);
    /* Exactly those three lines. */
    char **lines = g_strsplit(g_strchomp(r.err), "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 3);
    g_strfreev(lines);
    g_free(unknown_key);
    g_free(overlap);
    g_free(unknown_type);
    result_free(&r);
    g_unlink(path);
    g_free(path);
}
END_TEST

START_TEST(run_refuses_other_arch_before_kvm)
{
#if !defined(__x86_64__)
    return; /* the board below is foreign only to x86_64 hosts */
#endif
    char *path = write_board("vmb-cli-arm.yaml", "name: arm\n"
                                                 "arch: arm64\n"
                                                 "memory: 32M\n");
    const char *args[] = {"run", path, NULL};
    struct result r = run_vmboard(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, ":2:7: error: this board is for arm64 but this host is x86_64");
    result_free(&r);
    g_unlink(path);
    g_free(path);
}
END_TEST

START_TEST(plugins_lists_types_and_properties)
{
    const char *args[] = {"plugins", NULL};
    struct result r = run_vmboard(args);
    ck_assert_int_eq(r.status, 0);
    ck_assert_contains(r.out, "uart-16550 ");
    ck_assert_contains(r.out, "debug-exit ");
    ck_assert_contains(r.out, "fw-cfg ");
    result_free(&r);

    const char *verbose[] = {"plugins", "--verbose", NULL};
    r = run_vmboard(verbose);
    ck_assert_int_eq(r.status, 0);
    ck_assert_contains(r.out, "search path: ");
    ck_assert_contains(r.out, "plugins/uart-16550.so)");
    ck_assert_contains(r.out, "placement: mmio or pio (required), window 0x8");
    ck_assert_msg(g_regex_match_simple("console +string +default stdio +where", r.out, 0, 0),
                  "no console property line in:\n%s", r.out);
    result_free(&r);
}
END_TEST

START_TEST(plugins_reports_broken_plugin_with_its_file)
{
    char *dir = g_dir_make_tmp("vmb-cli-XXXXXX", NULL);
    char *bad = g_build_filename(dir, "broken.so", NULL);
    char *text = g_strnfill(256, 'x');
    ck_assert(g_file_set_contents(bad, text, -1, NULL));
    const char *args[] = {"plugins", "--plugin-path", dir, NULL};
    struct result r = run_vmboard(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, bad);
    ck_assert_contains(r.err, "cannot load plugin");
    /* The good plugins are still listed. */
    ck_assert_contains(r.out, "uart-16550 ");
    result_free(&r);
    g_unlink(bad);
    g_rmdir(dir);
    g_free(text);
    g_free(bad);
    g_free(dir);
}
END_TEST

START_TEST(dump_board_fills_defaults_and_overrides)
{
    char *path = write_board("vmb-cli-dump.yaml",
                             "name: dump\n"
                             "arch: x86_64\n"
                             "memory: 32M\n"
                             "devices:\n"
                             "  - {type: uart-16550, id: uart0, pio: 0x3f8, irq: 4}\n");
    const char *args[] = {"dump", "board", path, "--cpus", "3", "--set",
                          "uart0.console=none", NULL};
    struct result r = run_vmboard(args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_contains(r.out, "cpus: 3\n");
    ck_assert_contains(r.out, "memory: 33554432\n");
    ck_assert_contains(r.out, "    console: none\n");
    ck_assert_contains(r.out, "    reg-shift: 0\n");
    result_free(&r);
    g_unlink(path);
    g_free(path);
}
END_TEST

/* Every board we ship validates. The demo guest is built in the build tree, which is not where
 * boards/x86_64-hello.yaml looks in an out-of-tree build, so the kernel is overridden with a
 * file that exists. */
START_TEST(shipped_boards_are_valid)
{
    const char *srcdir = g_getenv("VMB_TEST_SRCDIR");
    char *boards = g_build_filename(srcdir ? srcdir : "tests", "..", "boards", NULL);
    GDir *dir = g_dir_open(boards, 0, NULL);
    const char *name;
    unsigned checked = 0;

    ck_assert_msg(dir, "no directory %s", boards);
    while ((name = g_dir_read_name(dir))) {
        if (!g_str_has_suffix(name, ".yaml"))
            continue;
        char *path = g_build_filename(boards, name, NULL);
        const char *args[] = {"check", "--kernel", g_getenv("VMBOARD"), path, NULL};
        struct result r = run_vmboard(args);
        ck_assert_msg(r.status == 0, "%s:\n%s", path, r.err);
        result_free(&r);
        g_free(path);
        checked++;
    }
    g_dir_close(dir);
    ck_assert_uint_ge(checked, 3);
    g_free(boards);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("commands");
    tcase_add_test(tc, version_names_abi);
    tcase_add_test(tc, help_lists_commands);
    tcase_add_test(tc, usage_errors_exit_2);
    tcase_add_test(tc, check_valid_board_exits_0);
    tcase_add_test(tc, check_prints_one_line_per_problem);
    tcase_add_test(tc, run_refuses_other_arch_before_kvm);
    tcase_add_test(tc, plugins_lists_types_and_properties);
    tcase_add_test(tc, plugins_reports_broken_plugin_with_its_file);
    tcase_add_test(tc, dump_board_fills_defaults_and_overrides);
    tcase_add_test(tc, shipped_boards_are_valid);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(cli_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
