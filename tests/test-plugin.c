/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plugin loader: real shared objects from tests/plugins/, and the errors users see. */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "board.h"
#include "device.h"
#include "plugin.h"
#include "vm.h"

static char *plugin_file(const char *name)
{
    const char *builddir = g_getenv("VMB_TEST_BUILDDIR");
    return g_build_filename(builddir ? builddir : "tests", "plugins", name, NULL);
}

/* Load one file into a fresh registry and return the error text (NULL on success). */
static char *load_error(struct plugin_registry *reg, const char *name)
{
    char *path = plugin_file(name);
    GError *error = NULL;
    char *message = NULL;
    if (!plugin_registry_load_file(reg, path, &error)) {
        message = g_strdup(error->message);
        g_error_free(error);
    }
    g_free(path);
    return message;
}

#define ck_assert_contains(haystack, needle)                                                   \
    ck_assert_msg((haystack) && strstr((haystack), (needle)), "'%s' not found in '%s'", (needle), \
                  (haystack) ? (haystack) : "(null)")

START_TEST(good_plugin_loads_its_types)
{
    struct plugin_registry *reg = plugin_registry_new();
    char *error = load_error(reg, "good.so");
    ck_assert_msg(error == NULL, "%s", error);

    const struct plugin_type_entry *entry = plugin_registry_find(reg, "test-scratch");
    ck_assert_ptr_nonnull(entry);
    ck_assert_str_eq(entry->plugin->name, "test-good");
    ck_assert_contains(entry->file, "good.so");
    ck_assert_uint_eq(entry->type->window_size, 8);
    ck_assert_ptr_nonnull(plugin_registry_find(reg, "test-needy"));
    ck_assert_ptr_null(plugin_registry_find(reg, "test-missing"));

    GPtrArray *types = plugin_registry_types(reg);
    ck_assert_uint_eq(types->len, 2);
    ck_assert_str_eq(((struct plugin_type_entry *)types->pdata[0])->type->name, "test-needy");
    ck_assert_str_eq(((struct plugin_type_entry *)types->pdata[1])->type->name, "test-scratch");
    plugin_registry_free(reg);
}
END_TEST

START_TEST(wrong_major_names_file_and_both_versions)
{
    struct plugin_registry *reg = plugin_registry_new();
    char *error = load_error(reg, "wrong-major.so");
    char *theirs = g_strdup_printf("ABI %d.0", VMB_ABI_MAJOR + 1);
    char *ours = g_strdup_printf("ABI %d.%d", VMB_ABI_MAJOR, VMB_ABI_MINOR);
    ck_assert_contains(error, "wrong-major.so: plugin was built for vmboard plugin");
    ck_assert_contains(error, theirs);
    ck_assert_contains(error, ours);
    ck_assert_ptr_null(plugin_registry_find(reg, "test-wrong-abi"));
    g_free(theirs);
    g_free(ours);
    g_free(error);
    plugin_registry_free(reg);
}
END_TEST

START_TEST(newer_minor_is_refused)
{
    struct plugin_registry *reg = plugin_registry_new();
    char *error = load_error(reg, "newer-minor.so");
    char *theirs = g_strdup_printf("ABI %d.%d", VMB_ABI_MAJOR, VMB_ABI_MINOR + 1);
    ck_assert_contains(error, "newer-minor.so");
    ck_assert_contains(error, theirs);
    ck_assert_contains(error, "minor version is not newer");
    g_free(theirs);
    g_free(error);
    plugin_registry_free(reg);
}
END_TEST

/* A plugin built against 1.0 (no mmio_shadow) loads in a newer 1.x core. */
START_TEST(older_minor_loads)
{
    struct plugin_registry *reg = plugin_registry_new();
    char *error = load_error(reg, "older-minor.so");
    ck_assert_msg(error == NULL, "%s", error);
    const struct plugin_type_entry *entry = plugin_registry_find(reg, "test-wrong-abi");
    ck_assert_ptr_nonnull(entry);
    ck_assert_uint_eq(entry->plugin->abi_minor, 0);
    plugin_registry_free(reg);
}
END_TEST

START_TEST(missing_entry_symbol)
{
    struct plugin_registry *reg = plugin_registry_new();
    char *error = load_error(reg, "no-entry.so");
    ck_assert_contains(error, "no-entry.so: not a vmboard plugin: it does not export "
                              "vmb_plugin_entry()");
    g_free(error);
    plugin_registry_free(reg);
}
END_TEST

START_TEST(duplicate_type_names_both_files)
{
    struct plugin_registry *reg = plugin_registry_new();
    ck_assert_ptr_null(load_error(reg, "good.so"));
    char *error = load_error(reg, "dup-type.so");
    ck_assert_contains(error, "dup-type.so: device type 'test-scratch' is already provided by ");
    ck_assert_contains(error, "good.so");
    /* The first provider is kept. */
    ck_assert_str_eq(plugin_registry_find(reg, "test-scratch")->plugin->name, "test-good");
    g_free(error);
    plugin_registry_free(reg);
}
END_TEST

START_TEST(bad_default_is_refused)
{
    struct plugin_registry *reg = plugin_registry_new();
    char *error = load_error(reg, "bad-default.so");
    ck_assert_contains(error, "bad-default.so: property 'count' of device type "
                              "'test-bad-default' has default 'many'");
    g_free(error);
    plugin_registry_free(reg);
}
END_TEST

START_TEST(dlopen_failure_text_is_passed_on)
{
    char *dir = g_dir_make_tmp("vmb-plugin-XXXXXX", NULL);
    char *path = g_build_filename(dir, "garbage.so", NULL);
    /* Longer than an ELF header, so the loader reads it and finds no ELF magic. */
    char *text = g_strnfill(256, 'x');
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    g_free(text);

    struct plugin_registry *reg = plugin_registry_new();
    GError *error = NULL;
    ck_assert(!plugin_registry_load_file(reg, path, &error));
    ck_assert_contains(error->message, path);
    ck_assert_contains(error->message, "cannot load plugin: ");
    /* dlerror()'s own words follow, e.g. "invalid ELF header". */
    ck_assert_contains(error->message, "ELF");
    g_clear_error(&error);

    char *missing = g_build_filename(dir, "missing.so", NULL);
    ck_assert(!plugin_registry_load_file(reg, missing, &error));
    ck_assert_contains(error->message, "No such file or directory");
    g_error_free(error);

    plugin_registry_free(reg);
    g_unlink(path);
    g_rmdir(dir);
    g_free(missing);
    g_free(path);
    g_free(dir);
}
END_TEST

static char *link_into(const char *dir, const char *name, const char *as)
{
    char *target = plugin_file(name);
    char *absolute = g_canonicalize_filename(target, NULL);
    char *link = g_build_filename(dir, as, NULL);
    ck_assert_int_eq(symlink(absolute, link), 0);
    g_free(target);
    g_free(absolute);
    return link;
}

START_TEST(directories_shadow_same_file_names)
{
    char *first = g_dir_make_tmp("vmb-first-XXXXXX", NULL);
    char *second = g_dir_make_tmp("vmb-second-XXXXXX", NULL);
    char *a = link_into(first, "good.so", "good.so");
    /* Same file name in a later directory: a shadowed copy, not a duplicate type. */
    char *b = link_into(second, "good.so", "good.so");
    char *c = link_into(second, "bad-default.so", "bad-default.so");
    const char *dirs[] = {first, second, "/nonexistent/vmboard", NULL};

    struct plugin_registry *reg = plugin_registry_new();
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    ck_assert(!plugin_registry_load_dirs(reg, dirs, errors));
    ck_assert_uint_eq(errors->len, 1);
    ck_assert_contains((char *)errors->pdata[0], "bad-default.so");
    ck_assert_contains(plugin_registry_find(reg, "test-scratch")->file, first);

    g_ptr_array_unref(errors);
    plugin_registry_free(reg);
    g_unlink(a);
    g_unlink(b);
    g_unlink(c);
    g_rmdir(first);
    g_rmdir(second);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(first);
    g_free(second);
}
END_TEST

START_TEST(search_path_order)
{
    g_setenv("VMBOARD_PLUGIN_PATH", "/env/one::/env/two", TRUE);
    GPtrArray *dirs = plugin_search_path("/cli/a:/cli/b");
    ck_assert_uint_ge(dirs->len, 5);
    ck_assert_str_eq(dirs->pdata[0], "/cli/a");
    ck_assert_str_eq(dirs->pdata[1], "/cli/b");
    ck_assert_str_eq(dirs->pdata[2], "/env/one");
    ck_assert_str_eq(dirs->pdata[3], "/env/two");
    ck_assert_str_eq(dirs->pdata[dirs->len - 1], VMB_PLUGINDIR);
    g_ptr_array_unref(dirs);
    g_unsetenv("VMBOARD_PLUGIN_PATH");
}
END_TEST

/* In-memory descriptors: the checks plugin_registry_add makes on what a plugin declares. */
static void *create_nothing(vmb_device *dev, const struct vmb_host *host)
{
    return NULL;
}

static char *add_error(const struct vmb_device_type *type)
{
    const struct vmb_device_type *types[] = {type, NULL};
    struct vmb_plugin plugin = {
        .abi_major = VMB_ABI_MAJOR,
        .abi_minor = VMB_ABI_MINOR,
        .size = sizeof(plugin),
        .name = "inline",
        .version = "0",
        .types = types,
    };
    struct plugin_registry *reg = plugin_registry_new();
    GError *error = NULL;
    char *message = NULL;
    if (!plugin_registry_add(reg, &plugin, "inline.so", &error)) {
        message = g_strdup(error->message);
        g_error_free(error);
    }
    plugin_registry_free(reg);
    return message;
}

START_TEST(descriptor_checks)
{
    struct vmb_device_type type = {
        .size = sizeof(type),
        .name = "bad name!",
        .create = create_nothing,
    };
    char *error = add_error(&type);
    ck_assert_contains(error, "inline.so: device type name 'bad name!' is not valid");
    g_free(error);

    type.name = "no-create";
    type.create = NULL;
    error = add_error(&type);
    ck_assert_contains(error, "device type 'no-create' has no create function");
    g_free(error);

    static const struct vmb_prop_spec reserved[] = {{"irq", VMB_PROP_UINT, NULL, 0, ""}, {NULL}};
    type.name = "reserved";
    type.create = create_nothing;
    type.props = reserved;
    error = add_error(&type);
    ck_assert_contains(error, "declares property 'irq', which is reserved for the board");
    g_free(error);

    type.props = NULL;
    type.name = "lines";
    type.irq_count = 2;
    error = add_error(&type);
    ck_assert_contains(error, "declares 2 interrupt lines");
    g_free(error);

    type.irq_count = 0;
    type.name = "placed";
    type.flags = VMB_TYPE_MMIO;
    error = add_error(&type);
    ck_assert_contains(error, "can be placed at an address but has window_size 0");
    g_free(error);

    type.size = 8;
    error = add_error(&type);
    ck_assert_contains(error, "device type descriptor is 8 bytes");
    g_free(error);
}
END_TEST

/* A plugin whose create() fails is reported with the device, its type, file and board line. */
START_TEST(create_failure_names_device_and_plugin)
{
    struct plugin_registry *reg = plugin_registry_new();
    ck_assert_ptr_null(load_error(reg, "good.so"));
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    struct board *board = board_load_from_string("fail.yaml",
                                                 "name: fail\n"
                                                 "arch: x86_64\n"
                                                 "memory: 16M\n"
                                                 "devices:\n"
                                                 "  - type: test-scratch\n"
                                                 "    id: s0\n"
                                                 "    pio: 0x100\n"
                                                 "  - type: test-scratch\n"
                                                 "    id: broken\n"
                                                 "    pio: 0x200\n"
                                                 "    fail-create: true\n",
                                                 diags);
    ck_assert_ptr_nonnull(board);
    ck_assert_msg(board_validate(board, reg, diags), "%s",
                  diags->len ? (char *)diags->pdata[0] : "");

    GError *error = NULL;
    struct vm *vm = vm_new(board, &error);
    ck_assert_ptr_nonnull(vm);
    ck_assert(vm_setup_plain_ram(vm, &error));
    ck_assert(!devices_create(vm, &error));
    ck_assert_contains(error->message, "fail.yaml:8:5: device 'broken' (test-scratch from ");
    ck_assert_contains(error->message, "good.so) failed to start: asked to fail by the board");
    /* Everything created before the failure is gone again. */
    ck_assert_uint_eq(vm->devices->len, 0);
    g_error_free(error);
    vm_free(vm);
    board_free(board);
    g_ptr_array_unref(diags);
    plugin_registry_free(reg);
}
END_TEST

static Suite *plugin_suite(void)
{
    Suite *s = suite_create("plugin");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, good_plugin_loads_its_types);
    tcase_add_test(tc, wrong_major_names_file_and_both_versions);
    tcase_add_test(tc, newer_minor_is_refused);
    tcase_add_test(tc, older_minor_loads);
    tcase_add_test(tc, missing_entry_symbol);
    tcase_add_test(tc, duplicate_type_names_both_files);
    tcase_add_test(tc, bad_default_is_refused);
    tcase_add_test(tc, dlopen_failure_text_is_passed_on);
    tcase_add_test(tc, directories_shadow_same_file_names);
    tcase_add_test(tc, search_path_order);
    tcase_add_test(tc, descriptor_checks);
    tcase_add_test(tc, create_failure_names_device_and_plugin);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(plugin_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
