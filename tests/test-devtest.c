/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device test harness, as a plugin author uses it: the C API of the installed library
 * (this suite links devtest/libvmboard-devtest.a, the archive `make install` ships), the
 * vmboard-devtest program's reports and exit statuses, and the compatibility promises of the
 * plugin ABI: how a plugin for another ABI fails, how an older struct layout is honoured, and
 * how a plugin crashing in a lifecycle callback is named before vmboard dies.
 *
 * Test plugins (sources in tests/devtest, built into $VMB_TEST_BUILDDIR/devtest):
 *   probe.so       timers, interrupt pulses, guest-memory writes, console in/out, exit/reset
 *   old-layout.so  structs with `size` fields smaller than this header's (an older minor)
 *   abi-major0.so  a descriptor declaring ABI 0.9
 *   crash.so       crashes in the callback its properties name
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmboard/devtest.h"

#define ck_assert_contains(haystack, needle)                                                       \
    ck_assert_msg((haystack) && strstr((haystack), (needle)), "'%s' not found in '%s'", (needle),  \
                  (haystack) ? (haystack) : "(null)")

#define PROBE_BASE 0xfe000000ull
#define PROBE_IRQ  5

/*
 * The installed library keeps every core symbol local, so a test program may define functions
 * with the core's names. If bus_read were still global in the archive, this program would not
 * link (duplicate definition).
 */
uint64_t bus_read(void);
uint64_t bus_read(void)
{
    return 0x5ca1ab1e;
}

START_TEST(core_names_stay_private)
{
    ck_assert_uint_eq(bus_read(), 0x5ca1ab1e);
}
END_TEST

/* ---- helpers ---------------------------------------------------------------------------- */

static const char *builddir(void)
{
    const char *dir = g_getenv("VMB_TEST_BUILDDIR");
    ck_assert_msg(dir != NULL, "VMB_TEST_BUILDDIR is not set: run through `make check`");
    return dir;
}

/* A test plugin's path (static buffer). */
static const char *test_plugin(const char *name)
{
    static char path[4096];
    g_snprintf(path, sizeof(path), "%s/devtest/%s", builddir(), name);
    return path;
}

static char *devtest_program(void)
{
    return g_build_filename(builddir(), "..", "vmboard-devtest", NULL);
}

/* A harness with the probe plugin and one probe device (irq 5, console stdio, 2-byte input
 * chunks when `chunked`), started. */
static struct vmb_devtest *start_probe(bool chunked)
{
    struct vmb_devtest *test = vmb_devtest_new();
    const char *settings[] = {"mmio=0xfe000000", "irq=5", "log-address=0x1000",
                              chunked ? "input-chunk=2" : "input-chunk=0", NULL};

    ck_assert_msg(vmb_devtest_load_plugin(test, test_plugin("probe.so")) == 0, "%s",
                  vmb_devtest_error(test));
    ck_assert_int_eq(vmb_devtest_add_device(test, "test-probe", "probe", settings), 0);
    ck_assert_msg(vmb_devtest_start(test) == 0, "%s", vmb_devtest_error(test));
    return test;
}

struct log_record {
    uint32_t timer;
    uint32_t number;
    uint64_t clock;
};

static struct log_record log_record(struct vmb_devtest *test, unsigned index)
{
    uint8_t raw[16];
    struct log_record record;
    ck_assert_int_eq(vmb_devtest_mem_read(test, 0x1000 + 16 * index, raw, sizeof(raw)), 0);
    memcpy(&record.timer, raw, 4);
    memcpy(&record.number, raw + 4, 4);
    memcpy(&record.clock, raw + 8, 8);
    return record;
}

/* ---- the C API -------------------------------------------------------------------------- */

START_TEST(timers_fire_in_deadline_order_on_the_virtual_clock)
{
    struct vmb_devtest *test = start_probe(false);

    ck_assert_uint_eq(vmb_devtest_clock_ns(test), 0);
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x08, 300, 8); /* timer 1 at 300 */
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x18, 50, 8);  /* timer 0 re-arms */
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 100, 8); /* timer 0 at 100 */

    ck_assert_int_eq(vmb_devtest_advance(test, 99), 0);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 8), 0);
    ck_assert_int_eq(vmb_devtest_advance(test, 901), 0);
    ck_assert_uint_eq(vmb_devtest_clock_ns(test), 1000);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x10, 8), 1000);

    /* Timer 0 at 100, then re-armed four times 50 ns apart; at 300 both are due and timer 1,
     * armed first, goes first. Each callback saw the clock at its own deadline. */
    static const struct log_record want[] = {
        {0, 0, 100}, {0, 1, 150}, {0, 2, 200}, {0, 3, 250}, {1, 4, 300}, {0, 5, 300},
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
        struct log_record got = log_record(test, i);
        ck_assert_msg(got.timer == want[i].timer && got.number == want[i].number &&
                          got.clock == want[i].clock,
                      "record %u: timer %u #%u at %llu, expected timer %u #%u at %llu", i,
                      got.timer, got.number, (unsigned long long)got.clock, want[i].timer,
                      want[i].number, (unsigned long long)want[i].clock);
    }
    ck_assert_uint_eq(log_record(test, G_N_ELEMENTS(want)).clock, 0); /* nothing more */
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 8), 5);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x08, 8), 1);
    /* Every firing pulsed the line: six rising edges, and it ends low. */
    ck_assert_uint_eq(vmb_devtest_irq_edges(test, PROBE_IRQ), 6);
    ck_assert_int_eq(vmb_devtest_irq_level(test, PROBE_IRQ), 0);
    vmb_devtest_free(test);
}
END_TEST

START_TEST(cancelled_timer_does_not_fire)
{
    struct vmb_devtest *test = start_probe(false);

    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 1000, 8);
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x10, 0, 8);
    ck_assert_int_eq(vmb_devtest_advance(test, 1000000), 0);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 8), 0);
    ck_assert_uint_eq(vmb_devtest_irq_edges(test, PROBE_IRQ), 0);
    vmb_devtest_free(test);
}
END_TEST

START_TEST(console_input_waits_for_the_device)
{
    struct vmb_devtest *test = start_probe(true);

    /* The device takes two bytes per offer and asks again once it has passed one on. */
    ck_assert_int_eq(vmb_devtest_console_input(test, "probe", "abcdef", 6), 0);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x28, 8), 2);
    ck_assert_int_eq(vmb_devtest_console_queued(test, "probe"), 4);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x20, 1), 'a');
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x28, 8), 3);
    ck_assert_int_eq(vmb_devtest_console_queued(test, "probe"), 2);
    for (const char *c = "bcdef"; *c; c++)
        ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x20, 1), *c);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x20, 2), 0x100);
    ck_assert_int_eq(vmb_devtest_console_queued(test, "probe"), 0);
    vmb_devtest_free(test);
}
END_TEST

START_TEST(console_output_is_captured)
{
    struct vmb_devtest *test = start_probe(false);
    size_t len;

    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x20, 0x676e6970, 4); /* "ping" */
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x20, 0x0a, 1);
    const uint8_t *out = vmb_devtest_console_output(test, "probe", &len);
    ck_assert_uint_eq(len, 5);
    ck_assert(memcmp(out, "ping\n", 5) == 0);
    ck_assert_int_eq(vmb_devtest_console_clear(test, "probe"), 0);
    vmb_devtest_console_output(test, "probe", &len);
    ck_assert_uint_eq(len, 0);

    ck_assert_ptr_null(vmb_devtest_console_output(test, "nobody", &len));
    ck_assert_contains(vmb_devtest_error(test), "no device 'nobody'");
    vmb_devtest_free(test);
}
END_TEST

START_TEST(none_console_is_refused_with_a_reason)
{
    struct vmb_devtest *test = vmb_devtest_new();
    const char *settings[] = {"mmio=0xfe000000", "console=none", NULL};

    ck_assert_int_eq(vmb_devtest_load_plugin(test, test_plugin("probe.so")), 0);
    ck_assert_int_eq(vmb_devtest_add_device(test, "test-probe", "quiet", settings), 0);
    ck_assert_int_eq(vmb_devtest_start(test), 0);
    ck_assert_int_eq(vmb_devtest_console_input(test, "quiet", "x", 1), -1);
    ck_assert_contains(vmb_devtest_error(test), "console set to none");
    vmb_devtest_free(test);
}
END_TEST

START_TEST(exit_and_reset_requests_are_recorded)
{
    struct vmb_devtest *test = start_probe(false);
    int status = -1;

    ck_assert_int_eq(vmb_devtest_stop_request(test, &status), VMB_DEVTEST_RUNNING);
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x30, 7, 1);
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x38, 1, 1); /* too late: first wins */
    ck_assert_int_eq(vmb_devtest_stop_request(test, &status), VMB_DEVTEST_EXIT);
    ck_assert_int_eq(status, 7);

    /* A machine reset forgets the request and resets the devices. */
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 10, 8);
    ck_assert_int_eq(vmb_devtest_advance(test, 10), 0);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 8), 1);
    ck_assert_int_eq(vmb_devtest_reset(test), 0);
    ck_assert_int_eq(vmb_devtest_stop_request(test, &status), VMB_DEVTEST_RUNNING);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE + 0x00, 8), 0);
    vmb_devtest_write(test, VMB_SPACE_MMIO, PROBE_BASE + 0x38, 1, 1);
    ck_assert_int_eq(vmb_devtest_stop_request(test, &status), VMB_DEVTEST_RESET);
    vmb_devtest_free(test);
}
END_TEST

START_TEST(guest_memory_and_unclaimed_addresses)
{
    struct vmb_devtest *test = start_probe(false);
    uint8_t byte;

    ck_assert_int_eq(vmb_devtest_mem_write(test, 0xfffffe, "ab", 2), 0);
    ck_assert_int_eq(vmb_devtest_mem_write(test, 0xffffff, "ab", 2), -1); /* crosses the end */
    ck_assert_contains(vmb_devtest_error(test), "0xffffff+2 is not guest RAM");
    ck_assert_int_eq(vmb_devtest_mem_read(test, 0x1000000, &byte, 1), -1);
    /* Nobody at these addresses: reads give all-ones, as on hardware. */
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, 0xfd000000, 4), 0xffffffff);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_PIO, 0x300, 2), 0xffff);
    /* Sizes a guest cannot make are refused, not passed on. */
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, PROBE_BASE, 9), UINT64_MAX);
    ck_assert_contains(vmb_devtest_error(test), "size 9 is not 1 to 8 bytes");
    vmb_devtest_free(test);
}
END_TEST

START_TEST(validation_errors_come_before_any_device)
{
    struct vmb_devtest *test = vmb_devtest_new();
    const char *bad[] = {"mmio=0xfe000000", "log-adress=0x10", NULL};

    ck_assert_int_eq(vmb_devtest_start(test), -1);
    ck_assert_contains(vmb_devtest_error(test), "no devices declared");

    ck_assert_int_eq(vmb_devtest_load_plugin(test, test_plugin("probe.so")), 0);
    ck_assert_int_eq(vmb_devtest_add_device(test, "test-probe", "p", bad), 0);
    ck_assert_int_eq(vmb_devtest_start(test), -1);
    ck_assert_contains(vmb_devtest_error(test),
                       "device 'p' has no property 'log-adress' (did you mean 'log-address'?)");

    vmb_devtest_discard(test);
    ck_assert_int_eq(vmb_devtest_add_device(test, "test-prbe", "p", NULL), 0);
    ck_assert_int_eq(vmb_devtest_start(test), -1);
    ck_assert_contains(vmb_devtest_error(test), "unknown device type 'test-prbe'");
    ck_assert_contains(vmb_devtest_error(test), "test-probe");
    vmb_devtest_free(test);
}
END_TEST

/* Devices from a board file, with types found on the plugin search path. */
START_TEST(board_file_devices)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-devtest-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    char *board = g_build_filename(dir, "board.yaml", NULL);
    ck_assert(g_file_set_contents(board,
                                  "name: b\narch: x86_64\ncpus: 2\nmemory: 8M\n"
                                  "boot:\n  kernel: not-built-yet.bin\n"
                                  "devices:\n"
                                  "  - type: uart-16550\n"
                                  "    id: uart0\n"
                                  "    pio: 0x3f8\n"
                                  "    irq: 4\n",
                                  -1, NULL));
    struct vmb_devtest *test = vmb_devtest_new();
    ck_assert_int_eq(vmb_devtest_load_board(test, board), 0);
    ck_assert_int_eq(vmb_devtest_add_device(test, "uart-16550", "extra", NULL), -1);
    ck_assert_contains(vmb_devtest_error(test), "the devices come from board");
    ck_assert_msg(vmb_devtest_start(test) == 0, "%s", vmb_devtest_error(test));
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_PIO, 0x3fd, 1), 0x60);
    vmb_devtest_write(test, VMB_SPACE_PIO, 0x3f8, 'k', 1);
    size_t len;
    const uint8_t *out = vmb_devtest_console_output(test, "uart0", &len);
    ck_assert(len == 1 && out[0] == 'k');
    /* RAM is the board's: 8M. */
    uint8_t byte;
    ck_assert_int_eq(vmb_devtest_mem_read(test, 8 * 1024 * 1024 - 1, &byte, 1), 0);
    ck_assert_int_eq(vmb_devtest_mem_read(test, 8 * 1024 * 1024, &byte, 1), -1);
    vmb_devtest_free(test);

    /* A mistake in the board is reported at its own line and column. */
    ck_assert(g_file_set_contents(board,
                                  "name: b\narch: x86_64\nmemory: 8M\n"
                                  "devices:\n"
                                  "  - type: uart-16550\n"
                                  "    id: uart0\n"
                                  "    pio: 0x3f8\n"
                                  "    speed: 9600\n",
                                  -1, NULL));
    test = vmb_devtest_new();
    ck_assert_int_eq(vmb_devtest_load_board(test, board), 0);
    ck_assert_int_eq(vmb_devtest_start(test), -1);
    char *want = g_strdup_printf("%s:8:5: error: device 'uart0' has no property 'speed'", board);
    ck_assert_contains(vmb_devtest_error(test), want);
    g_free(want);
    vmb_devtest_free(test);

    unlink(board);
    g_rmdir(dir);
    g_free(board);
    g_free(dir);
}
END_TEST

/* ---- compatibility ---------------------------------------------------------------------- */

START_TEST(plugin_for_abi_0_is_refused_with_the_documented_message)
{
    struct vmb_devtest *test = vmb_devtest_new();
    const char *path = test_plugin("abi-major0.so");

    ck_assert_int_eq(vmb_devtest_load_plugin(test, path), -1);
    char *want = g_strdup_printf("%s: plugin was built for vmboard plugin ABI 0.9, but this "
                                 "vmboard provides ABI %d.%d (a plugin loads when its major "
                                 "version is equal and its minor version is not newer); "
                                 "rebuild it against this vmboard's <vmboard/plugin.h>",
                                 path, VMB_ABI_MAJOR, VMB_ABI_MINOR);
    ck_assert_str_eq(vmb_devtest_error(test), want);
    g_free(want);
    vmb_devtest_free(test);
}
END_TEST

/* The same refusal from `vmboard plugins`, the command a user runs first. */
START_TEST(vmboard_plugins_names_the_old_plugin)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-devtest-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    char *link = g_build_filename(dir, "abi-major0.so", NULL);
    ck_assert_int_eq(symlink(test_plugin("abi-major0.so"), link), 0);

    const char *vmboard = g_getenv("VMBOARD");
    ck_assert_msg(vmboard != NULL, "VMBOARD is not set: run through `make check`");
    char *argv[] = {(char *)vmboard, "plugins", "--plugin-path", dir, NULL};
    char *out = NULL, *err = NULL;
    int status;
    ck_assert(g_spawn_sync(NULL, argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    ck_assert_contains(err, "abi-major0.so: plugin was built for vmboard plugin ABI 0.9, but "
                            "this vmboard provides ABI 1.");
    ck_assert(strstr(out, "test-abi0") == NULL);

    g_free(out);
    g_free(err);
    unlink(link);
    g_rmdir(dir);
    g_free(link);
    g_free(dir);
}
END_TEST

START_TEST(older_struct_layouts_are_honoured)
{
    struct vmb_devtest *test = vmb_devtest_new();
    const char *settings[] = {"mmio=0xfe000000", NULL};

    ck_assert_msg(vmb_devtest_load_plugin(test, test_plugin("old-layout.so")) == 0, "%s",
                  vmb_devtest_error(test));
    ck_assert_int_eq(vmb_devtest_set_cpus(test, 3), 0);
    ck_assert_int_eq(vmb_devtest_add_device(test, "test-old-layout", "old", settings), 0);
    ck_assert_msg(vmb_devtest_start(test) == 0, "%s", vmb_devtest_error(test));
    /* Default access sizes (1..8): a 4-byte read reaches the handler whole, not split in two
     * by the junk max_access (2) past the ops' size; a 1-byte read at +1 reaches it as such
     * (low byte 0x01), not widened by the junk min_access to 2 bytes at +0 (which gives 0x02). */
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, 0xfe000004, 4), 0x404);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, 0xfe000001, 1), 0x01);
    /* machine_info filled the short struct and nothing past it. */
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, 0xfe000010, 4), 3);
    ck_assert_uint_eq(vmb_devtest_read(test, VMB_SPACE_MMIO, 0xfe000018, 4), 1);
    vmb_devtest_free(test);
}
END_TEST

/* ---- vmboard-devtest: reports and statuses ---------------------------------------------- */

struct run {
    int status; /* wait status */
    char *out, *err;
};

static void run_free(struct run *run)
{
    g_free(run->out);
    g_free(run->err);
}

/* Write `text` as NAME in a fresh directory and run vmboard-devtest on it (plus `extra`). */
static struct run run_script(const char *name, const char *text, const char *extra)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-devtest-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    char *path = g_build_filename(dir, name, NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));

    char *program = devtest_program();
    char *argv[] = {program, path, (char *)extra, NULL};
    struct run run = {0};
    ck_assert(
        g_spawn_sync(dir, argv, NULL, 0, NULL, NULL, &run.out, &run.err, &run.status, &error));
    unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(program);
    g_free(dir);
    return run;
}

static int exit_code(const struct run *run)
{
    ck_assert_msg(WIFEXITED(run->status), "vmboard-devtest died: %s", run->err);
    return WEXITSTATUS(run->status);
}

/* The probe plugin and a device, as a script preamble. */
static char *probe_script(const char *body)
{
    return g_strdup_printf("plugin %s\n"
                           "device test-probe probe mmio=0xfe000000 irq=5\n"
                           "%s",
                           test_plugin("probe.so"), body);
}

START_TEST(passing_script_exits_0)
{
    char *text = probe_script("write mmio 0xfe000000 8 1000\n"
                              "advance 1us\n"
                              "expect irq 5 edges 1\n"
                              "expect irq 5 low\n"
                              "read mmio 0xfe000010 8 == 1000\n"
                              "read mem 0x1008 8 == 1000\n"
                              "write mmio 0xfe000020 2 0x6968\n"
                              "expect output probe \"hi\"\n"
                              "input probe \"x\\n\"\n"
                              "read mmio 0xfe000028 1 == 2\n"
                              "write mmio 0xfe000030 1 3\n"
                              "expect exit 3\n");
    struct run run = run_script("pass.vdt", text, NULL);
    ck_assert_msg(exit_code(&run) == 0, "%s", run.err);
    ck_assert_contains(run.out, "PASS: ");
    ck_assert_contains(run.out, "pass.vdt");
    run_free(&run);
    g_free(text);
}
END_TEST

START_TEST(failure_names_line_with_expected_and_actual)
{
    char *text = probe_script("\n# a comment\nread mmio 0xfe000010 8 == 0x10  # the clock\n");
    struct run run = run_script("fail.vdt", text, NULL);
    ck_assert_int_eq(exit_code(&run), 1);
    ck_assert_contains(run.err, "fail.vdt:5: FAIL: read mmio 0xfe000010 8 == 0x10  # the clock\n"
                                "  expected: 0x0000000000000010\n"
                                "  actual:   0x0000000000000000\n");
    ck_assert_contains(run.out, "FAIL: ");
    run_free(&run);
    g_free(text);

    text = probe_script("write mmio 0xfe000020 1 0x41\nexpect output probe \"B\\n\"\n");
    run = run_script("output.vdt", text, NULL);
    ck_assert_int_eq(exit_code(&run), 1);
    ck_assert_contains(run.err, "output.vdt:4: FAIL: expect output probe \"B\\n\"\n"
                                "  expected: \"B\\n\"\n"
                                "  actual:   \"A\"\n");
    run_free(&run);
    g_free(text);

    text = probe_script("read mmio 0xfe000020 2 & 0xff00 == 0x0200\nexpect irq 5 high\n");
    run = run_script("mask.vdt", text, NULL);
    ck_assert_int_eq(exit_code(&run), 1);
    ck_assert_contains(run.err, "  expected: 0x0200 under mask 0xff00\n"
                                "  actual:   0x0100 (read 0x0100)\n");
    run_free(&run);
    g_free(text);
}
END_TEST

START_TEST(board_errors_point_at_the_script_line)
{
    char *text = g_strdup_printf("plugin %s\n\n"
                                 "device test-probe p mmio=0xfe000000 log-adress=1\n"
                                 "start\n",
                                 test_plugin("probe.so"));
    struct run run = run_script("board.vdt", text, NULL);
    ck_assert_int_eq(exit_code(&run), 1);
    ck_assert_contains(run.err, "board.vdt:4: FAIL: start\n");
    ck_assert_contains(run.err, "board.vdt:3: error: device 'p' has no property 'log-adress' "
                                "(did you mean 'log-address'?)");
    run_free(&run);
    g_free(text);
}
END_TEST

START_TEST(script_errors_exit_2)
{
    char *text = probe_script("wrte mmio 0xfe000000 8 1\n");
    struct run run = run_script("typo.vdt", text, NULL);
    ck_assert_int_eq(exit_code(&run), 2);
    ck_assert_contains(run.err, "typo.vdt:3: error: unknown command 'wrte' (did you mean "
                                "'write'?)");
    run_free(&run);
    g_free(text);

    static const struct {
        const char *body, *message;
    } cases[] = {
        {"write mmio 0xfe000000 1 0x100\n", "value 0x100 does not fit in 1 bytes"},
        {"read mmio 0xfe000000 3 ==\n", "usage: read SPACE ADDRESS SIZE"},
        {"advance 10\n", "'10' is not a duration"},
        {"input probe \"abc\n", "unterminated string"},
        {"input probe \"\\q\"\n", "unknown escape '\\q'"},
        {"expect irq 5 up\n", "usage: expect irq LINE high|low"},
        {"expect outptu probe \"\"\n", "did you mean 'expect output'"},
        {"read io 0x10 1\n", "unknown address space 'io'"},
        {"plugin ${VMB_SURELY_UNSET_VARIABLE}/x.so\n", "variable ${VMB_SURELY_UNSET_VARIABLE}"},
        {"start\ndevice test-probe q mmio=0xfe001000\n", "'device' must come before"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        text = probe_script(cases[i].body);
        run = run_script("bad.vdt", text, NULL);
        ck_assert_msg(exit_code(&run) == 2, "case %zu: status %d: %s", i, exit_code(&run), run.err);
        ck_assert_contains(run.err, cases[i].message);
        ck_assert_contains(run.err, "bad.vdt:");
        run_free(&run);
        g_free(text);
    }

    run = run_script("empty.vdt", "# nothing\n", NULL);
    ck_assert_int_eq(exit_code(&run), 2);
    ck_assert_contains(run.err, "the script has no commands");
    run_free(&run);

    run = run_script("ok.vdt", "# nothing\n", "--no-such-option");
    ck_assert_int_eq(exit_code(&run), 2);
    run_free(&run);

    char *program = devtest_program();
    char *argv[] = {program, NULL};
    int status;
    char *err = NULL;
    ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                           &status, NULL));
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    ck_assert_contains(err, "expected at least one script");
    g_free(err);
    g_free(program);
}
END_TEST

START_TEST(script_dir_variable_and_relative_plugin)
{
    /* `plugin` paths are relative to the script; ${SCRIPT_DIR} is its directory. */
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-devtest-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    char *link = g_build_filename(dir, "probe.so", NULL);
    ck_assert_int_eq(symlink(test_plugin("probe.so"), link), 0);
    char *script = g_build_filename(dir, "rel.vdt", NULL);
    ck_assert(g_file_set_contents(script,
                                  "plugin probe.so\n"
                                  "device test-probe p mmio=0xfe000000\n"
                                  "plugin-path ${SCRIPT_DIR}\n"
                                  "read mmio 0xfe000028 1 == 0\n",
                                  -1, NULL));
    char *program = devtest_program();
    char *argv[] = {program, script, NULL};
    int status;
    char *err = NULL;
    ck_assert(g_spawn_sync("/", argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                           &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", err);
    g_free(err);
    g_free(program);
    unlink(script);
    unlink(link);
    g_rmdir(dir);
    g_free(script);
    g_free(link);
    g_free(dir);
}
END_TEST

/* ---- crash reports ---------------------------------------------------------------------- */

static const struct crash_case {
    const char *in, *how;
    int signal;
    const char *name;
} crash_cases[] = {
    {"create", "null", SIGSEGV, "SIGSEGV"},   {"create", "overflow", SIGSEGV, "SIGSEGV"},
    {"realize", "abort", SIGABRT, "SIGABRT"}, {"reset", "null", SIGSEGV, "SIGSEGV"},
    {"destroy", "null", SIGSEGV, "SIGSEGV"},
};

START_TEST(crash_in_lifecycle_names_the_plugin)
{
    const struct crash_case *c = &crash_cases[_i];
    char *text = g_strdup_printf("plugin %s\n"
                                 "device test-crash boom in=%s how=%s\n"
                                 "start\n",
                                 test_plugin("crash.so"), c->in, c->how);
    struct run run = run_script("crash.vdt", text, NULL);
    char *want = g_strdup_printf("vmboard: fatal: %s", c->name);
    ck_assert_contains(run.err, want);
    g_free(want);
    want = g_strdup_printf(" in %s() of device type 'test-crash' from plugin %s (device 'boom' "
                           "declared at ",
                           c->in, test_plugin("crash.so"));
    ck_assert_contains(run.err, want);
    ck_assert_contains(run.err, "crash.vdt:2:1); this is a bug in the plugin\n");
    /* The signal then took its course. (A sanitizer runtime, handed the signal on, reports
     * and exits non-zero instead.) */
    if (WIFSIGNALED(run.status))
        ck_assert_int_eq(WTERMSIG(run.status), c->signal);
    else
        ck_assert(WIFEXITED(run.status) && WEXITSTATUS(run.status) != 0);
    g_free(want);
    run_free(&run);
    g_free(text);
}
END_TEST

/* Outside lifecycle calls the core leaves the signals alone: a crash in a region handler is an
 * ordinary crash, not blamed on create(). */
START_TEST(handler_is_only_active_during_lifecycle_calls)
{
    char *text = g_strdup_printf("plugin %s\n"
                                 "device test-crash boom in=never\n"
                                 "start\n",
                                 test_plugin("crash.so"));
    struct run run = run_script("quiet.vdt", text, NULL);
    ck_assert_msg(exit_code(&run) == 0, "%s", run.err);
    ck_assert(strstr(run.err, "fatal") == NULL);
    run_free(&run);
    g_free(text);

    struct sigaction now;
    struct vmb_devtest *test = vmb_devtest_new();
    const char *settings[] = {"in=never", NULL};
    ck_assert_int_eq(vmb_devtest_load_plugin(test, test_plugin("crash.so")), 0);
    ck_assert_int_eq(vmb_devtest_add_device(test, "test-crash", "boom", settings), 0);
    struct sigaction before;
    sigaction(SIGSEGV, NULL, &before);
    ck_assert_int_eq(vmb_devtest_start(test), 0);
    sigaction(SIGSEGV, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)before.sa_handler);
    vmb_devtest_free(test);
}
END_TEST

/* `vmboard run` reports the crash the same way (its devices are created by the same code),
 * when this host has KVM to get that far. */
START_TEST(vmboard_run_reports_the_crash)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return; /* the harness cases above cover the report itself */
    close(fd);

    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-devtest-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    char *kernel = g_build_filename(dir, "kernel.bin", NULL);
    ck_assert(g_file_set_contents(kernel, "\xf4", 1, NULL));
    char *board = g_build_filename(dir, "crash.yaml", NULL);
    ck_assert(g_file_set_contents(board,
                                  "name: crash\narch: x86_64\nmemory: 16M\n"
                                  "boot:\n  kernel: kernel.bin\n  format: flat\n  mode: real\n"
                                  "  load-address: 0x10000\n"
                                  "devices:\n"
                                  "  - type: test-crash\n"
                                  "    id: boom\n",
                                  -1, NULL));
    /* A plugin directory holding only crash.so (the test plugin directory also holds
     * abi-major0.so, which the search would refuse first). */
    char *own = g_build_filename(dir, "plugins", NULL);
    ck_assert_int_eq(g_mkdir(own, 0755), 0);
    char *link = g_build_filename(own, "crash.so", NULL);
    ck_assert_int_eq(symlink(test_plugin("crash.so"), link), 0);
    char *argv[] = {(char *)g_getenv("VMBOARD"), "run", "--plugin-path", own, board, NULL};
    char *err = NULL;
    int status;
    ck_assert(g_spawn_sync(dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                           &status, NULL));
    ck_assert_contains(err, "vmboard: fatal: SIGSEGV (invalid memory access) in create() of "
                            "device type 'test-crash' from plugin ");
    ck_assert_contains(err, "crash.yaml:10:5); this is a bug in the plugin");
    ck_assert(!WIFEXITED(status) || WEXITSTATUS(status) != 0);
    g_free(err);
    unlink(link);
    g_rmdir(own);
    unlink(board);
    unlink(kernel);
    g_rmdir(dir);
    g_free(link);
    g_free(own);
    g_free(board);
    g_free(kernel);
    g_free(dir);
}
END_TEST

static Suite *devtest_suite(void)
{
    Suite *suite = suite_create("devtest");

    TCase *api = tcase_create("api");
    tcase_add_test(api, core_names_stay_private);
    tcase_add_test(api, timers_fire_in_deadline_order_on_the_virtual_clock);
    tcase_add_test(api, cancelled_timer_does_not_fire);
    tcase_add_test(api, console_input_waits_for_the_device);
    tcase_add_test(api, console_output_is_captured);
    tcase_add_test(api, none_console_is_refused_with_a_reason);
    tcase_add_test(api, exit_and_reset_requests_are_recorded);
    tcase_add_test(api, guest_memory_and_unclaimed_addresses);
    tcase_add_test(api, validation_errors_come_before_any_device);
    tcase_add_test(api, board_file_devices);
    suite_add_tcase(suite, api);

    TCase *compat = tcase_create("compatibility");
    tcase_add_test(compat, plugin_for_abi_0_is_refused_with_the_documented_message);
    tcase_add_test(compat, vmboard_plugins_names_the_old_plugin);
    tcase_add_test(compat, older_struct_layouts_are_honoured);
    tcase_add_loop_test(compat, crash_in_lifecycle_names_the_plugin, 0, G_N_ELEMENTS(crash_cases));
    tcase_add_test(compat, handler_is_only_active_during_lifecycle_calls);
    tcase_add_test(compat, vmboard_run_reports_the_crash);
    suite_add_tcase(suite, compat);

    TCase *scripts = tcase_create("scripts");
    tcase_add_test(scripts, passing_script_exits_0);
    tcase_add_test(scripts, failure_names_line_with_expected_and_actual);
    tcase_add_test(scripts, board_errors_point_at_the_script_line);
    tcase_add_test(scripts, script_errors_exit_2);
    tcase_add_test(scripts, script_dir_variable_and_relative_plugin);
    suite_add_tcase(suite, scripts);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(devtest_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
