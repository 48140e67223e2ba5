/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtqueue fuzz target without libFuzzer: a deterministic regression run for `make check`
 * with any compiler, and the seed corpus for the libFuzzer run.
 *
 *   replay-virtqueue                       generate and run the default number of inputs
 *   replay-virtqueue --runs N --seed S     the same with other numbers
 *   replay-virtqueue FILE|DIR...           run saved inputs (crash reproducers, a corpus)
 *   replay-virtqueue --write-corpus DIR    write generated seed inputs into DIR
 *
 * Generated inputs are mostly well-formed rings (so the parser gets past its first checks)
 * with chains of direct and indirect descriptors, then damaged in the ways a hostile driver
 * would: bytes flipped in the descriptors and rings, lengths and addresses moved to the edges
 * of guest RAM, indexes out of range, loops.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "virtqueue-fuzz.h"

#define DEFAULT_RUNS   20000
#define DEFAULT_SEED   0x5eed
#define CORPUS_COUNT   48
#define FUZZ_MAX_INPUT (FUZZ_HEADER + FUZZ_SLOT_A_LEN + FUZZ_SLOT_B_LEN + 3 * 64)

static uint64_t rng_state;

static uint64_t next_random(void)
{
    /* xorshift64*: small, fast, the same sequence everywhere. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned below(unsigned n)
{
    return n ? (unsigned)(next_random() % n) : 0;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Write descriptor `index` of a table at slot A offset `table`. */
static void put_desc(uint8_t *slot_a, uint32_t table, unsigned index, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *d = slot_a + table + 16 * index;
    put64(d, addr);
    put32(d + 8, len);
    put16(d + 12, flags);
    put16(d + 14, next);
}

/* A buffer somewhere in guest RAM, sometimes at its edges or outside it. */
static void random_buffer(uint64_t *addr, uint32_t *len)
{
    switch (below(12)) {
    case 0: /* runs past the end of slot A */
        *addr = FUZZ_SLOT_A + FUZZ_SLOT_A_LEN - 1 - below(64);
        *len = 1 + below(128);
        return;
    case 1: /* in the hole */
        *addr = FUZZ_SLOT_A + FUZZ_SLOT_A_LEN + below(0x1000);
        *len = 1 + below(64);
        return;
    case 2: /* slot B */
        *addr = FUZZ_SLOT_B + below(FUZZ_SLOT_B_LEN - 512);
        *len = 1 + below(512);
        return;
    case 3: /* huge */
        *addr = FUZZ_DATA;
        *len = 0xffffffffu - below(4);
        return;
    case 4: /* wraps */
        *addr = UINT64_MAX - below(64);
        *len = 1 + below(128);
        return;
    default:
        *addr = FUZZ_DATA + below(0x8000);
        *len = below(4) ? 1 + below(2048) : 0;
        return;
    }
}

/* One generated input into buf; returns its length. */
static size_t generate(uint8_t *buf)
{
    uint8_t *header = buf, *slot_a = buf + FUZZ_HEADER;
    uint8_t *slot_b = slot_a + FUZZ_SLOT_A_LEN;
    unsigned size_log2 = below(9);
    unsigned size = 1u << size_log2;
    bool indirect = below(2), event_idx = below(2);
    uint16_t start = below(4) ? (uint16_t)below(4) : (uint16_t)next_random();

    memset(buf, 0, FUZZ_HEADER + FUZZ_SLOT_A_LEN + FUZZ_SLOT_B_LEN);
    header[0] = (uint8_t)size_log2;
    header[1] = (uint8_t)(event_idx | indirect << 1 | (below(8) ? 0 : below(4)) << 2);
    put16(header + 2, start);
    header[4] = (uint8_t)(1 + below(FUZZ_MAX_POPS));

    unsigned chains = 1 + below(size < 16 ? size : 16);
    unsigned next_free = 0;
    uint32_t table_at = 0x9000; /* indirect tables after the data area's first part */
    for (unsigned c = 0; c < chains && next_free < size; c++) {
        unsigned head = next_free;
        unsigned length = 1 + below(4);
        if (indirect && below(2) && table_at + 16 * 8 < FUZZ_SLOT_A_LEN) {
            unsigned entries = 1 + below(8);
            for (unsigned i = 0; i < entries; i++) {
                uint64_t addr;
                uint32_t len;
                random_buffer(&addr, &len);
                uint16_t flags = (uint16_t)((i + 1 < entries ? 1 : 0) | (i * 2 >= entries ? 2 : 0));
                put_desc(slot_a, table_at, i, addr, len, flags, (uint16_t)(i + 1));
            }
            put_desc(slot_a, FUZZ_DESC - FUZZ_SLOT_A, head, FUZZ_SLOT_A + table_at, 16 * entries, 4,
                     0);
            table_at += 16 * entries;
            next_free++;
        } else {
            for (unsigned i = 0; i < length && next_free < size; i++) {
                uint64_t addr;
                uint32_t len;
                random_buffer(&addr, &len);
                bool last = i + 1 == length || next_free + 1 == size;
                uint16_t flags = (uint16_t)((last ? 0 : 1) | (i * 2 >= length ? 2 : 0));
                put_desc(slot_a, FUZZ_DESC - FUZZ_SLOT_A, next_free, addr, len, flags,
                         (uint16_t)(next_free + 1));
                next_free++;
            }
        }
        put16(slot_a + (FUZZ_AVAIL - FUZZ_SLOT_A) + 4 + 2 * ((start + c) % size), (uint16_t)head);
    }
    put16(slot_a + (FUZZ_AVAIL - FUZZ_SLOT_A) + 2, (uint16_t)(start + chains));
    put16(slot_a + (FUZZ_AVAIL - FUZZ_SLOT_A) + 4 + 2 * size, (uint16_t)(start + below(4)));

    /* Damage: flipped bytes in the descriptor table, the rings, the indirect tables. */
    unsigned flips = below(3) ? below(6) : 0;
    for (unsigned i = 0; i < flips; i++) {
        static const uint32_t areas[][2] = {{0, 0x1000}, {0x1000, 0x400}, {0x9000, 0x800}};
        unsigned area = below(3);
        slot_a[areas[area][0] + below(areas[area][1])] = (uint8_t)next_random();
    }
    /* Targeted damage: a loop, a next out of range, an avail index jump. */
    switch (below(10)) {
    case 0:
        put_desc(slot_a, 0, 0, FUZZ_DATA, 16, 1, 0);
        break;
    case 1:
        put_desc(slot_a, 0, below(size), FUZZ_DATA, 16, 1, (uint16_t)(size + below(4)));
        break;
    case 2:
        put16(slot_a + (FUZZ_AVAIL - FUZZ_SLOT_A) + 2, (uint16_t)(start + size + 1 + below(100)));
        break;
    default:
        break;
    }
    for (unsigned i = 0; i < FUZZ_SLOT_B_LEN; i += 4096)
        slot_b[i] = (uint8_t)next_random();

    size_t len = FUZZ_HEADER + FUZZ_SLOT_A_LEN + FUZZ_SLOT_B_LEN;
    /* Guest scribbles while we parse: mostly on the rings. */
    unsigned scribbles = below(4) ? 0 : below(32);
    for (unsigned i = 0; i < scribbles; i++) {
        uint16_t offset = (uint16_t)(below(2) ? below(0x1400) : next_random());
        buf[len++] = (uint8_t)offset;
        buf[len++] = (uint8_t)(offset >> 8);
        buf[len++] = (uint8_t)next_random();
    }
    return len;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    static uint8_t buf[4 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    return 0;
}

static int run_path(const char *path, unsigned *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    DIR *dir = opendir(path);
    struct dirent *entry;
    int failed = 0;
    while (dir && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
        (*count)++;
        failed |= run_file(child);
    }
    if (dir)
        closedir(dir);
    return failed;
}

static int write_corpus(const char *dir, uint64_t seed)
{
    static uint8_t buf[FUZZ_MAX_INPUT];
    rng_state = seed;
    mkdir(dir, 0755);
    for (unsigned i = 0; i < CORPUS_COUNT; i++) {
        size_t len = generate(buf);
        char path[4096];
        snprintf(path, sizeof(path), "%s/seed-%02u", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, len, f) != len) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            if (f)
                fclose(f);
            return 1;
        }
        fclose(f);
    }
    printf("wrote %u seed inputs to %s\n", CORPUS_COUNT, dir);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long runs = DEFAULT_RUNS;
    uint64_t seed = DEFAULT_SEED;
    unsigned files = 0;
    int failed = 0;
    bool any_path = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--write-corpus") == 0 && i + 1 < argc) {
            return write_corpus(argv[++i], seed);
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--runs N] [--seed S] [--write-corpus DIR] [FILE|DIR...]\n",
                    argv[0]);
            return 2;
        } else {
            any_path = true;
            failed |= run_path(argv[i], &files);
        }
    }
    if (any_path) {
        printf("replayed %u inputs\n", files);
        return failed;
    }

    static uint8_t buf[FUZZ_MAX_INPUT];
    rng_state = seed ? seed : 1;
    for (unsigned long i = 0; i < runs; i++) {
        size_t len = generate(buf);
        /* Sometimes cut short: truncated inputs are inputs too. */
        if (i % 7 == 3)
            len = FUZZ_HEADER + below((unsigned)(len - FUZZ_HEADER));
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("virtqueue parser: %lu generated inputs (seed 0x%llx) without a fault: %lu rings "
           "started, %lu chains taken (%lu indirect), %lu rule violations caught\n",
           runs, (unsigned long long)seed, fuzz_stats.started, fuzz_stats.chains,
           fuzz_stats.indirect_chains, fuzz_stats.errors);
    /* A generator that stopped reaching the parser's depths would pass without testing. */
    if (runs >= 1000 && (fuzz_stats.chains < runs / 4 || fuzz_stats.indirect_chains < runs / 50 ||
                         fuzz_stats.errors < runs / 10)) {
        fprintf(stderr, "the generated inputs no longer exercise the parser enough\n");
        return 1;
    }
    return 0;
}
