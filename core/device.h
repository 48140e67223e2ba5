/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device instances: the board's device entries made real through their plugin types, and
 * the host API table (struct vmb_host) plugins call back into.
 */
#ifndef VMBOARD_DEVICE_H
#define VMBOARD_DEVICE_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "board.h"
#include "util.h"
#include "vmboard/plugin.h"

struct vm;

struct vmb_device {
    struct vm *vm;
    const struct board_device *decl;
    const struct vmb_device_type *type;
    void *opaque;
    GMutex lock;         /* serialises calls into the instance */
    bool serialised;     /* false for VMB_TYPE_THREAD_SAFE types */
    bool realized;
    char *label;         /* "uart0 (boards/x.yaml:12:5)" */
    GString *error;      /* set by host->error() */
    struct ratelimit guest_errors;
    GPtrArray *regions;  /* struct device_region * still mapped */
    GPtrArray *consoles, *timers, *watches;
    GPtrArray *retired;    /* struct device_region * unmapped, freed with the device */
    /* Eventfd fast paths (struct device_ioeventfd *, struct device_irqfd *), under
     * eventfd_lock; ioeventfd_count lets the bus write path skip the lock when there are none. */
    GPtrArray *ioeventfds, *irqfds;
    GMutex eventfd_lock;
    atomic_uint ioeventfd_count;
    GPtrArray *shadows; /* struct device_shadow *: read shadows given by host->mmio_shadow */
};

struct console;

extern const struct vmb_host device_host_api;

/* Create and realize every device of the board (in board order); on failure everything
 * created is destroyed and the error names the device, its plugin file and board line. */
bool devices_create(struct vm *vm, GError **error);
void devices_reset(struct vm *vm);
/* After the backend's vm_late_init (vCPUs and interrupt controller complete): register the
 * irqfds KVM could not take before (arm64 takes none until the vGIC is initialised). */
bool devices_late_init(struct vm *vm, GError **error);
void devices_destroy(struct vm *vm);
/* Per-device access counts for --stats. */
void devices_print_stats(struct vm *vm, FILE *out);

/*
 * A VM without KVM has no interrupt controller: whoever plays the guest (a test) acknowledges
 * interrupt `line` here, as an end of interrupt would. Resampling irqfds on the line lower it
 * and signal their resample eventfd, as KVM does. No effect on a KVM VM.
 */
void devices_irq_acknowledge(struct vm *vm, unsigned line);

/* The instance with this board id, or NULL. */
vmb_device *device_find(struct vm *vm, const char *id);
/* The consoles an instance has open, in opening order (the device test harness injects input
 * and reads output through them); NULL past the last. */
struct console *device_console(vmb_device *dev, unsigned index);

/*
 * Crash reports: while the core calls a plugin's create, realize, reset or destroy, a fatal
 * signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) first prints which plugin file, device
 * type, callback and device crashed, then is handed on so the process dies as it would have.
 * The handler runs on an alternate stack, so a stack overflow in the plugin is reported too.
 */

#endif
