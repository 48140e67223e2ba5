/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interrupt lines from devices to the interrupt controller. On a KVM VM a line is asserted
 * with KVM_IRQ_LINE (the arch encodes the board's irq number); a VM without KVM (unit tests,
 * device test harness) records line levels instead so tests can observe them.
 */
#ifndef VMBOARD_IRQ_H
#define VMBOARD_IRQ_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define IRQ_MAX_LINES 1024

struct vm;

/* Set the line's level; returns false (and logs once) on a KVM error. */
bool irq_set_level(struct vm *vm, unsigned line, int level);
bool irq_pulse(struct vm *vm, unsigned line);
/* Last level set on the line (both modes), and how many rising edges it has seen. */
int irq_level(struct vm *vm, unsigned line);
uint64_t irq_raise_count(struct vm *vm, unsigned line);

#endif
