/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the split virtqueue parser (plugins/virtio-mmio/virtqueue.c) over a fake
 * guest memory built from the input (layout in virtqueue-fuzz.h). Besides the sanitizers'
 * checks, every chain the parser returns is checked here: its buffers lie inside guest RAM,
 * its byte counts add up, readable buffers come before writable ones, and it is no longer
 * than the queue. Any violation aborts, which libFuzzer and the replay program report.
 */
#include "virtqueue-fuzz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtqueue.h"

struct fuzz_stats fuzz_stats;

struct fake_memory {
    uint8_t *slot_a, *slot_b;
};

static void *fake_translate(void *opaque, uint64_t gpa, size_t len)
{
    struct fake_memory *mem = opaque;
    if (gpa >= FUZZ_SLOT_A && gpa - FUZZ_SLOT_A <= FUZZ_SLOT_A_LEN &&
        len <= FUZZ_SLOT_A_LEN - (gpa - FUZZ_SLOT_A))
        return mem->slot_a + (gpa - FUZZ_SLOT_A);
    if (gpa >= FUZZ_SLOT_B && gpa - FUZZ_SLOT_B <= FUZZ_SLOT_B_LEN &&
        len <= FUZZ_SLOT_B_LEN - (gpa - FUZZ_SLOT_B))
        return mem->slot_b + (gpa - FUZZ_SLOT_B);
    return NULL;
}

/* The head descriptor's flags, read back from the table (only for the statistics). */
static uint16_t le16toh_desc_flags(struct fake_memory *mem, const struct virtqueue *vq,
                                   uint16_t head)
{
    const uint8_t *d = fake_translate(mem, vq->desc_addr + 16u * head, 16);
    return d ? (uint16_t)(d[12] | d[13] << 8) : 0;
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "virtqueue fuzz: invariant broken: %s\n", what);
        abort();
    }
}

static bool inside(const struct fake_memory *mem, const struct iovec *iov)
{
    const uint8_t *p = iov->iov_base;
    return (p >= mem->slot_a && p + iov->iov_len <= mem->slot_a + FUZZ_SLOT_A_LEN &&
            p + iov->iov_len >= p) ||
           (p >= mem->slot_b && p + iov->iov_len <= mem->slot_b + FUZZ_SLOT_B_LEN &&
            p + iov->iov_len >= p);
}

/* Use the chain as a device would: read what is readable, write what is writable. */
static uint32_t consume(const struct fake_memory *mem, const struct vq_chain *chain, unsigned size)
{
    uint64_t out = 0, in = 0;
    uint32_t sum = 0;

    check(chain->out_count + chain->in_count <= chain->max_iov, "more iovecs than room");
    check(chain->out_count + chain->in_count <= size, "chain longer than the queue");
    for (unsigned i = 0; i < chain->out_count + chain->in_count; i++) {
        const struct iovec *iov = &chain->iov[i];
        check(iov->iov_len > 0, "empty iovec");
        check(inside(mem, iov), "buffer outside guest RAM");
        if (i < chain->out_count) {
            out += iov->iov_len;
            for (size_t b = 0; b < iov->iov_len; b += 64)
                sum += ((const uint8_t *)iov->iov_base)[b];
        } else {
            in += iov->iov_len;
            memset(iov->iov_base, 0xa5, iov->iov_len);
        }
    }
    check(out == chain->out_bytes && in == chain->in_bytes, "byte counts do not add up");
    /* The scatter-gather helpers on the same chain. */
    uint8_t buf[64];
    size_t got = iov_to_buffer(chain->iov, chain->out_count, 3, buf, sizeof(buf));
    check(got <= sizeof(buf) && got <= (out > 3 ? out - 3 : 0), "iov_to_buffer overran");
    struct iovec slice[8];
    size_t covered;
    unsigned n =
        iov_slice(chain->iov + chain->out_count, chain->in_count, 1, 100, slice, 8, &covered);
    check(n <= 8 && covered <= 100, "iov_slice overran");
    return (uint32_t)(in > 7 ? in - 7 : in) + (sum & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_HEADER)
        return 0;
    fuzz_stats.inputs++;
    struct fake_memory mem = {malloc(FUZZ_SLOT_A_LEN), malloc(FUZZ_SLOT_B_LEN)};
    if (!mem.slot_a || !mem.slot_b)
        abort();
    memset(mem.slot_a, 0, FUZZ_SLOT_A_LEN);
    memset(mem.slot_b, 0, FUZZ_SLOT_B_LEN);

    const uint8_t *body = data + FUZZ_HEADER;
    size_t body_len = size - FUZZ_HEADER;
    size_t take = body_len < FUZZ_SLOT_A_LEN ? body_len : FUZZ_SLOT_A_LEN;
    memcpy(mem.slot_a, body, take);
    body += take;
    body_len -= take;
    take = body_len < FUZZ_SLOT_B_LEN ? body_len : FUZZ_SLOT_B_LEN;
    memcpy(mem.slot_b, body, take);
    body += take;
    body_len -= take; /* what is left: guest writes during parsing */

    struct vq_memory vq_mem = {fake_translate, &mem};
    struct virtqueue vq = {0};
    vq.size = (uint16_t)(1u << (data[0] % 9));
    vq.event_idx = data[1] & 1;
    vq.indirect = data[1] & 2;
    /* Ring placement: normal, in the second slot, straddling the first slot's end, or off. */
    switch ((data[1] >> 2) & 3) {
    case 0:
        vq.desc_addr = FUZZ_DESC, vq.avail_addr = FUZZ_AVAIL, vq.used_addr = FUZZ_USED;
        break;
    case 1:
        vq.desc_addr = FUZZ_SLOT_B, vq.avail_addr = FUZZ_SLOT_B + 0x1000,
        vq.used_addr = FUZZ_SLOT_B + 0x2000;
        break;
    case 2:
        vq.desc_addr = FUZZ_DESC, vq.avail_addr = FUZZ_AVAIL,
        vq.used_addr = FUZZ_SLOT_A + FUZZ_SLOT_A_LEN - 8;
        break;
    default:
        vq.desc_addr = FUZZ_DESC + 2, vq.avail_addr = FUZZ_AVAIL, vq.used_addr = FUZZ_USED;
        break;
    }

    struct iovec *iov = calloc(vq.size, sizeof(*iov));
    struct vq_chain chain = {.max_iov = vq.size, .iov = iov};
    const char *why = NULL;
    if (iov && virtqueue_start(&vq, &vq_mem, &why) == 0) {
        fuzz_stats.started++;
        uint16_t start = (uint16_t)(data[2] | data[3] << 8);
        vq.last_avail_idx = vq.used_idx = start;
        unsigned pops = data[4] % (FUZZ_MAX_POPS + 1);
        for (unsigned i = 0; i < pops; i++) {
            /* The guest scribbles (two bytes of offset, one of value) between our looks. */
            if (body_len >= 3) {
                unsigned offset = (body[0] | body[1] << 8) % FUZZ_SLOT_A_LEN;
                mem.slot_a[offset] = body[2];
                body += 3;
                body_len -= 3;
            }
            int ret = virtqueue_pop(&vq, &chain, &why);
            check(ret == 1 || ret == 0 || ret == -EINVAL, "unexpected return value");
            if (ret < 0) {
                check(why != NULL, "error without a reason");
                fuzz_stats.errors++;
                break;
            }
            if (ret == 0) {
                virtqueue_set_notification(&vq, true);
                continue;
            }
            check(chain.head < vq.size, "head beyond the queue");
            fuzz_stats.chains++;
            if (le16toh_desc_flags(&mem, &vq, chain.head) & VIRTQ_DESC_F_INDIRECT)
                fuzz_stats.indirect_chains++;
            uint32_t written = consume(&mem, &chain, vq.size);
            if (i % 5 == 4) {
                virtqueue_unpop(&vq, 1); /* give it back: popped again next round */
                continue;
            }
            virtqueue_set_notification(&vq, i & 1);
            virtqueue_push(&vq, chain.head, written);
            virtqueue_should_interrupt(&vq);
        }
        virtqueue_has_available(&vq);
        virtqueue_reset(&vq);
    }
    free(iov);
    free(mem.slot_a);
    free(mem.slot_b);
    return 0;
}
