/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A virtio-mmio "driver" for tests: it plays the guest on a VM without KVM. It lays out split
 * virtqueues in the VM's plain RAM, speaks the register protocol through the real MMIO bus
 * (bus_read/bus_write, as a vCPU exit would), and plays the interrupt controller's end of
 * interrupt. The devices under test are the real plugins, loaded from $VMBOARD_PLUGIN_PATH.
 */
#ifndef TESTS_VIRTIO_GUEST_H
#define TESTS_VIRTIO_GUEST_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "test-machine.h"

/* Register offsets and bits, written out from the virtio 1.x spec (4.2.2, 2.1). */
enum {
    VQ_REG_MAGIC = 0x000,
    VQ_REG_VERSION = 0x004,
    VQ_REG_DEVICE_ID = 0x008,
    VQ_REG_VENDOR_ID = 0x00c,
    VQ_REG_DEVICE_FEATURES = 0x010,
    VQ_REG_DEVICE_FEATURES_SEL = 0x014,
    VQ_REG_DRIVER_FEATURES = 0x020,
    VQ_REG_DRIVER_FEATURES_SEL = 0x024,
    VQ_REG_QUEUE_SEL = 0x030,
    VQ_REG_QUEUE_NUM_MAX = 0x034,
    VQ_REG_QUEUE_NUM = 0x038,
    VQ_REG_QUEUE_READY = 0x044,
    VQ_REG_QUEUE_NOTIFY = 0x050,
    VQ_REG_INTERRUPT_STATUS = 0x060,
    VQ_REG_INTERRUPT_ACK = 0x064,
    VQ_REG_STATUS = 0x070,
    VQ_REG_QUEUE_DESC_LOW = 0x080,
    VQ_REG_QUEUE_DESC_HIGH = 0x084,
    VQ_REG_QUEUE_DRIVER_LOW = 0x090,
    VQ_REG_QUEUE_DRIVER_HIGH = 0x094,
    VQ_REG_QUEUE_DEVICE_LOW = 0x0a0,
    VQ_REG_QUEUE_DEVICE_HIGH = 0x0a4,
    VQ_REG_SHM_LEN_LOW = 0x0b0,
    VQ_REG_CONFIG_GENERATION = 0x0fc,
    VQ_REG_CONFIG = 0x100,
};

#define ST_ACKNOWLEDGE 1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 64
#define ST_FAILED      128

#define F_INDIRECT_DESC 28
#define F_EVENT_IDX     29
#define F_VERSION_1     32
#define FBIT(n)         (UINT64_C(1) << (n))

#define D_NEXT     1
#define D_WRITE    2
#define D_INDIRECT 4

#define GUEST_RAM_SIZE (16u << 20)

struct guest_queue {
    uint16_t size;
    uint64_t desc, avail, used; /* guest-physical */
    uint16_t avail_idx;         /* next available index we publish */
    uint16_t used_seen;         /* used entries we have consumed */
    uint16_t next_desc;         /* round-robin descriptor slot */
};

struct guest {
    struct test_machine *m;
    uint64_t base;
    int irq;
    uint8_t *ram;
    uint64_t heap; /* bump allocator in guest RAM */
    uint64_t features;
    struct guest_queue q[4];
};

struct seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

struct used {
    uint32_t id;
    uint32_t len;
};

/* A machine (test-machine.h) that loads the virtio plugins and runs the I/O thread once the
 * devices exist (irqfd emulation and consoles need it). */
struct test_machine *virtio_machine_new(void);

/* Driver side. */
void guest_attach(struct guest *g, struct test_machine *m, uint64_t base, int irq);
uint32_t reg_read(struct guest *g, uint64_t offset);
void reg_write(struct guest *g, uint64_t offset, uint32_t value);
uint8_t config_read8(struct guest *g, unsigned offset);
uint32_t config_read32(struct guest *g, unsigned offset);
uint64_t config_read64(struct guest *g, unsigned offset);
uint64_t device_features(struct guest *g);
/* ACKNOWLEDGE, DRIVER, negotiate (offered & wanted), FEATURES_OK; returns the status read
 * back (FEATURES_OK set only if the device took the features). */
uint32_t guest_negotiate(struct guest *g, uint64_t wanted);
/* Lay out queue q with `size` entries in guest RAM and enable it; returns QueueReady. */
bool guest_setup_queue(struct guest *g, unsigned q, uint16_t size);
/* Negotiate, set up `queues` queues of `size`, set DRIVER_OK. */
void guest_start(struct guest *g, uint64_t wanted, unsigned queues, uint16_t size);

uint64_t guest_alloc(struct guest *g, uint64_t size, uint64_t align);
void *gpa_ptr(struct guest *g, uint64_t gpa);

/* Descriptors and rings, written as a driver would (little-endian). */
void put_desc(struct guest *g, uint64_t table, unsigned index, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next);
/* Put a chain in the descriptor table and publish it; returns the head. */
uint16_t guest_add_chain(struct guest *g, unsigned q, const struct seg *segs, unsigned count);
/* The same chain through one indirect descriptor. */
uint16_t guest_add_indirect(struct guest *g, unsigned q, const struct seg *segs, unsigned count);
/* Publish head (avail ring entry and index) without touching descriptors. */
void guest_publish(struct guest *g, unsigned q, uint16_t head);
void guest_set_avail_idx(struct guest *g, unsigned q, uint16_t idx);
void guest_kick(struct guest *g, unsigned q);
/* Wait up to timeout_ms for the next used entry of q. */
bool guest_wait_used(struct guest *g, unsigned q, struct used *out, unsigned timeout_ms);
uint16_t guest_used_idx(struct guest *g, unsigned q);
void guest_set_avail_flags(struct guest *g, unsigned q, uint16_t flags);
void guest_set_used_event(struct guest *g, unsigned q, uint16_t value);
uint16_t guest_avail_event(struct guest *g, unsigned q);
uint16_t guest_used_flags(struct guest *g, unsigned q);

/* Interrupt line and end of interrupt. */
bool guest_wait_irq(struct guest *g, int level, unsigned timeout_ms);
void guest_eoi(struct guest *g);

/* Wait until status has all `bits`. */
bool guest_wait_status(struct guest *g, uint32_t bits, unsigned timeout_ms);

#endif
