/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The vmboard command line: run, check, plugins and dump. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "board.h"
#include "console.h"
#include "loop.h"
#include "plugin.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#define EXIT_USAGE 2

/* Options shared by the commands that read a board. */
static char *opt_plugin_path;
static char *opt_kernel, *opt_initrd, *opt_append, *opt_memory;
static int opt_cpus;
static char **opt_set;
static gboolean opt_stats;
static int opt_verbose;

static gboolean count_verbose(const char *name, const char *value, gpointer data, GError **error)
{
    opt_verbose++;
    return TRUE;
}

static const GOptionEntry plugin_path_entries[] = {
    {"plugin-path", 'P', 0, G_OPTION_ARG_STRING, &opt_plugin_path,
     "Colon-separated directories searched for plugins before $VMBOARD_PLUGIN_PATH and the "
     "installed ones",
     "DIRS"},
    {NULL},
};

static const GOptionEntry verbose_entries[] = {
    {"verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)count_verbose,
     "Print more (repeat for debug messages)", NULL},
    {NULL},
};

static const GOptionEntry board_entries[] = {
    {"kernel", 'k', 0, G_OPTION_ARG_FILENAME, &opt_kernel, "Boot this kernel instead of the board's",
     "FILE"},
    {"initrd", 'i', 0, G_OPTION_ARG_FILENAME, &opt_initrd, "Use this initrd or multiboot module",
     "FILE"},
    {"append", 'a', 0, G_OPTION_ARG_STRING, &opt_append, "Replace the kernel command line",
     "CMDLINE"},
    {"cpus", 'c', 0, G_OPTION_ARG_INT, &opt_cpus, "Number of vCPUs (1-256)", "N"},
    {"memory", 'm', 0, G_OPTION_ARG_STRING, &opt_memory, "Guest RAM, e.g. 512M or 2G", "SIZE"},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &opt_set,
     "Set a device property, e.g. --set uart0.console=file:out.txt (repeatable)",
     "ID.PROPERTY=VALUE"},
    {NULL},
};

static const GOptionEntry run_entries[] = {
    {"stats", 0, 0, G_OPTION_ARG_NONE, &opt_stats,
     "At exit, print counts per exit reason and per device to stderr", NULL},
    {NULL},
};

static void print_diags(GPtrArray *diags)
{
    for (guint i = 0; i < diags->len; i++)
        fprintf(stderr, "%s\n", (const char *)diags->pdata[i]);
}

static struct plugin_registry *load_plugins(void)
{
    struct plugin_registry *registry = plugin_registry_new();
    GPtrArray *dirs = plugin_search_path(opt_plugin_path);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(dirs, NULL);
    for (guint i = 0; dirs->pdata[i]; i++)
        vmb_log_debug("plugin directory: %s", (const char *)dirs->pdata[i]);
    bool ok = plugin_registry_load_dirs(registry, (const char *const *)dirs->pdata, errors);
    for (guint i = 0; i < errors->len; i++)
        vmb_log_error("%s", (const char *)errors->pdata[i]);
    g_ptr_array_unref(errors);
    g_ptr_array_unref(dirs);
    if (!ok) {
        plugin_registry_free(registry);
        return NULL;
    }
    return registry;
}

/* Board file -> validated board with overrides applied, or NULL after printing why. */
static struct board *load_board(const char *path, struct plugin_registry *registry)
{
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    struct board *board = board_load(path, diags);
    struct board_overrides overrides = {
        .kernel = opt_kernel,
        .initrd = opt_initrd,
        .append = opt_append,
        .cpus = opt_cpus,
        .memory = opt_memory,
        .set = opt_set,
    };

    if (board) {
        board_apply_overrides(board, &overrides, diags);
        board_validate(board, registry, diags);
    }
    if (diags->len) {
        print_diags(diags);
        board_free(board);
        board = NULL;
    }
    g_ptr_array_unref(diags);
    return board;
}

static GOptionContext *command_context(const char *params, const char *summary,
                                       const GOptionEntry *extra1, const GOptionEntry *extra2)
{
    GOptionContext *context = g_option_context_new(params);
    g_option_context_set_summary(context, summary);
    g_option_context_add_main_entries(context, plugin_path_entries, NULL);
    g_option_context_add_main_entries(context, verbose_entries, NULL);
    if (extra1)
        g_option_context_add_main_entries(context, extra1, NULL);
    if (extra2)
        g_option_context_add_main_entries(context, extra2, NULL);
    return context;
}

static bool parse_command(GOptionContext *context, int *argc, char ***argv)
{
    GError *error = NULL;
    if (!g_option_context_parse(context, argc, argv, &error)) {
        fprintf(stderr, "vmboard: %s (see --help)\n", error->message);
        g_error_free(error);
        return false;
    }
    vmb_log_set_verbosity(opt_verbose);
    vmb_log_set_before(console_flush_pending);
    return true;
}

/* ---- run -------------------------------------------------------------------------------- */

static void signal_readable(void *opaque, int fd, unsigned events)
{
    struct signalfd_siginfo info;
    struct vm *vm = opaque;

    if (read(fd, &info, sizeof(info)) == sizeof(info)) {
        vmb_log_info("received signal %u, stopping", info.ssi_signo);
        vm_request_stop(vm, VM_STOP_SIGNAL, 128 + (int)info.ssi_signo);
    }
}

static int command_run(int argc, char **argv)
{
    GOptionContext *context =
        command_context("BOARD.yaml", "Boot the board described by BOARD.yaml on KVM.\n\n"
                                      "The exit status is the guest's: a debug-exit write of V "
                                      "gives (V<<1)|1,\na guest power-off or reset 0, a fatal "
                                      "vCPU error 1, SIGINT 130, SIGTERM 143.",
                        board_entries, run_entries);
    int status = 1;

    if (!parse_command(context, &argc, &argv)) {
        g_option_context_free(context);
        return EXIT_USAGE;
    }
    g_option_context_free(context);
    if (argc != 2) {
        fprintf(stderr, "vmboard run: expected one board file (see vmboard run --help)\n");
        return EXIT_USAGE;
    }

    struct plugin_registry *registry = load_plugins();
    if (!registry)
        return 1;
    struct board *board = load_board(argv[1], registry);
    if (!board) {
        plugin_registry_free(registry);
        return 1;
    }
    GPtrArray *diags = g_ptr_array_new_with_free_func(g_free);
    if (!board_check_host_arch(board, diags)) {
        print_diags(diags);
        goto out_board;
    }

    /* Block the stop signals before any thread exists so every thread inherits the mask; the
     * I/O thread receives them through a signalfd. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    vcpu_init_signals();

    GError *error = NULL;
    struct vm *vm = vm_new(board, &error);
    if (!vm) {
        vmb_log_error("%s", error->message);
        g_error_free(error);
        goto out_board;
    }
    vm->stats_enabled = opt_stats;
    int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
    struct loop_watch *signal_watch = NULL;
    if (signal_fd >= 0)
        signal_watch = loop_watch_fd(vm->loop, signal_fd, G_IO_IN, signal_readable, vm, NULL);

    if (!vm_setup_kvm(vm, &error) || (status = vm_run(vm, &error)) < 0) {
        console_restore_terminal();
        vmb_log_error("%s", error ? error->message : "failed to run the board");
        g_clear_error(&error);
        status = 1;
    }
    if (opt_stats)
        vm_print_stats(vm, stderr);
    loop_stop(vm->loop);
    loop_unwatch(signal_watch);
    if (signal_fd >= 0)
        close(signal_fd);
    vm_free(vm);
out_board:
    g_ptr_array_unref(diags);
    board_free(board);
    plugin_registry_free(registry);
    console_restore_terminal();
    return status;
}

/* ---- check ------------------------------------------------------------------------------ */

static int command_check(int argc, char **argv)
{
    GOptionContext *context = command_context(
        "BOARD.yaml...",
        "Validate board files without touching /dev/kvm: print one line per problem as\n"
        "FILE:LINE:COL: error: MESSAGE and exit 1, or exit 0 when every board is valid.\n"
        "A board for another architecture than this host's is valid here; `run` refuses it.",
        board_entries, NULL);

    if (!parse_command(context, &argc, &argv)) {
        g_option_context_free(context);
        return EXIT_USAGE;
    }
    g_option_context_free(context);
    if (argc < 2) {
        fprintf(stderr, "vmboard check: expected a board file (see vmboard check --help)\n");
        return EXIT_USAGE;
    }
    struct plugin_registry *registry = load_plugins();
    if (!registry)
        return 1;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct board *board = load_board(argv[i], registry);
        if (!board) {
            status = 1;
            continue;
        }
        if (opt_verbose)
            printf("%s: ok (%s, %u vCPUs, %u devices)\n", argv[i], board_arch_name(board->arch),
                   board->cpus, board->devices->len);
        board_free(board);
    }
    plugin_registry_free(registry);
    return status;
}

/* ---- plugins ---------------------------------------------------------------------------- */

static const char *prop_type_name(enum vmb_prop_type type)
{
    switch (type) {
    case VMB_PROP_BOOL:
        return "bool";
    case VMB_PROP_INT:
        return "int";
    case VMB_PROP_UINT:
        return "uint";
    case VMB_PROP_SIZE:
        return "size";
    case VMB_PROP_STRING:
        return "string";
    }
    return "?";
}

static void print_type(const struct plugin_type_entry *entry, bool verbose)
{
    const struct vmb_device_type *type = entry->type;

    printf("%-16s %s\n", type->name, type->description ? type->description : "");
    if (!verbose)
        return;
    printf("    plugin:    %s %s (%s)\n", entry->plugin->name,
           entry->plugin->version ? entry->plugin->version : "", entry->file);
    GString *where = g_string_new(NULL);
    if (type->flags & VMB_TYPE_MMIO)
        g_string_append(where, "mmio");
    if (type->flags & VMB_TYPE_PIO)
        g_string_append_printf(where, "%spio", where->len ? " or " : "");
    if (where->len) {
        printf("    placement: %s (%s), window 0x%" G_GINT64_MODIFIER "x", where->str,
               type->flags & VMB_TYPE_NEEDS_ADDR ? "required" : "optional", type->window_size);
        if (type->pio_window_size && (type->flags & VMB_TYPE_PIO))
            printf(" (0x%" G_GINT64_MODIFIER "x ports on pio)", type->pio_window_size);
        printf("\n");
    }
    g_string_free(where, TRUE);
    if (type->irq_count)
        printf("    irq:       %s\n", type->flags & VMB_TYPE_NEEDS_IRQ ? "required" : "optional");
    if (type->flags & VMB_TYPE_THREAD_SAFE)
        printf("    threading: thread-safe (calls are not serialised)\n");
    if (!type->props || !type->props[0].name) {
        printf("    properties: none\n");
        return;
    }
    printf("    properties:\n");
    for (const struct vmb_prop_spec *p = type->props; p->name; p++) {
        char *def = (p->flags & VMB_PROP_REQUIRED) ? g_strdup("(required)")
                    : p->default_value             ? g_strdup_printf("default %s", p->default_value)
                                                   : g_strdup("(no default)");
        printf("      %-14s %-7s %-22s %s\n", p->name, prop_type_name(p->type), def,
               p->help ? p->help : "");
        g_free(def);
    }
}

static int command_plugins(int argc, char **argv)
{
    gboolean verbose = FALSE;
    const GOptionEntry entries[] = {
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
         "Also show each type's plugin file, placement and properties", NULL},
        {NULL},
    };
    GOptionContext *context = g_option_context_new(NULL);
    g_option_context_set_summary(context,
                                 "List every device type found on the plugin search path.");
    g_option_context_add_main_entries(context, entries, NULL);
    g_option_context_add_main_entries(context, plugin_path_entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(context, &argc, &argv, &error);
    g_option_context_free(context);
    if (!ok) {
        fprintf(stderr, "vmboard: %s (see --help)\n", error->message);
        g_error_free(error);
        return EXIT_USAGE;
    }
    if (argc != 1) {
        fprintf(stderr, "vmboard plugins: unexpected argument '%s'\n", argv[1]);
        return EXIT_USAGE;
    }

    struct plugin_registry *registry = plugin_registry_new();
    GPtrArray *dirs = plugin_search_path(opt_plugin_path);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    if (verbose) {
        printf("search path:");
        for (guint i = 0; i < dirs->len; i++)
            printf(" %s", (const char *)dirs->pdata[i]);
        printf("\n\n");
    }
    g_ptr_array_add(dirs, NULL);
    plugin_registry_load_dirs(registry, (const char *const *)dirs->pdata, errors);
    GPtrArray *types = plugin_registry_types(registry);
    for (guint i = 0; i < types->len; i++)
        print_type(types->pdata[i], verbose);
    if (!types->len)
        printf("no device types found\n");
    for (guint i = 0; i < errors->len; i++)
        vmb_log_error("%s", (const char *)errors->pdata[i]);
    int status = errors->len ? 1 : 0;
    g_ptr_array_unref(errors);
    g_ptr_array_unref(dirs);
    plugin_registry_free(registry);
    return status;
}

/* ---- dump ------------------------------------------------------------------------------- */

static void dump_board(const struct board *board)
{
    static const char *const formats[] = {"auto", "flat", "multiboot", "bzimage", "elf",
                                          "arm64-image"};
    static const char *const modes[] = {"default", "real", "long"};

    printf("name: %s\narch: %s\ncpus: %u\nmemory: %" G_GUINT64_FORMAT "\n", board->name,
           board_arch_name(board->arch), board->cpus, board->memory);
    printf("boot:\n  kernel: %s\n", board->boot.kernel ? board->boot.kernel : "~");
    printf("  initrd: %s\n", board->boot.initrd ? board->boot.initrd : "~");
    printf("  cmdline: \"%s\"\n  format: %s\n", board->boot.cmdline, formats[board->boot.format]);
    if (board->boot.has_load_address)
        printf("  load-address: 0x%" G_GINT64_MODIFIER "x\n", board->boot.load_address);
    if (board->boot.has_entry)
        printf("  entry: 0x%" G_GINT64_MODIFIER "x\n", board->boot.entry);
    printf("  mode: %s\ndevices:\n", modes[board->boot.mode]);
    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *dev = board->devices->pdata[i];
        printf("  - type: %s   # %s\n    id: %s\n", dev->type, board_loc_str(&dev->loc), dev->id);
        if (dev->placement != PLACE_NONE)
            printf("    %s: 0x%" G_GINT64_MODIFIER "x\n",
                   dev->placement == PLACE_MMIO ? "mmio" : "pio", dev->address);
        if (dev->irq >= 0)
            printf("    irq: %d\n", dev->irq);
        for (guint v = 0; dev->values && v < dev->values->len; v++) {
            const struct device_prop_value *value =
                &g_array_index(dev->values, struct device_prop_value, v);
            if (value->present)
                printf("    %s: %s\n", value->spec->name, value->string_value);
        }
    }
}

/* Each x86_64 ACPI table as DIR/NAME.dat, the form `iasl -d` reads (RSDP.bin: no header). */
static int dump_acpi(const struct board *board, const char *dir)
{
    GError *error = NULL;
    GPtrArray *tables = acpi_tables_build(board, &error);

    if (!tables || !acpi_tables_write_files(tables, dir, &error)) {
        vmb_log_error("%s", error->message);
        g_error_free(error);
        if (tables)
            g_ptr_array_unref(tables);
        return 1;
    }
    for (guint i = 0; i < tables->len; i++) {
        const struct acpi_table *table = tables->pdata[i];
        printf("%s/%s.%s: %u bytes, at 0x%" G_GINT64_MODIFIER "x in the guest\n", dir,
               table->name, acpi_table_file_suffix(table), table->bytes->len, table->address);
    }
    g_ptr_array_unref(tables);
    return 0;
}

static int command_dump(int argc, char **argv)
{
    GOptionContext *context =
        command_context("WHAT BOARD.yaml [DIR]",
                        "Print what vmboard derives from a board. WHAT is:\n"
                        "  board   the board after overrides, with every default filled in\n"
                        "  acpi    (x86_64) write the ACPI tables into DIR, one file per table:\n"
                        "          XSDT.dat, FACP.dat, APIC.dat, DSDT.dat (`iasl -d DIR/*.dat`\n"
                        "          decodes them) and the root pointer as RSDP.bin",
                        board_entries, NULL);
    if (!parse_command(context, &argc, &argv)) {
        g_option_context_free(context);
        return EXIT_USAGE;
    }
    g_option_context_free(context);
    bool acpi = argc == 4 && strcmp(argv[1], "acpi") == 0;
    if (!acpi && (argc != 3 || strcmp(argv[1], "board") != 0)) {
        fprintf(stderr, "vmboard dump: expected `board BOARD.yaml` or `acpi BOARD.yaml DIR` "
                        "(see vmboard dump --help)\n");
        return EXIT_USAGE;
    }
    struct plugin_registry *registry = load_plugins();
    if (!registry)
        return 1;
    struct board *board = load_board(argv[2], registry);
    int status = 1;
    if (board && acpi) {
        status = dump_acpi(board, argv[3]);
        board_free(board);
    } else if (board) {
        dump_board(board);
        board_free(board);
        status = 0;
    }
    plugin_registry_free(registry);
    return status;
}

/* ---- dispatch --------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", command_run, "Boot a board"},
    {"check", command_check, "Validate board files without running them"},
    {"plugins", command_plugins, "List the device types plugins provide"},
    {"dump", command_dump, "Print what vmboard derives from a board"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: vmboard COMMAND [OPTION...] [ARG...]\n\n"
                 "A plugin-based platform emulator on Linux KVM.\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\nOptions:\n"
                 "  -h, --help     Show this help; `vmboard COMMAND --help` shows a command's\n"
                 "  --version      Show the version and the plugin ABI version\n\n"
                 "Environment:\n"
                 "  VMBOARD_PLUGIN_PATH  colon-separated plugin directories\n\n"
                 "Example: vmboard run boards/x86_64-hello.yaml\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("vmboard %s (plugin ABI %d.%d, %s host)\n", PACKAGE_VERSION, VMB_ABI_MAJOR,
               VMB_ABI_MINOR, board_arch_name(board_host_arch()));
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            /* The command sees itself as argv[0], so its --help reads `vmboard run ...`. */
            char *prgname = g_strdup_printf("vmboard %s", commands[i].name);
            g_set_prgname(prgname);
            int status = commands[i].fn(argc - 1, argv + 1);
            g_free(prgname);
            return status;
        }
    }
    const char *names[G_N_ELEMENTS(commands)];
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        names[i] = commands[i].name;
    const char *suggestion = did_you_mean(argv[1], names, G_N_ELEMENTS(names));
    if (suggestion)
        fprintf(stderr, "vmboard: unknown command '%s' (did you mean '%s'?)\n", argv[1],
                suggestion);
    else
        fprintf(stderr, "vmboard: unknown command '%s' (see vmboard --help)\n", argv[1]);
    return EXIT_USAGE;
}
