/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio plugin (transport, virtio-blk, virtio-console, virtio-rng) and the host's
 * eventfd fast paths, driven by a test driver that plays the guest on a VM without KVM: rings
 * in the VM's plain RAM, registers through the real MMIO bus, the real plugin loaded from
 * $VMBOARD_PLUGIN_PATH. virtio-net has its own suite (test-virtio-net.c): it needs a TAP.
 */
#include "config.h"

#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "device.h"
#include "irq.h"
#include "virtio-guest.h"
#include "vm.h"

#define BLK_BASE 0xd0000000ull
#define BLK_IRQ  5
#define RNG_BASE 0xd0001000ull
#define RNG_IRQ  6
#define CON_BASE 0xd0002000ull
#define CON_IRQ  7

#define IMAGE_SECTORS 2048 /* 1 MiB */
#define SECTOR        512

/* virtio-blk (5.2) */
#define BLK_F_RO           5
#define BLK_F_BLK_SIZE     6
#define BLK_F_FLUSH        9
#define BLK_F_DISCARD      13
#define BLK_F_WRITE_ZEROES 14
#define T_IN               0
#define T_OUT              1
#define T_FLUSH            4
#define T_GET_ID           8
#define T_DISCARD          11
#define T_WRITE_ZEROES     13
#define S_OK               0
#define S_IOERR            1
#define S_UNSUPP           2

#define WAIT_MS 5000

/* ---- helpers ---------------------------------------------------------------------------- */

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 9));
}

/* A 1 MiB image filled with a known pattern; returns its path (g_free). */
static char *make_image(struct test_machine *m, const char *name)
{
    char *path = machine_path(m, name);
    size_t len = IMAGE_SECTORS * SECTOR;
    uint8_t *data = g_malloc(len);
    fill_pattern(data, len, 1);
    ck_assert(g_file_set_contents(path, (const char *)data, (gssize)len, NULL));
    g_free(data);
    return path;
}

static uint8_t *read_image(const char *path, size_t *len)
{
    char *contents = NULL;
    gsize size = 0;
    ck_assert(g_file_get_contents(path, &contents, &size, NULL));
    *len = size;
    return (uint8_t *)contents;
}

static void start_blk(struct test_machine *m, const char *image, const char *extra)
{
    char *yaml = g_strdup_printf("  - type: virtio-blk\n"
                                 "    id: disk0\n"
                                 "    mmio: 0xd0000000\n"
                                 "    irq: 5\n"
                                 "    image: %s\n"
                                 "%s",
                                 image, extra ? extra : "");
    machine_start(m, yaml);
    g_free(yaml);
}

struct blk_request {
    uint64_t header, data, status;
};

/* Header + data + status in guest RAM; type IN makes the data device-writable. */
static struct blk_request blk_prepare(struct guest *g, uint32_t type, uint64_t sector,
                                      uint32_t data_len)
{
    struct blk_request r;
    r.header = guest_alloc(g, 16, 16);
    r.data = data_len ? guest_alloc(g, data_len, 512) : 0;
    r.status = guest_alloc(g, 1, 1);
    uint8_t *h = gpa_ptr(g, r.header);
    uint32_t t = htole32(type);
    uint64_t s = htole64(sector);
    memcpy(h, &t, 4);
    memset(h + 4, 0, 4);
    memcpy(h + 8, &s, 8);
    *(uint8_t *)gpa_ptr(g, r.status) = 0xee; /* the device must overwrite it */
    return r;
}

static uint16_t blk_submit(struct guest *g, const struct blk_request *r, uint32_t data_len,
                           bool device_writes)
{
    struct seg segs[3] = {{r->header, 16, false}};
    unsigned n = 1;
    if (data_len)
        segs[n++] = (struct seg){r->data, data_len, device_writes};
    segs[n++] = (struct seg){r->status, 1, true};
    return guest_add_chain(g, 0, segs, n);
}

/* One request, start to finish: returns the status byte. */
static uint8_t blk_do(struct guest *g, uint32_t type, uint64_t sector, uint64_t data_gpa,
                      uint32_t data_len, struct used *used)
{
    struct blk_request r = blk_prepare(g, type, sector, 0);
    r.data = data_gpa;
    struct seg segs[3] = {{r.header, 16, false}};
    unsigned n = 1;
    if (data_len)
        segs[n++] = (struct seg){data_gpa, data_len, type == T_IN || type == T_GET_ID};
    segs[n++] = (struct seg){r.status, 1, true};
    uint16_t head = guest_add_chain(g, 0, segs, n);
    guest_kick(g, 0);
    struct used u;
    ck_assert_msg(guest_wait_used(g, 0, &u, WAIT_MS), "request type %u not completed", type);
    ck_assert_uint_eq(u.id, head);
    if (used)
        *used = u;
    return *(uint8_t *)gpa_ptr(g, r.status);
}

static void blk_guest(struct guest *g, struct test_machine *m, uint64_t features)
{
    guest_attach(g, m, BLK_BASE, BLK_IRQ);
    guest_start(g, features, 1, 128);
}

/* A machine with one virtio-blk device on a fresh image (make_image; extra: more YAML keys or
 * NULL) and the guest attached to it, not yet initialised. */
static struct test_machine *blk_machine_new(struct guest *g, char **image, const char *extra)
{
    struct test_machine *m = virtio_machine_new();
    *image = make_image(m, "disk.img");
    start_blk(m, *image, extra);
    guest_attach(g, m, BLK_BASE, BLK_IRQ);
    return m;
}

/* The same with the device initialised as blk_guest does. */
static struct test_machine *blk_machine_started(struct guest *g, char **image, const char *extra,
                                                uint64_t features)
{
    struct test_machine *m = blk_machine_new(g, image, extra);
    guest_start(g, features, 1, 128);
    return m;
}

static void blk_machine_free(struct test_machine *m, char *image)
{
    g_free(image);
    machine_free(m);
}

#define ALL_BLK_FEATURES                                                                           \
    (FBIT(BLK_F_FLUSH) | FBIT(BLK_F_DISCARD) | FBIT(BLK_F_WRITE_ZEROES) | FBIT(BLK_F_BLK_SIZE) |   \
     FBIT(F_EVENT_IDX) | FBIT(F_INDIRECT_DESC))

/* ---- transport -------------------------------------------------------------------------- */

/* The driver's acknowledgement reaches the device through an eventfd: wait until it is
 * applied (the worker thread does it within microseconds). */
static bool wait_interrupt_status(struct guest *g, uint32_t value)
{
    for (int waited = 0; waited < WAIT_MS; waited++) {
        if (reg_read(g, VQ_REG_INTERRUPT_STATUS) == value)
            return true;
        g_usleep(1000);
    }
    return false;
}

START_TEST(transport_identity_registers)
{
    struct test_machine *m = virtio_machine_new();
    char *image = make_image(m, "disk.img");
    char *yaml = g_strdup_printf("  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, "
                                 "image: %s}\n"
                                 "  - {type: virtio-rng, id: rng0, mmio: 0xd0001000, irq: 6}\n"
                                 "  - {type: virtio-console, id: con0, mmio: 0xd0002000, irq: 7, "
                                 "console: none}\n",
                                 image);
    machine_start(m, yaml);
    static const struct {
        uint64_t base;
        uint32_t id;
        uint32_t queue_max;
    } devices[] = {{BLK_BASE, 2, 256}, {RNG_BASE, 4, 64}, {CON_BASE, 3, 64}};

    for (size_t i = 0; i < G_N_ELEMENTS(devices); i++) {
        struct guest g;
        guest_attach(&g, m, devices[i].base, 0);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_MAGIC), 0x74726976);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_VERSION), 2);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_DEVICE_ID), devices[i].id);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_VENDOR_ID), 0x44424d56);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS), 0);
        uint64_t features = device_features(&g);
        ck_assert(features & FBIT(F_VERSION_1));
        ck_assert(features & FBIT(F_EVENT_IDX));
        ck_assert(features & FBIT(F_INDIRECT_DESC));
        reg_write(&g, VQ_REG_QUEUE_SEL, 0);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_NUM_MAX), devices[i].queue_max);
        reg_write(&g, VQ_REG_QUEUE_SEL, 3); /* no such queue */
        ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_NUM_MAX), 0);
        ck_assert_uint_eq(reg_read(&g, VQ_REG_SHM_LEN_LOW), 0xffffffff); /* no shared memory */
        /* The guest reads the registers from the read shadow, as memory: a byte read of
         * the magic gives its first byte (transport_read_shadow_off traps it instead). */
        ck_assert_uint_eq(bus_read(m->vm->mmio, devices[i].base, 1), 'v');
    }

    /* virtio-blk config: capacity in sectors, 64-bit, read in halves; byte access works. */
    struct guest g;
    guest_attach(&g, m, BLK_BASE, BLK_IRQ);
    ck_assert_uint_eq(config_read64(&g, 0), IMAGE_SECTORS);
    ck_assert_uint_eq(config_read8(&g, 1), IMAGE_SECTORS >> 8);
    ck_assert_uint_eq(config_read32(&g, 20), 512); /* blk_size */
    ck_assert_uint_eq(config_read32(&g, 12), 254); /* seg_max */
    /* Beyond the config space: reads 0, no crash. */
    ck_assert_uint_eq(config_read32(&g, 0x100 - 4), 0);
    g_free(yaml);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(transport_feature_negotiation)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_new(&g, &image, NULL);

    /* A legacy driver (no VIRTIO_F_VERSION_1) finds FEATURES_OK refused. */
    uint32_t status = guest_negotiate(&g, FBIT(BLK_F_FLUSH));
    ck_assert_uint_eq(status & ST_FEATURES_OK, 0);
    ck_assert_uint_eq(status, ST_ACKNOWLEDGE | ST_DRIVER);
    /* So is DRIVER_OK without FEATURES_OK. */
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_DRIVER_OK);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS) & ST_DRIVER_OK, 0);

    /* A feature the device did not offer is refused too (bit 40 is nothing we offer). */
    reg_write(&g, VQ_REG_STATUS, 0);
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
    reg_write(&g, VQ_REG_DRIVER_FEATURES_SEL, 1);
    reg_write(&g, VQ_REG_DRIVER_FEATURES, 1u | (1u << 8));
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS) & ST_FEATURES_OK, 0);

    /* A modern driver gets FEATURES_OK; the features stick. */
    status = guest_negotiate(&g, FBIT(F_VERSION_1) | FBIT(BLK_F_FLUSH));
    ck_assert_uint_eq(status, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    /* Feature writes after FEATURES_OK are ignored: status stays. */
    reg_write(&g, VQ_REG_DRIVER_FEATURES_SEL, 0);
    reg_write(&g, VQ_REG_DRIVER_FEATURES, 0xffffffff);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS), ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    /* Clearing status bits without a reset is ignored. */
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS), ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(transport_queue_setup_rules)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_new(&g, &image, NULL);

    /* QueueReady before FEATURES_OK: ignored. */
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
    ck_assert(!guest_setup_queue(&g, 0, 8));

    ck_assert(guest_negotiate(&g, FBIT(F_VERSION_1)) & ST_FEATURES_OK);
    /* Size not a power of two. */
    ck_assert(!guest_setup_queue(&g, 0, 12));
    /* Misaligned descriptor table. */
    reg_write(&g, VQ_REG_QUEUE_SEL, 0);
    reg_write(&g, VQ_REG_QUEUE_NUM, 8);
    reg_write(&g, VQ_REG_QUEUE_DESC_LOW, 0x100008);
    reg_write(&g, VQ_REG_QUEUE_DRIVER_LOW, 0x200000);
    reg_write(&g, VQ_REG_QUEUE_DEVICE_LOW, 0x300000);
    reg_write(&g, VQ_REG_QUEUE_READY, 1);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_READY), 0);
    /* Used ring outside guest RAM (RAM is 16 MiB at 0). */
    reg_write(&g, VQ_REG_QUEUE_DESC_LOW, 0x100000);
    reg_write(&g, VQ_REG_QUEUE_DEVICE_LOW, 0xfffff000);
    reg_write(&g, VQ_REG_QUEUE_READY, 1);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_READY), 0);
    /* Straddling the end of RAM. */
    reg_write(&g, VQ_REG_QUEUE_DEVICE_LOW, GUEST_RAM_SIZE - 16);
    reg_write(&g, VQ_REG_QUEUE_READY, 1);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_READY), 0);
    /* 64-bit address above 4 GiB. */
    reg_write(&g, VQ_REG_QUEUE_DEVICE_LOW, 0x300000);
    reg_write(&g, VQ_REG_QUEUE_DEVICE_HIGH, 1);
    reg_write(&g, VQ_REG_QUEUE_READY, 1);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_READY), 0);
    /* A good layout is taken, and then the queue's registers are frozen. */
    ck_assert(guest_setup_queue(&g, 0, 8));
    reg_write(&g, VQ_REG_QUEUE_DESC_LOW, 0xfffff000);
    reg_write(&g, VQ_REG_QUEUE_READY, 0); /* disabling is allowed */
    ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_READY), 0);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(transport_reset_clears_everything)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES);

    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 1);

    reg_write(&g, VQ_REG_STATUS, 0);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS), 0);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 0);
    reg_write(&g, VQ_REG_QUEUE_SEL, 0);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_QUEUE_READY), 0);
    guest_eoi(&g); /* the line drops at the end of interrupt and is not raised again */
    ck_assert(guest_wait_irq(&g, 0, WAIT_MS));
    g_usleep(20000);
    ck_assert_int_eq(irq_level(m->vm, BLK_IRQ), 0);

    /* The device works again after a fresh initialisation. */
    blk_guest(&g, m, ALL_BLK_FEATURES);
    ck_assert_uint_eq(blk_do(&g, T_IN, 1, data, SECTOR, NULL), S_OK);
    uint8_t expect[SECTOR * 2];
    fill_pattern(expect, sizeof(expect), 1);
    ck_assert_mem_eq(gpa_ptr(&g, data), expect + SECTOR, SECTOR);
    blk_machine_free(m, image);
}
END_TEST

/* The irqfd path: the line is level, lowered at end of interrupt, raised again while the
 * interrupt status is not acknowledged. */
START_TEST(transport_interrupt_level_through_irqfd)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES);

    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    ck_assert_int_eq(irq_level(m->vm, BLK_IRQ), 0);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 1);

    /* End of interrupt without acknowledging: resampled, raised again. */
    guest_eoi(&g);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    ck_assert_uint_ge(irq_raise_count(m->vm, BLK_IRQ), 2);

    /* Acknowledge, then end of interrupt: stays low. The acknowledgement goes through an
     * ioeventfd, so InterruptStatus clears once the worker has applied it. */
    reg_write(&g, VQ_REG_INTERRUPT_ACK, 1);
    guest_eoi(&g);
    ck_assert(wait_interrupt_status(&g, 0));
    ck_assert(guest_wait_irq(&g, 0, WAIT_MS));
    g_usleep(20000);
    ck_assert_int_eq(irq_level(m->vm, BLK_IRQ), 0);
    blk_machine_free(m, image);
}
END_TEST

/* Without irqfd the device drives the line itself: up at completion, down at acknowledge. */
START_TEST(transport_interrupt_level_without_irqfd)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_started(
        &g, &image, "    irqfd: false\n    ioeventfd: false\n", ALL_BLK_FEATURES);

    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 1);
    reg_write(&g, VQ_REG_INTERRUPT_ACK, 1);
    ck_assert_int_eq(irq_level(m->vm, BLK_IRQ), 0);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(transport_event_index)
{
    struct guest g;
    char *image;
    struct test_machine *m =
        blk_machine_started(&g, &image, "    irqfd: false\n", ALL_BLK_FEATURES);
    ck_assert(g.features & FBIT(F_EVENT_IDX));
    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);

    /* First completion always interrupts. */
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    reg_write(&g, VQ_REG_INTERRUPT_ACK, 1);
    /* The device asks to be notified at the next available entry. */
    ck_assert_uint_eq(guest_avail_event(&g, 0), 1);

    /* used_event far ahead: completions come without interrupts. */
    guest_set_used_event(&g, 0, 100);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(blk_do(&g, T_IN, (uint64_t)i, data, SECTOR, NULL), S_OK);
    g_usleep(20000);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 0);
    ck_assert_int_eq(irq_level(m->vm, BLK_IRQ), 0);
    ck_assert_uint_eq(guest_avail_event(&g, 0), 4);

    /* used_event at the next used index: that completion interrupts. */
    guest_set_used_event(&g, 0, 4);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 1);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(transport_no_interrupt_flag)
{
    struct guest g;
    char *image;
    /* No event index: the flags are used. */
    struct test_machine *m =
        blk_machine_started(&g, &image, "    irqfd: false\n", FBIT(BLK_F_FLUSH));
    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);

    guest_set_avail_flags(&g, 0, 1); /* VIRTQ_AVAIL_F_NO_INTERRUPT */
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    g_usleep(20000);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 0);
    ck_assert_uint_eq(guest_used_flags(&g, 0), 0); /* notifications on again after draining */
    guest_set_avail_flags(&g, 0, 0);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    blk_machine_free(m, image);
}
END_TEST

START_TEST(transport_notify_before_driver_ok)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_new(&g, &image, NULL);
    ck_assert(guest_negotiate(&g, FBIT(F_VERSION_1)) & ST_FEATURES_OK);
    ck_assert(guest_setup_queue(&g, 0, 16));

    /* Buffers added before DRIVER_OK without a notification are legal: DRIVER_OK serves them. */
    struct blk_request early = blk_prepare(&g, T_IN, 0, SECTOR);
    blk_submit(&g, &early, SECTOR, true);
    g_usleep(20000);
    ck_assert_uint_eq(guest_used_idx(&g, 0), 0);
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    struct used u;
    ck_assert(guest_wait_used(&g, 0, &u, WAIT_MS));
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(&g, early.status), S_OK);
    uint8_t expect[SECTOR];
    fill_pattern(expect, sizeof(expect), 1);
    ck_assert_mem_eq(gpa_ptr(&g, early.data), expect, SECTOR);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS) & ST_NEEDS_RESET, 0);
    reg_write(&g, VQ_REG_INTERRUPT_ACK, reg_read(&g, VQ_REG_INTERRUPT_STATUS));

    /* A notification before DRIVER_OK breaks the rules (virtio 1.x, 3.1.1): the device
     * needs a reset; no interrupt yet, since the driver is not listening. */
    reg_write(&g, VQ_REG_STATUS, 0);
    ck_assert(guest_negotiate(&g, FBIT(F_VERSION_1)) & ST_FEATURES_OK);
    ck_assert(guest_setup_queue(&g, 0, 16));
    struct blk_request r = blk_prepare(&g, T_IN, 0, SECTOR);
    memset(gpa_ptr(&g, r.data), 0x5a, SECTOR);
    blk_submit(&g, &r, SECTOR, true);
    guest_kick(&g, 0);
    ck_assert(guest_wait_status(&g, ST_NEEDS_RESET, WAIT_MS));
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 0);
    ck_assert_uint_eq(guest_used_idx(&g, 0), 0);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(&g, r.status), 0xee);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(&g, r.data), 0x5a);

    /* DRIVER_OK now brings the configuration change interrupt, and the request stays unserved. */
    reg_write(&g, VQ_REG_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    ck_assert(reg_read(&g, VQ_REG_STATUS) & ST_DRIVER_OK);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_INTERRUPT_STATUS), 2);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));
    g_usleep(20000);
    ck_assert_uint_eq(guest_used_idx(&g, 0), 0);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(&g, r.status), 0xee);

    /* A reset brings it back. */
    reg_write(&g, VQ_REG_STATUS, 0);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS), 0);
    guest_start(&g, FBIT(F_VERSION_1), 1, 16);
    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert_mem_eq(gpa_ptr(&g, data), expect, SECTOR);
    blk_machine_free(m, image);
}
END_TEST

/* ---- host eventfd API ------------------------------------------------------------------- */

static vmb_device *find_device(struct test_machine *m, const char *id)
{
    for (guint i = 0; i < m->vm->devices->len; i++) {
        vmb_device *dev = m->vm->devices->pdata[i];
        if (strcmp(device_host_api.device_id(dev), id) == 0)
            return dev;
    }
    ck_abort_msg("no device %s", id);
    return NULL;
}

static uint64_t eventfd_count(int fd)
{
    uint64_t count = 0;
    if (read(fd, &count, sizeof(count)) != sizeof(count))
        return 0;
    return count;
}

/* A virtio-rng device without the transport's own eventfds, so the test owns the notify
 * register and the interrupt line. */
/* Every 32-bit register and config word of two devices, one read from its shadow and one
 * through its read handler, must agree. */
static void assert_same_registers(struct guest *shadowed, struct guest *trapped, const char *when)
{
    for (uint64_t offset = 0; offset < 0x200; offset += 4) {
        uint32_t a = reg_read(shadowed, offset), b = reg_read(trapped, offset);
        ck_assert_msg(a == b, "%s: register 0x%03x reads 0x%x from the shadow, 0x%x trapped", when,
                      (unsigned)offset, a, b);
    }
}

/* The read shadow is a copy of what the read handler gives, through the whole life of the
 * device: identity, feature and queue selectors, queue set-up, interrupts, a device that
 * needs a reset, and reset. The same driver steps go to a device with read-shadow: false. */
START_TEST(transport_read_shadow_matches_registers)
{
    struct test_machine *m = virtio_machine_new();
    char *image0 = make_image(m, "disk0.img"), *image1 = make_image(m, "disk1.img");
    char *yaml =
        g_strdup_printf("  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, image: %s}\n"
                        "  - {type: virtio-blk, id: disk1, mmio: 0xd0001000, irq: 6, image: %s, "
                        "read-shadow: false}\n",
                        image0, image1);
    machine_start(m, yaml);
    struct guest gs, gt;
    guest_attach(&gs, m, 0xd0000000, 5);
    guest_attach(&gt, m, 0xd0001000, 6);
    gt.heap = 8u << 20; /* the two drivers share guest RAM */
    /* The shadowed device's byte reads come from memory; the other's trap and read 0. */
    ck_assert_uint_eq(bus_read(m->vm->mmio, gs.base, 1), 'v');
    ck_assert_uint_eq(bus_read(m->vm->mmio, gt.base, 1), 0);

    struct guest *both[] = {&gs, &gt};
    assert_same_registers(&gs, &gt, "after realize");
    for (int i = 0; i < 2; i++)
        ck_assert(guest_negotiate(both[i], ALL_BLK_FEATURES | FBIT(F_VERSION_1)) & ST_FEATURES_OK);
    assert_same_registers(&gs, &gt, "after FEATURES_OK");
    for (int i = 0; i < 2; i++) {
        reg_write(both[i], VQ_REG_DEVICE_FEATURES_SEL, 1);
        reg_write(both[i], VQ_REG_QUEUE_SEL, 0);
    }
    assert_same_registers(&gs, &gt, "feature word 1, queue 0");
    for (int i = 0; i < 2; i++)
        ck_assert(guest_setup_queue(both[i], 0, 128));
    assert_same_registers(&gs, &gt, "queue 0 ready");
    for (int i = 0; i < 2; i++)
        reg_write(both[i], VQ_REG_QUEUE_SEL, 7); /* no such queue */
    assert_same_registers(&gs, &gt, "QueueSel 7");
    for (int i = 0; i < 2; i++) {
        reg_write(both[i], VQ_REG_QUEUE_SEL, 0);
        reg_write(both[i], VQ_REG_STATUS, reg_read(both[i], VQ_REG_STATUS) | ST_DRIVER_OK);
    }
    assert_same_registers(&gs, &gt, "DRIVER_OK");

    /* A completion: InterruptStatus 1 in both. */
    for (int i = 0; i < 2; i++) {
        uint64_t data = guest_alloc(both[i], SECTOR, SECTOR);
        ck_assert_uint_eq(blk_do(both[i], T_IN, 0, data, SECTOR, NULL), S_OK);
        ck_assert(guest_wait_irq(both[i], 1, WAIT_MS));
        ck_assert(wait_interrupt_status(both[i], 1));
    }
    assert_same_registers(&gs, &gt, "interrupt pending");
    for (int i = 0; i < 2; i++) {
        reg_write(both[i], VQ_REG_INTERRUPT_ACK, 1);
        guest_eoi(both[i]);
        ck_assert(wait_interrupt_status(both[i], 0));
    }
    assert_same_registers(&gs, &gt, "acknowledged");

    /* A bad chain: DEVICE_NEEDS_RESET, and the configuration-change interrupt. */
    for (int i = 0; i < 2; i++) {
        guest_set_avail_idx(both[i], 0, (uint16_t)(both[i]->q[0].avail_idx + 1000));
        guest_kick(both[i], 0);
        ck_assert(guest_wait_status(both[i], ST_NEEDS_RESET, WAIT_MS));
        ck_assert(wait_interrupt_status(both[i], 2));
    }
    assert_same_registers(&gs, &gt, "needs reset");
    for (int i = 0; i < 2; i++)
        reg_write(both[i], VQ_REG_STATUS, 0);
    assert_same_registers(&gs, &gt, "after reset");

    g_free(yaml);
    g_free(image0);
    g_free(image1);
    machine_free(m);
}
END_TEST

/* Without the shadow every register access reaches the handler: a byte read of the magic
 * breaks the 32-bit rule and reads 0. A device whose page holds another device's window
 * gets no shadow either (the guest would read the neighbour from it). */
START_TEST(transport_read_shadow_off)
{
    struct test_machine *m = virtio_machine_new();
    machine_start(m, "  - {type: virtio-rng, id: rng0, mmio: 0xd0000000, irq: 5, "
                     "read-shadow: false}\n"
                     "  - {type: virtio-rng, id: rng1, mmio: 0xd0001000, irq: 6}\n"
                     "  - {type: virtio-rng, id: rng2, mmio: 0xd0001200, irq: 7}\n");
    ck_assert_uint_eq(bus_read(m->vm->mmio, 0xd0000000, 1), 0);
    ck_assert_uint_eq(bus_read(m->vm->mmio, 0xd0001000, 1), 0);
    ck_assert_uint_eq(bus_read(m->vm->mmio, 0xd0001200, 1), 0);
    ck_assert_uint_eq(bus_read(m->vm->mmio, 0xd0001200, 4), 0x74726976); /* both still work */
    machine_free(m);
}
END_TEST

/* The host function's rules. rng0 got its shadow from the transport while it was realized;
 * calls made as if from realize (dev->realized cleared for the call) check the refusals. */
START_TEST(host_mmio_shadow_rules)
{
    struct test_machine *m = virtio_machine_new();
    machine_start(m, "  - {type: virtio-rng, id: rng0, mmio: 0xd0001000, irq: 6}\n"
                     "  - {type: virtio-rng, id: rng1, mmio: 0xd0002000, irq: 7, "
                     "read-shadow: false}\n");
    vmb_device *dev = find_device(m, "rng0");
    const struct vmb_host *host = &device_host_api;
    ck_assert(VMB_HOST_HAS(host, mmio_shadow));
    ck_assert(VMB_HOST_HAS(host, mmio_shadow_publish));

    ck_assert_ptr_null(host->mmio_shadow(dev, RNG_BASE, 0x1000)); /* only from realize */
    dev->realized = false;
    ck_assert_ptr_null(host->mmio_shadow(dev, RNG_BASE + 0x200, 0x1000));  /* not a page */
    ck_assert_ptr_null(host->mmio_shadow(dev, RNG_BASE, 0x800));           /* not a page */
    ck_assert_ptr_null(host->mmio_shadow(dev, RNG_BASE + 0x1000, 0x1000)); /* rng1's page */
    ck_assert_ptr_null(host->mmio_shadow(dev, 0xe0000000, 0x1000));        /* nobody's */
    ck_assert_ptr_null(host->mmio_shadow(dev, RNG_BASE, 0x1000));          /* it has one */
    dev->realized = true;

    /* The guest reads rng0 from its shadow: a byte of the magic, as memory gives it. */
    ck_assert_uint_eq(bus_read(m->vm->mmio, RNG_BASE, 1), 'v');
    ck_assert_uint_eq(bus_read(m->vm->mmio, RNG_BASE + 2, 2), 0x7472); /* "rt" */
    /* Unmapping the window ends the shadow: the address is unclaimed, all-ones. */
    uint64_t unclaimed = bus_unclaimed_count(m->vm->mmio);
    ck_assert_int_eq(host->unmap_region(dev, VMB_SPACE_MMIO, RNG_BASE), 0);
    ck_assert_uint_eq(bus_read(m->vm->mmio, RNG_BASE, 4), 0xffffffff);
    ck_assert_uint_eq(bus_unclaimed_count(m->vm->mmio), unclaimed + 1);
    machine_free(m);
}
END_TEST

/* InterruptACK through its ioeventfds: an acknowledgement still applies before the next
 * completion sets the bit again, so no completion goes without its interrupt. Each round
 * acknowledges, submits at once (the worker may not have seen the acknowledgement yet),
 * and needs the interrupt for the new completion to arrive. */
START_TEST(transport_ack_through_ioeventfd_keeps_order)
{
    struct guest g;
    char *image;
    /* Without event index every completion interrupts. */
    struct test_machine *m =
        blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES & ~FBIT(F_EVENT_IDX));
    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);

    for (int round = 0; round < 200; round++) {
        ck_assert_uint_eq(blk_do(&g, T_IN, (uint64_t)round, data, SECTOR, NULL), S_OK);
        ck_assert_msg(guest_wait_irq(&g, 1, WAIT_MS), "round %d: no interrupt", round);
        uint32_t status = reg_read(&g, VQ_REG_INTERRUPT_STATUS);
        ck_assert_msg(status == 1, "round %d: InterruptStatus %u", round, status);
        reg_write(&g, VQ_REG_INTERRUPT_ACK, status);
        guest_eoi(&g);
    }
    ck_assert(wait_interrupt_status(&g, 0));
    blk_machine_free(m, image);
}
END_TEST

static struct test_machine *rng_machine_without_eventfds(vmb_device **dev)
{
    struct test_machine *m = virtio_machine_new();
    machine_start(m, "  - {type: virtio-rng, id: rng0, mmio: 0xd0001000, irq: 6, "
                     "ioeventfd: false, irqfd: false}\n");
    *dev = find_device(m, "rng0");
    return m;
}

START_TEST(host_ioeventfd_matching)
{
    vmb_device *dev;
    struct test_machine *m = rng_machine_without_eventfds(&dev);
    const struct vmb_host *host = &device_host_api;
    int fd = eventfd(0, EFD_NONBLOCK);
    uint64_t notify = RNG_BASE + VQ_REG_QUEUE_NOTIFY;

    ck_assert_int_eq(
        host->ioeventfd_add(dev, VMB_SPACE_MMIO, notify, 4, 0, VMB_IOEVENTFD_DATAMATCH, fd), 0);
    ck_assert_int_eq(
        host->ioeventfd_add(dev, VMB_SPACE_MMIO, notify, 4, 0, VMB_IOEVENTFD_DATAMATCH, fd),
        -EEXIST);
    /* Not the device's own window, bad length, datamatch wider than the length. */
    ck_assert_int_eq(host->ioeventfd_add(dev, VMB_SPACE_MMIO, 0xd0000000, 4, 0, 0, fd), -EINVAL);
    ck_assert_int_eq(host->ioeventfd_add(dev, VMB_SPACE_MMIO, notify, 3, 0, 0, fd), -EINVAL);
    ck_assert_int_eq(
        host->ioeventfd_add(dev, VMB_SPACE_MMIO, notify, 1, 0x100, VMB_IOEVENTFD_DATAMATCH, fd),
        -EINVAL);
    ck_assert_int_eq(host->ioeventfd_add(dev, VMB_SPACE_MMIO, RNG_BASE + 0x1fe, 4, 0, 0, fd),
                     -EINVAL); /* runs past the window */

    /* A matching write signals the eventfd; others do not. */
    bus_write(m->vm->mmio, notify, 0, 4);
    ck_assert_uint_eq(eventfd_count(fd), 1);
    bus_write(m->vm->mmio, notify, 1, 4); /* other data: to the device */
    bus_write(m->vm->mmio, notify, 0, 2); /* other length */
    ck_assert_uint_eq(eventfd_count(fd), 0);
    for (int i = 0; i < 5; i++)
        bus_write(m->vm->mmio, notify, 0, 4);
    ck_assert_uint_eq(eventfd_count(fd), 5);

    ck_assert_int_eq(
        host->ioeventfd_remove(dev, VMB_SPACE_MMIO, notify, 4, 0, VMB_IOEVENTFD_DATAMATCH, fd), 0);
    ck_assert_int_eq(
        host->ioeventfd_remove(dev, VMB_SPACE_MMIO, notify, 4, 0, VMB_IOEVENTFD_DATAMATCH, fd),
        -ENOENT);
    bus_write(m->vm->mmio, notify, 0, 4);
    ck_assert_uint_eq(eventfd_count(fd), 0);

    /* Without datamatch, any value of that length matches. */
    ck_assert_int_eq(host->ioeventfd_add(dev, VMB_SPACE_MMIO, notify, 4, 0, 0, fd), 0);
    bus_write(m->vm->mmio, notify, 0x1234, 4);
    ck_assert_uint_eq(eventfd_count(fd), 1);
    /* Left registered: the core removes it when the device goes. */
    machine_stop(m);
    close(fd);
    machine_free(m);
}
END_TEST

static bool wait_level(struct test_machine *m, unsigned line, int level)
{
    for (int waited = 0; waited < 5000; waited++) {
        if (irq_level(m->vm, line) == level)
            return true;
        g_usleep(1000);
    }
    return false;
}

START_TEST(host_irqfd_edge_and_level)
{
    vmb_device *dev;
    struct test_machine *m = rng_machine_without_eventfds(&dev);
    const struct vmb_host *host = &device_host_api;
    int trigger = eventfd(0, EFD_NONBLOCK), resample = eventfd(0, EFD_NONBLOCK);
    uint64_t one = 1;

    /* Only the device's own line. */
    ck_assert_int_eq(host->irqfd_add(dev, 9, trigger, resample), -EINVAL);

    /* Level: a write raises; end of interrupt lowers and signals resample. */
    ck_assert_int_eq(host->irqfd_add(dev, RNG_IRQ, trigger, resample), 0);
    ck_assert_int_eq(host->irqfd_add(dev, RNG_IRQ, trigger, resample), -EEXIST);
    ck_assert_int_eq(write(trigger, &one, 8), 8);
    ck_assert(wait_level(m, RNG_IRQ, 1));
    ck_assert_uint_eq(eventfd_count(resample), 0);
    devices_irq_acknowledge(m->vm, RNG_IRQ);
    ck_assert_int_eq(irq_level(m->vm, RNG_IRQ), 0);
    ck_assert_uint_eq(eventfd_count(resample), 1);
    ck_assert_int_eq(host->irqfd_remove(dev, RNG_IRQ, trigger), 0);
    ck_assert_int_eq(host->irqfd_remove(dev, RNG_IRQ, trigger), -ENOENT);

    /* Edge: each write is a pulse. */
    uint64_t raises = irq_raise_count(m->vm, RNG_IRQ);
    ck_assert_int_eq(host->irqfd_add(dev, RNG_IRQ, trigger, -1), 0);
    ck_assert_int_eq(write(trigger, &one, 8), 8);
    for (int waited = 0; waited < 5000 && irq_raise_count(m->vm, RNG_IRQ) == raises; waited++)
        g_usleep(1000);
    ck_assert_uint_eq(irq_raise_count(m->vm, RNG_IRQ), raises + 1);
    ck_assert_int_eq(irq_level(m->vm, RNG_IRQ), 0);
    machine_stop(m);
    close(trigger);
    close(resample);
    machine_free(m);
}
END_TEST

/* ---- virtio-blk ------------------------------------------------------------------------- */

START_TEST(blk_write_then_read)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES);

    uint32_t len = 8 * SECTOR;
    uint64_t out = guest_alloc(&g, len, SECTOR);
    fill_pattern(gpa_ptr(&g, out), len, 42);
    struct used u;
    ck_assert_uint_eq(blk_do(&g, T_OUT, 3, out, len, &u), S_OK);
    ck_assert_uint_eq(u.len, 1);
    /* On the image at once (written with pwrite, not cached by us). */
    size_t size;
    uint8_t *file = read_image(image, &size);
    ck_assert_uint_eq(size, IMAGE_SECTORS * SECTOR);
    ck_assert_mem_eq(file + 3 * SECTOR, gpa_ptr(&g, out), len);
    uint8_t before[4 * SECTOR];
    fill_pattern(before, sizeof(before), 1);
    ck_assert_mem_eq(file, before, 3 * SECTOR); /* neighbours untouched */
    g_free(file);

    uint64_t in = guest_alloc(&g, len, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_IN, 3, in, len, &u), S_OK);
    ck_assert_uint_eq(u.len, len + 1);
    ck_assert_mem_eq(gpa_ptr(&g, in), gpa_ptr(&g, out), len);

    /* The last sector, through an indirect table with the data split in odd pieces. */
    struct blk_request r = blk_prepare(&g, T_IN, IMAGE_SECTORS - 1, SECTOR);
    struct seg segs[] = {{r.header, 16, false},
                         {r.data, 100, true},
                         {r.data + 100, 300, true},
                         {r.data + 400, 112, true},
                         {r.status, 1, true}};
    uint16_t head = guest_add_indirect(&g, 0, segs, G_N_ELEMENTS(segs));
    guest_kick(&g, 0);
    ck_assert(guest_wait_used(&g, 0, &u, WAIT_MS));
    ck_assert_uint_eq(u.id, head);
    ck_assert_uint_eq(*(uint8_t *)gpa_ptr(&g, r.status), S_OK);
    uint8_t *all = g_malloc(IMAGE_SECTORS * SECTOR);
    fill_pattern(all, IMAGE_SECTORS * SECTOR, 1);
    ck_assert_mem_eq(gpa_ptr(&g, r.data), all + (IMAGE_SECTORS - 1) * SECTOR, SECTOR);
    g_free(all);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(blk_many_requests_in_flight)
{
    struct guest g;
    char *image;
    struct test_machine *m =
        blk_machine_started(&g, &image, "    io-threads: 8\n", ALL_BLK_FEATURES);

    /* 100 writes of 4 KiB published at once, one notification; each through an indirect
     * table, as Linux sends them, so they fit in the 128-entry ring. */
    enum { COUNT = 100, LEN = 4096 };
    struct blk_request reqs[COUNT];
    for (unsigned i = 0; i < COUNT; i++) {
        reqs[i] = blk_prepare(&g, T_OUT, (uint64_t)i * (LEN / SECTOR), LEN);
        fill_pattern(gpa_ptr(&g, reqs[i].data), LEN, 100 + i);
        struct seg segs[] = {
            {reqs[i].header, 16, false}, {reqs[i].data, LEN, false}, {reqs[i].status, 1, true}};
        guest_add_indirect(&g, 0, segs, 3);
    }
    guest_kick(&g, 0);
    bool seen[128] = {false};
    for (unsigned i = 0; i < COUNT; i++) {
        struct used u;
        ck_assert_msg(guest_wait_used(&g, 0, &u, WAIT_MS), "only %u of %d completed", i, COUNT);
        ck_assert_uint_lt(u.id, 128);
        ck_assert(!seen[u.id]);
        seen[u.id] = true;
    }
    size_t size;
    uint8_t *file = read_image(image, &size);
    for (unsigned i = 0; i < COUNT; i++) {
        ck_assert_uint_eq(*(uint8_t *)gpa_ptr(&g, reqs[i].status), S_OK);
        ck_assert_mem_eq(file + (size_t)i * LEN, gpa_ptr(&g, reqs[i].data), LEN);
    }
    g_free(file);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(blk_flush_and_get_id)
{
    struct guest g;
    char *image;
    struct test_machine *m =
        blk_machine_started(&g, &image, "    serial: VMB-SERIAL-0001\n", ALL_BLK_FEATURES);
    ck_assert(g.features & FBIT(BLK_F_FLUSH));

    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    memset(gpa_ptr(&g, data), 0xab, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_OUT, 10, data, SECTOR, NULL), S_OK);
    struct used u;
    ck_assert_uint_eq(blk_do(&g, T_FLUSH, 0, 0, 0, &u), S_OK);
    ck_assert_uint_eq(u.len, 1);

    uint64_t id = guest_alloc(&g, 20, 1);
    memset(gpa_ptr(&g, id), 0xff, 20);
    ck_assert_uint_eq(blk_do(&g, T_GET_ID, 0, id, 20, &u), S_OK);
    ck_assert_uint_eq(u.len, 21);
    char expect[20] = "VMB-SERIAL-0001"; /* zero padded */
    ck_assert_mem_eq(gpa_ptr(&g, id), expect, 20);
    blk_machine_free(m, image);

    /* Default serial: the device id; a serial too long is refused at start. */
    m = blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES);
    id = guest_alloc(&g, 20, 1);
    ck_assert_uint_eq(blk_do(&g, T_GET_ID, 0, id, 20, NULL), S_OK);
    ck_assert_str_eq((char *)gpa_ptr(&g, id), "disk0");
    machine_free(m);

    m = virtio_machine_new();
    char *yaml = g_strdup_printf("  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, "
                                 "image: %s, serial: 123456789012345678901}\n",
                                 image);
    machine_start_fails(m, yaml, "longer than 20 bytes", NULL);
    g_free(yaml);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(blk_readonly_refuses_writes)
{
    struct test_machine *m = virtio_machine_new();
    char *image = make_image(m, "disk.img");
    chmod(image, 0444); /* read-only opening must not need write permission */
    start_blk(m, image, "    readonly: true\n");
    struct guest g;
    guest_attach(&g, m, BLK_BASE, BLK_IRQ);
    uint64_t offered = device_features(&g);
    ck_assert(offered & FBIT(BLK_F_RO));
    ck_assert(!(offered & FBIT(BLK_F_DISCARD)));
    ck_assert(!(offered & FBIT(BLK_F_WRITE_ZEROES)));
    blk_guest(&g, m, ALL_BLK_FEATURES | FBIT(BLK_F_RO));

    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    memset(gpa_ptr(&g, data), 0x11, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_OUT, 0, data, SECTOR, NULL), S_IOERR);
    uint64_t segment = guest_alloc(&g, 16, 16);
    ck_assert_uint_eq(blk_do(&g, T_DISCARD, 0, segment, 16, NULL), S_UNSUPP);
    ck_assert_uint_eq(blk_do(&g, T_FLUSH, 0, 0, 0, NULL), S_OK);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    size_t size;
    uint8_t *file = read_image(image, &size);
    uint8_t expect[SECTOR];
    fill_pattern(expect, sizeof(expect), 1);
    ck_assert_mem_eq(file, expect, SECTOR);
    ck_assert_mem_eq(gpa_ptr(&g, data), expect, SECTOR);
    /* Still a working device: no reset needed. */
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS) & ST_NEEDS_RESET, 0);
    g_free(file);
    blk_machine_free(m, image);
}
END_TEST

static void put_segment(struct guest *g, uint64_t gpa, uint64_t sector, uint32_t sectors,
                        uint32_t flags)
{
    uint8_t *p = gpa_ptr(g, gpa);
    uint64_t s = htole64(sector);
    uint32_t n = htole32(sectors), f = htole32(flags);
    memcpy(p, &s, 8);
    memcpy(p + 8, &n, 4);
    memcpy(p + 12, &f, 4);
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

START_TEST(blk_discard_and_write_zeroes)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES);
    ck_assert(g.features & FBIT(BLK_F_DISCARD));
    ck_assert(g.features & FBIT(BLK_F_WRITE_ZEROES));
    struct stat before;
    ck_assert_int_eq(stat(image, &before), 0);

    /* Write zeroes over sectors 16..23 (no unmap) and 100..107 (unmap allowed). */
    uint64_t segs = guest_alloc(&g, 32, 16);
    put_segment(&g, segs, 16, 8, 0);
    put_segment(&g, segs + 16, 100, 8, 1);
    ck_assert_uint_eq(blk_do(&g, T_WRITE_ZEROES, 0, segs, 32, NULL), S_OK);
    /* Discard 256 KiB at 512 KiB: punched out of the file. */
    put_segment(&g, segs, 1024, 512, 0);
    ck_assert_uint_eq(blk_do(&g, T_DISCARD, 0, segs, 16, NULL), S_OK);

    size_t size;
    uint8_t *file = read_image(image, &size);
    uint8_t *expect = g_malloc(size);
    fill_pattern(expect, size, 1);
    ck_assert_uint_eq(size, IMAGE_SECTORS * SECTOR); /* the size never changes */
    ck_assert(all_zero(file + 16 * SECTOR, 8 * SECTOR));
    ck_assert(all_zero(file + 100 * SECTOR, 8 * SECTOR));
    ck_assert_mem_eq(file, expect, 16 * SECTOR);
    ck_assert_mem_eq(file + 24 * SECTOR, expect + 24 * SECTOR, 76 * SECTOR);
    ck_assert_mem_eq(file + 108 * SECTOR, expect + 108 * SECTOR, (1024 - 108) * SECTOR);
    ck_assert(all_zero(file + 1024 * SECTOR, 512 * SECTOR));
    struct stat after;
    ck_assert_int_eq(stat(image, &after), 0);
    ck_assert_int_lt(after.st_blocks, before.st_blocks); /* holes were punched */

    /* Out of range, or bad segment lists, fail with IOERR and change nothing. */
    put_segment(&g, segs, IMAGE_SECTORS - 4, 8, 0);
    ck_assert_uint_eq(blk_do(&g, T_WRITE_ZEROES, 0, segs, 16, NULL), S_IOERR);
    put_segment(&g, segs, 0, 8, 0x80);
    ck_assert_uint_eq(blk_do(&g, T_WRITE_ZEROES, 0, segs, 16, NULL), S_IOERR);
    ck_assert_uint_eq(blk_do(&g, T_DISCARD, 0, segs, 15, NULL), S_IOERR);
    g_free(file);
    file = read_image(image, &size);
    ck_assert_mem_eq(file + (IMAGE_SECTORS - 4) * SECTOR, expect + (IMAGE_SECTORS - 4) * SECTOR,
                     4 * SECTOR);
    ck_assert_mem_eq(file, expect, 8 * SECTOR);
    g_free(expect);
    g_free(file);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(blk_bad_requests_complete_with_errors)
{
    struct guest g;
    char *image;
    struct test_machine *m = blk_machine_started(&g, &image, NULL, ALL_BLK_FEATURES);
    uint64_t data = guest_alloc(&g, 2 * SECTOR, SECTOR);

    /* Past the end, straddling the end, sector numbers that overflow. */
    ck_assert_uint_eq(blk_do(&g, T_IN, IMAGE_SECTORS, data, SECTOR, NULL), S_IOERR);
    ck_assert_uint_eq(blk_do(&g, T_OUT, IMAGE_SECTORS - 1, data, 2 * SECTOR, NULL), S_IOERR);
    ck_assert_uint_eq(blk_do(&g, T_IN, UINT64_MAX, data, SECTOR, NULL), S_IOERR);
    ck_assert_uint_eq(blk_do(&g, T_IN, UINT64_MAX / SECTOR, data, SECTOR, NULL), S_IOERR);
    /* Not whole sectors. */
    ck_assert_uint_eq(blk_do(&g, T_OUT, 0, data, 100, NULL), S_IOERR);
    /* Unknown type. */
    ck_assert_uint_eq(blk_do(&g, 99, 0, data, SECTOR, NULL), S_UNSUPP);
    /* The image is unchanged and the device still works. */
    size_t size;
    uint8_t *file = read_image(image, &size);
    uint8_t *expect = g_malloc(size);
    fill_pattern(expect, size, 1);
    ck_assert_mem_eq(file, expect, size);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    ck_assert_uint_eq(reg_read(&g, VQ_REG_STATUS) & ST_NEEDS_RESET, 0);
    g_free(expect);
    g_free(file);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(blk_direct_io)
{
    struct guest g;
    char *image;
    struct test_machine *m =
        blk_machine_started(&g, &image, "    direct: true\n", ALL_BLK_FEATURES);
    uint32_t block = config_read32(&g, 20);
    ck_assert(block == 512 || block == 4096);

    /* 12 KiB in three unaligned guest pieces: the device bounces through aligned memory. */
    uint32_t len = 3 * 4096;
    uint64_t out = guest_alloc(&g, len + 1, 1) + 1; /* deliberately misaligned */
    fill_pattern(gpa_ptr(&g, out), len, 77);
    ck_assert_uint_eq(blk_do(&g, T_OUT, 8, out, len, NULL), S_OK);
    uint64_t in = guest_alloc(&g, len + 3, 1) + 3;
    ck_assert_uint_eq(blk_do(&g, T_IN, 8, in, len, NULL), S_OK);
    ck_assert_mem_eq(gpa_ptr(&g, in), gpa_ptr(&g, out), len);
    size_t size;
    uint8_t *file = read_image(image, &size);
    ck_assert_mem_eq(file + 8 * SECTOR, gpa_ptr(&g, out), len);
    g_free(file);
    if (block > SECTOR) /* requests off the block size fail rather than corrupt */
        ck_assert_uint_eq(blk_do(&g, T_IN, 1, in, SECTOR, NULL), S_IOERR);
    blk_machine_free(m, image);
}
END_TEST

START_TEST(blk_image_errors)
{
    struct test_machine *m = virtio_machine_new();
    char *missing = machine_path(m, "missing.img");
    char *yaml = g_strdup_printf("  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, "
                                 "image: %s}\n",
                                 missing);
    machine_start_fails(m, yaml, "disk0", "missing.img", "No such file", NULL);
    g_free(yaml);
    machine_free(m);

    /* Two disks on one image: the second is refused, the image is locked. */
    m = virtio_machine_new();
    char *image = make_image(m, "disk.img");
    yaml = g_strdup_printf("  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 5, "
                           "image: %s}\n"
                           "  - {type: virtio-blk, id: disk1, mmio: 0xd0001000, irq: 6, "
                           "image: %s}\n",
                           image, image);
    machine_start_fails(m, yaml, "disk1", "in use by another process", NULL);
    g_free(yaml);
    g_free(image);
    g_free(missing);
    machine_free(m);
}
END_TEST

/* ---- hostile drivers -------------------------------------------------------------------- */

/* Start a blk device with a 16-entry queue; the test then breaks the rules. */
static struct test_machine *hostile_start(struct guest *g, char **image)
{
    struct test_machine *m = blk_machine_new(g, image, NULL);
    guest_start(g, ALL_BLK_FEATURES, 1, 16);
    return m;
}

/* The device gave up on the driver: NEEDS_RESET and a configuration interrupt, no used entry,
 * the image unchanged; and a reset brings it back. */
static void expect_needs_reset(struct guest *g, const char *image, const char *what)
{
    ck_assert_msg(guest_wait_status(g, ST_NEEDS_RESET, WAIT_MS), "%s: no DEVICE_NEEDS_RESET", what);
    ck_assert_msg(reg_read(g, VQ_REG_INTERRUPT_STATUS) & 2, "%s: no config change interrupt", what);
    ck_assert_msg(guest_wait_irq(g, 1, WAIT_MS), "%s: interrupt line not raised", what);
    ck_assert_msg(guest_used_idx(g, 0) == 0, "%s: a used entry was written", what);
    /* Further notifications do nothing. */
    guest_kick(g, 0);
    g_usleep(20000);
    ck_assert_uint_eq(guest_used_idx(g, 0), 0);

    size_t size;
    uint8_t *file = read_image(image, &size);
    uint8_t *expect = g_malloc(size);
    fill_pattern(expect, size, 1);
    ck_assert_msg(memcmp(file, expect, size) == 0, "%s: image changed", what);
    g_free(file);
    g_free(expect);

    reg_write(g, VQ_REG_STATUS, 0);
    ck_assert_uint_eq(reg_read(g, VQ_REG_STATUS), 0);
    guest_start(g, ALL_BLK_FEATURES, 1, 16);
    uint64_t data = guest_alloc(g, SECTOR, SECTOR);
    ck_assert_msg(blk_do(g, T_IN, 0, data, SECTOR, NULL) == S_OK, "%s: not working after reset",
                  what);
}

enum hostile_case {
    LOOP,
    NEXT_OUT_OF_RANGE,
    HEAD_OUT_OF_RANGE,
    AVAIL_INDEX_JUMP,
    ADDRESS_OUTSIDE_RAM,
    ADDRESS_WRAPS,
    LENGTH_PAST_RAM,
    READABLE_AFTER_WRITABLE,
    NO_STATUS_BYTE,
    INDIRECT_WITH_NEXT,
    INDIRECT_NESTED,
    INDIRECT_BAD_LENGTH,
    INDIRECT_TOO_LONG,
    INDIRECT_OUTSIDE_RAM,
    INDIRECT_LOOP,
    HOSTILE_CASES,
};

static const char *const hostile_names[] = {
    "descriptor loop",
    "next out of range",
    "head out of range",
    "avail index jump",
    "buffer outside RAM",
    "buffer address wraps",
    "buffer runs past RAM",
    "readable after writable",
    "no status byte",
    "indirect with next",
    "nested indirect",
    "indirect length",
    "indirect longer than queue",
    "indirect table outside RAM",
    "loop in indirect table",
};

START_TEST(hostile_chains_need_reset)
{
    enum hostile_case which = (enum hostile_case)_i;
    struct guest g;
    char *image;
    struct test_machine *m = hostile_start(&g, &image);
    struct guest_queue *q = &g.q[0];
    struct blk_request r = blk_prepare(&g, T_OUT, 0, SECTOR);
    memset(gpa_ptr(&g, r.data), 0x99, SECTOR);
    uint64_t table = guest_alloc(&g, 16 * 64, 16);

    switch (which) {
    case LOOP: /* 0 -> 1 -> 0 ... */
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, q->desc, 1, r.data, SECTOR, D_NEXT, 0);
        guest_publish(&g, 0, 0);
        break;
    case NEXT_OUT_OF_RANGE:
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 16);
        guest_publish(&g, 0, 0);
        break;
    case HEAD_OUT_OF_RANGE:
        guest_publish(&g, 0, 200);
        break;
    case AVAIL_INDEX_JUMP:
        put_desc(&g, q->desc, 0, r.header, 16, 0, 0);
        guest_set_avail_idx(&g, 0, 300);
        break;
    case ADDRESS_OUTSIDE_RAM:
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, q->desc, 1, 0x7f0000000000ull, SECTOR, D_NEXT, 2);
        put_desc(&g, q->desc, 2, r.status, 1, D_WRITE, 0);
        guest_publish(&g, 0, 0);
        break;
    case ADDRESS_WRAPS:
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, q->desc, 1, UINT64_MAX - 100, SECTOR, D_NEXT, 2);
        put_desc(&g, q->desc, 2, r.status, 1, D_WRITE, 0);
        guest_publish(&g, 0, 0);
        break;
    case LENGTH_PAST_RAM:
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, q->desc, 1, r.data, 0xffffffffu, D_NEXT, 2);
        put_desc(&g, q->desc, 2, r.status, 1, D_WRITE, 0);
        guest_publish(&g, 0, 0);
        break;
    case READABLE_AFTER_WRITABLE:
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, q->desc, 1, r.status, 1, D_WRITE | D_NEXT, 2);
        put_desc(&g, q->desc, 2, r.data, SECTOR, 0, 0);
        guest_publish(&g, 0, 0);
        break;
    case NO_STATUS_BYTE: /* a write whose status is device-readable: cannot be answered */
        put_desc(&g, q->desc, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, q->desc, 1, r.data, SECTOR, D_NEXT, 2);
        put_desc(&g, q->desc, 2, r.status, 1, 0, 0);
        guest_publish(&g, 0, 0);
        break;
    case INDIRECT_WITH_NEXT:
        put_desc(&g, table, 0, r.header, 16, 0, 0);
        put_desc(&g, q->desc, 0, table, 16, D_INDIRECT | D_NEXT, 1);
        guest_publish(&g, 0, 0);
        break;
    case INDIRECT_NESTED:
        put_desc(&g, table, 0, table + 512, 16, D_INDIRECT, 0);
        put_desc(&g, q->desc, 0, table, 16, D_INDIRECT, 0);
        guest_publish(&g, 0, 0);
        break;
    case INDIRECT_BAD_LENGTH:
        put_desc(&g, q->desc, 0, table, 24, D_INDIRECT, 0);
        guest_publish(&g, 0, 0);
        break;
    case INDIRECT_TOO_LONG: /* 32 entries for a 16-entry queue */
        for (unsigned i = 0; i < 32; i++)
            put_desc(&g, table, i, r.header, 16, D_NEXT, (uint16_t)(i + 1));
        put_desc(&g, q->desc, 0, table, 32 * 16, D_INDIRECT, 0);
        guest_publish(&g, 0, 0);
        break;
    case INDIRECT_OUTSIDE_RAM:
        put_desc(&g, q->desc, 0, GUEST_RAM_SIZE - 32, 64, D_INDIRECT, 0);
        guest_publish(&g, 0, 0);
        break;
    case INDIRECT_LOOP:
        put_desc(&g, table, 0, r.header, 16, D_NEXT, 1);
        put_desc(&g, table, 1, r.data, SECTOR, D_NEXT, 0);
        put_desc(&g, q->desc, 0, table, 2 * 16, D_INDIRECT, 0);
        guest_publish(&g, 0, 0);
        break;
    case HOSTILE_CASES:
        break;
    }
    guest_kick(&g, 0);
    expect_needs_reset(&g, image, hostile_names[which]);
    blk_machine_free(m, image);
}
END_TEST

/* Random register writes and ring garbage: vmboard survives, the guest's RAM is the only
 * memory touched, and a reset brings the device back. */
START_TEST(hostile_random_registers_and_rings)
{
    struct guest g;
    char *image;
    struct test_machine *m = hostile_start(&g, &image);
    GRand *rand = g_rand_new_with_seed(20240611);
    static const uint32_t offsets[] = {
        VQ_REG_DEVICE_FEATURES_SEL,
        VQ_REG_DRIVER_FEATURES,
        VQ_REG_DRIVER_FEATURES_SEL,
        VQ_REG_QUEUE_SEL,
        VQ_REG_QUEUE_NUM,
        VQ_REG_QUEUE_READY,
        VQ_REG_QUEUE_NOTIFY,
        VQ_REG_INTERRUPT_ACK,
        VQ_REG_STATUS,
        VQ_REG_QUEUE_DESC_LOW,
        VQ_REG_QUEUE_DESC_HIGH,
        VQ_REG_QUEUE_DRIVER_LOW,
        VQ_REG_QUEUE_DEVICE_LOW,
        0x0ac,
        0x0c0,
        0x0fc,
        0x100,
        0x108,
    };

    for (int round = 0; round < 2000; round++) {
        /* Garbage in the rings and the descriptor table, then a notification. */
        uint8_t *desc = gpa_ptr(&g, g.q[0].desc);
        for (int i = 0; i < 8; i++)
            desc[g_rand_int_range(rand, 0, 16 * 16)] = (uint8_t)g_rand_int(rand);
        uint8_t *avail = gpa_ptr(&g, g.q[0].avail);
        avail[g_rand_int_range(rand, 0, 6 + 2 * 16)] = (uint8_t)g_rand_int(rand);
        uint32_t offset = offsets[g_rand_int_range(rand, 0, G_N_ELEMENTS(offsets))];
        uint32_t value =
            g_rand_boolean(rand) ? (uint32_t)g_rand_int_range(rand, 0, 16) : g_rand_int(rand);
        unsigned size = 1u << g_rand_int_range(rand, 0, 4);
        bus_write(m->vm->mmio, BLK_BASE + offset, value, size);
        bus_read(m->vm->mmio, BLK_BASE + g_rand_int_range(rand, 0, 0x200), size);
        if (round % 64 == 0)
            guest_eoi(&g);
    }
    g_rand_free(rand);

    /* Back to a clean start. */
    reg_write(&g, VQ_REG_STATUS, 0);
    g.heap = 4u << 20;
    guest_start(&g, ALL_BLK_FEATURES, 1, 16);
    uint64_t data = guest_alloc(&g, SECTOR, SECTOR);
    ck_assert_uint_eq(blk_do(&g, T_IN, 0, data, SECTOR, NULL), S_OK);
    blk_machine_free(m, image);
}
END_TEST

/* ---- virtio-rng ------------------------------------------------------------------------- */

START_TEST(rng_fills_buffers)
{
    struct test_machine *m = virtio_machine_new();
    machine_start(m, "  - {type: virtio-rng, id: rng0, mmio: 0xd0001000, irq: 6}\n");
    struct guest g;
    guest_attach(&g, m, RNG_BASE, RNG_IRQ);
    guest_start(&g, FBIT(F_EVENT_IDX), 1, 64);

    uint64_t a = guest_alloc(&g, 4096, 16), b = guest_alloc(&g, 4096, 16);
    struct seg segs[] = {{a, 1000, true}, {a + 1000, 3096, true}};
    guest_add_chain(&g, 0, segs, 2);
    struct seg second[] = {{b, 4096, true}};
    guest_add_chain(&g, 0, second, 1);
    guest_kick(&g, 0);
    struct used u1, u2;
    ck_assert(guest_wait_used(&g, 0, &u1, WAIT_MS));
    ck_assert(guest_wait_used(&g, 0, &u2, WAIT_MS));
    ck_assert_uint_eq(u1.len, 4096);
    ck_assert_uint_eq(u2.len, 4096);
    ck_assert(!all_zero(gpa_ptr(&g, a), 4096));
    ck_assert(!all_zero(gpa_ptr(&g, a + 4000), 96));
    ck_assert(memcmp(gpa_ptr(&g, a), gpa_ptr(&g, b), 4096) != 0);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));

    /* A huge request gets at most 64 KiB. */
    uint64_t big = guest_alloc(&g, 256 * 1024, 16);
    struct seg huge[] = {{big, 256 * 1024, true}};
    guest_add_chain(&g, 0, huge, 1);
    guest_kick(&g, 0);
    ck_assert(guest_wait_used(&g, 0, &u1, WAIT_MS));
    ck_assert_uint_eq(u1.len, 64 * 1024);
    ck_assert(all_zero(gpa_ptr(&g, big + 64 * 1024), 1024));
    machine_free(m);
}
END_TEST

/* ---- virtio-console --------------------------------------------------------------------- */

static int redirect_fd(int from, int to)
{
    int saved = dup(to);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(from, to), 0);
    return saved;
}

static void restore_fd(int saved, int to)
{
    dup2(saved, to);
    close(saved);
}

START_TEST(console_output_reaches_file)
{
    struct test_machine *m = virtio_machine_new();
    char *out = machine_path(m, "hvc0.out");
    char *yaml = g_strdup_printf("  - {type: virtio-console, id: con0, mmio: 0xd0002000, irq: 7, "
                                 "console: 'file:%s'}\n",
                                 out);
    machine_start(m, yaml);
    struct guest g;
    guest_attach(&g, m, CON_BASE, CON_IRQ);
    ck_assert(device_features(&g) & FBIT(2)); /* VIRTIO_CONSOLE_F_EMERG_WRITE */
    guest_start(&g, FBIT(2) | FBIT(F_EVENT_IDX), 2, 64);
    ck_assert_uint_eq(config_read32(&g, 4), 1); /* max_nr_ports */

    /* Emergency write first, then a transmit chain split over two buffers. */
    bus_write(m->vm->mmio, CON_BASE + VQ_REG_CONFIG + 8, '!', 4);
    const char *text = "login: root\r\nWelcome to hvc0\r\n";
    size_t len = strlen(text);
    uint64_t buf = guest_alloc(&g, len, 1);
    memcpy(gpa_ptr(&g, buf), text, len);
    struct seg segs[] = {{buf, 7, false}, {buf + 7, (uint32_t)(len - 7), false}};
    guest_add_chain(&g, 1, segs, 2);
    guest_kick(&g, 1);
    struct used u;
    ck_assert(guest_wait_used(&g, 1, &u, WAIT_MS));
    ck_assert_uint_eq(u.len, 0);
    machine_stop(m); /* flushes the console */

    char *contents = NULL;
    gsize size = 0;
    ck_assert(g_file_get_contents(out, &contents, &size, NULL));
    ck_assert_uint_eq(size, len + 1);
    ck_assert_int_eq(contents[0], '!');
    ck_assert_mem_eq(contents + 1, text, len);
    g_free(contents);
    g_free(yaml);
    g_free(out);
    machine_free(m);
}
END_TEST

START_TEST(console_input_from_stdin)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    int saved = redirect_fd(fds[0], STDIN_FILENO);
    close(fds[0]);

    struct test_machine *m = virtio_machine_new();
    machine_start(m, "  - {type: virtio-console, id: con0, mmio: 0xd0002000, irq: 7, "
                     "console: stdio}\n");
    struct guest g;
    guest_attach(&g, m, CON_BASE, CON_IRQ);

    /* Typed before the driver is ready: kept, not lost. */
    ck_assert_int_eq(write(fds[1], "early ", 6), 6);
    guest_start(&g, FBIT(F_EVENT_IDX), 2, 64);
    /* Two 4-byte receive buffers only: the rest waits for more buffers. */
    uint64_t rx = guest_alloc(&g, 64, 1);
    struct seg b1[] = {{rx, 4, true}}, b2[] = {{rx + 4, 4, true}};
    guest_add_chain(&g, 0, b1, 1);
    guest_add_chain(&g, 0, b2, 1);
    guest_kick(&g, 0);
    struct used u;
    ck_assert(guest_wait_used(&g, 0, &u, WAIT_MS));
    ck_assert_uint_eq(u.len, 4);
    ck_assert(guest_wait_used(&g, 0, &u, WAIT_MS));
    ck_assert_uint_eq(u.len, 2);
    ck_assert_mem_eq(gpa_ptr(&g, rx), "early ", 6);

    ck_assert_int_eq(write(fds[1], "ls -l\n", 6), 6);
    g_usleep(50000); /* no buffers now: input waits in the backend */
    struct seg b3[] = {{rx + 8, 32, true}};
    guest_add_chain(&g, 0, b3, 1);
    guest_kick(&g, 0);
    ck_assert(guest_wait_used(&g, 0, &u, WAIT_MS));
    ck_assert_uint_eq(u.len, 6);
    ck_assert_mem_eq(gpa_ptr(&g, rx + 8), "ls -l\n", 6);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));

    machine_free(m);
    close(fds[1]);
    restore_fd(saved, STDIN_FILENO);
}
END_TEST

START_TEST(virtio_bad_properties)
{
    static const struct {
        const char *yaml;
        const char *message;
    } cases[] = {
        {"  - {type: virtio-console, id: c, mmio: 0xd0002000, irq: 7, console: 'tcp:1'}\n",
         "is not stdio, file:PATH or none"},
        {"  - {type: virtio-blk, id: d, mmio: 0xd0000000, irq: 5, image: /dev/null, "
         "io-threads: 0}\n",
         "io-threads 0 is out of range"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct test_machine *m = virtio_machine_new();
        machine_start_fails(m, cases[i].yaml, cases[i].message, NULL);
        machine_free(m);
    }
}
END_TEST

static Suite *virtio_suite(void)
{
    Suite *s = suite_create("virtio");

    TCase *transport = tcase_create("transport");
    tcase_add_test(transport, transport_identity_registers);
    tcase_add_test(transport, transport_feature_negotiation);
    tcase_add_test(transport, transport_queue_setup_rules);
    tcase_add_test(transport, transport_reset_clears_everything);
    tcase_add_test(transport, transport_interrupt_level_through_irqfd);
    tcase_add_test(transport, transport_interrupt_level_without_irqfd);
    tcase_add_test(transport, transport_event_index);
    tcase_add_test(transport, transport_no_interrupt_flag);
    tcase_add_test(transport, transport_notify_before_driver_ok);
    tcase_add_test(transport, transport_read_shadow_matches_registers);
    tcase_add_test(transport, transport_read_shadow_off);
    tcase_add_test(transport, transport_ack_through_ioeventfd_keeps_order);
    suite_add_tcase(s, transport);

    TCase *host = tcase_create("host-eventfds");
    tcase_add_test(host, host_ioeventfd_matching);
    tcase_add_test(host, host_irqfd_edge_and_level);
    tcase_add_test(host, host_mmio_shadow_rules);
    suite_add_tcase(s, host);

    TCase *blk = tcase_create("blk");
    tcase_add_test(blk, blk_write_then_read);
    tcase_add_test(blk, blk_many_requests_in_flight);
    tcase_add_test(blk, blk_flush_and_get_id);
    tcase_add_test(blk, blk_readonly_refuses_writes);
    tcase_add_test(blk, blk_discard_and_write_zeroes);
    tcase_add_test(blk, blk_bad_requests_complete_with_errors);
    tcase_add_test(blk, blk_direct_io);
    tcase_add_test(blk, blk_image_errors);
    suite_add_tcase(s, blk);

    TCase *hostile = tcase_create("hostile");
    tcase_add_loop_test(hostile, hostile_chains_need_reset, 0, HOSTILE_CASES);
    tcase_add_test(hostile, hostile_random_registers_and_rings);
    suite_add_tcase(s, hostile);

    TCase *other = tcase_create("rng-console");
    tcase_add_test(other, rng_fills_buffers);
    tcase_add_test(other, console_output_reaches_file);
    tcase_add_test(other, console_input_from_stdin);
    tcase_add_test(other, virtio_bad_properties);
    suite_add_tcase(s, other);
    return s;
}

int main(void)
{
    return run_suite(virtio_suite());
}
