/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net (virtio 1.x section 5.1) on a host TAP interface.
 *
 * The TAP is opened with IFF_VNET_HDR and a 12-byte header (TUNSETVNETHDRSZ), which is exactly
 * virtio 1.x's struct virtio_net_hdr: transmitted chains go to the TAP as they are (one
 * writev), and what the TAP hands us is copied into receive buffers with the header in front.
 * Offloads are offered only as far as the TAP takes them: the guest may send partial checksums
 * and TSO frames (a TAP with a vnet header always accepts those), and receives them only for
 * the TUNSETOFFLOAD flags the TAP accepted and the driver negotiated.
 *
 * Everything runs on the transport's worker thread: queue notifications and TAP readiness. A
 * TAP that cannot take a frame (EAGAIN) leaves the chain in the ring and we wait for POLLOUT;
 * a guest with no receive buffers leaves the frame in our buffer and we wait for a
 * notification, so neither side spins or drops what the other is still willing to take.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN  9
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_HOST_ECN   13
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VIRTIO_NET_S_LINK_UP 1

#define CONFIG_MAC    0
#define CONFIG_STATUS 6
#define CONFIG_SIZE   12 /* mac, status, max_virtqueue_pairs, mtu */

#define NET_HEADER_SIZE 12            /* struct virtio_net_hdr with num_buffers */
#define NET_NUM_BUFFERS 10            /* offset of num_buffers in it */
#define MAX_FRAME       (65536 + 256) /* a TSO frame and its Ethernet/VLAN headers */
#define QUEUE_SIZE      256
#define RX_QUEUE        0
#define TX_QUEUE        1
#define RX_BUDGET       256 /* frames per wakeup, so transmit gets its turn */

struct net {
    struct virtio_dev *vdev;
    int tap;
    char ifname[IFNAMSIZ];
    uint8_t mac[6];
    unsigned tap_offloads; /* TUN_F_* the TAP accepted */

    /* Worker thread only. */
    bool rx_wanted;  /* the guest has (or may have) receive buffers: watch the TAP */
    bool tx_blocked; /* the TAP said EAGAIN: wait for POLLOUT */
    uint8_t *frame;  /* a received frame waiting for buffers, with its vnet header */
    size_t frame_len;
    struct virtio_chain *tx_chain;
    struct virtio_chain *rx_chains[QUEUE_SIZE];
    uint32_t rx_lens[QUEUE_SIZE];
};

static const struct vmb_prop_spec net_props[] = {
    VIRTIO_COMMON_PROPS,
    {"tap", VMB_PROP_STRING, NULL, VMB_PROP_REQUIRED,
     "host TAP interface to attach to, or `auto` for a new vmbN interface"},
    {"mac", VMB_PROP_STRING, NULL, 0,
     "guest MAC address aa:bb:cc:dd:ee:ff; default derived from the board name and device id"},
    {NULL, 0, NULL, 0, NULL},
};

static void update_watch(struct net *net)
{
    short events = (net->rx_wanted ? POLLIN : 0) | (net->tx_blocked ? POLLOUT : 0);
    virtio_watch(net->vdev, net->tap, events);
}

/* ---- receive ---------------------------------------------------------------------------- */

/* Put net->frame into receive buffers. false: not enough buffers now (nothing consumed). */
static bool deliver_frame(struct net *net)
{
    struct virtio_dev *vdev = net->vdev;
    bool merge = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
    size_t offset = 0;
    unsigned used = 0;

    while (offset < net->frame_len) {
        if (used == QUEUE_SIZE) {
            virtio_unpop(vdev, RX_QUEUE, used);
            return true; /* cannot happen with whole buffers; drop the frame */
        }
        struct virtio_chain *chain = net->rx_chains[used];
        int ret = virtio_pop(vdev, RX_QUEUE, chain);
        if (ret == 0) {
            virtio_unpop(vdev, RX_QUEUE, used);
            return false;
        }
        if (ret < 0) {
            virtio_unpop(vdev, RX_QUEUE, used);
            return true; /* the device is broken now: the frame is dropped */
        }
        struct vq_chain *c = &chain->chain;
        if (c->out_count) {
            virtio_unpop(vdev, RX_QUEUE, used + 1);
            virtio_device_broken(vdev, "receive buffer with device-readable descriptors");
            return true;
        }
        if ((!merge && c->in_bytes < net->frame_len) ||
            (used == 0 && c->in_bytes < NET_HEADER_SIZE)) {
            /* Too small for the frame (or the header): the frame is dropped, the buffer kept. */
            vdev->host->guest_error(vdev->dev,
                                    "receive buffer of %llu bytes cannot hold a "
                                    "%zu-byte frame; frame dropped",
                                    (unsigned long long)c->in_bytes, net->frame_len);
            virtio_unpop(vdev, RX_QUEUE, used + 1);
            return true;
        }
        size_t chunk = net->frame_len - offset;
        if (chunk > c->in_bytes)
            chunk = (size_t)c->in_bytes;
        iov_from_buffer(c->iov, c->in_count, 0, net->frame + offset, chunk);
        net->rx_lens[used++] = (uint32_t)chunk;
        offset += chunk;
    }
    /* The TAP leaves num_buffers alone: it is ours to fill (1 without merging, 5.1.6.4). */
    uint16_t buffers = htole16((uint16_t)used);
    struct vq_chain *first = &net->rx_chains[0]->chain;
    iov_from_buffer(first->iov, first->in_count, NET_NUM_BUFFERS, &buffers, sizeof(buffers));
    for (unsigned i = 0; i < used; i++)
        virtio_push(vdev, net->rx_chains[i], net->rx_lens[i], false);
    return true;
}

static void net_receive(struct net *net)
{
    struct virtio_dev *vdev = net->vdev;
    unsigned delivered = 0;

    for (unsigned budget = RX_BUDGET; budget; budget--) {
        if (!virtio_queue_usable(vdev, RX_QUEUE)) {
            net->rx_wanted = false;
            break;
        }
        if (!net->frame_len) {
            ssize_t n = read(net->tap, net->frame, MAX_FRAME);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break; /* EAGAIN: wait for the next POLLIN */
            if (n <= NET_HEADER_SIZE)
                continue;
            net->frame_len = (size_t)n;
        }
        if (!deliver_frame(net)) {
            /* Out of buffers: have the driver tell us when it adds some. */
            net->rx_wanted = false;
            if (virtio_queue_notification(vdev, RX_QUEUE, true))
                net->rx_wanted = true; /* it just did */
            if (!net->rx_wanted)
                break;
            continue;
        }
        net->frame_len = 0;
        delivered++;
    }
    if (delivered)
        virtio_queue_interrupt(vdev, RX_QUEUE);
    update_watch(net);
}

/* ---- transmit --------------------------------------------------------------------------- */

static void net_transmit(struct net *net)
{
    struct virtio_dev *vdev = net->vdev;
    struct virtio_chain *chain = net->tx_chain;
    unsigned sent = 0;

    do {
        virtio_queue_notification(vdev, TX_QUEUE, false);
        while (!net->tx_blocked) {
            int ret = virtio_pop(vdev, TX_QUEUE, chain);
            if (ret < 0)
                return;
            if (ret == 0)
                break;
            struct vq_chain *c = &chain->chain;
            if (c->in_count)
                vdev->host->guest_error(vdev->dev, "transmit chain has device-writable "
                                                   "buffers; they are left alone");
            if (c->out_bytes <= NET_HEADER_SIZE || c->out_bytes > NET_HEADER_SIZE + MAX_FRAME) {
                vdev->host->guest_error(vdev->dev,
                                        "transmit of %llu bytes (header included) "
                                        "is not a frame; dropped",
                                        (unsigned long long)c->out_bytes);
                virtio_push(vdev, chain, 0, false);
                sent++;
                continue;
            }
            ssize_t n = writev(net->tap, c->iov, (int)c->out_count);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                /* Leave it in the ring; POLLOUT brings us back. */
                virtio_unpop(vdev, TX_QUEUE, 1);
                net->tx_blocked = errno == EAGAIN;
                break;
            }
            /* Other errors (the interface is down: EIO) drop the frame, like a cable pulled. */
            virtio_push(vdev, chain, 0, false);
            sent++;
        }
        if (sent)
            virtio_queue_interrupt(vdev, TX_QUEUE);
        sent = 0;
    } while (!net->tx_blocked && virtio_queue_notification(vdev, TX_QUEUE, true));
    update_watch(net);
}

/* ---- transport hooks -------------------------------------------------------------------- */

static void net_queue_notify(struct virtio_dev *vdev, unsigned q)
{
    struct net *net = vdev->device;

    if (q == TX_QUEUE) {
        net_transmit(net);
    } else {
        net->rx_wanted = true;
        net_receive(net);
    }
}

static void net_fd_ready(struct virtio_dev *vdev, int fd, short revents)
{
    struct net *net = vdev->device;

    if (revents & (POLLOUT | POLLERR | POLLHUP)) {
        net->tx_blocked = false;
        net_transmit(net);
    }
    if (revents & POLLIN)
        net_receive(net);
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
        vdev->host->log(vdev->dev, VMB_LOG_WARN, "TAP %s reported an error; detaching",
                        net->ifname);
        net->rx_wanted = net->tx_blocked = false;
        update_watch(net);
    }
}

/* Let the TAP hand us exactly the offloads the driver can take. */
static bool net_features_ok(struct virtio_dev *vdev, uint64_t features)
{
    struct net *net = vdev->device;
    unsigned offloads = 0;

    if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)) {
        offloads |= TUN_F_CSUM;
        if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
            offloads |= TUN_F_TSO4;
        if (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
            offloads |= TUN_F_TSO6;
        if ((offloads & (TUN_F_TSO4 | TUN_F_TSO6)) &&
            (features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN)))
            offloads |= TUN_F_TSO_ECN;
    }
    if (ioctl(net->tap, TUNSETOFFLOAD, offloads) < 0) {
        vdev->host->log(vdev->dev, VMB_LOG_WARN, "TUNSETOFFLOAD 0x%x on %s failed: %s", offloads,
                        net->ifname, strerror(errno));
        return false;
    }
    return true;
}

static const struct virtio_device_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max_size = QUEUE_SIZE,
    .config_size = CONFIG_SIZE,
    .features_ok = net_features_ok,
    .queue_notify = net_queue_notify,
    .fd_ready = net_fd_ready,
};

/* ---- lifecycle -------------------------------------------------------------------------- */

static bool parse_mac(const char *text, uint8_t mac[6])
{
    unsigned bytes[6];
    char end;

    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &bytes[0], &bytes[1], &bytes[2], &bytes[3],
               &bytes[4], &bytes[5], &end) != 6 ||
        strlen(text) != 17)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)bytes[i];
    return true;
}

/* A locally administered unicast address from a hash of the board name and device id: the
 * same machine gets the same address every run, two boards' net0 do not collide. */
static void derive_mac(const char *board, const char *id, uint8_t mac[6])
{
    uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a */
    const char *parts[] = {board, "/", id};

    for (size_t p = 0; p < 3; p++)
        for (const char *c = parts[p]; c && *c; c++)
            hash = (hash ^ (uint8_t)*c) * 0x100000001b3ull;
    mac[0] = 0x52; /* bit 1 set: locally administered; bit 0 clear: unicast */
    for (int i = 1; i < 6; i++)
        mac[i] = (uint8_t)(hash >> (8 * (i - 1)));
}

static int open_tap(struct net *net, const char *name, vmb_device *dev, const struct vmb_host *host)
{
    struct ifreq ifr;
    unsigned features = 0;
    int header_size = NET_HEADER_SIZE;
    bool automatic = strcmp(name, "auto") == 0;

    if (!automatic && strlen(name) >= IFNAMSIZ) {
        host->error(dev, "tap '%s': interface names are at most %d characters", name, IFNAMSIZ - 1);
        return -EINVAL;
    }
    net->tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (net->tap < 0) {
        int err = errno;
        host->error(dev, "cannot open /dev/net/tun: %s%s", strerror(err),
                    err == ENOENT ? " (load the tun module: modprobe tun)" : "");
        return -err;
    }
    if (ioctl(net->tap, TUNGETFEATURES, &features) < 0 || !(features & IFF_VNET_HDR)) {
        host->error(dev, "this kernel's TAP driver has no IFF_VNET_HDR");
        return -ENOTSUP;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", automatic ? "vmb%d" : name);
    if (ioctl(net->tap, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        host->error(dev, "cannot attach to TAP %s: %s%s", automatic ? "(auto)" : name,
                    strerror(err),
                    err == EPERM   ? " (needs CAP_NET_ADMIN, or a persistent TAP you own: "
                                     "`ip tuntap add NAME mode tap user $USER`)"
                    : err == EBUSY ? " (another process has it)"
                                   : "");
        return -err;
    }
    snprintf(net->ifname, sizeof(net->ifname), "%s", ifr.ifr_name);
    if (ioctl(net->tap, TUNSETVNETHDRSZ, &header_size) < 0) {
        host->error(dev, "TUNSETVNETHDRSZ %d on %s failed: %s", header_size, net->ifname,
                    strerror(errno));
        return -EINVAL;
    }
    /* Which receive offloads does the TAP take? Try them all, then checksums alone. */
    static const unsigned tries[] = {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
                                     TUN_F_CSUM};
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && !net->tap_offloads; i++)
        if (ioctl(net->tap, TUNSETOFFLOAD, tries[i]) == 0)
            net->tap_offloads = tries[i];
    /* Until the driver says what it takes, receive plain frames only. */
    if (ioctl(net->tap, TUNSETOFFLOAD, 0) < 0)
        net->tap_offloads = 0;
    host->log(dev, VMB_LOG_INFO, "attached to TAP %s", net->ifname);
    return 0;
}

/* What net_create allocates besides the transport (any of it may be missing). */
static void net_release(struct net *net)
{
    if (net->tap >= 0)
        close(net->tap);
    free(net->frame);
    virtio_chain_free(net->tx_chain);
    for (unsigned i = 0; i < QUEUE_SIZE; i++)
        virtio_chain_free(net->rx_chains[i]);
}

static void *net_create(vmb_device *dev, const struct vmb_host *host)
{
    const char *tap = host->prop_string(dev, "tap");
    uint8_t mac[6];

    if (host->prop_present(dev, "mac")) {
        const char *text = host->prop_string(dev, "mac");
        if (!text || !parse_mac(text, mac) || (mac[0] & 1)) {
            host->error(dev, "mac '%s' is not a unicast address like 52:54:00:12:34:56",
                        text ? text : "");
            return NULL;
        }
    } else {
        struct vmb_machine_info info = {.size = sizeof(info)};
        host->machine_info(dev, &info);
        derive_mac(info.board_name, host->device_id(dev), mac);
    }
    if (!tap || !*tap) {
        host->error(dev, "tap: give a TAP interface name or `auto`");
        return NULL;
    }

    struct virtio_dev *probe = virtio_create(dev, host, &net_ops, 0, sizeof(struct net));
    if (!probe)
        return NULL;
    struct net *net = probe->device;
    net->vdev = probe;
    net->tap = -1;
    memcpy(net->mac, mac, sizeof(mac));
    net->frame = malloc(MAX_FRAME);
    net->tx_chain = virtio_chain_new(probe);
    bool ok = net->frame && net->tx_chain;
    for (unsigned i = 0; i < QUEUE_SIZE && ok; i++)
        ok = (net->rx_chains[i] = virtio_chain_new(probe)) != NULL;
    if (!ok)
        host->error(dev, "out of memory");
    if (!ok || open_tap(net, tap, dev, host) != 0) {
        net_release(net);
        virtio_free(probe);
        return NULL;
    }

    /* The offer depends on what the TAP accepted. */
    uint64_t features = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
                        VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
                        VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
                        VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN);
    if (net->tap_offloads & TUN_F_CSUM)
        features |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
    if (net->tap_offloads & TUN_F_TSO4)
        features |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4);
    if (net->tap_offloads & TUN_F_TSO6)
        features |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
    if (net->tap_offloads & TUN_F_TSO_ECN)
        features |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN);
    probe->offered |= features;
    return probe;
}

static int net_realize(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct net *net = vdev->device;

    memcpy(vdev->config + CONFIG_MAC, net->mac, sizeof(net->mac));
    virtio_config_put16(vdev, CONFIG_STATUS, VIRTIO_NET_S_LINK_UP);
    return virtio_realize(vdev);
}

static void net_destroy(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    struct net *net = vdev->device;

    virtio_stop(vdev);
    net_release(net);
    virtio_free(vdev);
}

const struct vmb_device_type virtio_net_type = {
    VIRTIO_MMIO_TYPE_FIELDS,
    .name = "virtio-net",
    .description = "virtio network device (virtio-mmio) on a host TAP interface",
    .props = net_props,
    .create = net_create,
    .realize = net_realize,
    .destroy = net_destroy,
};
