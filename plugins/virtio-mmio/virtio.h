/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-mmio transport (virtio 1.x, section 4.2, register layout version 2) shared by
 * every virtio device type of this plugin. A device type supplies a struct virtio_device_ops
 * (its id, features, queues, config space and handlers); the transport does the registers,
 * feature negotiation, status, queues, interrupts, eventfds and the worker thread.
 *
 * Threads and locks:
 *  - vCPU threads run the register handlers (serialised per instance by the core).
 *  - One worker thread per device waits for queue notifications (ioeventfds), interrupt
 *    resampling and device fds (a TAP), and calls the device's handlers; queue work never
 *    runs on a vCPU thread. Device types may add their own threads (virtio-blk's I/O pool).
 *  - vdev->lock guards registers, queues and the interrupt status against all of them. It is
 *    held only for short, non-blocking work: never across host I/O.
 *  - Every chain popped is accounted in vdev->in_flight until pushed or dropped; a reset
 *    waits for it to drop to zero, so once the driver's reset returns nothing of ours touches
 *    the memory it had given the device.
 */
#ifndef VIRTIO_VIRTIO_H
#define VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vmboard/plugin.h>

#include "virtqueue.h"

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* Transport feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

#define VIRTIO_BIT(n) (UINT64_C(1) << (n))

/* Interrupt status bits (4.2.2). */
#define VIRTIO_INT_USED_BUFFER   1
#define VIRTIO_INT_CONFIG_CHANGE 2

/* Device ids (5). */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

#define VIRTIO_MMIO_WINDOW 0x200
/* A read shadow covers the window's whole page: the window must start one. */
#define VIRTIO_SHADOW_PAGE 0x1000
/* InterruptACK values bound to ioeventfds: 0 to 3. */
#define VIRTIO_ACK_FDS     4
#define VIRTIO_MAX_QUEUES  4
#define VIRTIO_CONFIG_MAX  256
#define VIRTIO_MAX_WATCHES 4

struct virtio_dev;

struct virtio_device_ops {
    const char *name; /* type name, for messages */
    uint32_t device_id;
    unsigned num_queues;
    uint16_t queue_max_size;
    size_t config_size;

    /* Optional. A config space write the device takes (offset within config space). */
    void (*config_write)(struct virtio_dev *vdev, unsigned offset, uint64_t value, unsigned size);
    /* Optional. The driver set FEATURES_OK with these features (already checked against
     * the offer): return false to refuse them. vCPU thread, lock held. */
    bool (*features_ok)(struct virtio_dev *vdev, uint64_t features);
    /* Optional. DRIVER_OK was set. vCPU thread, lock held. */
    void (*driver_ok)(struct virtio_dev *vdev);
    /* Queue q has new buffers. Worker thread, lock not held. */
    void (*queue_notify)(struct virtio_dev *vdev, unsigned q);
    /* Optional. A watched fd is ready (virtio_watch). Worker thread, lock not held. */
    void (*fd_ready)(struct virtio_dev *vdev, int fd, short revents);
    /* Optional. The device is reset (driver wrote 0, or machine reset); no chain is in flight
     * any more. Lock held: only drop device-side state. */
    void (*reset)(struct virtio_dev *vdev);
};

struct virtio_queue {
    struct virtqueue vq;
    uint16_t num; /* QueueNum as written */
    uint64_t desc, driver, device;
    bool ready;
    unsigned generation; /* bumped when the queue is reset: stale chains are dropped */
    int notify_fd;       /* eventfd: QueueNotify for this queue */
    bool ioeventfd;      /* notify_fd is registered with the host */
};

struct virtio_watch {
    int fd;
    short events; /* 0: slot unused */
};

struct virtio_dev {
    vmb_device *dev;
    const struct vmb_host *host;
    const struct virtio_device_ops *ops;
    void *device; /* the device type's state */
    const char *id;
    uint64_t base;
    int irq_line;
    uint64_t offered; /* features offered: transport bits | device bits */
    bool use_ioeventfd, use_irqfd, use_read_shadow; /* properties */
    struct vq_memory memory;                        /* guest RAM through host->mem_translate */

    pthread_mutex_t lock;
    pthread_cond_t idle; /* signalled when in_flight drops to zero */
    unsigned in_flight;

    /* Registers. */
    uint32_t status;
    uint32_t device_features_sel, driver_features_sel, queue_sel;
    uint64_t driver_features;
    uint64_t features; /* negotiated: valid once FEATURES_OK is set */
    uint32_t config_generation;
    uint8_t config[VIRTIO_CONFIG_MAX];
    uint32_t interrupt_status;
    bool broken;     /* DEVICE_NEEDS_RESET set: no more queue work until reset */
    unsigned resets; /* device resets so far: tells notifications from before a reset */

    struct virtio_queue queues[VIRTIO_MAX_QUEUES];

    /* Interrupt delivery: irqfd (trigger, and resample for the level) or host->irq_set. */
    int irq_trigger_fd, irq_resample_fd;
    bool irqfd;
    bool irq_asserted; /* with irqfd: triggered, and the line's end of interrupt not yet seen */
    /* With an irqfd, InterruptACK writes of 0 to 3 (the values a driver can read from
     * InterruptStatus) signal ack_fd[value] instead of exiting; -1 when not bound. */
    int ack_fd[VIRTIO_ACK_FDS];
    bool ack_ioeventfd;
    bool ack_was_bound; /* for the statistics at exit: ack_ioeventfd is cleared at stop */
    /* The page the guest reads the registers from (host->mmio_shadow), or NULL. */
    uint8_t *shadow;
    bool irqfd_was_used; /* for the statistics at exit: irqfd is cleared at stop */

    /* Worker thread. */
    pthread_t worker;
    bool worker_started;
    int wake_fd;
    atomic_bool stopping;
    struct virtio_watch watches[VIRTIO_MAX_WATCHES];

    /* Counters, printed at exit with -v. */
    atomic_uint_fast64_t notifies, notify_exits, interrupts, chains;
};

/* A chain popped from a queue, with room for its iovecs. */
struct virtio_chain {
    struct vq_chain chain;
    unsigned queue;
    unsigned generation;
};

/* ---- for device types: lifecycle ---- */

/* The transport's properties every virtio type has (ioeventfd, irqfd, read-shadow); a type's
 * property list starts with these. */
#define VIRTIO_COMMON_PROPS                                                                        \
    {"ioeventfd", VMB_PROP_BOOL, "true", 0,                                                        \
     "bind QueueNotify to an eventfd (KVM_IOEVENTFD): no userspace exit per notification"},        \
        {"irqfd", VMB_PROP_BOOL, "true", 0,                                                        \
         "raise the interrupt through an eventfd (KVM_IRQFD with resampling)"},                    \
    {                                                                                              \
        "read-shadow", VMB_PROP_BOOL, "true", 0,                                                   \
            "let the guest read the registers from a read-only page: no userspace exit per "       \
            "register read (the device needs a 4 KiB page of its own)"                             \
    }

/* create: allocate the transport around a device's state (device_size bytes, zeroed,
 * reachable as vdev->device). NULL after host->error(). */
struct virtio_dev *virtio_create(vmb_device *dev, const struct vmb_host *host,
                                 const struct virtio_device_ops *ops, uint64_t device_features,
                                 size_t device_size);
/* realize: map the window, eventfds, interrupt, worker thread. 0 or -errno. */
int virtio_realize(struct virtio_dev *vdev);
/* reset (machine reset): as if the driver wrote 0 to Status. Every type's reset callback. */
void virtio_machine_reset(void *opaque);
/* destroy, first half: stop the worker thread and unbind eventfds (the device then stops
 * its own threads); second half: free. */
void virtio_stop(struct virtio_dev *vdev);
void virtio_free(struct virtio_dev *vdev);

/* ---- for device types: queues ---- */

struct virtio_chain *virtio_chain_new(struct virtio_dev *vdev);
void virtio_chain_free(struct virtio_chain *chain);
/* 1: popped into *chain (counted in flight); 0: nothing (or the queue cannot be used now);
 * -1: the driver broke the rules, the device now needs a reset. */
int virtio_pop(struct virtio_dev *vdev, unsigned q, struct virtio_chain *chain);
/* Give back the chains of q popped last (none pushed since), e.g. for lack of room. */
void virtio_unpop(struct virtio_dev *vdev, unsigned q, unsigned count);
/* Complete a chain with `written` bytes in its writable buffers; stale chains (queue reset
 * since) are dropped. interrupt: decide about the interrupt now (false when more pushes
 * follow; then call virtio_queue_interrupt). */
void virtio_push(struct virtio_dev *vdev, struct virtio_chain *chain, uint32_t written,
                 bool interrupt);
void virtio_queue_interrupt(struct virtio_dev *vdev, unsigned q);
/* Drop a chain without completing it (the device is broken or resetting). */
void virtio_drop(struct virtio_dev *vdev, struct virtio_chain *chain);
/* Turn driver notifications for q off (while we drain it) or on; on returns true if buffers
 * came meanwhile. */
bool virtio_queue_notification(struct virtio_dev *vdev, unsigned q, bool enable);
/* Is the device running (DRIVER_OK, not broken) and queue q ready? */
bool virtio_queue_usable(struct virtio_dev *vdev, unsigned q);

/* The driver broke a rule the device cannot recover from: set DEVICE_NEEDS_RESET, tell the
 * driver (configuration change interrupt) and log why. Lock not held. */
void virtio_device_broken(struct virtio_dev *vdev, const char *fmt, ...) VMB_PRINTF(2, 3);

/* Config space: device types update their bytes under the lock with these. */
void virtio_config_lock(struct virtio_dev *vdev);
void virtio_config_unlock(struct virtio_dev *vdev, bool changed);
bool virtio_has_feature(struct virtio_dev *vdev, unsigned bit);

/* Worker thread fd watches (any thread). events 0 removes. */
void virtio_watch(struct virtio_dev *vdev, int fd, short events);
/* Little-endian config fields. */
void virtio_config_put16(struct virtio_dev *vdev, unsigned offset, uint16_t value);
void virtio_config_put32(struct virtio_dev *vdev, unsigned offset, uint32_t value);
void virtio_config_put64(struct virtio_dev *vdev, unsigned offset, uint64_t value);

/* The plugin's device types. */
extern const struct vmb_device_type virtio_blk_type;
extern const struct vmb_device_type virtio_net_type;
extern const struct vmb_device_type virtio_console_type;
extern const struct vmb_device_type virtio_rng_type;
extern const struct vmb_fw_desc virtio_mmio_fw;

/* The fields every virtio-mmio device type shares: placement, window, interrupt line,
 * firmware description and machine reset all belong to the transport. A type adds its name,
 * description, properties and create/realize/destroy. */
#define VIRTIO_MMIO_TYPE_FIELDS                                                                    \
    .size = sizeof(struct vmb_device_type),                                                        \
    .flags = VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR | VMB_TYPE_NEEDS_IRQ,                             \
    .window_size = VIRTIO_MMIO_WINDOW, .irq_count = 1, .fw = &virtio_mmio_fw,                      \
    .reset = virtio_machine_reset

#endif
