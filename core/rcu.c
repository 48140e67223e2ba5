/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Epoch-based grace periods.
 *
 * A global epoch grows by one at the start of each grace period. Each reader thread shows, in
 * its own record, the epoch it read when it entered its outermost read section, or 0 while it
 * is outside. A grace period that started at epoch E is over once every reader shows 0 or a
 * value >= E: whoever shows less entered before the old pointer was unpublished and may still
 * hold it.
 *
 * Ordering (a Dekker pair): a reader stores its epoch, then a full fence, then loads the
 * protected pointer; a writer stores the new pointer, then a full fence, then loads the
 * readers' epochs. Either the writer sees the reader inside, or the reader sees the new pointer.
 */
#include "config.h"

#include "rcu.h"

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>

struct rcu_reader {
    _Atomic uint64_t epoch; /* 0 outside a read section */
    unsigned nesting;       /* touched by the owner thread only */
    struct rcu_reader *next;
    /* Every section entry writes `epoch`: keep other threads' records off its cache line. */
    char padding[64];
};

static _Atomic uint64_t rcu_epoch = 1;
/* Protects the reader list; never held while waiting for a reader. */
static GMutex rcu_registry_lock;
static struct rcu_reader *rcu_readers;
static __thread struct rcu_reader *rcu_self;
/* Only for its destructor, which unregisters a thread when it exits. */
static pthread_key_t rcu_exit_key;
static bool rcu_exit_key_ready;
static pthread_once_t rcu_exit_key_once = PTHREAD_ONCE_INIT;

static void rcu_reader_remove(struct rcu_reader *reader)
{
    g_mutex_lock(&rcu_registry_lock);
    for (struct rcu_reader **link = &rcu_readers; *link; link = &(*link)->next) {
        if (*link == reader) {
            *link = reader->next;
            break;
        }
    }
    g_mutex_unlock(&rcu_registry_lock);
    g_free(reader);
}

static void rcu_thread_exit(void *data)
{
    rcu_self = NULL;
    rcu_reader_remove(data);
}

static void rcu_exit_key_create(void)
{
    /* Without the key (out of keys), exiting threads merely leave their record behind. */
    rcu_exit_key_ready = pthread_key_create(&rcu_exit_key, rcu_thread_exit) == 0;
}

void rcu_register_thread(void)
{
    if (rcu_self)
        return;
    pthread_once(&rcu_exit_key_once, rcu_exit_key_create);

    struct rcu_reader *reader = g_new0(struct rcu_reader, 1);
    g_mutex_lock(&rcu_registry_lock);
    reader->next = rcu_readers;
    rcu_readers = reader;
    g_mutex_unlock(&rcu_registry_lock);
    rcu_self = reader;
    if (rcu_exit_key_ready)
        pthread_setspecific(rcu_exit_key, reader);
}

void rcu_unregister_thread(void)
{
    struct rcu_reader *reader = rcu_self;

    if (!reader)
        return;
    g_warn_if_fail(reader->nesting == 0);
    if (rcu_exit_key_ready)
        pthread_setspecific(rcu_exit_key, NULL);
    rcu_self = NULL;
    rcu_reader_remove(reader);
}

void rcu_read_lock(void)
{
    struct rcu_reader *reader = rcu_self;

    if (G_UNLIKELY(!reader)) {
        rcu_register_thread();
        reader = rcu_self;
    }
    if (reader->nesting++ == 0) {
        uint64_t epoch = atomic_load_explicit(&rcu_epoch, memory_order_relaxed);
        atomic_store_explicit(&reader->epoch, epoch, memory_order_relaxed);
        /* The store above must be visible before we load any protected pointer. */
        atomic_thread_fence(memory_order_seq_cst);
    }
}

void rcu_read_unlock(void)
{
    struct rcu_reader *reader = rcu_self;

    g_return_if_fail(reader && reader->nesting > 0);
    /* Release: our reads of the old data complete before a writer may see us outside. */
    if (--reader->nesting == 0)
        atomic_store_explicit(&reader->epoch, 0, memory_order_release);
}

bool rcu_in_read_section(void)
{
    return rcu_self && rcu_self->nesting > 0;
}

uint64_t rcu_grace_period_start(void)
{
    /* Orders the caller's unpublishing store before the epoch loads of the later checks. */
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_fetch_add_explicit(&rcu_epoch, 1, memory_order_seq_cst) + 1;
}

static bool rcu_reader_passed(struct rcu_reader *reader, uint64_t cookie)
{
    uint64_t epoch = atomic_load_explicit(&reader->epoch, memory_order_acquire);

    return epoch == 0 || epoch >= cookie;
}

bool rcu_grace_period_done(uint64_t cookie)
{
    bool done = true;

    g_mutex_lock(&rcu_registry_lock);
    for (struct rcu_reader *reader = rcu_readers; reader && done; reader = reader->next)
        done = rcu_reader_passed(reader, cookie);
    g_mutex_unlock(&rcu_registry_lock);
    return done;
}

void rcu_synchronize(void)
{
    /* Waiting for ourselves would never end; callers check rcu_in_read_section() first. */
    g_return_if_fail(!rcu_in_read_section());

    uint64_t cookie = rcu_grace_period_start();
    /* No lock is held between polls: a reader may need the registry (to register, or to
     * poll a grace period of its own from a device handler) before it can leave. Read
     * sections last one device access, so yield first, then sleep a little longer. */
    for (unsigned attempt = 0; !rcu_grace_period_done(cookie); attempt++) {
        if (attempt < 16)
            g_thread_yield();
        else
            g_usleep(attempt < 64 ? 20 : 500);
    }
}
