/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The I/O thread: a GMainContext running fd watches and timers for plugins and the console
 * backends. Nothing here runs on vCPU threads.
 *
 * A loop can instead be deterministic (the device test harness): it never gets a thread, its
 * clock is virtual and moves only in loop_advance(), which runs due timers and ready sources
 * on the caller's thread, and consoles opened on it keep their bytes in memory (console.h).
 */
#ifndef VMBOARD_LOOP_H
#define VMBOARD_LOOP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;
struct loop_watch;

typedef void (*loop_timer_fn)(void *opaque);
typedef void (*loop_watch_fn)(void *opaque, int fd, unsigned events); /* events: G_IO_IN... */

struct loop *loop_new(void);
void loop_free(struct loop *loop); /* stops the thread first */
/* Spawns the I/O thread; refused on a deterministic loop. */
bool loop_start(struct loop *loop, GError **error);
void loop_stop(struct loop *loop);
GMainContext *loop_context(struct loop *loop);
/* Run `fn(opaque)` on the I/O thread soon. Safe from any thread. */
void loop_call(struct loop *loop, void (*fn)(void *), void *opaque);

/* `lock`, when not NULL, is held around the callback (device serialisation). */
struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *opaque,
                                  GMutex *lock);
void loop_timer_arm(struct loop_timer *timer, uint64_t delay_ns);
void loop_timer_cancel(struct loop_timer *timer);
void loop_timer_free(struct loop_timer *timer);
/* Monotonic ns: CLOCK_MONOTONIC, or the virtual clock of a deterministic loop. */
uint64_t loop_clock_ns(struct loop *loop);

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, unsigned events, loop_watch_fn fn,
                                 void *opaque, GMutex *lock);
void loop_unwatch(struct loop_watch *watch);

/* Make a new loop deterministic, before anything is attached to it. Its clock starts at 0. */
void loop_set_deterministic(struct loop *loop);
bool loop_is_deterministic(struct loop *loop);
/*
 * Deterministic loops only, called from the one thread driving the machine: dispatch whatever
 * is ready (fd watches, loop_call), then run every timer due within `ns` from now in deadline
 * order (ties in arming order), with the clock set to each timer's deadline while its callback
 * runs, so timers re-armed by a callback fire again inside the same advance. The clock ends at
 * now + ns. Returns false (after logging) if timers kept re-arming themselves without time
 * passing, which would otherwise never end.
 */
bool loop_advance(struct loop *loop, uint64_t ns);
/* Dispatch the sources that are ready now, without waiting (deterministic loops). */
void loop_dispatch_ready(struct loop *loop);

#endif
