/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmboard device test harness: drive a device plugin the way a guest would, without KVM.
 *
 * A harness is one machine with plain RAM and no vCPUs. It loads plugins, instantiates device
 * types with properties (validated exactly as `vmboard check` validates a board), and then lets
 * a test read and write the devices' registers through the real buses, type into and read
 * their consoles, move a virtual clock that fires their timers, watch interrupt lines, and
 * look at guest memory. Everything is deterministic: nothing runs unless the test calls in.
 *
 * Installed as <vmboard/devtest.h>; link with `pkg-config --cflags --libs vmboard-devtest`.
 * The library is GPL-2.0-or-later (it contains the vmboard core); plugins under test only
 * include the MIT <vmboard/plugin.h> and do not link against it.
 *
 * Functions returning int return 0 on success and -1 on failure; vmb_devtest_error() then
 * says why. Nothing here prints, exits or aborts, except the script runner, which reports
 * script failures on stderr. Not thread-safe: one thread drives one harness.
 */
#ifndef VMBOARD_DEVTEST_H
#define VMBOARD_DEVTEST_H

#include <stddef.h>
#include <stdint.h>

#include <vmboard/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmb_devtest;

/* What the devices asked the machine to do (host->request_exit / request_reset). */
enum vmb_devtest_stop {
    VMB_DEVTEST_RUNNING = 0,
    VMB_DEVTEST_EXIT = 1, /* status in *status */
    VMB_DEVTEST_RESET = 2,
};

/* Script results, also vmboard-devtest's exit status. */
#define VMB_DEVTEST_PASS         0
#define VMB_DEVTEST_FAIL         1
#define VMB_DEVTEST_SCRIPT_ERROR 2 /* the script itself is wrong or missing */

struct vmb_devtest *vmb_devtest_new(void);
void vmb_devtest_free(struct vmb_devtest *test);
/* Why the last failing call failed; "" when none did. Valid until the next call. */
const char *vmb_devtest_error(const struct vmb_devtest *test);
/* Print each script command (and read values) on stdout as it runs. */
void vmb_devtest_set_verbose(struct vmb_devtest *test, int verbose);

/* ---- the machine, before vmb_devtest_start ---------------------------------------------- */

/* Load one plugin file now. Its types take precedence over the search path's. */
int vmb_devtest_load_plugin(struct vmb_devtest *test, const char *path);
/* Colon-separated directories searched, before $VMBOARD_PLUGIN_PATH and the installed plugin
 * directory, for types no loaded plugin provides. */
int vmb_devtest_add_plugin_dirs(struct vmb_devtest *test, const char *dirs);
/* Guest RAM at address 0 (default 16 MiB; a multiple of 4 KiB) and vCPU count (default 1,
 * what machine_info reports). */
int vmb_devtest_set_memory(struct vmb_devtest *test, uint64_t bytes);
int vmb_devtest_set_cpus(struct vmb_devtest *test, unsigned cpus);
/*
 * Declare a device as a board would: `settings` is a NULL-terminated list of "KEY=VALUE"
 * strings, KEY being mmio, pio, irq or one of the type's properties (NULL for none).
 */
int vmb_devtest_add_device(struct vmb_devtest *test, const char *type, const char *id,
                           const char *const *settings);
/* Take the devices (and memory and cpus) from a board file instead; its boot section is
 * ignored, since nothing boots. */
int vmb_devtest_load_board(struct vmb_devtest *test, const char *path);
/* Validate, then create, realize and reset every device. Fails with the validation errors or
 * the device's own reason, as vmboard run would print them. */
int vmb_devtest_start(struct vmb_devtest *test);
/* Drop the machine and its devices; plugins stay loaded, so a new set can be declared. */
void vmb_devtest_discard(struct vmb_devtest *test);

/* ---- a started machine ------------------------------------------------------------------ */

/* Guest accesses of 1 to 8 bytes, exactly as a vCPU exit would make them. Reads of nothing
 * give all-ones. */
uint64_t vmb_devtest_read(struct vmb_devtest *test, enum vmb_space space, uint64_t address,
                          unsigned size);
void vmb_devtest_write(struct vmb_devtest *test, enum vmb_space space, uint64_t address,
                       uint64_t value, unsigned size);

/* Guest RAM, bounds checked (-1 when any byte is not RAM). */
int vmb_devtest_mem_read(struct vmb_devtest *test, uint64_t address, void *buf, size_t len);
int vmb_devtest_mem_write(struct vmb_devtest *test, uint64_t address, const void *buf, size_t len);

/* The level a device last put on interrupt line `line`, and its rising edges so far. */
int vmb_devtest_irq_level(struct vmb_devtest *test, unsigned line);
uint64_t vmb_devtest_irq_edges(struct vmb_devtest *test, unsigned line);

/*
 * The console of device `id` (its first): bytes typed are offered to the device at once; what
 * it does not take waits until it calls console_accept(). Output is everything written since
 * the last clear. The device's console property must not be "none".
 */
int vmb_devtest_console_input(struct vmb_devtest *test, const char *id, const void *buf,
                              size_t len);
/* Bytes typed that the device has not taken yet, or -1. */
long vmb_devtest_console_queued(struct vmb_devtest *test, const char *id);
/* NULL on error; *len set either way. The bytes stay valid until the device writes again. */
const uint8_t *vmb_devtest_console_output(struct vmb_devtest *test, const char *id, size_t *len);
int vmb_devtest_console_clear(struct vmb_devtest *test, const char *id);

/* Move the virtual clock (host->clock_ns) forward, running the timers that fall due in
 * order. The clock starts at 0. */
int vmb_devtest_advance(struct vmb_devtest *test, uint64_t ns);
uint64_t vmb_devtest_clock_ns(struct vmb_devtest *test);

/* The first exit or reset a device requested since start or the last machine reset. */
enum vmb_devtest_stop vmb_devtest_stop_request(struct vmb_devtest *test, int *status);
/* Machine reset: forget the stop request and call every device's reset. */
int vmb_devtest_reset(struct vmb_devtest *test);

/* ---- scripts ---------------------------------------------------------------------------- */

/*
 * Run a script (docs/plugin-guide.md describes the language) on this harness, which must not
 * have devices yet. Failures are printed on stderr as "FILE:LINE: ..." with expected and
 * actual values. Returns VMB_DEVTEST_PASS, VMB_DEVTEST_FAIL or VMB_DEVTEST_SCRIPT_ERROR.
 */
int vmb_devtest_run_script(struct vmb_devtest *test, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* VMBOARD_DEVTEST_H */
