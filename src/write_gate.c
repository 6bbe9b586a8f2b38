/*-------------------------------------------------------------------------
 *
 * write_gate.c
 *		Commit-time lease check.
 *
 * The worker fences a primary that cannot renew its lease: at 80% of ttl
 * it shuts PostgreSQL down (keeper.c, actions.c).  That needs a worker that
 * runs.  A worker stopped by SIGSTOP, starved of CPU, or a whole instance
 * frozen and thawed after another node was promoted (a paused VM, the
 * "zombie leader") would leave backends committing on a primary that no
 * longer holds the lease: split brain until the worker runs again.
 *
 * So the worker publishes the fence deadline in shared memory, and every
 * backend checks it just before a transaction that wrote something
 * commits (XACT_EVENT_PRE_COMMIT, where an ERROR still rolls back).  Past
 * the deadline the commit fails; reads keep working.  The check costs one
 * clock_gettime() and one atomic read per writing commit, no lock.
 *
 * After a crash restart (a backend died on a signal, the worker was
 * killed), which starts shared memory afresh, the gate is closed until
 * the new worker proves a renewal: a primary that may have been cut off
 * before the crash does not get a fresh window from it.  A worker that
 * reaches etcd re-attaches to its lease within its first iteration.
 *
 * The deadline is on pgha's clock (common/clock.h), which is system-wide,
 * so the worker and the backends compare the same clock.  Not covered:
 * COMMIT PREPARED (its commit record is written before any callback
 * runs).  What the check cannot cover either:
 * a backend frozen after the check and before its commit record is
 * flushed acknowledges that one commit when it thaws (a window of one WAL
 * flush per session; synchronous_mode closes it, since the standbys follow
 * the new leader and never confirm it).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/write_gate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "port/atomics.h"

#include "common/clock.h"
#include "shmem.h"
#include "write_gate.h"

static bool exempt = false;

static void
write_gate_callback(XactEvent event, void *arg)
{
	uint64		deadline;
	int64		now;

	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE)
		return;
	if (exempt || pgha_shared == NULL)
		return;
	/* only a transaction that wrote something has an xid */
	if (!TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return;
	deadline = pg_atomic_read_u64(&pgha_shared->write_deadline_ms);
	if (deadline == 0)
		return;
	if (deadline == PGHA_GATE_UNPROVEN)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("pgha: this primary has not proven that it holds the leader lease"),
				 errdetail("The server restarted after a crash and the pgha worker has not renewed the leader lease in etcd since; the transaction was rolled back."),
				 errhint("Check the server log for the pgha worker and that etcd is reachable (pgha.etcd_hosts).")));
	now = pgha_now_us() / 1000;
	if (now < (int64) deadline)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
			 errmsg("pgha: the leader lease of this primary may have expired"),
			 errdetail("The fence deadline passed %lld ms ago; another node may already have been promoted. The transaction was rolled back.",
					   (long long) (now - (int64) deadline)),
			 errhint("Reconnect: a connection string with target_session_attrs=read-write finds the current primary.")));
}

void
pgha_write_gate_init(void)
{
	RegisterXactCallback(write_gate_callback, NULL);
}

void
pgha_write_gate_set(int64 deadline_ms)
{
	if (pgha_shared != NULL)
		pg_atomic_write_u64(&pgha_shared->write_deadline_ms, (uint64) Max(deadline_ms, 0));
}

void
pgha_write_gate_exempt(void)
{
	exempt = true;
}
