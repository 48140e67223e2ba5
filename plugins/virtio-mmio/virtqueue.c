/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueue parsing (virtio 1.x section 2.7). See virtqueue.h for the rules.
 *
 * Ring fields are little-endian. Fields the guest changes under us (avail->idx, used_event,
 * flags) are read with atomic loads so the compiler reads each exactly once; descriptors are
 * copied whole before they are looked at.
 */
#include "virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Offsets inside the rings. */
#define AVAIL_FLAGS    0
#define AVAIL_IDX      2
#define AVAIL_RING     4
#define USED_FLAGS     0
#define USED_IDX       2
#define USED_RING      4
#define USED_ELEM_SIZE 8

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static size_t desc_table_bytes(uint16_t size)
{
    return (size_t)size * VIRTQ_DESC_SIZE;
}

static size_t avail_ring_bytes(uint16_t size)
{
    return AVAIL_RING + (size_t)size * 2 + 2; /* with used_event */
}

static size_t used_ring_bytes(uint16_t size)
{
    return USED_RING + (size_t)size * USED_ELEM_SIZE + 2; /* with avail_event */
}

static uint16_t load16(const uint8_t *p)
{
    return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static uint16_t load16_acquire(const uint8_t *p)
{
    return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static void store16(uint8_t *p, uint16_t value)
{
    __atomic_store_n((uint16_t *)p, htole16(value), __ATOMIC_RELAXED);
}

static void store16_release(uint8_t *p, uint16_t value)
{
    __atomic_store_n((uint16_t *)p, htole16(value), __ATOMIC_RELEASE);
}

static void store32(uint8_t *p, uint32_t value)
{
    __atomic_store_n((uint32_t *)p, htole32(value), __ATOMIC_RELAXED);
}

/* One copy of the descriptor; the table may be unaligned (indirect tables). */
static struct desc read_desc(const uint8_t *table, unsigned index)
{
    uint8_t raw[VIRTQ_DESC_SIZE];
    struct desc d;
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;

    memcpy(raw, table + (size_t)index * VIRTQ_DESC_SIZE, sizeof(raw));
    memcpy(&addr, raw, 8);
    memcpy(&len, raw + 8, 4);
    memcpy(&flags, raw + 12, 2);
    memcpy(&next, raw + 14, 2);
    d.addr = le64toh(addr);
    d.len = le32toh(len);
    d.flags = le16toh(flags);
    d.next = le16toh(next);
    return d;
}

int virtqueue_start(struct virtqueue *vq, const struct vq_memory *mem, const char **why)
{
    uint16_t size = vq->size;

    if (size == 0 || (size & (size - 1))) {
        *why = "queue size is not a power of two";
        return -EINVAL;
    }
    /* Alignments required by section 2.7 (descriptor table 16, available ring 2, used 4). */
    if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3)) {
        *why = "ring address not aligned (descriptors 16, driver area 2, device area 4 bytes)";
        return -EINVAL;
    }
    uint8_t *desc = mem->translate(mem->opaque, vq->desc_addr, desc_table_bytes(size));
    uint8_t *avail = mem->translate(mem->opaque, vq->avail_addr, avail_ring_bytes(size));
    uint8_t *used = mem->translate(mem->opaque, vq->used_addr, used_ring_bytes(size));
    if (!desc || !avail || !used) {
        *why = !desc    ? "descriptor table is not in guest RAM"
               : !avail ? "driver area (available ring) is not in guest RAM"
                        : "device area (used ring) is not in guest RAM";
        return -EFAULT;
    }
    vq->mem = mem;
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    vq->signalled_used = 0;
    vq->signalled_used_valid = false;
    return 0;
}

void virtqueue_reset(struct virtqueue *vq)
{
    vq->mem = NULL;
    vq->desc = vq->avail = vq->used = NULL;
    vq->last_avail_idx = vq->used_idx = vq->signalled_used = 0;
    vq->signalled_used_valid = false;
}

bool virtqueue_has_available(struct virtqueue *vq)
{
    if (!vq->avail)
        return false;
    return load16_acquire(vq->avail + AVAIL_IDX) != vq->last_avail_idx;
}

/* Append one buffer to the chain, checking direction order and RAM. */
static int chain_add(struct virtqueue *vq, struct vq_chain *chain, const struct desc *d,
                     const char **why)
{
    bool writable = d->flags & VIRTQ_DESC_F_WRITE;

    if (!writable && chain->in_count) {
        *why = "device-readable descriptor after a device-writable one";
        return -EINVAL;
    }
    if (d->len == 0)
        return 0; /* nothing to transfer; harmless */
    void *host = vq->mem->translate(vq->mem->opaque, d->addr, d->len);
    if (!host) {
        *why = "buffer is not in guest RAM";
        return -EINVAL;
    }
    unsigned index = chain->out_count + chain->in_count;
    if (index >= chain->max_iov) {
        *why = "descriptor chain longer than the queue";
        return -EINVAL;
    }
    chain->iov[index].iov_base = host;
    chain->iov[index].iov_len = d->len;
    if (writable) {
        chain->in_count++;
        chain->in_bytes += d->len;
    } else {
        chain->out_count++;
        chain->out_bytes += d->len;
    }
    return 0;
}

int virtqueue_pop(struct virtqueue *vq, struct vq_chain *chain, const char **why)
{
    if (!vq->avail)
        return 0;

    uint16_t avail_idx = load16_acquire(vq->avail + AVAIL_IDX);
    uint16_t pending = (uint16_t)(avail_idx - vq->last_avail_idx);
    if (pending == 0)
        return 0;
    if (pending > vq->size) {
        *why = "available index moved further than the queue size";
        return -EINVAL;
    }

    uint16_t head = load16(vq->avail + AVAIL_RING + 2 * (vq->last_avail_idx & (vq->size - 1)));
    if (head >= vq->size) {
        *why = "available ring names a descriptor beyond the queue size";
        return -EINVAL;
    }

    chain->head = head;
    chain->out_count = chain->in_count = 0;
    chain->out_bytes = chain->in_bytes = 0;

    const uint8_t *table = vq->desc;
    unsigned table_size = vq->size;
    unsigned index = head;
    /* The spec bounds a chain by the queue size (2.7.5.3.1), indirect tables included: with
     * this bound a loop is caught after at most size + 1 steps. */
    unsigned budget = vq->size;
    bool in_indirect = false;

    for (;;) {
        if (index >= table_size) {
            *why = in_indirect ? "indirect descriptor's next is beyond its table"
                               : "descriptor's next is beyond the queue size";
            return -EINVAL;
        }
        if (budget-- == 0) {
            *why = "descriptor chain longer than the queue size (a loop?)";
            return -EINVAL;
        }
        struct desc d = read_desc(table, index);

        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!vq->indirect) {
                *why = "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
                return -EINVAL;
            }
            if (in_indirect) {
                *why = "indirect descriptor inside an indirect table";
                return -EINVAL;
            }
            if (d.flags & VIRTQ_DESC_F_NEXT) {
                *why = "indirect descriptor with the NEXT flag";
                return -EINVAL;
            }
            if (d.len == 0 || d.len % VIRTQ_DESC_SIZE || d.len / VIRTQ_DESC_SIZE > vq->size) {
                *why = "indirect table length is not a multiple of 16 within the queue size";
                return -EINVAL;
            }
            table = vq->mem->translate(vq->mem->opaque, d.addr, d.len);
            if (!table) {
                *why = "indirect table is not in guest RAM";
                return -EINVAL;
            }
            table_size = d.len / VIRTQ_DESC_SIZE;
            index = 0;
            in_indirect = true;
            budget = table_size;
            continue;
        }

        int ret = chain_add(vq, chain, &d, why);
        if (ret < 0)
            return ret;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        index = d.next;
    }

    vq->last_avail_idx++;
    return 1;
}

void virtqueue_unpop(struct virtqueue *vq, unsigned count)
{
    vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - count);
}

void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
    if (!vq->used)
        return;
    uint8_t *elem = vq->used + USED_RING + USED_ELEM_SIZE * (vq->used_idx & (vq->size - 1));
    store32(elem, head);
    store32(elem + 4, written);
    vq->used_idx++;
    /* The element must be visible before the index that publishes it. */
    store16_release(vq->used + USED_IDX, vq->used_idx);
}

bool virtqueue_should_interrupt(struct virtqueue *vq)
{
    if (!vq->avail)
        return false;
    /* Our used->idx store must be visible before we read the driver's wishes (2.7.10). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    if (!vq->event_idx)
        return !(load16(vq->avail + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);

    uint16_t old = vq->signalled_used;
    uint16_t new = vq->used_idx;
    bool valid = vq->signalled_used_valid;
    vq->signalled_used = new;
    vq->signalled_used_valid = true;
    if (!valid)
        return true;
    /* Interrupt if used_event lies in [old, new): the driver asked to hear when the used
     * index passes it (the spec's vring_need_event). */
    uint16_t used_event = load16(vq->avail + AVAIL_RING + 2 * vq->size);
    return (uint16_t)(new - used_event - 1) < (uint16_t)(new - old);
}

bool virtqueue_set_notification(struct virtqueue *vq, bool enable)
{
    if (!vq->used)
        return false;
    if (vq->event_idx) {
        /* Ask for a notification when the driver makes the entry we wait for available.
         * Disabling needs no write: a stale avail_event already suppresses notifications. */
        if (enable)
            store16(vq->used + USED_RING + USED_ELEM_SIZE * vq->size, vq->last_avail_idx);
    } else {
        store16(vq->used + USED_FLAGS, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
    }
    if (!enable)
        return false;
    /* The write above must be visible before we look at avail->idx again, or a buffer the
     * driver added meanwhile (without notifying) would wait forever. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return virtqueue_has_available(vq);
}

/* Copy len bytes between buf and the iovecs from byte `offset` of them, either way. */
static size_t iov_copy(const struct iovec *iov, unsigned count, size_t offset, uint8_t *buf,
                       size_t len, bool to_iov)
{
    size_t done = 0;

    for (unsigned i = 0; i < count && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t chunk = iov[i].iov_len - offset;
        if (chunk > len - done)
            chunk = len - done;
        uint8_t *at = (uint8_t *)iov[i].iov_base + offset;
        if (to_iov)
            memcpy(at, buf + done, chunk);
        else
            memcpy(buf + done, at, chunk);
        done += chunk;
        offset = 0;
    }
    return done;
}

size_t iov_to_buffer(const struct iovec *iov, unsigned count, size_t offset, void *buf, size_t len)
{
    return iov_copy(iov, count, offset, buf, len, false);
}

size_t iov_from_buffer(const struct iovec *iov, unsigned count, size_t offset, const void *buf,
                       size_t len)
{
    /* iov_copy only reads buf when copying to the iovecs. */
    return iov_copy(iov, count, offset, (uint8_t *)buf, len, true);
}

unsigned iov_slice(const struct iovec *iov, unsigned count, size_t offset, size_t len,
                   struct iovec *out, unsigned max, size_t *covered)
{
    unsigned used = 0;
    size_t done = 0;

    for (unsigned i = 0; i < count && done < len && used < max; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t chunk = iov[i].iov_len - offset;
        if (chunk > len - done)
            chunk = len - done;
        out[used].iov_base = (uint8_t *)iov[i].iov_base + offset;
        out[used].iov_len = chunk;
        used++;
        done += chunk;
        offset = 0;
    }
    *covered = done;
    return used;
}
