/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device instances: the board's device entries made real through their plugin types, and
 * the host API table (struct vmb_host) plugins call back into.
 */
#ifndef VMBOARD_DEVICE_H
#define VMBOARD_DEVICE_H

#include <glib.h>
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
};

extern const struct vmb_host device_host_api;

/* Create and realize every device of the board (in board order); on failure everything
 * created is destroyed and the error names the device, its plugin file and board line. */
bool devices_create(struct vm *vm, GError **error);
void devices_reset(struct vm *vm);
void devices_destroy(struct vm *vm);
/* Per-device access counts for --stats. */
void devices_print_stats(struct vm *vm, FILE *out);

#endif
