/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Board files: YAML (libyaml) -> validated board model. Every node keeps where it was
 * written so that any later error can say FILE:LINE:COL. See docs/board-format.md.
 */
#ifndef VMBOARD_BOARD_H
#define VMBOARD_BOARD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmboard/plugin.h"

struct plugin_registry;
struct plugin_type_entry;

/* A place in a board file (1-based line and column), or on the command line (line 0). */
struct board_loc {
    /* Shared string owned by the board. For overrides (line 0) it is the option as typed,
     * e.g. "--set uart0.irq=4", so messages read "--set uart0.irq=4: error: ...". */
    const char *file;
    int line;
    int column;
};

enum boot_format {
    BOOT_FORMAT_AUTO = 0,
    BOOT_FORMAT_FLAT,
    BOOT_FORMAT_MULTIBOOT,
    BOOT_FORMAT_BZIMAGE,
    BOOT_FORMAT_ELF,
    BOOT_FORMAT_ARM64_IMAGE,
};

enum boot_mode {
    BOOT_MODE_DEFAULT = 0, /* backend decides: long mode for flat x86 images */
    BOOT_MODE_REAL,
    BOOT_MODE_LONG,
};

struct board_boot {
    char *kernel; /* absolute or relative to the cwd after resolution against the board dir */
    char *initrd;
    char *cmdline; /* never NULL after load: "" by default */
    enum boot_format format;
    bool has_load_address;
    uint64_t load_address;
    bool has_entry;
    uint64_t entry;
    enum boot_mode mode;
    struct board_loc loc, kernel_loc, initrd_loc;
};

enum device_placement {
    PLACE_NONE = 0,
    PLACE_MMIO,
    PLACE_PIO,
};

/* A type-specific property as written (scalar text); typed values are made by validation. */
struct board_prop {
    char *key;
    char *value;
    struct board_loc key_loc;
    struct board_loc value_loc;
};

/* A property after validation against the device type's schema. */
struct device_prop_value {
    const struct vmb_prop_spec *spec;
    bool present; /* false: no default and not given */
    bool bool_value;
    int64_t int_value;
    uint64_t uint_value; /* UINT and SIZE */
    char *string_value;  /* the text as given or defaulted (all types) */
};

struct board_device {
    char *type;
    char *id;
    enum device_placement placement;
    uint64_t address;
    int irq; /* -1 when not given */
    GPtrArray *props; /* struct board_prop *, in file order */
    struct board_loc loc, type_loc, id_loc, address_loc, irq_loc;

    /* Filled by board_validate(): */
    const struct vmb_device_type *dtype;
    const struct plugin_type_entry *entry; /* type, plugin and file */
    GArray *values; /* struct device_prop_value, one per spec entry in schema order */
};

/* `cpu: {features: {NAME: on|off}}`: a CPUID feature the board turns off, or requires. */
struct board_cpu_feature {
    char *name;
    bool enabled;
    struct board_loc loc; /* of the feature's name */
};

struct board {
    char *path;     /* as given */
    char *dir;      /* directory of the board file, for relative paths */
    char *name;
    enum vmb_arch arch;
    uint32_t cpus;
    uint64_t memory; /* bytes */
    struct board_boot boot;
    GPtrArray *devices; /* struct board_device * */
    GArray *cpu_features; /* struct board_cpu_feature, in file order (x86_64 only) */
    struct board_loc name_loc, arch_loc, cpus_loc, memory_loc;
    GStringChunk *strings; /* file names shared by locs */
};

/*
 * Problems are appended to `diags` as complete lines "FILE:LINE:COL: error: ..." (g_free'd
 * strings). board_load returns NULL when it found any; a board returned may still fail
 * board_validate.
 */
struct board *board_load(const char *path, GPtrArray *diags);
/* Parse YAML text as if read from `path` (for tests and --set). */
struct board *board_load_from_string(const char *path, const char *text, GPtrArray *diags);
void board_free(struct board *board);

/* Command-line overrides, applied before validation. Errors go to diags with line 0. */
struct board_overrides {
    const char *kernel, *initrd, *append;
    int cpus;          /* 0: keep */
    const char *memory; /* NULL: keep */
    char **set;        /* NULL-terminated "DEVICE_ID.PROPERTY=VALUE" */
};
bool board_apply_overrides(struct board *board, const struct board_overrides *ov, GPtrArray *diags);

/*
 * Check everything that can be checked without /dev/kvm: device types exist (did-you-mean),
 * properties against schemas (unknown keys with did-you-mean, types, required), placement
 * allowed by the type, irq given when needed, duplicate ids, overlapping windows (naming both
 * devices and both lines), boot files exist, memory/cpus sane. Returns true if diags stayed
 * empty. Fills dev->dtype and dev->values.
 */
bool board_validate(struct board *board, struct plugin_registry *registry, GPtrArray *diags);

/* The host's own architecture; board_check_host_arch adds a diag if the board's differs. */
enum vmb_arch board_host_arch(void);
bool board_check_host_arch(const struct board *board, GPtrArray *diags);
const char *board_arch_name(enum vmb_arch arch);

/* "FILE:LINE:COL", or just FILE when line is 0, for messages (static buffer per thread). */
const char *board_loc_str(const struct board_loc *loc);
/* Look a device's validated property up by name; NULL if the schema has no such name. */
const struct device_prop_value *board_device_value(const struct board_device *dev, const char *name);

#endif
