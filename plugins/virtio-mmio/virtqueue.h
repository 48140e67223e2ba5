/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueues (virtio 1.x, section 2.7): the descriptor table, the available ring the
 * driver fills and the used ring the device fills.
 *
 * This file knows nothing about vmboard: guest memory is reached only through the translate
 * callback of struct vq_memory, which returns a host pointer for a whole guest-physical range
 * or NULL. That keeps the parser small enough to fuzz over a fake memory (tests/fuzz/).
 *
 * Every value read from guest memory is hostile. The parser copies each descriptor once before
 * checking it (the guest may change it meanwhile), bounds every walk by the queue size, and
 * reports a malformed chain as an error with a reason instead of following it.
 *
 * Not thread-safe: the caller serialises calls on one queue.
 */
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

/* Largest split queue the spec allows. */
#define VIRTQ_MAX_SIZE  32768
#define VIRTQ_DESC_SIZE 16

struct vq_memory {
    /* Host pointer for [gpa, gpa+len) if all of it is guest RAM in one piece, else NULL. */
    void *(*translate)(void *opaque, uint64_t gpa, size_t len);
    void *opaque;
};

struct virtqueue {
    /* Set by the transport before virtqueue_start(). */
    uint16_t size; /* a power of two, 1..VIRTQ_MAX_SIZE */
    uint64_t desc_addr, avail_addr, used_addr;
    bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;  /* VIRTIO_F_INDIRECT_DESC negotiated */

    /* Host views of the rings, valid between start and reset. */
    const struct vq_memory *mem;
    uint8_t *desc;
    uint8_t *avail; /* flags, idx, ring[size], used_event */
    uint8_t *used;  /* flags, idx, ring[size] of {id, len}, avail_event */

    uint16_t last_avail_idx; /* next available entry we will take */
    uint16_t used_idx;       /* our copy of used->idx */
    uint16_t signalled_used; /* used_idx when we last decided about an interrupt */
    bool signalled_used_valid;
};

/* One descriptor chain: device-readable buffers first (out), then device-writable (in). */
struct vq_chain {
    uint16_t head;
    unsigned out_count, in_count;
    uint64_t out_bytes, in_bytes;
    unsigned max_iov;  /* capacity of iov: at least the queue size */
    struct iovec *iov; /* out_count readable entries, then in_count writable ones */
};

/* Check the layout and map the rings. 0, or -EINVAL/-EFAULT with *why set to a reason. */
int virtqueue_start(struct virtqueue *vq, const struct vq_memory *mem, const char **why);
/* Forget the rings and indexes (queue reset); keeps size and addresses. */
void virtqueue_reset(struct virtqueue *vq);

/*
 * Take the next available chain. Returns 1 with *chain filled, 0 when the ring is empty, or
 * -EINVAL with *why set when the driver broke the rules (the queue must not be used again
 * until it is reset). chain->max_iov must be at least vq->size.
 */
int virtqueue_pop(struct virtqueue *vq, struct vq_chain *chain, const char **why);
/* Give back the last `count` chains popped and not pushed, to be popped again later. */
void virtqueue_unpop(struct virtqueue *vq, unsigned count);
/* Return a chain to the driver with `written` bytes stored in its writable buffers. */
void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written);
/* After pushes: does the driver want an interrupt for them (event index or flags)? */
bool virtqueue_should_interrupt(struct virtqueue *vq);
/* Ask the driver to notify us about new buffers (true) or not to bother (false). With
 * enable, returns true if buffers arrived meanwhile, so the caller must look again. */
bool virtqueue_set_notification(struct virtqueue *vq, bool enable);
/* Are there chains we have not taken? */
bool virtqueue_has_available(struct virtqueue *vq);

/* Scatter-gather helpers over a chain's iovecs. They copy at most what fits and return the
 * count of bytes copied. */
size_t iov_to_buffer(const struct iovec *iov, unsigned count, size_t offset, void *buf, size_t len);
size_t iov_from_buffer(const struct iovec *iov, unsigned count, size_t offset, const void *buf,
                       size_t len);
/* Describe bytes [offset, offset+len) of iov in out (up to max entries); returns the count
 * of entries, with *covered set to the bytes they hold (less than len if iov is shorter). */
unsigned iov_slice(const struct iovec *iov, unsigned count, size_t offset, size_t len,
                   struct iovec *out, unsigned max, size_t *covered);

#endif
