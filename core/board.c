/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Board files: YAML -> board model -> validated against the device types' schemas.
 *
 * Parsing uses libyaml's document API, so every node carries its start mark and every problem
 * can be reported as FILE:LINE:COL. We never stop at the first problem: each check appends its
 * line to `diags` and parsing carries on with the next key, so `vmboard check` shows them all.
 * The reference for the format is docs/board-format.md; keep the two in step.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "arch/x86/cpu-features.h"
#include "arch/x86/x86.h"
#include "board.h"
#include "irq.h"
#include "plugin.h"
#include "util.h"

#define BOARD_MAX_CPUS       256
#define BOARD_DEFAULT_MEMORY (128ull << 20)
#define BOARD_PAGE_SIZE      4096ull
#define BOARD_PIO_LIMIT      0x10000ull
/* Boards are a few KiB; refusing huge inputs keeps `vmboard check /dev/zero` from hanging. */
#define BOARD_MAX_FILE_SIZE (16u << 20)

/* ---- locations and diagnostics --------------------------------------------------------- */

static char *loc_format(const struct board_loc *loc)
{
    const char *file = loc->file ? loc->file : "<unknown>";

    if (loc->line <= 0)
        return g_strdup(file);
    return g_strdup_printf("%s:%d:%d", file, loc->line, loc->column);
}

static GPrivate loc_buffer = G_PRIVATE_INIT(g_free);

const char *board_loc_str(const struct board_loc *loc)
{
    char *text = loc_format(loc);

    g_private_replace(&loc_buffer, text);
    return text;
}

static void diag_add(GPtrArray *diags, const struct board_loc *loc, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void diag_add(GPtrArray *diags, const struct board_loc *loc, const char *fmt, ...)
{
    va_list ap;
    char *where = loc_format(loc);
    char *message;

    va_start(ap, fmt);
    message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(diags, g_strdup_printf("%s: error: %s", where, message));
    g_free(where);
    g_free(message);
}

/* " (did you mean 'x'?)" or "" */
static char *suggestion(const char *word, const char *const *candidates, size_t count)
{
    const char *best = did_you_mean(word, candidates, count);

    return best ? g_strdup_printf(" (did you mean '%s'?)", best) : g_strdup("");
}

static char *join_names(const char *const *names, size_t count)
{
    GString *out = g_string_new(NULL);

    for (size_t i = 0; i < count; i++)
        g_string_append_printf(out, "%s%s", i ? ", " : "", names[i]);
    return g_string_free(out, FALSE);
}

/* ---- names ------------------------------------------------------------------------------ */

static const char *const arch_names[] = {"x86_64", "arm64", "s390x"};
static const enum vmb_arch arch_values[] = {VMB_ARCH_X86_64, VMB_ARCH_ARM64, VMB_ARCH_S390X};

const char *board_arch_name(enum vmb_arch arch)
{
    for (size_t i = 0; i < G_N_ELEMENTS(arch_values); i++) {
        if (arch_values[i] == arch)
            return arch_names[i];
    }
    return "unknown";
}

enum vmb_arch board_host_arch(void)
{
#if defined(__x86_64__)
    return VMB_ARCH_X86_64;
#elif defined(__aarch64__)
    return VMB_ARCH_ARM64;
#elif defined(__s390x__)
    return VMB_ARCH_S390X;
#else
#error "vmboard runs on x86_64, aarch64 or s390x hosts"
#endif
}

/* Indexed by enum boot_format. */
static const char *const format_names[] = {"auto",    "flat", "multiboot",
                                           "bzimage", "elf",  "arm64-image"};
static const char *const mode_names[] = {"real", "long"};

static const char *const top_keys[] = {"name", "arch", "cpus", "memory", "cpu", "boot", "devices"};
static const char *const cpu_keys[] = {"features"};
static const char *const boot_keys[] = {"kernel",       "initrd", "cmdline", "format",
                                        "load-address", "entry",  "mode"};
/* Keys of a device entry that are not type-specific properties. */
static const char *const device_keys[] = {"type", "id", "mmio", "pio", "irq"};

static const char *placement_name(enum device_placement placement)
{
    return placement == PLACE_PIO ? "pio" : "mmio";
}

static bool id_is_valid(const char *id)
{
    if (!*id)
        return false;
    for (const char *c = id; *c; c++) {
        if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.' && *c != '-')
            return false;
    }
    return true;
}

/* ---- the board model -------------------------------------------------------------------- */

static void board_prop_free(gpointer data)
{
    struct board_prop *prop = data;

    g_free(prop->key);
    g_free(prop->value);
    g_free(prop);
}

static void prop_value_clear(gpointer data)
{
    struct device_prop_value *value = data;

    g_free(value->string_value);
}

static void board_device_free(gpointer data)
{
    struct board_device *dev = data;

    g_free(dev->type);
    g_free(dev->id);
    g_ptr_array_unref(dev->props);
    if (dev->values)
        g_array_unref(dev->values);
    g_free(dev);
}

static struct board *board_new(const char *path)
{
    struct board *board = g_new0(struct board, 1);

    board->path = g_strdup(path);
    board->dir = g_path_get_dirname(path);
    board->cpus = 1;
    board->memory = BOARD_DEFAULT_MEMORY;
    board->boot.cmdline = g_strdup("");
    board->devices = g_ptr_array_new_with_free_func(board_device_free);
    board->cpu_features = g_array_new(FALSE, TRUE, sizeof(struct board_cpu_feature));
    board->strings = g_string_chunk_new(256);
    return board;
}

void board_free(struct board *board)
{
    if (!board)
        return;
    g_free(board->path);
    g_free(board->dir);
    g_free(board->name);
    g_free(board->boot.kernel);
    g_free(board->boot.initrd);
    g_free(board->boot.cmdline);
    g_ptr_array_unref(board->devices);
    for (guint i = 0; i < board->cpu_features->len; i++)
        g_free(g_array_index(board->cpu_features, struct board_cpu_feature, i).name);
    g_array_unref(board->cpu_features);
    g_string_chunk_free(board->strings);
    g_free(board);
}

/* A path from the board file: relative ones are relative to the board's directory. */
static char *resolve_path(const struct board *board, const char *path)
{
    if (g_path_is_absolute(path) || strcmp(board->dir, ".") == 0)
        return g_strdup(path);
    return g_build_filename(board->dir, path, NULL);
}

/* ---- YAML walking ------------------------------------------------------------------------ */

struct parser {
    struct board *board;
    yaml_document_t *doc;
    GPtrArray *diags;
    const char *file; /* interned in board->strings */
};

struct pair {
    const char *key;
    yaml_node_t *value;
    struct board_loc key_loc;
    struct board_loc value_loc;
};

static struct board_loc mark_loc(const struct parser *p, yaml_mark_t mark)
{
    return (struct board_loc){
        .file = p->file, .line = (int)mark.line + 1, .column = (int)mark.column + 1};
}

static const char *node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "mapping";
    case YAML_SEQUENCE_NODE:
        return "list";
    default:
        return "single value";
    }
}

static const char *scalar_text(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* An empty plain scalar, `~` or `null`: YAML's way of writing "nothing here". */
static bool node_is_null(const yaml_node_t *node)
{
    const char *text;

    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    text = scalar_text(node);
    return !*text || !strcmp(text, "~") || !strcmp(text, "null") || !strcmp(text, "Null") ||
           !strcmp(text, "NULL");
}

/*
 * The key/value pairs of a mapping, each key a scalar and given once. Bad keys are reported
 * and left out, so callers only see pairs they can act on.
 */
static GArray *mapping_pairs(struct parser *p, yaml_node_t *map)
{
    GArray *pairs = g_array_new(FALSE, TRUE, sizeof(struct pair));

    for (yaml_node_pair_t *it = map->data.mapping.pairs.start; it < map->data.mapping.pairs.top;
         it++) {
        yaml_node_t *key = yaml_document_get_node(p->doc, it->key);
        yaml_node_t *value = yaml_document_get_node(p->doc, it->value);
        struct pair pair;
        bool duplicate = false;

        if (!key || !value)
            continue;
        pair.key_loc = mark_loc(p, key->start_mark);
        pair.value_loc = mark_loc(p, value->start_mark);
        if (key->type != YAML_SCALAR_NODE) {
            diag_add(p->diags, &pair.key_loc, "a key must be a plain name, not a %s",
                     node_kind(key));
            continue;
        }
        pair.key = scalar_text(key);
        pair.value = value;
        for (guint i = 0; i < pairs->len; i++) {
            const struct pair *first = &g_array_index(pairs, struct pair, i);

            if (strcmp(first->key, pair.key) == 0) {
                char *where = loc_format(&first->key_loc);

                diag_add(p->diags, &pair.key_loc, "duplicate key '%s' (first given at %s)",
                         pair.key, where);
                g_free(where);
                duplicate = true;
                break;
            }
        }
        if (!duplicate)
            g_array_append_val(pairs, pair);
    }
    return pairs;
}

static const struct pair *find_pair(GArray *pairs, const char *key)
{
    for (guint i = 0; i < pairs->len; i++) {
        const struct pair *pair = &g_array_index(pairs, struct pair, i);

        if (strcmp(pair->key, key) == 0)
            return pair;
    }
    return NULL;
}

static void unknown_key(struct parser *p, const struct pair *pair, const char *section,
                        const char *const *known, size_t count)
{
    const char *best = did_you_mean(pair->key, known, count);
    char *list;

    if (best) {
        diag_add(p->diags, &pair->key_loc, "unknown key '%s'%s (did you mean '%s'?)", pair->key,
                 section, best);
        return;
    }
    list = join_names(known, count);
    diag_add(p->diags, &pair->key_loc, "unknown key '%s'%s; the keys are: %s", pair->key, section,
             list);
    g_free(list);
}

/* The text of a value that must be a scalar; NULL (after a diag) otherwise. `what` names the
 * key in the message, e.g. "'cpus'". */
static const char *scalar_value(struct parser *p, const struct pair *pair, const char *what)
{
    const yaml_node_t *node = pair->value;

    if (node->type != YAML_SCALAR_NODE) {
        diag_add(p->diags, &pair->value_loc, "%s must be a single value, not a %s", what,
                 node_kind(node));
        return NULL;
    }
    /* A double-quoted "\0" would silently cut C strings short. */
    if (strlen(scalar_text(node)) != node->data.scalar.length) {
        diag_add(p->diags, &pair->value_loc, "%s contains a NUL character", what);
        return NULL;
    }
    if (node_is_null(node))
        return "";
    return scalar_text(node);
}

/* A non-empty string value, e.g. a path. */
static char *nonempty_value(struct parser *p, const struct pair *pair, const char *what)
{
    const char *text = scalar_value(p, pair, what);

    if (!text)
        return NULL;
    if (!*text) {
        diag_add(p->diags, &pair->value_loc, "%s is empty", what);
        return NULL;
    }
    return g_strdup(text);
}

static bool number_value(struct parser *p, const struct pair *pair, const char *what,
                         uint64_t limit, const char *expected, uint64_t *out)
{
    const char *text = scalar_value(p, pair, what);
    uint64_t value;

    if (!text)
        return false;
    if (!*text) {
        diag_add(p->diags, &pair->value_loc, "%s has no value; it must be %s", what, expected);
        return false;
    }
    if (!parse_u64(text, &value) || value > limit) {
        diag_add(p->diags, &pair->value_loc, "%s must be %s, not '%s'", what, expected, text);
        return false;
    }
    *out = value;
    return true;
}

/* Index of `text` in `names`, or -1 after a diag with a did-you-mean or the list. */
static int choice_value(struct parser *p, const struct pair *pair, const char *what,
                        const char *const *names, size_t count)
{
    const char *text = scalar_value(p, pair, what);
    char *hint, *list;

    if (!text)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(text, names[i]) == 0)
            return (int)i;
    }
    hint = suggestion(text, names, count);
    list = join_names(names, count);
    if (!*text)
        diag_add(p->diags, &pair->value_loc, "%s has no value; it must be one of %s", what, list);
    else
        diag_add(p->diags, &pair->value_loc, "%s must be one of %s, not '%s'%s", what, list, text,
                 hint);
    g_free(list);
    g_free(hint);
    return -1;
}

/* ---- sections ---------------------------------------------------------------------------- */

static void parse_arch(struct parser *p, const struct pair *pair)
{
    /* Other spellings people use for the same machines. */
    static const char *const aliases[][2] = {
        {"aarch64", "arm64"}, {"amd64", "x86_64"}, {"x86-64", "x86_64"},
        {"x64", "x86_64"},    {"s390", "s390x"},
    };
    const char *text = scalar_value(p, pair, "'arch'");

    if (!text)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(arch_names); i++) {
        if (strcmp(text, arch_names[i]) == 0) {
            p->board->arch = arch_values[i];
            return;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if (g_ascii_strcasecmp(text, aliases[i][0]) == 0) {
            diag_add(p->diags, &pair->value_loc,
                     "'arch' must be one of x86_64, arm64, s390x, not '%s' (did you mean '%s'?)",
                     text, aliases[i][1]);
            return;
        }
    }
    choice_value(p, pair, "'arch'", arch_names, G_N_ELEMENTS(arch_names));
}

static void parse_memory_text(GPtrArray *diags, const struct board_loc *loc, const char *what,
                              const char *text, uint64_t *out)
{
    uint64_t bytes;

    if (!*text) {
        diag_add(diags, loc, "%s has no value; it must be a size in bytes (e.g. 256M)", what);
        return;
    }
    if (!parse_size(text, &bytes)) {
        diag_add(diags, loc,
                 "%s must be a size in bytes, optionally with a K, M, G or T suffix (e.g. 256M), "
                 "not '%s'",
                 what, text);
        return;
    }
    if (bytes == 0) {
        diag_add(diags, loc, "%s must be more than 0", what);
        return;
    }
    if (bytes % BOARD_PAGE_SIZE) {
        diag_add(diags, loc, "%s must be a multiple of 4 KiB (4096 bytes), not '%s'", what, text);
        return;
    }
    *out = bytes;
}

static void parse_boot(struct parser *p, const struct pair *boot_pair)
{
    struct board_boot *boot = &p->board->boot;
    const struct pair *mode_pair = NULL, *format_pair = NULL;
    GArray *pairs;

    boot->loc = boot_pair->key_loc;
    if (node_is_null(boot_pair->value))
        return;
    if (boot_pair->value->type != YAML_MAPPING_NODE) {
        diag_add(p->diags, &boot_pair->value_loc,
                 "'boot' must be a mapping (kernel:, cmdline:, ...), not a %s",
                 node_kind(boot_pair->value));
        return;
    }
    pairs = mapping_pairs(p, boot_pair->value);
    for (guint i = 0; i < pairs->len; i++) {
        const struct pair *pair = &g_array_index(pairs, struct pair, i);
        char *text;
        int choice;

        if (!strcmp(pair->key, "kernel") || !strcmp(pair->key, "initrd")) {
            bool is_kernel = pair->key[0] == 'k';
            char *what = g_strdup_printf("'%s'", pair->key);

            text = nonempty_value(p, pair, what);
            g_free(what);
            if (!text)
                continue;
            if (is_kernel) {
                boot->kernel = resolve_path(p->board, text);
                boot->kernel_loc = pair->value_loc;
            } else {
                boot->initrd = resolve_path(p->board, text);
                boot->initrd_loc = pair->value_loc;
            }
            g_free(text);
        } else if (!strcmp(pair->key, "cmdline")) {
            const char *cmdline = scalar_value(p, pair, "'cmdline'");

            if (cmdline) {
                g_free(boot->cmdline);
                boot->cmdline = g_strdup(cmdline);
            }
        } else if (!strcmp(pair->key, "format")) {
            choice = choice_value(p, pair, "'format'", format_names, G_N_ELEMENTS(format_names));
            if (choice >= 0) {
                boot->format = (enum boot_format)choice;
                format_pair = pair;
            }
        } else if (!strcmp(pair->key, "mode")) {
            choice = choice_value(p, pair, "'mode'", mode_names, G_N_ELEMENTS(mode_names));
            if (choice >= 0) {
                boot->mode = choice == 0 ? BOOT_MODE_REAL : BOOT_MODE_LONG;
                mode_pair = pair;
            }
        } else if (!strcmp(pair->key, "load-address")) {
            boot->has_load_address =
                number_value(p, pair, "'load-address'", UINT64_MAX,
                             "a guest-physical address (decimal or 0x hex)", &boot->load_address);
        } else if (!strcmp(pair->key, "entry")) {
            boot->has_entry = number_value(p, pair, "'entry'", UINT64_MAX,
                                           "a guest address (decimal or 0x hex)", &boot->entry);
        } else {
            unknown_key(p, pair, " in 'boot'", boot_keys, G_N_ELEMENTS(boot_keys));
        }
    }

    /* Combinations that only make sense for one architecture. The arch is known by now
     * because parse_top handles 'arch' before 'boot'. */
    if (format_pair && p->board->arch) {
        enum vmb_arch needs = 0;

        if (boot->format == BOOT_FORMAT_MULTIBOOT || boot->format == BOOT_FORMAT_BZIMAGE)
            needs = VMB_ARCH_X86_64;
        else if (boot->format == BOOT_FORMAT_ARM64_IMAGE)
            needs = VMB_ARCH_ARM64;
        if (needs && needs != p->board->arch)
            diag_add(p->diags, &format_pair->value_loc,
                     "boot format '%s' is for %s boards, but this board is %s",
                     format_names[boot->format], board_arch_name(needs),
                     board_arch_name(p->board->arch));
    }
    if (mode_pair) {
        if (p->board->arch && p->board->arch != VMB_ARCH_X86_64)
            diag_add(p->diags, &mode_pair->key_loc,
                     "'mode' applies to x86_64 flat images only, but this board is %s",
                     board_arch_name(p->board->arch));
        else if (boot->format != BOOT_FORMAT_AUTO && boot->format != BOOT_FORMAT_FLAT)
            diag_add(p->diags, &mode_pair->key_loc,
                     "'mode' applies to flat images only, but the format is '%s'",
                     format_names[boot->format]);
    }
    /* A multiboot image says itself where it loads and starts; a value here would be ignored. */
    for (guint i = 0; boot->format == BOOT_FORMAT_MULTIBOOT && i < pairs->len; i++) {
        const struct pair *pair = &g_array_index(pairs, struct pair, i);

        if (!strcmp(pair->key, "load-address") || !strcmp(pair->key, "entry"))
            diag_add(p->diags, &pair->key_loc,
                     "'%s' does not apply to multiboot images: their header says where they "
                     "load and start",
                     pair->key);
    }
    g_array_unref(pairs);
}

static void parse_device(struct parser *p, yaml_node_t *node, GHashTable *type_counts)
{
    struct board_device *dev;
    struct board_loc loc = mark_loc(p, node->start_mark);
    const struct pair *type_pair, *id_pair, *first_place = NULL;
    GArray *pairs;
    guint count;

    if (node->type != YAML_MAPPING_NODE) {
        if (node_is_null(node))
            diag_add(p->diags, &loc, "empty entry in 'devices'; write '- type: NAME ...'");
        else
            diag_add(p->diags, &loc,
                     "each entry of 'devices' must be a mapping (- type: NAME ...), not a %s",
                     node_kind(node));
        return;
    }
    dev = g_new0(struct board_device, 1);
    dev->loc = loc;
    dev->irq = -1;
    dev->props = g_ptr_array_new_with_free_func(board_prop_free);
    g_ptr_array_add(p->board->devices, dev);
    pairs = mapping_pairs(p, node);

    /* type and id first: every later message names the device. */
    type_pair = find_pair(pairs, "type");
    if (!type_pair) {
        diag_add(p->diags, &loc, "device has no 'type' (run 'vmboard plugins' to list them)");
        dev->type = g_strdup("");
    } else {
        dev->type_loc = type_pair->value_loc;
        dev->type = nonempty_value(p, type_pair, "'type'");
        if (!dev->type)
            dev->type = g_strdup("");
    }
    count = GPOINTER_TO_UINT(g_hash_table_lookup(type_counts, dev->type));
    g_hash_table_insert(type_counts, g_strdup(dev->type), GUINT_TO_POINTER(count + 1));

    id_pair = find_pair(pairs, "id");
    if (id_pair) {
        dev->id_loc = id_pair->value_loc;
        dev->id = nonempty_value(p, id_pair, "'id'");
        if (dev->id && !id_is_valid(dev->id))
            diag_add(p->diags, &dev->id_loc,
                     "device id '%s' may only contain letters, digits, '_', '.' and '-'", dev->id);
    }
    if (!dev->id) {
        dev->id = g_strdup_printf("%s.%u", *dev->type ? dev->type : "device", count);
        dev->id_loc = loc;
    }

    for (guint i = 0; i < pairs->len; i++) {
        const struct pair *pair = &g_array_index(pairs, struct pair, i);
        char *what = g_strdup_printf("'%s' of device '%s'", pair->key, dev->id);
        uint64_t value;

        if (!strcmp(pair->key, "type") || !strcmp(pair->key, "id")) {
            /* handled above */
        } else if (!strcmp(pair->key, "mmio") || !strcmp(pair->key, "pio")) {
            bool pio = pair->key[0] == 'p';

            if (first_place) {
                diag_add(p->diags, &pair->key_loc,
                         "device '%s' has both 'mmio' and 'pio'; a device sits in one address "
                         "space, give only one",
                         dev->id);
            } else if (number_value(p, pair, what, pio ? BOARD_PIO_LIMIT - 1 : UINT64_MAX,
                                    pio ? "a port number from 0 to 0xffff"
                                        : "an address (decimal or 0x hex)",
                                    &value)) {
                dev->placement = pio ? PLACE_PIO : PLACE_MMIO;
                dev->address = value;
                dev->address_loc = pair->value_loc;
            }
            first_place = pair;
        } else if (!strcmp(pair->key, "irq")) {
            char *expected =
                g_strdup_printf("an interrupt line number from 0 to %d", IRQ_MAX_LINES - 1);

            if (number_value(p, pair, what, IRQ_MAX_LINES - 1, expected, &value)) {
                dev->irq = (int)value;
                dev->irq_loc = pair->value_loc;
            }
            g_free(expected);
        } else {
            /* A type-specific property: checked against the schema by board_validate. */
            const char *text = scalar_value(p, pair, what);

            if (text) {
                struct board_prop *prop = g_new0(struct board_prop, 1);

                prop->key = g_strdup(pair->key);
                prop->value = g_strdup(text);
                prop->key_loc = pair->key_loc;
                prop->value_loc = pair->value_loc;
                g_ptr_array_add(dev->props, prop);
            }
        }
        g_free(what);
    }
    g_array_unref(pairs);
}

static void parse_devices(struct parser *p, const struct pair *pair)
{
    yaml_node_t *list = pair->value;
    GHashTable *type_counts;

    if (node_is_null(list))
        return;
    if (list->type != YAML_SEQUENCE_NODE) {
        diag_add(p->diags, &pair->value_loc,
                 "'devices' must be a list of devices (- type: NAME ...), not a %s",
                 node_kind(list));
        return;
    }
    type_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (yaml_node_item_t *item = list->data.sequence.items.start;
         item < list->data.sequence.items.top; item++) {
        yaml_node_t *node = yaml_document_get_node(p->doc, *item);

        if (node)
            parse_device(p, node, type_counts);
    }
    g_hash_table_unref(type_counts);
}

/* `cpu: {features: {x2apic: off, ...}}`: names from the x86 backend's table. */
static void parse_cpu_features(struct parser *p, const struct pair *features_pair)
{
    const char *names[X86_CPU_FEATURE_COUNT];
    GArray *pairs;

    for (size_t i = 0; i < X86_CPU_FEATURE_COUNT; i++)
        names[i] = x86_cpu_features[i].name;
    if (features_pair->value->type != YAML_MAPPING_NODE) {
        diag_add(p->diags, &features_pair->value_loc,
                 "'cpu.features' must be a mapping of feature names to on or off, not a %s",
                 node_kind(features_pair->value));
        return;
    }
    if (p->board->arch != VMB_ARCH_X86_64) {
        diag_add(p->diags, &features_pair->key_loc,
                 "'cpu.features' is supported only for x86_64 boards");
        return;
    }
    pairs = mapping_pairs(p, features_pair->value);
    for (guint i = 0; i < pairs->len; i++) {
        const struct pair *pair = &g_array_index(pairs, struct pair, i);
        bool known = false;
        for (size_t f = 0; f < X86_CPU_FEATURE_COUNT && !known; f++)
            known = strcmp(pair->key, names[f]) == 0;
        if (!known) {
            const char *best = did_you_mean(pair->key, names, X86_CPU_FEATURE_COUNT);
            char *list = join_names(names, X86_CPU_FEATURE_COUNT);
            if (best)
                diag_add(p->diags, &pair->key_loc, "unknown CPU feature '%s' (did you mean '%s'?)",
                         pair->key, best);
            else
                diag_add(p->diags, &pair->key_loc, "unknown CPU feature '%s'; the features are: %s",
                         pair->key, list);
            g_free(list);
            continue;
        }
        char *what = g_strdup_printf("CPU feature '%s'", pair->key);
        const char *text = scalar_value(p, pair, what);
        bool enabled;
        if (text && !parse_bool(text, &enabled))
            diag_add(p->diags, &pair->value_loc, "%s must be on or off, not '%s'", what, text);
        else if (text) {
            struct board_cpu_feature feature = {
                .name = g_strdup(pair->key), .enabled = enabled, .loc = pair->key_loc};
            g_array_append_val(p->board->cpu_features, feature);
        }
        g_free(what);
    }
    g_array_unref(pairs);
}

static void parse_cpu(struct parser *p, const struct pair *cpu_pair)
{
    if (cpu_pair->value->type != YAML_MAPPING_NODE) {
        diag_add(p->diags, &cpu_pair->value_loc, "'cpu' must be a mapping (features:), not a %s",
                 node_kind(cpu_pair->value));
        return;
    }
    GArray *pairs = mapping_pairs(p, cpu_pair->value);
    for (guint i = 0; i < pairs->len; i++) {
        const struct pair *pair = &g_array_index(pairs, struct pair, i);
        if (!strcmp(pair->key, "features"))
            parse_cpu_features(p, pair);
        else
            unknown_key(p, pair, " in 'cpu'", cpu_keys, G_N_ELEMENTS(cpu_keys));
    }
    g_array_unref(pairs);
}

static void parse_top(struct parser *p, yaml_node_t *root)
{
    struct board *board = p->board;
    struct board_loc top_loc = mark_loc(p, root->start_mark);
    const struct pair *pair;
    GArray *pairs;

    if (root->type != YAML_MAPPING_NODE) {
        diag_add(p->diags, &top_loc,
                 "a board must be a mapping of keys (name:, arch:, cpus:, ...), not a %s",
                 node_kind(root));
        return;
    }
    pairs = mapping_pairs(p, root);
    board->boot.loc = top_loc;

    /* arch first: the boot checks depend on it. */
    pair = find_pair(pairs, "arch");
    if (pair) {
        board->arch_loc = pair->value_loc;
        parse_arch(p, pair);
    } else {
        diag_add(p->diags, &top_loc, "the board has no 'arch' (one of x86_64, arm64, s390x)");
    }

    for (guint i = 0; i < pairs->len; i++) {
        const char *text;
        uint64_t value;

        pair = &g_array_index(pairs, struct pair, i);
        if (!strcmp(pair->key, "arch")) {
            /* done */
        } else if (!strcmp(pair->key, "name")) {
            text = scalar_value(p, pair, "'name'");
            if (text) {
                g_free(board->name);
                board->name = g_strdup(text);
                board->name_loc = pair->value_loc;
            }
        } else if (!strcmp(pair->key, "cpus")) {
            board->cpus_loc = pair->value_loc;
            if (number_value(p, pair, "'cpus'", BOARD_MAX_CPUS, "a whole number from 1 to 256",
                             &value)) {
                if (value == 0)
                    diag_add(p->diags, &pair->value_loc,
                             "'cpus' must be a whole number from 1 to 256, not '%s'",
                             scalar_text(pair->value));
                else
                    board->cpus = (uint32_t)value;
            }
        } else if (!strcmp(pair->key, "memory")) {
            board->memory_loc = pair->value_loc;
            text = scalar_value(p, pair, "'memory'");
            if (text)
                parse_memory_text(p->diags, &pair->value_loc, "'memory'", text, &board->memory);
        } else if (!strcmp(pair->key, "cpu")) {
            parse_cpu(p, pair);
        } else if (!strcmp(pair->key, "boot")) {
            parse_boot(p, pair);
        } else if (!strcmp(pair->key, "devices")) {
            parse_devices(p, pair);
        } else {
            unknown_key(p, pair, "", top_keys, G_N_ELEMENTS(top_keys));
        }
    }
    g_array_unref(pairs);

    if (!board->name) {
        /* Default name: the file name without its extension. */
        char *base = g_path_get_basename(board->path);
        char *dot = strrchr(base, '.');

        if (dot && dot != base)
            *dot = '\0';
        board->name = base;
        board->name_loc = top_loc;
    }
}

/* libyaml's reader reports byte offsets, not marks: turn one into a line and column. */
static struct board_loc offset_loc(const char *file, const char *text, size_t length, size_t offset)
{
    struct board_loc loc = {.file = file, .line = 1, .column = 1};

    for (size_t i = 0; i < offset && i < length; i++) {
        if (text[i] == '\n') {
            loc.line++;
            loc.column = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            loc.column++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    return loc;
}

static void yaml_problem(struct parser *p, yaml_parser_t *yaml, const char *text, size_t length)
{
    struct board_loc loc;

    if (yaml->error == YAML_MEMORY_ERROR) {
        struct board_loc file_only = {.file = p->file};

        diag_add(p->diags, &file_only, "out of memory while parsing YAML");
        return;
    }
    if (yaml->error == YAML_READER_ERROR) {
        loc = offset_loc(p->file, text, length, yaml->problem_offset);
        diag_add(p->diags, &loc, "not valid YAML text: %s", yaml->problem);
        return;
    }
    loc = mark_loc(p, yaml->problem_mark);
    if (yaml->context) {
        struct board_loc context_loc = mark_loc(p, yaml->context_mark);
        char *where = loc_format(&context_loc);

        diag_add(p->diags, &loc, "invalid YAML: %s (%s at %s)", yaml->problem, yaml->context,
                 where);
        g_free(where);
    } else {
        diag_add(p->diags, &loc, "invalid YAML: %s", yaml->problem);
    }
}

struct board *board_load_from_string(const char *path, const char *text, GPtrArray *diags)
{
    struct board *board = board_new(path);
    struct parser p = {.board = board, .diags = diags};
    guint diags_before = diags->len;
    size_t length = strlen(text);
    yaml_parser_t yaml;
    yaml_document_t doc;
    yaml_node_t *root;

    p.file = g_string_chunk_insert_const(board->strings, path);
    if (!yaml_parser_initialize(&yaml)) {
        struct board_loc file_only = {.file = p.file};

        diag_add(diags, &file_only, "cannot initialise the YAML parser");
        board_free(board);
        return NULL;
    }
    yaml_parser_set_input_string(&yaml, (const unsigned char *)text, length);
    if (!yaml_parser_load(&yaml, &doc)) {
        yaml_problem(&p, &yaml, text, length);
        goto out_parser;
    }
    p.doc = &doc;
    root = yaml_document_get_root_node(&doc);
    if (!root) {
        struct board_loc start = {.file = p.file, .line = 1, .column = 1};

        diag_add(diags, &start, "the board file is empty; it needs at least 'arch:'");
    } else {
        yaml_document_t next;

        parse_top(&p, root);
        /* "---" starting a second board in the same file is almost certainly a mistake. */
        if (!yaml_parser_load(&yaml, &next)) {
            yaml_problem(&p, &yaml, text, length);
        } else {
            yaml_node_t *next_root = yaml_document_get_root_node(&next);

            if (next_root) {
                struct board_loc loc = mark_loc(&p, next.start_mark);

                diag_add(diags, &loc,
                         "a second YAML document starts here; a board file holds one board");
            }
            yaml_document_delete(&next);
        }
    }
    yaml_document_delete(&doc);
out_parser:
    yaml_parser_delete(&yaml);
    if (diags->len != diags_before) {
        board_free(board);
        return NULL;
    }
    return board;
}

struct board *board_load(const char *path, GPtrArray *diags)
{
    struct board_loc file_only = {.file = path};
    GError *error = NULL;
    struct board *board;
    struct stat st;
    char *text;
    gsize length;

    if (stat(path, &st) < 0) {
        diag_add(diags, &file_only, "cannot read the board file: %s", g_strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_add(diags, &file_only, "the board file is not a regular file");
        return NULL;
    }
    if (st.st_size > BOARD_MAX_FILE_SIZE) {
        diag_add(diags, &file_only, "the board file is too large (%lld bytes; the limit is %u)",
                 (long long)st.st_size, BOARD_MAX_FILE_SIZE);
        return NULL;
    }
    if (!g_file_get_contents(path, &text, &length, &error)) {
        diag_add(diags, &file_only, "cannot read the board file: %s", error->message);
        g_error_free(error);
        return NULL;
    }
    if (strlen(text) != length) {
        struct board_loc loc = offset_loc(path, text, length, strlen(text));

        diag_add(diags, &loc, "the board file contains a NUL byte; it must be YAML text");
        g_free(text);
        return NULL;
    }
    board = board_load_from_string(path, text, diags);
    g_free(text);
    return board;
}

/* ---- command-line overrides --------------------------------------------------------------- */

static struct board_loc option_loc(struct board *board, const char *option, const char *value)
{
    char *text = g_strdup_printf("%s %s", option, *value ? value : "''");
    struct board_loc loc = {.file = g_string_chunk_insert_const(board->strings, text)};

    g_free(text);
    return loc;
}

static struct board_device *find_device(struct board *board, const char *id)
{
    for (guint i = 0; i < board->devices->len; i++) {
        struct board_device *dev = g_ptr_array_index(board->devices, i);

        if (strcmp(dev->id, id) == 0)
            return dev;
    }
    return NULL;
}

static void no_such_device(struct board *board, GPtrArray *diags, const struct board_loc *loc,
                           const char *id)
{
    GPtrArray *ids = g_ptr_array_new();
    char *hint, *list;

    for (guint i = 0; i < board->devices->len; i++) {
        struct board_device *dev = g_ptr_array_index(board->devices, i);

        g_ptr_array_add(ids, dev->id);
    }
    if (ids->len == 0) {
        diag_add(diags, loc, "no device '%s': the board has no devices", id);
        g_ptr_array_unref(ids);
        return;
    }
    hint = suggestion(id, (const char *const *)ids->pdata, ids->len);
    list = join_names((const char *const *)ids->pdata, ids->len);
    diag_add(diags, loc, "no device '%s' in the board%s; its devices are: %s", id, hint, list);
    g_free(hint);
    g_free(list);
    g_ptr_array_unref(ids);
}

static void apply_set(struct board *board, const char *arg, GPtrArray *diags)
{
    struct board_loc loc = option_loc(board, "--set", arg);
    const char *equals = strchr(arg, '=');
    const char *dot;
    const char *value;
    char *id, *key;
    struct board_device *dev;
    uint64_t number;

    /* Ids may contain '.', property names do not: split the key at its last dot. */
    dot = equals ? g_strrstr_len(arg, equals - arg, ".") : NULL;
    if (!equals || !dot || dot == arg || dot + 1 == equals) {
        diag_add(diags, &loc, "expected DEVICE_ID.PROPERTY=VALUE, e.g. uart0.console=stdio");
        return;
    }
    id = g_strndup(arg, dot - arg);
    key = g_strndup(dot + 1, equals - dot - 1);
    value = equals + 1;
    dev = find_device(board, id);
    if (!dev) {
        no_such_device(board, diags, &loc, id);
    } else if (!strcmp(key, "type") || !strcmp(key, "id")) {
        diag_add(diags, &loc, "'%s' cannot be changed with --set; edit the board file", key);
    } else if (!strcmp(key, "mmio") || !strcmp(key, "pio")) {
        bool pio = key[0] == 'p';

        if (!parse_u64(value, &number) || (pio && number >= BOARD_PIO_LIMIT))
            diag_add(diags, &loc, "'%s' must be %s, not '%s'", key,
                     pio ? "a port number from 0 to 0xffff" : "an address (decimal or 0x hex)",
                     value);
        else {
            dev->placement = pio ? PLACE_PIO : PLACE_MMIO;
            dev->address = number;
            dev->address_loc = loc;
        }
    } else if (!strcmp(key, "irq")) {
        if (!parse_u64(value, &number) || number >= IRQ_MAX_LINES)
            diag_add(diags, &loc, "'irq' must be an interrupt line number from 0 to %d, not '%s'",
                     IRQ_MAX_LINES - 1, value);
        else {
            dev->irq = (int)number;
            dev->irq_loc = loc;
        }
    } else {
        /* Type-specific: board_validate checks the name and the value against the schema. */
        struct board_prop *prop = NULL;

        for (guint i = 0; i < dev->props->len && !prop; i++) {
            struct board_prop *candidate = g_ptr_array_index(dev->props, i);

            if (strcmp(candidate->key, key) == 0)
                prop = candidate;
        }
        if (!prop) {
            prop = g_new0(struct board_prop, 1);
            prop->key = g_strdup(key);
            g_ptr_array_add(dev->props, prop);
        }
        g_free(prop->value);
        prop->value = g_strdup(value);
        prop->key_loc = loc;
        prop->value_loc = loc;
    }
    g_free(id);
    g_free(key);
}

bool board_apply_overrides(struct board *board, const struct board_overrides *ov, GPtrArray *diags)
{
    guint diags_before = diags->len;

    if (ov->kernel) {
        struct board_loc loc = option_loc(board, "--kernel", ov->kernel);

        if (!*ov->kernel) {
            diag_add(diags, &loc, "the kernel path is empty");
        } else {
            g_free(board->boot.kernel);
            board->boot.kernel = g_strdup(ov->kernel);
            board->boot.kernel_loc = loc;
        }
    }
    if (ov->initrd) {
        struct board_loc loc = option_loc(board, "--initrd", ov->initrd);

        if (!*ov->initrd) {
            diag_add(diags, &loc, "the initrd path is empty");
        } else {
            g_free(board->boot.initrd);
            board->boot.initrd = g_strdup(ov->initrd);
            board->boot.initrd_loc = loc;
        }
    }
    if (ov->append) {
        g_free(board->boot.cmdline);
        board->boot.cmdline = g_strdup(ov->append);
    }
    if (ov->cpus) {
        char *text = g_strdup_printf("%d", ov->cpus);
        struct board_loc loc = option_loc(board, "--cpus", text);

        if (ov->cpus < 0 || ov->cpus > BOARD_MAX_CPUS) {
            diag_add(diags, &loc, "'cpus' must be a whole number from 1 to 256, not '%d'",
                     ov->cpus);
        } else {
            board->cpus = (uint32_t)ov->cpus;
            board->cpus_loc = loc;
        }
        g_free(text);
    }
    if (ov->memory) {
        struct board_loc loc = option_loc(board, "--memory", ov->memory);
        guint before = diags->len;
        uint64_t memory = 0;

        parse_memory_text(diags, &loc, "'memory'", ov->memory, &memory);
        if (diags->len == before) {
            board->memory = memory;
            board->memory_loc = loc;
        }
    }
    for (char **set = ov->set; set && *set; set++)
        apply_set(board, *set, diags);
    return diags->len == diags_before;
}

/* ---- validation ------------------------------------------------------------------------- */

static const struct vmb_prop_spec *find_spec(const struct vmb_device_type *type, const char *name)
{
    for (const struct vmb_prop_spec *spec = type->props; spec && spec->name; spec++) {
        if (strcmp(spec->name, name) == 0)
            return spec;
    }
    return NULL;
}

static const char *prop_type_expected(enum vmb_prop_type type)
{
    switch (type) {
    case VMB_PROP_BOOL:
        return "true or false (also yes/no, on/off, 1/0)";
    case VMB_PROP_INT:
        return "a whole number (decimal or 0x hex, may be negative)";
    case VMB_PROP_UINT:
        return "a whole number from 0 (decimal or 0x hex)";
    case VMB_PROP_SIZE:
        return "a size in bytes, optionally with a K, M, G or T suffix (e.g. 64K)";
    default:
        return "text";
    }
}

/* Parse `text` as `spec` says into `value`; false if it does not fit the type. */
static bool prop_parse(const struct vmb_prop_spec *spec, const char *text,
                       struct device_prop_value *value)
{
    switch (spec->type) {
    case VMB_PROP_BOOL:
        return parse_bool(text, &value->bool_value);
    case VMB_PROP_INT:
        return parse_i64(text, &value->int_value);
    case VMB_PROP_UINT:
        return parse_u64(text, &value->uint_value);
    case VMB_PROP_SIZE:
        return parse_size(text, &value->uint_value);
    case VMB_PROP_STRING:
        return true;
    }
    return false;
}

static void unknown_property(GPtrArray *diags, const struct board_device *dev,
                             const struct board_prop *prop)
{
    const struct vmb_device_type *type = dev->dtype;
    GPtrArray *names = g_ptr_array_new();
    GPtrArray *candidates = g_ptr_array_new();
    char *hint, *list;

    for (const struct vmb_prop_spec *spec = type->props; spec && spec->name; spec++)
        g_ptr_array_add(names, (gpointer)spec->name);
    /* The keys every device has are worth suggesting too ('iqr' -> 'irq'). */
    for (size_t i = 0; i < G_N_ELEMENTS(device_keys); i++)
        g_ptr_array_add(candidates, (gpointer)device_keys[i]);
    g_ptr_array_extend(candidates, names, NULL, NULL);
    hint = suggestion(prop->key, (const char *const *)candidates->pdata, candidates->len);
    if (names->len) {
        char *joined = join_names((const char *const *)names->pdata, names->len);

        list = g_strdup_printf("%s has: %s", type->name, joined);
        g_free(joined);
    } else {
        list = g_strdup_printf("%s has no properties", type->name);
    }
    diag_add(diags, &prop->key_loc, "device '%s' has no property '%s'%s; %s", dev->id, prop->key,
             hint, list);
    g_free(hint);
    g_free(list);
    g_ptr_array_unref(names);
    g_ptr_array_unref(candidates);
}

static void validate_properties(struct board_device *dev, GPtrArray *diags)
{
    const struct vmb_device_type *type = dev->dtype;

    if (dev->values)
        g_array_unref(dev->values);
    dev->values = g_array_new(FALSE, TRUE, sizeof(struct device_prop_value));
    g_array_set_clear_func(dev->values, prop_value_clear);

    for (guint i = 0; i < dev->props->len; i++) {
        const struct board_prop *prop = g_ptr_array_index(dev->props, i);
        const struct vmb_prop_spec *spec = find_spec(type, prop->key);
        struct device_prop_value scratch = {0};

        if (!spec)
            unknown_property(diags, dev, prop);
        else if (!prop_parse(spec, prop->value, &scratch))
            diag_add(diags, &prop->value_loc, "property '%s' of device '%s' must be %s, not '%s'",
                     prop->key, dev->id, prop_type_expected(spec->type), prop->value);
    }

    for (const struct vmb_prop_spec *spec = type->props; spec && spec->name; spec++) {
        struct device_prop_value value = {.spec = spec};
        const struct board_prop *given = NULL;

        for (guint i = 0; i < dev->props->len; i++) {
            const struct board_prop *prop = g_ptr_array_index(dev->props, i);

            if (strcmp(prop->key, spec->name) == 0)
                given = prop;
        }
        if (given) {
            value.present = prop_parse(spec, given->value, &value);
            if (value.present)
                value.string_value = g_strdup(given->value);
        } else if (spec->flags & VMB_PROP_REQUIRED) {
            diag_add(diags, &dev->loc, "device '%s' (%s) needs property '%s'%s%s%s", dev->id,
                     type->name, spec->name, spec->help ? " (" : "", spec->help ? spec->help : "",
                     spec->help ? ")" : "");
        } else if (spec->default_value) {
            value.present = prop_parse(spec, spec->default_value, &value);
            if (value.present)
                value.string_value = g_strdup(spec->default_value);
            else
                diag_add(diags, &dev->loc,
                         "device type %s (from %s) has a bad default for property '%s': '%s' "
                         "is not %s",
                         type->name, dev->entry->file, spec->name, spec->default_value,
                         prop_type_expected(spec->type));
        }
        g_array_append_val(dev->values, value);
    }
}

/* Bytes or ports the device's type claims where the board placed it (0 when unplaced). */
static uint64_t device_window_size(const struct board_device *dev)
{
    if (!dev->dtype || dev->placement == PLACE_NONE)
        return 0;
    return plugin_type_window(dev->dtype,
                              dev->placement == PLACE_PIO ? VMB_SPACE_PIO : VMB_SPACE_MMIO);
}

static void validate_placement(const struct board *board, struct board_device *dev,
                               GPtrArray *diags)
{
    const struct vmb_device_type *type = dev->dtype;
    bool mmio_ok = type->flags & VMB_TYPE_MMIO, pio_ok = type->flags & VMB_TYPE_PIO;
    const char *takes = mmio_ok && pio_ok ? "'mmio: ADDRESS' or 'pio: PORT'"
                        : mmio_ok         ? "'mmio: ADDRESS'"
                                          : "'pio: PORT'";

    if (dev->placement == PLACE_NONE) {
        if (type->flags & VMB_TYPE_NEEDS_ADDR)
            diag_add(diags, &dev->loc, "device '%s' (%s) needs an address: add %s", dev->id,
                     type->name, takes);
    } else if ((dev->placement == PLACE_MMIO && !mmio_ok) ||
               (dev->placement == PLACE_PIO && !pio_ok)) {
        if (!mmio_ok && !pio_ok)
            diag_add(diags, &dev->address_loc,
                     "device '%s': %s is not placed at an address; remove '%s'", dev->id,
                     type->name, placement_name(dev->placement));
        else
            diag_add(diags, &dev->address_loc,
                     "device '%s': %s cannot be placed in %s space; it takes %s", dev->id,
                     type->name, dev->placement == PLACE_PIO ? "port I/O" : "MMIO", takes);
    } else if (dev->placement == PLACE_PIO && board->arch != VMB_ARCH_X86_64) {
        /* Only x86 has a port I/O space; elsewhere KVM never exits with KVM_EXIT_IO. */
        diag_add(diags, &dev->address_loc, "device '%s': %s guests have no port I/O space%s",
                 dev->id, board_arch_name(board->arch), mmio_ok ? "; use 'mmio: ADDRESS'" : "");
    } else if (device_window_size(dev)) {
        uint64_t limit = dev->placement == PLACE_PIO ? BOARD_PIO_LIMIT - 1 : UINT64_MAX;
        uint64_t window = device_window_size(dev);

        if (window - 1 > limit - dev->address) {
            if (dev->placement == PLACE_PIO)
                diag_add(diags, &dev->address_loc,
                         "device '%s' at pio 0x%" PRIx64 " needs 0x%" PRIx64
                         " ports and runs past the last port, 0xffff",
                         dev->id, dev->address, window);
            else
                diag_add(diags, &dev->address_loc,
                         "device '%s' at mmio 0x%" PRIx64 " needs 0x%" PRIx64
                         " bytes and runs past the end of the address space",
                         dev->id, dev->address, window);
        }
    }

    if (dev->irq < 0 && (type->flags & VMB_TYPE_NEEDS_IRQ)) {
        diag_add(diags, &dev->loc, "device '%s' (%s) needs an interrupt line: add 'irq: LINE'",
                 dev->id, type->name);
    } else if (dev->irq >= 0 && type->irq_count == 0) {
        diag_add(diags, &dev->irq_loc,
                 "device '%s': %s has no interrupt line, so 'irq' does not apply; remove it",
                 dev->id, type->name);
    }
}

/* The window a device claims, if its placement passed validate_placement. */
static bool device_window(const struct board_device *dev, uint64_t *first, uint64_t *last)
{
    const struct vmb_device_type *type = dev->dtype;
    uint64_t limit = dev->placement == PLACE_PIO ? BOARD_PIO_LIMIT - 1 : UINT64_MAX;

    if (!type || dev->placement == PLACE_NONE || device_window_size(dev) == 0)
        return false;
    if ((dev->placement == PLACE_MMIO && !(type->flags & VMB_TYPE_MMIO)) ||
        (dev->placement == PLACE_PIO && !(type->flags & VMB_TYPE_PIO)))
        return false;
    uint64_t window = device_window_size(dev);
    if (dev->address > limit || window - 1 > limit - dev->address)
        return false;
    *first = dev->address;
    *last = dev->address + window - 1;
    return true;
}

static void validate_overlaps(struct board *board, GPtrArray *diags)
{
    /* Quadratic, but a board has tens of devices and every overlapping pair gets its line. */
    for (guint j = 0; j < board->devices->len; j++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, j);
        uint64_t first, last;

        if (!device_window(dev, &first, &last))
            continue;
        for (guint i = 0; i < j; i++) {
            const struct board_device *other = g_ptr_array_index(board->devices, i);
            uint64_t other_first, other_last;
            char *where;

            if (other->placement != dev->placement ||
                !device_window(other, &other_first, &other_last) || last < other_first ||
                other_last < first)
                continue;
            where = loc_format(&other->loc);
            diag_add(diags, &dev->loc,
                     "device '%s' at %s 0x%" PRIx64 "..0x%" PRIx64 " overlaps device '%s' at %s "
                     "0x%" PRIx64 "..0x%" PRIx64 " (declared at %s)",
                     dev->id, placement_name(dev->placement), first, last, other->id,
                     placement_name(other->placement), other_first, other_last, where);
            g_free(where);
        }
    }
}

/*
 * x86_64 ranges the backend or KVM's in-kernel irqchip and PIT own: KVM handles accesses there
 * itself, so a device placed on them would never see its guest's accesses.
 */
static void validate_x86_reserved(struct board *board, GPtrArray *diags)
{
    static const struct {
        enum device_placement space;
        const char *what;
        uint64_t first, last;
    } fixed[] = {
        {PLACE_MMIO, "the I/O APIC", X86_IOAPIC_BASE, X86_IOAPIC_BASE + 0xfff},
        {PLACE_MMIO, "the local APIC", X86_LAPIC_BASE, X86_LAPIC_BASE + 0xfff},
        {PLACE_PIO, "the in-kernel i8259 PIC", 0x20, 0x21},
        {PLACE_PIO, "the in-kernel i8254 PIT", 0x40, 0x43},
        {PLACE_PIO, "the in-kernel PC speaker port", 0x61, 0x61},
        {PLACE_PIO, "the in-kernel i8259 PIC", 0xa0, 0xa1},
        {PLACE_PIO, "the in-kernel i8259 PIC's ELCR", 0x4d0, 0x4d1},
    };
    uint64_t low_ram = MIN(board->memory, X86_RAM_LOW_LIMIT);
    uint64_t high_ram = board->memory - low_ram;

    for (guint j = 0; j < board->devices->len; j++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, j);
        const char *space = placement_name(dev->placement);
        uint64_t first, last;

        if (!device_window(dev, &first, &last))
            continue;
        if (dev->placement == PLACE_MMIO && first < low_ram)
            diag_add(diags, &dev->address_loc,
                     "device '%s' at mmio 0x%" PRIx64 "..0x%" PRIx64
                     " overlaps guest RAM at 0x0..0x%" PRIx64,
                     dev->id, first, last, low_ram - 1);
        else if (dev->placement == PLACE_MMIO && high_ram && last >= X86_HIGH_RAM_BASE &&
                 first <= X86_HIGH_RAM_BASE + high_ram - 1)
            diag_add(diags, &dev->address_loc,
                     "device '%s' at mmio 0x%" PRIx64 "..0x%" PRIx64
                     " overlaps guest RAM at 0x%" PRIx64 "..0x%" PRIx64,
                     dev->id, first, last, (uint64_t)X86_HIGH_RAM_BASE,
                     (uint64_t)X86_HIGH_RAM_BASE + high_ram - 1);
        for (size_t k = 0; k < G_N_ELEMENTS(fixed); k++) {
            if (fixed[k].space == dev->placement && last >= fixed[k].first &&
                first <= fixed[k].last)
                diag_add(diags, &dev->address_loc,
                         "device '%s' at %s 0x%" PRIx64 "..0x%" PRIx64
                         " overlaps %s at %s 0x%" PRIx64 "..0x%" PRIx64,
                         dev->id, space, first, last, fixed[k].what, space,
                         (uint64_t)fixed[k].first, (uint64_t)fixed[k].last);
        }
    }
}

static void validate_duplicate_ids(struct board *board, GPtrArray *diags)
{
    for (guint j = 0; j < board->devices->len; j++) {
        const struct board_device *dev = g_ptr_array_index(board->devices, j);

        for (guint i = 0; i < j; i++) {
            const struct board_device *other = g_ptr_array_index(board->devices, i);

            if (strcmp(dev->id, other->id) == 0) {
                char *where = loc_format(&other->id_loc);

                diag_add(diags, &dev->id_loc, "duplicate device id '%s' (first used at %s)",
                         dev->id, where);
                g_free(where);
                break;
            }
        }
    }
}

static void validate_file(GPtrArray *diags, const struct board_loc *loc, const char *what,
                          const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0 || access(path, R_OK) < 0)
        diag_add(diags, loc, "cannot read %s '%s': %s", what, path, g_strerror(errno));
    else if (S_ISDIR(st.st_mode))
        diag_add(diags, loc, "%s '%s' is a directory, not a file", what, path);
}

static void unknown_type(struct plugin_registry *registry, struct board_device *dev,
                         GPtrArray *diags)
{
    GPtrArray *types = plugin_registry_types(registry);
    GPtrArray *names = g_ptr_array_new();
    char *hint, *list;

    for (guint i = 0; types && i < types->len; i++) {
        const struct plugin_type_entry *entry = g_ptr_array_index(types, i);

        g_ptr_array_add(names, (gpointer)entry->type->name);
    }
    if (names->len == 0) {
        diag_add(diags, &dev->type_loc,
                 "unknown device type '%s': no device plugins were found (see --plugin-path "
                 "and VMBOARD_PLUGIN_PATH)",
                 dev->type);
        g_ptr_array_unref(names);
        return;
    }
    hint = suggestion(dev->type, (const char *const *)names->pdata, names->len);
    if (*hint) {
        diag_add(diags, &dev->type_loc, "unknown device type '%s'%s", dev->type, hint);
    } else {
        list = join_names((const char *const *)names->pdata, names->len);
        diag_add(diags, &dev->type_loc, "unknown device type '%s'; the known types are: %s",
                 dev->type, list);
        g_free(list);
    }
    g_free(hint);
    g_ptr_array_unref(names);
}

bool board_validate(struct board *board, struct plugin_registry *registry, GPtrArray *diags)
{
    guint diags_before = diags->len;

    if (board->cpus < 1 || board->cpus > BOARD_MAX_CPUS)
        diag_add(diags, &board->cpus_loc, "'cpus' must be a whole number from 1 to 256, not '%u'",
                 board->cpus);
    if (board->memory == 0 || board->memory % BOARD_PAGE_SIZE)
        diag_add(diags, &board->memory_loc,
                 "'memory' must be more than 0 and a multiple of 4 KiB, not %" PRIu64,
                 board->memory);

    /* No kernel is not an error here: device tests and `check` take boards without one, and
     * the backend says so when `run` needs it. */
    if (board->boot.kernel)
        validate_file(diags, &board->boot.kernel_loc, "kernel", board->boot.kernel);
    if (board->boot.initrd)
        validate_file(diags, &board->boot.initrd_loc, "initrd", board->boot.initrd);

    for (guint i = 0; i < board->devices->len; i++) {
        struct board_device *dev = g_ptr_array_index(board->devices, i);
        const struct plugin_type_entry *entry = plugin_registry_find(registry, dev->type);

        dev->entry = entry;
        dev->dtype = entry ? entry->type : NULL;
        if (!entry) {
            unknown_type(registry, dev, diags);
            continue;
        }
        validate_placement(board, dev, diags);
        validate_properties(dev, diags);
    }
    validate_duplicate_ids(board, diags);
    validate_overlaps(board, diags);
    if (board->arch == VMB_ARCH_X86_64)
        validate_x86_reserved(board, diags);
    return diags->len == diags_before;
}

bool board_check_host_arch(const struct board *board, GPtrArray *diags)
{
    enum vmb_arch host = board_host_arch();

    if (board->arch == host)
        return true;
    diag_add(diags, &board->arch_loc,
             "this board is for %s but this host is %s; KVM runs guests of the host's "
             "architecture only",
             board_arch_name(board->arch), board_arch_name(host));
    return false;
}

const struct device_prop_value *board_device_value(const struct board_device *dev, const char *name)
{
    for (guint i = 0; dev->values && i < dev->values->len; i++) {
        const struct device_prop_value *value =
            &g_array_index(dev->values, struct device_prop_value, i);

        if (strcmp(value->spec->name, name) == 0)
            return value;
    }
    return NULL;
}
