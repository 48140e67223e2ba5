/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console backends shared by every character device (uart-16550, pl011, virtio-console):
 * "stdio" (raw terminal, restored on exit; Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A),
 * "file:PATH" (output appended to PATH, no input), "none" (output discarded).
 *
 * Output never blocks the caller (a vCPU thread): bytes go into a bounded buffer drained by
 * the I/O thread; when it is full, bytes are dropped and counted. Input is read on the I/O
 * thread and offered to the device's input callback under the device's lock.
 */
#ifndef VMBOARD_CONSOLE_H
#define VMBOARD_CONSOLE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct console;

typedef size_t (*console_input_fn)(void *opaque, const uint8_t *buf, size_t len);

/* Check a spec's syntax without opening anything (for `vmboard check`). */
bool console_spec_valid(const char *spec, GError **error);

/* Only one console may own stdio at a time; a second gets an error. `quit` is called on the
 * I/O thread when the user types Ctrl-A x. `lock` is held around `input`. */
struct console *console_open(struct loop *loop, const char *spec, console_input_fn input,
                             void *opaque, GMutex *lock, void (*quit)(void *), void *quit_opaque,
                             GError **error);
void console_write(struct console *console, const uint8_t *buf, size_t len);
void console_accept(struct console *console);
/* Flushes pending output (blocking, main thread only), restores the terminal. */
void console_close(struct console *console);
uint64_t console_dropped(struct console *console);

/* Restore any terminal put in raw mode; async-signal-safe, for fatal paths and atexit. */
void console_restore_terminal(void);

#endif
