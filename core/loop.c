/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "loop.h"

#include <glib-unix.h>
#include <time.h>

#include "rcu.h"
#include "util.h"

/* A callback re-arming its timer for "now" forever would make loop_advance spin; this many
 * callbacks at one virtual instant is taken as that bug. */
#define LOOP_MAX_CALLBACKS_PER_INSTANT 100000
/* Rounds of loop_dispatch_ready: enough for chains of loop_call, bounded against an fd that
 * stays ready forever. */
#define LOOP_MAX_DISPATCH_ROUNDS 64

struct loop {
    GMainContext *context;
    GMainLoop *main_loop;
    GThread *thread;

    /* Deterministic mode: virtual time and the timers armed on it, under virtual_lock. */
    bool deterministic;
    GMutex virtual_lock;
    uint64_t virtual_now_ns;
    uint64_t arm_sequence;
    GPtrArray *virtual_timers; /* struct loop_timer *, not referenced: removed when freed */
};

/* The timer is its GSource, so GLib's reference held during dispatch keeps it alive even when
 * the device frees it meanwhile from another thread. */
struct loop_timer {
    GSource source;
    loop_timer_fn fn;
    void *opaque;
    GMutex *lock;
    struct loop *loop;
    /* Deterministic mode only, under loop->virtual_lock. */
    bool armed;
    uint64_t deadline_ns;
    uint64_t sequence;
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
    g_mutex_init(&loop->virtual_lock);
    loop->virtual_timers = g_ptr_array_new();
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
    if (loop->deterministic) {
        g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED,
                    "a deterministic loop has no I/O thread: drive it with loop_advance()");
        return false;
    }
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
    /* Above every other source: an fd that stays ready (a closed stdout pipe) must not starve
     * the quit request. */
    g_source_set_priority(source, G_PRIORITY_HIGH);
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
    g_ptr_array_unref(loop->virtual_timers);
    g_mutex_clear(&loop->virtual_lock);
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
    if (loop && loop->deterministic) {
        g_mutex_lock(&loop->virtual_lock);
        uint64_t now = loop->virtual_now_ns;
        g_mutex_unlock(&loop->virtual_lock);
        return now;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Timers are GSources driven by their ready time (GLib's monotonic clock, in µs). */
static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    struct loop_timer *timer = (struct loop_timer *)source;

    g_source_set_ready_time(source, -1);
    /* A read section around device callbacks: a device that unmaps a region from here must
     * not wait for a vCPU that is itself waiting for this device's lock (see bus_unmap). */
    rcu_read_lock();
    if (timer->lock)
        g_mutex_lock(timer->lock);
    /* Freed while we waited for the device lock: the device no longer expects the call. */
    if (!g_source_is_destroyed(source))
        timer->fn(timer->opaque);
    if (timer->lock)
        g_mutex_unlock(timer->lock);
    rcu_read_unlock();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
    .dispatch = timer_dispatch,
};

struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *opaque, GMutex *lock)
{
    struct loop_timer *timer =
        (struct loop_timer *)g_source_new(&timer_funcs, sizeof(struct loop_timer));
    timer->fn = fn;
    timer->opaque = opaque;
    timer->lock = lock;
    timer->loop = loop;
    /* On a deterministic loop the source never becomes ready: loop_advance runs the timer.
     * It is still attached, so freeing works the same way in both modes. */
    g_source_set_ready_time(&timer->source, -1);
    g_source_attach(&timer->source, loop->context);
    if (loop->deterministic) {
        g_mutex_lock(&loop->virtual_lock);
        g_ptr_array_add(loop->virtual_timers, timer);
        g_mutex_unlock(&loop->virtual_lock);
    }
    return timer;
}

void loop_timer_arm(struct loop_timer *timer, uint64_t delay_ns)
{
    struct loop *loop = timer->loop;

    if (loop->deterministic) {
        g_mutex_lock(&loop->virtual_lock);
        timer->armed = true;
        timer->deadline_ns =
            loop->virtual_now_ns + MIN(delay_ns, UINT64_MAX - loop->virtual_now_ns);
        timer->sequence = ++loop->arm_sequence;
        g_mutex_unlock(&loop->virtual_lock);
        return;
    }
    uint64_t delay_us = MIN(delay_ns / 1000 + (delay_ns % 1000 != 0), (uint64_t)G_MAXINT64 / 2);
    g_source_set_ready_time(&timer->source, g_get_monotonic_time() + (gint64)delay_us);
}

void loop_timer_cancel(struct loop_timer *timer)
{
    struct loop *loop = timer->loop;

    if (loop->deterministic) {
        g_mutex_lock(&loop->virtual_lock);
        timer->armed = false;
        g_mutex_unlock(&loop->virtual_lock);
        return;
    }
    g_source_set_ready_time(&timer->source, -1);
}

void loop_timer_free(struct loop_timer *timer)
{
    if (!timer)
        return;
    struct loop *loop = timer->loop;
    if (loop->deterministic) {
        g_mutex_lock(&loop->virtual_lock);
        g_ptr_array_remove_fast(loop->virtual_timers, timer);
        g_mutex_unlock(&loop->virtual_lock);
    }
    g_source_destroy(&timer->source);
    g_source_unref(&timer->source);
}

static gboolean watch_cb(gint fd, GIOCondition condition, gpointer data)
{
    struct loop_watch *watch = data;

    rcu_read_lock(); /* as in timer_dispatch */
    if (watch->lock)
        g_mutex_lock(watch->lock);
    if (!g_source_is_destroyed(watch->source))
        watch->fn(watch->opaque, fd, condition);
    if (watch->lock)
        g_mutex_unlock(watch->lock);
    rcu_read_unlock();
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
    /* Destroying runs the callback's destroy notify, which frees `watch` (once no dispatch
     * holds it): keep the source pointer. */
    GSource *source = watch->source;
    g_source_destroy(source);
    g_source_unref(source);
}

/* ---- deterministic mode ----------------------------------------------------------------- */

void loop_set_deterministic(struct loop *loop)
{
    g_assert(!loop->thread);
    loop->deterministic = true;
}

bool loop_is_deterministic(struct loop *loop)
{
    return loop && loop->deterministic;
}

void loop_dispatch_ready(struct loop *loop)
{
    if (!loop->deterministic)
        return;
    /* Acquiring makes this thread the context's owner for the dispatch, as the I/O thread is
     * in the normal mode. */
    if (!g_main_context_acquire(loop->context))
        return;
    for (int round = 0; round < LOOP_MAX_DISPATCH_ROUNDS; round++) {
        if (!g_main_context_iteration(loop->context, FALSE))
            break;
    }
    g_main_context_release(loop->context);
}

/* The armed timer due first at or before `limit` (ties: armed first), referenced; or NULL. */
static struct loop_timer *take_due_timer(struct loop *loop, uint64_t limit)
{
    struct loop_timer *first = NULL;

    for (guint i = 0; i < loop->virtual_timers->len; i++) {
        struct loop_timer *timer = loop->virtual_timers->pdata[i];
        if (!timer->armed || timer->deadline_ns > limit)
            continue;
        if (!first || timer->deadline_ns < first->deadline_ns ||
            (timer->deadline_ns == first->deadline_ns && timer->sequence < first->sequence))
            first = timer;
    }
    if (first) {
        first->armed = false;
        if (first->deadline_ns > loop->virtual_now_ns)
            loop->virtual_now_ns = first->deadline_ns;
        g_source_ref(&first->source);
    }
    return first;
}

bool loop_advance(struct loop *loop, uint64_t ns)
{
    g_assert(loop->deterministic);

    loop_dispatch_ready(loop);
    g_mutex_lock(&loop->virtual_lock);
    uint64_t target = loop->virtual_now_ns + MIN(ns, UINT64_MAX - loop->virtual_now_ns);
    uint64_t instant = loop->virtual_now_ns;
    unsigned at_instant = 0;
    for (;;) {
        struct loop_timer *timer = take_due_timer(loop, target);
        if (!timer)
            break;
        if (loop->virtual_now_ns != instant) {
            instant = loop->virtual_now_ns;
            at_instant = 0;
        }
        if (++at_instant > LOOP_MAX_CALLBACKS_PER_INSTANT) {
            g_mutex_unlock(&loop->virtual_lock);
            g_source_unref(&timer->source);
            vmb_log_error("timers fired %d times at virtual time %" G_GUINT64_FORMAT
                          " ns without time passing: a device re-arms a timer with no delay",
                          LOOP_MAX_CALLBACKS_PER_INSTANT, instant);
            return false;
        }
        g_mutex_unlock(&loop->virtual_lock);

        if (timer->lock)
            g_mutex_lock(timer->lock);
        if (!g_source_is_destroyed(&timer->source))
            timer->fn(timer->opaque);
        if (timer->lock)
            g_mutex_unlock(timer->lock);
        g_source_unref(&timer->source);
        loop_dispatch_ready(loop);

        g_mutex_lock(&loop->virtual_lock);
    }
    loop->virtual_now_ns = target;
    g_mutex_unlock(&loop->virtual_lock);
    return true;
}
