/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The pgha background worker: registration, signals, the main loop and
 *		its error recovery.
 *
 * Start time: BgWorkerStart_ConsistentState with a database connection.
 * The worker must run on hot standbys too (never RecoveryFinished), and it
 * needs a database connection for ALTER SYSTEM (following a new leader)
 * and for catalog lookups.  The price: a standby that cannot reach a
 * consistent state (or runs with hot_standby = off) has no worker; pghactl
 * covers that case.  bgw_restart_time is 1 s: a leader whose worker is
 * down cannot renew its lease, so it must come back fast.
 *
 * Exit codes are policy: the worker never exits 0 (that unregisters it) and
 * never with 2 or more (that crash-restarts the whole instance).  SIGTERM
 * (shutdown, pg_terminate_backend) ends in FATAL, i.e. exit 1, and the
 * postmaster restarts the worker unless it is shutting down; the leader's
 * worker hands its key over first when the server is shutting down
 * (worker_sigterm).  An ERROR
 * inside an iteration is caught at the iteration boundary as bgwriter.c
 * does, logged as a WARNING, and the loop goes on after a short back-off.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>

#include "access/xact.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "shared/clock.h"
#include "shared/keys.h"
#include "etcd_backend.h"
#include "guc.h"
#include "keeper.h"
#include "local.h"
#include "shmem.h"
#include "actions.h"
#include "worker.h"
#include "write_gate.h"

/* how often the worker talks to etcd while nothing else wakes it */
#define WORKER_LOOP_MS 1000

static PghaEtcd *etcd = NULL;	/* in TopMemoryContext */
static char etcd_config_error[512];
static MemoryContext iteration_cxt = NULL;
static PghaSharedState state;	/* what we publish, kept between iterations */
static char *key_prefix = NULL;

/*
 * SIGTERM.  A worker that does not lead ends at once, as any backend does
 * (die()).  The leader's worker ends its iteration first and then, if the
 * postmaster is shutting down, hands the leader key over before it exits
 * (pgha_keeper_planned_stop).  pgha_keeper_leads() reads one bool, set the
 * moment the key is taken; a stale answer is harmless: the keeper checks
 * again.
 */
static volatile sig_atomic_t stop_pending = false;

static void
worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (!pgha_keeper_leads())
		die(postgres_signal_arg);
	else
	{
		stop_pending = true;
		SetLatch(MyLatch);
	}
	errno = save_errno;
}

/* the leader's SIGTERM: hand over if the server stops (tried once), exit */
static void
worker_stop(void)
{
	static bool tried = false;

	if (!tried && etcd != NULL && pgha_postmaster_stopping())
	{
		tried = true;
		pgha_keeper_planned_stop(etcd);
	}
	ereport(FATAL,
			(errcode(ERRCODE_ADMIN_SHUTDOWN),
			 errmsg("terminating background worker \"%s\" due to administrator command",
					MyBgworkerEntry->bgw_type)));
}

static void
worker_shmem_exit(int code, Datum arg)
{
	if (pgha_shared == NULL)
		return;
	pgha_shared->worker_latch = NULL;
	state.worker_pid = 0;
	state.etcd_reachable = false;
	pgha_shmem_write(&state);
}

void
pgha_worker_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgha");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgha_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgha worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgha");
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}

/*
 * (Re)build the etcd client from the settings; remember why if we cannot.
 * A reload with settings that do not make a client keeps the client it
 * had: without one the keeper would not run at all, and a primary would
 * neither renew nor fence (its gate would still close at the deadline).
 */
static void
rebuild_etcd_client(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	PghaEtcd   *fresh = pgha_etcd_from_settings(etcd_config_error, sizeof(etcd_config_error));

	if (fresh)
	{
		if (etcd)
			pgha_etcd_destroy(etcd);
		etcd = fresh;
		pgha_http_on_pmdeath(etcd->http, PGHA_PMDEATH_REPORT);
		etcd_config_error[0] = '\0';
	}
	else
		ereport(WARNING,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("pgha worker cannot configure its etcd client"),
				 errdetail("%s", etcd_config_error),
				 errhint(etcd ? "The worker keeps the previous settings; fix the pgha.etcd_* settings and reload." :
						 "Fix the pgha.etcd_* settings and reload.")));
	MemoryContextSwitchTo(old);
}

static void
note_etcd_success(void)
{
	bool		was_reachable = state.etcd_reachable;

	state.etcd_reachable = true;
	state.etcd_error[0] = '\0';
	state.etcd_last_contact = GetCurrentTimestamp();
	state.etcd_cluster_id = etcd->last_header.cluster_id;
	strlcpy(state.etcd_endpoint, pgha_etcd_endpoint(etcd), sizeof(state.etcd_endpoint));
	if (!was_reachable)
	{
		PghaEtcdStatus st;

		if (pgha_etcd_status(etcd, pgha_etcd_endpoint(etcd), &st))
			strlcpy(state.etcd_version, st.version, sizeof(state.etcd_version));
		ereport(LOG,
				(errmsg("pgha worker reached etcd at \"%s\"", state.etcd_endpoint),
				 errdetail("etcd version %s, cluster id " UINT64_FORMAT ", member name \"%s\", key prefix \"%s\".",
						   state.etcd_version[0] ? state.etcd_version : "unknown",
						   state.etcd_cluster_id, pgha_node_name(), key_prefix)));
	}
}

static void
note_etcd_failure(const char *msg)
{
	bool		was_reachable = state.etcd_reachable;
	bool		first = (state.iterations == 0);

	state.etcd_reachable = false;
	strlcpy(state.etcd_error, msg, sizeof(state.etcd_error));
	if (was_reachable || first)
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("pgha worker cannot reach etcd"),
				 errdetail("%s", msg),
				 errhint("Check that etcd is running and that pgha.etcd_hosts lists its client URLs.")));
}

/*
 * One iteration: the HA keeper does the work (keeper/iterate.c); here only the
 * reload and the etcd reachability bookkeeping.  Returns the wait in ms.
 * Runs in iteration_cxt; may throw, the caller recovers.
 */
static long
worker_iteration(void)
{
	bool		etcd_ok = false;
	long		wait;

	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		pgha_action_note_reload();
		rebuild_etcd_client();
	}
	if (etcd == NULL)
	{
		note_etcd_failure(etcd_config_error);
		return WORKER_LOOP_MS;
	}

	wait = pgha_keeper_iterate(etcd, &state, &etcd_ok);
	if (etcd_ok)
		note_etcd_success();
	else if (etcd->err != PGHA_ETCD_OK)
		note_etcd_failure(etcd->errmsg);
	return wait;
}

/*
 * Sleep until the next iteration is due, the latch is set (reload, SQL
 * wake-up), or the watch reports a leader or config change.
 */
static void
worker_wait(long wait_ms)
{
	int64		due = pgha_now_us() + (int64) wait_ms * 1000;

	pgstat_report_activity(STATE_IDLE, NULL);
	for (;;)
	{
		long		left = pgha_ms_until(due);
		int			flags;

		if (left <= 0)
			return;
		if (etcd == NULL)
		{
			flags = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_POSTMASTER_DEATH,
							  left, PGHA_WAIT_EVENT);
			ResetLatch(MyLatch);
			if (flags & WL_POSTMASTER_DEATH)
				pgha_keeper_postmaster_died(NULL);
			return;
		}
		flags = pgha_etcd_wait(etcd, left);
		if (flags & PGHA_HTTP_WAIT_PMDEATH)
			pgha_keeper_postmaster_died(etcd);
		if (flags & (PGHA_HTTP_WAIT_LATCH | PGHA_HTTP_WAIT_TIMEOUT))
			return;
		if ((flags & PGHA_HTTP_WAIT_STREAM) && pgha_keeper_watch_wakeup(etcd))
			return;
	}
}

void
pgha_worker_main(Datum main_arg)
{
	sigjmp_buf	local_sigjmp_buf;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, worker_sigterm);
	BackgroundWorkerUnblockSignals();
	pgha_write_gate_exempt();

	BackgroundWorkerInitializeConnection(pgha_database, NULL, 0);
	pgstat_report_appname("pgha");

	/*
	 * The worker's queries run as the bootstrap superuser in a database
	 * whose owner may set its search_path: an operator planted there (a
	 * "-" for pg_lsn) would run with the worker's rights.  Only pg_catalog,
	 * whatever ALTER DATABASE or ALTER ROLE say.
	 */
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);

	key_prefix = MemoryContextStrdup(TopMemoryContext,
									 pgha_key_prefix(pgha_namespace, pgha_scope));
	iteration_cxt = AllocSetContextCreate(TopMemoryContext, "pgha iteration",
										  ALLOCSET_DEFAULT_SIZES);

	memset(&state, 0, sizeof(state));
	state.etcd_failures_tolerated = -1;
	state.worker_pid = MyProcPid;
	state.worker_started = GetCurrentTimestamp();
	pgha_shmem_write(&state);
	pgha_shared->worker_latch = MyLatch;
	before_shmem_exit(worker_shmem_exit, (Datum) 0);

	/*
	 * pgha.name is checked when set; a name taken from cluster_name or the
	 * host name is checked here, before it goes into keys, slot names and
	 * connection strings.  Both need a restart to change: the worker says
	 * why once and idles (no key, no lease, the write gate stays closed).
	 */
	if (!pgha_name_valid(pgha_node_name(), state.last_reason, sizeof(state.last_reason)))
	{
		ereport(LOG,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgha: \"%s\" cannot be this node's member name", pgha_node_name()),
				 errdetail("pgha.name is not set, so the name comes from cluster_name or the host name. %s",
						   state.last_reason),
				 errhint("Set pgha.name in postgresql.conf and restart the server.")));
		strlcpy(state.last_rule, "invalid_name", sizeof(state.last_rule));
		/* nobody may take this for a running worker: no pid, the gate shut */
		state.worker_pid = 0;
		pgha_shmem_write(&state);
		pgha_write_gate_set(PGHA_GATE_UNPROVEN);
		for (;;)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}

	rebuild_etcd_client();

	/*
	 * Error recovery, as in bgwriter.c: an ERROR anywhere in an iteration
	 * lands here.  Log it as a WARNING, clean up, drop the etcd client (its
	 * transfers may be half done), back off with jitter and go on.
	 */
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		ErrorData  *edata;
		long		backoff_ms;

		error_context_stack = NULL;
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		FlushErrorState();
		LWLockReleaseAll();
		if (IsTransactionState() || IsAbortedTransactionBlockState())
			AbortCurrentTransaction();
		MemoryContextReset(iteration_cxt);
		RESUME_INTERRUPTS();

		ereport(WARNING,
				(errmsg("pgha worker iteration failed: %s", edata->message),
				 edata->detail ? errdetail("%s", edata->detail) : 0));
		FreeErrorData(edata);

		rebuild_etcd_client();
		backoff_ms = 500 + (long) (pg_prng_double(&pg_global_prng_state) * 500);
		/* a postmaster death here takes the same path as in the loop */
		if (WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_POSTMASTER_DEATH,
					  backoff_ms, PGHA_WAIT_EVENT) & WL_POSTMASTER_DEATH)
			pgha_keeper_postmaster_died(etcd);
		ResetLatch(MyLatch);
	}
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		MemoryContext old;
		long		wait_ms;

		if (stop_pending)
			worker_stop();
		CHECK_FOR_INTERRUPTS();
		if (!PostmasterIsAlive())
			pgha_keeper_postmaster_died(etcd);
		MemoryContextReset(iteration_cxt);
		old = MemoryContextSwitchTo(iteration_cxt);
		wait_ms = worker_iteration();
		MemoryContextSwitchTo(old);

		state.iterations++;
		pgha_shmem_write(&state);
		if (stop_pending)
			worker_stop();
		worker_wait(wait_ms);
	}
}
