/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmboard-devtest: run device test scripts. Uses nothing but the public <vmboard/devtest.h>. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmboard/devtest.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vmboard-devtest [OPTION...] SCRIPT...\n"
            "\n"
            "Test device plugins without a VM: each SCRIPT instantiates device types from\n"
            "plugins, then reads and writes their registers, types at their consoles, moves a\n"
            "virtual clock and checks interrupt lines, console output and guest memory.\n"
            "The script language is described in docs/plugin-guide.md.\n"
            "\n"
            "Options:\n"
            "  -P, --plugin-path DIRS  colon-separated plugin directories, searched before\n"
            "                          $VMBOARD_PLUGIN_PATH and the installed plugins\n"
            "  -p, --plugin FILE       load this plugin for every script (repeatable)\n"
            "  -v, --verbose           print each command, and values read, as it runs\n"
            "  -h, --help              show this help\n"
            "  -V, --version           show the version and the plugin ABI version\n"
            "\n"
            "Exit status: 0 when every script passed, 1 when a device did not behave as a\n"
            "script expected, 2 for usage errors and scripts that cannot be run as written.\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"plugin-path", required_argument, NULL, 'P'}, {"plugin", required_argument, NULL, 'p'},
        {"verbose", no_argument, NULL, 'v'},           {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},           {NULL, 0, NULL, 0},
    };
    const char *plugin_path = NULL;
    const char **plugins = calloc((size_t)argc, sizeof(*plugins));
    size_t plugin_count = 0;
    int verbose = 0;
    int opt;

    if (!plugins)
        return VMB_DEVTEST_SCRIPT_ERROR;
    while ((opt = getopt_long(argc, argv, "P:p:vhV", options, NULL)) != -1) {
        switch (opt) {
        case 'P':
            plugin_path = optarg;
            break;
        case 'p':
            plugins[plugin_count++] = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            free(plugins);
            return 0;
        case 'V':
            printf("vmboard-devtest %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, VMB_ABI_MAJOR,
                   VMB_ABI_MINOR);
            free(plugins);
            return 0;
        default:
            fprintf(stderr, "vmboard-devtest: see --help\n");
            free(plugins);
            return VMB_DEVTEST_SCRIPT_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vmboard-devtest: expected at least one script (see --help)\n");
        free(plugins);
        return VMB_DEVTEST_SCRIPT_ERROR;
    }

    int worst = VMB_DEVTEST_PASS;
    int passed = 0, failed = 0;
    for (int i = optind; i < argc; i++) {
        const char *script = argv[i];
        struct vmb_devtest *test = vmb_devtest_new();
        int status = VMB_DEVTEST_PASS;

        vmb_devtest_set_verbose(test, verbose);
        if (plugin_path)
            vmb_devtest_add_plugin_dirs(test, plugin_path);
        for (size_t p = 0; p < plugin_count && status == VMB_DEVTEST_PASS; p++) {
            if (vmb_devtest_load_plugin(test, plugins[p]) < 0) {
                fprintf(stderr, "vmboard-devtest: %s\n", vmb_devtest_error(test));
                status = VMB_DEVTEST_FAIL;
            }
        }
        if (status == VMB_DEVTEST_PASS)
            status = vmb_devtest_run_script(test, script);
        vmb_devtest_free(test);

        printf("%s: %s\n", status == VMB_DEVTEST_PASS ? "PASS" : "FAIL", script);
        fflush(stdout);
        if (status == VMB_DEVTEST_PASS)
            passed++;
        else
            failed++;
        if (status > worst)
            worst = status;
    }
    if (argc - optind > 1)
        printf("%d passed, %d failed\n", passed, failed);
    free(plugins);
    return worst;
}
