/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM: anonymous host mappings in slots, registered with KVM when a VM exists, and the
 * one bounds-checked way for the core and devices to touch guest-physical memory.
 */
#ifndef VMBOARD_MEMORY_H
#define VMBOARD_MEMORY_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_memory;

struct mem_slot {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
};

struct guest_memory *memory_new(void);
void memory_free(struct guest_memory *mem); /* munmaps */
/* Allocate a RAM slot at gpa (page aligned, not overlapping another slot). */
bool memory_add_ram(struct guest_memory *mem, uint64_t gpa, uint64_t size, GError **error);
/* KVM_SET_USER_MEMORY_REGION for every slot. */
bool memory_register_kvm(struct guest_memory *mem, int vm_fd, GError **error);

/* Host pointer for [gpa, gpa+len) if it lies entirely inside one slot (len 0 allowed), else
 * NULL. Overflow-safe for any gpa/len a guest can produce. */
void *memory_translate(struct guest_memory *mem, uint64_t gpa, uint64_t len);
/* Copy across slot boundaries as long as every byte is RAM; false (nothing copied) otherwise. */
bool memory_read(struct guest_memory *mem, uint64_t gpa, void *buf, size_t len);
bool memory_write(struct guest_memory *mem, uint64_t gpa, const void *buf, size_t len);

unsigned memory_slot_count(const struct guest_memory *mem);
const struct mem_slot *memory_slot(const struct guest_memory *mem, unsigned index);
uint64_t memory_total(const struct guest_memory *mem);

#endif
