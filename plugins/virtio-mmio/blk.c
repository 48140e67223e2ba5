/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk (virtio 1.x section 5.2) on a raw image file or block device.
 *
 * Requests are taken off the queue by the transport's worker thread and executed by a pool of
 * I/O threads (`io-threads`), so several are in flight and a slow disk never stalls a vCPU or
 * the queue. An I/O thread puts its request in the used ring at once, but the interrupt is
 * the worker's: the first completion after an interrupt wakes it, and every completion that
 * comes before it runs shares that one interrupt, as under load many do. Writes go straight
 * to the image with pwritev; a flush is fdatasync() before the request completes, so what the
 * guest flushed survives vmboard being killed. Nothing is cached or reordered here: a write
 * the guest saw complete is in the host's page cache (or on the disk with `direct`).
 *
 * Request errors the driver can be told about (a sector past the end, a length that is not a
 * multiple of 512, a write to a read-only disk) complete with VIRTIO_BLK_S_IOERR; unknown
 * request types with VIRTIO_BLK_S_UNSUPP. A request without room for a status byte or without
 * a header cannot be answered: the device then needs a reset.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

/* Config space layout (5.2.4). */
#define CONFIG_CAPACITY            0
#define CONFIG_SEG_MAX             12
#define CONFIG_BLK_SIZE            20
#define CONFIG_MAX_DISCARD_SECTORS 36
#define CONFIG_MAX_DISCARD_SEG     40
#define CONFIG_DISCARD_ALIGNMENT   44
#define CONFIG_MAX_ZEROES_SECTORS  48
#define CONFIG_MAX_ZEROES_SEG      52
#define CONFIG_ZEROES_MAY_UNMAP    56
#define CONFIG_SIZE                60

#define SECTOR_SIZE       512
#define HEADER_SIZE       16
#define ID_BYTES          20
#define QUEUE_SIZE        256
#define SEGMENT_SIZE      16 /* discard / write zeroes segment */
#define MAX_SEGMENTS      32
#define MAX_RANGE_SECTORS 0x400000u  /* 2 GiB per discard / write zeroes segment */
#define BOUNCE_SIZE       (1u << 20) /* O_DIRECT transfers are done in pieces this large */
#define MAX_IO_THREADS    64

struct blk_request {
    struct virtio_chain *chain;
    struct iovec *data; /* the data part of the chain (without header and status) */
    struct blk_request *next;
};

struct blk {
    struct virtio_dev *vdev;
    char *image;
    int fd;
    bool readonly, direct;
    uint64_t capacity;   /* sectors */
    unsigned block_size; /* bytes: 512, or the O_DIRECT alignment */
    char serial[ID_BYTES];

    /* The I/O pool: requests wait in a FIFO; spare request records on a free list. */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    struct blk_request *head, *tail, *spare;
    bool pool_stop;
    pthread_t threads[MAX_IO_THREADS];
    unsigned thread_count;
    atomic_bool discard_unsupported_logged;
    /* Completions pushed since the worker last decided about the interrupt: the first one
     * signals done_fd, which the worker watches. */
    int done_fd;
    atomic_bool interrupt_pending;
};

static const struct vmb_prop_spec blk_props[] = {
    VIRTIO_COMMON_PROPS,
    {"image", VMB_PROP_STRING, NULL, VMB_PROP_REQUIRED,
     "raw disk image (or block device) the guest sees; its size is the disk's size"},
    {"readonly", VMB_PROP_BOOL, "false", 0,
     "open the image read-only; guest writes fail with an I/O error"},
    {"direct", VMB_PROP_BOOL, "false", 0,
     "O_DIRECT: bypass the host page cache (the disk's block size becomes the alignment)"},
    {"serial", VMB_PROP_STRING, NULL, 0,
     "the disk's id string (up to 20 bytes) for VIRTIO_BLK_T_GET_ID; default the device id"},
    {"io-threads", VMB_PROP_UINT, "4", 0, "threads executing requests, 1..64: requests in flight"},
    {NULL, 0, NULL, 0, NULL},
};

/* ---- the I/O itself --------------------------------------------------------------------- */

/* Advance an iovec array past `done` bytes. */
static unsigned iov_advance(struct iovec **iov, unsigned count, size_t done)
{
    while (count && done >= (*iov)->iov_len) {
        done -= (*iov)->iov_len;
        (*iov)++;
        count--;
    }
    if (count && done) {
        (*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
        (*iov)->iov_len -= done;
    }
    return count;
}

/* preadv/pwritev until all of it is done; 0 or -errno (-EIO for a short read at the end). */
static int transfer_all(int fd, struct iovec *iov, unsigned count, uint64_t offset, bool write)
{
    while (count) {
        int pieces = count > IOV_MAX ? IOV_MAX : (int)count;
        ssize_t done = write ? pwritev(fd, iov, pieces, (off_t)offset)
                             : preadv(fd, iov, pieces, (off_t)offset);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -errno;
        if (done == 0)
            return -EIO;
        offset += (uint64_t)done;
        count = iov_advance(&iov, count, (size_t)done);
    }
    return 0;
}

/* O_DIRECT wants aligned memory: go through a bounce buffer, piece by piece. */
static int transfer_direct(struct blk *blk, const struct iovec *iov, unsigned count,
                           uint64_t offset, size_t len, bool write)
{
    void *bounce = NULL;
    int ret = 0;

    if (posix_memalign(&bounce, blk->block_size, BOUNCE_SIZE) != 0)
        return -ENOMEM;
    for (size_t done = 0; done < len && ret == 0;) {
        size_t piece = len - done < BOUNCE_SIZE ? len - done : BOUNCE_SIZE;
        struct iovec one = {.iov_base = bounce, .iov_len = piece};
        if (write) {
            iov_to_buffer(iov, count, done, bounce, piece);
            ret = transfer_all(blk->fd, &one, 1, offset + done, true);
        } else {
            ret = transfer_all(blk->fd, &one, 1, offset + done, false);
            if (ret == 0)
                iov_from_buffer(iov, count, done, bounce, piece);
        }
        done += piece;
    }
    free(bounce);
    return ret;
}

static bool range_ok(struct blk *blk, uint64_t sector, uint64_t sectors)
{
    return sector <= blk->capacity && sectors <= blk->capacity - sector;
}

static uint8_t blk_rw(struct blk *blk, struct blk_request *req, uint64_t sector, unsigned count,
                      size_t len, bool write)
{
    struct virtio_dev *vdev = blk->vdev;

    if (write && blk->readonly)
        return VIRTIO_BLK_S_IOERR; /* not a guest error: the disk is read-only */
    if (len % SECTOR_SIZE || !range_ok(blk, sector, len / SECTOR_SIZE)) {
        vdev->host->guest_error(vdev->dev,
                                "%s of %zu bytes at sector %" PRIu64 ": not whole "
                                "sectors inside the %" PRIu64 "-sector disk",
                                write ? "write" : "read", len, sector, blk->capacity);
        return VIRTIO_BLK_S_IOERR;
    }
    if (len == 0)
        return VIRTIO_BLK_S_OK;
    uint64_t offset = sector * SECTOR_SIZE;
    int ret;
    if (blk->direct) {
        if (offset % blk->block_size || len % blk->block_size) {
            vdev->host->guest_error(vdev->dev,
                                    "%s at sector %" PRIu64 " of %zu bytes is not "
                                    "aligned to the %u-byte block size",
                                    write ? "write" : "read", sector, len, blk->block_size);
            return VIRTIO_BLK_S_IOERR;
        }
        ret = transfer_direct(blk, req->data, count, offset, len, write);
    } else {
        ret = transfer_all(blk->fd, req->data, count, offset, write);
    }
    if (ret < 0) {
        vdev->host->log(vdev->dev, VMB_LOG_WARN,
                        "%s of %zu bytes at sector %" PRIu64 " of %s "
                        "failed: %s",
                        write ? "write" : "read", len, sector, blk->image, strerror(-ret));
        return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

static int zero_range(struct blk *blk, uint64_t offset, uint64_t len, bool may_unmap)
{
    static const uint8_t zeroes[64 * 1024];

    if (may_unmap && fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
                               (off_t)len) == 0)
        return 0;
    if (fallocate(blk->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) ==
        0)
        return 0;
    /* Punching reads back as zeroes too, where zeroing a range is not supported. */
    if (fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) ==
        0)
        return 0;
    if (blk->direct)
        return -EOPNOTSUPP; /* the plain writes below would need aligned memory */
    for (uint64_t done = 0; done < len;) {
        size_t piece = len - done < sizeof(zeroes) ? (size_t)(len - done) : sizeof(zeroes);
        ssize_t n = pwrite(blk->fd, zeroes, piece, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (uint64_t)n;
    }
    return 0;
}

/* One discard / write-zeroes segment (5.2.6): le64 sector, le32 sectors, le32 flags. */
static void segment_decode(const uint8_t *segment, uint64_t *sector, uint32_t *sectors,
                           uint32_t *flags)
{
    memcpy(sector, segment, 8);
    memcpy(sectors, segment + 8, 4);
    memcpy(flags, segment + 12, 4);
    *sector = le64toh(*sector);
    *sectors = le32toh(*sectors);
    *flags = le32toh(*flags);
}

/* Discard and write zeroes: a list of {sector, num_sectors, flags} segments (5.2.6). */
static uint8_t blk_ranges(struct blk *blk, struct blk_request *req, unsigned count, size_t len,
                          uint32_t type)
{
    struct virtio_dev *vdev = blk->vdev;
    bool zeroes = type == VIRTIO_BLK_T_WRITE_ZEROES;
    uint8_t segments[MAX_SEGMENTS * SEGMENT_SIZE];

    if (!virtio_has_feature(vdev, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD))
        return VIRTIO_BLK_S_UNSUPP;
    if (blk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (len == 0 || len % SEGMENT_SIZE || len / SEGMENT_SIZE > MAX_SEGMENTS) {
        vdev->host->guest_error(vdev->dev,
                                "%s with %zu bytes of segments (1..%u segments of "
                                "16 bytes)",
                                zeroes ? "write zeroes" : "discard", len, MAX_SEGMENTS);
        return VIRTIO_BLK_S_IOERR;
    }
    iov_to_buffer(req->data, count, 0, segments, len);
    /* Check them all before changing anything. */
    for (size_t at = 0; at < len; at += SEGMENT_SIZE) {
        uint64_t sector;
        uint32_t sectors, flags;
        segment_decode(segments + at, &sector, &sectors, &flags);
        if (sectors > MAX_RANGE_SECTORS || !range_ok(blk, sector, sectors) ||
            (flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) || (!zeroes && flags)) {
            vdev->host->guest_error(
                vdev->dev, "%s segment of %u sectors at %" PRIu64 " (flags 0x%x) is out of range",
                zeroes ? "write zeroes" : "discard", sectors, sector, flags);
            return VIRTIO_BLK_S_IOERR;
        }
    }
    for (size_t at = 0; at < len; at += SEGMENT_SIZE) {
        uint64_t sector;
        uint32_t sectors, flags;
        segment_decode(segments + at, &sector, &sectors, &flags);
        uint64_t offset = sector * SECTOR_SIZE;
        uint64_t bytes = (uint64_t)sectors * SECTOR_SIZE;
        if (bytes == 0)
            continue;
        if (zeroes) {
            int ret = zero_range(blk, offset, bytes, flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
            if (ret < 0) {
                vdev->host->log(vdev->dev, VMB_LOG_WARN, "write zeroes on %s failed: %s",
                                blk->image, strerror(-ret));
                return VIRTIO_BLK_S_IOERR;
            }
        } else if (fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
                             (off_t)bytes) < 0) {
            /* A discard is a hint: where the host cannot punch holes, the data just stays. */
            if (!atomic_exchange(&blk->discard_unsupported_logged, true))
                vdev->host->log(vdev->dev, VMB_LOG_INFO,
                                "%s cannot punch holes (%s): "
                                "discards leave the data in place",
                                blk->image, strerror(errno));
        }
    }
    return VIRTIO_BLK_S_OK;
}

/* Execute one request; returns the bytes written into the chain, or -1 when it cannot be
 * answered (the device is then broken). */
static int64_t blk_execute(struct blk *blk, struct blk_request *req)
{
    struct virtio_dev *vdev = blk->vdev;
    struct vq_chain *chain = &req->chain->chain;
    const struct iovec *out = chain->iov, *in = chain->iov + chain->out_count;
    uint8_t header[HEADER_SIZE];

    if (chain->out_bytes < HEADER_SIZE || chain->in_bytes < 1) {
        virtio_device_broken(vdev,
                             "request without a %u-byte readable header and a writable "
                             "status byte (%" PRIu64 " readable, %" PRIu64 " writable)",
                             HEADER_SIZE, chain->out_bytes, chain->in_bytes);
        return -1;
    }
    iov_to_buffer(out, chain->out_count, 0, header, HEADER_SIZE);
    uint32_t type;
    uint64_t sector;
    memcpy(&type, header, 4);
    memcpy(&sector, header + 8, 8);
    type = le32toh(type);
    sector = le64toh(sector);

    /* The status is the last writable byte; the data sits between header and status. */
    const struct iovec *last = &in[chain->in_count - 1];
    uint8_t *status = (uint8_t *)last->iov_base + last->iov_len - 1;
    size_t in_data = (size_t)(chain->in_bytes - 1);
    size_t out_data = (size_t)(chain->out_bytes - HEADER_SIZE);
    size_t covered;
    unsigned count;
    uint8_t result;
    uint32_t written = 1;

    switch (type) {
    case VIRTIO_BLK_T_IN:
        count = iov_slice(in, chain->in_count, 0, in_data, req->data, chain->max_iov, &covered);
        result = blk_rw(blk, req, sector, count, in_data, false);
        if (result == VIRTIO_BLK_S_OK)
            written += (uint32_t)in_data;
        break;
    case VIRTIO_BLK_T_OUT:
        count = iov_slice(out, chain->out_count, HEADER_SIZE, out_data, req->data, chain->max_iov,
                          &covered);
        result = blk_rw(blk, req, sector, count, out_data, true);
        break;
    case VIRTIO_BLK_T_FLUSH:
        result = VIRTIO_BLK_S_OK;
        if (fdatasync(blk->fd) < 0) {
            vdev->host->log(vdev->dev, VMB_LOG_WARN, "flush of %s failed: %s", blk->image,
                            strerror(errno));
            result = VIRTIO_BLK_S_IOERR;
        }
        break;
    case VIRTIO_BLK_T_GET_ID: {
        size_t n = in_data < ID_BYTES ? in_data : ID_BYTES;
        count = iov_slice(in, chain->in_count, 0, n, req->data, chain->max_iov, &covered);
        iov_from_buffer(req->data, count, 0, blk->serial, n);
        written += (uint32_t)n;
        result = VIRTIO_BLK_S_OK;
        break;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        count = iov_slice(out, chain->out_count, HEADER_SIZE, out_data, req->data, chain->max_iov,
                          &covered);
        result = blk_ranges(blk, req, count, out_data, type);
        break;
    default:
        vdev->host->guest_error(vdev->dev, "request type %u is not supported", type);
        result = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    *status = result;
    return written;
}

/* ---- request records and the pool ------------------------------------------------------- */

static struct blk_request *request_get(struct blk *blk)
{
    pthread_mutex_lock(&blk->pool_lock);
    struct blk_request *req = blk->spare;
    if (req)
        blk->spare = req->next;
    pthread_mutex_unlock(&blk->pool_lock);
    if (req)
        return req;

    req = calloc(1, sizeof(*req));
    if (!req)
        return NULL;
    req->chain = virtio_chain_new(blk->vdev);
    req->data = calloc(QUEUE_SIZE, sizeof(struct iovec));
    if (!req->chain || !req->data) {
        virtio_chain_free(req->chain);
        free(req->data);
        free(req);
        return NULL;
    }
    return req;
}

static void request_put(struct blk *blk, struct blk_request *req)
{
    pthread_mutex_lock(&blk->pool_lock);
    req->next = blk->spare;
    blk->spare = req;
    pthread_mutex_unlock(&blk->pool_lock);
}

static void *io_thread_main(void *opaque)
{
    struct blk *blk = opaque;

    for (;;) {
        pthread_mutex_lock(&blk->pool_lock);
        while (!blk->head && !blk->pool_stop)
            pthread_cond_wait(&blk->pool_cond, &blk->pool_lock);
        struct blk_request *req = blk->head;
        if (req) {
            blk->head = req->next;
            if (!blk->head)
                blk->tail = NULL;
        }
        pthread_mutex_unlock(&blk->pool_lock);
        if (!req)
            return NULL; /* stopping, and nothing is left to do */

        int64_t written = blk_execute(blk, req);
        if (written < 0) {
            virtio_drop(blk->vdev, req->chain);
        } else {
            virtio_push(blk->vdev, req->chain, (uint32_t)written, false);
            /* After the push: the worker clears the flag before it looks at the ring. */
            if (!atomic_exchange(&blk->interrupt_pending, true))
                eventfd_write(blk->done_fd, 1);
        }
        request_put(blk, req);
    }
}

static void submit(struct blk *blk, struct blk_request *req)
{
    req->next = NULL;
    pthread_mutex_lock(&blk->pool_lock);
    if (blk->tail)
        blk->tail->next = req;
    else
        blk->head = req;
    blk->tail = req;
    pthread_cond_signal(&blk->pool_cond);
    pthread_mutex_unlock(&blk->pool_lock);
}

static void blk_queue_notify(struct virtio_dev *vdev, unsigned q)
{
    struct blk *blk = vdev->device;

    do {
        virtio_queue_notification(vdev, q, false);
        for (;;) {
            struct blk_request *req = request_get(blk);
            if (!req) {
                vdev->host->log(vdev->dev, VMB_LOG_ERROR, "out of memory for requests");
                return;
            }
            int ret = virtio_pop(vdev, q, req->chain);
            if (ret <= 0) {
                request_put(blk, req);
                if (ret < 0)
                    return;
                break;
            }
            submit(blk, req);
        }
    } while (virtio_queue_notification(vdev, q, true));
}

/* ---- lifecycle -------------------------------------------------------------------------- */

/* Worker: completions came since the last interrupt decision. */
static void blk_fd_ready(struct virtio_dev *vdev, int fd, short revents)
{
    struct blk *blk = vdev->device;
    eventfd_t count;

    (void)revents;
    eventfd_read(fd, &count);
    atomic_store(&blk->interrupt_pending, false);
    virtio_queue_interrupt(vdev, 0);
}

static const struct virtio_device_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max_size = QUEUE_SIZE,
    .config_size = CONFIG_SIZE,
    .queue_notify = blk_queue_notify,
    .fd_ready = blk_fd_ready,
};

/* The smallest O_DIRECT alignment the image takes: try 512, else 4096. */
static unsigned direct_alignment(int fd)
{
    void *buf = NULL;
    unsigned result = 4096;

    if (posix_memalign(&buf, 4096, 4096) != 0)
        return result;
    if (pread(fd, buf, 512, 0) >= 0)
        result = 512;
    free(buf);
    return result;
}

static int open_image(struct blk *blk, vmb_device *dev, const struct vmb_host *host)
{
    int flags = (blk->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (blk->direct ? O_DIRECT : 0);
    struct stat st;

    blk->fd = open(blk->image, flags);
    if (blk->fd < 0) {
        int err = errno;
        host->error(dev, "cannot open image %s%s: %s", blk->image,
                    blk->readonly ? " read-only" : "", strerror(err));
        return -err;
    }
    if (fstat(blk->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        host->error(dev, "image %s is not a regular file or a block device", blk->image);
        return -EINVAL;
    }
    /* Two writers on one image corrupt it: take the same kind of lock QEMU does. */
    struct flock lock = {.l_type = blk->readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(blk->fd, F_OFD_SETLK, &lock) < 0) {
        host->error(dev, "image %s is in use by another process (%s lock refused: %s)", blk->image,
                    blk->readonly ? "read" : "write", strerror(errno));
        return -EBUSY;
    }
    off_t size = lseek(blk->fd, 0, SEEK_END);
    if (size < 0) {
        host->error(dev, "cannot find the size of %s: %s", blk->image, strerror(errno));
        return -EINVAL;
    }
    blk->capacity = (uint64_t)size / SECTOR_SIZE;
    if (size % SECTOR_SIZE)
        host->log(dev, VMB_LOG_WARN,
                  "%s is not a whole number of 512-byte sectors: the last "
                  "%lld bytes are not visible to the guest",
                  blk->image, (long long)(size % SECTOR_SIZE));
    blk->block_size = blk->direct ? direct_alignment(blk->fd) : SECTOR_SIZE;
    return 0;
}

static void *blk_create(vmb_device *dev, const struct vmb_host *host)
{
    const char *image = host->prop_string(dev, "image");
    const char *serial =
        host->prop_present(dev, "serial") ? host->prop_string(dev, "serial") : host->device_id(dev);
    uint64_t threads = host->prop_uint(dev, "io-threads");
    bool readonly = host->prop_bool(dev, "readonly");

    if (!image || !*image) {
        host->error(dev, "image: give the path of a raw disk image");
        return NULL;
    }
    if (strlen(serial) > ID_BYTES) {
        host->error(dev, "serial '%s' is longer than %d bytes", serial, ID_BYTES);
        return NULL;
    }
    if (threads < 1 || threads > MAX_IO_THREADS) {
        host->error(dev, "io-threads %llu is out of range (1..%d)", (unsigned long long)threads,
                    MAX_IO_THREADS);
        return NULL;
    }
    uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
                        VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
    features |= readonly ? VIRTIO_BIT(VIRTIO_BLK_F_RO)
                         : VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
    struct virtio_dev *vdev = virtio_create(dev, host, &blk_ops, features, sizeof(struct blk));
    if (!vdev)
        return NULL;
    struct blk *blk = vdev->device;
    blk->vdev = vdev;
    blk->fd = -1;
    blk->done_fd = -1;
    blk->readonly = readonly;
    blk->direct = host->prop_bool(dev, "direct");
    blk->thread_count = (unsigned)threads;
    /* Zero-padded, and not terminated when it has 20 bytes (5.2.6). */
    memcpy(blk->serial, serial, strlen(serial));
    blk->image = strdup(image);
    pthread_mutex_init(&blk->pool_lock, NULL);
    pthread_cond_init(&blk->pool_cond, NULL);
    if (!blk->image || open_image(blk, dev, host) != 0) {
        if (!blk->image)
            host->error(dev, "out of memory");
        if (blk->fd >= 0)
            close(blk->fd);
        free(blk->image);
        virtio_free(vdev);
        return NULL;
    }
    return vdev;
}

static int blk_realize(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct blk *blk = vdev->device;

    virtio_config_put64(vdev, CONFIG_CAPACITY, blk->capacity);
    virtio_config_put32(vdev, CONFIG_SEG_MAX, QUEUE_SIZE - 2); /* header and status take two */
    virtio_config_put32(vdev, CONFIG_BLK_SIZE, blk->block_size);
    virtio_config_put32(vdev, CONFIG_MAX_DISCARD_SECTORS, MAX_RANGE_SECTORS);
    virtio_config_put32(vdev, CONFIG_MAX_DISCARD_SEG, MAX_SEGMENTS);
    virtio_config_put32(vdev, CONFIG_DISCARD_ALIGNMENT, blk->block_size / SECTOR_SIZE);
    virtio_config_put32(vdev, CONFIG_MAX_ZEROES_SECTORS, MAX_RANGE_SECTORS);
    virtio_config_put32(vdev, CONFIG_MAX_ZEROES_SEG, MAX_SEGMENTS);
    vdev->config[CONFIG_ZEROES_MAY_UNMAP] = 1;

    blk->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (blk->done_fd < 0) {
        int err = errno;
        vdev->host->error(vdev->dev, "eventfd: %s", strerror(err));
        return -err;
    }
    for (unsigned i = 0; i < blk->thread_count; i++) {
        int ret = pthread_create(&blk->threads[i], NULL, io_thread_main, blk);
        if (ret) {
            vdev->host->error(vdev->dev, "cannot start I/O thread: %s", strerror(ret));
            blk->thread_count = i;
            return -ret;
        }
    }
    int ret = virtio_realize(vdev);
    if (ret == 0)
        virtio_watch(vdev, blk->done_fd, POLLIN);
    return ret;
}

static void blk_destroy(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct blk *blk = vdev->device;

    virtio_stop(vdev);
    pthread_mutex_lock(&blk->pool_lock);
    blk->pool_stop = true;
    pthread_cond_broadcast(&blk->pool_cond);
    pthread_mutex_unlock(&blk->pool_lock);
    for (unsigned i = 0; i < blk->thread_count; i++)
        pthread_join(blk->threads[i], NULL);
    while (blk->spare) {
        struct blk_request *req = blk->spare;
        blk->spare = req->next;
        virtio_chain_free(req->chain);
        free(req->data);
        free(req);
    }
    if (blk->fd >= 0)
        close(blk->fd);
    if (blk->done_fd >= 0)
        close(blk->done_fd);
    free(blk->image);
    pthread_cond_destroy(&blk->pool_cond);
    pthread_mutex_destroy(&blk->pool_lock);
    virtio_free(vdev);
}

const struct vmb_device_type virtio_blk_type = {
    VIRTIO_MMIO_TYPE_FIELDS,
    .name = "virtio-blk",
    .description = "virtio block device (virtio-mmio) on a raw image",
    .props = blk_props,
    .create = blk_create,
    .realize = blk_realize,
    .destroy = blk_destroy,
};
