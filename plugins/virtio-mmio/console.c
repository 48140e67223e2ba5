/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-console (virtio 1.x section 5.3), one port (hvc0 in Linux), on the same console
 * backends as the UARTs (`console: stdio | file:PATH | none`).
 *
 * Output: the worker thread copies each transmit chain to the backend, which never blocks.
 * Input arrives from the backend on the I/O thread and goes straight into receive buffers;
 * what does not fit is refused and offered again (console_accept) once the driver adds
 * buffers, so typed input is never dropped. VIRTIO_CONSOLE_F_EMERG_WRITE lets the driver
 * write single characters through config space before its queues work (early printk).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "virtio.h"

#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

#define CONFIG_COLS      0
#define CONFIG_ROWS      2
#define CONFIG_MAX_PORTS 4
#define CONFIG_EMERG_WR  8
#define CONFIG_SIZE      12

#define RX_QUEUE   0
#define TX_QUEUE   1
#define QUEUE_SIZE 64
#define CHUNK      4096

struct vconsole {
    struct virtio_dev *vdev;
    char *spec;
    vmb_console *console;
    atomic_bool input_refused;
    struct virtio_chain *tx_chain; /* worker thread */
    struct virtio_chain *rx_chain; /* I/O thread */
};

static const struct vmb_prop_spec console_props[] = {
    VIRTIO_COMMON_PROPS,
    {"console", VMB_PROP_STRING, "stdio", 0, "backend: stdio, file:PATH or none"},
    {NULL, 0, NULL, 0, NULL},
};

static void console_transmit(struct vconsole *con)
{
    struct virtio_dev *vdev = con->vdev;
    struct virtio_chain *chain = con->tx_chain;
    uint8_t buf[CHUNK];
    unsigned sent = 0;

    do {
        virtio_queue_notification(vdev, TX_QUEUE, false);
        for (;;) {
            int ret = virtio_pop(vdev, TX_QUEUE, chain);
            if (ret < 0)
                return;
            if (ret == 0)
                break;
            struct vq_chain *c = &chain->chain;
            if (c->in_count)
                vdev->host->guest_error(vdev->dev, "transmit chain has device-writable "
                                                   "buffers; they are left alone");
            for (size_t done = 0; done < c->out_bytes;) {
                size_t n = iov_to_buffer(c->iov, c->out_count, done, buf, sizeof(buf));
                vdev->host->console_write(con->console, buf, n);
                done += n;
            }
            virtio_push(vdev, chain, 0, false);
            sent++;
        }
        if (sent)
            virtio_queue_interrupt(vdev, TX_QUEUE);
        sent = 0;
    } while (virtio_queue_notification(vdev, TX_QUEUE, true));
}

static void console_queue_notify(struct virtio_dev *vdev, unsigned q)
{
    struct vconsole *con = vdev->device;

    if (q == TX_QUEUE)
        console_transmit(con);
    else if (atomic_exchange(&con->input_refused, false))
        vdev->host->console_accept(con->console); /* buffers came: offer the input again */
}

/* I/O thread: bytes typed at the backend. */
static size_t console_input(void *opaque, const uint8_t *buf, size_t len)
{
    struct virtio_dev *vdev = opaque;
    struct vconsole *con = vdev->device;
    size_t taken = 0;

    while (taken < len) {
        int ret = virtio_pop(vdev, RX_QUEUE, con->rx_chain);
        if (ret <= 0)
            break;
        struct vq_chain *c = &con->rx_chain->chain;
        if (c->out_count) {
            virtio_drop(vdev, con->rx_chain);
            virtio_device_broken(vdev, "receive buffer with device-readable descriptors");
            break;
        }
        size_t n = iov_from_buffer(c->iov, c->in_count, 0, buf + taken, len - taken);
        virtio_push(vdev, con->rx_chain, (uint32_t)n, false);
        taken += n;
    }
    if (taken)
        virtio_queue_interrupt(vdev, RX_QUEUE);
    if (taken < len) {
        atomic_store(&con->input_refused, true);
        /* A buffer may have come between our last look and the flag: look once more. */
        if (virtio_queue_notification(vdev, RX_QUEUE, true) &&
            atomic_exchange(&con->input_refused, false))
            vdev->host->console_accept(con->console);
    }
    return taken;
}

static void console_config_write(struct virtio_dev *vdev, unsigned offset, uint64_t value,
                                 unsigned size)
{
    struct vconsole *con = vdev->device;

    if (offset == CONFIG_EMERG_WR && virtio_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE)) {
        uint8_t byte = (uint8_t)value;
        vdev->host->console_write(con->console, &byte, 1);
        return;
    }
    vdev->host->guest_error(vdev->dev, "config write at %u: not writable; ignored", offset);
}

static void console_driver_ok(struct virtio_dev *vdev)
{
    struct vconsole *con = vdev->device;
    /* Input typed before the driver was ready is waiting in the backend. */
    atomic_store(&con->input_refused, false);
    vdev->host->console_accept(con->console);
}

static const struct virtio_device_ops console_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2,
    .queue_max_size = QUEUE_SIZE,
    .config_size = CONFIG_SIZE,
    .config_write = console_config_write,
    .driver_ok = console_driver_ok,
    .queue_notify = console_queue_notify,
};

static bool console_spec_ok(const char *spec)
{
    return strcmp(spec, "stdio") == 0 || strcmp(spec, "none") == 0 ||
           (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0');
}

static void *console_create(vmb_device *dev, const struct vmb_host *host)
{
    const char *spec = host->prop_string(dev, "console");

    if (!spec || !console_spec_ok(spec)) {
        host->error(dev, "console '%s' is not stdio, file:PATH or none", spec ? spec : "");
        return NULL;
    }
    struct virtio_dev *vdev = virtio_create(
        dev, host, &console_ops, VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE), sizeof(struct vconsole));
    if (!vdev)
        return NULL;
    struct vconsole *con = vdev->device;
    con->vdev = vdev;
    con->spec = strdup(spec);
    con->tx_chain = virtio_chain_new(vdev);
    con->rx_chain = virtio_chain_new(vdev);
    if (!con->spec || !con->tx_chain || !con->rx_chain) {
        host->error(dev, "out of memory");
        free(con->spec);
        virtio_chain_free(con->tx_chain);
        virtio_chain_free(con->rx_chain);
        virtio_free(vdev);
        return NULL;
    }
    return vdev;
}

static int console_realize(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct vconsole *con = vdev->device;

    virtio_config_put32(vdev, CONFIG_MAX_PORTS, 1);
    con->console = vdev->host->console_open(vdev->dev, con->spec, console_input, vdev);
    if (!con->console)
        return -EINVAL; /* the core recorded why */
    return virtio_realize(vdev);
}

static void console_destroy(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct vconsole *con = vdev->device;

    virtio_stop(vdev);
    if (con->console)
        vdev->host->console_close(con->console);
    free(con->spec);
    virtio_chain_free(con->tx_chain);
    virtio_chain_free(con->rx_chain);
    virtio_free(vdev);
}

const struct vmb_device_type virtio_console_type = {
    VIRTIO_MMIO_TYPE_FIELDS,
    .name = "virtio-console",
    .description = "virtio console (virtio-mmio), one port: hvc0",
    .props = console_props,
    .create = console_create,
    .realize = console_realize,
    .destroy = console_destroy,
};
