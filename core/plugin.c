/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct plugin_registry {
    GPtrArray *handles;      /* dlopen handles, closed on free */
    GPtrArray *entries;      /* struct plugin_type_entry *, owned */
    GHashTable *by_name;     /* type name -> entry */
    GHashTable *basenames;   /* file basenames loaded (earlier directories shadow later) */
    GPtrArray *sorted_cache; /* plugin_registry_types() result */
};

static void entry_free(gpointer data)
{
    struct plugin_type_entry *entry = data;
    g_free((char *)entry->file);
    g_free(entry);
}

struct plugin_registry *plugin_registry_new(void)
{
    struct plugin_registry *reg = g_new0(struct plugin_registry, 1);
    reg->handles = g_ptr_array_new();
    reg->entries = g_ptr_array_new_with_free_func(entry_free);
    reg->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    reg->basenames = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return reg;
}

void plugin_registry_free(struct plugin_registry *reg)
{
    if (!reg)
        return;
    if (reg->sorted_cache)
        g_ptr_array_unref(reg->sorted_cache);
    g_hash_table_destroy(reg->by_name);
    g_hash_table_destroy(reg->basenames);
    g_ptr_array_unref(reg->entries);
    for (guint i = 0; i < reg->handles->len; i++)
        dlclose(reg->handles->pdata[i]);
    g_ptr_array_unref(reg->handles);
    g_free(reg);
}

static bool valid_type_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    }
    return true;
}

static bool check_default(const struct vmb_prop_spec *spec)
{
    const char *text = spec->default_value;
    uint64_t u;
    int64_t i;
    bool b;

    if (!text)
        return true;
    switch (spec->type) {
    case VMB_PROP_BOOL:
        return parse_bool(text, &b);
    case VMB_PROP_INT:
        return parse_i64(text, &i);
    case VMB_PROP_UINT:
        return parse_u64(text, &u);
    case VMB_PROP_SIZE:
        return parse_size(text, &u);
    case VMB_PROP_STRING:
        return true;
    }
    return false;
}

/* Reject a descriptor the core could misread; every message names the file. */
static bool check_type(const char *file, const struct vmb_device_type *type, GError **error)
{
    const size_t min_size = offsetof(struct vmb_device_type, destroy) + sizeof(type->destroy);

    if (type->size < min_size) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type descriptor is %u bytes, smaller than ABI %d.0's %zu", file,
                    type->size, VMB_ABI_MAJOR, min_size);
        return false;
    }
    if (!valid_type_name(type->name)) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type name '%s' is not valid (letters, digits, '-', '_', '.')",
                    file, type->name ? type->name : "(null)");
        return false;
    }
    if (!type->create) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type '%s' has no create function", file, type->name);
        return false;
    }
    if ((type->flags & VMB_TYPE_NEEDS_ADDR) && !(type->flags & (VMB_TYPE_MMIO | VMB_TYPE_PIO))) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type '%s' needs an address but allows neither mmio nor pio",
                    file, type->name);
        return false;
    }
    if ((type->flags & (VMB_TYPE_MMIO | VMB_TYPE_PIO)) && type->window_size == 0) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type '%s' can be placed at an address but has window_size 0",
                    file, type->name);
        return false;
    }
    if (type->irq_count > 1) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: device type '%s' declares %u interrupt lines; ABI %d.%d allows 0 or 1",
                    file, type->name, type->irq_count, VMB_ABI_MAJOR, VMB_ABI_MINOR);
        return false;
    }
    static const char *const reserved[] = {"type", "id", "mmio", "pio", "irq"};
    for (const struct vmb_prop_spec *p = type->props; p && p->name; p++) {
        for (size_t r = 0; r < G_N_ELEMENTS(reserved); r++) {
            if (strcmp(p->name, reserved[r]) == 0) {
                g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                            "%s: device type '%s' declares property '%s', which is reserved "
                            "for the board",
                            file, type->name, p->name);
                return false;
            }
        }
        if (p->type < VMB_PROP_BOOL || p->type > VMB_PROP_STRING) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: property '%s' of device type '%s' has unknown type %d", file,
                        p->name, type->name, (int)p->type);
            return false;
        }
        if (!check_default(p)) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: property '%s' of device type '%s' has default '%s', which is not "
                        "a valid value of its type",
                        file, p->name, type->name, p->default_value);
            return false;
        }
        for (const struct vmb_prop_spec *q = type->props; q != p; q++) {
            if (strcmp(q->name, p->name) == 0) {
                g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                            "%s: device type '%s' declares property '%s' twice", file,
                            type->name, p->name);
                return false;
            }
        }
    }
    return true;
}

bool plugin_registry_add(struct plugin_registry *reg, const struct vmb_plugin *plugin,
                         const char *file, GError **error)
{
    if (!plugin) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: %s() returned NULL instead of a plugin descriptor", file,
                    VMB_PLUGIN_ENTRY_SYMBOL);
        return false;
    }
    if (plugin->abi_major != VMB_ABI_MAJOR || plugin->abi_minor > VMB_ABI_MINOR) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: plugin was built for vmboard plugin ABI %u.%u, but this vmboard "
                    "provides ABI %d.%d (a plugin loads when its major version is equal and "
                    "its minor version is not newer); rebuild it against this vmboard's "
                    "<vmboard/plugin.h>",
                    file, plugin->abi_major, plugin->abi_minor, VMB_ABI_MAJOR, VMB_ABI_MINOR);
        return false;
    }
    const size_t min_size = offsetof(struct vmb_plugin, types) + sizeof(plugin->types);
    if (plugin->size < min_size) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: plugin descriptor is %u bytes, smaller than ABI %d.0's %zu", file,
                    plugin->size, VMB_ABI_MAJOR, min_size);
        return false;
    }
    if (!plugin->name || !plugin->types || !plugin->types[0]) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: plugin descriptor has no name or provides no device types", file);
        return false;
    }

    /* Check everything before registering anything, so a bad plugin leaves no trace. */
    for (size_t i = 0; plugin->types[i]; i++) {
        const struct vmb_device_type *type = plugin->types[i];
        if (!check_type(file, type, error))
            return false;
        const struct plugin_type_entry *existing = g_hash_table_lookup(reg->by_name, type->name);
        if (existing) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                        "%s: device type '%s' is already provided by %s", file, type->name,
                        existing->file);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(plugin->types[j]->name, type->name) == 0) {
                g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                            "%s: device type '%s' is listed twice in the plugin", file,
                            type->name);
                return false;
            }
        }
    }
    for (size_t i = 0; plugin->types[i]; i++) {
        struct plugin_type_entry *entry = g_new0(struct plugin_type_entry, 1);
        entry->type = plugin->types[i];
        entry->plugin = plugin;
        entry->file = g_strdup(file);
        g_ptr_array_add(reg->entries, entry);
        g_hash_table_insert(reg->by_name, (gpointer)entry->type->name, entry);
    }
    if (reg->sorted_cache) {
        g_ptr_array_unref(reg->sorted_cache);
        reg->sorted_cache = NULL;
    }
    return true;
}

bool plugin_registry_load_file(struct plugin_registry *reg, const char *path, GError **error)
{
    /* RTLD_LOCAL: plugins cannot see each other's symbols; RTLD_NOW: fail here, not mid-run. */
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "%s: cannot load plugin: %s", path,
                    dlerror());
        return false;
    }
    dlerror();
    vmb_plugin_entry_fn entry = (vmb_plugin_entry_fn)dlsym(handle, VMB_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                    "%s: not a vmboard plugin: it does not export %s() (define it with "
                    "VMB_PLUGIN_DEFINE from <vmboard/plugin.h>)",
                    path, VMB_PLUGIN_ENTRY_SYMBOL);
        dlclose(handle);
        return false;
    }
    if (!plugin_registry_add(reg, entry(), path, error)) {
        dlclose(handle);
        return false;
    }
    g_ptr_array_add(reg->handles, handle);
    return true;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool plugin_registry_load_dirs(struct plugin_registry *reg, const char *const *dirs,
                               GPtrArray *errors)
{
    bool ok = true;

    for (size_t d = 0; dirs && dirs[d]; d++) {
        GDir *dir = g_dir_open(dirs[d], 0, NULL);
        if (!dir)
            continue;
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            if (g_str_has_suffix(name, ".so"))
                g_ptr_array_add(names, g_strdup(name));
        }
        g_dir_close(dir);
        g_ptr_array_sort(names, compare_strings);
        for (guint i = 0; i < names->len; i++) {
            const char *base = names->pdata[i];
            /* The same file name in a later directory is a shadowed copy (e.g. the installed
             * version of a plugin also in the build tree): the earlier directory wins. */
            if (g_hash_table_contains(reg->basenames, base))
                continue;
            char *path = g_build_filename(dirs[d], base, NULL);
            GError *error = NULL;
            if (plugin_registry_load_file(reg, path, &error)) {
                g_hash_table_add(reg->basenames, g_strdup(base));
            } else {
                g_ptr_array_add(errors, g_strdup(error->message));
                g_error_free(error);
                ok = false;
            }
            g_free(path);
        }
        g_ptr_array_unref(names);
    }
    return ok;
}

/* True when this process is the vmboard binary in the build tree (run uninstalled). */
static bool running_uninstalled(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *exe_dir = g_path_get_dirname(exe);
    char *build = realpath(VMB_BUILDDIR, NULL);
    bool same = build && strcmp(exe_dir, build) == 0;
    g_free(exe_dir);
    free(build);
    return same;
}

GPtrArray *plugin_search_path(const char *cli_path)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    const char *sources[] = {cli_path, g_getenv("VMBOARD_PLUGIN_PATH")};

    for (size_t s = 0; s < G_N_ELEMENTS(sources); s++) {
        if (!sources[s])
            continue;
        char **parts = g_strsplit(sources[s], ":", -1);
        for (char **p = parts; *p; p++) {
            if (**p)
                g_ptr_array_add(dirs, g_strdup(*p));
        }
        g_strfreev(parts);
    }
    if (running_uninstalled())
        g_ptr_array_add(dirs, g_build_filename(VMB_BUILDDIR, "plugins", NULL));
    g_ptr_array_add(dirs, g_strdup(VMB_PLUGINDIR));
    return dirs;
}

const struct plugin_type_entry *plugin_registry_find(struct plugin_registry *reg,
                                                     const char *type_name)
{
    return type_name ? g_hash_table_lookup(reg->by_name, type_name) : NULL;
}

static gint compare_entries(gconstpointer a, gconstpointer b)
{
    const struct plugin_type_entry *ea = *(const struct plugin_type_entry *const *)a;
    const struct plugin_type_entry *eb = *(const struct plugin_type_entry *const *)b;
    return strcmp(ea->type->name, eb->type->name);
}

GPtrArray *plugin_registry_types(struct plugin_registry *reg)
{
    if (!reg->sorted_cache) {
        reg->sorted_cache = g_ptr_array_new();
        for (guint i = 0; i < reg->entries->len; i++)
            g_ptr_array_add(reg->sorted_cache, reg->entries->pdata[i]);
        g_ptr_array_sort(reg->sorted_cache, compare_entries);
    }
    return reg->sorted_cache;
}
