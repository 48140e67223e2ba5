/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-mmio transport, register layout version 2 (virtio 1.x section 4.2.2). Legacy
 * (version 1) drivers are not supported: a driver that does not accept VIRTIO_F_VERSION_1
 * finds FEATURES_OK cleared when it reads the status back, as the spec has it (3.1.1).
 *
 * Interrupts. The virtio-mmio interrupt is level-triggered: the line is high while
 * InterruptStatus is non-zero. With an irqfd we keep that meaning through KVM's resampling
 * irqfd: a write to the trigger eventfd asserts the line when InterruptStatus becomes
 * non-zero; at the guest's end of interrupt KVM lowers it and signals the resample eventfd,
 * and the worker thread asserts it again if InterruptStatus is still non-zero (the driver
 * acknowledged only part of it, or a completion arrived meanwhile). So neither raising nor
 * lowering the line costs a vCPU exit.
 *
 * The driver's interrupt handler reads InterruptStatus and writes the value back to
 * InterruptACK. Neither exits to vmboard when the fast paths are on:
 *  - the guest reads every register from a read shadow (host->mmio_shadow, a read-only
 *    memory slot over the window's page) that this file keeps equal to register_value(),
 *    publishing each change (host->mmio_shadow_publish) before the guest may rely on it;
 *  - with an irqfd, InterruptACK writes of 0 to 3 (what a driver can have read from
 *    InterruptStatus, 0 after a spurious interrupt) go to four ioeventfds (datamatch), so
 *    the value survives. The acknowledgement then reaches us late, so it must still be
 *    applied in the order the guest made it: every path that looks at or changes
 *    InterruptStatus first applies the pending acknowledgements (acks_apply_locked). An
 *    acknowledgement the guest wrote before a completion is therefore applied before the
 *    completion sets its bit, and the completion's interrupt is never lost. Until the
 *    worker applies it the shadow may show a bit the guest has acknowledged; a driver sees
 *    that only on a spurious interrupt, and finds nothing new in its rings.
 * Without irqfd support the line is driven with host->irq_set, and InterruptACK exits.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_MMIO_MAGIC     0x74726976 /* "virt" */
#define VIRTIO_MMIO_VERSION   2
#define VIRTIO_MMIO_VENDOR_ID 0x44424d56 /* "VMBD" */

enum {
    REG_MAGIC = 0x000,
    REG_VERSION = 0x004,
    REG_DEVICE_ID = 0x008,
    REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010,
    REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020,
    REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030,
    REG_QUEUE_NUM_MAX = 0x034,
    REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044,
    REG_QUEUE_NOTIFY = 0x050,
    REG_INTERRUPT_STATUS = 0x060,
    REG_INTERRUPT_ACK = 0x064,
    REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080,
    REG_QUEUE_DESC_HIGH = 0x084,
    REG_QUEUE_DRIVER_LOW = 0x090,
    REG_QUEUE_DRIVER_HIGH = 0x094,
    REG_QUEUE_DEVICE_LOW = 0x0a0,
    REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_SHM_SEL = 0x0ac,
    REG_SHM_LEN_LOW = 0x0b0,
    REG_SHM_LEN_HIGH = 0x0b4,
    REG_SHM_BASE_LOW = 0x0b8,
    REG_SHM_BASE_HIGH = 0x0bc,
    REG_QUEUE_RESET = 0x0c0,
    REG_CONFIG_GENERATION = 0x0fc,
    REG_CONFIG = 0x100,
};

/* What every device offers besides its own features. */
#define TRANSPORT_FEATURES                                                                         \
    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |                             \
     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))

static void eventfd_kick(int fd)
{
    uint64_t one = 1;
    /* EAGAIN: the counter is saturated, which already means "signalled". */
    if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
        /* nothing else to do: the reader will see the pending count */
    }
}

static void eventfd_drain(int fd)
{
    uint64_t count;
    if (read(fd, &count, sizeof(count)) < 0) {
        /* EAGAIN: someone else drained it */
    }
}

/* ---- the read shadow (lock held) --------------------------------------------------------- */

static void shadow_store32(struct virtio_dev *vdev, uint64_t offset, uint32_t value)
{
    /* One aligned store: a vCPU reading concurrently sees the old or the new register. */
    __atomic_store_n((uint32_t *)(vdev->shadow + offset), htole32(value), __ATOMIC_RELEASE);
}

static uint32_t register_value_locked(struct virtio_dev *vdev, uint64_t offset, bool *readable);

/* Bring the whole shadow up to date: after every register write and state change. */
static void shadow_sync_locked(struct virtio_dev *vdev)
{
    if (!vdev->shadow)
        return;
    /* Config space first, its generation (a register) after it. */
    for (size_t at = 0; REG_CONFIG + at < VIRTIO_MMIO_WINDOW; at++) {
        uint8_t byte = at < vdev->ops->config_size ? vdev->config[at] : 0;
        __atomic_store_n(vdev->shadow + REG_CONFIG + at, byte, __ATOMIC_RELEASE);
    }
    for (uint64_t offset = 0; offset < REG_CONFIG; offset += 4) {
        bool readable;
        uint32_t value = register_value_locked(vdev, offset, &readable);
        shadow_store32(vdev, offset, readable ? value : 0); /* what a trapped read gives */
    }
    vdev->host->mmio_shadow_publish(vdev->dev, vdev->shadow, VIRTIO_MMIO_WINDOW);
}

static void shadow_interrupt_locked(struct virtio_dev *vdev)
{
    if (!vdev->shadow)
        return;
    shadow_store32(vdev, REG_INTERRUPT_STATUS, vdev->interrupt_status);
    vdev->host->mmio_shadow_publish(vdev->dev, vdev->shadow + REG_INTERRUPT_STATUS, 4);
}

/* ---- interrupts (lock held) ------------------------------------------------------------- */

static void interrupt_ack_locked(struct virtio_dev *vdev, uint32_t bits);

/* Apply the InterruptACK writes the ioeventfds took, before anything reads or changes
 * InterruptStatus (see the top of the file). */
static void acks_apply_locked(struct virtio_dev *vdev)
{
    if (!vdev->ack_ioeventfd)
        return;
    /* One poll tells which hold an acknowledgement (usually none, or just the value 1). */
    struct pollfd fds[VIRTIO_ACK_FDS - 1];
    for (unsigned value = 1; value < VIRTIO_ACK_FDS; value++)
        fds[value - 1] = (struct pollfd){.fd = vdev->ack_fd[value], .events = POLLIN};
    int ready = poll(fds, VIRTIO_ACK_FDS - 1, 0);
    if (ready == 0)
        return;
    for (unsigned value = 1; value < VIRTIO_ACK_FDS; value++) {
        uint64_t count;
        /* poll failed (EINTR...): read them all rather than miss one. */
        if ((ready < 0 || (fds[value - 1].revents & POLLIN)) &&
            read(vdev->ack_fd[value], &count, sizeof(count)) == sizeof(count))
            interrupt_ack_locked(vdev, value);
    }
}

static void interrupt_raise_locked(struct virtio_dev *vdev, uint32_t bits)
{
    acks_apply_locked(vdev);
    uint32_t old = vdev->interrupt_status;

    vdev->interrupt_status |= bits;
    /* Before the interrupt: the handler reads InterruptStatus at once, and after a
     * configuration change the status and config space too. */
    if (bits & VIRTIO_INT_CONFIG_CHANGE)
        shadow_sync_locked(vdev);
    else
        shadow_interrupt_locked(vdev);
    if (old || !vdev->interrupt_status)
        return; /* the line is already up (or will be re-raised at resampling) */
    atomic_fetch_add_explicit(&vdev->interrupts, 1, memory_order_relaxed);
    if (!vdev->irqfd) {
        vdev->host->irq_set(vdev->dev, vdev->irq_line, 1);
    } else if (!vdev->irq_asserted) {
        /* Not while the line is still up from an earlier interrupt whose end the resample
         * handler has not seen: that handler raises it again. A second trigger now could
         * reach KVM after the guest's end of interrupt and make a spurious interrupt. */
        vdev->irq_asserted = true;
        eventfd_kick(vdev->irq_trigger_fd);
    }
}

static void interrupt_ack_locked(struct virtio_dev *vdev, uint32_t bits)
{
    vdev->interrupt_status &= ~bits;
    shadow_interrupt_locked(vdev);
    /* With an irqfd the line drops at the end of interrupt and is re-raised by the resample
     * handler if needed; here we only drive it ourselves. */
    if (!vdev->irqfd && !vdev->interrupt_status)
        vdev->host->irq_set(vdev->dev, vdev->irq_line, 0);
}

/* The line was lowered at the guest's end of interrupt: raise it again if still due. */
static void interrupt_resample(struct virtio_dev *vdev)
{
    pthread_mutex_lock(&vdev->lock);
    vdev->irq_asserted = false; /* KVM lowered the line at the end of interrupt */
    acks_apply_locked(vdev);    /* the handler's acknowledgement came before its end of interrupt */
    if (vdev->interrupt_status) {
        vdev->irq_asserted = true;
        eventfd_kick(vdev->irq_trigger_fd);
    }
    pthread_mutex_unlock(&vdev->lock);
}

/* The worker saw an InterruptACK ioeventfd: apply it now so the shadow is soon right too. */
static void interrupt_acked(struct virtio_dev *vdev)
{
    pthread_mutex_lock(&vdev->lock);
    acks_apply_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

/* ---- in-flight accounting (lock held) ---------------------------------------------------- */

static void in_flight_done_locked(struct virtio_dev *vdev)
{
    if (--vdev->in_flight == 0)
        pthread_cond_broadcast(&vdev->idle);
}

/* Wait until no chain is held by a worker; the lock is dropped while waiting. Callers have
 * already made the queues unusable, so nothing new is popped meanwhile. */
static void wait_idle_locked(struct virtio_dev *vdev)
{
    while (vdev->in_flight)
        pthread_cond_wait(&vdev->idle, &vdev->lock);
}

/* ---- reset ------------------------------------------------------------------------------ */

static void queue_stop_locked(struct virtio_queue *queue)
{
    queue->ready = false;
    queue->generation++;
    virtqueue_reset(&queue->vq);
}

static void device_reset_locked(struct virtio_dev *vdev)
{
    vdev->resets++;
    for (unsigned q = 0; q < vdev->ops->num_queues; q++)
        queue_stop_locked(&vdev->queues[q]);
    vdev->status = 0;
    wait_idle_locked(vdev);

    for (unsigned q = 0; q < vdev->ops->num_queues; q++) {
        struct virtio_queue *queue = &vdev->queues[q];
        queue->num = vdev->ops->queue_max_size;
        queue->desc = queue->driver = queue->device = 0;
    }
    vdev->device_features_sel = vdev->driver_features_sel = vdev->queue_sel = 0;
    vdev->driver_features = 0;
    vdev->features = 0;
    vdev->broken = false;
    /* A notification the worker has not taken yet belongs to the driver before the reset;
     * left pending it would count as one made before the next DRIVER_OK. */
    for (unsigned q = 0; q < vdev->ops->num_queues; q++)
        if (vdev->queues[q].notify_fd >= 0)
            eventfd_drain(vdev->queues[q].notify_fd);
    acks_apply_locked(vdev);
    interrupt_ack_locked(vdev, UINT32_MAX);
    if (vdev->ops->reset)
        vdev->ops->reset(vdev);
    shadow_sync_locked(vdev);
}

void virtio_machine_reset(void *opaque)
{
    struct virtio_dev *vdev = opaque;

    pthread_mutex_lock(&vdev->lock);
    device_reset_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

/* ---- registers -------------------------------------------------------------------------- */

static struct virtio_queue *selected_queue(struct virtio_dev *vdev)
{
    return vdev->queue_sel < vdev->ops->num_queues ? &vdev->queues[vdev->queue_sel] : NULL;
}

static bool features_acceptable(struct virtio_dev *vdev)
{
    uint64_t wanted = vdev->driver_features;

    if (wanted & ~vdev->offered) {
        vdev->host->guest_error(vdev->dev,
                                "driver accepted features 0x%" PRIx64 " the device did not offer; "
                                "FEATURES_OK refused",
                                wanted & ~vdev->offered);
        return false;
    }
    if (!(wanted & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
        vdev->host->guest_error(vdev->dev, "driver did not accept VIRTIO_F_VERSION_1: legacy "
                                           "virtio drivers are not supported; FEATURES_OK refused");
        return false;
    }
    if (vdev->ops->features_ok && !vdev->ops->features_ok(vdev, wanted))
        return false;
    return true;
}

static void status_write_locked(struct virtio_dev *vdev, uint32_t value)
{
    if (value == 0) {
        device_reset_locked(vdev);
        return;
    }
    value &= 0xff & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET; /* that bit is the device's to set */
    uint32_t old = vdev->status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if (old & ~value) {
        vdev->host->guest_error(vdev->dev,
                                "status write 0x%x clears bits 0x%x without a reset; kept them",
                                value, old & ~value);
        value |= old;
    }
    uint32_t added = value & ~old;

    if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(vdev)) {
        value &= ~VIRTIO_STATUS_FEATURES_OK;
        added &= ~VIRTIO_STATUS_FEATURES_OK;
    } else if (added & VIRTIO_STATUS_FEATURES_OK) {
        vdev->features = vdev->driver_features;
    }
    if ((added & VIRTIO_STATUS_DRIVER_OK) && !(value & VIRTIO_STATUS_FEATURES_OK)) {
        vdev->host->guest_error(vdev->dev, "DRIVER_OK set before FEATURES_OK; ignored");
        value &= ~VIRTIO_STATUS_DRIVER_OK;
        added &= ~VIRTIO_STATUS_DRIVER_OK;
    }
    vdev->status = value | (vdev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);

    if ((added & VIRTIO_STATUS_DRIVER_OK) && vdev->broken) {
        /* 2.1.2: the device already needs a reset (a notification came before DRIVER_OK);
         * now that the driver listens, tell it with a configuration change. */
        interrupt_raise_locked(vdev, VIRTIO_INT_CONFIG_CHANGE);
    } else if (added & VIRTIO_STATUS_DRIVER_OK) {
        if (vdev->ops->driver_ok)
            vdev->ops->driver_ok(vdev);
        /* Look at every ready queue once: a driver that added buffers before DRIVER_OK
         * without notifying (the spec allows that) is not left waiting. */
        for (unsigned q = 0; q < vdev->ops->num_queues; q++)
            if (vdev->queues[q].ready)
                eventfd_kick(vdev->queues[q].notify_fd);
    }
}

static void queue_ready_write_locked(struct virtio_dev *vdev, struct virtio_queue *queue,
                                     uint32_t value)
{
    if (!value) {
        if (queue->ready) {
            queue_stop_locked(queue);
            wait_idle_locked(vdev);
        }
        return;
    }
    if (queue->ready)
        return;
    if (!(vdev->status & VIRTIO_STATUS_FEATURES_OK)) {
        vdev->host->guest_error(vdev->dev, "queue %u: QueueReady before FEATURES_OK; ignored",
                                vdev->queue_sel);
        return;
    }
    if (queue->num == 0 || queue->num > vdev->ops->queue_max_size) {
        vdev->host->guest_error(vdev->dev,
                                "queue %u: QueueNum %u out of range (1..%u); not "
                                "enabled",
                                vdev->queue_sel, queue->num, vdev->ops->queue_max_size);
        return;
    }
    struct virtqueue *vq = &queue->vq;
    vq->size = queue->num;
    vq->desc_addr = queue->desc;
    vq->avail_addr = queue->driver;
    vq->used_addr = queue->device;
    vq->event_idx = vdev->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    vq->indirect = vdev->features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    const char *why = NULL;
    if (virtqueue_start(vq, &vdev->memory, &why) != 0) {
        vdev->host->guest_error(vdev->dev, "queue %u: %s; not enabled", vdev->queue_sel, why);
        virtqueue_reset(vq);
        return;
    }
    queue->ready = true;
}

/* Write-only registers of the selected queue: only while it is not in use. */
static bool queue_writable(struct virtio_dev *vdev, struct virtio_queue *queue, uint64_t offset)
{
    if (!queue) {
        vdev->host->guest_error(vdev->dev,
                                "write to 0x%03" PRIx64 " with QueueSel %u, which is "
                                "not a queue; ignored",
                                offset, vdev->queue_sel);
        return false;
    }
    if (queue->ready) {
        vdev->host->guest_error(vdev->dev,
                                "queue %u: write to 0x%03" PRIx64 " while the queue "
                                "is ready; ignored",
                                vdev->queue_sel, offset);
        return false;
    }
    return true;
}

static void set_low(uint64_t *field, uint32_t value)
{
    *field = (*field & ~UINT64_C(0xffffffff)) | value;
}

static void set_high(uint64_t *field, uint32_t value)
{
    *field = (*field & UINT64_C(0xffffffff)) | ((uint64_t)value << 32);
}

/* What a read of the register at offset gives; *readable false for write-only and unknown
 * offsets (they read 0). No side effects: the read shadow is made of these values. */
static uint32_t register_value_locked(struct virtio_dev *vdev, uint64_t offset, bool *readable)
{
    struct virtio_queue *queue = selected_queue(vdev);

    *readable = true;
    switch (offset) {
    case REG_MAGIC:
        return VIRTIO_MMIO_MAGIC;
    case REG_VERSION:
        return VIRTIO_MMIO_VERSION;
    case REG_DEVICE_ID:
        return vdev->ops->device_id;
    case REG_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR_ID;
    case REG_DEVICE_FEATURES:
        if (vdev->device_features_sel > 1)
            return 0;
        return (uint32_t)(vdev->offered >> (32 * vdev->device_features_sel));
    case REG_QUEUE_NUM_MAX:
        return queue ? vdev->ops->queue_max_size : 0;
    case REG_QUEUE_READY:
        return queue ? queue->ready : 0;
    case REG_INTERRUPT_STATUS:
        return vdev->interrupt_status;
    case REG_STATUS:
        return vdev->status;
    case REG_SHM_LEN_LOW:
    case REG_SHM_LEN_HIGH:
    case REG_SHM_BASE_LOW:
    case REG_SHM_BASE_HIGH:
        return UINT32_MAX; /* no shared memory regions: length -1 (4.2.2) */
    case REG_QUEUE_RESET:
        return 0;
    case REG_CONFIG_GENERATION:
        return vdev->config_generation;
    }
    *readable = false;
    return 0;
}

static uint32_t register_read_locked(struct virtio_dev *vdev, uint64_t offset)
{
    bool readable;

    if (offset == REG_INTERRUPT_STATUS)
        acks_apply_locked(vdev);
    uint32_t value = register_value_locked(vdev, offset, &readable);
    if (!readable)
        vdev->host->guest_error(vdev->dev,
                                "read of 0x%03" PRIx64 ": not a readable register; "
                                "reads 0",
                                offset);
    return value;
}

static void register_write_locked(struct virtio_dev *vdev, uint64_t offset, uint32_t value)
{
    struct virtio_queue *queue = selected_queue(vdev);

    switch (offset) {
    case REG_DEVICE_FEATURES_SEL:
        vdev->device_features_sel = value;
        return;
    case REG_DRIVER_FEATURES:
        if (vdev->status & VIRTIO_STATUS_FEATURES_OK) {
            vdev->host->guest_error(vdev->dev, "DriverFeatures written after FEATURES_OK; "
                                               "ignored");
        } else if (vdev->driver_features_sel > 1) {
            if (value)
                vdev->host->guest_error(vdev->dev,
                                        "DriverFeatures word %u: no such features; "
                                        "ignored",
                                        vdev->driver_features_sel);
        } else if (vdev->driver_features_sel == 0) {
            set_low(&vdev->driver_features, value);
        } else {
            set_high(&vdev->driver_features, value);
        }
        return;
    case REG_DRIVER_FEATURES_SEL:
        vdev->driver_features_sel = value;
        return;
    case REG_QUEUE_SEL:
        vdev->queue_sel = value;
        return;
    case REG_QUEUE_NUM:
        if (queue_writable(vdev, queue, offset)) {
            if (value == 0 || value > vdev->ops->queue_max_size || (value & (value - 1)))
                vdev->host->guest_error(vdev->dev,
                                        "queue %u: QueueNum %u is not a power of two "
                                        "up to %u",
                                        vdev->queue_sel, value, vdev->ops->queue_max_size);
            queue->num = (uint16_t)(value > UINT16_MAX ? 0 : value);
        }
        return;
    case REG_QUEUE_READY:
        if (queue)
            queue_ready_write_locked(vdev, queue, value);
        else
            vdev->host->guest_error(vdev->dev,
                                    "QueueReady with QueueSel %u, which is not a "
                                    "queue; ignored",
                                    vdev->queue_sel);
        return;
    case REG_QUEUE_NOTIFY:
        /* Reached only when no ioeventfd took the write. */
        atomic_fetch_add_explicit(&vdev->notify_exits, 1, memory_order_relaxed);
        if (value < vdev->ops->num_queues)
            eventfd_kick(vdev->queues[value].notify_fd);
        else
            vdev->host->guest_error(vdev->dev,
                                    "QueueNotify for queue %u, which does not "
                                    "exist; ignored",
                                    value);
        return;
    case REG_INTERRUPT_ACK:
        acks_apply_locked(vdev); /* any the ioeventfds took came first */
        interrupt_ack_locked(vdev, value);
        return;
    case REG_STATUS:
        status_write_locked(vdev, value);
        return;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        if (queue_writable(vdev, queue, offset)) {
            uint64_t *field = offset < REG_QUEUE_DRIVER_LOW   ? &queue->desc
                              : offset < REG_QUEUE_DEVICE_LOW ? &queue->driver
                                                              : &queue->device;
            if (offset & 4)
                set_high(field, value);
            else
                set_low(field, value);
        }
        return;
    case REG_SHM_SEL:
        return;
    }
    vdev->host->guest_error(vdev->dev,
                            "write of 0x%x to 0x%03" PRIx64 ": not a writable "
                            "register; ignored",
                            value, offset);
}

static uint64_t virtio_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct virtio_dev *vdev = opaque;
    uint64_t value = 0;

    if (offset >= REG_CONFIG) {
        uint64_t at = offset - REG_CONFIG;
        if (at >= vdev->ops->config_size || size > vdev->ops->config_size - at) {
            vdev->host->guest_error(vdev->dev,
                                    "%u-byte config read at 0x%" PRIx64 " beyond the "
                                    "%zu-byte config space; reads 0",
                                    size, at, vdev->ops->config_size);
            return 0;
        }
        pthread_mutex_lock(&vdev->lock);
        for (unsigned i = 0; i < size; i++)
            value |= (uint64_t)vdev->config[at + i] << (8 * i);
        pthread_mutex_unlock(&vdev->lock);
        return value;
    }
    if (size != 4 || (offset & 3)) {
        vdev->host->guest_error(vdev->dev,
                                "%u-byte read at 0x%03" PRIx64 ": registers take "
                                "aligned 32-bit accesses; reads 0",
                                size, offset);
        return 0;
    }
    pthread_mutex_lock(&vdev->lock);
    value = register_read_locked(vdev, offset);
    pthread_mutex_unlock(&vdev->lock);
    return value;
}

static void virtio_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct virtio_dev *vdev = opaque;

    if (offset >= REG_CONFIG) {
        uint64_t at = offset - REG_CONFIG;
        if (!vdev->ops->config_write || at >= vdev->ops->config_size ||
            size > vdev->ops->config_size - at) {
            vdev->host->guest_error(vdev->dev,
                                    "%u-byte config write at 0x%" PRIx64 ": not "
                                    "writable; ignored",
                                    size, at);
            return;
        }
        vdev->ops->config_write(vdev, (unsigned)at, value, size);
        pthread_mutex_lock(&vdev->lock);
        shadow_sync_locked(vdev);
        pthread_mutex_unlock(&vdev->lock);
        return;
    }
    if (size != 4 || (offset & 3)) {
        vdev->host->guest_error(vdev->dev,
                                "%u-byte write at 0x%03" PRIx64 ": registers take "
                                "aligned 32-bit accesses; ignored",
                                size, offset);
        return;
    }
    pthread_mutex_lock(&vdev->lock);
    register_write_locked(vdev, offset, (uint32_t)value);
    /* The guest's next read comes from the shadow: it must see this write's effects. */
    shadow_sync_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

static const struct vmb_region_ops virtio_mmio_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
    .min_access = 1,
    .max_access = 4, /* 64-bit config fields are read as two 32-bit halves, as drivers do */
};

/* ---- queues, for device types ----------------------------------------------------------- */

static bool queue_usable_locked(struct virtio_dev *vdev, unsigned q)
{
    return q < vdev->ops->num_queues && vdev->queues[q].ready && !vdev->broken &&
           (vdev->status & VIRTIO_STATUS_DRIVER_OK) && !(vdev->status & VIRTIO_STATUS_FAILED);
}

bool virtio_queue_usable(struct virtio_dev *vdev, unsigned q)
{
    pthread_mutex_lock(&vdev->lock);
    bool usable = queue_usable_locked(vdev, q);
    pthread_mutex_unlock(&vdev->lock);
    return usable;
}

struct virtio_chain *virtio_chain_new(struct virtio_dev *vdev)
{
    struct virtio_chain *chain = calloc(1, sizeof(*chain));
    if (!chain)
        return NULL;
    chain->chain.max_iov = vdev->ops->queue_max_size;
    chain->chain.iov = calloc(chain->chain.max_iov, sizeof(struct iovec));
    if (!chain->chain.iov) {
        free(chain);
        return NULL;
    }
    return chain;
}

void virtio_chain_free(struct virtio_chain *chain)
{
    if (chain) {
        free(chain->chain.iov);
        free(chain);
    }
}

int virtio_pop(struct virtio_dev *vdev, unsigned q, struct virtio_chain *chain)
{
    const char *why = NULL;
    int ret = 0;

    pthread_mutex_lock(&vdev->lock);
    if (queue_usable_locked(vdev, q)) {
        ret = virtqueue_pop(&vdev->queues[q].vq, &chain->chain, &why);
        if (ret > 0) {
            chain->queue = q;
            chain->generation = vdev->queues[q].generation;
            vdev->in_flight++;
            atomic_fetch_add_explicit(&vdev->chains, 1, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&vdev->lock);
    if (ret < 0) {
        virtio_device_broken(vdev, "queue %u: %s", q, why);
        return -1;
    }
    return ret;
}

void virtio_unpop(struct virtio_dev *vdev, unsigned q, unsigned count)
{
    pthread_mutex_lock(&vdev->lock);
    /* After a reset the queue's indexes start again: nothing to give back then. */
    if (queue_usable_locked(vdev, q))
        virtqueue_unpop(&vdev->queues[q].vq, count);
    for (unsigned i = 0; i < count; i++)
        in_flight_done_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

static bool chain_current_locked(struct virtio_dev *vdev, const struct virtio_chain *chain)
{
    return chain->queue < vdev->ops->num_queues &&
           vdev->queues[chain->queue].generation == chain->generation &&
           vdev->queues[chain->queue].ready;
}

void virtio_push(struct virtio_dev *vdev, struct virtio_chain *chain, uint32_t written,
                 bool interrupt)
{
    pthread_mutex_lock(&vdev->lock);
    if (chain_current_locked(vdev, chain)) {
        struct virtqueue *vq = &vdev->queues[chain->queue].vq;
        virtqueue_push(vq, chain->chain.head, written);
        if (interrupt && !vdev->broken && virtqueue_should_interrupt(vq))
            interrupt_raise_locked(vdev, VIRTIO_INT_USED_BUFFER);
    }
    in_flight_done_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

void virtio_queue_interrupt(struct virtio_dev *vdev, unsigned q)
{
    pthread_mutex_lock(&vdev->lock);
    if (queue_usable_locked(vdev, q) && virtqueue_should_interrupt(&vdev->queues[q].vq))
        interrupt_raise_locked(vdev, VIRTIO_INT_USED_BUFFER);
    pthread_mutex_unlock(&vdev->lock);
}

void virtio_drop(struct virtio_dev *vdev, struct virtio_chain *chain)
{
    pthread_mutex_lock(&vdev->lock);
    in_flight_done_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

bool virtio_queue_notification(struct virtio_dev *vdev, unsigned q, bool enable)
{
    bool more = false;

    pthread_mutex_lock(&vdev->lock);
    if (queue_usable_locked(vdev, q))
        more = virtqueue_set_notification(&vdev->queues[q].vq, enable);
    pthread_mutex_unlock(&vdev->lock);
    return more;
}

void virtio_device_broken(struct virtio_dev *vdev, const char *fmt, ...)
{
    char reason[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&vdev->lock);
    bool first = !vdev->broken && vdev->status != 0;
    if (first) {
        vdev->broken = true;
        vdev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
        /* 2.1.2: with DRIVER_OK set, tell the driver by a configuration change. */
        if (vdev->status & VIRTIO_STATUS_DRIVER_OK)
            interrupt_raise_locked(vdev, VIRTIO_INT_CONFIG_CHANGE); /* syncs the shadow */
        else
            shadow_sync_locked(vdev);
    }
    pthread_mutex_unlock(&vdev->lock);
    if (first)
        vdev->host->guest_error(vdev->dev, "%s; device needs a reset (DEVICE_NEEDS_RESET set)",
                                reason);
}

bool virtio_has_feature(struct virtio_dev *vdev, unsigned bit)
{
    return bit < 64 && (vdev->features >> bit) & 1;
}

void virtio_config_lock(struct virtio_dev *vdev)
{
    pthread_mutex_lock(&vdev->lock);
}

void virtio_config_unlock(struct virtio_dev *vdev, bool changed)
{
    if (changed) {
        vdev->config_generation++;
        if (vdev->status & VIRTIO_STATUS_DRIVER_OK)
            interrupt_raise_locked(vdev, VIRTIO_INT_CONFIG_CHANGE); /* syncs the shadow */
        else
            shadow_sync_locked(vdev);
    }
    pthread_mutex_unlock(&vdev->lock);
}

void virtio_config_put16(struct virtio_dev *vdev, unsigned offset, uint16_t value)
{
    uint16_t le = htole16(value);
    memcpy(vdev->config + offset, &le, sizeof(le));
}

void virtio_config_put32(struct virtio_dev *vdev, unsigned offset, uint32_t value)
{
    uint32_t le = htole32(value);
    memcpy(vdev->config + offset, &le, sizeof(le));
}

void virtio_config_put64(struct virtio_dev *vdev, unsigned offset, uint64_t value)
{
    uint64_t le = htole64(value);
    memcpy(vdev->config + offset, &le, sizeof(le));
}

/* ---- worker thread ---------------------------------------------------------------------- */

void virtio_watch(struct virtio_dev *vdev, int fd, short events)
{
    pthread_mutex_lock(&vdev->lock);
    struct virtio_watch *slot = NULL;
    for (unsigned i = 0; i < VIRTIO_MAX_WATCHES && !slot; i++)
        if (vdev->watches[i].events && vdev->watches[i].fd == fd)
            slot = &vdev->watches[i];
    for (unsigned i = 0; i < VIRTIO_MAX_WATCHES && !slot && events; i++)
        if (!vdev->watches[i].events)
            slot = &vdev->watches[i];
    if (slot) {
        slot->fd = fd;
        slot->events = events;
    }
    pthread_mutex_unlock(&vdev->lock);
    /* The worker rebuilds its poll set each round; wake it unless it is us. */
    if (!vdev->worker_started || !pthread_equal(pthread_self(), vdev->worker))
        eventfd_kick(vdev->wake_fd);
}

/* resets: vdev->resets when the worker took the notification from its eventfd. */
static void queue_notified(struct virtio_dev *vdev, unsigned q, unsigned resets)
{
    pthread_mutex_lock(&vdev->lock);
    if (vdev->resets != resets) {
        /* A reset came between taking the notification and judging it: it may belong to
         * the driver before the reset (which drained what was still pending). Nothing is
         * lost: DRIVER_OK looks at every ready queue again. */
        pthread_mutex_unlock(&vdev->lock);
        return;
    }
    uint32_t status = vdev->status;
    bool ready = vdev->queues[q].ready, broken = vdev->broken;
    pthread_mutex_unlock(&vdev->lock);

    if (!(status & VIRTIO_STATUS_DRIVER_OK)) {
        /* 3.1.1: the driver must not notify before DRIVER_OK (Linux sets it with
         * virtio_device_ready() before it uses a queue). With status 0 the notification
         * raced a reset and belongs to the driver that reset: nothing to judge. */
        if (status)
            virtio_device_broken(vdev, "queue %u notified before DRIVER_OK", q);
        return;
    }
    if (broken || (status & VIRTIO_STATUS_FAILED))
        return;
    if (!ready) {
        vdev->host->guest_error(vdev->dev, "queue %u notified but not ready; ignored", q);
        return;
    }
    atomic_fetch_add_explicit(&vdev->notifies, 1, memory_order_relaxed);
    vdev->ops->queue_notify(vdev, q);
}

enum { POLL_WAKE, POLL_RESAMPLE, POLL_ACK, POLL_QUEUE, POLL_WATCH };
/* wake, resample, the InterruptACK eventfds, the queues and the device's own fds */
#define WORKER_MAX_FDS (2 + VIRTIO_ACK_FDS + VIRTIO_MAX_QUEUES + VIRTIO_MAX_WATCHES)

static void *worker_main(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct pollfd fds[WORKER_MAX_FDS];
    unsigned kind[WORKER_MAX_FDS], which[WORKER_MAX_FDS];

    while (!atomic_load(&vdev->stopping)) {
        unsigned n = 0;
        fds[n] = (struct pollfd){.fd = vdev->wake_fd, .events = POLLIN};
        kind[n++] = POLL_WAKE;
        if (vdev->irqfd && vdev->irq_resample_fd >= 0) {
            fds[n] = (struct pollfd){.fd = vdev->irq_resample_fd, .events = POLLIN};
            kind[n++] = POLL_RESAMPLE;
        }
        for (unsigned i = 0; vdev->ack_ioeventfd && i < VIRTIO_ACK_FDS; i++) {
            fds[n] = (struct pollfd){.fd = vdev->ack_fd[i], .events = POLLIN};
            kind[n++] = POLL_ACK;
        }
        for (unsigned q = 0; q < vdev->ops->num_queues; q++) {
            fds[n] = (struct pollfd){.fd = vdev->queues[q].notify_fd, .events = POLLIN};
            which[n] = q;
            kind[n++] = POLL_QUEUE;
        }
        pthread_mutex_lock(&vdev->lock);
        for (unsigned i = 0; i < VIRTIO_MAX_WATCHES; i++) {
            if (!vdev->watches[i].events)
                continue;
            fds[n] = (struct pollfd){.fd = vdev->watches[i].fd, .events = vdev->watches[i].events};
            kind[n++] = POLL_WATCH;
        }
        pthread_mutex_unlock(&vdev->lock);

        if (poll(fds, n, -1) < 0)
            continue; /* EINTR */
        for (unsigned i = 0; i < n && !atomic_load(&vdev->stopping); i++) {
            if (!fds[i].revents)
                continue;
            switch (kind[i]) {
            case POLL_WAKE:
                eventfd_drain(fds[i].fd);
                break;
            case POLL_RESAMPLE:
                eventfd_drain(fds[i].fd);
                interrupt_resample(vdev);
                break;
            case POLL_ACK:
                if (fds[i].fd == vdev->ack_fd[0])
                    eventfd_drain(fds[i].fd); /* InterruptACK of 0: nothing to do */
                else
                    interrupt_acked(vdev); /* reads the eventfds itself, under the lock */
                break;
            case POLL_QUEUE: {
                pthread_mutex_lock(&vdev->lock);
                unsigned resets = vdev->resets;
                pthread_mutex_unlock(&vdev->lock);
                eventfd_drain(fds[i].fd);
                queue_notified(vdev, which[i], resets);
                break;
            }
            case POLL_WATCH:
                if (vdev->ops->fd_ready)
                    vdev->ops->fd_ready(vdev, fds[i].fd, fds[i].revents);
                break;
            }
        }
    }
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void *translate_guest(void *opaque, uint64_t gpa, size_t len)
{
    struct virtio_dev *vdev = opaque;
    return vdev->host->mem_translate(vdev->dev, gpa, len);
}

struct virtio_dev *virtio_create(vmb_device *dev, const struct vmb_host *host,
                                 const struct virtio_device_ops *ops, uint64_t device_features,
                                 size_t device_size)
{
    struct virtio_dev *vdev = calloc(1, sizeof(*vdev));
    void *device = calloc(1, device_size ? device_size : 1);
    if (!vdev || !device) {
        free(vdev);
        free(device);
        host->error(dev, "out of memory");
        return NULL;
    }
    vdev->dev = dev;
    vdev->host = host;
    vdev->ops = ops;
    vdev->device = device;
    vdev->id = host->device_id(dev);
    vdev->offered = TRANSPORT_FEATURES | device_features;
    vdev->use_ioeventfd = host->prop_bool(dev, "ioeventfd");
    vdev->use_irqfd = host->prop_bool(dev, "irqfd");
    vdev->use_read_shadow = host->prop_bool(dev, "read-shadow");
    vdev->irq_line = host->device_irq(dev);
    vdev->memory.translate = translate_guest;
    vdev->memory.opaque = vdev;
    vdev->wake_fd = vdev->irq_trigger_fd = vdev->irq_resample_fd = -1;
    for (unsigned i = 0; i < VIRTIO_ACK_FDS; i++)
        vdev->ack_fd[i] = -1;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        vdev->queues[q].notify_fd = -1;
    pthread_mutex_init(&vdev->lock, NULL);
    pthread_cond_init(&vdev->idle, NULL);
    return vdev;
}

static int setup_interrupt(struct virtio_dev *vdev)
{
    const struct vmb_host *host = vdev->host;

    if (!vdev->use_irqfd || !VMB_HAS_FIELD(host, struct vmb_host, irqfd_add) || !host->irqfd_add)
        return 0;
    vdev->irq_trigger_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    vdev->irq_resample_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (vdev->irq_trigger_fd < 0 || vdev->irq_resample_fd < 0) {
        host->error(vdev->dev, "cannot create interrupt eventfds: %s", strerror(errno));
        return -errno;
    }
    int ret =
        host->irqfd_add(vdev->dev, vdev->irq_line, vdev->irq_trigger_fd, vdev->irq_resample_fd);
    if (ret == 0) {
        vdev->irqfd = vdev->irqfd_was_used = true;
        return 0;
    }
    host->log(vdev->dev, VMB_LOG_DEBUG, "no resampling irqfd (%s): interrupts via irq_set",
              strerror(-ret));
    close(vdev->irq_trigger_fd);
    close(vdev->irq_resample_fd);
    vdev->irq_trigger_fd = vdev->irq_resample_fd = -1;
    return 0;
}

/* InterruptACK through ioeventfds: only with an irqfd, whose resampling lowers the line at
 * the end of interrupt; with irq_set the acknowledgement itself must lower it, at once. */
static int setup_ack_ioeventfds(struct virtio_dev *vdev)
{
    const struct vmb_host *host = vdev->host;
    unsigned bound = 0;

    for (unsigned i = 0; i < VIRTIO_ACK_FDS; i++) {
        vdev->ack_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vdev->ack_fd[i] < 0) {
            host->error(vdev->dev, "cannot create an eventfd: %s", strerror(errno));
            return -errno;
        }
        if (host->ioeventfd_add(vdev->dev, VMB_SPACE_MMIO, vdev->base + REG_INTERRUPT_ACK, 4, i,
                                VMB_IOEVENTFD_DATAMATCH, vdev->ack_fd[i]) != 0)
            break;
        bound++;
    }
    if (bound == VIRTIO_ACK_FDS) {
        vdev->ack_ioeventfd = vdev->ack_was_bound = true;
        return 0;
    }
    /* All or none: a value without its eventfd would exit anyway, but keep it simple. */
    for (unsigned i = 0; i < bound; i++)
        host->ioeventfd_remove(vdev->dev, VMB_SPACE_MMIO, vdev->base + REG_INTERRUPT_ACK, 4, i,
                               VMB_IOEVENTFD_DATAMATCH, vdev->ack_fd[i]);
    return 0;
}

int virtio_realize(struct virtio_dev *vdev)
{
    const struct vmb_host *host = vdev->host;
    enum vmb_space space;

    if (host->device_address(vdev->dev, &space, &vdev->base) != 0 || space != VMB_SPACE_MMIO) {
        host->error(vdev->dev, "needs an MMIO window: give it mmio: ADDRESS");
        return -EINVAL;
    }
    if (vdev->irq_line < 0) {
        host->error(vdev->dev, "needs an interrupt line: give it irq: LINE");
        return -EINVAL;
    }
    int ret = host->map_region(vdev->dev, VMB_SPACE_MMIO, vdev->base, VIRTIO_MMIO_WINDOW,
                               &virtio_mmio_ops, vdev);
    if (ret)
        return ret;

    vdev->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (vdev->wake_fd < 0) {
        host->error(vdev->dev, "cannot create an eventfd: %s", strerror(errno));
        return -errno;
    }
    bool have_ioeventfd = VMB_HAS_FIELD(host, struct vmb_host, ioeventfd_add) &&
                          host->ioeventfd_add && vdev->use_ioeventfd;
    for (unsigned q = 0; q < vdev->ops->num_queues; q++) {
        struct virtio_queue *queue = &vdev->queues[q];
        queue->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (queue->notify_fd < 0) {
            host->error(vdev->dev, "cannot create an eventfd: %s", strerror(errno));
            return -errno;
        }
        if (have_ioeventfd)
            queue->ioeventfd =
                host->ioeventfd_add(vdev->dev, VMB_SPACE_MMIO, vdev->base + REG_QUEUE_NOTIFY, 4, q,
                                    VMB_IOEVENTFD_DATAMATCH, queue->notify_fd) == 0;
    }
    ret = setup_interrupt(vdev);
    if (ret)
        return ret;
    if (have_ioeventfd && vdev->irqfd) {
        ret = setup_ack_ioeventfds(vdev);
        if (ret)
            return ret;
    }
    if (vdev->use_read_shadow && VMB_HOST_HAS(host, mmio_shadow) &&
        VMB_HOST_HAS(host, mmio_shadow_publish) && !(vdev->base & (VIRTIO_SHADOW_PAGE - 1)))
        vdev->shadow = host->mmio_shadow(vdev->dev, vdev->base, VIRTIO_SHADOW_PAGE);

    pthread_mutex_lock(&vdev->lock);
    device_reset_locked(vdev); /* fills the shadow too */
    pthread_mutex_unlock(&vdev->lock);

    ret = pthread_create(&vdev->worker, NULL, worker_main, vdev);
    if (ret) {
        host->error(vdev->dev, "cannot start the worker thread: %s", strerror(ret));
        return -ret;
    }
    vdev->worker_started = true;
    return 0;
}

void virtio_stop(struct virtio_dev *vdev)
{
    const struct vmb_host *host = vdev->host;

    if (vdev->worker_started) {
        atomic_store(&vdev->stopping, true);
        eventfd_kick(vdev->wake_fd);
        pthread_join(vdev->worker, NULL);
        vdev->worker_started = false;
    }
    for (unsigned q = 0; q < vdev->ops->num_queues; q++) {
        struct virtio_queue *queue = &vdev->queues[q];
        if (queue->ioeventfd)
            host->ioeventfd_remove(vdev->dev, VMB_SPACE_MMIO, vdev->base + REG_QUEUE_NOTIFY, 4, q,
                                   VMB_IOEVENTFD_DATAMATCH, queue->notify_fd);
        queue->ioeventfd = false;
    }
    if (vdev->ack_ioeventfd)
        for (unsigned i = 0; i < VIRTIO_ACK_FDS; i++)
            host->ioeventfd_remove(vdev->dev, VMB_SPACE_MMIO, vdev->base + REG_INTERRUPT_ACK, 4, i,
                                   VMB_IOEVENTFD_DATAMATCH, vdev->ack_fd[i]);
    vdev->ack_ioeventfd = false;
    if (vdev->irqfd)
        host->irqfd_remove(vdev->dev, vdev->irq_line, vdev->irq_trigger_fd);
    vdev->irqfd = false;
}

void virtio_free(struct virtio_dev *vdev)
{
    if (!vdev)
        return;
    uint64_t notifies = atomic_load(&vdev->notifies);
    uint64_t exits = atomic_load(&vdev->notify_exits);
    if (notifies || atomic_load(&vdev->chains))
        vdev->host->log(vdev->dev, VMB_LOG_INFO,
                        "%" PRIu64 " buffers, %" PRIu64 " notifications (%" PRIu64
                        " by a register write that exited to vmboard), %" PRIu64
                        " interrupts (%s%s); registers read %s",
                        (uint64_t)atomic_load(&vdev->chains), notifies, exits,
                        (uint64_t)atomic_load(&vdev->interrupts),
                        vdev->irqfd_was_used ? "irqfd" : "line set by vmboard",
                        vdev->ack_was_bound ? ", InterruptACK by ioeventfd" : "",
                        vdev->shadow ? "from a shadow page" : "by exits");
    /* Where a guest that hung was left: whether it had work waiting or in flight, and an
     * interrupt it never took or never ended. */
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        /* Acknowledgements the InterruptACK ioeventfds took but nobody applied yet. */
        for (unsigned value = 1; value < VIRTIO_ACK_FDS; value++) {
            uint64_t count;
            if (vdev->ack_fd[value] >= 0 &&
                read(vdev->ack_fd[value], &count, sizeof(count)) == sizeof(count))
                vdev->interrupt_status &= ~value;
        }
        for (unsigned q = 0; q < vdev->ops->num_queues; q++) {
            const struct virtqueue *vq = &vdev->queues[q].vq;
            if (vdev->queues[q].ready && vq->avail)
                vdev->host->log(vdev->dev, VMB_LOG_INFO, "at exit, queue %u: %u taken, %u used", q,
                                (unsigned)vq->last_avail_idx, (unsigned)vq->used_idx);
        }
        if (vdev->interrupt_status)
            vdev->host->log(vdev->dev, VMB_LOG_INFO,
                            "at exit: InterruptStatus %#x not acknowledged, interrupt line %s",
                            vdev->interrupt_status,
                            !vdev->irqfd         ? "driven by vmboard"
                            : vdev->irq_asserted ? "raised and not ended by the guest"
                                                 : "low");
    }
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        if (vdev->queues[q].notify_fd >= 0)
            close(vdev->queues[q].notify_fd);
    if (vdev->wake_fd >= 0)
        close(vdev->wake_fd);
    if (vdev->irq_trigger_fd >= 0)
        close(vdev->irq_trigger_fd);
    if (vdev->irq_resample_fd >= 0)
        close(vdev->irq_resample_fd);
    for (unsigned i = 0; i < VIRTIO_ACK_FDS; i++)
        if (vdev->ack_fd[i] >= 0)
            close(vdev->ack_fd[i]);
    pthread_cond_destroy(&vdev->idle);
    pthread_mutex_destroy(&vdev->lock);
    free(vdev->device);
    free(vdev);
}
