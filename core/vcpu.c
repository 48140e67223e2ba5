/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU threads. Each runs KVM_RUN in a loop and dispatches port I/O and MMIO exits to the
 * buses; anything the machine cannot continue from is reported once, with the registers, and
 * ends the run.
 *
 * Threat model: kvm_run is shared with the kernel, and the values in it come from the guest
 * (ports, addresses, sizes, counts). They are checked before use so a corrupt exit can never
 * make this thread read or write outside the kvm_run mapping.
 *
 * KVM_EXIT_HLT: with the in-kernel local APIC (always created on x86) KVM handles HLT itself
 * and a halted vCPU sleeps in KVM_RUN until an interrupt arrives, as on real hardware, so a
 * guest that halts with interrupts off waits until it is stopped (Ctrl-A x, a signal). A
 * HLT exit only reaches us without an in-kernel APIC, where nothing could ever wake the vCPU;
 * we then treat it like Firecracker does, as the guest powering off (status 0).
 */
#include "config.h"

#include "vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bus.h"
#include "console.h"
#include "rcu.h"
#include "util.h"
#include "vm.h"

static const char *const exit_names[] = {
    [KVM_EXIT_UNKNOWN] = "UNKNOWN",
    [KVM_EXIT_EXCEPTION] = "EXCEPTION",
    [KVM_EXIT_IO] = "IO",
    [KVM_EXIT_HYPERCALL] = "HYPERCALL",
    [KVM_EXIT_DEBUG] = "DEBUG",
    [KVM_EXIT_HLT] = "HLT",
    [KVM_EXIT_MMIO] = "MMIO",
    [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
    [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
    [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
    [KVM_EXIT_INTR] = "INTR",
    [KVM_EXIT_SET_TPR] = "SET_TPR",
    [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
    [KVM_EXIT_S390_SIEIC] = "S390_SIEIC",
    [KVM_EXIT_S390_RESET] = "S390_RESET",
    [KVM_EXIT_DCR] = "DCR",
    [KVM_EXIT_NMI] = "NMI",
    [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
    [KVM_EXIT_OSI] = "OSI",
    [KVM_EXIT_PAPR_HCALL] = "PAPR_HCALL",
    [KVM_EXIT_S390_UCONTROL] = "S390_UCONTROL",
    [KVM_EXIT_WATCHDOG] = "WATCHDOG",
    [KVM_EXIT_S390_TSCH] = "S390_TSCH",
    [KVM_EXIT_EPR] = "EPR",
    [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
    [KVM_EXIT_S390_STSI] = "S390_STSI",
    [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
    [KVM_EXIT_HYPERV] = "HYPERV",
    [28] = "ARM_NISV",
    [29] = "X86_RDMSR",
    [30] = "X86_WRMSR",
    [31] = "DIRTY_RING_FULL",
    [32] = "AP_RESET_HOLD",
    [33] = "X86_BUS_LOCK",
    [34] = "XEN",
    [35] = "RISCV_SBI",
    [36] = "RISCV_CSR",
    [37] = "NOTIFY",
    [38] = "LOONGARCH_IOCSR",
    [39] = "MEMORY_FAULT",
    [40] = "TDX",
    [41] = "ARM_SEA",
};

const char *vcpu_exit_name(uint32_t reason)
{
    if (reason < G_N_ELEMENTS(exit_names) && exit_names[reason])
        return exit_names[reason];
    return "unknown exit reason";
}

static void kick_signal_handler(int signo)
{
    /* Nothing to do: the signal's only job is to make KVM_RUN return EINTR. */
    (void)signo;
}

static void install_kick_handler(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = kick_signal_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return to us */
    sigaction(SIGUSR1, &action, NULL);
}

void vcpu_init_signals(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_kick_handler);
}

struct vcpu *vcpu_create(struct vm *vm, unsigned index, GError **error)
{
    struct vcpu *vcpu = g_new0(struct vcpu, 1);
    vcpu->vm = vm;
    vcpu->index = index;

    vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (vcpu->fd < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "KVM_CREATE_VCPU for vCPU %u failed: %s%s",
                    index, g_strerror(errno),
                    errno == EINVAL ? " (more vCPUs than this host's KVM allows?)" : "");
        g_free(vcpu);
        return NULL;
    }
    fcntl(vcpu->fd, F_SETFD, FD_CLOEXEC);

    vcpu->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
    if (vcpu->run == MAP_FAILED) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM, "mapping kvm_run of vCPU %u failed: %s", index,
                    g_strerror(errno));
        close(vcpu->fd);
        g_free(vcpu);
        return NULL;
    }
    return vcpu;
}

/* Guest values are little-endian whatever the host's byte order. */
static uint64_t load_le(const uint8_t *bytes, unsigned size)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < size; i++)
        value |= (uint64_t)bytes[i] << (8 * i);
    return value;
}

static void store_le(uint8_t *bytes, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        bytes[i] = (uint8_t)(value >> (8 * i));
}

static void stat_add(atomic_uint_fast64_t *counter, uint64_t amount)
{
    atomic_fetch_add_explicit(counter, amount, memory_order_relaxed);
}

/* Report a condition the machine cannot continue from and end the run with status 1. */
static void G_GNUC_PRINTF(2, 3) vcpu_fatal(struct vcpu *vcpu, const char *fmt, ...)
{
    GString *message = g_string_new(NULL);
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(message, fmt, ap);
    va_end(ap);
    if (vcpu->vm->arch && vcpu->vm->arch->dump_registers) {
        g_string_append_printf(message, "\nvCPU %u registers:\n", vcpu->index);
        vcpu->vm->arch->dump_registers(vcpu, message);
    }
    /* The guest's last output first, and the terminal back so raw mode does not mangle us. */
    console_flush_all();
    console_restore_terminal();
    vmb_log_error("vCPU %u: %s", vcpu->index, message->str);
    g_string_free(message, TRUE);
    vm_request_stop(vcpu->vm, VM_STOP_ERROR, 1);
}

static bool handle_io(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    unsigned size = run->io.size;
    uint64_t repeats = run->io.count;
    uint64_t offset = run->io.data_offset;
    struct bus *pio = vcpu->vm->pio;

    if (size != 1 && size != 2 && size != 4) {
        vcpu_fatal(vcpu, "port I/O exit with impossible size %u at port 0x%x", size, run->io.port);
        return false;
    }
    /* count * size <= 4 * 2^32 cannot overflow 64 bits; compare without adding. */
    uint64_t bytes = repeats * size;
    uint64_t mapped = (uint64_t)vcpu->vm->vcpu_mmap_size;
    if (offset > mapped || bytes > mapped - offset) {
        vcpu_fatal(vcpu,
                   "port I/O exit data [0x%" PRIx64 ", +0x%" PRIx64
                   ") lies outside kvm_run (0x%" PRIx64 " bytes)",
                   offset, bytes, mapped);
        return false;
    }

    uint8_t *data = (uint8_t *)run + offset;
    if (run->io.direction == KVM_EXIT_IO_OUT) {
        stat_add(&vcpu->stats.pio_writes, repeats);
        for (uint64_t i = 0; i < repeats; i++)
            bus_write(pio, run->io.port, load_le(data + i * size, size), size);
    } else {
        stat_add(&vcpu->stats.pio_reads, repeats);
        for (uint64_t i = 0; i < repeats; i++)
            store_le(data + i * size, bus_read(pio, run->io.port, size), size);
    }
    return true;
}

static bool handle_mmio(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    unsigned len = run->mmio.len;

    if (len < 1 || len > sizeof(run->mmio.data)) {
        vcpu_fatal(vcpu, "MMIO exit with impossible length %u at 0x%llx", len,
                   (unsigned long long)run->mmio.phys_addr);
        return false;
    }
    if (run->mmio.is_write) {
        stat_add(&vcpu->stats.mmio_writes, 1);
        bus_write(vcpu->vm->mmio, run->mmio.phys_addr, load_le(run->mmio.data, len), len);
    } else {
        stat_add(&vcpu->stats.mmio_reads, 1);
        store_le(run->mmio.data, bus_read(vcpu->vm->mmio, run->mmio.phys_addr, len), len);
    }
    return true;
}

static const char *internal_error_name(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "exit while delivering an event";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
        return "unexpected hardware exit reason";
    default:
        return "unknown suberror";
    }
}

static void report_internal_error(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    GString *details = g_string_new(NULL);
    uint32_t words = MIN(run->internal.ndata, G_N_ELEMENTS(run->internal.data));

    for (uint32_t i = 0; i < words; i++)
        g_string_append_printf(details, " 0x%llx", (unsigned long long)run->internal.data[i]);
    vcpu_fatal(vcpu, "KVM internal error %u (%s); data:%s", run->internal.suberror,
               internal_error_name(run->internal.suberror), words ? details->str : " none");
    g_string_free(details, TRUE);
}

static void handle_system_event(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;

    switch (run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        console_flush_all(); /* what the guest printed before it powered off comes first */
        vmb_log_info("vCPU %u: the guest powered off", vcpu->index);
        vm_request_stop(vcpu->vm, VM_STOP_SHUTDOWN, 0);
        break;
    case KVM_SYSTEM_EVENT_RESET:
        vm_request_stop(vcpu->vm, VM_STOP_RESET, 0);
        break;
    case KVM_SYSTEM_EVENT_CRASH:
        vcpu_fatal(vcpu, "the guest reported a crash (KVM_SYSTEM_EVENT_CRASH)");
        break;
    case KVM_SYSTEM_EVENT_WAKEUP:
        break; /* the vCPU is runnable again */
    default:
        vcpu_fatal(vcpu, "unsupported system event %u from the guest", run->system_event.type);
        break;
    }
}

/* One exit; false when this vCPU must stop running. */
static bool handle_exit(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    uint32_t reason = run->exit_reason;

    stat_add(&vcpu->stats.exits[MIN(reason, VCPU_EXIT_REASONS)], 1);
    switch (reason) {
    case KVM_EXIT_IO:
        return handle_io(vcpu);
    case KVM_EXIT_MMIO:
        return handle_mmio(vcpu);
    case KVM_EXIT_INTR:
        return true; /* the loop checks for a stop request */
    case KVM_EXIT_HLT:
        vmb_log_info("vCPU %u halted with no interrupt controller to wake it: powering off",
                     vcpu->index);
        vm_request_stop(vcpu->vm, VM_STOP_SHUTDOWN, 0);
        return false;
    case KVM_EXIT_SHUTDOWN:
        vcpu_fatal(vcpu, "the guest triple-faulted (KVM_EXIT_SHUTDOWN): an exception occurred "
                         "that the guest could not handle");
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        handle_system_event(vcpu);
        return vm_stop_reason(vcpu->vm) == VM_RUNNING;
    case KVM_EXIT_INTERNAL_ERROR:
        report_internal_error(vcpu);
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        vcpu_fatal(vcpu,
                   "KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY): hardware reason "
                   "0x%llx on host CPU %u",
                   (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
                   run->fail_entry.cpu);
        return false;
    default:
        break;
    }

    const struct arch_ops *arch = vcpu->vm->arch;
    enum arch_exit_action action =
        arch->handle_exit ? arch->handle_exit(vcpu) : ARCH_EXIT_UNHANDLED;
    if (action == ARCH_EXIT_CONTINUE)
        return true;
    if (action == ARCH_EXIT_UNHANDLED)
        vcpu_fatal(vcpu, "unexpected KVM exit %s (%u)", vcpu_exit_name(reason), reason);
    return false;
}

static void *vcpu_thread(void *opaque)
{
    struct vcpu *vcpu = opaque;
    struct vm *vm = vcpu->vm;
    sigset_t set;

    /* The main thread blocked SIGINT/SIGTERM before starting threads; we only take kicks. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    char name[16];
    g_snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
    pthread_setname_np(pthread_self(), name);

    rcu_register_thread();
    while (vm_stop_reason(vm) == VM_RUNNING) {
        if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                stat_add(&vcpu->stats.exits[KVM_EXIT_INTR], 1);
                continue;
            }
            vcpu_fatal(vcpu, "KVM_RUN failed: %s", g_strerror(errno));
            break;
        }
        if (!handle_exit(vcpu))
            break;
    }
    rcu_unregister_thread();
    return NULL;
}

bool vcpu_start(struct vcpu *vcpu, GError **error)
{
    struct vm *vm = vcpu->vm;

    /* Under stop_lock so vm_request_stop sees either no thread or one it can signal. */
    g_mutex_lock(&vm->stop_lock);
    int err = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
    if (err == 0)
        vcpu->thread_started = true;
    g_mutex_unlock(&vm->stop_lock);
    if (err) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "cannot start the thread of vCPU %u: %s",
                    vcpu->index, g_strerror(err));
        return false;
    }
    return true;
}

void vcpu_kick(struct vcpu *vcpu)
{
    /* immediate_exit covers a kick that lands just before the thread enters KVM_RUN. */
    __atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (vcpu->thread_started)
        pthread_kill(vcpu->thread, SIGUSR1);
}

void vcpu_join(struct vcpu *vcpu)
{
    if (!vcpu->thread_started)
        return;
    pthread_join(vcpu->thread, NULL);
    g_mutex_lock(&vcpu->vm->stop_lock);
    vcpu->thread_started = false;
    g_mutex_unlock(&vcpu->vm->stop_lock);
}

void vcpu_free(struct vcpu *vcpu)
{
    if (!vcpu)
        return;
    if (vcpu->vm->arch && vcpu->vm->arch->vcpu_destroy)
        vcpu->vm->arch->vcpu_destroy(vcpu);
    munmap(vcpu->run, vcpu->vm->vcpu_mmap_size);
    close(vcpu->fd);
    g_free(vcpu);
}
