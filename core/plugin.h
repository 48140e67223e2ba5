/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plugin loading: search path, dlopen, ABI check, device-type registry.
 * Search order: --plugin-path, $VMBOARD_PLUGIN_PATH (colon separated), the build tree when
 * run uninstalled, then $(libdir)/vmboard/plugins. The first plugin providing a type name wins
 * only across directories; two plugins in one load providing the same name is an error.
 */
#ifndef VMBOARD_PLUGIN_LOADER_H
#define VMBOARD_PLUGIN_LOADER_H

#include <glib.h>
#include <stdbool.h>

#include "vmboard/plugin.h"

struct plugin_registry;

struct plugin_type_entry {
    const struct vmb_device_type *type;
    const struct vmb_plugin *plugin;
    const char *file; /* path of the .so that provides it */
};

/* The window an instance of `type` claims when placed in `space` (what board validation checks
 * for overlaps; a device mapping more at realize is still refused by the bus). */
static inline uint64_t plugin_type_window(const struct vmb_device_type *type, enum vmb_space space)
{
    if (space == VMB_SPACE_PIO && type->pio_window_size)
        return type->pio_window_size;
    return type->window_size;
}

struct plugin_registry *plugin_registry_new(void);
void plugin_registry_free(struct plugin_registry *reg); /* dlcloses */

/* Load one file. Errors name the file: not a plugin (no entry symbol), ABI mismatch with both
 * versions, duplicate type names (both files), dlopen's own text. */
bool plugin_registry_load_file(struct plugin_registry *reg, const char *path, GError **error);
/* Register a descriptor already in memory (unit tests, built-in types), checked like a
 * loaded file; `file` is used in messages. */
bool plugin_registry_add(struct plugin_registry *reg, const struct vmb_plugin *plugin,
                         const char *file, GError **error);
/* Load every *.so in each directory (non-existent directories are skipped silently). Errors
 * are appended to `errors` as strings; returns false if any. */
bool plugin_registry_load_dirs(struct plugin_registry *reg, const char *const *dirs,
                               GPtrArray *errors);
/* The directories searched, in order, given the --plugin-path value (may be NULL). */
GPtrArray *plugin_search_path(const char *cli_path);

const struct plugin_type_entry *plugin_registry_find(struct plugin_registry *reg,
                                                     const char *type_name);
/* All types, sorted by name. The array is owned by the registry. */
GPtrArray *plugin_registry_types(struct plugin_registry *reg);

#endif
