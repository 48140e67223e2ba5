/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console backends shared by every character device (uart-16550, pl011, virtio-console):
 * "stdio" (raw terminal, restored on exit; Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A),
 * "file:PATH" (PATH created or truncated, output only), "none" (output discarded).
 *
 * Output never blocks the caller (a vCPU thread): bytes go into a bounded buffer drained by
 * the I/O thread; when it is full, bytes are dropped and counted. Input is read on the I/O
 * thread and offered to the device's input callback under the device's lock.
 *
 * On a deterministic loop (the device test harness, see loop.h) "stdio" and "file:PATH"
 * consoles become memory consoles: output is captured for console_captured(), and input comes
 * only from console_inject(), offered on the caller's thread. "none" stays none.
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
/* Name the console's owner (e.g. the device label) for the message a second stdio user gets. */
void console_set_owner(struct console *console, const char *owner);
void console_write(struct console *console, const uint8_t *buf, size_t len);
void console_accept(struct console *console);
/* Flushes pending output (blocking, main thread only), restores the terminal. */
void console_close(struct console *console);
uint64_t console_dropped(struct console *console);

/* Write out what every console still holds (blocking, at most ~500 ms a console without
 * progress): where a run ends, so vmboard's own messages about the end come after the
 * guest's last output rather than in the middle of it. Any thread. */
void console_flush_all(void);

/* Write what the consoles hold as far as their fds take it now, without waiting and without
 * dropping anything: before one of vmboard's messages (vmb_log_set_before). Any thread. */
void console_flush_pending(void);

/* Restore any terminal put in raw mode; async-signal-safe, for fatal paths and atexit. */
void console_restore_terminal(void);

/* ---- memory consoles (deterministic loops) ---------------------------------------------- */

bool console_is_memory(struct console *console);
/*
 * Queue bytes as if typed and offer the queue to the device now (under its lock: the caller
 * must not hold it). What the device does not take stays queued and is offered again by
 * console_pump() once the device called console_accept(), as the I/O thread would.
 */
void console_inject(struct console *console, const uint8_t *buf, size_t len);
/* Offer queued input again if the device asked for it since the last offer. */
void console_pump(struct console *console);
size_t console_queued_input(struct console *console);
/* Everything written since the last console_clear_captured(). Valid until the next write. */
const uint8_t *console_captured(struct console *console, size_t *len);
void console_clear_captured(struct console *console);

#endif
