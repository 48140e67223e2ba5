/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk under real KVM: the tiny long-mode driver tests/guests/virtio-blk.S writes 200
 * sectors polling the used ring, then reads 100 back sleeping in HLT until the interrupt
 * (its timer ends a sleep too, but a read goes on only after an interrupt from the device).
 * Run with the fast paths on, then off, this checks what --stats says about exits: with them,
 * no request and no interrupt costs a userspace exit (notifications and InterruptACK go to
 * ioeventfds, InterruptStatus is read from the read shadow); only the driver's set-up
 * exits. Without the ioeventfds every notification exits, without the shadow every
 * InterruptStatus read. With the resampling irqfd, every read still gets its interrupt.
 *
 * Without /dev/kvm the suite is skipped (77); tests/kvm-nested.sh then runs it in the nested
 * x86 VM, where a real KVM is.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STATUS_PASS 33
#define WRITES      200
#define READS       100
#define SECTOR      512

struct run {
    char *dir;
    int status;
    char *console;                    /* what the guest printed */
    char *err;                        /* vmboard's stderr: --stats and -v messages */
    uint64_t mmio_reads, mmio_writes; /* disk0's register accesses: userspace exits */
};

static char *guest_image(void)
{
    const char *builddir = g_getenv("VMB_TEST_BUILDDIR");
    ck_assert_msg(builddir != NULL, "VMB_TEST_BUILDDIR is not set");
    char *path = g_strdup_printf("%s/guests/virtio-blk.bin", builddir);
    ck_assert_msg(g_file_test(path, G_FILE_TEST_EXISTS), "%s is missing (make check builds it)",
                  path);
    return path;
}

/* disk0's "reads writes" from the --stats device table. */
static bool parse_stats(const char *err, uint64_t *reads, uint64_t *writes)
{
    g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
    for (char **line = lines; *line; line++) {
        if (!g_str_has_prefix(*line, "disk0 ("))
            continue;
        g_auto(GStrv) fields = g_strsplit_set(*line, " ", -1);
        GPtrArray *words = g_ptr_array_new();
        for (char **f = fields; *f; f++)
            if (**f)
                g_ptr_array_add(words, *f);
        bool ok = words->len >= 2;
        if (ok) {
            *reads = g_ascii_strtoull(words->pdata[words->len - 2], NULL, 10);
            *writes = g_ascii_strtoull(words->pdata[words->len - 1], NULL, 10);
        }
        g_ptr_array_unref(words);
        return ok;
    }
    return false;
}

static void run_guest(struct run *r, const char *fast_paths)
{
    GError *error = NULL;
    r->dir = g_dir_make_tmp("vmb-virtio-kvm-XXXXXX", &error);
    ck_assert_msg(r->dir, "%s", error ? error->message : "");
    char *image = g_build_filename(r->dir, "disk.img", NULL);
    char *console = g_build_filename(r->dir, "console.out", NULL);
    char *board = g_build_filename(r->dir, "board.yaml", NULL);
    char *kernel = guest_image();
    int fd = g_open(image, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);

    char *text = g_strdup_printf(
        "name: virtio-kvm\n"
        "arch: x86_64\n"
        "cpus: 1\n"
        "memory: 32M\n"
        "boot: {kernel: %s, format: flat, mode: long, load-address: 0x100000, "
        "entry: 0x100000}\n"
        "devices:\n"
        "  - {type: uart-16550, id: uart0, pio: 0x3f8, irq: 4, console: 'file:%s'}\n"
        "  - {type: debug-exit, id: exit, pio: 0xf4}\n"
        "  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, image: %s%s}\n",
        kernel, console, image, fast_paths);
    ck_assert(g_file_set_contents(board, text, -1, NULL));

    const char *vmboard = g_getenv("VMBOARD");
    ck_assert_msg(vmboard, "VMBOARD is not set (run through `make check`)");
    char *argv[] = {(char *)vmboard, "run", "-v", "--stats", board, NULL};
    int wait_status = 0;
    char *out = NULL;
    ck_assert_msg(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &out,
                               &r->err, &wait_status, &error),
                  "%s", error ? error->message : "");
    r->status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    gsize len;
    if (!g_file_get_contents(console, &r->console, &len, NULL))
        r->console = g_strdup("");
    ck_assert_msg(r->status == STATUS_PASS, "vmboard ended with %d; console:\n%s\nstderr:\n%s",
                  r->status, r->console, r->err);
    ck_assert_msg(parse_stats(r->err, &r->mmio_reads, &r->mmio_writes),
                  "--stats has no disk0 line:\n%s", r->err);

    /* What the guest wrote is on the image: sector s holds the last i < 200 with i%64 == s. */
    char *data;
    ck_assert(g_file_get_contents(image, &data, &len, NULL));
    ck_assert_uint_eq(len, 1 << 20);
    for (uint64_t s = 0; s < 64; s++) {
        uint64_t value;
        memcpy(&value, data + s * SECTOR, 8);
        uint64_t expect =
            s < WRITES % 64 ? WRITES - WRITES % 64 + s : WRITES - WRITES % 64 - 64 + s;
        ck_assert_msg(value == expect, "sector %lu holds %lu, want %lu", (unsigned long)s,
                      (unsigned long)value, (unsigned long)expect);
    }
    g_free(data);
    g_free(out);
    g_free(text);
    g_free(kernel);
    g_free(board);
    g_free(console);
    g_free(image);
}

static void run_clear(struct run *r)
{
    const char *names[] = {"disk.img", "console.out", "board.yaml"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *path = g_build_filename(r->dir, names[i], NULL);
        g_remove(path);
        g_free(path);
    }
    g_rmdir(r->dir);
    g_free(r->dir);
    g_free(r->console);
    g_free(r->err);
}

/* The guest's interrupt count, after checking its report: every read done, each after an
 * interrupt of its own (so at least one a read), and the interrupt path used: some reads
 * slept in HLT, and each sleep was ended by the device's interrupt or the guest's timer. */
static uint64_t interrupts_seen(const struct run *r)
{
    unsigned long writes = 0, reads = 0, interrupts = 0, sleeps = 0, ticks = 0;
    ck_assert_msg(sscanf(r->console,
                         "virtio-blk: %lu writes, %lu reads, %lu interrupts, %lu sleeps, %lu ticks",
                         &writes, &reads, &interrupts, &sleeps, &ticks) == 5,
                  "unexpected guest output: %s", r->console);
    ck_assert_uint_eq(writes, WRITES);
    ck_assert_uint_eq(reads, READS);
    ck_assert_msg(sleeps > 0, "no read waited for its interrupt: %s", r->console);
    ck_assert_msg(interrupts >= READS && interrupts <= 2 * READS, "%s", r->console);
    ck_assert_msg(sleeps <= interrupts + ticks, "a sleep ended without an interrupt: %s",
                  r->console);
    return interrupts;
}

START_TEST(kvm_fast_paths_no_exits_per_request)
{
    struct run r;
    run_guest(&r, "");
    interrupts_seen(&r);
    /* 300 requests and 100 interrupts, and not one register access exited to vmboard for
     * them: notifications and InterruptACK went to ioeventfds, InterruptStatus was read
     * from the read shadow. What is left is the driver's set-up (18 writes). */
    ck_assert_msg(r.mmio_reads == 0, "%lu register reads exited:\n%s", (unsigned long)r.mmio_reads,
                  r.err);
    ck_assert_msg(r.mmio_writes < 30, "%lu register writes exited:\n%s",
                  (unsigned long)r.mmio_writes, r.err);
    ck_assert_msg(strstr(r.err, "(0 by a register write that exited to vmboard)"),
                  "notifications exited:\n%s", r.err);
    ck_assert_msg(strstr(r.err, "InterruptACK by ioeventfd); registers read from a shadow page"),
                  "-v does not report the fast paths:\n%s", r.err);
    /* Where the queue was left: every request taken was used, every interrupt acknowledged. */
    ck_assert_msg(strstr(r.err, "disk0: at exit, queue 0: 300 taken, 300 used"), "%s", r.err);
    ck_assert_msg(!strstr(r.err, "not acknowledged"), "%s", r.err);
    run_clear(&r);
}
END_TEST

/* Without the read shadow each interrupt's InterruptStatus read exits; the rest does not. */
START_TEST(kvm_without_read_shadow_status_reads_exit)
{
    struct run r;
    run_guest(&r, ", read-shadow: false");
    uint64_t interrupts = interrupts_seen(&r);
    ck_assert_msg(r.mmio_reads >= interrupts, "%lu register reads for %lu interrupts:\n%s",
                  (unsigned long)r.mmio_reads, (unsigned long)interrupts, r.err);
    ck_assert_msg(r.mmio_writes < 30, "%lu register writes exited:\n%s",
                  (unsigned long)r.mmio_writes, r.err);
    ck_assert(strstr(r.err, "registers read by exits"));
    run_clear(&r);
}
END_TEST

START_TEST(kvm_without_fast_paths_every_notify_exits)
{
    struct run r;
    run_guest(&r, ", ioeventfd: false, irqfd: false");
    uint64_t interrupts = interrupts_seen(&r);
    ck_assert_msg(r.mmio_writes >= WRITES + READS + interrupts, "%lu register writes:\n%s",
                  (unsigned long)r.mmio_writes, r.err);
    ck_assert_msg(strstr(r.err, "(300 by a register write that exited to vmboard)"),
                  "notifications did not exit:\n%s", r.err);
    run_clear(&r);
}
END_TEST

START_TEST(kvm_irq_line_without_irqfd)
{
    struct run r;
    run_guest(&r, ", irqfd: false");
    interrupts_seen(&r);
    ck_assert(strstr(r.err, "(0 by a register write that exited to vmboard)"));
    run_clear(&r);
}
END_TEST

int main(void)
{
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        printf("virtio-kvm: /dev/kvm is not available: skipped here; tests/kvm-nested.sh runs "
               "this program in the nested x86 VM\n");
        return 77;
    }
    Suite *s = suite_create("virtio-kvm");
    TCase *tc = tcase_create("blk");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kvm_fast_paths_no_exits_per_request);
    tcase_add_test(tc, kvm_without_read_shadow_status_reads_exit);
    tcase_add_test(tc, kvm_without_fast_paths_every_notify_exits);
    tcase_add_test(tc, kvm_irq_line_without_irqfd);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
