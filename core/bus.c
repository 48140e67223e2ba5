/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hashed address-range bus.
 *
 * Index: granules grow by BUS_LEVEL_STRIDE bits per level, from the bus's granule (a page for
 * MMIO) up to one granule covering the whole 64-bit space. A region is filed at the finest
 * level where it touches at most BUS_MAX_GRANULES granules, once per granule touched, so a
 * 1 GiB window costs two or three entries, not 262144. A lookup probes one hash bucket per
 * level in use (usually one or two), whatever the number of regions. A bucket lists every
 * region of its level touching that granule, sorted by base: small regions may share a page,
 * and ports of length 1 share a granule.
 *
 * Concurrency: vCPU threads use the current table inside an RCU read section (rcu.h), without
 * locks. Writers, serialised by write_lock, build a new immutable table, publish it with one
 * atomic store, and free the old one after a grace period. Region records (handlers, owner,
 * statistics) are shared by consecutive tables and freed with the table that dropped them.
 */
#include "config.h"

#include "bus.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>

#include "rcu.h"
#include "util.h"

#define BUS_LEVEL_STRIDE 9
#define BUS_MAX_LEVELS   9 /* granule_shift 0: shifts 0, 9, ..., 63, and 64 for "everything" */
#define BUS_MAX_GRANULES 8
/* Bucket lists this short are scanned; longer ones are binary searched. */
#define BUS_LINEAR_SCAN_MAX 8
/* Addresses whose unclaimed access was already logged: a fixed set, bounded memory. */
#define BUS_LOGGED_SLOTS  256
#define BUS_LOGGED_PROBES 4

struct bus_region {
    uint64_t base;
    uint64_t last; /* inclusive, so a region may end at the top of the address space */
    uint64_t length;
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    unsigned min_access;
    unsigned max_access;
    void *opaque;
    GMutex *lock;
    char *owner;
    unsigned level; /* index into bus->level_shift */
    _Atomic uint64_t reads;
    _Atomic uint64_t writes;
};

struct bus_slot {
    uint64_t granule;
    uint32_t first; /* index of the bucket's first region in table->entries */
    uint32_t count; /* 0: free slot */
};

struct bus_level {
    unsigned shift;      /* granule = address >> shift; 64 means a single granule */
    unsigned hash_shift; /* 64 - log2(slot count) */
    uint64_t mask;       /* slot count - 1 */
    struct bus_slot *slots;
};

struct bus_table {
    unsigned level_count; /* levels holding regions, finest first */
    struct bus_level levels[BUS_MAX_LEVELS];
    struct bus_region **entries;
    size_t entry_count;

    /* Writer side, once the table has been replaced: */
    struct bus_table *retired_next;
    uint64_t grace_period;
    struct bus_region *unmapped; /* freed with this table */
};

struct bus {
    char *name;
    unsigned level_count;
    unsigned level_shift[BUS_MAX_LEVELS];
    _Atomic(struct bus_table *) table;

    GMutex write_lock;
    GPtrArray *regions;        /* struct bus_region *, sorted by base */
    struct bus_table *retired; /* newest first, waiting for their grace period */

    _Atomic uint64_t unclaimed;
    _Atomic uint64_t logged[BUS_LOGGED_SLOTS]; /* address + 1; 0 marks a free slot */
    struct ratelimit ratelimit;
};

static inline uint64_t granule_of(uint64_t address, unsigned shift)
{
    return shift >= 64 ? 0 : address >> shift;
}

static inline uint64_t hash_granule(uint64_t granule)
{
    return granule * UINT64_C(0x9e3779b97f4a7c15);
}

/* All-ones in the low `bytes` bytes. */
static inline uint64_t ones(unsigned bytes)
{
    return bytes >= 8 ? UINT64_MAX : (UINT64_C(1) << (bytes * 8)) - 1;
}

/* The largest of 1, 2, 4, 8 that is <= n (n >= 1). */
static inline unsigned power_of_two_at_most(unsigned n)
{
    return n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

/* ---- the read side ------------------------------------------------------------------- */

static const struct bus_slot *level_find(const struct bus_level *level, uint64_t granule)
{
    uint64_t index = hash_granule(granule) >> level->hash_shift;

    for (;;) {
        const struct bus_slot *slot = &level->slots[index];
        if (slot->count == 0)
            return NULL;
        if (slot->granule == granule)
            return slot;
        index = (index + 1) & level->mask;
    }
}

static struct bus_region *bucket_find(const struct bus_table *table, const struct bus_slot *slot,
                                      uint64_t address)
{
    struct bus_region *const *list = &table->entries[slot->first];
    size_t low = 0, high = slot->count;

    if (slot->count <= BUS_LINEAR_SCAN_MAX) {
        for (size_t i = 0; i < slot->count && list[i]->base <= address; i++) {
            if (address <= list[i]->last)
                return list[i];
        }
        return NULL;
    }
    /* The last region starting at or below address is the only candidate. */
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (list[middle]->base <= address)
            low = middle;
        else
            high = middle;
    }
    if (list[low]->base <= address && address <= list[low]->last)
        return list[low];
    return NULL;
}

static struct bus_region *bus_lookup(const struct bus_table *table, uint64_t address)
{
    for (unsigned i = 0; i < table->level_count; i++) {
        const struct bus_level *level = &table->levels[i];
        const struct bus_slot *slot = level_find(level, granule_of(address, level->shift));
        if (slot) {
            struct bus_region *region = bucket_find(table, slot, address);
            if (region)
                return region;
        }
    }
    return NULL;
}

/* First time this address is reported? Lock-free; when the set is full an old entry is
 * overwritten, so an address may be logged again, still under the rate limit. */
static bool bus_first_report(struct bus *bus, uint64_t address)
{
    uint64_t key = address + 1;
    uint64_t home = hash_granule(address) >> 56;

    if (key == 0)
        key = 1; /* the top address shares its key with address 0; harmless */
    for (unsigned i = 0; i < BUS_LOGGED_PROBES; i++) {
        _Atomic uint64_t *slot = &bus->logged[(home + i) % BUS_LOGGED_SLOTS];
        uint64_t seen = atomic_load_explicit(slot, memory_order_relaxed);
        if (seen == 0 && atomic_compare_exchange_strong_explicit(
                             slot, &seen, key, memory_order_relaxed, memory_order_relaxed))
            return true;
        if (seen == key)
            return false;
    }
    atomic_store_explicit(&bus->logged[home % BUS_LOGGED_SLOTS], key, memory_order_relaxed);
    return true;
}

static void bus_unclaimed(struct bus *bus, uint64_t address, unsigned size, bool is_write)
{
    atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
    if (!bus_first_report(bus, address))
        return;
    vmb_log_guest_error(&bus->ratelimit,
                        "%s: %u-byte %s at unclaimed address 0x%" PRIx64 " %s (logged once "
                        "per address)",
                        bus->name, size, is_write ? "write" : "read", address,
                        is_write ? "dropped" : "reads as all-ones");
}

static uint64_t region_read(struct bus *bus, struct bus_region *region, uint64_t offset,
                            unsigned size)
{
    unsigned min = region->min_access, done = 0;
    uint64_t value = 0;

    atomic_fetch_add_explicit(&region->reads, 1, memory_order_relaxed);
    if (!region->read) {
        vmb_log_guest_error(&bus->ratelimit,
                            "%s: %u-byte read at offset 0x%" PRIx64
                            " of a write-only region reads as all-ones",
                            region->owner, size, offset);
        return ones(size);
    }
    if (region->lock)
        g_mutex_lock(region->lock);
    while (done < size) {
        unsigned left = size - done;
        uint64_t at = offset + done;
        if (left >= min) {
            /* Wider than the device takes: split into pieces, little-endian. */
            unsigned piece = power_of_two_at_most(MIN(left, region->max_access));
            uint64_t part = region->read(region->opaque, at, piece) & ones(piece);
            value |= part << (done * 8);
            done += piece;
        } else {
            /* Narrower: read the aligned min-sized word around it and keep our bytes. The
             * word stays inside the region (length >= min is checked at map time). */
            uint64_t word = MIN(at & ~(uint64_t)(min - 1), region->length - min);
            unsigned skip = at - word;
            unsigned take = MIN(left, min - skip);
            uint64_t part = region->read(region->opaque, word, min) >> (skip * 8);
            value |= (part & ones(take)) << (done * 8);
            done += take;
        }
    }
    if (region->lock)
        g_mutex_unlock(region->lock);
    return value;
}

static void region_write(struct bus *bus, struct bus_region *region, uint64_t offset,
                         uint64_t value, unsigned size)
{
    unsigned done = 0;

    atomic_fetch_add_explicit(&region->writes, 1, memory_order_relaxed);
    if (!region->write) {
        vmb_log_guest_error(&bus->ratelimit,
                            "%s: %u-byte write at offset 0x%" PRIx64
                            " of a read-only region dropped",
                            region->owner, size, offset);
        return;
    }
    if (region->lock)
        g_mutex_lock(region->lock);
    /* Every piece is a power of two >= min_access, so only a tail narrower than min is left. */
    while (size - done >= region->min_access) {
        unsigned piece = power_of_two_at_most(MIN(size - done, region->max_access));
        region->write(region->opaque, offset + done, (value >> (done * 8)) & ones(piece), piece);
        done += piece;
    }
    if (region->lock)
        g_mutex_unlock(region->lock);
    if (done < size)
        vmb_log_guest_error(&bus->ratelimit,
                            "%s: %u-byte write at offset 0x%" PRIx64
                            " is narrower than the device's %u-byte minimum; dropped",
                            region->owner, size - done, offset + done, region->min_access);
}

/* Bytes from address that belong to no region (at least 1, at most left, not past the top). */
static unsigned hole_length(const struct bus_table *table, uint64_t address, unsigned left)
{
    unsigned length = 1;

    while (length < left && length <= UINT64_MAX - address && !bus_lookup(table, address + length))
        length++;
    return length;
}

/*
 * An access that does not fit in one region: cut it at region boundaries and holes, hand each
 * part to its owner; holes read as all-ones and drop writes. Bytes past the top of the
 * address space are a hole too. `region` is the lookup result for address, or NULL.
 */
static uint64_t bus_access_split(struct bus *bus, const struct bus_table *table,
                                 struct bus_region *region, uint64_t address, unsigned size,
                                 bool is_write, uint64_t value)
{
    uint64_t result = 0;
    unsigned done = 0;
    bool past_top = false;

    while (done < size) {
        unsigned left = size - done, length;

        if (past_top) {
            length = left;
            bus_unclaimed(bus, UINT64_MAX, length, is_write);
        } else if (region) {
            uint64_t offset = address - region->base;
            length =
                left - 1 <= region->last - address ? left : (unsigned)(region->last - address + 1);
            if (is_write)
                region_write(bus, region, offset, value >> (done * 8), length);
            else
                result |= region_read(bus, region, offset, length) << (done * 8);
        } else {
            length = hole_length(table, address, left);
            bus_unclaimed(bus, address, length, is_write);
        }
        if (!region)
            result |= ones(length) << (done * 8);
        done += length;
        if (done == size)
            break;
        if (past_top || length - 1 == UINT64_MAX - address) {
            past_top = true;
            region = NULL;
            continue;
        }
        address += length;
        region = bus_lookup(table, address);
    }
    return result;
}

uint64_t bus_read(struct bus *bus, uint64_t address, unsigned size)
{
    uint64_t value;

    if (size == 0 || size > 8) {
        vmb_log_guest_error(&bus->ratelimit,
                            "%s: %u-byte read at 0x%" PRIx64
                            " has no valid size; reads as all-ones",
                            bus->name, size, address);
        return UINT64_MAX;
    }
    /* The section covers the handler call too: an unmapped region's record and the device
     * behind it stay alive until we return. */
    rcu_read_lock();
    const struct bus_table *table = atomic_load_explicit(&bus->table, memory_order_acquire);
    struct bus_region *region = bus_lookup(table, address);
    if (region && size - 1 <= region->last - address)
        value = region_read(bus, region, address - region->base, size);
    else
        value = bus_access_split(bus, table, region, address, size, false, 0);
    rcu_read_unlock();
    return value;
}

void bus_write(struct bus *bus, uint64_t address, uint64_t value, unsigned size)
{
    if (size == 0 || size > 8) {
        vmb_log_guest_error(&bus->ratelimit,
                            "%s: %u-byte write at 0x%" PRIx64 " has no valid size; dropped",
                            bus->name, size, address);
        return;
    }
    rcu_read_lock();
    const struct bus_table *table = atomic_load_explicit(&bus->table, memory_order_acquire);
    struct bus_region *region = bus_lookup(table, address);
    if (region && size - 1 <= region->last - address)
        region_write(bus, region, address - region->base, value, size);
    else
        bus_access_split(bus, table, region, address, size, true, value);
    rcu_read_unlock();
}

/* ---- the write side ------------------------------------------------------------------ */

static uint64_t region_granules(const struct bus *bus, const struct bus_region *region,
                                unsigned level)
{
    unsigned shift = bus->level_shift[level];
    return granule_of(region->last, shift) - granule_of(region->base, shift) + 1;
}

static unsigned region_level(const struct bus *bus, const struct bus_region *region)
{
    unsigned level = 0;

    /* The last level has a single granule, so the loop always ends. */
    while (region_granules(bus, region, level) > BUS_MAX_GRANULES)
        level++;
    return level;
}

static struct bus_slot *level_slot(struct bus_level *level, uint64_t granule)
{
    uint64_t index = hash_granule(granule) >> level->hash_shift;

    while (level->slots[index].count != 0 && level->slots[index].granule != granule)
        index = (index + 1) & level->mask;
    return &level->slots[index];
}

static void table_free(struct bus_table *table)
{
    for (unsigned i = 0; i < table->level_count; i++)
        g_free(table->levels[i].slots);
    g_free(table->entries);
    g_free(table);
}

static struct bus_table *table_build(const struct bus *bus)
{
    struct bus_table *table = g_new0(struct bus_table, 1);
    size_t per_level[BUS_MAX_LEVELS] = {0};
    struct bus_level *level_of[BUS_MAX_LEVELS] = {0};
    size_t total = 0;

    for (guint i = 0; i < bus->regions->len; i++) {
        const struct bus_region *region = g_ptr_array_index(bus->regions, i);
        per_level[region->level] += region_granules(bus, region, region->level);
    }
    for (unsigned i = 0; i < bus->level_count; i++) {
        if (per_level[i] == 0)
            continue;
        /* At most half full keeps probe chains short. */
        unsigned bits = 1;
        while ((UINT64_C(1) << bits) < 2 * per_level[i])
            bits++;
        struct bus_level *level = &table->levels[table->level_count++];
        level->shift = bus->level_shift[i];
        level->hash_shift = 64 - bits;
        level->mask = (UINT64_C(1) << bits) - 1;
        level->slots = g_new0(struct bus_slot, level->mask + 1);
        level_of[i] = level;
        total += per_level[i];
    }
    g_assert(total < UINT32_MAX);
    table->entries = g_new(struct bus_region *, total);
    table->entry_count = total;

    /* Count each bucket's regions, lay the buckets out back to back (first = end for now),
     * then fill them backwards in base order so every bucket ends up sorted by base. */
    for (guint i = 0; i < bus->regions->len; i++) {
        const struct bus_region *region = g_ptr_array_index(bus->regions, i);
        struct bus_level *level = level_of[region->level];
        uint64_t granule = granule_of(region->base, level->shift);
        uint64_t last = granule_of(region->last, level->shift);
        for (;; granule++) {
            struct bus_slot *slot = level_slot(level, granule);
            slot->granule = granule;
            slot->count++;
            if (granule == last)
                break;
        }
    }
    uint32_t next = 0;
    for (unsigned i = 0; i < table->level_count; i++) {
        struct bus_level *level = &table->levels[i];
        for (uint64_t s = 0; s <= level->mask; s++) {
            next += level->slots[s].count;
            level->slots[s].first = next;
        }
    }
    for (guint i = bus->regions->len; i-- > 0;) {
        struct bus_region *region = g_ptr_array_index(bus->regions, i);
        struct bus_level *level = level_of[region->level];
        uint64_t granule = granule_of(region->base, level->shift);
        uint64_t last = granule_of(region->last, level->shift);
        for (;; granule++) {
            struct bus_slot *slot = level_slot(level, granule);
            table->entries[--slot->first] = region;
            if (granule == last)
                break;
        }
    }
    return table;
}

static void region_free(struct bus_region *region)
{
    if (!region)
        return;
    g_free(region->owner);
    g_free(region);
}

/* Free the retired tables from `table` on (all older than it) and the regions they dropped. */
static void retired_free(struct bus_table *table)
{
    while (table) {
        struct bus_table *next = table->retired_next;
        region_free(table->unmapped);
        table_free(table);
        table = next;
    }
}

/* Publish `table`; the old one joins the retired list with the region it dropped, if any. */
static struct bus_table *bus_publish(struct bus *bus, struct bus_table *table,
                                     struct bus_region *unmapped)
{
    struct bus_table *old = atomic_exchange_explicit(&bus->table, table, memory_order_acq_rel);

    old->unmapped = unmapped;
    old->retired_next = bus->retired;
    bus->retired = old;
    return old;
}

/* Without waiting: start the old table's grace period and free the retired tables whose
 * grace period is over. Called with write_lock held. */
static void bus_reclaim_finished(struct bus *bus, struct bus_table *old)
{
    old->grace_period = rcu_grace_period_start();
    /* Grace periods end in order: once one retired table is free to go, so are older ones. */
    for (struct bus_table **link = &bus->retired; *link; link = &(*link)->retired_next) {
        if (rcu_grace_period_done((*link)->grace_period)) {
            retired_free(*link);
            *link = NULL;
            break;
        }
    }
}

/* Index of the first region whose base is greater than `base`. */
static guint regions_upper_bound(const struct bus *bus, uint64_t base)
{
    guint low = 0, high = bus->regions->len;

    while (low < high) {
        guint middle = low + (high - low) / 2;
        const struct bus_region *region = g_ptr_array_index(bus->regions, middle);
        if (region->base <= base)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static bool access_size_valid(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

bool bus_map(struct bus *bus, uint64_t base, uint64_t length, const struct vmb_region_ops *ops,
             void *opaque, const char *owner, GMutex *lock, GError **error)
{
    unsigned min = 0, max = 0;

    g_return_val_if_fail(bus && ops, false);
    if (!owner)
        owner = "(unnamed)";
    if (length == 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s at 0x%" PRIx64 ": a region of length 0 cannot be mapped", owner, base);
        return false;
    }
    if (length - 1 > UINT64_MAX - base) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s at 0x%" PRIx64 ": length 0x%" PRIx64
                    " runs past the end of the %s address space",
                    owner, base, length, bus->name);
        return false;
    }
    /* A plugin built against an older ABI may pass a shorter ops struct. */
    if (VMB_HAS_FIELD(ops, struct vmb_region_ops, min_access))
        min = ops->min_access;
    if (VMB_HAS_FIELD(ops, struct vmb_region_ops, max_access))
        max = ops->max_access;
    min = min ? min : 1;
    max = max ? max : 8;
    if (!access_size_valid(min) || !access_size_valid(max) || min > max) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: access sizes %u..%u are not 1, 2, 4 or 8 with min <= max", owner, min,
                    max);
        return false;
    }
    if (length < min) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: a region of %" PRIu64 " bytes is smaller than its %u-byte minimum "
                    "access",
                    owner, length, min);
        return false;
    }

    struct bus_region *region = g_new0(struct bus_region, 1);
    region->base = base;
    region->last = base + (length - 1);
    region->length = length;
    region->read = ops->read;
    region->write = ops->write;
    region->min_access = min;
    region->max_access = max;
    region->opaque = opaque;
    region->lock = lock;
    region->owner = g_strdup(owner);
    region->level = region_level(bus, region);

    g_mutex_lock(&bus->write_lock);
    /* Regions are disjoint and sorted, so only the neighbours can overlap. */
    guint index = regions_upper_bound(bus, base);
    struct bus_region *other = NULL;
    if (index > 0) {
        struct bus_region *before = g_ptr_array_index(bus->regions, index - 1);
        if (before->last >= base)
            other = before;
    }
    if (!other && index < bus->regions->len) {
        struct bus_region *after = g_ptr_array_index(bus->regions, index);
        if (after->base <= region->last)
            other = after;
    }
    if (other) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_BUSY,
                    "%s at 0x%" PRIx64 "..0x%" PRIx64 " overlaps %s at 0x%" PRIx64 "..0x%" PRIx64,
                    owner, region->base, region->last, other->owner, other->base, other->last);
        g_mutex_unlock(&bus->write_lock);
        region_free(region);
        return false;
    }
    g_ptr_array_insert(bus->regions, index, region);
    /* Nothing to wait for: the old table drops no region, only its memory is at stake. */
    bus_reclaim_finished(bus, bus_publish(bus, table_build(bus), NULL));
    g_mutex_unlock(&bus->write_lock);
    return true;
}

bool bus_unmap(struct bus *bus, uint64_t base)
{
    g_mutex_lock(&bus->write_lock);
    guint index = regions_upper_bound(bus, base);
    struct bus_region *region = index > 0 ? g_ptr_array_index(bus->regions, index - 1) : NULL;
    if (!region || region->base != base) {
        g_mutex_unlock(&bus->write_lock);
        return false;
    }
    g_ptr_array_remove_index(bus->regions, index - 1);
    struct bus_table *old = bus_publish(bus, table_build(bus), region);
    if (rcu_in_read_section()) {
        /* A device handler unmapping: it cannot wait for itself, so a later writer frees
         * the old table once its grace period is over. The device is alive meanwhile. */
        bus_reclaim_finished(bus, old);
        g_mutex_unlock(&bus->write_lock);
        return true;
    }
    /* Wait without write_lock: a vCPU we wait for may be in a handler that maps. */
    struct bus_table *retired = bus->retired;
    bus->retired = NULL;
    g_mutex_unlock(&bus->write_lock);
    rcu_synchronize();
    retired_free(retired);
    return true;
}

struct bus *bus_new(const char *name, unsigned granule_shift)
{
    g_return_val_if_fail(granule_shift < 64, NULL);

    struct bus *bus = g_new0(struct bus, 1);
    bus->name = g_strdup(name);
    for (unsigned shift = granule_shift; shift < 64; shift += BUS_LEVEL_STRIDE)
        bus->level_shift[bus->level_count++] = shift;
    bus->level_shift[bus->level_count++] = 64;
    g_mutex_init(&bus->write_lock);
    g_mutex_init(&bus->ratelimit.lock);
    bus->regions = g_ptr_array_new();
    atomic_init(&bus->table, table_build(bus));
    return bus;
}

/* No reader may be using the bus any more (vCPUs stopped). */
void bus_free(struct bus *bus)
{
    if (!bus)
        return;
    retired_free(bus->retired);
    table_free(atomic_load(&bus->table));
    for (guint i = 0; i < bus->regions->len; i++)
        region_free(g_ptr_array_index(bus->regions, i));
    g_ptr_array_free(bus->regions, TRUE);
    g_mutex_clear(&bus->write_lock);
    g_mutex_clear(&bus->ratelimit.lock);
    g_free(bus->name);
    g_free(bus);
}

const char *bus_name(const struct bus *bus)
{
    return bus->name;
}

GArray *bus_regions(struct bus *bus)
{
    g_mutex_lock(&bus->write_lock);
    GArray *list =
        g_array_sized_new(FALSE, TRUE, sizeof(struct bus_region_info), bus->regions->len);
    for (guint i = 0; i < bus->regions->len; i++) {
        struct bus_region *region = g_ptr_array_index(bus->regions, i);
        struct bus_region_info info = {
            .base = region->base,
            .length = region->length,
            .owner = region->owner,
            .stats.reads = atomic_load_explicit(&region->reads, memory_order_relaxed),
            .stats.writes = atomic_load_explicit(&region->writes, memory_order_relaxed),
        };
        g_array_append_val(list, info);
    }
    g_mutex_unlock(&bus->write_lock);
    return list;
}

uint64_t bus_unclaimed_count(struct bus *bus)
{
    return atomic_load_explicit(&bus->unclaimed, memory_order_relaxed);
}

size_t bus_index_entries(struct bus *bus)
{
    g_mutex_lock(&bus->write_lock);
    size_t count = atomic_load_explicit(&bus->table, memory_order_relaxed)->entry_count;
    g_mutex_unlock(&bus->write_lock);
    return count;
}
