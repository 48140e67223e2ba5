/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The I/O thread: a GMainContext running fd watches and timers for plugins and the console
 * backends. Nothing here runs on vCPU threads.
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
bool loop_start(struct loop *loop, GError **error); /* spawns the I/O thread */
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
uint64_t loop_clock_ns(struct loop *loop);

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, unsigned events, loop_watch_fn fn,
                                 void *opaque, GMutex *lock);
void loop_unwatch(struct loop_watch *watch);

#endif
