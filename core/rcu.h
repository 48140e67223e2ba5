/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quiescent-state based reclamation for the lock-free bus tables.
 *
 * Readers bracket each access with rcu_read_lock/unlock (two relaxed-cost stores, no syscall).
 * A writer publishes a new pointer, then rcu_synchronize() waits until every registered reader
 * has been outside a read section at least once, after which the old table can be freed.
 */
#ifndef VMBOARD_RCU_H
#define VMBOARD_RCU_H

#include <stdbool.h>
#include <stdint.h>

/* Every thread that reads bus tables registers once (vCPU threads, the I/O thread). A thread
 * that did not is registered by its first rcu_read_lock() and unregistered when it exits. */
void rcu_register_thread(void);
void rcu_unregister_thread(void);
void rcu_read_lock(void);
void rcu_read_unlock(void);
/* Wait for a grace period. Must not be called inside a read section. */
void rcu_synchronize(void);

/* True while the calling thread is inside a read section (where it must not wait). */
bool rcu_in_read_section(void);
/*
 * Non-blocking form for writers that cannot wait: start a grace period after unpublishing,
 * keep the returned cookie with the old data, and free it once rcu_grace_period_done(cookie).
 */
uint64_t rcu_grace_period_start(void);
bool rcu_grace_period_done(uint64_t cookie);

#endif
