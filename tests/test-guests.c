/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real KVM guests: each case runs `vmboard run BOARD --kernel GUEST ...` as a child process
 * with pipes for stdin, stdout and stderr, and checks the exact bytes the guest printed
 * through the UART and the exit status vmboard ended with.
 *
 * Boards live in the source tree (tests/boards/guests), guests in the build tree
 * (tests/guests, built by `make check`), so every run passes --kernel explicitly.
 * Without /dev/kvm the suite is skipped (77); tests/kvm-nested.sh then runs it in the nested
 * x86 VM, where a real KVM is.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_TIMEOUT_SECONDS 60
#define STATUS_PASS         33 /* the guests' debug-exit value 0x10 */
#define STATUS_FAIL         35 /* 0x11 */

struct run_result {
    int status;     /* exit status, or 128 + signal */
    bool timed_out; /* killed after RUN_TIMEOUT_SECONDS */
    GString *out;
    GString *err;
};

static const char *vmboard_path(void)
{
    const char *path = g_getenv("VMBOARD");
    ck_assert_msg(path && *path, "VMBOARD is not set (run through `make check`)");
    return path;
}

/* $VMB_TEST_SRCDIR/boards/guests/NAME.yaml */
static char *board_path(const char *name)
{
    const char *srcdir = g_getenv("VMB_TEST_SRCDIR");
    ck_assert_msg(srcdir != NULL, "VMB_TEST_SRCDIR is not set");
    return g_strdup_printf("%s/boards/guests/%s.yaml", srcdir, name);
}

/* $VMB_TEST_BUILDDIR/guests/FILE */
static char *guest_path(const char *file)
{
    const char *builddir = g_getenv("VMB_TEST_BUILDDIR");
    ck_assert_msg(builddir != NULL, "VMB_TEST_BUILDDIR is not set");
    char *path = g_strdup_printf("%s/guests/%s", builddir, file);
    ck_assert_msg(g_file_test(path, G_FILE_TEST_EXISTS), "guest %s was not built", path);
    return path;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    ck_assert_int_ge(flags, 0);
    ck_assert_int_eq(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

/* Read what is there; false on end of file. */
static bool drain(int fd, GString *into)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            g_string_append_len(into, buf, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        return false;
    }
}

/*
 * Run vmboard with argv (NULL-terminated, after the program name), feeding `input` on stdin.
 * Stdin stays open until vmboard exits, as a terminal would, so end of input never ends a run.
 * With signal_after set, vmboard gets signal `signo` once its output contains that text. With
 * merge, its stderr goes to the stdout pipe too (result->out), in the order it wrote them.
 */
static void run_argv_full(struct run_result *result, const char *input, const char *const *args,
                          const char *signal_after, int signo, bool merge)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)vmboard_path());
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (char *)*a);
    g_ptr_array_add(argv, NULL);

    int in[2], out[2], err[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(merge ? out[1] : err[1], STDERR_FILENO);
        execv(argv->pdata[0], (char **)argv->pdata);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", (char *)argv->pdata[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    g_ptr_array_free(argv, TRUE);

    /* Input is short (well below a pipe's capacity), so this never blocks. */
    signal(SIGPIPE, SIG_IGN);
    if (input && *input)
        ck_assert_int_eq(write(in[1], input, strlen(input)), (ssize_t)strlen(input));

    set_nonblocking(out[0]);
    set_nonblocking(err[0]);
    result->out = g_string_new(NULL);
    result->err = g_string_new(NULL);
    result->timed_out = false;

    double deadline = now_seconds() + RUN_TIMEOUT_SECONDS;
    bool out_open = true, err_open = true, signalled = false;
    while (out_open || err_open) {
        double left = deadline - now_seconds();
        if (left <= 0) {
            result->timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd fds[2] = {
            {.fd = out_open ? out[0] : -1, .events = POLLIN},
            {.fd = err_open ? err[0] : -1, .events = POLLIN},
        };
        int ready = poll(fds, 2, (int)(left * 1000) + 1);
        if (ready < 0 && errno == EINTR)
            continue;
        ck_assert_int_ge(ready, 0);
        if (out_open && fds[0].revents)
            out_open = drain(out[0], result->out);
        if (err_open && fds[1].revents)
            err_open = drain(err[0], result->err);
        if (signal_after && !signalled && strstr(result->out->str, signal_after)) {
            kill(pid, signo);
            signalled = true;
        }
    }

    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    drain(out[0], result->out);
    drain(err[0], result->err);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    result->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

static void run_argv(struct run_result *result, const char *input, const char *const *args)
{
    run_argv_full(result, input, args, NULL, 0, false);
}

static void result_clear(struct run_result *result)
{
    g_string_free(result->out, TRUE);
    g_string_free(result->err, TRUE);
}

/* `vmboard run BOARD --kernel GUEST [extra...]`, with run_argv_full's signal and merge. */
static void run_guest_full(struct run_result *result, const char *board, const char *guest,
                           const char *input, const char *const *extra, const char *signal_after,
                           int signo, bool merge)
{
    g_autofree char *board_file = board_path(board);
    g_autofree char *kernel = guest_path(guest);
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, "run");
    g_ptr_array_add(args, board_file);
    g_ptr_array_add(args, "--kernel");
    g_ptr_array_add(args, kernel);
    for (const char *const *e = extra; e && *e; e++)
        g_ptr_array_add(args, (char *)*e);
    g_ptr_array_add(args, NULL);
    run_argv_full(result, input, (const char *const *)args->pdata, signal_after, signo, merge);
    g_ptr_array_free(args, TRUE);
}

static void run_guest(struct run_result *result, const char *board, const char *guest,
                      const char *input, const char *const *extra)
{
    run_guest_full(result, board, guest, input, extra, NULL, 0, false);
}

/* Fail with everything vmboard said, so a broken run explains itself. */
#define ck_assert_run(result, expected_status, expected_out)                                       \
    do {                                                                                           \
        ck_assert_msg(!(result)->timed_out, "vmboard timed out; stdout:\n%s\nstderr:\n%s",         \
                      (result)->out->str, (result)->err->str);                                     \
        ck_assert_msg((result)->status == (expected_status) &&                                     \
                          strcmp((result)->out->str, (expected_out)) == 0,                         \
                      "vmboard exited with %d (want %d)\nstdout:\n%s\nwant stdout:\n%s\n"          \
                      "stderr:\n%s",                                                               \
                      (result)->status, (expected_status), (result)->out->str, (expected_out),     \
                      (result)->err->str);                                                         \
    } while (0)

/* ---- single-vCPU guests -------------------------------------------------------------- */

START_TEST(test_hello_real)
{
    struct run_result r;
    run_guest(&r, "real", "hello-real.bin", NULL, NULL);
    ck_assert_run(&r, STATUS_PASS, "Hello from real mode\n");
    result_clear(&r);
}
END_TEST

START_TEST(test_hello_long)
{
    struct run_result r;
    run_guest(&r, "long", "hello-long.bin", NULL, NULL);
    ck_assert_run(&r, STATUS_PASS, "Hello from long mode\n");
    result_clear(&r);
}
END_TEST

/* The shipped demo board, run on the freshly built guest. */
START_TEST(test_demo_board)
{
    const char *srcdir = g_getenv("VMB_TEST_SRCDIR");
    g_autofree char *board = g_strdup_printf("%s/../boards/x86_64-hello.yaml", srcdir);
    g_autofree char *kernel = guest_path("hello-long.bin");
    const char *args[] = {"run", board, "--kernel", kernel, NULL};
    struct run_result r;
    run_argv(&r, NULL, args);
    ck_assert_run(&r, STATUS_PASS, "Hello from long mode\nThis is vmboard board x86_64-hello\n");
    result_clear(&r);
}
END_TEST

START_TEST(test_string_io)
{
    struct run_result r;
    run_guest(&r, "real", "stringio.bin", NULL, NULL);
    ck_assert_run(&r, STATUS_PASS, "rep outsb ok\nrep ins: 24 of 24 bytes are 0xff\n");
    result_clear(&r);
}
END_TEST

START_TEST(test_unclaimed)
{
    struct run_result r;
    run_guest(&r, "long", "unclaimed.bin", NULL, NULL);
    ck_assert_run(&r, STATUS_PASS, "unclaimed ok\n");
    /* Logged as guest errors, once per address: a handful of lines, not one per access. */
    g_auto(GStrv) lines = g_strsplit(r.err->str, "\n", -1);
    ck_assert_msg(g_strv_length(lines) <= 20, "too much logged for unclaimed accesses:\n%s",
                  r.err->str);
    result_clear(&r);
}
END_TEST

/* ---- debug-exit status --------------------------------------------------------------- */

static const struct {
    const char *guest;
    int status;
} exit_cases[] = {
    {"exit-0.bin", 1},
    {"exit-1.bin", 3},
    {"exit-42.bin", 85},
    {"exit-127.bin", 255},
};

START_TEST(test_exit_status)
{
    struct run_result r;
    run_guest(&r, "real", exit_cases[_i].guest, NULL, NULL);
    ck_assert_run(&r, exit_cases[_i].status, "exit\n");
    result_clear(&r);
}
END_TEST

/* ---- fw-cfg -------------------------------------------------------------------------- */

START_TEST(test_fw_cfg_board)
{
    struct run_result r;
    run_guest(&r, "fwcfg", "fwcfg.bin", NULL, NULL);
    ck_assert_run(&r, STATUS_PASS,
                  "signature: QEMU\ncpus: 2\nram: 100663296\n"
                  "file: etc/vmboard/board-name size 10\n");
    result_clear(&r);
}
END_TEST

/* Command-line overrides reach the guest's view of the machine. */
START_TEST(test_fw_cfg_overrides)
{
    const char *extra[] = {"--cpus", "3", "--memory", "80M", NULL};
    struct run_result r;
    run_guest(&r, "fwcfg", "fwcfg.bin", NULL, extra);
    ck_assert_run(&r, STATUS_PASS,
                  "signature: QEMU\ncpus: 3\nram: 83886080\n"
                  "file: etc/vmboard/board-name size 10\n");
    result_clear(&r);
}
END_TEST

/* ---- SMP ----------------------------------------------------------------------------- */

/* Every CPU reports once, in any order, then the BSP sums up. */
static void check_smp(struct run_result *r, unsigned cpus)
{
    g_autofree char *last = g_strdup_printf("all %u cpus up", cpus);
    ck_assert_msg(!r->timed_out && r->status == STATUS_PASS,
                  "vmboard exited with %d; stdout:\n%s\nstderr:\n%s", r->status, r->out->str,
                  r->err->str);
    ck_assert_msg(g_str_has_suffix(r->out->str, "\n"), "unterminated output:\n%s", r->out->str);
    g_auto(GStrv) lines = g_strsplit(r->out->str, "\n", -1);
    ck_assert_msg(g_strv_length(lines) == cpus + 2, "want %u lines:\n%s", cpus + 1, r->out->str);
    for (unsigned id = 0; id < cpus; id++) {
        g_autofree char *line = g_strdup_printf("cpu %u up", id);
        ck_assert_msg(g_strv_contains((const char *const *)lines, line), "no \"%s\" in:\n%s", line,
                      r->out->str);
    }
    ck_assert_str_eq(lines[cpus], last);
    ck_assert_str_eq(lines[cpus + 1], "");
}

START_TEST(test_smp_four)
{
    struct run_result r;
    run_guest(&r, "smp", "smp.bin", NULL, NULL);
    check_smp(&r, 4);
    result_clear(&r);
}
END_TEST

START_TEST(test_smp_cpus_override)
{
    static const unsigned counts[] = {1, 2};
    for (unsigned i = 0; i < G_N_ELEMENTS(counts); i++) {
        g_autofree char *n = g_strdup_printf("%u", counts[i]);
        const char *extra[] = {"--cpus", n, NULL};
        struct run_result r;
        run_guest(&r, "smp", "smp.bin", NULL, extra);
        check_smp(&r, counts[i]);
        result_clear(&r);
    }
}
END_TEST

/* ---- multiboot ----------------------------------------------------------------------- */

/* What the multiboot guest prints for a 64 MiB board. */
static char *multiboot_expected(const char *kernel, const char *cmdline, const char *module,
                                const char *module_text)
{
    GString *s = g_string_new("flags: 0x0000024d\n");
    g_string_append_printf(s, "cmdline: %s%s%s\n", kernel, *cmdline ? " " : "", cmdline);
    g_string_append(s, "mem_lower: 639 KiB\nmem_upper: 64512 KiB\n"
                       "mmap: base 0x0000000000000000 length 0x000000000009fc00 type 1\n"
                       "mmap: base 0x000000000009fc00 length 0x0000000000060400 type 2\n"
                       "mmap: base 0x0000000000100000 length 0x0000000003f00000 type 1\n");
    if (module) {
        g_autofree char *shown = g_strndup(module_text, 16);
        g_string_append_printf(s, "mods_count: 1\nmodule: %s size %zu data \"%s\"\n", module,
                               strlen(module_text), shown);
    } else {
        g_string_append(s, "mods_count: 0\n");
    }
    g_string_append(s, "boot_loader_name: " PACKAGE_STRING "\nmultiboot ok\n");
    return g_string_free(s, FALSE);
}

static char *write_temp_file(const char *name, const void *data, size_t length)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vmboard-test-XXXXXX", &error);
    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    char *path = g_build_filename(dir, name, NULL);
    ck_assert_msg(g_file_set_contents(path, data, (gssize)length, &error), "%s",
                  error ? error->message : "");
    return path;
}

static void remove_temp_file(char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
}

static const char *const multiboot_kernels[] = {"multiboot.elf", "multiboot-aout.bin"};

START_TEST(test_multiboot_module)
{
    const char *text = "module bytes: 0123456789 and more";
    char *initrd = write_temp_file("initrd.img", text, strlen(text));
    g_autofree char *kernel = guest_path(multiboot_kernels[_i]);
    const char *extra[] = {"--append", "console=ttyS0 answer=42", "--initrd", initrd, NULL};
    struct run_result r;
    run_guest(&r, "multiboot", multiboot_kernels[_i], NULL, extra);
    g_autofree char *want = multiboot_expected(kernel, "console=ttyS0 answer=42", initrd, text);
    ck_assert_run(&r, STATUS_PASS, want);
    result_clear(&r);
    remove_temp_file(initrd);
}
END_TEST

START_TEST(test_multiboot_plain)
{
    g_autofree char *kernel = guest_path(multiboot_kernels[_i]);
    struct run_result r;
    run_guest(&r, "multiboot", multiboot_kernels[_i], NULL, NULL);
    g_autofree char *want = multiboot_expected(kernel, "", NULL, NULL);
    ck_assert_run(&r, STATUS_PASS, want);
    result_clear(&r);
}
END_TEST

/* A damaged kernel is refused before anything runs, with an error naming the file. */
static void check_bad_kernel(const char *name, const void *data, size_t length, const char *message)
{
    char *kernel = write_temp_file(name, data, length);
    g_autofree char *board = board_path("multiboot");
    const char *args[] = {"run", board, "--kernel", kernel, NULL};
    struct run_result r;
    run_argv(&r, NULL, args);
    ck_assert_msg(!r.timed_out && r.status != 0 && r.status != STATUS_PASS, "status %d", r.status);
    ck_assert_msg(strstr(r.err->str, kernel) && strstr(r.err->str, message),
                  "want an error naming %s and saying \"%s\", got:\n%s", kernel, message,
                  r.err->str);
    ck_assert_str_eq(r.out->str, "");
    result_clear(&r);
    remove_temp_file(kernel);
}

static uint8_t *read_guest(const char *file, gsize *length)
{
    g_autofree char *path = guest_path(file);
    g_autoptr(GError) error = NULL;
    char *data;
    ck_assert_msg(g_file_get_contents(path, &data, length, &error), "%s", error->message);
    return (uint8_t *)data;
}

/* Offsets in an ELF32 file header and program header. */
#define E_PHOFF  28
#define P_OFFSET 4
#define P_PADDR  12
#define P_FILESZ 16
#define P_MEMSZ  20

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

START_TEST(test_multiboot_hostile)
{
    gsize length;
    g_autofree uint8_t *elf = read_guest("multiboot.elf", &length);
    uint32_t phoff = get32(elf + E_PHOFF);
    g_autofree uint8_t *bad = g_memdup2(elf, length);

    /* Not multiboot at all. */
    static const uint8_t zeros[4096];
    check_bad_kernel("zeros.elf", zeros, sizeof(zeros), "no multiboot header");

    /* A segment outside RAM (the board has 64 MiB). */
    put32(bad + phoff + P_PADDR, 0xf0000000);
    check_bad_kernel("high.elf", bad, length, "not in guest RAM");

    /* A segment ending beyond 4 GiB: the sum wraps in 32 bits. */
    memcpy(bad, elf, length);
    put32(bad + phoff + P_PADDR, 0xfffff000);
    put32(bad + phoff + P_MEMSZ, 0x2000);
    check_bad_kernel("wrap.elf", bad, length, "not in guest RAM");

    /* File bytes beyond the end of the file, by size and by offset. */
    memcpy(bad, elf, length);
    put32(bad + phoff + P_FILESZ, 0xffffffff);
    put32(bad + phoff + P_MEMSZ, 0xffffffff);
    check_bad_kernel("filesz.elf", bad, length, "past the end of the file");
    memcpy(bad, elf, length);
    put32(bad + phoff + P_OFFSET, 0xfffffff0);
    check_bad_kernel("offset.elf", bad, length, "past the end of the file");

    /* More file bytes than memory bytes. */
    memcpy(bad, elf, length);
    put32(bad + phoff + P_MEMSZ, 1);
    check_bad_kernel("memsz.elf", bad, length, "more bytes in the file");

    /* A program header table beyond the end. */
    memcpy(bad, elf, length);
    put32(bad + E_PHOFF, 0xffffff00);
    check_bad_kernel("phoff.elf", bad, length, "truncated ELF headers");

    /* Truncated just after the multiboot header: the segment's bytes are missing. */
    uint32_t segment_offset = get32(elf + phoff + P_OFFSET);
    check_bad_kernel("short.elf", elf, segment_offset + 64, "past the end of the file");

    /* A requirement vmboard cannot meet (video mode, flag bit 2), checksum kept valid. */
    memcpy(bad, elf, length);
    uint8_t *header = bad + segment_offset;
    ck_assert_uint_eq(get32(header), 0x1badb002);
    put32(header + 4, get32(header + 4) | 4);
    put32(header + 8, get32(header + 8) - 4);
    check_bad_kernel("video.elf", bad, length, "video mode");
}
END_TEST

/* ---- interrupts, faults, statistics -------------------------------------------------- */

/* Console input arrives as UART receive interrupts; the guest echoes it upper-cased. */
START_TEST(test_echo)
{
    struct run_result r;
    run_guest(&r, "real", "echo.bin", "abc xyz!\nq", NULL);
    ck_assert_run(&r, STATUS_PASS, "echo> ABC XYZ!\n\nbye\n");
    result_clear(&r);
}
END_TEST

/* Stopped from outside, with -v, vmboard says where each vCPU was: what one wants to know
 * of a guest that hung. The echo guest halts waiting for input after its prompt. */
START_TEST(test_signal_shows_registers)
{
    struct run_result r;
    const char *extra[] = {"-v", NULL};
    run_guest_full(&r, "real", "echo.bin", NULL, extra, "echo> ", SIGTERM, false);
    ck_assert_msg(!r.timed_out, "timed out; stderr:\n%s", r.err->str);
    ck_assert_msg(r.status == 128 + SIGTERM, "status %d; stderr:\n%s", r.status, r.err->str);
    ck_assert_str_eq(r.out->str, "echo> ");
    ck_assert_msg(strstr(r.err->str, "received signal 15, stopping"), "%s", r.err->str);
    ck_assert_msg(strstr(r.err->str, "vCPU 0 when the run was stopped:"), "%s", r.err->str);
    ck_assert_msg(strstr(r.err->str, " rip=") && strstr(r.err->str, "(real mode)"), "%s",
                  r.err->str);
    result_clear(&r);
}
END_TEST

/* On a terminal vmboard's messages and the guest's console share the screen: the guest's last
 * output comes first, then what vmboard says about the end (the debug-exit device's message
 * and --stats), never in the middle of a line. */
START_TEST(test_console_output_before_exit_messages)
{
    struct run_result r;
    const char *extra[] = {"-v", "--stats", NULL};
    run_guest_full(&r, "long", "hello-long.bin", NULL, extra, NULL, 0, true);
    ck_assert_msg(r.status == STATUS_PASS, "status %d; output:\n%s", r.status, r.out->str);
    const char *guest = strstr(r.out->str, "Hello from long mode\n");
    const char *exit_message =
        strstr(r.out->str, "vmboard: exit: guest wrote 0x10: exit status 33");
    const char *stats = strstr(r.out->str, "KVM exits");
    ck_assert_msg(guest && exit_message && stats, "%s", r.out->str);
    ck_assert_msg(guest < exit_message && exit_message < stats, "%s", r.out->str);
    ck_assert_msg(exit_message == r.out->str || exit_message[-1] == '\n', "%s", r.out->str);
    result_clear(&r);
}
END_TEST

START_TEST(test_triple_fault)
{
    struct run_result r;
    run_guest(&r, "long", "triple-fault.bin", NULL, NULL);
    ck_assert_msg(!r.timed_out, "timed out; stderr:\n%s", r.err->str);
    ck_assert_str_eq(r.out->str, "about to triple fault\n");
    ck_assert_msg(r.status != 0 && r.status != STATUS_PASS && r.status != STATUS_FAIL, "status %d",
                  r.status);
    g_autofree char *err = g_ascii_strdown(r.err->str, -1);
    ck_assert_msg(strstr(err, "triple fault") || strstr(err, "shutdown"),
                  "no mention of the triple fault in:\n%s", r.err->str);
    result_clear(&r);
}
END_TEST

/* The fields of the first line of `text` whose first field is `name`, or NULL. */
static char **stats_line(const char *text, const char *name)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++) {
        char **fields = g_regex_split_simple("\\s+", g_strstrip(*line), 0, 0);
        if (fields[0] && strcmp(fields[0], name) == 0)
            return fields;
        g_strfreev(fields);
    }
    return NULL;
}

/*
 * The hello guest makes exactly 43 port accesses: per character one LSR read (THRE is set at
 * once) and one THR write, 21 characters, then the debug-exit write. --stats must count them.
 */
START_TEST(test_stats)
{
    const char *extra[] = {"--stats", NULL};
    struct run_result r;
    run_guest(&r, "real", "hello-real.bin", NULL, extra);
    ck_assert_run(&r, STATUS_PASS, "Hello from real mode\n");

    g_auto(GStrv) io = stats_line(r.err->str, "IO");
    ck_assert_msg(io && io[1], "--stats names no IO exits:\n%s", r.err->str);
    ck_assert_str_eq(io[1], "43");
    g_auto(GStrv) uart = stats_line(r.err->str, "uart0");
    ck_assert_msg(uart, "--stats does not name uart0:\n%s", r.err->str);
    guint n = g_strv_length(uart);
    ck_assert_msg(n >= 2 && strcmp(uart[n - 2], "21") == 0 && strcmp(uart[n - 1], "21") == 0,
                  "want 21 reads and 21 writes for uart0:\n%s", r.err->str);
    result_clear(&r);
}
END_TEST

static Suite *guests_suite(void)
{
    Suite *s = suite_create("guests");
    TCase *tc = tcase_create("single");
    tcase_set_timeout(tc, RUN_TIMEOUT_SECONDS + 30);
    tcase_add_test(tc, test_hello_real);
    tcase_add_test(tc, test_hello_long);
    tcase_add_test(tc, test_demo_board);
    tcase_add_test(tc, test_string_io);
    tcase_add_test(tc, test_unclaimed);
    tcase_add_loop_test(tc, test_exit_status, 0, G_N_ELEMENTS(exit_cases));
    tcase_add_test(tc, test_fw_cfg_board);
    tcase_add_test(tc, test_fw_cfg_overrides);
    tcase_add_test(tc, test_echo);
    tcase_add_test(tc, test_signal_shows_registers);
    tcase_add_test(tc, test_console_output_before_exit_messages);
    tcase_add_test(tc, test_triple_fault);
    tcase_add_test(tc, test_stats);
    suite_add_tcase(s, tc);

    tc = tcase_create("multiboot");
    tcase_set_timeout(tc, 10 * RUN_TIMEOUT_SECONDS);
    tcase_add_loop_test(tc, test_multiboot_module, 0, G_N_ELEMENTS(multiboot_kernels));
    tcase_add_loop_test(tc, test_multiboot_plain, 0, G_N_ELEMENTS(multiboot_kernels));
    tcase_add_test(tc, test_multiboot_hostile);
    suite_add_tcase(s, tc);

    tc = tcase_create("smp");
    tcase_set_timeout(tc, 3 * RUN_TIMEOUT_SECONDS);
    tcase_add_test(tc, test_smp_four);
    tcase_add_test(tc, test_smp_cpus_override);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        fprintf(stderr,
                "test-guests: /dev/kvm is not usable (%s): skipped here; tests/kvm-nested.sh "
                "runs this program in the nested x86 VM\n",
                strerror(errno));
        return 77;
    }
    SRunner *runner = srunner_create(guests_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
