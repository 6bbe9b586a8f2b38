/*-------------------------------------------------------------------------
 *
 * write_gate.c
 *		Commit-time lease check.
 *
 * The worker fences a primary that cannot renew its lease: at 80% of ttl
 * it shuts PostgreSQL down (keeper/act.c, actions.c).  That needs a worker that
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
 * The deadline is on pgha's clock (shared/clock.h), which is system-wide,
 * so the worker and the backends compare the same clock.
 *
 * PRE_COMMIT alone misses commits: a NOTIFY-only
 * transaction gets its xid after the callbacks ran (PreCommit_Notify),
 * COMMIT PREPARED writes its commit record without a PRE_COMMIT, and a
 * backend that passed the check and then stalled (a frozen instance, a
 * slow WAL flush, a synchronous wait cancelled or released late) finished
 * its commit past the deadline and would tell its client.  So:
 *	- NOTIFY and COMMIT PREPARED are checked before they run (a
 *	  ProcessUtility hook);
 *	- after the commit record is flushed (XACT_EVENT_COMMIT, before the
 *	  client hears of it), the deadline is read again.  Past it, nothing
 *	  may be undone (an ERROR or FATAL there would try to abort a committed
 *	  transaction: PANIC), so the backend shuts its client socket down and
 *	  lets the commit finish: the client sees its connection end, an
 *	  unknown outcome like a crash's, never a success.  The transaction
 *	  is committed on a primary about to be fenced; a standby that had it
 *	  keeps it, otherwise it goes with the fork, as any commit in flight
 *	  at a crash does.
 * What remains: a backend frozen between that second check and sending
 * its reply (a few instructions, no I/O) acknowledges on thaw.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/write_gate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "port/atomics.h"
#include "storage/latch.h"
#include "tcop/utility.h"
#include "utils/wait_event.h"

#include "shared/clock.h"
#include "shmem.h"
#include "write_gate.h"

static bool exempt = false;
static ProcessUtility_hook_type prev_utility = NULL;

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

/* the gate applies to this backend at all */
static bool
gated(void)
{
	/* single-user mode (emergency repairs) runs no worker: no gate */
	return !exempt && pgha_shared != NULL && IsUnderPostmaster;
}

/* this transaction COMMIT PREPAREs: re-check after its commit record */
static bool commit_prepared = false;

/*
 * Refuse a commit past the fence deadline (ERROR: the caller rolls back,
 * or, before COMMIT PREPARED and NOTIFY, does nothing).
 */
static void
check_gate(void)
{
	uint64		deadline;
	int64		now;

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

/*
 * After the commit record: the gate closed or its deadline passed while
 * this commit was on its way.  Nothing can be undone; the client must not
 * hear of it.  Shutting the socket down makes every later send fail, which
 * ends the session (FATAL "connection to client lost") once the commit is
 * complete.
 */
static void
check_after_commit(void)
{
	uint64		deadline = pg_atomic_read_u64(&pgha_shared->write_deadline_ms);

	/* autovacuum and background workers have no client to keep it from */
	if (MyProcPort == NULL || deadline == 0 ||
		(deadline != PGHA_GATE_UNPROVEN && pgha_now_us() / 1000 < (int64) deadline))
		return;
	ereport(LOG_SERVER_ONLY,
			(errmsg("pgha: a commit completed after the leader lease of this primary may have expired; ending the connection"),
			 errdetail("The client is not told that the transaction committed: its outcome is unknown to it, as after a crash.")));
	if (MyProcPort->sock != PGINVALID_SOCKET)
		(void) shutdown(MyProcPort->sock, SHUT_RDWR);
	ClientConnectionLost = 1;
	InterruptPending = 1;
}

static void
write_gate_callback(XactEvent event, void *arg)
{
	bool		recheck;

	if (event == XACT_EVENT_ABORT)
		commit_prepared = false;
	if (!gated())
		return;
	if (event == XACT_EVENT_COMMIT)
	{
		recheck = commit_prepared || TransactionIdIsValid(GetTopTransactionIdIfAny());
		commit_prepared = false;
		if (recheck)
			check_after_commit();
		return;
	}
	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE)
		return;
	/* only a transaction that wrote something has an xid */
	if (!TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return;
	check_gate();
}

/*
 * COMMIT PREPARED writes its commit record with no callback before it;
 * NOTIFY makes its transaction take an xid after PRE_COMMIT.  Both are
 * refused up front (pg_notify(), a function, is caught after its commit).
 */
static void
write_gate_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				   ProcessUtilityContext context, ParamListInfo params,
				   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;

	/* a standby refuses both itself, at once */
	if (gated() && !RecoveryInProgress() &&
		(IsA(stmt, NotifyStmt) ||
		 (IsA(stmt, TransactionStmt) &&
		  ((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED)))
	{
		check_gate();
		if (IsA(stmt, TransactionStmt))
			commit_prepared = true;
	}
	if (prev_utility)
		prev_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
pgha_write_gate_init(void)
{
	RegisterXactCallback(write_gate_callback, NULL);
	prev_utility = ProcessUtility_hook;
	ProcessUtility_hook = write_gate_utility;
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
