/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM. Each slot is one anonymous private mapping; MAP_NORESERVE so a board's RAM size
 * costs nothing until the guest touches it. Every access by guest-physical address goes
 * through memory_translate(), whose arithmetic cannot wrap whatever gpa/len a guest gives.
 */
#include "config.h"

#include "memory.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

#define MEMORY_MAX_SLOTS   32
#define MEMORY_MAX_SHADOWS 64
/* KVM slot ids: RAM slot i is id i; read shadow i is id MEMORY_SHADOW_SLOT_BASE + i. */
#define MEMORY_SHADOW_SLOT_BASE MEMORY_MAX_SLOTS

struct guest_memory {
    struct mem_slot slots[MEMORY_MAX_SLOTS]; /* sorted by gpa */
    unsigned count;
    struct mem_slot shadows[MEMORY_MAX_SHADOWS]; /* host == NULL: free entry */
    int vm_fd; /* -1 until memory_register_kvm; later slots are registered as they are added */
};

struct guest_memory *memory_new(void)
{
    struct guest_memory *mem = g_new0(struct guest_memory, 1);
    mem->vm_fd = -1;
    return mem;
}

void memory_free(struct guest_memory *mem)
{
    if (!mem)
        return;
    for (unsigned i = 0; i < mem->count; i++)
        munmap(mem->slots[i].host, mem->slots[i].size);
    g_free(mem);
}

/* KVM_SET_USER_MEMORY_REGION for `slot` (size 0 deletes the KVM slot); `what` names it. */
static bool set_kvm_slot(struct guest_memory *mem, uint32_t id, uint32_t flags,
                         const struct mem_slot *slot, uint64_t size, const char *what,
                         GError **error)
{
    struct kvm_userspace_memory_region region = {
        .slot = id,
        .flags = flags,
        .guest_phys_addr = slot->gpa,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)slot->host,
    };

    if (ioctl(mem->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "KVM_SET_USER_MEMORY_REGION for %s [0x%" PRIx64 ", 0x%" PRIx64 ") failed: %s",
                    what, slot->gpa, slot->gpa + slot->size, g_strerror(errno));
        return false;
    }
    return true;
}

static bool register_slot(struct guest_memory *mem, unsigned index, GError **error)
{
    /* KVM slot ids follow the order slots were added: index stays stable because we
     * register only after every slot below it exists (see memory_add_ram). */
    const struct mem_slot *slot = &mem->slots[index];
    return set_kvm_slot(mem, index, 0, slot, slot->size, "guest RAM", error);
}

bool memory_add_ram(struct guest_memory *mem, uint64_t gpa, uint64_t size, GError **error)
{
    if (size == 0 || gpa % MEMORY_PAGE_SIZE || size % MEMORY_PAGE_SIZE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "guest RAM at 0x%" PRIx64 " of size 0x%" PRIx64
                    " must be non-empty and 4 KiB aligned",
                    gpa, size);
        return false;
    }
    if (gpa + size < gpa || size > SIZE_MAX) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "guest RAM at 0x%" PRIx64 " of size 0x%" PRIx64
                    " does not fit the address space",
                    gpa, size);
        return false;
    }
    if (mem->count == MEMORY_MAX_SLOTS) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "too many guest RAM slots (at most %d)",
                    MEMORY_MAX_SLOTS);
        return false;
    }
    unsigned position = 0;
    for (unsigned i = 0; i < mem->count; i++) {
        const struct mem_slot *other = &mem->slots[i];
        if (gpa < other->gpa + other->size && other->gpa < gpa + size) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "guest RAM [0x%" PRIx64 ", 0x%" PRIx64
                        ") overlaps RAM already at [0x%" PRIx64 ", 0x%" PRIx64 ")",
                        gpa, gpa + size, other->gpa, other->gpa + other->size);
            return false;
        }
        if (other->gpa < gpa)
            position = i + 1;
    }
    /* Once slots are known to KVM their ids are their indexes, so only appending is allowed. */
    if (mem->vm_fd >= 0 && position != mem->count) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "guest RAM at 0x%" PRIx64 " must be added above existing RAM once the VM runs",
                    gpa);
        return false;
    }

    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED,
                    "cannot reserve %" PRIu64 " MiB of host memory for guest RAM: %s", size >> 20,
                    g_strerror(errno));
        return false;
    }
    memmove(&mem->slots[position + 1], &mem->slots[position],
            (mem->count - position) * sizeof(mem->slots[0]));
    mem->slots[position] = (struct mem_slot){.gpa = gpa, .size = size, .host = host};
    mem->count++;

    if (mem->vm_fd >= 0 && !register_slot(mem, position, error)) {
        mem->count--;
        munmap(host, size);
        return false;
    }
    return true;
}

static bool register_shadow(struct guest_memory *mem, unsigned index, bool remove, GError **error)
{
    const struct mem_slot *shadow = &mem->shadows[index];

    if (!remove && ioctl(mem->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                    "this KVM has no read-only memory slots (KVM_CAP_READONLY_MEM)");
        return false;
    }
    return set_kvm_slot(mem, MEMORY_SHADOW_SLOT_BASE + index, KVM_MEM_READONLY, shadow,
                        remove ? 0 : shadow->size, "the read shadow", error);
}

bool memory_register_kvm(struct guest_memory *mem, int vm_fd, GError **error)
{
    mem->vm_fd = vm_fd;
    for (unsigned i = 0; i < mem->count; i++) {
        if (!register_slot(mem, i, error)) {
            mem->vm_fd = -1;
            return false;
        }
    }
    for (unsigned i = 0; i < MEMORY_MAX_SHADOWS; i++) {
        if (mem->shadows[i].host && !register_shadow(mem, i, false, error)) {
            mem->vm_fd = -1;
            return false;
        }
    }
    return true;
}

/* The slot holding gpa, or NULL. */
static const struct mem_slot *find_slot(const struct guest_memory *mem, uint64_t gpa)
{
    for (unsigned i = 0; i < mem->count; i++) {
        const struct mem_slot *slot = &mem->slots[i];
        /* gpa - slot->gpa cannot wrap once gpa >= slot->gpa. */
        if (gpa >= slot->gpa && gpa - slot->gpa < slot->size)
            return slot;
    }
    return NULL;
}

void *memory_translate(struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < mem->count; i++) {
        const struct mem_slot *slot = &mem->slots[i];
        if (gpa < slot->gpa)
            continue;
        uint64_t offset = gpa - slot->gpa;
        /* offset == size is allowed only for len 0 (an empty range at the end). */
        if (offset > slot->size || len > slot->size - offset)
            continue;
        return slot->host + offset;
    }
    return NULL;
}

/* Walk [gpa, gpa+len) slot by slot; false before touching anything if a byte is not RAM. */
static bool memory_copy(struct guest_memory *mem, uint64_t gpa, uint8_t *buf, size_t len,
                        bool to_guest)
{
    if (len == 0)
        return true;
    if (gpa + len - 1 < gpa) /* the range wraps past the top of the address space */
        return false;

    /* Check first so a failing copy leaves both sides untouched. */
    for (uint64_t at = gpa, left = len; left;) {
        const struct mem_slot *slot = find_slot(mem, at);
        if (!slot)
            return false;
        uint64_t chunk = MIN(left, slot->size - (at - slot->gpa));
        at += chunk;
        left -= chunk;
    }
    for (uint64_t at = gpa, left = len; left;) {
        const struct mem_slot *slot = find_slot(mem, at);
        uint64_t chunk = MIN(left, slot->size - (at - slot->gpa));
        uint8_t *host = slot->host + (at - slot->gpa);
        if (to_guest)
            memcpy(host, buf, chunk);
        else
            memcpy(buf, host, chunk);
        buf += chunk;
        at += chunk;
        left -= chunk;
    }
    return true;
}

bool memory_read(struct guest_memory *mem, uint64_t gpa, void *buf, size_t len)
{
    return memory_copy(mem, gpa, buf, len, false);
}

bool memory_write(struct guest_memory *mem, uint64_t gpa, const void *buf, size_t len)
{
    /* memory_copy only reads from buf when copying to the guest. */
    return memory_copy(mem, gpa, (uint8_t *)buf, len, true);
}

unsigned memory_slot_count(const struct guest_memory *mem)
{
    return mem->count;
}

const struct mem_slot *memory_slot(const struct guest_memory *mem, unsigned index)
{
    return index < mem->count ? &mem->slots[index] : NULL;
}

uint64_t memory_total(const struct guest_memory *mem)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < mem->count; i++)
        total += mem->slots[i].size;
    return total;
}

static bool ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    /* Written so that a range ending at the top of the address space cannot wrap. */
    return a >= b ? a - b < b_size : b - a < a_size;
}

bool memory_add_shadow(struct guest_memory *mem, uint64_t gpa, uint64_t size, void *host,
                       GError **error)
{
    if (size == 0 || gpa % MEMORY_PAGE_SIZE || size % MEMORY_PAGE_SIZE || gpa + size < gpa ||
        (uintptr_t)host % MEMORY_PAGE_SIZE) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "a read shadow at 0x%" PRIx64 " of size 0x%" PRIx64
                    " must be non-empty, 4 KiB aligned and inside the address space",
                    gpa, size);
        return false;
    }
    for (unsigned i = 0; i < mem->count; i++) {
        if (ranges_overlap(gpa, size, mem->slots[i].gpa, mem->slots[i].size)) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "a read shadow at [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps guest RAM", gpa,
                        gpa + size);
            return false;
        }
    }
    unsigned index = MEMORY_MAX_SHADOWS;
    for (unsigned i = 0; i < MEMORY_MAX_SHADOWS; i++) {
        const struct mem_slot *other = &mem->shadows[i];
        if (!other->host) {
            if (index == MEMORY_MAX_SHADOWS)
                index = i;
        } else if (ranges_overlap(gpa, size, other->gpa, other->size)) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "a read shadow at [0x%" PRIx64 ", 0x%" PRIx64
                        ") overlaps another at 0x%" PRIx64,
                        gpa, gpa + size, other->gpa);
            return false;
        }
    }
    if (index == MEMORY_MAX_SHADOWS) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID, "too many read shadows (at most %d)",
                    MEMORY_MAX_SHADOWS);
        return false;
    }
    mem->shadows[index] = (struct mem_slot){.gpa = gpa, .size = size, .host = host};
    if (mem->vm_fd >= 0 && !register_shadow(mem, index, false, error)) {
        mem->shadows[index] = (struct mem_slot){0};
        return false;
    }
    return true;
}

bool memory_remove_shadow(struct guest_memory *mem, void *host, GError **error)
{
    for (unsigned i = 0; i < MEMORY_MAX_SHADOWS; i++) {
        struct mem_slot *shadow = &mem->shadows[i];
        if (!host || shadow->host != host)
            continue;
        /* KVM returns once no vCPU uses the old memory map any more. */
        if (mem->vm_fd >= 0 && !register_shadow(mem, i, true, error))
            return false;
        *shadow = (struct mem_slot){0};
        return true;
    }
    return true;
}
