/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The test "guest" for virtio devices: see virtio-guest.h. */
#include "config.h"

#include "virtio-guest.h"

#include <check.h>
#include <endian.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "irq.h"
#include "memory.h"
#include "vm.h"

/* ---- machine ---------------------------------------------------------------------------- */

static const char *const virtio_types[] = {"virtio-blk", "virtio-net", "virtio-console",
                                           "virtio-rng", NULL};

static const struct test_machine_config virtio_machine = {
    .board = "name: virtiotest\n"
             "arch: x86_64\n"
             "cpus: 1\n"
             "memory: 16M\n"
             "boot:\n"
             "  kernel: kernel.bin\n",
    .types = virtio_types,
    .io_thread = true,
};

struct test_machine *virtio_machine_new(void)
{
    return machine_new(&virtio_machine);
}

/* ---- registers -------------------------------------------------------------------------- */

void guest_attach(struct guest *g, struct test_machine *m, uint64_t base, int irq)
{
    memset(g, 0, sizeof(*g));
    g->m = m;
    g->base = base;
    g->irq = irq;
    g->ram = memory_translate(m->vm->mem, 0, GUEST_RAM_SIZE);
    ck_assert(g->ram != NULL);
    g->heap = 1u << 20;
}

uint32_t reg_read(struct guest *g, uint64_t offset)
{
    return (uint32_t)bus_read(g->m->vm->mmio, g->base + offset, 4);
}

void reg_write(struct guest *g, uint64_t offset, uint32_t value)
{
    bus_write(g->m->vm->mmio, g->base + offset, value, 4);
}

uint8_t config_read8(struct guest *g, unsigned offset)
{
    return (uint8_t)bus_read(g->m->vm->mmio, g->base + VQ_REG_CONFIG + offset, 1);
}

uint32_t config_read32(struct guest *g, unsigned offset)
{
    return (uint32_t)bus_read(g->m->vm->mmio, g->base + VQ_REG_CONFIG + offset, 4);
}

uint64_t config_read64(struct guest *g, unsigned offset)
{
    /* As Linux does: two halves, checked against the generation. */
    uint32_t before, after;
    uint64_t value;
    do {
        before = reg_read(g, VQ_REG_CONFIG_GENERATION);
        value = config_read32(g, offset) | (uint64_t)config_read32(g, offset + 4) << 32;
        after = reg_read(g, VQ_REG_CONFIG_GENERATION);
    } while (before != after);
    return value;
}

uint64_t device_features(struct guest *g)
{
    reg_write(g, VQ_REG_DEVICE_FEATURES_SEL, 0);
    uint64_t low = reg_read(g, VQ_REG_DEVICE_FEATURES);
    reg_write(g, VQ_REG_DEVICE_FEATURES_SEL, 1);
    uint64_t high = reg_read(g, VQ_REG_DEVICE_FEATURES);
    return low | high << 32;
}

uint32_t guest_negotiate(struct guest *g, uint64_t wanted)
{
    reg_write(g, VQ_REG_STATUS, 0);
    reg_write(g, VQ_REG_STATUS, ST_ACKNOWLEDGE);
    reg_write(g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
    uint64_t accept = device_features(g) & wanted;
    reg_write(g, VQ_REG_DRIVER_FEATURES_SEL, 0);
    reg_write(g, VQ_REG_DRIVER_FEATURES, (uint32_t)accept);
    reg_write(g, VQ_REG_DRIVER_FEATURES_SEL, 1);
    reg_write(g, VQ_REG_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    reg_write(g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    g->features = accept;
    return reg_read(g, VQ_REG_STATUS);
}

uint64_t guest_alloc(struct guest *g, uint64_t size, uint64_t align)
{
    uint64_t at = (g->heap + align - 1) & ~(align - 1);
    ck_assert_msg(at + size <= GUEST_RAM_SIZE, "test guest ran out of RAM");
    g->heap = at + size;
    memset(g->ram + at, 0, size);
    return at;
}

void *gpa_ptr(struct guest *g, uint64_t gpa)
{
    ck_assert(gpa < GUEST_RAM_SIZE);
    return g->ram + gpa;
}

bool guest_setup_queue(struct guest *g, unsigned q, uint16_t size)
{
    struct guest_queue *queue = &g->q[q];

    queue->size = size;
    queue->desc = guest_alloc(g, 16u * size, 4096);
    queue->avail = guest_alloc(g, 6u + 2u * size, 4096);
    queue->used = guest_alloc(g, 6u + 8u * size, 4096);
    queue->avail_idx = queue->used_seen = queue->next_desc = 0;
    reg_write(g, VQ_REG_QUEUE_SEL, q);
    ck_assert_uint_ge(reg_read(g, VQ_REG_QUEUE_NUM_MAX), size);
    reg_write(g, VQ_REG_QUEUE_NUM, size);
    reg_write(g, VQ_REG_QUEUE_DESC_LOW, (uint32_t)queue->desc);
    reg_write(g, VQ_REG_QUEUE_DESC_HIGH, (uint32_t)(queue->desc >> 32));
    reg_write(g, VQ_REG_QUEUE_DRIVER_LOW, (uint32_t)queue->avail);
    reg_write(g, VQ_REG_QUEUE_DRIVER_HIGH, (uint32_t)(queue->avail >> 32));
    reg_write(g, VQ_REG_QUEUE_DEVICE_LOW, (uint32_t)queue->used);
    reg_write(g, VQ_REG_QUEUE_DEVICE_HIGH, (uint32_t)(queue->used >> 32));
    reg_write(g, VQ_REG_QUEUE_READY, 1);
    return reg_read(g, VQ_REG_QUEUE_READY) == 1;
}

void guest_start(struct guest *g, uint64_t wanted, unsigned queues, uint16_t size)
{
    uint32_t status = guest_negotiate(g, wanted | FBIT(F_VERSION_1));
    ck_assert_msg(status & ST_FEATURES_OK, "device refused features (status 0x%x)", status);
    for (unsigned q = 0; q < queues; q++)
        ck_assert_msg(guest_setup_queue(g, q, size), "queue %u not ready", q);
    reg_write(g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    ck_assert_uint_eq(reg_read(g, VQ_REG_STATUS),
                      ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

/* ---- rings ------------------------------------------------------------------------------ */

static void store16(struct guest *g, uint64_t gpa, uint16_t value)
{
    __atomic_store_n((uint16_t *)gpa_ptr(g, gpa), htole16(value), __ATOMIC_RELEASE);
}

static uint16_t load16(struct guest *g, uint64_t gpa)
{
    return le16toh(__atomic_load_n((uint16_t *)gpa_ptr(g, gpa), __ATOMIC_ACQUIRE));
}

void put_desc(struct guest *g, uint64_t table, unsigned index, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next)
{
    uint8_t *d = gpa_ptr(g, table + 16ull * index);
    uint64_t a = htole64(addr);
    uint32_t l = htole32(len);
    uint16_t f = htole16(flags), n = htole16(next);
    memcpy(d, &a, 8);
    memcpy(d + 8, &l, 4);
    memcpy(d + 12, &f, 2);
    memcpy(d + 14, &n, 2);
}

void guest_publish(struct guest *g, unsigned q, uint16_t head)
{
    struct guest_queue *queue = &g->q[q];
    store16(g, queue->avail + 4 + 2u * (queue->avail_idx % queue->size), head);
    queue->avail_idx++;
    store16(g, queue->avail + 2, queue->avail_idx);
}

void guest_set_avail_idx(struct guest *g, unsigned q, uint16_t idx)
{
    g->q[q].avail_idx = idx;
    store16(g, g->q[q].avail + 2, idx);
}

uint16_t guest_add_chain(struct guest *g, unsigned q, const struct seg *segs, unsigned count)
{
    struct guest_queue *queue = &g->q[q];
    uint16_t head = queue->next_desc;

    for (unsigned i = 0; i < count; i++) {
        uint16_t index = (uint16_t)((head + i) % queue->size);
        uint16_t next = (uint16_t)((head + i + 1) % queue->size);
        uint16_t flags = (segs[i].write ? D_WRITE : 0) | (i + 1 < count ? D_NEXT : 0);
        put_desc(g, queue->desc, index, segs[i].gpa, segs[i].len, flags, next);
    }
    queue->next_desc = (uint16_t)((head + count) % queue->size);
    guest_publish(g, q, head);
    return head;
}

uint16_t guest_add_indirect(struct guest *g, unsigned q, const struct seg *segs, unsigned count)
{
    struct guest_queue *queue = &g->q[q];
    uint64_t table = guest_alloc(g, 16u * count, 16);
    uint16_t head = queue->next_desc;

    for (unsigned i = 0; i < count; i++) {
        uint16_t flags = (segs[i].write ? D_WRITE : 0) | (i + 1 < count ? D_NEXT : 0);
        put_desc(g, table, i, segs[i].gpa, segs[i].len, flags, (uint16_t)(i + 1));
    }
    put_desc(g, queue->desc, head, table, 16u * count, D_INDIRECT, 0);
    queue->next_desc = (uint16_t)((head + 1) % queue->size);
    guest_publish(g, q, head);
    return head;
}

void guest_kick(struct guest *g, unsigned q)
{
    reg_write(g, VQ_REG_QUEUE_NOTIFY, q);
}

uint16_t guest_used_idx(struct guest *g, unsigned q)
{
    return load16(g, g->q[q].used + 2);
}

bool guest_wait_used(struct guest *g, unsigned q, struct used *out, unsigned timeout_ms)
{
    struct guest_queue *queue = &g->q[q];
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (guest_used_idx(g, q) == queue->used_seen) {
        if (g_get_monotonic_time() > deadline)
            return false;
        g_usleep(200);
    }
    const uint8_t *elem = gpa_ptr(g, queue->used + 4 + 8u * (queue->used_seen % queue->size));
    uint32_t id, len;
    memcpy(&id, elem, 4);
    memcpy(&len, elem + 4, 4);
    out->id = le32toh(id);
    out->len = le32toh(len);
    queue->used_seen++;
    return true;
}

void guest_set_avail_flags(struct guest *g, unsigned q, uint16_t flags)
{
    store16(g, g->q[q].avail, flags);
}

void guest_set_used_event(struct guest *g, unsigned q, uint16_t value)
{
    store16(g, g->q[q].avail + 4 + 2u * g->q[q].size, value);
}

uint16_t guest_avail_event(struct guest *g, unsigned q)
{
    return load16(g, g->q[q].used + 4 + 8u * g->q[q].size);
}

uint16_t guest_used_flags(struct guest *g, unsigned q)
{
    return load16(g, g->q[q].used);
}

/* ---- interrupts and status -------------------------------------------------------------- */

bool guest_wait_irq(struct guest *g, int level, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (irq_level(g->m->vm, (unsigned)g->irq) != level) {
        if (g_get_monotonic_time() > deadline)
            return false;
        g_usleep(200);
    }
    return true;
}

void guest_eoi(struct guest *g)
{
    devices_irq_acknowledge(g->m->vm, (unsigned)g->irq);
}

bool guest_wait_status(struct guest *g, uint32_t bits, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while ((reg_read(g, VQ_REG_STATUS) & bits) != bits) {
        if (g_get_monotonic_time() > deadline)
            return false;
        g_usleep(200);
    }
    return true;
}
