/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net on a real TAP. Each test runs in its own network namespace (unshare in the
 * forked test process), so the TAP, its address and the host kernel's answers are private and
 * vanish with the test. The test "guest" (virtio-guest.c) sends frames through the transmit
 * queue and the host kernel answers them through the receive queue: ARP, ICMP echo and UDP.
 *
 * Needs root (CAP_NET_ADMIN) and /dev/net/tun. Without them the suite skips (exit 77), except
 * with CI=true, where a skip is a failure.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <glib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virtio-guest.h"

#define NET_BASE 0xd0000000ull
#define NET_IRQ  5
#define RX       0
#define TX       1

#define NET_F_CSUM       0
#define NET_F_GUEST_CSUM 1
#define NET_F_MAC        5
#define NET_F_GUEST_TSO4 7
#define NET_F_MRG_RXBUF  15
#define NET_F_STATUS     16

#define HDR      12 /* struct virtio_net_hdr with num_buffers */
#define RX_BUF   2048
#define WAIT_MS  5000
#define HOST_IP  "10.0.2.1"
#define GUEST_IP "10.0.2.15"

static void run(const char *command)
{
    int status = system(command);
    ck_assert_msg(status == 0, "`%s` failed (%d)", command, status);
}

static void private_netns(void)
{
    ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
    run("ip link set lo up");
}

static void start_net(struct test_machine *m, const char *tap, const char *extra)
{
    char *yaml = g_strdup_printf("  - type: virtio-net\n"
                                 "    id: net0\n"
                                 "    mmio: 0xd0000000\n"
                                 "    irq: 5\n"
                                 "    tap: %s\n"
                                 "%s",
                                 tap, extra ? extra : "");
    machine_start(m, yaml);
    g_free(yaml);
}

/* Bring the TAP up with the host's address; no IPv6, so no router solicitations in the way. */
static void configure_tap(const char *name)
{
    char *command = g_strdup_printf("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 && "
                                    "ip addr add " HOST_IP "/24 dev %s && ip link set %s up",
                                    name, name, name);
    run(command);
    g_free(command);
}

static void read_mac(struct guest *g, uint8_t mac[6])
{
    for (unsigned i = 0; i < 6; i++)
        mac[i] = config_read8(g, i);
}

static void post_rx_buffers(struct guest *g, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint64_t buf = guest_alloc(g, RX_BUF, 64);
        struct seg seg = {buf, RX_BUF, true};
        guest_add_chain(g, RX, &seg, 1);
    }
    guest_kick(g, RX);
}

/* Transmit one frame (header zeroed: no offloads) and wait until the device is done with it. */
static void transmit(struct guest *g, const uint8_t *frame, size_t len)
{
    uint64_t hdr = guest_alloc(g, HDR, 16);
    uint64_t data = guest_alloc(g, len, 16);
    memcpy(gpa_ptr(g, data), frame, len);
    struct seg segs[] = {{hdr, HDR, false}, {data, (uint32_t)len, false}};
    guest_add_chain(g, TX, segs, 2);
    guest_kick(g, TX);
    struct used u;
    ck_assert(guest_wait_used(g, TX, &u, WAIT_MS));
}

static uint16_t ip_checksum(const uint8_t *data, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)data[i] << 8 | data[i + 1];
    if (len & 1)
        sum += (uint32_t)data[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static size_t build_arp_request(uint8_t *f, const uint8_t mac[6])
{
    static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct in_addr sender, target;
    inet_pton(AF_INET, GUEST_IP, &sender);
    inet_pton(AF_INET, HOST_IP, &target);
    memcpy(f, broadcast, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08, f[13] = 0x06;                            /* ARP */
    static const uint8_t arp[] = {0, 1, 8, 0, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
    memcpy(f + 14, arp, sizeof(arp));
    memcpy(f + 22, mac, 6);
    memcpy(f + 28, &sender, 4);
    memset(f + 32, 0, 6);
    memcpy(f + 38, &target, 4);
    memset(f + 42, 0, 18); /* pad to the 60-byte minimum */
    return 60;
}

static size_t build_ping(uint8_t *f, const uint8_t mac[6], const uint8_t host_mac[6],
                         uint16_t sequence)
{
    struct in_addr src, dst;
    inet_pton(AF_INET, GUEST_IP, &src);
    inet_pton(AF_INET, HOST_IP, &dst);
    memcpy(f, host_mac, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08, f[13] = 0x00;
    uint8_t *ip = f + 14;
    size_t payload = 32, icmp_len = 8 + payload, ip_len = 20 + icmp_len;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ip_len >> 8), ip[3] = (uint8_t)ip_len;
    ip[8] = 64;
    ip[9] = 1; /* ICMP */
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    uint16_t sum = ip_checksum(ip, 20);
    ip[10] = (uint8_t)(sum >> 8), ip[11] = (uint8_t)sum;
    uint8_t *icmp = ip + 20;
    memset(icmp, 0, icmp_len);
    icmp[0] = 8; /* echo request */
    icmp[4] = 0x12, icmp[5] = 0x34;
    icmp[6] = (uint8_t)(sequence >> 8), icmp[7] = (uint8_t)sequence;
    for (size_t i = 0; i < payload; i++)
        icmp[8 + i] = (uint8_t)('a' + i % 26);
    sum = ip_checksum(icmp, icmp_len);
    icmp[2] = (uint8_t)(sum >> 8), icmp[3] = (uint8_t)sum;
    return 14 + ip_len;
}

/* Receive frames until `match` accepts one (others are skipped and their buffers reposted);
 * returns a pointer to the frame after the virtio header, with its length. */
typedef bool (*frame_match)(const uint8_t *frame, size_t len, const void *arg);

static const uint8_t *receive_until(struct guest *g, frame_match match, const void *arg,
                                    size_t *len, uint16_t *num_buffers)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
    while (g_get_monotonic_time() < deadline) {
        struct used u;
        if (!guest_wait_used(g, RX, &u, 100))
            continue;
        ck_assert_uint_ge(u.len, HDR);
        /* Our chains are single 2 KiB buffers laid out by guest_alloc: find it. */
        const uint8_t *desc = gpa_ptr(g, g->q[RX].desc + 16u * u.id);
        uint64_t addr;
        memcpy(&addr, desc, 8);
        const uint8_t *buf = gpa_ptr(g, le64toh(addr));
        if (match(buf + HDR, u.len - HDR, arg)) {
            *len = u.len - HDR;
            uint16_t n;
            memcpy(&n, buf + 10, 2);
            *num_buffers = le16toh(n);
            return buf + HDR;
        }
        post_rx_buffers(g, 1);
    }
    return NULL;
}

static bool is_arp_reply(const uint8_t *f, size_t len, const void *arg)
{
    return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2;
}

static bool is_echo_reply(const uint8_t *f, size_t len, const void *arg)
{
    return len >= 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == 1 &&
           f[14 + 20] == 0 /* echo reply */;
}

static bool is_udp_to(const uint8_t *f, size_t len, const void *arg)
{
    uint16_t port = *(const uint16_t *)arg;
    return len >= 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == 17 &&
           (f[14 + 22] << 8 | f[14 + 23]) == port;
}

START_TEST(net_arp_and_ping_through_tap)
{
    private_netns();
    struct test_machine *m = virtio_machine_new();
    start_net(m, "vmbt0", NULL);
    configure_tap("vmbt0");
    struct guest g;
    guest_attach(&g, m, NET_BASE, NET_IRQ);
    uint64_t offered = device_features(&g);
    ck_assert(offered & FBIT(NET_F_MAC));
    ck_assert(offered & FBIT(NET_F_MRG_RXBUF));
    ck_assert(offered & FBIT(NET_F_CSUM));
    guest_start(&g,
                FBIT(NET_F_MAC) | FBIT(NET_F_STATUS) | FBIT(NET_F_MRG_RXBUF) | FBIT(F_EVENT_IDX) |
                    FBIT(F_INDIRECT_DESC),
                2, 256);
    ck_assert_uint_eq(config_read8(&g, 6) & 1, 1); /* VIRTIO_NET_S_LINK_UP */
    uint8_t mac[6];
    read_mac(&g, mac);
    post_rx_buffers(&g, 32);

    /* Who has 10.0.2.1? The host kernel answers through the TAP. */
    uint8_t frame[1514];
    transmit(&g, frame, build_arp_request(frame, mac));
    size_t len;
    uint16_t buffers;
    const uint8_t *reply = receive_until(&g, is_arp_reply, NULL, &len, &buffers);
    ck_assert_msg(reply != NULL, "no ARP reply from the host");
    ck_assert_uint_eq(buffers, 1);
    ck_assert_mem_eq(reply, mac, 6); /* to us */
    struct in_addr host;
    inet_pton(AF_INET, HOST_IP, &host);
    ck_assert_mem_eq(reply + 28, &host, 4); /* from 10.0.2.1 */
    uint8_t host_mac[6];
    memcpy(host_mac, reply + 22, 6);
    ck_assert(guest_wait_irq(&g, 1, WAIT_MS));

    /* Ping it. */
    for (uint16_t seq = 1; seq <= 3; seq++) {
        transmit(&g, frame, build_ping(frame, mac, host_mac, seq));
        reply = receive_until(&g, is_echo_reply, NULL, &len, &buffers);
        ck_assert_msg(reply != NULL, "no echo reply %u", seq);
        ck_assert_uint_eq(reply[14 + 20 + 6] << 8 | reply[14 + 20 + 7], seq);
        ck_assert_mem_eq(reply + 14 + 20 + 8, "abcdefghijklmnopqrstuvwxyzabcdef", 32);
        post_rx_buffers(&g, 1);
    }
    machine_free(m);
}
END_TEST

START_TEST(net_receive_waits_for_buffers)
{
    private_netns();
    struct test_machine *m = virtio_machine_new();
    start_net(m, "vmbt0", "    mac: 52:54:00:aa:bb:cc\n");
    configure_tap("vmbt0");
    run("ip neigh add " GUEST_IP " lladdr 52:54:00:aa:bb:cc dev vmbt0");
    struct guest g;
    guest_attach(&g, m, NET_BASE, NET_IRQ);
    guest_start(&g,
                FBIT(NET_F_MAC) | FBIT(NET_F_MRG_RXBUF) | FBIT(NET_F_CSUM) |
                    FBIT(NET_F_GUEST_CSUM) | FBIT(NET_F_GUEST_TSO4) | FBIT(F_EVENT_IDX),
                2, 256);
    uint8_t mac[6];
    read_mac(&g, mac);
    static const uint8_t expect[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
    ck_assert_mem_eq(mac, expect, 6);

    /* A datagram for the guest while it has no receive buffers: it waits, it is not lost. */
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9999)};
    inet_pton(AF_INET, GUEST_IP, &to.sin_addr);
    const char *message = "hello, guest";
    ck_assert_int_eq(sendto(sock, message, strlen(message), 0, (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)strlen(message));
    g_usleep(100000);
    ck_assert_uint_eq(guest_used_idx(&g, RX), 0);

    post_rx_buffers(&g, 8);
    uint16_t port = 9999;
    size_t len;
    uint16_t buffers;
    const uint8_t *frame = receive_until(&g, is_udp_to, &port, &len, &buffers);
    ck_assert_msg(frame != NULL, "the datagram never arrived");
    ck_assert_mem_eq(frame + 14 + 20 + 8, message, strlen(message));
    close(sock);
    machine_free(m);
}
END_TEST

START_TEST(net_mac_and_tap_properties)
{
    private_netns();
    uint8_t first[6], second[6];

    /* The default MAC is the same every run of the same board, locally administered. */
    for (int run_index = 0; run_index < 2; run_index++) {
        struct test_machine *m = virtio_machine_new();
        start_net(m, "auto", NULL);
        struct guest g;
        guest_attach(&g, m, NET_BASE, NET_IRQ);
        read_mac(&g, run_index ? second : first);
        ck_assert_msg(if_nametoindex("vmb0") != 0, "tap: auto did not create vmb0");
        machine_free(m);
    }
    ck_assert_mem_eq(first, second, 6);
    ck_assert_uint_eq(first[0] & 3, 2); /* locally administered, unicast */

    static const struct {
        const char *yaml;
        const char *message;
    } cases[] = {
        {"  - {type: virtio-net, id: n, mmio: 0xd0000000, irq: 5, tap: x, mac: "
         "'01:00:5e:00:00:01'}\n",
         "is not a unicast address"},
        {"  - {type: virtio-net, id: n, mmio: 0xd0000000, irq: 5, tap: x, mac: '52:54:00:1'}\n",
         "is not a unicast address"},
        {"  - {type: virtio-net, id: n, mmio: 0xd0000000, irq: 5, tap: "
         "a-very-long-interface-name}\n",
         "at most 15 characters"},
        {"  - {type: virtio-net, id: n0, mmio: 0xd0000000, irq: 5, tap: vmbt1}\n"
         "  - {type: virtio-net, id: n1, mmio: 0xd0001000, irq: 6, tap: vmbt1}\n",
         "cannot attach to TAP vmbt1"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct test_machine *m = virtio_machine_new();
        machine_start_fails(m, cases[i].yaml, cases[i].message, NULL);
        machine_free(m);
    }
}
END_TEST

/* Root and /dev/net/tun, and network namespaces: probed in a child, as the tests do. */
static bool can_run(const char **why)
{
    if (access("/dev/net/tun", F_OK) != 0) {
        *why = "/dev/net/tun is absent";
        return false;
    }
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 && system("ip link set lo up") == 0 ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *why = "cannot create a network namespace (needs root and the ip command)";
        return false;
    }
    return true;
}

int main(void)
{
    const char *why = NULL;
    if (!can_run(&why)) {
        printf("virtio-net: %s\n", why);
        if (ci_is_true()) {
            printf("CI=true: not skipping\n");
            return EXIT_FAILURE;
        }
        return 77;
    }
    Suite *s = suite_create("virtio-net");
    TCase *tap = tcase_create("tap");
    tcase_add_test(tap, net_arp_and_ping_through_tap);
    tcase_add_test(tap, net_receive_waits_for_buffers);
    tcase_add_test(tap, net_mac_and_tap_properties);
    suite_add_tcase(s, tap);
    return run_suite(s);
}
