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
 * At every start of the server, clean or after a crash (a backend died
 * on a signal, the worker was killed), the gate is closed until the
 * worker proves that this node holds the leader key: a former primary
 * started by hand while another node leads, or one that may have been cut
 * off before a crash, never accepts a write the cluster will throw away.
 * Patroni gets the same by starting PostgreSQL as a standby until it holds
 * the leader lock.  A worker that reaches etcd claims or re-attaches to
 * the key within its first iteration (about 0.1 s here), so a commit that
 * finds the gate still unproven waits for the proof, up to
 * GATE_UNPROVEN_WAIT_MS, before it fails: "pg_ctl start; psql -c INSERT"
 * works as before, and pg_regress's CREATE DATABASE right after the start.
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
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "common/clock.h"
#include "shmem.h"
#include "write_gate.h"

static bool exempt = false;

/*
 * How long a commit waits for a worker that has not proven the lease yet.
 * Long enough for a first iteration that tries every etcd endpoint once on
 * a busy machine; short enough that a client is not held for a ttl when
 * etcd is down (it gets the error, and a retry waits again).
 */
#define GATE_UNPROVEN_WAIT_MS	5000
#define GATE_POLL_MS			10

/* the gate's value once the worker proved the lease, or after the wait */
static uint64
wait_while_unproven(void)
{
	int64		until = pgha_now_us() / 1000 + GATE_UNPROVEN_WAIT_MS;
	uint64		deadline;

	while ((deadline = pg_atomic_read_u64(&pgha_shared->write_deadline_ms)) == PGHA_GATE_UNPROVEN &&
		   pgha_now_us() / 1000 < until)
	{
		/* a cancel or a terminate ends the wait (and rolls back) */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 GATE_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return deadline;
}

static void
write_gate_callback(XactEvent event, void *arg)
{
	uint64		deadline;
	int64		now;

	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE)
		return;
	/* single-user mode (emergency repairs) runs no worker: no gate */
	if (exempt || pgha_shared == NULL || !IsUnderPostmaster)
		return;
	/* only a transaction that wrote something has an xid */
	if (!TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return;
	deadline = pg_atomic_read_u64(&pgha_shared->write_deadline_ms);
	if (deadline == PGHA_GATE_UNPROVEN)
		deadline = wait_while_unproven();
	if (deadline == 0)
		return;
	if (deadline == PGHA_GATE_UNPROVEN)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("pgha: this primary has not proven that it holds the leader lease"),
				 errdetail("The pgha worker has not claimed or renewed the leader key in etcd since the server started (waited %d ms); the transaction was rolled back.",
						   GATE_UNPROVEN_WAIT_MS),
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
