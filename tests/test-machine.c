/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Machines without KVM for unit tests: see test-machine.h. */
#include "config.h"

#include "test-machine.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>

#include "board.h"
#include "bus.h"
#include "device.h"
#include "loop.h"
#include "plugin.h"
#include "vm.h"

struct plugin_registry *test_plugins_load(const char *const *types)
{
    const char *path = g_getenv("VMBOARD_PLUGIN_PATH");
    ck_assert_msg(path != NULL, "VMBOARD_PLUGIN_PATH is not set: run through `make check`");

    char **dirs = g_strsplit(path, ":", -1);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    struct plugin_registry *registry = plugin_registry_new();
    plugin_registry_load_dirs(registry, (const char *const *)dirs, errors);
    /* Other plugins in the directory are not ours to judge; ours must be there. */
    for (size_t i = 0; types[i]; i++)
        ck_assert_msg(plugin_registry_find(registry, types[i]) != NULL,
                      "type %s not found in %s (%s)", types[i], path,
                      errors->len ? (char *)errors->pdata[0] : "no load errors");
    g_ptr_array_unref(errors);
    g_strfreev(dirs);
    return registry;
}

struct test_machine *machine_new(const struct test_machine_config *config)
{
    struct test_machine *m = g_new0(struct test_machine, 1);
    GError *error = NULL;

    m->config = config;
    m->dir = g_dir_make_tmp("vmb-test-XXXXXX", &error);
    ck_assert_msg(m->dir != NULL, "%s", error ? error->message : "");
    char *kernel = machine_path(m, "kernel.bin");
    ck_assert(g_file_set_contents(kernel, "\xf4", 1, NULL));
    g_free(kernel);
    m->registry = test_plugins_load(config->types);
    return m;
}

char *machine_path(struct test_machine *m, const char *name)
{
    return g_build_filename(m->dir, name, NULL);
}

char *machine_try_start(struct test_machine *m, const char *devices_yaml)
{
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    char *text = g_strconcat(m->config->board, "devices:\n", devices_yaml, NULL);
    char *board_path = machine_path(m, "board.yaml");
    GError *error = NULL;
    char *message = NULL;

    m->board = board_load_from_string(board_path, text, diags);
    ck_assert_msg(m->board != NULL, "%s", diags->len ? (char *)diags->pdata[0] : "");
    ck_assert_msg(board_validate(m->board, m->registry, diags), "%s",
                  diags->len ? (char *)diags->pdata[0] : "");
    m->vm = vm_new(m->board, &error);
    ck_assert_msg(m->vm != NULL, "%s", error ? error->message : "");
    if (m->config->deterministic)
        loop_set_deterministic(m->vm->loop);
    ck_assert_msg(vm_setup_plain_ram(m->vm, &error), "%s", error ? error->message : "");
    if (!devices_create(m->vm, &error)) {
        message = g_strdup(error->message);
        g_error_free(error);
    } else {
        devices_reset(m->vm);
        if (m->config->io_thread)
            machine_start_io_thread(m);
    }
    g_free(board_path);
    g_free(text);
    g_ptr_array_unref(diags);
    return message;
}

void machine_start(struct test_machine *m, const char *devices_yaml)
{
    char *message = machine_try_start(m, devices_yaml);
    ck_assert_msg(message == NULL, "devices_create failed: %s", message);
}

void machine_start_fails(struct test_machine *m, const char *devices_yaml, ...)
{
    char *error = machine_try_start(m, devices_yaml);
    va_list texts;
    va_start(texts, devices_yaml);
    for (const char *text; (text = va_arg(texts, const char *));)
        ck_assert_contains(error, text);
    va_end(texts);
    g_free(error);
    machine_stop(m);
}

void machine_start_io_thread(struct test_machine *m)
{
    GError *error = NULL;
    ck_assert_msg(loop_start(m->vm->loop, &error), "%s", error ? error->message : "");
}

void machine_stop(struct test_machine *m)
{
    vm_free(m->vm);
    m->vm = NULL;
    board_free(m->board);
    m->board = NULL;
}

void machine_free(struct test_machine *m)
{
    machine_stop(m);
    plugin_registry_free(m->registry);
    remove_tree(m->dir);
    g_free(m->dir);
    g_free(m);
}

uint8_t in8(struct test_machine *m, uint16_t port)
{
    return (uint8_t)bus_read(m->vm->pio, port, 1);
}

void out8(struct test_machine *m, uint16_t port, uint8_t value)
{
    bus_write(m->vm->pio, port, value, 1);
}

void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *path = g_build_filename(dir, name, NULL);
        g_remove(path);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

bool ci_is_true(void)
{
    return g_strcmp0(g_getenv("CI"), "true") == 0;
}

int run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
