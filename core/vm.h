/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One emulated machine: the KVM VM (when there is one), its RAM, buses, I/O thread, devices
 * and vCPUs, and its lifecycle: create, start, run until something ends it, stop.
 *
 * A vm can exist without KVM (vm->vm_fd < 0): unit tests and the device test harness use
 * that to drive devices through the real bus and host API with plain memory and recorded
 * interrupt lines.
 */
#ifndef VMBOARD_VM_H
#define VMBOARD_VM_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "irq.h"

struct arch_ops;
struct bus;
struct guest_memory;
struct loop;
struct vcpu;
struct plugin_registry;

enum vm_stop_reason {
    VM_RUNNING = 0,
    VM_STOP_EXIT,     /* a device or guest asked to exit with exit_status */
    VM_STOP_SHUTDOWN, /* guest powered off: status 0 */
    VM_STOP_RESET,    /* guest asked for reset; vmboard ends with status 0 (no reboot yet) */
    VM_STOP_ERROR,    /* fatal vCPU error already reported; status 1 */
    VM_STOP_SIGNAL,   /* SIGINT/SIGTERM or Ctrl-A x; status 130/143/0 */
};

struct vm {
    const struct board *board;
    const struct arch_ops *arch;
    int kvm_fd;  /* -1 without KVM */
    int vm_fd;   /* -1 without KVM */
    int vcpu_mmap_size;

    struct guest_memory *mem;
    struct bus *mmio;
    struct bus *pio;
    struct loop *loop;

    GPtrArray *devices; /* struct device * in board order */
    struct vcpu **vcpus;
    unsigned nr_vcpus;

    /* Interrupt line state (levels and counts); KVM is told when vm_fd >= 0. */
    atomic_int irq_levels[IRQ_MAX_LINES];
    atomic_uint_fast64_t irq_raises[IRQ_MAX_LINES];

    /* Stop request: first writer wins; waiters sleep on stop_cond. */
    atomic_int stop_reason;
    int exit_status;
    GMutex stop_lock;
    GCond stop_cond;

    bool stats_enabled;
    bool irqchip_complete; /* set by devices_late_init, after the backend's vm_late_init */
    void *arch_state;      /* owned by the backend */
};

/* Everything but KVM: buses, loop, memory object (no RAM yet), devices list. */
struct vm *vm_new(const struct board *board, GError **error);
/* Open /dev/kvm, check KVM_GET_API_VERSION and needed capabilities, create the VM, let the
 * backend create its irqchip and RAM layout, register RAM. */
bool vm_setup_kvm(struct vm *vm, GError **error);
/* For a VM without KVM: allocate the board's RAM as one slot at 0. */
bool vm_setup_plain_ram(struct vm *vm, GError **error);

/* Ask the machine to stop; safe from any thread and from device callbacks. Only the first
 * request counts. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);
enum vm_stop_reason vm_stop_reason(struct vm *vm);

/* Create vCPUs, load the payload, start vCPU threads and the I/O thread, wait for a stop
 * request, then stop every vCPU and return the process exit status; -1 with *error set when
 * the machine could not start (the order of the steps is explained in vm.c). */
int vm_run(struct vm *vm, GError **error);
void vm_free(struct vm *vm); /* destroys devices, closes fds */

/* Print per-exit-reason and per-device counts (vmboard run --stats). */
void vm_print_stats(struct vm *vm, FILE *out);

#endif
