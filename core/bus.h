/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hashed address-range bus: one instance per address space (MMIO, port I/O).
 *
 * Lookups hash the address's granule, so their cost does not depend on how many regions are
 * mapped. Regions larger than a granule are indexed at a coarser level so a 1 GiB window does
 * not cost an entry per page. Readers (vCPU threads) take no lock: changes build a new table,
 * publish it atomically, and free the old one after a grace period (see rcu.h).
 */
#ifndef VMBOARD_BUS_H
#define VMBOARD_BUS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmboard/plugin.h"

struct bus;

/* Statistics kept per region, updated with relaxed atomics on the access path. */
struct bus_region_stats {
    uint64_t reads;
    uint64_t writes;
};

struct bus_region_info {
    uint64_t base;
    uint64_t length;
    const char *owner; /* e.g. "uart0 (boards/x.yaml:12:5)" */
    struct bus_region_stats stats;
};

/* granule_shift: 12 for MMIO (pages), 3 for port I/O, for instance. */
struct bus *bus_new(const char *name, unsigned granule_shift);
void bus_free(struct bus *bus);
const char *bus_name(const struct bus *bus);

/*
 * Map [base, base+length). `owner` is copied and used in messages. `lock`, when not NULL, is
 * held around every call into ops (per-device serialisation). Overlaps are refused with an
 * error naming both owners. length must be > 0 and base+length must not wrap.
 */
bool bus_map(struct bus *bus, uint64_t base, uint64_t length, const struct vmb_region_ops *ops,
             void *opaque, const char *owner, GMutex *lock, GError **error);
/* Unmap the region starting at base; returns false if none starts there. Safe while vCPUs
 * are reading: it returns once no vCPU is inside the region's handlers any more, so the
 * caller may free the device. Called from a handler (inside a read section) it cannot wait
 * for itself: it returns at once and the region's memory is released later. */
bool bus_unmap(struct bus *bus, uint64_t base);

/*
 * Guest access of `size` bytes (1..8) at addr. Parts of the access that fall outside any
 * region read as all-ones and are dropped on write, logged once per address (rate limited).
 * Accesses straddling region boundaries are split at the boundaries. Returns the value in
 * the low `size` bytes, little-endian order.
 */
uint64_t bus_read(struct bus *bus, uint64_t addr, unsigned size);
void bus_write(struct bus *bus, uint64_t addr, uint64_t value, unsigned size);

/* Snapshot of the mapped regions, sorted by base (for --stats and dumps). Free with
 * g_array_unref; owner strings stay valid while the bus is unchanged. */
GArray *bus_regions(struct bus *bus);
/* Count of accesses that hit no region. */
uint64_t bus_unclaimed_count(struct bus *bus);
/* Entries in the lookup index (one per region per granule it touches at its level): lets
 * tests check that a huge window costs a handful of entries, not one per page. */
size_t bus_index_entries(struct bus *bus);

#endif
