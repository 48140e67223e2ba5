/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-rng (virtio 1.x section 5.4): the guest's /dev/hwrng, filled from the host's
 * getrandom(). Each request takes at most MAX_REQUEST bytes, so a guest asking for a huge
 * buffer cannot keep the worker thread busy for long; the used length says how much it got.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "virtio.h"

#define QUEUE_SIZE  64
#define MAX_REQUEST (64 * 1024)
#define CHUNK       4096

static const struct vmb_prop_spec rng_props[] = {
    VIRTIO_COMMON_PROPS,
    {NULL, 0, NULL, 0, NULL},
};

struct rng {
    struct virtio_chain *chain; /* worker thread */
};

/* Fill one chain's writable buffers; returns the bytes written. */
static uint32_t fill(struct virtio_dev *vdev, struct vq_chain *c)
{
    uint8_t buf[CHUNK];
    size_t want = c->in_bytes < MAX_REQUEST ? (size_t)c->in_bytes : MAX_REQUEST;
    size_t done = 0;

    while (done < want) {
        size_t piece = want - done < sizeof(buf) ? want - done : sizeof(buf);
        ssize_t n = getrandom(buf, piece, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vdev->host->log(vdev->dev, VMB_LOG_WARN, "getrandom failed: %s", strerror(errno));
            break;
        }
        iov_from_buffer(c->iov + c->out_count, c->in_count, done, buf, (size_t)n);
        done += (size_t)n;
    }
    return (uint32_t)done;
}

static void rng_queue_notify(struct virtio_dev *vdev, unsigned q)
{
    struct rng *rng = vdev->device;
    unsigned served = 0;

    do {
        virtio_queue_notification(vdev, q, false);
        for (;;) {
            int ret = virtio_pop(vdev, q, rng->chain);
            if (ret < 0)
                return;
            if (ret == 0)
                break;
            struct vq_chain *c = &rng->chain->chain;
            if (c->out_count)
                vdev->host->guest_error(vdev->dev, "request has device-readable buffers; they "
                                                   "are ignored");
            virtio_push(vdev, rng->chain, fill(vdev, c), false);
            served++;
        }
        if (served)
            virtio_queue_interrupt(vdev, q);
        served = 0;
    } while (virtio_queue_notification(vdev, q, true));
}

static const struct virtio_device_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .num_queues = 1,
    .queue_max_size = QUEUE_SIZE,
    .config_size = 0,
    .queue_notify = rng_queue_notify,
};

static void *rng_create(vmb_device *dev, const struct vmb_host *host)
{
    struct virtio_dev *vdev = virtio_create(dev, host, &rng_ops, 0, sizeof(struct rng));
    if (!vdev)
        return NULL;
    struct rng *rng = vdev->device;
    rng->chain = virtio_chain_new(vdev);
    if (!rng->chain) {
        host->error(dev, "out of memory");
        virtio_free(vdev);
        return NULL;
    }
    return vdev;
}

static int rng_realize(void *opaque)
{
    return virtio_realize(opaque);
}

static void rng_destroy(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct rng *rng = vdev->device;

    virtio_stop(vdev);
    virtio_chain_free(rng->chain);
    virtio_free(vdev);
}

const struct vmb_device_type virtio_rng_type = {
    VIRTIO_MMIO_TYPE_FIELDS,
    .name = "virtio-rng",
    .description = "virtio entropy source (virtio-mmio): the guest's /dev/hwrng",
    .props = rng_props,
    .create = rng_create,
    .realize = rng_realize,
    .destroy = rng_destroy,
};
