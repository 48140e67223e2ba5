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

/* Every thread that reads bus tables registers once (vCPU threads, the I/O thread). Threads
 * that never registered are treated as always inside a read section if they call read_lock. */
void rcu_register_thread(void);
void rcu_unregister_thread(void);
void rcu_read_lock(void);
void rcu_read_unlock(void);
/* Wait for a grace period. Must not be called inside a read section. */
void rcu_synchronize(void);

#endif
