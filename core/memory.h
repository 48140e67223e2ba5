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
/* Guest page size for RAM and read shadows. */
#define MEMORY_PAGE_SIZE 4096ull

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

/*
 * Read shadows: host memory the guest reads in place of an MMIO range. On a KVM VM it is a
 * KVM_MEM_READONLY slot, so reads never exit while writes still come out as KVM_EXIT_MMIO
 * (or meet an ioeventfd); without KVM it is only bookkeeping. A shadow is not guest RAM:
 * memory_translate and friends never reach it. gpa, size and host are page aligned, and the
 * range must not overlap RAM or another shadow. The caller owns the memory; it must outlive
 * the shadow (memory_remove_shadow). False with *error set (KVM without
 * KVM_CAP_READONLY_MEM included).
 */
bool memory_add_shadow(struct guest_memory *mem, uint64_t gpa, uint64_t size, void *host,
                       GError **error);
/* Unregister the shadow of `host` (no effect if there is none). On a KVM VM, once this
 * returns no vCPU reads the memory any more. False if KVM refused (the shadow stays). */
bool memory_remove_shadow(struct guest_memory *mem, void *host, GError **error);

#endif
