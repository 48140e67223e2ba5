/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU threads: each sits in KVM_RUN, decodes the exit and dispatches port I/O and MMIO to
 * the buses. The dispatch path allocates nothing, takes no global lock and makes no syscall
 * besides the ioctl.
 *
 * Stopping: vm_request_stop() sets kvm_run->immediate_exit on every vCPU and sends each
 * thread SIGUSR1 (a no-op handler) so a thread inside KVM_RUN returns with EINTR.
 */
#ifndef VMBOARD_VCPU_H
#define VMBOARD_VCPU_H

#include <glib.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

#define VCPU_EXIT_REASONS 64 /* counters for KVM_EXIT_* below this; the rest count as "other" */

struct vcpu_stats {
    atomic_uint_fast64_t exits[VCPU_EXIT_REASONS + 1];
    atomic_uint_fast64_t pio_reads, pio_writes, mmio_reads, mmio_writes;
};

struct vcpu {
    struct vm *vm;
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool thread_started;
    struct vcpu_stats stats;
    void *arch_state; /* owned by the backend */
};

struct vcpu *vcpu_create(struct vm *vm, unsigned index, GError **error);
bool vcpu_start(struct vcpu *vcpu, GError **error);
/* Make the vCPU leave KVM_RUN soon (any thread). */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_free(struct vcpu *vcpu);

/* Install the SIGUSR1 no-op handler used by vcpu_kick (once per process). */
void vcpu_init_signals(void);

/* Name of a KVM_EXIT_* reason ("IO", "MMIO", "HLT", ...). */
const char *vcpu_exit_name(uint32_t reason);

#endif
