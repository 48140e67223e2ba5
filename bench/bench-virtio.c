/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk userspace exits per request, from `vmboard run --stats` (printed, never judged).
 *
 * The guest is tests/guests/virtio-blk.S on real KVM: 200 writes polling the used ring, then
 * 100 reads each woken by the interrupt. It runs with the fast paths on (ioeventfds for
 * QueueNotify and InterruptACK, resampling irqfd for the interrupt, the read shadow for the
 * registers), without the read shadow, with the interrupt through KVM_IRQ_LINE instead (so
 * InterruptACK exits too), and with all of them off. For each: wall time of the whole run,
 * the userspace exits the virtio-blk window cost (its register reads and writes in --stats)
 * per request, and the notifications that exited.
 *
 * This tiny guest runs in emulated kernel mode on nested KVM hosts (~250 ns per instruction),
 * so wall time says little there; the exit counts are the figure. Throughput with a Linux
 * guest is bench/virtio-linux.sh (see docs/devices.md).
 *
 * Usage: bench-virtio   (VMBOARD=path overrides ./vmboard; VMB_GUEST=path the guest image,
 *                        default tests/guests/virtio-blk.bin, built by `make check`)
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS        3
#define POLLED      200 /* the guest's WRITES */
#define INTERRUPTED 100 /* the guest's READS */
#define STATUS_PASS 33

struct mode {
    const char *name;
    const char *properties;
};

static const struct mode modes[] = {
    {"all fast paths (default)", ""},
    {"no read shadow", ", read-shadow: false"},
    {"ioeventfd + KVM_IRQ_LINE", ", irqfd: false"},
    {"no fast paths", ", ioeventfd: false, irqfd: false, read-shadow: false"},
};

struct sample {
    double wall_ms;
    uint64_t reads, writes; /* disk0's register accesses: each one a userspace exit */
    uint64_t notify_exits;  /* notifications that reached vmboard as a register write */
    uint64_t interrupts;    /* what the guest counted */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool disk0_counts(const char *err, uint64_t *reads, uint64_t *writes)
{
    g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
    for (char **line = lines; *line; line++) {
        if (!g_str_has_prefix(*line, "disk0 ("))
            continue;
        g_auto(GStrv) words = g_strsplit_set(*line, " ", -1);
        const char *last[2] = {NULL, NULL};
        for (char **w = words; *w; w++)
            if (**w) {
                last[0] = last[1];
                last[1] = *w;
            }
        if (!last[0])
            return false;
        *reads = g_ascii_strtoull(last[0], NULL, 10);
        *writes = g_ascii_strtoull(last[1], NULL, 10);
        return true;
    }
    return false;
}

static bool run_once(const char *vmboard, const char *guest, const struct mode *mode,
                     struct sample *out)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-bench-virtio-XXXXXX", &error);
    if (!dir) {
        fprintf(stderr, "bench-virtio: %s\n", error->message);
        return false;
    }
    char *image = g_build_filename(dir, "disk.img", NULL);
    char *console = g_build_filename(dir, "console.out", NULL);
    char *board = g_build_filename(dir, "board.yaml", NULL);
    char *zeroes = g_malloc0(1 << 20);
    g_file_set_contents(image, zeroes, 1 << 20, NULL);
    g_free(zeroes);
    char *text = g_strdup_printf(
        "name: bench-virtio\narch: x86_64\ncpus: 1\nmemory: 32M\n"
        "boot: {kernel: %s, format: flat, mode: long, load-address: 0x100000, entry: 0x100000}\n"
        "devices:\n"
        "  - {type: uart-16550, id: uart0, pio: 0x3f8, irq: 4, console: 'file:%s'}\n"
        "  - {type: debug-exit, id: exit, pio: 0xf4}\n"
        "  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, image: %s%s}\n",
        guest, console, image, mode->properties);
    g_file_set_contents(board, text, -1, NULL);

    char *argv[] = {(char *)vmboard, "run", "-v", "--stats", board, NULL};
    char *err = NULL, *printed = NULL;
    int wait_status = 0;
    double start = now_ms();
    bool ok =
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &wait_status, &error);
    out->wall_ms = now_ms() - start;
    if (!ok) {
        fprintf(stderr, "bench-virtio: %s\n", error->message);
    } else if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != STATUS_PASS) {
        fprintf(stderr, "bench-virtio: vmboard ended with status %d:\n%s\n",
                WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1, err);
        ok = false;
    } else if (!disk0_counts(err, &out->reads, &out->writes)) {
        fprintf(stderr, "bench-virtio: no disk0 line in --stats:\n%s\n", err);
        ok = false;
    }
    if (ok) {
        const char *exits = strstr(err, " notifications (");
        out->notify_exits =
            exits ? g_ascii_strtoull(exits + strlen(" notifications ("), NULL, 10) : 0;
        gsize len;
        unsigned long interrupts = 0;
        if (g_file_get_contents(console, &printed, &len, NULL))
            sscanf(printed, "virtio-blk: %*u writes, %*u reads, %lu interrupts", &interrupts);
        out->interrupts = interrupts;
    }
    g_free(printed);
    g_free(err);
    g_remove(image);
    g_remove(console);
    g_remove(board);
    g_rmdir(dir);
    g_free(text);
    g_free(board);
    g_free(console);
    g_free(image);
    g_free(dir);
    return ok;
}

int main(void)
{
    const char *vmboard = g_getenv("VMBOARD") ? g_getenv("VMBOARD") : "./vmboard";
    const char *guest_env = g_getenv("VMB_GUEST");
    char *guest = guest_env ? g_strdup(guest_env)
                            : g_canonicalize_filename("tests/guests/virtio-blk.bin", NULL);

    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        printf("bench-virtio: no /dev/kvm here; nothing to measure\n");
        return 0;
    }
    if (!g_file_test(guest, G_FILE_TEST_EXISTS)) {
        printf("bench-virtio: %s is missing: build it with `make tests/guests/virtio-blk.bin` "
               "(or make check)\n",
               guest);
        return 0;
    }

    printf("virtio-blk userspace exits per request: tiny KVM guest, %d polled writes then %d "
           "interrupt-driven reads, median of %d runs\n",
           POLLED, INTERRUPTED, RUNS);
    printf("%-30s %9s %12s %12s %14s %12s\n", "mode", "wall ms", "disk0 exits", "notify exits",
           "exits/request", "interrupts");
    for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
        struct sample samples[RUNS];
        for (int r = 0; r < RUNS; r++) {
            if (!run_once(vmboard, guest, &modes[m], &samples[r])) {
                g_free(guest);
                return 1;
            }
        }
        /* Median by wall time; the counts hardly vary. */
        for (int i = 0; i < RUNS; i++)
            for (int j = i + 1; j < RUNS; j++)
                if (samples[j].wall_ms < samples[i].wall_ms) {
                    struct sample t = samples[i];
                    samples[i] = samples[j];
                    samples[j] = t;
                }
        const struct sample *s = &samples[RUNS / 2];
        uint64_t exits = s->reads + s->writes;
        printf("%-30s %9.1f %12" PRIu64 " %12" PRIu64 " %14.2f %12" PRIu64 "\n", modes[m].name,
               s->wall_ms, exits, s->notify_exits, (double)exits / (POLLED + INTERRUPTED),
               s->interrupts);
    }
    printf("(disk0 exits include the driver's set-up: 18 writes, and its reads when they "
           "trap; per interrupt, the InterruptStatus read traps without the read shadow and "
           "the InterruptACK write without the irqfd and ioeventfds)\n");
    g_free(guest);
    return 0;
}
