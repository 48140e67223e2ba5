/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtqueue parser's fuzz target (virtqueue-fuzz.c) and what the replay program and the
 * corpus generator share with it: the input layout over a fake guest memory.
 *
 * Input: an 8-byte header, then the bytes of guest RAM, then (offset, value) pairs the
 * "guest" writes between pops, as a real guest may while the device parses.
 *   byte 0      queue size = 1 << (byte % 9)
 *   byte 1      bit 0 event index, bit 1 indirect descriptors, bits 2-3 ring placement
 *   bytes 2-3   starting ring index (little-endian): exercises 16-bit wrap-around
 *   byte 4      pops to attempt (at most 64)
 *   bytes 5-7   reserved
 * Guest RAM is two slots with a hole between them, each its own heap block, so any access
 * the parser makes outside a slot is caught by AddressSanitizer.
 */
#ifndef TESTS_FUZZ_VIRTQUEUE_FUZZ_H
#define TESTS_FUZZ_VIRTQUEUE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_HEADER     8
#define FUZZ_SLOT_A     0x10000u
#define FUZZ_SLOT_A_LEN 0x10000u
#define FUZZ_SLOT_B     0x30000u
#define FUZZ_SLOT_B_LEN 0x8000u
#define FUZZ_DESC       (FUZZ_SLOT_A)
#define FUZZ_AVAIL      (FUZZ_SLOT_A + 0x1000u)
#define FUZZ_USED       (FUZZ_SLOT_A + 0x2000u)
#define FUZZ_DATA       (FUZZ_SLOT_A + 0x3000u)
#define FUZZ_MAX_POPS   64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the inputs made the parser do, so the replay run can tell it reached the parser's
 * depths (chains taken, rules caught) rather than bouncing off its first check. */
struct fuzz_stats {
    unsigned long inputs, started, chains, indirect_chains, errors;
};
extern struct fuzz_stats fuzz_stats;

#endif
