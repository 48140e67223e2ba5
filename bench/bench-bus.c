/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bus lookup cost: ns per bus_read() (lookup, read section and a null handler) with 1 to
 * 16384 regions, next to a binary search over a sorted array of the same regions calling the
 * same handler, measured in the same run on the same addresses. Prints figures; never fails
 * on time.
 */
#include "config.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus.h"

#define ADDRESS_COUNT (1u << 16)
#define MEASURE_NS    (100 * 1000 * 1000) /* per figure */
#define ROUNDS        3                   /* alternate bus and baseline, keep the best of each */

struct sorted_region {
    uint64_t base;
    uint64_t last;
    const struct vmb_region_ops *ops;
    void *opaque;
};

static uint64_t null_read(void *opaque, uint64_t offset, unsigned size)
{
    return offset;
}

static const struct vmb_region_ops null_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = null_read,
};

static uint64_t baseline_read(const struct sorted_region *regions, size_t count, uint64_t address,
                              unsigned size)
{
    size_t low = 0, high = count;

    /* The last region whose base is <= address. */
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (regions[middle].base <= address)
            low = middle;
        else
            high = middle;
    }
    const struct sorted_region *region = &regions[low];
    if (count == 0 || address < region->base || address + size - 1 > region->last)
        return UINT64_MAX;
    return region->ops->read(region->opaque, address - region->base, size);
}

static uint64_t now_ns(void)
{
    return (uint64_t)g_get_monotonic_time() * 1000;
}

/* Volatile sink so the compiler keeps every read. */
static volatile uint64_t sink;

static double measure_bus(struct bus *bus, const uint64_t *addresses)
{
    uint64_t start = now_ns(), end, count = 0, sum = 0;

    do {
        for (unsigned i = 0; i < ADDRESS_COUNT; i++)
            sum += bus_read(bus, addresses[i], 4);
        count += ADDRESS_COUNT;
        end = now_ns();
    } while (end - start < MEASURE_NS);
    sink = sum;
    return (double)(end - start) / (double)count;
}

static double measure_baseline(const struct sorted_region *regions, size_t region_count,
                               const uint64_t *addresses)
{
    uint64_t start = now_ns(), end, count = 0, sum = 0;

    do {
        for (unsigned i = 0; i < ADDRESS_COUNT; i++)
            sum += baseline_read(regions, region_count, addresses[i], 4);
        count += ADDRESS_COUNT;
        end = now_ns();
    } while (end - start < MEASURE_NS);
    sink = sum;
    return (double)(end - start) / (double)count;
}

static void run(unsigned region_count, GRand *rng)
{
    struct bus *bus = bus_new("bench", 12);
    struct sorted_region *regions = g_new(struct sorted_region, region_count);
    uint64_t *addresses = g_new(uint64_t, ADDRESS_COUNT);
    uint64_t base = 0x10000000;

    /* Device-like windows of 16 bytes to 16 KiB, 8-byte aligned, with gaps between. */
    uint64_t map_start = now_ns();
    for (unsigned i = 0; i < region_count; i++) {
        uint64_t length = 16u << g_rand_int_range(rng, 0, 11);
        base += 8 * (uint64_t)g_rand_int_range(rng, 0, 512);
        regions[i] = (struct sorted_region){base, base + length - 1, &null_ops, NULL};
        char owner[32];
        snprintf(owner, sizeof(owner), "device%u", i);
        GError *error = NULL;
        if (!bus_map(bus, base, length, &null_ops, NULL, owner, NULL, &error)) {
            fprintf(stderr, "bench-bus: %s\n", error->message);
            exit(1);
        }
        base += length;
    }
    double map_ms = (double)(now_ns() - map_start) / 1e6;

    /* Random addresses inside mapped regions, 4-byte accesses that stay inside. */
    for (unsigned i = 0; i < ADDRESS_COUNT; i++) {
        const struct sorted_region *region = &regions[g_rand_int_range(rng, 0, region_count)];
        uint64_t length = region->last - region->base + 1;
        addresses[i] = region->base + (g_rand_int(rng) % (length / 4)) * 4;
    }

    /* Both must agree before their speed means anything. */
    for (unsigned i = 0; i < ADDRESS_COUNT; i++) {
        if (bus_read(bus, addresses[i], 4) !=
            baseline_read(regions, region_count, addresses[i], 4)) {
            fprintf(stderr, "bench-bus: bus and baseline disagree at 0x%" PRIx64 "\n",
                    addresses[i]);
            exit(1);
        }
    }

    double bus_ns = 1e9, baseline_ns = 1e9;
    for (unsigned round = 0; round < ROUNDS; round++) {
        bus_ns = MIN(bus_ns, measure_bus(bus, addresses));
        baseline_ns = MIN(baseline_ns, measure_baseline(regions, region_count, addresses));
    }
    printf("%8u  %12.1f  %12.1f  %8.2f  %8zu  %10.1f\n", region_count, bus_ns, baseline_ns,
           bus_ns / baseline_ns, bus_index_entries(bus), map_ms);

    bus_free(bus);
    g_free(regions);
    g_free(addresses);
}

int main(void)
{
    static const unsigned counts[] = {1, 64, 1024, 16384};
    GRand *rng = g_rand_new_with_seed(42);

    printf("bus lookup: ns per 4-byte bus_read (null handler) vs binary search, best of %d\n",
           ROUNDS);
    printf("%8s  %12s  %12s  %8s  %8s  %10s\n", "regions", "bus ns", "bsearch ns", "ratio",
           "entries", "map all ms");
    for (unsigned i = 0; i < G_N_ELEMENTS(counts); i++)
        run(counts[i], rng);
    g_rand_free(rng);
    return 0;
}
