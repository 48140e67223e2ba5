/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The address-range bus: lookups and access splitting against a brute-force model, overlap
 * and argument errors, unclaimed accesses, huge windows, per-device locks, and reads racing
 * with map/unmap.
 */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "rcu.h"
#include "util.h"

/* Handlers count calls that break the contract in vmb_region_ops instead of asserting, since
 * they may run on other threads. */
static _Atomic unsigned contract_violations;

static bool size_in_contract(uint64_t length, unsigned min, unsigned max, uint64_t offset,
                             unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && size >= min && size <= max &&
           offset < length && size <= length - offset;
}

/* Point stderr at `file` (NULL: /dev/null) and return the old descriptor for stderr_restore:
 * guest errors are expected here, by the thousand in some tests. */
static int stderr_redirect(FILE *file)
{
    int saved = dup(STDERR_FILENO);
    FILE *sink = file ? file : fopen("/dev/null", "w");

    ck_assert_int_ge(saved, 0);
    ck_assert_ptr_nonnull(sink);
    fflush(stderr);
    dup2(fileno(sink), STDERR_FILENO);
    if (!file)
        fclose(sink);
    return saved;
}

static void stderr_restore(int saved)
{
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/* ---- pattern devices: byte at offset o of device id is a fold of (id, o) ----------------- */

struct pattern_device {
    uint64_t length;
    unsigned id;
};

static uint8_t pattern_byte(unsigned id, uint64_t offset)
{
    uint64_t folded = offset;
    for (int shift = 8; shift < 64; shift += 8)
        folded ^= offset >> shift;
    return (uint8_t)(folded ^ (id * 0x35u));
}

static uint64_t pattern_read(void *opaque, uint64_t offset, unsigned size)
{
    struct pattern_device *device = opaque;
    uint64_t value = 0;

    if (!size_in_contract(device->length, 1, 8, offset, size))
        contract_violations++;
    for (unsigned i = 0; i < size; i++)
        value |= (uint64_t)pattern_byte(device->id, offset + i) << (8 * i);
    return value;
}

static const struct vmb_region_ops pattern_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = pattern_read,
};

static void map_pattern(struct bus *bus, struct pattern_device *device, uint64_t base)
{
    GError *error = NULL;
    char *owner = g_strdup_printf("pattern%u (t.yaml:%u:5)", device->id, device->id);
    gboolean ok = bus_map(bus, base, device->length, &pattern_ops, device, owner, NULL, &error);
    ck_assert_msg(ok, "map %s: %s", owner, error ? error->message : "?");
    g_free(owner);
}

/* ---- recording devices: log every call ------------------------------------------------- */

struct call {
    bool write;
    uint64_t offset;
    unsigned size;
    uint64_t value;
};

struct recording_device {
    uint64_t length;
    unsigned id;
    struct vmb_region_ops ops;
    struct call calls[16];
    unsigned call_count;
};

static uint64_t recording_read(void *opaque, uint64_t offset, unsigned size)
{
    struct recording_device *device = opaque;
    uint64_t value =
        pattern_read(&(struct pattern_device){device->length, device->id}, offset, size);

    if (!size_in_contract(device->length, device->ops.min_access ? device->ops.min_access : 1,
                          device->ops.max_access ? device->ops.max_access : 8, offset, size))
        contract_violations++;
    if (device->call_count < G_N_ELEMENTS(device->calls))
        device->calls[device->call_count++] = (struct call){false, offset, size, value};
    return value;
}

static void recording_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct recording_device *device = opaque;

    if (!size_in_contract(device->length, device->ops.min_access ? device->ops.min_access : 1,
                          device->ops.max_access ? device->ops.max_access : 8, offset, size))
        contract_violations++;
    if (device->call_count < G_N_ELEMENTS(device->calls))
        device->calls[device->call_count++] = (struct call){true, offset, size, value};
}

static void recording_init(struct recording_device *device, unsigned id, uint64_t length,
                           unsigned min, unsigned max)
{
    memset(device, 0, sizeof(*device));
    device->id = id;
    device->length = length;
    device->ops = (struct vmb_region_ops){
        .size = sizeof(struct vmb_region_ops),
        .read = recording_read,
        .write = recording_write,
        .min_access = min,
        .max_access = max,
    };
}

static void map_recording(struct bus *bus, struct recording_device *device, uint64_t base)
{
    GError *error = NULL;
    char *owner = g_strdup_printf("rec%u (t.yaml:%u:5)", device->id, device->id);
    gboolean ok = bus_map(bus, base, device->length, &device->ops, device, owner, NULL, &error);
    ck_assert_msg(ok, "map %s: %s", owner, error ? error->message : "?");
    g_free(owner);
}

static void assert_call(const struct recording_device *device, unsigned index, bool write,
                        uint64_t offset, unsigned size)
{
    ck_assert_uint_gt(device->call_count, index);
    ck_assert_int_eq(device->calls[index].write, write);
    ck_assert_uint_eq(device->calls[index].offset, offset);
    ck_assert_uint_eq(device->calls[index].size, size);
}

/* ---- the brute-force model ------------------------------------------------------------- */

struct model_region {
    uint64_t base;
    uint64_t length;
    unsigned min_access, max_access;
    uint8_t *device_bytes; /* what the handlers read and write */
    uint8_t *shadow_bytes; /* what the model expects them to hold */
    bool mapped;
    uint64_t reads, writes;
    char owner[64];
    struct vmb_region_ops ops;
};

struct model {
    struct bus *bus;
    GRand *rng;
    guint32 seed;
    GPtrArray *regions; /* every region ever created, mapped or not */
    uint64_t unclaimed;
    uint64_t space; /* random bases fall in [0, space) */
};

static uint64_t model_handler_read(void *opaque, uint64_t offset, unsigned size)
{
    struct model_region *region = opaque;
    uint64_t value = 0;

    if (!size_in_contract(region->length, region->min_access, region->max_access, offset, size)) {
        contract_violations++;
        return 0;
    }
    for (unsigned i = 0; i < size; i++)
        value |= (uint64_t)region->device_bytes[offset + i] << (8 * i);
    return value;
}

static void model_handler_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct model_region *region = opaque;

    if (!size_in_contract(region->length, region->min_access, region->max_access, offset, size)) {
        contract_violations++;
        return;
    }
    for (unsigned i = 0; i < size; i++)
        region->device_bytes[offset + i] = (uint8_t)(value >> (8 * i));
}

static struct model_region *model_find(const struct model *model, uint64_t address)
{
    for (guint i = 0; i < model->regions->len; i++) {
        struct model_region *region = g_ptr_array_index(model->regions, i);
        if (region->mapped && address >= region->base && address - region->base < region->length)
            return region;
    }
    return NULL;
}

static struct model_region *model_region_new(struct model *model, uint64_t base, uint64_t length)
{
    static const unsigned sizes[] = {1, 1, 1, 2, 4, 8};
    struct model_region *region = g_new0(struct model_region, 1);

    region->base = base;
    region->length = length;
    region->min_access = sizes[g_rand_int_range(model->rng, 0, G_N_ELEMENTS(sizes))];
    if (region->min_access > length)
        region->min_access = 1;
    region->max_access = region->min_access << g_rand_int_range(model->rng, 0, 4);
    if (region->max_access > 8)
        region->max_access = 8;
    region->device_bytes = g_malloc(length);
    for (uint64_t i = 0; i < length; i++)
        region->device_bytes[i] = (uint8_t)g_rand_int(model->rng);
    region->shadow_bytes = g_memdup2(region->device_bytes, length);
    snprintf(region->owner, sizeof(region->owner), "dev%u (random.yaml:%u:5)", model->regions->len,
             model->regions->len + 1);
    region->ops = (struct vmb_region_ops){
        .size = sizeof(struct vmb_region_ops),
        .read = model_handler_read,
        .write = model_handler_write,
        .min_access =
            (uint8_t)(region->min_access == 1 && g_rand_boolean(model->rng) ? 0
                                                                            : region->min_access),
        .max_access =
            (uint8_t)(region->max_access == 8 && g_rand_boolean(model->rng) ? 0
                                                                            : region->max_access),
    };
    g_ptr_array_add(model->regions, region);
    return region;
}

/* Map a region through the bus; the model decides by brute force whether it must be refused. */
static void model_try_map(struct model *model, struct model_region *region)
{
    GError *error = NULL;
    uint64_t last = region->base + region->length - 1;
    bool overlaps = false;

    for (guint i = 0; i < model->regions->len; i++) {
        struct model_region *other = g_ptr_array_index(model->regions, i);
        if (other != region && other->mapped && other->base <= last &&
            region->base <= other->base + other->length - 1)
            overlaps = true;
    }
    bool mapped = bus_map(model->bus, region->base, region->length, &region->ops, region,
                          region->owner, NULL, &error);
    ck_assert_msg(mapped == !overlaps,
                  "seed %u: map of %s at 0x%" PRIx64 "+0x%" PRIx64 " returned %d", model->seed,
                  region->owner, region->base, region->length, mapped);
    if (mapped) {
        region->mapped = true;
        region->reads = region->writes = 0;
        return;
    }
    /* The message names the new region and one region it really overlaps. */
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(g_str_has_prefix(error->message, region->owner), "%s", error->message);
    bool named = false;
    for (guint i = 0; i < model->regions->len; i++) {
        struct model_region *other = g_ptr_array_index(model->regions, i);
        if (other != region && other->mapped && other->base <= last &&
            region->base <= other->base + other->length - 1 && strstr(error->message, other->owner))
            named = true;
    }
    ck_assert_msg(named, "seed %u: %s", model->seed, error->message);
    g_error_free(error);
}

/* Walk an access byte by byte the way the model says the bus must: parts end where the owner
 * changes or at the top of the address space. */
struct model_part {
    struct model_region *region; /* NULL for a hole */
    uint64_t offset;
    unsigned length;
};

static unsigned model_parts(const struct model *model, uint64_t address, unsigned size,
                            struct model_part *parts)
{
    unsigned count = 0;

    for (unsigned i = 0; i < size; i++) {
        bool past_top = i > UINT64_MAX - address;
        struct model_region *region = past_top ? NULL : model_find(model, address + i);
        bool crosses_top = i > 0 && past_top && !(i - 1 > UINT64_MAX - address);
        if (count > 0 && parts[count - 1].region == region && !crosses_top) {
            parts[count - 1].length++;
            continue;
        }
        parts[count++] = (struct model_part){region, region ? address + i - region->base : 0, 1};
    }
    return count;
}

static void model_check_read(struct model *model, uint64_t address, unsigned size)
{
    struct model_part parts[8];
    unsigned count = model_parts(model, address, size, parts), done = 0;
    uint64_t expected = 0;

    for (unsigned p = 0; p < count; p++) {
        for (unsigned i = 0; i < parts[p].length; i++, done++) {
            uint8_t byte =
                parts[p].region ? parts[p].region->shadow_bytes[parts[p].offset + i] : 0xff;
            expected |= (uint64_t)byte << (8 * done);
        }
        if (parts[p].region)
            parts[p].region->reads++;
        else
            model->unclaimed++;
    }
    uint64_t value = bus_read(model->bus, address, size);
    ck_assert_msg(value == expected,
                  "seed %u: read %u at 0x%" PRIx64 " gave 0x%" PRIx64 ", expected 0x%" PRIx64,
                  model->seed, size, address, value, expected);
}

static void model_check_write(struct model *model, uint64_t address, unsigned size)
{
    struct model_part parts[8];
    unsigned count = model_parts(model, address, size, parts), done = 0;
    uint64_t value = ((uint64_t)g_rand_int(model->rng) << 32) | g_rand_int(model->rng);

    for (unsigned p = 0; p < count; p++) {
        struct model_region *region = parts[p].region;
        if (region) {
            /* Pieces are powers of two >= min, so all but a tail of length % min lands. */
            unsigned kept = parts[p].length - parts[p].length % region->min_access;
            for (unsigned i = 0; i < kept; i++)
                region->shadow_bytes[parts[p].offset + i] = (uint8_t)(value >> (8 * (done + i)));
            region->writes++;
        } else {
            model->unclaimed++;
        }
        done += parts[p].length;
    }
    bus_write(model->bus, address, value, size);
}

static uint64_t random_u64(GRand *rng)
{
    return ((uint64_t)g_rand_int(rng) << 32) | g_rand_int(rng);
}

static uint64_t random_length(GRand *rng)
{
    int kind = g_rand_int_range(rng, 0, 10);

    if (kind < 4)
        return g_rand_int_range(rng, 1, 9); /* ports, registers */
    if (kind < 7)
        return g_rand_int_range(rng, 9, 0x101);
    if (kind < 9)
        return g_rand_int_range(rng, 0x101, 0x2001);
    return g_rand_int_range(rng, 0x2001, 0x10001);
}

static uint64_t random_base(struct model *model)
{
    uint64_t base = random_u64(model->rng) % model->space;

    /* Half of them aligned to some power of two, the rest anywhere. */
    if (g_rand_boolean(model->rng))
        base &= ~((UINT64_C(1) << g_rand_int_range(model->rng, 0, 13)) - 1);
    return base;
}

static void model_random_accesses(struct model *model, unsigned count)
{
    static const unsigned sizes[] = {1, 2, 4, 8, 1, 2, 4, 8, 3, 5, 6, 7};

    for (unsigned n = 0; n < count; n++) {
        unsigned size = sizes[g_rand_int_range(model->rng, 0, G_N_ELEMENTS(sizes))];
        uint64_t address;
        int choice = g_rand_int_range(model->rng, 0, 10);
        if (choice < 7) {
            /* Near the edges of some region (mapped or not), where the splitting happens. */
            struct model_region *region = g_ptr_array_index(
                model->regions, g_rand_int_range(model->rng, 0, model->regions->len));
            int64_t offset = g_rand_int_range(model->rng, -9, 10);
            if (g_rand_boolean(model->rng))
                offset += (int64_t)region->length;
            else if (choice == 0)
                offset = g_rand_int_range(model->rng, 0, (gint32)MIN(region->length, 1u << 30));
            address = region->base + (uint64_t)offset;
        } else if (choice < 9) {
            address = random_u64(model->rng) % model->space;
        } else {
            address = UINT64_MAX - g_rand_int_range(model->rng, 0, 0x110);
        }
        if (g_rand_boolean(model->rng))
            model_check_read(model, address, size);
        else
            model_check_write(model, address, size);
    }
}

/* The bus's statistics and region list agree with the model. */
static void model_check_regions(struct model *model)
{
    GArray *list = bus_regions(model->bus);
    guint mapped = 0;

    for (guint i = 0; i < model->regions->len; i++) {
        struct model_region *region = g_ptr_array_index(model->regions, i);
        if (!region->mapped)
            continue;
        mapped++;
        bool found = false;
        for (guint j = 0; j < list->len; j++) {
            struct bus_region_info *info = &g_array_index(list, struct bus_region_info, j);
            if (info->base != region->base)
                continue;
            found = true;
            ck_assert_uint_eq(info->length, region->length);
            ck_assert_str_eq(info->owner, region->owner);
            ck_assert_uint_eq(info->stats.reads, region->reads);
            ck_assert_uint_eq(info->stats.writes, region->writes);
        }
        ck_assert_msg(found, "%s missing from bus_regions", region->owner);
    }
    ck_assert_uint_eq(list->len, mapped);
    for (guint j = 1; j < list->len; j++)
        ck_assert_uint_lt(g_array_index(list, struct bus_region_info, j - 1).base,
                          g_array_index(list, struct bus_region_info, j).base);
    /* No region costs more than a handful of index entries. */
    ck_assert_uint_le(bus_index_entries(model->bus), 8 * (size_t)mapped);
    g_array_unref(list);
}

static void model_region_free(gpointer data)
{
    struct model_region *region = data;
    g_free(region->device_bytes);
    g_free(region->shadow_bytes);
    g_free(region);
}

static guint32 test_seed(void)
{
    const char *text = g_getenv("VMB_TEST_SEED");
    return text ? (guint32)strtoul(text, NULL, 0) : 20260101u;
}

/* Loop index 0: an MMIO-like bus (page granules); 1: a port-like bus (8-byte granules). */
START_TEST(random_regions_match_brute_force)
{
    struct model model = {
        .bus = bus_new("random", _i == 0 ? 12 : 3),
        .seed = test_seed() + (guint32)_i,
        .regions = g_ptr_array_new_with_free_func(model_region_free),
        .space = UINT64_C(1) << 26,
    };
    model.rng = g_rand_new_with_seed(model.seed);
    int saved_stderr = stderr_redirect(NULL);
    uint64_t unclaimed_before = bus_unclaimed_count(model.bus);

    /* A region that ends exactly at the top of the address space. */
    model_try_map(&model, model_region_new(&model, UINT64_MAX - 0xff, 0x100));
    for (unsigned i = 0; i < 3000; i++)
        model_try_map(&model,
                      model_region_new(&model, random_base(&model), random_length(model.rng)));
    ck_assert_uint_gt(bus_index_entries(model.bus), 1000);
    model_random_accesses(&model, 4000);
    model_check_regions(&model);

    /* Unmap about half; unmapping where no region starts is refused. */
    for (guint i = 0; i < model.regions->len; i++) {
        struct model_region *region = g_ptr_array_index(model.regions, i);
        if (!region->mapped)
            continue;
        if (region->length > 1)
            ck_assert(!bus_unmap(model.bus, region->base + 1));
        if (g_rand_boolean(model.rng)) {
            ck_assert(bus_unmap(model.bus, region->base));
            region->mapped = false;
            ck_assert(!bus_unmap(model.bus, region->base));
        }
    }
    model_random_accesses(&model, 4000);
    model_check_regions(&model);

    /* Map again: some of the old regions back at their place, and new ones. */
    guint old_count = model.regions->len;
    for (guint i = 0; i < old_count; i++) {
        struct model_region *region = g_ptr_array_index(model.regions, i);
        if (!region->mapped && g_rand_int_range(model.rng, 0, 4) == 0)
            model_try_map(&model, region);
    }
    for (unsigned i = 0; i < 1000; i++)
        model_try_map(&model,
                      model_region_new(&model, random_base(&model), random_length(model.rng)));
    model_random_accesses(&model, 4000);
    model_check_regions(&model);

    stderr_restore(saved_stderr);
    ck_assert_uint_eq(bus_unclaimed_count(model.bus) - unclaimed_before, model.unclaimed);
    ck_assert_uint_eq(contract_violations, 0);
    bus_free(model.bus);
    g_ptr_array_unref(model.regions);
    g_rand_free(model.rng);
}
END_TEST

/* ---- errors at map time ---------------------------------------------------------------- */

static bool map_error(struct bus *bus, uint64_t base, uint64_t length,
                      const struct vmb_region_ops *ops, const char *owner, char **message)
{
    GError *error = NULL;
    static struct pattern_device device = {16, 1};
    bool ok = bus_map(bus, base, length, ops, &device, owner, NULL, &error);

    if (ok) {
        ck_assert_ptr_null(error);
        *message = NULL;
    } else {
        ck_assert_ptr_nonnull(error);
        /* Overlaps are BUSY (the device gets -EBUSY), malformed requests INVALID. */
        ck_assert(g_error_matches(error, VMB_ERROR, strstr(error->message, " overlaps ")
                                                        ? VMB_ERROR_BUSY
                                                        : VMB_ERROR_INVALID));
        *message = g_strdup(error->message);
        g_error_free(error);
    }
    return ok;
}

START_TEST(overlap_names_both_owners)
{
    struct bus *bus = bus_new("pio", 3);
    char *message;

    ck_assert(map_error(bus, 0x3f8, 8, &pattern_ops, "uart0 (b.yaml:9:5)", &message));
    ck_assert(!map_error(bus, 0x3f8, 8, &pattern_ops, "uart1 (b.yaml:14:5)", &message));
    ck_assert_str_eq(message, "uart1 (b.yaml:14:5) at 0x3f8..0x3ff overlaps uart0 (b.yaml:9:5) at "
                              "0x3f8..0x3ff");
    g_free(message);
    /* Overlapping only the last byte, only the first byte, and enclosing it. */
    ck_assert(!map_error(bus, 0x3ff, 2, &pattern_ops, "a (b.yaml:1:1)", &message));
    ck_assert_str_eq(message,
                     "a (b.yaml:1:1) at 0x3ff..0x400 overlaps uart0 (b.yaml:9:5) at 0x3f8..0x3ff");
    g_free(message);
    ck_assert(!map_error(bus, 0x3f0, 9, &pattern_ops, "b (b.yaml:2:1)", &message));
    ck_assert_ptr_nonnull(strstr(message, "overlaps uart0 (b.yaml:9:5)"));
    g_free(message);
    ck_assert(!map_error(bus, 0, 0x10000, &pattern_ops, "c (b.yaml:3:1)", &message));
    ck_assert_ptr_nonnull(strstr(message, "c (b.yaml:3:1) at 0x0..0xffff overlaps uart0"));
    g_free(message);
    /* Neighbours touching it are fine, and the refused maps left nothing behind. */
    ck_assert(map_error(bus, 0x3f0, 8, &pattern_ops, "d (b.yaml:4:1)", &message));
    ck_assert(map_error(bus, 0x400, 1, &pattern_ops, "e (b.yaml:5:1)", &message));
    GArray *list = bus_regions(bus);
    ck_assert_uint_eq(list->len, 3);
    ck_assert_str_eq(g_array_index(list, struct bus_region_info, 1).owner, "uart0 (b.yaml:9:5)");
    g_array_unref(list);
    ck_assert_uint_eq(bus_read(bus, 0x3f8, 1), pattern_byte(1, 0));
    bus_free(bus);
}
END_TEST

START_TEST(bad_lengths_and_access_sizes_refused)
{
    struct bus *bus = bus_new("mmio", 12);
    char *message;

    ck_assert(!map_error(bus, 0x1000, 0, &pattern_ops, "z (b.yaml:1:1)", &message));
    ck_assert_ptr_nonnull(strstr(message, "length 0"));
    g_free(message);
    ck_assert(!map_error(bus, UINT64_MAX - 0xf, 0x11, &pattern_ops, "w (b.yaml:2:1)", &message));
    ck_assert_str_eq(message, "w (b.yaml:2:1) at 0xfffffffffffffff0: length 0x11 runs past the "
                              "end of the mmio address space");
    g_free(message);
    ck_assert(!map_error(bus, 2, UINT64_MAX, &pattern_ops, "w2 (b.yaml:2:1)", &message));
    g_free(message);
    ck_assert_uint_eq(bus_index_entries(bus), 0);

    struct vmb_region_ops odd = pattern_ops;
    odd.min_access = 3;
    ck_assert(!map_error(bus, 0x1000, 0x10, &odd, "o (b.yaml:3:1)", &message));
    ck_assert_ptr_nonnull(strstr(message, "access sizes 3..8"));
    g_free(message);
    odd.min_access = 8;
    odd.max_access = 4;
    ck_assert(!map_error(bus, 0x1000, 0x10, &odd, "o (b.yaml:3:1)", &message));
    g_free(message);
    odd.min_access = 4;
    odd.max_access = 4;
    ck_assert(!map_error(bus, 0x1000, 2, &odd, "s (b.yaml:4:1)", &message));
    ck_assert_ptr_nonnull(strstr(message, "smaller than its 4-byte minimum"));
    g_free(message);

    /* Ending exactly at the top is not a wrap. */
    ck_assert(map_error(bus, UINT64_MAX - 0xf, 0x10, &pattern_ops, "top (b.yaml:5:1)", &message));
    ck_assert_uint_eq(bus_read(bus, UINT64_MAX, 1), pattern_byte(1, 0xf));
    /* The two bytes past the top read as all-ones. */
    ck_assert_uint_eq(bus_read(bus, UINT64_MAX - 1, 4),
                      0xffff0000u | pattern_byte(1, 0xe) | (uint64_t)pattern_byte(1, 0xf) << 8);
    bus_free(bus);
}
END_TEST

/* ---- huge windows and shared granules -------------------------------------------------- */

static uint64_t expected_pattern(const struct pattern_device *const *devices, const uint64_t *bases,
                                 unsigned count, uint64_t address, unsigned size)
{
    uint64_t value = 0;

    for (unsigned i = 0; i < size; i++) {
        uint8_t byte = 0xff;
        for (unsigned d = 0; d < count; d++) {
            if (address + i >= bases[d] && address + i - bases[d] < devices[d]->length)
                byte = pattern_byte(devices[d]->id, address + i - bases[d]);
        }
        value |= (uint64_t)byte << (8 * i);
    }
    return value;
}

START_TEST(huge_windows_cost_a_few_entries)
{
    struct bus *bus = bus_new("mmio", 12);
    struct pattern_device gib = {UINT64_C(1) << 30, 1}, gib_unaligned = {UINT64_C(1) << 30, 2},
                          tera = {UINT64_C(1) << 40, 3}, page = {0x1000, 4}, small_a = {0x30, 5},
                          small_b = {0x30, 6}, top = {UINT64_C(1) << 62, 7};
    const struct pattern_device *devices[] = {&gib,     &gib_unaligned, &tera, &page,
                                              &small_a, &small_b,       &top};
    const uint64_t bases[] = {UINT64_C(0x40000000),        UINT64_C(0x123456000),
                              UINT64_C(0x10000001000),     UINT64_C(0x3ffff000),
                              UINT64_C(0x80000000),        UINT64_C(0x80000030),
                              UINT64_C(0xc000000000000000)};
    GRand *rng = g_rand_new_with_seed(test_seed());

    int saved_stderr = stderr_redirect(NULL);
    for (unsigned d = 0; d < G_N_ELEMENTS(devices); d++) {

        size_t before = bus_index_entries(bus);
        map_pattern(bus, (struct pattern_device *)devices[d], bases[d]);
        /* A page-per-entry index would need 262144 entries for 1 GiB, 2^28 for 1 TiB. */
        ck_assert_uint_le(bus_index_entries(bus) - before, 8);
    }
    ck_assert_uint_le(bus_index_entries(bus), 24);

    for (unsigned n = 0; n < 20000; n++) {
        unsigned d = g_rand_int_range(rng, 0, G_N_ELEMENTS(devices));
        uint64_t address;
        switch (g_rand_int_range(rng, 0, 3)) {
        case 0:
            address = bases[d] + random_u64(rng) % devices[d]->length;
            break;
        case 1:
            address = bases[d] - 8 + (uint64_t)g_rand_int_range(rng, 0, 16);
            break;
        default:
            address = bases[d] + devices[d]->length - 8 + (uint64_t)g_rand_int_range(rng, 0, 16);
            break;
        }
        unsigned size = 1u << g_rand_int_range(rng, 0, 4);
        uint64_t expected = expected_pattern(devices, bases, G_N_ELEMENTS(devices), address, size);
        ck_assert_msg(bus_read(bus, address, size) == expected, "read %u at 0x%" PRIx64, size,
                      address);
    }
    /* The page below the 1 GiB window and the window itself share the access. */
    ck_assert_uint_eq(bus_read(bus, 0x3ffffffe, 4),
                      expected_pattern(devices, bases, G_N_ELEMENTS(devices), 0x3ffffffe, 4));
    ck_assert_uint_eq(contract_violations, 0);

    stderr_restore(saved_stderr);
    ck_assert(bus_unmap(bus, bases[2]));
    ck_assert_uint_eq(bus_read(bus, bases[2] + 0x12345678, 4), 0xffffffffu);
    g_rand_free(rng);
    bus_free(bus);
}
END_TEST

START_TEST(small_regions_share_a_granule)
{
    /* Eight 1-byte ports and a 2-byte one in one 8-port granule, next to 4-byte ones. */
    struct bus *bus = bus_new("pio", 3);
    struct pattern_device ports[12];
    uint64_t bases[12];
    const struct pattern_device *devices[12];
    uint64_t next = 0x60;
    int saved_stderr = stderr_redirect(NULL);

    for (unsigned i = 0; i < 12; i++) {
        ports[i] = (struct pattern_device){i < 8 ? 1 : i == 8 ? 2 : 4, 10 + i};
        bases[i] = next;
        devices[i] = &ports[i];
        next += ports[i].length + (i == 9 ? 1 : 0); /* a one-port hole after the tenth */
        map_pattern(bus, &ports[i], bases[i]);
    }
    for (uint64_t address = 0x58; address < next + 8; address++) {
        for (unsigned size = 1; size <= 8; size++)
            ck_assert_uint_eq(bus_read(bus, address, size),
                              expected_pattern(devices, bases, 12, address, size));
    }
    stderr_restore(saved_stderr);
    ck_assert_uint_eq(contract_violations, 0);
    bus_free(bus);
}
END_TEST

/* ---- splitting ------------------------------------------------------------------------- */

START_TEST(straddling_and_spanning_accesses_are_split)
{
    struct bus *bus = bus_new("mmio", 12);
    struct recording_device a, b;

    recording_init(&a, 0xa, 4, 1, 8);
    recording_init(&b, 0xb, 10, 1, 8);
    map_recording(bus, &a, 0x1000);
    map_recording(bus, &b, 0x1006); /* 0x1004 and 0x1005 are a hole */

    uint64_t unclaimed = bus_unclaimed_count(bus);
    uint64_t value = bus_read(bus, 0x1002, 8);
    uint64_t expected = pattern_byte(0xa, 2) | (uint64_t)pattern_byte(0xa, 3) << 8 |
                        UINT64_C(0xffff) << 16 | (uint64_t)pattern_byte(0xb, 0) << 32 |
                        (uint64_t)pattern_byte(0xb, 1) << 40 |
                        (uint64_t)pattern_byte(0xb, 2) << 48 | (uint64_t)pattern_byte(0xb, 3) << 56;
    ck_assert_uint_eq(value, expected);
    ck_assert_uint_eq(a.call_count, 1);
    assert_call(&a, 0, false, 2, 2);
    ck_assert_uint_eq(b.call_count, 1);
    assert_call(&b, 0, false, 0, 4);
    ck_assert_uint_eq(bus_unclaimed_count(bus) - unclaimed, 1);

    /* A write across all three: each owner gets its bytes, the hole drops its own. */
    a.call_count = b.call_count = 0;
    bus_write(bus, 0x1003, UINT64_C(0x8877665544332211), 8);
    ck_assert_uint_eq(a.call_count, 1);
    assert_call(&a, 0, true, 3, 1);
    ck_assert_uint_eq(a.calls[0].value, 0x11);
    ck_assert_uint_eq(b.call_count, 2); /* 5 bytes: 4 + 1 */
    assert_call(&b, 0, true, 0, 4);
    ck_assert_uint_eq(b.calls[0].value, 0x77665544);
    assert_call(&b, 1, true, 4, 1);
    ck_assert_uint_eq(b.calls[1].value, 0x88);

    /* Past the end of b into nothing. */
    b.call_count = 0;
    ck_assert_uint_eq(bus_read(bus, 0x100e, 4),
                      pattern_byte(0xb, 8) | (uint64_t)pattern_byte(0xb, 9) << 8 | 0xffff0000u);
    assert_call(&b, 0, false, 8, 2);
    /* Starting in the hole. */
    ck_assert_uint_eq(bus_read(bus, 0x1005, 2), 0xff | (uint64_t)pattern_byte(0xb, 0) << 8);
    ck_assert_uint_eq(contract_violations, 0);
    bus_free(bus);
}
END_TEST

START_TEST(wide_accesses_split_narrow_ones_widened)
{
    struct bus *bus = bus_new("mmio", 12);
    struct recording_device narrow, wide;

    recording_init(&narrow, 1, 16, 1, 2); /* takes 1..2 bytes */
    recording_init(&wide, 2, 6, 4, 4);    /* takes exactly 4 bytes, only 6 long */
    map_recording(bus, &narrow, 0x1000);
    map_recording(bus, &wide, 0x2000);

    /* 8 bytes on a 2-byte device: four 2-byte pieces, little-endian. */
    uint64_t expected = 0;
    for (unsigned i = 0; i < 8; i++)
        expected |= (uint64_t)pattern_byte(1, i) << (8 * i);
    ck_assert_uint_eq(bus_read(bus, 0x1000, 8), expected);
    ck_assert_uint_eq(narrow.call_count, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_call(&narrow, i, false, 2 * i, 2);
    narrow.call_count = 0;
    bus_write(bus, 0x1000, UINT64_C(0x8877665544332211), 8);
    ck_assert_uint_eq(narrow.call_count, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_call(&narrow, i, true, 2 * i, 2);
        ck_assert_uint_eq(narrow.calls[i].value,
                          (UINT64_C(0x8877665544332211) >> (16 * i)) & 0xffff);
    }
    /* 3 bytes: 2 + 1. */
    narrow.call_count = 0;
    bus_write(bus, 0x1003, 0xccbbaa, 3);
    assert_call(&narrow, 0, true, 3, 2);
    ck_assert_uint_eq(narrow.calls[0].value, 0xbbaa);
    assert_call(&narrow, 1, true, 5, 1);
    ck_assert_uint_eq(narrow.calls[1].value, 0xcc);

    /* 1 byte on a 4-byte device: one aligned 4-byte read, our byte extracted. */
    ck_assert_uint_eq(bus_read(bus, 0x2001, 1), pattern_byte(2, 1));
    ck_assert_uint_eq(wide.call_count, 1);
    assert_call(&wide, 0, false, 0, 4);
    /* The last byte: the word is pulled back inside the 6-byte region. */
    wide.call_count = 0;
    ck_assert_uint_eq(bus_read(bus, 0x2005, 1), pattern_byte(2, 5));
    ck_assert_uint_eq(wide.call_count, 1);
    assert_call(&wide, 0, false, 2, 4);
    /* 2 bytes across a word boundary: two widened reads. */
    wide.call_count = 0;
    ck_assert_uint_eq(bus_read(bus, 0x2003, 2), pattern_byte(2, 3) | (uint64_t)pattern_byte(2, 4)
                                                                         << 8);
    ck_assert_uint_eq(wide.call_count, 2);
    /* 8 bytes: 4 from the device (one 4-byte read), 2 widened, 2 from the hole. */
    wide.call_count = 0;
    uint64_t value = bus_read(bus, 0x2000, 8);
    ck_assert_uint_eq(value >> 48, 0xffff);
    for (unsigned i = 0; i < 6; i++)
        ck_assert_uint_eq((value >> (8 * i)) & 0xff, pattern_byte(2, i));

    /* Narrower writes are dropped; a wide one keeps its 4-byte piece only. */
    wide.call_count = 0;
    bus_write(bus, 0x2000, 0x11, 1);
    bus_write(bus, 0x2004, 0x2211, 2);
    ck_assert_uint_eq(wide.call_count, 0);
    bus_write(bus, 0x2000, UINT64_C(0x8877665544332211), 8);
    ck_assert_uint_eq(wide.call_count, 1);
    assert_call(&wide, 0, true, 0, 4);
    ck_assert_uint_eq(wide.calls[0].value, 0x44332211);

    /* No valid size at all: all-ones, nothing called. */
    wide.call_count = narrow.call_count = 0;
    ck_assert_uint_eq(bus_read(bus, 0x1000, 0), UINT64_MAX);
    ck_assert_uint_eq(bus_read(bus, 0x1000, 9), UINT64_MAX);
    bus_write(bus, 0x1000, 0, 16);
    ck_assert_uint_eq(narrow.call_count, 0);
    ck_assert_uint_eq(contract_violations, 0);
    bus_free(bus);
}
END_TEST

/* ---- unclaimed addresses --------------------------------------------------------------- */

static unsigned count_substring(const char *text, const char *needle)
{
    unsigned count = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        count++;
    return count;
}

START_TEST(unclaimed_reads_all_ones_logged_once)
{
    struct bus *bus = bus_new("mmio", 12);
    struct recording_device device;

    recording_init(&device, 1, 0x10, 1, 8);
    map_recording(bus, &device, 0x1000);

    /* Capture what the bus logs. */
    FILE *capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    int saved = stderr_redirect(capture);

    ck_assert_uint_eq(bus_read(bus, 0x5000, 1), 0xff);
    ck_assert_uint_eq(bus_read(bus, 0x5000, 2), 0xffff);
    ck_assert_uint_eq(bus_read(bus, 0x5000, 4), 0xffffffffu);
    bus_write(bus, 0x5000, 0x1234, 2);
    ck_assert_uint_eq(bus_read(bus, 0x6000, 8), UINT64_MAX);
    bus_write(bus, 0x6000, 0, 8);
    ck_assert_uint_eq(bus_unclaimed_count(bus), 6);
    ck_assert_uint_eq(device.call_count, 0);

    stderr_restore(saved);
    rewind(capture);
    char text[4096];
    size_t length = fread(text, 1, sizeof(text) - 1, capture);
    text[length] = '\0';
    fclose(capture);
    ck_assert_msg(count_substring(text, "unclaimed address 0x5000 ") == 1, "%s", text);
    ck_assert_msg(count_substring(text, "unclaimed address 0x6000 ") == 1, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "mmio: 1-byte read at unclaimed address 0x5000 reads as "
                                       "all-ones"));

    /* Many distinct addresses: still all-ones, counted, and the bus keeps working. */
    saved = stderr_redirect(NULL);
    for (uint64_t address = 0x100000; address < 0x100000 + 20000 * 8; address += 8)
        ck_assert_uint_eq(bus_read(bus, address, 4), 0xffffffffu);
    stderr_restore(saved);
    ck_assert_uint_eq(bus_unclaimed_count(bus), 6 + 20000);
    ck_assert_uint_eq(bus_read(bus, 0x1000, 1), pattern_byte(1, 0));
    bus_free(bus);
}
END_TEST

START_TEST(unmap_then_map_again)
{
    struct bus *bus = bus_new("mmio", 12);
    struct pattern_device first = {0x100, 1}, second = {0x80, 2}, wider = {0x200, 3};

    map_pattern(bus, &first, 0x1000);
    ck_assert_uint_eq(bus_read(bus, 0x1010, 1), pattern_byte(1, 0x10));
    ck_assert(!bus_unmap(bus, 0x1001)); /* not where a region starts */
    ck_assert(!bus_unmap(bus, 0x2000));
    ck_assert(bus_unmap(bus, 0x1000));
    ck_assert(!bus_unmap(bus, 0x1000));
    ck_assert_uint_eq(bus_read(bus, 0x1010, 1), 0xff);
    ck_assert_uint_eq(bus_index_entries(bus), 0);

    map_pattern(bus, &second, 0x1000);
    ck_assert_uint_eq(bus_read(bus, 0x1010, 1), pattern_byte(2, 0x10));
    ck_assert_uint_eq(bus_read(bus, 0x1080, 1), 0xff);
    ck_assert(bus_unmap(bus, 0x1000));
    map_pattern(bus, &wider, 0xf80);
    ck_assert_uint_eq(bus_read(bus, 0x1010, 1), pattern_byte(3, 0x90));
    GArray *list = bus_regions(bus);
    ck_assert_uint_eq(list->len, 1);
    ck_assert_uint_eq(g_array_index(list, struct bus_region_info, 0).base, 0xf80);
    ck_assert_uint_eq(g_array_index(list, struct bus_region_info, 0).stats.reads, 1);
    g_array_unref(list);
    bus_free(bus);
}
END_TEST

START_TEST(regions_listed_sorted_with_counts)
{
    struct bus *bus = bus_new("pio", 3);
    struct recording_device devices[3];
    const uint64_t bases[] = {0x3f8, 0x60, 0x2f8};

    for (unsigned i = 0; i < 3; i++) {
        recording_init(&devices[i], i, 8, 1, 8);
        map_recording(bus, &devices[i], bases[i]);
    }
    bus_read(bus, 0x3f8, 1);
    bus_read(bus, 0x3fd, 1);
    bus_write(bus, 0x3f8, 0x41, 1);
    bus_write(bus, 0x64, 0xfe, 1);
    bus_read(bus, 0x2fe, 4); /* straddles into nothing: still one read of 0x2f8 */

    GArray *list = bus_regions(bus);
    ck_assert_uint_eq(list->len, 3);
    const struct bus_region_info *info = (const struct bus_region_info *)list->data;
    ck_assert_uint_eq(info[0].base, 0x60);
    ck_assert_str_eq(info[0].owner, "rec1 (t.yaml:1:5)");
    ck_assert_uint_eq(info[0].stats.reads, 0);
    ck_assert_uint_eq(info[0].stats.writes, 1);
    ck_assert_uint_eq(info[1].base, 0x2f8);
    ck_assert_uint_eq(info[1].stats.reads, 1);
    ck_assert_uint_eq(info[2].base, 0x3f8);
    ck_assert_uint_eq(info[2].length, 8);
    ck_assert_uint_eq(info[2].stats.reads, 2);
    ck_assert_uint_eq(info[2].stats.writes, 1);
    g_array_unref(list);
    ck_assert_str_eq(bus_name(bus), "pio");
    bus_free(bus);
}
END_TEST

/* ---- locks, grace periods and races ---------------------------------------------------- */

struct locked_device {
    GMutex lock;
    _Atomic int inside;
    _Atomic int checked;
};

static uint64_t locked_read(void *opaque, uint64_t offset, unsigned size)
{
    struct locked_device *device = opaque;

    atomic_store(&device->inside, 1);
    for (unsigned i = 0; i < 50000 && !atomic_load(&device->checked); i++)
        g_usleep(100);
    atomic_store(&device->inside, 0);
    return 42;
}

static gpointer locked_reader(gpointer data)
{
    return GUINT_TO_POINTER((guint)bus_read(data, 0x100, 4));
}

START_TEST(device_lock_held_during_calls)
{
    struct bus *bus = bus_new("mmio", 12);
    struct locked_device device = {0};
    const struct vmb_region_ops ops = {
        .size = sizeof(ops), .read = locked_read, .min_access = 4, .max_access = 4};
    GError *error = NULL;

    g_mutex_init(&device.lock);
    ck_assert(bus_map(bus, 0x100, 4, &ops, &device, "locked (t.yaml:1:1)", &device.lock, &error));
    GThread *thread = g_thread_new("reader", locked_reader, bus);
    while (!atomic_load(&device.inside))
        g_usleep(100);
    /* The handler is running on the other thread: its device lock must be taken. */
    ck_assert(!g_mutex_trylock(&device.lock));
    atomic_store(&device.checked, 1);
    ck_assert_uint_eq(GPOINTER_TO_UINT(g_thread_join(thread)), 42);
    /* And released afterwards. */
    ck_assert(g_mutex_trylock(&device.lock));
    g_mutex_unlock(&device.lock);
    g_mutex_clear(&device.lock);
    bus_free(bus);
}
END_TEST

static gpointer synchronize_thread(gpointer data)
{
    rcu_synchronize();
    atomic_store((_Atomic int *)data, 1);
    return NULL;
}

START_TEST(grace_period_waits_for_readers)
{
    _Atomic int done = 0;

    rcu_read_lock(); /* registers this thread on first use */
    rcu_read_lock();
    ck_assert(rcu_in_read_section());
    uint64_t cookie = rcu_grace_period_start();
    GThread *thread = g_thread_new("synchronize", synchronize_thread, (void *)&done);
    rcu_read_unlock();
    ck_assert(rcu_in_read_section()); /* still nested once */
    g_usleep(50000);
    ck_assert_int_eq(atomic_load(&done), 0);
    ck_assert(!rcu_grace_period_done(cookie));
    rcu_read_unlock();
    ck_assert(!rcu_in_read_section());
    g_thread_join(thread);
    ck_assert_int_eq(atomic_load(&done), 1);
    ck_assert(rcu_grace_period_done(cookie));
    /* A reader that entered after the grace period started does not hold it up. */
    cookie = rcu_grace_period_start();
    rcu_read_lock();
    ck_assert(rcu_grace_period_done(cookie));
    rcu_read_unlock();
    rcu_unregister_thread();
}
END_TEST

/* A device that moves its data window, and finally unmaps its own control register, from
 * inside its write handler (as a BAR write does): the bus must not wait for itself. */
struct moving_device {
    struct bus *bus;
    GMutex lock;
    uint64_t data_base;
    struct pattern_device data;
    bool ok;
};

static void moving_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct moving_device *device = opaque;
    GError *error = NULL;

    if (value == 0xdead) {
        device->ok = bus_unmap(device->bus, 0x1000);
        return;
    }
    device->ok = bus_unmap(device->bus, device->data_base) &&
                 bus_map(device->bus, value, device->data.length, &pattern_ops, &device->data,
                         "moving data (t.yaml:2:1)", &device->lock, &error);
    device->data_base = value;
    g_clear_error(&error);
}

START_TEST(handler_may_map_and_unmap)
{
    struct moving_device device = {.data = {0x100, 9}, .data_base = 0x2000};
    const struct vmb_region_ops control = {
        .size = sizeof(control), .read = NULL, .write = moving_write};
    GError *error = NULL;

    device.bus = bus_new("mmio", 12);
    g_mutex_init(&device.lock);
    ck_assert(bus_map(device.bus, 0x1000, 8, &control, &device, "moving (t.yaml:1:1)", &device.lock,
                      &error));
    ck_assert(bus_map(device.bus, 0x2000, 0x100, &pattern_ops, &device.data,
                      "moving data (t.yaml:2:1)", &device.lock, &error));
    ck_assert_uint_eq(bus_read(device.bus, 0x2004, 1), pattern_byte(9, 4));
    for (uint64_t base = 0x3000; base < 0x3000 + 50 * 0x1000; base += 0x1000) {
        bus_write(device.bus, 0x1000, base, 8);
        ck_assert(device.ok);
        ck_assert_uint_eq(bus_read(device.bus, base - 0x1000 + 4, 1), 0xff);
        ck_assert_uint_eq(bus_read(device.bus, base + 4, 1), pattern_byte(9, 4));
    }
    ck_assert_uint_eq(bus_read(device.bus, 0x1000, 4), 0xffffffffu); /* write-only */
    bus_write(device.bus, 0x1000, 0xdead, 4);
    ck_assert(device.ok);
    GArray *list = bus_regions(device.bus);
    ck_assert_uint_eq(list->len, 1);
    g_array_unref(list);
    /* An unmap from outside a handler reclaims what the handlers had to leave behind. */
    ck_assert(bus_unmap(device.bus, device.data_base));
    ck_assert_uint_eq(bus_index_entries(device.bus), 0);
    bus_free(device.bus);
    g_mutex_clear(&device.lock);
}
END_TEST

#define RACE_SLOTS     8
#define RACE_BASE      UINT64_C(0x10000)
#define RACE_SLOT_SIZE UINT64_C(0x100) /* eight slots share one page */

struct race_device {
    _Atomic int freed; /* set by the test once bus_unmap returned */
    unsigned slot;
    unsigned generation;
    GMutex lock;
};

static _Atomic unsigned race_use_after_unmap;

static uint64_t race_value(const struct race_device *device)
{
    return (uint64_t)device->slot << 32 | 0xabcd0000u | (device->generation & 0xffff);
}

static uint64_t race_read(void *opaque, uint64_t offset, unsigned size)
{
    struct race_device *device = opaque;

    if (atomic_load(&device->freed))
        race_use_after_unmap++;
    return race_value(device);
}

static void race_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct race_device *device = opaque;

    if (atomic_load(&device->freed))
        race_use_after_unmap++;
}

static const struct vmb_region_ops race_ops = {
    .size = sizeof(race_ops), .read = race_read, .write = race_write};

struct race_reader {
    struct bus *bus;
    _Atomic int *stop;
    bool register_first;
    unsigned seed;
    uint64_t reads;
    uint64_t bad_values;
};

static gpointer race_reader_thread(gpointer data)
{
    struct race_reader *reader = data;
    GRand *rng = g_rand_new_with_seed(reader->seed);

    if (reader->register_first)
        rcu_register_thread();
    while (!atomic_load(reader->stop)) {
        unsigned slot = g_rand_int_range(rng, 0, RACE_SLOTS);
        uint64_t address = RACE_BASE + slot * RACE_SLOT_SIZE + 8 * g_rand_int_range(rng, 0, 32);
        uint64_t value = bus_read(reader->bus, address, 8);
        if (value != UINT64_MAX && (value >> 32 != slot || (value & 0xffff0000u) != 0xabcd0000u))
            reader->bad_values++;
        bus_write(reader->bus, address, value, 4);
        /* Also the huge window that comes and goes. */
        value =
            bus_read(reader->bus, UINT64_C(0x40000000) + 8 * g_rand_int_range(rng, 0, 1 << 20), 8);
        if (value != UINT64_MAX && value >> 32 != RACE_SLOTS)
            reader->bad_values++;
        reader->reads += 2;
    }
    if (reader->register_first)
        rcu_unregister_thread();
    g_rand_free(rng);
    return NULL;
}

START_TEST(readers_race_with_map_and_unmap)
{
    struct bus *bus = bus_new("mmio", 12);
    _Atomic int stop = 0;
    struct race_reader readers[2] = {
        {bus, &stop, true, test_seed(), 0, 0},
        {bus, &stop, false, test_seed() + 1, 0, 0}, /* registers lazily */
    };
    GPtrArray *devices = g_ptr_array_new();
    struct race_device *current[RACE_SLOTS + 1] = {0};
    GRand *rng = g_rand_new_with_seed(test_seed());
    GThread *threads[2];
    int saved_stderr = stderr_redirect(NULL);

    for (unsigned i = 0; i < 2; i++)
        threads[i] = g_thread_new("race reader", race_reader_thread, &readers[i]);
    for (unsigned n = 0; n < 3000; n++) {
        unsigned slot = g_rand_int_range(rng, 0, RACE_SLOTS + 1);
        uint64_t base =
            slot < RACE_SLOTS ? RACE_BASE + slot * RACE_SLOT_SIZE : UINT64_C(0x40000000);
        uint64_t length = slot < RACE_SLOTS ? RACE_SLOT_SIZE : UINT64_C(1) << 30;
        if (current[slot]) {
            ck_assert(bus_unmap(bus, base));
            /* From here on no reader may be inside this device. */
            atomic_store(&current[slot]->freed, 1);
            current[slot] = NULL;
        } else {
            struct race_device *device = g_new0(struct race_device, 1);
            GError *error = NULL;
            device->slot = slot;
            device->generation = n;
            g_mutex_init(&device->lock);
            ck_assert(bus_map(bus, base, length, &race_ops, device, "race (t.yaml:1:1)",
                              n % 2 ? &device->lock : NULL, &error));
            g_ptr_array_add(devices, device);
            current[slot] = device;
        }
        if (n % 64 == 0)
            g_usleep(200); /* let the readers catch up with the churn */
    }
    atomic_store(&stop, 1);
    for (unsigned i = 0; i < 2; i++)
        g_thread_join(threads[i]);
    stderr_restore(saved_stderr);

    ck_assert_uint_eq(race_use_after_unmap, 0);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_uint_gt(readers[i].reads, 100);
        ck_assert_uint_eq(readers[i].bad_values, 0);
    }
    bus_free(bus);
    for (guint i = 0; i < devices->len; i++) {
        struct race_device *device = g_ptr_array_index(devices, i);
        g_mutex_clear(&device->lock);
        g_free(device);
    }
    g_ptr_array_unref(devices);
    g_rand_free(rng);
}
END_TEST

static Suite *bus_suite(void)
{
    Suite *suite = suite_create("bus");
    TCase *tcase = tcase_create("lookup");

    tcase_set_timeout(tcase, 120);
    tcase_add_loop_test(tcase, random_regions_match_brute_force, 0, 2);
    tcase_add_test(tcase, huge_windows_cost_a_few_entries);
    tcase_add_test(tcase, small_regions_share_a_granule);
    tcase_add_test(tcase, unmap_then_map_again);
    tcase_add_test(tcase, regions_listed_sorted_with_counts);
    suite_add_tcase(suite, tcase);

    tcase = tcase_create("errors");
    tcase_add_test(tcase, overlap_names_both_owners);
    tcase_add_test(tcase, bad_lengths_and_access_sizes_refused);
    suite_add_tcase(suite, tcase);

    tcase = tcase_create("access");
    tcase_add_test(tcase, straddling_and_spanning_accesses_are_split);
    tcase_add_test(tcase, wide_accesses_split_narrow_ones_widened);
    tcase_add_test(tcase, unclaimed_reads_all_ones_logged_once);
    suite_add_tcase(suite, tcase);

    tcase = tcase_create("concurrency");
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, device_lock_held_during_calls);
    tcase_add_test(tcase, grace_period_waits_for_readers);
    tcase_add_test(tcase, handler_may_map_and_unmap);
    tcase_add_test(tcase, readers_race_with_map_and_unmap);
    suite_add_tcase(suite, tcase);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(bus_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
