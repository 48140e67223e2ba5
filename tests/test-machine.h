/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A machine without KVM for unit tests: a board made from YAML in a temporary directory, the
 * real plugins loaded from $VMBOARD_PLUGIN_PATH, a VM with plain RAM (interrupt lines are
 * recorded, not delivered) and its devices created and reset. Tests reach the devices through
 * the real buses, as a vCPU exit would.
 */
#ifndef TESTS_TEST_MACHINE_H
#define TESTS_TEST_MACHINE_H

#include <check.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ck_assert_contains(haystack, needle)                                                       \
    ck_assert_msg((haystack) && strstr((haystack), (needle)), "'%s' not found in '%s'", (needle),  \
                  (haystack) ? (haystack) : "(null)")

struct board;
struct plugin_registry;
struct vm;

/* What the machines of one test program look like. */
struct test_machine_config {
    /* The board YAML before "devices:" (name, arch, cpus, memory, boot). The directory holds
     * kernel.bin (one hlt) for boot.kernel to name. */
    const char *board;
    /* Plugin types that must have loaded, NULL-terminated: a plugin missing from the build
     * fails with the loader's first error rather than as a puzzling board error. */
    const char *const *types;
    /* Timers run only when the test calls loop_advance. */
    bool deterministic;
    /* Start the loop's I/O thread once the devices exist (irqfds, console input). */
    bool io_thread;
};

struct test_machine {
    const struct test_machine_config *config;
    char *dir; /* temporary: board, kernel, images, console files */
    struct plugin_registry *registry;
    struct board *board;
    struct vm *vm;
};

/* The plugins of $VMBOARD_PLUGIN_PATH; `types` (NULL-terminated) must be among them. */
struct plugin_registry *test_plugins_load(const char *const *types);

struct test_machine *machine_new(const struct test_machine_config *config);
/* Board with the given device entries (YAML list items), VM, devices created and reset.
 * Returns the device creation error text (g_free it) or NULL; on error machine_stop (or
 * machine_free) cleans up before another try. */
char *machine_try_start(struct test_machine *m, const char *devices_yaml);
void machine_start(struct test_machine *m, const char *devices_yaml);
/* The start must fail with an error that contains every one of the NULL-terminated texts;
 * the machine is stopped again. */
void machine_start_fails(struct test_machine *m, const char *devices_yaml,
                         ...) G_GNUC_NULL_TERMINATED;
void machine_start_io_thread(struct test_machine *m);
/* Destroy the VM (consoles flush their output here) and the board; the machine can start
 * again. */
void machine_stop(struct test_machine *m);
void machine_free(struct test_machine *m);
char *machine_path(struct test_machine *m, const char *name); /* g_free */

/* Port I/O through the real bus. */
uint8_t in8(struct test_machine *m, uint16_t port);
void out8(struct test_machine *m, uint16_t port, uint8_t value);

/* Remove a directory and the files in it (no subdirectories). */
void remove_tree(const char *dir);

/* A test that cannot run skips, unless CI=true, where a skip is a failure. */
bool ci_is_true(void);

/* Run the suite, print Check's summary; EXIT_SUCCESS or EXIT_FAILURE for main. */
int run_suite(Suite *suite);

#endif
