/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's lifecycle. vm_run() is the one place that orders start-up and shutdown:
 *
 *   devices_create -> arch->load -> vcpu_create + arch->vcpu_init (each vCPU)
 *   -> arch->vm_late_init -> devices_late_init (irqfds KVM deferred) -> devices_reset
 *   -> loop_start -> vcpu_start (each vCPU)
 *   -> wait for a stop request -> kick and join every vCPU -> loop_stop
 *
 * Devices exist before the payload is loaded so firmware tables can describe them; vCPUs are
 * created after loading so vcpu_init can apply the entry state the loader chose. The I/O
 * thread and the vCPU threads start last, once every device is in its reset state, and the
 * I/O thread stops only after no vCPU runs, so devices_destroy (vm_free) sees a quiet machine.
 */
#include "config.h"

#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bus.h"
#include "console.h"
#include "device.h"
#include "loop.h"
#include "memory.h"
#include "util.h"
#include "vcpu.h"

#define KVM_DEVICE_PATH          "/dev/kvm"
#define KVM_EXPECTED_API_VERSION 12

struct vm *vm_new(const struct board *board, GError **error)
{
    if (board->cpus == 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "a machine needs at least one vCPU");
        return NULL;
    }

    struct vm *vm = g_new0(struct vm, 1);
    vm->board = board;
    vm->arch = arch_lookup(board->arch);
    vm->kvm_fd = -1;
    vm->vm_fd = -1;
    vm->mem = memory_new();
    vm->mmio = bus_new("mmio", 12);
    vm->pio = bus_new("pio", 3);
    vm->loop = loop_new();
    vm->devices = g_ptr_array_new();
    atomic_init(&vm->stop_reason, VM_RUNNING);
    g_mutex_init(&vm->stop_lock);
    g_cond_init(&vm->stop_cond);
    for (unsigned i = 0; i < IRQ_MAX_LINES; i++) {
        atomic_init(&vm->irq_levels[i], 0);
        atomic_init(&vm->irq_raises[i], 0);
    }
    return vm;
}

/* Board RAM rounded up to whole pages. */
static uint64_t vm_ram_size(const struct vm *vm)
{
    return (vm->board->memory + 4095) & ~4095ull;
}

bool vm_setup_plain_ram(struct vm *vm, GError **error)
{
    return memory_add_ram(vm->mem, 0, vm_ram_size(vm), error);
}

static bool kvm_open(struct vm *vm, GError **error)
{
    vm->kvm_fd = open(KVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd >= 0)
        return true;

    int saved = errno;
    if (saved == ENOENT || saved == ENODEV || saved == ENXIO) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "%s is not available (%s): this host has no KVM. Load the module with "
                    "`modprobe kvm_intel` or `modprobe kvm_amd`, and check that virtualization "
                    "is enabled in the firmware (or, in a VM, that nested virtualization is on)",
                    KVM_DEVICE_PATH, g_strerror(saved));
    } else if (saved == EACCES || saved == EPERM) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "cannot open %s: %s. Add your user to the group owning it (usually `kvm`: "
                    "`sudo usermod -aG kvm $USER`, then log in again) or run as root",
                    KVM_DEVICE_PATH, g_strerror(saved));
    } else {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "cannot open %s: %s", KVM_DEVICE_PATH,
                    g_strerror(saved));
    }
    return false;
}

struct kvm_capability_need {
    int cap;
    const char *name;
    const char *why;
};

static const struct kvm_capability_need generic_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM from host memory"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs cleanly"},
};

bool vm_setup_kvm(struct vm *vm, GError **error)
{
    if (!vm->arch) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "this vmboard has no %s backend: KVM runs only guests of the host's "
                    "architecture (%s)",
                    board_arch_name(vm->board->arch), board_arch_name(board_host_arch()));
        return false;
    }
    vcpu_init_signals();
    if (!kvm_open(vm, error))
        return false;

    int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_EXPECTED_API_VERSION) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "%s speaks KVM API version %d, vmboard needs %d", KVM_DEVICE_PATH, version,
                    KVM_EXPECTED_API_VERSION);
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(generic_caps); i++) {
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, generic_caps[i].cap) <= 0) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                        "this host's KVM lacks %s, needed for %s (kernel too old?)",
                        generic_caps[i].name, generic_caps[i].why);
            return false;
        }
    }

    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "KVM_GET_VCPU_MMAP_SIZE returned %d (%s), smaller than struct kvm_run",
                    vm->vcpu_mmap_size, vm->vcpu_mmap_size < 0 ? g_strerror(errno) : "too small");
        return false;
    }

    do {
        vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    } while (vm->vm_fd < 0 && errno == EINTR);
    if (vm->vm_fd < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_CREATE_VM failed: %s", g_strerror(errno));
        return false;
    }
    /* ioctl-created fds are not close-on-exec by default. */
    fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);

    if (!vm->arch->vm_init(vm, error))
        return false;
    return memory_register_kvm(vm->mem, vm->vm_fd, error);
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status)
{
    g_mutex_lock(&vm->stop_lock);
    int expected = VM_RUNNING;
    if (reason != VM_RUNNING &&
        atomic_compare_exchange_strong(&vm->stop_reason, &expected, (int)reason)) {
        vm->exit_status = status;
        g_cond_broadcast(&vm->stop_cond);
        /* vcpus and their thread_started flags change only under stop_lock. */
        for (unsigned i = 0; i < vm->nr_vcpus; i++)
            vcpu_kick(vm->vcpus[i]);
    }
    g_mutex_unlock(&vm->stop_lock);
}

enum vm_stop_reason vm_stop_reason(struct vm *vm)
{
    return atomic_load(&vm->stop_reason);
}

static bool vm_create_vcpus(struct vm *vm, GError **error)
{
    unsigned count = vm->board->cpus;

    vm->vcpus = g_new0(struct vcpu *, count);
    for (unsigned i = 0; i < count; i++) {
        struct vcpu *vcpu = vcpu_create(vm, i, error);
        if (!vcpu)
            return false;
        g_mutex_lock(&vm->stop_lock);
        vm->vcpus[i] = vcpu;
        vm->nr_vcpus = i + 1;
        g_mutex_unlock(&vm->stop_lock);
        if (!vm->arch->vcpu_init(vcpu, error)) {
            g_prefix_error(error, "vCPU %u: ", i);
            return false;
        }
    }
    return true;
}

/* Make sure nothing runs any more: every vCPU thread has returned and the I/O thread stopped. */
static void vm_quiesce(struct vm *vm)
{
    g_mutex_lock(&vm->stop_lock);
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vcpu_kick(vm->vcpus[i]);
    g_mutex_unlock(&vm->stop_lock);
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vcpu_join(vm->vcpus[i]);
    loop_stop(vm->loop);
}

static int vm_exit_status(struct vm *vm)
{
    switch ((enum vm_stop_reason)vm_stop_reason(vm)) {
    case VM_STOP_EXIT:
    case VM_STOP_SIGNAL:
        return vm->exit_status;
    case VM_STOP_SHUTDOWN:
        return 0;
    case VM_STOP_RESET:
        vmb_log_info("the guest asked for a reset; vmboard does not reboot machines yet, "
                     "so it exits");
        return 0;
    case VM_STOP_ERROR:
    case VM_RUNNING:
        break;
    }
    return 1;
}

int vm_run(struct vm *vm, GError **error)
{
    if (vm->vm_fd < 0 || !vm->arch) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "vm_run needs a KVM VM (vm_setup_kvm was not called or failed)");
        return -1;
    }

    if (!devices_create(vm, error) || !vm->arch->load(vm, error) || !vm_create_vcpus(vm, error) ||
        (vm->arch->vm_late_init && !vm->arch->vm_late_init(vm, error)) ||
        !devices_late_init(vm, error))
        return -1;
    devices_reset(vm);
    if (!loop_start(vm->loop, error))
        return -1;

    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        if (!vcpu_start(vm->vcpus[i], error)) {
            vm_request_stop(vm, VM_STOP_ERROR, 1);
            vm_quiesce(vm);
            return -1;
        }
    }

    g_mutex_lock(&vm->stop_lock);
    while (vm_stop_reason(vm) == VM_RUNNING)
        g_cond_wait(&vm->stop_cond, &vm->stop_lock);
    g_mutex_unlock(&vm->stop_lock);

    vm_quiesce(vm);
    /* What the guest printed comes out before anything we print about the end of the run. */
    console_flush_all();
    /* Stopped from outside (a signal, the console's quit key): with -v, say where each vCPU
     * was, which is what one wants to know of a guest that hung. */
    if (vm_stop_reason(vm) == VM_STOP_SIGNAL && vm->arch->dump_registers) {
        for (unsigned i = 0; i < vm->nr_vcpus; i++) {
            GString *out = g_string_new(NULL);
            vm->arch->dump_registers(vm->vcpus[i], out);
            vmb_log_info("vCPU %u when the run was stopped:\n%s", i, out->str);
            g_string_free(out, TRUE);
        }
    }
    return vm_exit_status(vm);
}

void vm_free(struct vm *vm)
{
    if (!vm)
        return;

    /* Threads first: nothing may call into devices or touch RAM while they go away. */
    if (vm->vcpus) {
        vm_request_stop(vm, VM_STOP_SHUTDOWN, 0);
        vm_quiesce(vm);
    }
    loop_stop(vm->loop);
    devices_destroy(vm);
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vcpu_free(vm->vcpus[i]);
    g_free(vm->vcpus);
    if (vm->arch && vm->arch->vm_destroy)
        vm->arch->vm_destroy(vm);
    loop_free(vm->loop);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    /* After the VM fd is gone KVM no longer references the RAM mappings. */
    memory_free(vm->mem);
    bus_free(vm->mmio);
    bus_free(vm->pio);
    g_ptr_array_unref(vm->devices);
    g_cond_clear(&vm->stop_cond);
    g_mutex_clear(&vm->stop_lock);
    g_free(vm);
}

static uint64_t stat_load(atomic_uint_fast64_t *counter)
{
    return atomic_load_explicit(counter, memory_order_relaxed);
}

void vm_print_stats(struct vm *vm, FILE *out)
{
    fprintf(out, "%-21s%12s", "KVM exits", "total");
    for (unsigned v = 0; v < vm->nr_vcpus; v++) {
        char name[16];
        g_snprintf(name, sizeof(name), "vcpu%u", v);
        fprintf(out, " %11s", name);
    }
    fputc('\n', out);

    for (unsigned reason = 0; reason <= VCPU_EXIT_REASONS; reason++) {
        uint64_t total = 0;
        for (unsigned v = 0; v < vm->nr_vcpus; v++)
            total += stat_load(&vm->vcpus[v]->stats.exits[reason]);
        if (total == 0)
            continue;
        fprintf(out, "  %-19s%12" PRIu64,
                reason == VCPU_EXIT_REASONS ? "other" : vcpu_exit_name(reason), total);
        for (unsigned v = 0; v < vm->nr_vcpus; v++)
            fprintf(out, " %11" PRIu64, stat_load(&vm->vcpus[v]->stats.exits[reason]));
        fputc('\n', out);
    }

    static const struct {
        const char *name;
        size_t offset;
    } accesses[] = {
        {"port reads", offsetof(struct vcpu_stats, pio_reads)},
        {"port writes", offsetof(struct vcpu_stats, pio_writes)},
        {"mmio reads", offsetof(struct vcpu_stats, mmio_reads)},
        {"mmio writes", offsetof(struct vcpu_stats, mmio_writes)},
    };
    fprintf(out, "Guest accesses\n");
    for (size_t a = 0; a < G_N_ELEMENTS(accesses); a++) {
        uint64_t total = 0;
        for (unsigned v = 0; v < vm->nr_vcpus; v++)
            total += stat_load(
                (atomic_uint_fast64_t *)((char *)&vm->vcpus[v]->stats + accesses[a].offset));
        fprintf(out, "  %-19s%12" PRIu64, accesses[a].name, total);
        for (unsigned v = 0; v < vm->nr_vcpus; v++)
            fprintf(out, " %11" PRIu64,
                    stat_load((atomic_uint_fast64_t *)((char *)&vm->vcpus[v]->stats +
                                                       accesses[a].offset)));
        fputc('\n', out);
    }
    fprintf(out, "  %-19s%12" PRIu64 "\n", "unclaimed ports", bus_unclaimed_count(vm->pio));
    fprintf(out, "  %-19s%12" PRIu64 "\n", "unclaimed mmio", bus_unclaimed_count(vm->mmio));

    devices_print_stats(vm, out);
}
