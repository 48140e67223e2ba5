/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device test harness behind <vmboard/devtest.h>: a struct vm without KVM (plain RAM,
 * recorded interrupt lines) whose loop is deterministic (virtual clock, memory consoles), with
 * devices made by the same code as `vmboard run`: board validation, devices_create, the host
 * API, the buses.
 *
 * Devices declared one by one become a flow-style YAML board whose entries sit on the line
 * each was declared on, so validation messages and crash reports name the script's line.
 */
#include "config.h"

#include "vmboard/devtest.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "board.h"
#include "bus.h"
#include "console.h"
#include "device.h"
#include "devtest-internal.h"
#include "irq.h"
#include "loop.h"
#include "memory.h"
#include "plugin.h"
#include "util.h"
#include "vm.h"

#define DEVTEST_DEFAULT_MEMORY (16 * 1024 * 1024)

struct declared_device {
    char *type;
    char *id;
    char **settings; /* "KEY=VALUE" */
    int line;        /* where the script declared it; 0 when declared from C */
};

struct vmb_devtest {
    char *error;
    bool verbose;

    struct plugin_registry *registry;
    GPtrArray *plugin_dirs; /* searched when a type is missing */
    bool dirs_loaded;
    GPtrArray *dir_errors;

    /* The machine being declared. */
    char *board_name; /* path used in messages: the script, or "devtest" */
    uint64_t memory;
    unsigned cpus;
    GPtrArray *declared; /* struct declared_device * */
    char *board_file;    /* set by vmb_devtest_load_board */

    /* The machine once started. */
    struct board *board;
    struct vm *vm;
};

static void set_error(struct vmb_devtest *test, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_error(struct vmb_devtest *test, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_free(test->error);
    test->error = text;
}

static void declared_free(gpointer data)
{
    struct declared_device *decl = data;
    g_free(decl->type);
    g_free(decl->id);
    g_strfreev(decl->settings);
    g_free(decl);
}

struct vmb_devtest *vmb_devtest_new(void)
{
    struct vmb_devtest *test = g_new0(struct vmb_devtest, 1);
    test->error = g_strdup("");
    test->registry = plugin_registry_new();
    test->plugin_dirs = g_ptr_array_new_with_free_func(g_free);
    test->dir_errors = g_ptr_array_new_with_free_func(g_free);
    test->board_name = g_strdup("devtest");
    test->memory = DEVTEST_DEFAULT_MEMORY;
    test->cpus = 1;
    test->declared = g_ptr_array_new_with_free_func(declared_free);
    return test;
}

void vmb_devtest_discard(struct vmb_devtest *test)
{
    vm_free(test->vm);
    test->vm = NULL;
    board_free(test->board);
    test->board = NULL;
    g_ptr_array_set_size(test->declared, 0);
    g_clear_pointer(&test->board_file, g_free);
    test->memory = DEVTEST_DEFAULT_MEMORY;
    test->cpus = 1;
}

void vmb_devtest_free(struct vmb_devtest *test)
{
    if (!test)
        return;
    vmb_devtest_discard(test);
    g_ptr_array_unref(test->declared);
    /* Devices are gone: the plugins' code may be unloaded now. */
    plugin_registry_free(test->registry);
    g_ptr_array_unref(test->plugin_dirs);
    g_ptr_array_unref(test->dir_errors);
    g_free(test->board_name);
    g_free(test->error);
    g_free(test);
}

const char *vmb_devtest_error(const struct vmb_devtest *test)
{
    return test->error;
}

void vmb_devtest_set_verbose(struct vmb_devtest *test, int verbose)
{
    test->verbose = verbose != 0;
}

bool devtest_verbose(const struct vmb_devtest *test)
{
    return test->verbose;
}

void devtest_set_board_name(struct vmb_devtest *test, const char *name)
{
    g_free(test->board_name);
    test->board_name = g_strdup(name);
}

bool devtest_started(const struct vmb_devtest *test)
{
    return test->vm != NULL;
}

static int require_declaring(struct vmb_devtest *test, const char *what)
{
    if (!test->vm)
        return 0;
    set_error(test, "%s: the machine is already started (discard it first)", what);
    return -1;
}

static int require_started(struct vmb_devtest *test, const char *what)
{
    if (test->vm)
        return 0;
    set_error(test, "%s: the machine is not started", what);
    return -1;
}

/* ---- plugins ---------------------------------------------------------------------------- */

int vmb_devtest_load_plugin(struct vmb_devtest *test, const char *path)
{
    GError *error = NULL;

    if (require_declaring(test, "load plugin") < 0)
        return -1;
    if (!plugin_registry_load_file(test->registry, path, &error)) {
        set_error(test, "%s", error->message);
        g_error_free(error);
        return -1;
    }
    return 0;
}

int vmb_devtest_add_plugin_dirs(struct vmb_devtest *test, const char *dirs)
{
    char **parts = g_strsplit(dirs ? dirs : "", ":", -1);
    for (char **p = parts; *p; p++) {
        if (**p)
            g_ptr_array_add(test->plugin_dirs, g_strdup(*p));
    }
    g_strfreev(parts);
    test->dirs_loaded = false;
    return 0;
}

/* Search the directories once, when a declared type is missing: a test of one plugin file
 * need not load (or be disturbed by) every installed plugin. */
static void load_plugin_dirs(struct vmb_devtest *test)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < test->plugin_dirs->len; i++)
        g_ptr_array_add(dirs, g_strdup(test->plugin_dirs->pdata[i]));
    GPtrArray *standard = plugin_search_path(NULL);
    for (guint i = 0; i < standard->len; i++)
        g_ptr_array_add(dirs, g_strdup(standard->pdata[i]));
    g_ptr_array_unref(standard);
    g_ptr_array_add(dirs, NULL);

    g_ptr_array_set_size(test->dir_errors, 0);
    plugin_registry_load_dirs(test->registry, (const char *const *)dirs->pdata, test->dir_errors);
    g_ptr_array_unref(dirs);
    test->dirs_loaded = true;
}

/* ---- declaring the machine -------------------------------------------------------------- */

int vmb_devtest_set_memory(struct vmb_devtest *test, uint64_t bytes)
{
    if (require_declaring(test, "memory") < 0)
        return -1;
    if (bytes == 0 || bytes % 4096) {
        set_error(test, "memory must be more than 0 and a multiple of 4 KiB");
        return -1;
    }
    test->memory = bytes;
    return 0;
}

int vmb_devtest_set_cpus(struct vmb_devtest *test, unsigned cpus)
{
    if (require_declaring(test, "cpus") < 0)
        return -1;
    if (cpus < 1 || cpus > 256) {
        set_error(test, "cpus must be 1 to 256");
        return -1;
    }
    test->cpus = cpus;
    return 0;
}

int devtest_add_device_at(struct vmb_devtest *test, const char *type, const char *id,
                          const char *const *settings, int line)
{
    if (require_declaring(test, "device") < 0)
        return -1;
    if (test->board_file) {
        set_error(test, "device: the devices come from board %s already", test->board_file);
        return -1;
    }
    if (!type || !*type || !id || !*id) {
        set_error(test, "device: a type and an id are needed");
        return -1;
    }
    for (size_t i = 0; settings && settings[i]; i++) {
        const char *equals = strchr(settings[i], '=');
        if (!equals || equals == settings[i]) {
            set_error(test, "device %s: '%s' is not KEY=VALUE", id, settings[i]);
            return -1;
        }
        if (strncmp(settings[i], "type=", 5) == 0 || strncmp(settings[i], "id=", 3) == 0) {
            set_error(test, "device %s: give the type and id as arguments, not as '%s'", id,
                      settings[i]);
            return -1;
        }
    }
    struct declared_device *decl = g_new0(struct declared_device, 1);
    decl->type = g_strdup(type);
    decl->id = g_strdup(id);
    decl->settings = g_strdupv((char **)settings);
    if (!decl->settings)
        decl->settings = g_new0(char *, 1);
    decl->line = line;
    g_ptr_array_add(test->declared, decl);
    return 0;
}

int vmb_devtest_add_device(struct vmb_devtest *test, const char *type, const char *id,
                           const char *const *settings)
{
    return devtest_add_device_at(test, type, id, settings, 0);
}

int vmb_devtest_load_board(struct vmb_devtest *test, const char *path)
{
    if (require_declaring(test, "board") < 0)
        return -1;
    if (test->declared->len || test->board_file) {
        set_error(test, "board: devices are declared already; use either a board or devices");
        return -1;
    }
    test->board_file = g_strdup(path);
    return 0;
}

/* A double-quoted YAML scalar: the board parser then takes the text as written. */
static void append_quoted(GString *out, const char *text)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf(out, "\\x%02x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}

/* The declared devices as one flow-style YAML document, each entry on its script line. */
static char *board_yaml(struct vmb_devtest *test)
{
    GString *out = g_string_new("{devices: [");
    int line = 1;

    for (guint i = 0; i < test->declared->len; i++) {
        const struct declared_device *decl = test->declared->pdata[i];
        for (; line < decl->line; line++)
            g_string_append_c(out, '\n');
        g_string_append(out, "{type: ");
        append_quoted(out, decl->type);
        g_string_append(out, ", id: ");
        append_quoted(out, decl->id);
        for (char **s = decl->settings; *s; s++) {
            const char *equals = strchr(*s, '=');
            g_string_append(out, ", ");
            g_string_append_len(out, *s, equals - *s);
            g_string_append(out, ": ");
            append_quoted(out, equals + 1);
        }
        g_string_append(out, "}, ");
    }
    g_string_append_printf(
        out, "\n], name: devtest, arch: %s, cpus: %u, memory: %" G_GUINT64_FORMAT "}\n",
        board_arch_name(board_host_arch()), test->cpus, test->memory);
    return g_string_free(out, FALSE);
}

/* "NAME:LINE:COL: error: text" from the synthetic board -> "NAME:LINE: error: text": the
 * column is in the generated YAML, not in anything the user wrote. */
static void append_diag(GString *out, const char *diag, const char *name, bool synthetic)
{
    size_t name_len = strlen(name);
    if (out->len)
        g_string_append_c(out, '\n');
    if (synthetic && strncmp(diag, name, name_len) == 0 && diag[name_len] == ':') {
        const char *line = diag + name_len + 1;
        const char *colon = strchr(line, ':');
        const char *column_end = colon ? strchr(colon + 1, ':') : NULL;
        if (column_end) {
            g_string_append_len(out, diag, colon - diag);
            g_string_append(out, column_end);
            return;
        }
    }
    g_string_append(out, diag);
}

static struct board *make_board(struct vmb_devtest *test, GPtrArray *diags, bool *synthetic)
{
    if (test->board_file) {
        *synthetic = false;
        struct board *board = board_load(test->board_file, diags);
        /* Nothing boots here: a board whose guest is not built yet still serves. */
        if (board) {
            g_clear_pointer(&board->boot.kernel, g_free);
            g_clear_pointer(&board->boot.initrd, g_free);
        }
        return board;
    }
    *synthetic = true;
    char *yaml = board_yaml(test);
    struct board *board = board_load_from_string(test->board_name, yaml, diags);
    g_free(yaml);
    return board;
}

static bool all_types_known(struct vmb_devtest *test, const struct board *board)
{
    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *dev = board->devices->pdata[i];
        if (!plugin_registry_find(test->registry, dev->type))
            return false;
    }
    return true;
}

static void pump_consoles(struct vmb_devtest *test)
{
    for (guint i = 0; i < test->vm->devices->len; i++) {
        vmb_device *dev = test->vm->devices->pdata[i];
        struct console *console;
        for (unsigned c = 0; (console = device_console(dev, c)); c++)
            console_pump(console);
    }
}

/* After anything that may have changed device state: what the I/O thread would do next. */
static void settle(struct vmb_devtest *test)
{
    loop_dispatch_ready(test->vm->loop);
    pump_consoles(test);
}

/* Validation problems as one message, with what the plugin search stumbled on. */
static void set_diagnostics_error(struct vmb_devtest *test, GPtrArray *diags, bool synthetic)
{
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < diags->len; i++)
        append_diag(text, diags->pdata[i], test->board_name, synthetic);
    /* A type may be missing because its plugin failed to load: say so. */
    for (guint i = 0; i < test->dir_errors->len; i++)
        g_string_append_printf(text, "\n(while searching plugins: %s)",
                               (const char *)test->dir_errors->pdata[i]);
    set_error(test, "%s", text->str);
    g_string_free(text, TRUE);
}

/* Board -> validated board -> machine with created, realized and reset devices. */
static bool start_machine(struct vmb_devtest *test, GPtrArray *diags)
{
    GError *error = NULL;
    bool synthetic = false;

    struct board *board = make_board(test, diags, &synthetic);
    if (board && !all_types_known(test, board) && !test->dirs_loaded)
        load_plugin_dirs(test);
    if (!board || !board_validate(board, test->registry, diags)) {
        set_diagnostics_error(test, diags, synthetic);
        board_free(board);
        return false;
    }
    struct vm *vm = vm_new(board, &error);
    if (vm) {
        loop_set_deterministic(vm->loop);
        if (!vm_setup_plain_ram(vm, &error) || !devices_create(vm, &error)) {
            vm_free(vm);
            vm = NULL;
        }
    }
    if (!vm) {
        set_error(test, "%s", error->message);
        g_error_free(error);
        board_free(board);
        return false;
    }
    test->board = board;
    test->vm = vm;
    devices_reset(vm);
    settle(test);
    return true;
}

int vmb_devtest_start(struct vmb_devtest *test)
{
    if (require_declaring(test, "start") < 0)
        return -1;
    if (!test->board_file && test->declared->len == 0) {
        set_error(test, "start: no devices declared");
        return -1;
    }
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    bool ok = start_machine(test, diags);
    g_ptr_array_unref(diags);
    return ok ? 0 : -1;
}

/* ---- a started machine ------------------------------------------------------------------ */

static struct bus *space_bus(struct vmb_devtest *test, enum vmb_space space)
{
    return space == VMB_SPACE_PIO ? test->vm->pio : test->vm->mmio;
}

static bool access_valid(struct vmb_devtest *test, enum vmb_space space, unsigned size)
{
    if (require_started(test, "access") < 0)
        return false;
    if (space != VMB_SPACE_MMIO && space != VMB_SPACE_PIO) {
        set_error(test, "access: unknown address space %d", (int)space);
        return false;
    }
    if (size < 1 || size > 8) {
        set_error(test, "access: size %u is not 1 to 8 bytes", size);
        return false;
    }
    return true;
}

uint64_t vmb_devtest_read(struct vmb_devtest *test, enum vmb_space space, uint64_t address,
                          unsigned size)
{
    if (!access_valid(test, space, size))
        return UINT64_MAX;
    uint64_t value = bus_read(space_bus(test, space), address, size);
    settle(test);
    return value;
}

void vmb_devtest_write(struct vmb_devtest *test, enum vmb_space space, uint64_t address,
                       uint64_t value, unsigned size)
{
    if (!access_valid(test, space, size))
        return;
    bus_write(space_bus(test, space), address, value, size);
    settle(test);
}

int vmb_devtest_mem_read(struct vmb_devtest *test, uint64_t address, void *buf, size_t len)
{
    if (require_started(test, "memory read") < 0)
        return -1;
    if (!memory_read(test->vm->mem, address, buf, len)) {
        set_error(test, "memory read: 0x%" G_GINT64_MODIFIER "x+%zu is not guest RAM", address,
                  len);
        return -1;
    }
    return 0;
}

int vmb_devtest_mem_write(struct vmb_devtest *test, uint64_t address, const void *buf, size_t len)
{
    if (require_started(test, "memory write") < 0)
        return -1;
    if (!memory_write(test->vm->mem, address, buf, len)) {
        set_error(test, "memory write: 0x%" G_GINT64_MODIFIER "x+%zu is not guest RAM", address,
                  len);
        return -1;
    }
    return 0;
}

int vmb_devtest_irq_level(struct vmb_devtest *test, unsigned line)
{
    if (require_started(test, "irq") < 0)
        return -1;
    if (line >= IRQ_MAX_LINES) {
        set_error(test, "irq: line %u is out of range (0..%d)", line, IRQ_MAX_LINES - 1);
        return -1;
    }
    return irq_level(test->vm, line);
}

uint64_t vmb_devtest_irq_edges(struct vmb_devtest *test, unsigned line)
{
    if (require_started(test, "irq") < 0)
        return 0;
    return irq_raise_count(test->vm, line);
}

static struct console *find_console(struct vmb_devtest *test, const char *id)
{
    if (require_started(test, "console") < 0)
        return NULL;
    vmb_device *dev = device_find(test->vm, id);
    if (!dev) {
        set_error(test, "console: no device '%s'", id ? id : "(null)");
        return NULL;
    }
    struct console *console = device_console(dev, 0);
    if (!console) {
        set_error(test, "console: device '%s' has no console open", id);
        return NULL;
    }
    if (!console_is_memory(console)) {
        set_error(test,
                  "console: device '%s' has its console set to none, which takes no "
                  "input and keeps no output",
                  id);
        return NULL;
    }
    return console;
}

int vmb_devtest_console_input(struct vmb_devtest *test, const char *id, const void *buf, size_t len)
{
    struct console *console = find_console(test, id);
    if (!console)
        return -1;
    console_inject(console, buf, len);
    settle(test);
    return 0;
}

long vmb_devtest_console_queued(struct vmb_devtest *test, const char *id)
{
    struct console *console = find_console(test, id);
    return console ? (long)console_queued_input(console) : -1;
}

const uint8_t *vmb_devtest_console_output(struct vmb_devtest *test, const char *id, size_t *len)
{
    struct console *console = find_console(test, id);
    *len = 0;
    if (!console)
        return NULL;
    const uint8_t *data = console_captured(console, len);
    return data ? data : (const uint8_t *)"";
}

int vmb_devtest_console_clear(struct vmb_devtest *test, const char *id)
{
    struct console *console = find_console(test, id);
    if (!console)
        return -1;
    console_clear_captured(console);
    return 0;
}

int vmb_devtest_advance(struct vmb_devtest *test, uint64_t ns)
{
    if (require_started(test, "advance") < 0)
        return -1;
    bool ok = loop_advance(test->vm->loop, ns);
    settle(test);
    if (!ok) {
        set_error(test, "advance: timers kept firing without time passing (a device re-arms a "
                        "timer with no delay)");
        return -1;
    }
    return 0;
}

uint64_t vmb_devtest_clock_ns(struct vmb_devtest *test)
{
    return test->vm ? loop_clock_ns(test->vm->loop) : 0;
}

enum vmb_devtest_stop vmb_devtest_stop_request(struct vmb_devtest *test, int *status)
{
    if (status)
        *status = 0;
    if (!test->vm)
        return VMB_DEVTEST_RUNNING;
    switch (vm_stop_reason(test->vm)) {
    case VM_STOP_EXIT:
        if (status)
            *status = test->vm->exit_status;
        return VMB_DEVTEST_EXIT;
    case VM_STOP_RESET:
        return VMB_DEVTEST_RESET;
    default:
        return VMB_DEVTEST_RUNNING;
    }
}

int vmb_devtest_reset(struct vmb_devtest *test)
{
    if (require_started(test, "reset") < 0)
        return -1;
    g_mutex_lock(&test->vm->stop_lock);
    atomic_store(&test->vm->stop_reason, VM_RUNNING);
    test->vm->exit_status = 0;
    g_mutex_unlock(&test->vm->stop_lock);
    devices_reset(test->vm);
    settle(test);
    return 0;
}
