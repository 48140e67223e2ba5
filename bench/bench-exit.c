/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Userspace exit cost and start-up figures (printed, never judged):
 *
 *  (b) ns per exit for a guest doing N writes that each exit to userspace, measured
 *      - in a bare KVM_RUN loop in this process (the baseline: the least any VMM can do), and
 *      - under `vmboard run`, to a null device (the 16550's scratch register) and to
 *        unclaimed addresses. vmboard's cost is the difference between a run with N exits
 *        and one with 1, so start-up and teardown cancel out.
 *      On x86_64 the guest is hand-assembled real-mode code doing port writes and MMIO
 *      writes; on arm64 (no port I/O) it is tests/guests/arm64/bench-exit.bin doing MMIO
 *      writes, with the count and address patched in.
 *  (c) start-to-exit wall time and peak RSS (wait4's ru_maxrss) of `vmboard run` on the
 *      minimal guest, next to the same guest's setup-to-exit time in the bare loop.
 *
 * Usage: bench-exit [N]   (default 20000; VMBOARD=path overrides ./vmboard; on arm64
 * VMB_BENCH_GUEST=path overrides ./tests/guests/arm64/bench-exit.bin)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__aarch64__)
#include "arch/arm64/regs.h"
#endif

#define EXIT_VALUE              0x10 /* vmboard status 33 */
#define RUNS                    3
#define START_RUNS              10
#define VMBOARD_TIMEOUT_SECONDS 120

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die_errno(const char *what)
{
    fprintf(stderr, "bench-exit: %s: %s\n", what, strerror(errno));
    exit(EXIT_FAILURE);
}

#if defined(__x86_64__)

#define HAVE_PORT_IO    true
#define GUEST_RAM_BASE  0
#define GUEST_RAM       (512 * 1024) /* everything from 0x80000 up is not RAM */
#define GUEST_LOAD      0x10000
#define DEBUG_EXIT_PORT 0xf4

/* Where the guest's writes go. */
struct target {
    const char *name;
    uint16_t port;
    uint16_t mmio_segment, mmio_offset; /* real-mode segment:offset */
};

static const struct target null_device = {"null device (16550 scratch register)", 0x3ff, 0xd000,
                                          0x0007};
static const struct target unclaimed = {"unclaimed addresses", 0x300, 0xe000, 0x0000};

static void put16(GByteArray *code, uint16_t v)
{
    uint8_t b[2] = {v & 0xff, v >> 8};
    g_byte_array_append(code, b, 2);
}

static void put32(GByteArray *code, uint32_t v)
{
    put16(code, v & 0xffff);
    put16(code, v >> 16);
}

static void put_bytes(GByteArray *code, const uint8_t *bytes, size_t n)
{
    g_byte_array_append(code, bytes, (guint)n);
}

/*
 * The guest, in 16-bit real mode and position independent (relative jumps, DS loaded):
 *     mov ax, SEG ; mov ds, ax ; mov ecx, PORTS ; mov dx, PORT
 *  1: out dx, al ; dec ecx ; jnz 1b
 *     mov ecx, MMIOS
 *  2: mov [OFF], al ; dec ecx ; jnz 2b
 *     mov al, 0x10 ; out 0xf4, al
 *  3: hlt ; jmp 3b
 * Counts must be at least 1.
 */
static GByteArray *build_guest(const struct target *t, uint32_t ports, uint32_t mmios)
{
    GByteArray *code = g_byte_array_new();
    static const uint8_t out_loop[] = {0xee, 0x66, 0x49, 0x75, 0xfb};
    static const uint8_t mmio_loop_tail[] = {0x66, 0x49, 0x75, 0xf9};
    static const uint8_t finish[] = {0xb0, EXIT_VALUE, 0xe6, DEBUG_EXIT_PORT, 0xf4, 0xeb, 0xfd};

    put_bytes(code, (const uint8_t[]){0xb8}, 1);
    put16(code, t->mmio_segment);
    put_bytes(code, (const uint8_t[]){0x8e, 0xd8, 0x66, 0xb9}, 4);
    put32(code, ports);
    put_bytes(code, (const uint8_t[]){0xba}, 1);
    put16(code, t->port);
    put_bytes(code, out_loop, sizeof(out_loop));
    put_bytes(code, (const uint8_t[]){0x66, 0xb9}, 2);
    put32(code, mmios);
    put_bytes(code, (const uint8_t[]){0xa2}, 1);
    put16(code, t->mmio_offset);
    put_bytes(code, mmio_loop_tail, sizeof(mmio_loop_tail));
    put_bytes(code, finish, sizeof(finish));
    return code;
}

/* Real mode at GUEST_LOAD: CS = GUEST_LOAD >> 4, IP = 0. */
static void setup_vcpu(int vm, int vcpu)
{
    (void)vm;
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die_errno("KVM_GET_SREGS");
    sregs.cs.selector = GUEST_LOAD >> 4;
    sregs.cs.base = GUEST_LOAD;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die_errno("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = 0, .rflags = 0x2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die_errno("KVM_SET_REGS");
}

static bool is_debug_exit(const struct kvm_run *run)
{
    return run->exit_reason == KVM_EXIT_IO && run->io.port == DEBUG_EXIT_PORT;
}

static char *board_text(const char *kernel)
{
    /* 512 KiB of RAM, a UART on ports and one on MMIO (both silent), and debug-exit. */
    return g_strdup_printf("name: bench-exit\n"
                           "arch: x86_64\n"
                           "cpus: 1\n"
                           "memory: 512K\n"
                           "boot:\n"
                           "  kernel: %s\n"
                           "  format: flat\n"
                           "  mode: real\n"
                           "  load-address: 0x%x\n"
                           "  entry: 0x%x\n"
                           "devices:\n"
                           "  - {type: uart-16550, id: uart-pio, pio: 0x3f8, console: none}\n"
                           "  - {type: uart-16550, id: uart-mmio, mmio: 0xd0000, console: none}\n"
                           "  - {type: debug-exit, id: exit, pio: 0x%x}\n",
                           kernel, GUEST_LOAD, GUEST_LOAD, DEBUG_EXIT_PORT);
}

#elif defined(__aarch64__)

#define HAVE_PORT_IO    false
/* arm64-virt's RAM starts at 1 GiB, and vmboard puts a flat image there. */
#define GUEST_RAM_BASE  0x40000000
#define GUEST_RAM       (2 * 1024 * 1024)
#define GUEST_LOAD      GUEST_RAM_BASE
#define DEBUG_EXIT_MMIO 0x09010000
#define UART_MMIO       0x09040000
#define GUEST_MAGIC     "VMBBENCH"
#define GUEST_MAGIC_AT  8
#define GUEST_COUNT_AT  16
#define GUEST_TARGET_AT 24
#define DEFAULT_GUEST   "tests/guests/arm64/bench-exit.bin"

/* Where the guest's writes go. */
struct target {
    const char *name;
    uint64_t mmio;
};

/* The 16550 has reg-shift 2: its scratch register (7) is the word at 7 << 2. */
static const struct target null_device = {"null device (16550 scratch register)",
                                          UART_MMIO + (7 << 2)};
static const struct target unclaimed = {"unclaimed addresses", 0x0a000000};

static GBytes *guest_image;

static const char *guest_path(void)
{
    const char *path = g_getenv("VMB_BENCH_GUEST");
    return path && *path ? path : DEFAULT_GUEST;
}

static void load_guest_image(void)
{
    g_autoptr(GError) error = NULL;
    gchar *data;
    gsize length;
    if (!g_file_get_contents(guest_path(), &data, &length, &error)) {
        fprintf(stderr, "bench-exit: %s (VMB_BENCH_GUEST names the arm64 guest)\n", error->message);
        exit(EXIT_FAILURE);
    }
    if (length < GUEST_TARGET_AT + 8 || length > GUEST_RAM ||
        memcmp(data + GUEST_MAGIC_AT, GUEST_MAGIC, strlen(GUEST_MAGIC)) != 0) {
        fprintf(stderr, "bench-exit: %s is not tests/guests/arm64/bench-exit.bin\n", guest_path());
        exit(EXIT_FAILURE);
    }
    guest_image = g_bytes_new_take(data, length);
}

static void put64_at(GByteArray *code, size_t offset, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        code->data[offset + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* A copy of tests/guests/arm64/bench-exit.bin doing `mmios` writes (at least 1) to t. arm64
 * has no port I/O: `ports` is unused. */
static GByteArray *build_guest(const struct target *t, uint32_t ports, uint32_t mmios)
{
    (void)ports;
    gsize length;
    const uint8_t *data = g_bytes_get_data(guest_image, &length);
    GByteArray *code = g_byte_array_sized_new((guint)length);
    g_byte_array_append(code, data, (guint)length);
    put64_at(code, GUEST_COUNT_AT, mmios);
    put64_at(code, GUEST_TARGET_AT, t->mmio);
    return code;
}

static void set_one_reg(int vcpu, uint64_t id, uint64_t value, const char *what)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)&value};
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0)
        die_errno(what);
}

/* What vmboard does for one vCPU: the preferred target with PSCI 0.2, then pc at the image
 * and x0 (the device tree pointer under vmboard; this guest ignores it). */
static void setup_vcpu(int vm, int vcpu)
{
    struct kvm_vcpu_init init;
    memset(&init, 0, sizeof(init));
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
        die_errno("KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
        die_errno("KVM_ARM_VCPU_INIT");
    set_one_reg(vcpu, arm64_reg_id_pc(), GUEST_LOAD, "KVM_SET_ONE_REG pc");
    set_one_reg(vcpu, arm64_reg_id_x(0), 0, "KVM_SET_ONE_REG x0");
}

static bool is_debug_exit(const struct kvm_run *run)
{
    return run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
           run->mmio.phys_addr == DEBUG_EXIT_MMIO;
}

static char *board_text(const char *kernel)
{
    /* tests/arm64/guest.yaml's layout with a silent 16550 on MMIO instead of the PL011. */
    return g_strdup_printf("name: bench-exit\n"
                           "arch: arm64\n"
                           "cpus: 1\n"
                           "memory: 64M\n"
                           "boot:\n"
                           "  kernel: %s\n"
                           "  format: flat\n"
                           "devices:\n"
                           "  - {type: gic, id: gic, mmio: 0x08000000}\n"
                           "  - {type: uart-16550, id: uart-mmio, mmio: 0x%x, reg-shift: 2, "
                           "console: none}\n"
                           "  - {type: debug-exit, id: exit, mmio: 0x%x}\n",
                           kernel, UART_MMIO, DEBUG_EXIT_MMIO);
}

#else
#error "bench-exit knows x86_64 and arm64 guests only"
#endif

/* ---- (a) the bare KVM_RUN loop ---------------------------------------------------------- */

struct bare_result {
    double setup_ns; /* open /dev/kvm .. first KVM_RUN */
    double run_ns;   /* first KVM_RUN .. the debug-exit write */
    uint64_t exits;
};

static void run_bare(const GByteArray *code, struct bare_result *result)
{
    double start = now_ns();
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die_errno("/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die_errno("KVM_CREATE_VM");
    uint8_t *ram =
        mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        die_errno("mmap guest RAM");
    memcpy(ram + (GUEST_LOAD - GUEST_RAM_BASE), code->data, code->len);
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = GUEST_RAM_BASE,
        .memory_size = GUEST_RAM,
        .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die_errno("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die_errno("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0)
        die_errno("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die_errno("mmap kvm_run");

    setup_vcpu(vm, vcpu);

    double running = now_ns();
    uint64_t exits = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            die_errno("KVM_RUN");
        }
        exits++;
        if (is_debug_exit(run))
            break;
        if (run->exit_reason == KVM_EXIT_IO || run->exit_reason == KVM_EXIT_MMIO)
            continue;
        fprintf(stderr, "bench-exit: bare guest stopped with exit reason %u\n", run->exit_reason);
        exit(EXIT_FAILURE);
    }
    double end = now_ns();
    result->setup_ns = running - start;
    result->run_ns = end - running;
    result->exits = exits;

    munmap(run, (size_t)run_size);
    close(vcpu);
    close(vm);
    munmap(ram, GUEST_RAM);
    close(kvm);
}

/* ns per exit in the bare loop, best of RUNS. */
static double bare_ns_per_exit(const struct target *t, uint32_t ports, uint32_t mmios)
{
    GByteArray *code = build_guest(t, ports, mmios);
    double best = 0;
    for (int i = 0; i < RUNS; i++) {
        struct bare_result r;
        run_bare(code, &r);
        double per_exit = r.run_ns / (double)r.exits;
        if (i == 0 || per_exit < best)
            best = per_exit;
    }
    g_byte_array_unref(code);
    return best;
}

/* ---- (b, c) vmboard --------------------------------------------------------------------- */

static const char *vmboard_path(void)
{
    const char *path = g_getenv("VMBOARD");
    return path && *path ? path : "./vmboard";
}

struct vmboard_run {
    double wall_ns;
    long max_rss_kib;
};

static char *work_dir;

static char *write_board(const char *kernel)
{
    char *path = g_build_filename(work_dir, "bench.yaml", NULL);
    g_autofree char *text = board_text(kernel);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, text, -1, &error)) {
        fprintf(stderr, "bench-exit: %s\n", error->message);
        exit(EXIT_FAILURE);
    }
    return path;
}

static void run_vmboard(const GByteArray *code, struct vmboard_run *result)
{
    g_autofree char *kernel = g_build_filename(work_dir, "guest.bin", NULL);
    g_autofree char *log = g_build_filename(work_dir, "vmboard.log", NULL);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(kernel, (const char *)code->data, code->len, &error)) {
        fprintf(stderr, "bench-exit: %s\n", error->message);
        exit(EXIT_FAILURE);
    }
    g_autofree char *board = write_board(kernel);

    double start = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        die_errno("fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (null < 0 || out < 0)
            _exit(126);
        dup2(null, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        alarm(VMBOARD_TIMEOUT_SECONDS); /* a hung run dies of SIGALRM */
        execl(vmboard_path(), vmboard_path(), "run", board, (char *)NULL);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", vmboard_path(), strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR)
            die_errno("wait4");
    }
    result->wall_ns = now_ns() - start;
    result->max_rss_kib = usage.ru_maxrss;

    int want = (EXIT_VALUE << 1) | 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != want) {
        g_autofree char *text = NULL;
        g_file_get_contents(log, &text, NULL, NULL);
        fprintf(stderr, "bench-exit: `%s run %s` ended with status %d (want %d):\n%s\n",
                vmboard_path(), board, WIFEXITED(status) ? WEXITSTATUS(status) : -1, want,
                text ? text : "");
        exit(EXIT_FAILURE);
    }
}

/* Mean wall time over RUNS runs. */
static double vmboard_wall_ns(const struct target *t, uint32_t ports, uint32_t mmios)
{
    GByteArray *code = build_guest(t, ports, mmios);
    double total = 0;
    for (int i = 0; i < RUNS; i++) {
        struct vmboard_run r;
        run_vmboard(code, &r);
        total += r.wall_ns;
    }
    g_byte_array_unref(code);
    return total / RUNS;
}

/* vmboard's ns per exit: (t(N) - t(1)) / (N - 1). */
static double vmboard_ns_per_exit(const struct target *t, bool ports, uint32_t n)
{
    double small = vmboard_wall_ns(t, 1, 1);
    double large = ports ? vmboard_wall_ns(t, n, 1) : vmboard_wall_ns(t, 1, n);
    return (large - small) / (double)(n - 1);
}

static void remove_work_dir(void)
{
    static const char *const files[] = {"bench.yaml", "guest.bin", "vmboard.log"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(work_dir, files[i], NULL);
        g_unlink(path);
    }
    g_rmdir(work_dir);
}

int main(int argc, char **argv)
{
    uint32_t n = 20000;
    setvbuf(stdout, NULL, _IOLBF, 0); /* figures interleave with any error in order */
    if (argc > 1) {
        char *end;
        unsigned long value = strtoul(argv[1], &end, 0);
        if (*end || value < 2 || value > 10000000) {
            fprintf(stderr, "usage: bench-exit [N]   (N exits per kind, 2..10000000)\n");
            return EXIT_FAILURE;
        }
        n = (uint32_t)value;
    }
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        fprintf(stderr, "bench-exit: /dev/kvm is not usable: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    g_autoptr(GError) error = NULL;
    work_dir = g_dir_make_tmp("vmboard-bench-XXXXXX", &error);
    if (!work_dir) {
        fprintf(stderr, "bench-exit: %s\n", error->message);
        return EXIT_FAILURE;
    }
    atexit(remove_work_dir);

#if defined(__aarch64__)
    load_guest_image();
#endif
    printf("userspace exit cost: %s guest, %" PRIu32 " writes per kind; bare loop best of "
           "%d, vmboard (t(N) - t(1)) / (N - 1) over means of %d runs\n",
           HAVE_PORT_IO ? "real-mode" : "arm64 EL1", n, RUNS, RUNS);
    double bare_pio = HAVE_PORT_IO ? bare_ns_per_exit(&null_device, n, 1) : 0;
    double bare_mmio = bare_ns_per_exit(&null_device, 1, n);
    if (HAVE_PORT_IO)
        printf("  %-44s %9.0f ns/exit port I/O  %9.0f ns/exit MMIO\n",
               "bare KVM_RUN loop (baseline)", bare_pio, bare_mmio);
    else
        printf("  %-44s %9.0f ns/exit MMIO\n", "bare KVM_RUN loop (baseline)", bare_mmio);
    const struct target *targets[] = {&null_device, &unclaimed};
    for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
        g_autofree char *label = g_strdup_printf("vmboard, %s", targets[i]->name);
        double pio = HAVE_PORT_IO ? vmboard_ns_per_exit(targets[i], true, n) : 0;
        double mmio = vmboard_ns_per_exit(targets[i], false, n);
        if (HAVE_PORT_IO) {
            printf("  %-44s %9.0f ns/exit (%4.2fx)   %9.0f ns/exit (%4.2fx)\n", label, pio,
                   pio / bare_pio, mmio, mmio / bare_mmio);
        } else {
            printf("  %-44s %9.0f ns/exit (%4.2fx)\n", label, mmio, mmio / bare_mmio);
        }
    }

    /* (c) the minimal guest: one write of each kind, then debug-exit. */
    GByteArray *minimal = build_guest(&null_device, 1, 1);
    double bare_total = 0;
    for (int i = 0; i < START_RUNS; i++) {
        struct bare_result r;
        run_bare(minimal, &r);
        bare_total += r.setup_ns + r.run_ns;
    }
    double wall_total = 0, wall_min = 0, wall_max = 0;
    long rss_max = 0, rss_total = 0;
    for (int i = 0; i < START_RUNS; i++) {
        struct vmboard_run r;
        run_vmboard(minimal, &r);
        wall_total += r.wall_ns;
        wall_min = i == 0 ? r.wall_ns : MIN(wall_min, r.wall_ns);
        wall_max = MAX(wall_max, r.wall_ns);
        rss_total += r.max_rss_kib;
        rss_max = MAX(rss_max, r.max_rss_kib);
    }
    g_byte_array_unref(minimal);
    printf("start to exit, minimal guest, %d runs:\n", START_RUNS);
    printf("  %-44s %9.2f ms mean\n", "bare KVM setup + run (baseline, in-process)",
           bare_total / START_RUNS / 1e6);
    printf("  %-44s %9.2f ms mean (min %.2f, max %.2f)\n", "vmboard run (fork to exit status)",
           wall_total / START_RUNS / 1e6, wall_min / 1e6, wall_max / 1e6);
    printf("  %-44s %9ld KiB mean (max %ld KiB)\n", "vmboard peak RSS", rss_total / START_RUNS,
           rss_max);
    return EXIT_SUCCESS;
}
