/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "loop.h"

#include <glib-unix.h>
#include <time.h>

#include "rcu.h"

struct loop {
    GMainContext *context;
    GMainLoop *main_loop;
    GThread *thread;
};

/* The timer is its GSource, so GLib's reference held during dispatch keeps it alive even when
 * the device frees it meanwhile from another thread. */
struct loop_timer {
    GSource source;
    loop_timer_fn fn;
    void *opaque;
    GMutex *lock;
};

struct loop_watch {
    GSource *source;
    loop_watch_fn fn;
    void *opaque;
    GMutex *lock;
};

struct loop *loop_new(void)
{
    struct loop *loop = g_new0(struct loop, 1);
    loop->context = g_main_context_new();
    loop->main_loop = g_main_loop_new(loop->context, FALSE);
    return loop;
}

static gpointer loop_thread(gpointer data)
{
    struct loop *loop = data;

    rcu_register_thread();
    g_main_context_push_thread_default(loop->context);
    g_main_loop_run(loop->main_loop);
    g_main_context_pop_thread_default(loop->context);
    rcu_unregister_thread();
    return NULL;
}

bool loop_start(struct loop *loop, GError **error)
{
    if (loop->thread)
        return true;
    loop->thread = g_thread_try_new("vmboard-io", loop_thread, loop, error);
    return loop->thread != NULL;
}

static gboolean quit_cb(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void loop_stop(struct loop *loop)
{
    if (!loop || !loop->thread)
        return;
    /* Quit from inside the loop so a dispatch in progress completes first. */
    GSource *source = g_idle_source_new();
    g_source_set_callback(source, quit_cb, loop->main_loop, NULL);
    g_source_attach(source, loop->context);
    g_source_unref(source);
    g_thread_join(loop->thread);
    loop->thread = NULL;
}

void loop_free(struct loop *loop)
{
    if (!loop)
        return;
    loop_stop(loop);
    g_main_loop_unref(loop->main_loop);
    g_main_context_unref(loop->context);
    g_free(loop);
}

GMainContext *loop_context(struct loop *loop)
{
    return loop->context;
}

struct call {
    void (*fn)(void *);
    void *opaque;
};

static gboolean call_cb(gpointer data)
{
    struct call *call = data;
    call->fn(call->opaque);
    return G_SOURCE_REMOVE;
}

void loop_call(struct loop *loop, void (*fn)(void *), void *opaque)
{
    struct call *call = g_new(struct call, 1);
    call->fn = fn;
    call->opaque = opaque;
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, call_cb, call, g_free);
    g_source_attach(source, loop->context);
    g_source_unref(source);
}

uint64_t loop_clock_ns(struct loop *loop)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Timers are GSources driven by their ready time (GLib's monotonic clock, in µs). */
static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    struct loop_timer *timer = (struct loop_timer *)source;

    g_source_set_ready_time(source, -1);
    if (timer->lock)
        g_mutex_lock(timer->lock);
    /* Freed while we waited for the device lock: the device no longer expects the call. */
    if (!g_source_is_destroyed(source))
        timer->fn(timer->opaque);
    if (timer->lock)
        g_mutex_unlock(timer->lock);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
    .dispatch = timer_dispatch,
};

struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *opaque,
                                  GMutex *lock)
{
    struct loop_timer *timer =
        (struct loop_timer *)g_source_new(&timer_funcs, sizeof(struct loop_timer));
    timer->fn = fn;
    timer->opaque = opaque;
    timer->lock = lock;
    g_source_set_ready_time(&timer->source, -1);
    g_source_attach(&timer->source, loop->context);
    return timer;
}

void loop_timer_arm(struct loop_timer *timer, uint64_t delay_ns)
{
    uint64_t delay_us = (delay_ns + 999) / 1000;
    g_source_set_ready_time(&timer->source, g_get_monotonic_time() + (gint64)delay_us);
}

void loop_timer_cancel(struct loop_timer *timer)
{
    g_source_set_ready_time(&timer->source, -1);
}

void loop_timer_free(struct loop_timer *timer)
{
    if (!timer)
        return;
    g_source_destroy(&timer->source);
    g_source_unref(&timer->source);
}

static gboolean watch_cb(gint fd, GIOCondition condition, gpointer data)
{
    struct loop_watch *watch = data;

    if (watch->lock)
        g_mutex_lock(watch->lock);
    if (!g_source_is_destroyed(watch->source))
        watch->fn(watch->opaque, fd, condition);
    if (watch->lock)
        g_mutex_unlock(watch->lock);
    return G_SOURCE_CONTINUE;
}

struct loop_watch *loop_watch_fd(struct loop *loop, int fd, unsigned events, loop_watch_fn fn,
                                 void *opaque, GMutex *lock)
{
    struct loop_watch *watch = g_new0(struct loop_watch, 1);
    watch->fn = fn;
    watch->opaque = opaque;
    watch->lock = lock;
    watch->source = g_unix_fd_source_new(fd, (GIOCondition)events);
    /* The watch struct is freed with the source, after any dispatch in progress. */
    g_source_set_callback(watch->source, (GSourceFunc)(void (*)(void))watch_cb, watch, g_free);
    g_source_attach(watch->source, loop->context);
    return watch;
}

void loop_unwatch(struct loop_watch *watch)
{
    if (!watch)
        return;
    g_source_destroy(watch->source);
    g_source_unref(watch->source);
}
