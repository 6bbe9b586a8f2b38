/*-------------------------------------------------------------------------
 *
 * api_action.c
 *		The REST API's actions, as Patroni serves them: POST /switchover,
 *		/failover, /restart, /reinitialize; DELETE /switchover, /restart;
 *		PATCH and PUT /config.  Each runs in a short-lived background
 *		worker of its own ("pgha api action").
 *
 * An action asks etcd and may wait for a switchover to finish.  Done in
 * the API worker, it would hold every health check meanwhile, and while
 * etcd is unreachable a load balancer would take every node out.  So the
 * API worker authenticates the request, hands it over in shared memory
 * (PghaSharedAction), starts this worker and suspends the connection;
 * this worker runs the request through the code the SQL functions use
 * (cluster_change.c) and pghactl uses (shared/switchover.h), answers in
 * shared memory and exits.  One action at a time per node.
 *
 * Status codes as Patroni's; the bodies are pgha's messages, except the
 * success messages patronictl prints, which are Patroni's words.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_action.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "shared/clock.h"
#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/keys.h"
#include "shared/switchover.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "api_action.h"
#include "cluster_change.h"
#include "etcd_backend.h"
#include "guc.h"
#include "recover.h"
#include "shmem.h"

PGDLLEXPORT void pgha_api_action_main(Datum main_arg);

/* ---- in the API worker ---- */

bool
pgha_api_is_action(const char *method, const char *path)
{
	if (strcmp(method, "POST") == 0)
		return strcmp(path, "/switchover") == 0 || strcmp(path, "/failover") == 0 ||
			strcmp(path, "/restart") == 0 || strcmp(path, "/reinitialize") == 0 ||
			strcmp(path, "/reload") == 0;
	if (strcmp(method, "DELETE") == 0)
		return strcmp(path, "/switchover") == 0 || strcmp(path, "/restart") == 0;
	if (strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0)
		return strcmp(path, "/config") == 0;
	return false;
}

static BackgroundWorkerHandle *action_handle = NULL;
/* the generation of the action this process started last */
static uint32 action_generation = 0;

bool
pgha_api_action_start(const char *method, const char *path, const char *body,
					  int *status, const char **message)
{
	BackgroundWorker worker;
	PghaSharedAction *a = &pgha_shared->action;

	bool		busy;

	/* the last one's worker is gone: its slot is free */
	if (action_handle != NULL)
	{
		pid_t		pid;

		if (GetBackgroundWorkerPid(action_handle, &pid) != BGWH_STOPPED)
		{
			*status = 503;
			*message = "another action is under way on this node";
			return false;
		}
		pfree(action_handle);
		action_handle = NULL;
	}
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	/* one an earlier API worker started (it restarted since) may still run */
	busy = a->worker_pid != 0 && kill(a->worker_pid, 0) == 0;
	if (!busy)
	{
		a->state = PGHA_ACTION_REQUESTED;
		/* in shared memory: a restarted API worker does not count from 1 again */
		a->generation++;
		action_generation = a->generation;
		a->worker_pid = 0;
		strlcpy(a->method, method, sizeof(a->method));
		strlcpy(a->path, path, sizeof(a->path));
		strlcpy(a->body, body ? body : "", sizeof(a->body));
		a->status = 0;
		a->response[0] = '\0';
	}
	LWLockRelease(pgha_shared->lock);
	if (busy)
	{
		*status = 503;
		*message = "another action is under way on this node";
		return false;
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_PostmasterStart;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pgha");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgha_api_action_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pgha api action");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pgha api action");
	worker.bgw_main_arg = UInt32GetDatum(action_generation);
	/* its exit wakes our select() (SIGUSR1) */
	worker.bgw_notify_pid = MyProcPid;
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		bool		ok = RegisterDynamicBackgroundWorker(&worker, &action_handle);

		MemoryContextSwitchTo(old);
		if (!ok)
		{
			action_handle = NULL;
			*status = 503;
			*message = "could not start a background worker for the action (max_worker_processes)";
			return false;
		}
	}
	return true;
}

/* the answer of the action this process started, if it is there; takes it */
static bool
take_answer(int *status, bool *json, char **response)
{
	PghaSharedAction *a = &pgha_shared->action;
	bool		answered;

	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	answered = a->generation == action_generation && a->state == PGHA_ACTION_ANSWERED;
	if (answered)
	{
		*status = a->status;
		*json = a->json;
		*response = pstrdup(a->response);
		a->state = PGHA_ACTION_FREE;
	}
	LWLockRelease(pgha_shared->lock);
	return answered;
}

bool
pgha_api_action_poll(int *status, bool *json, char **response)
{
	pid_t		pid;

	if (take_answer(status, json, response))
		return true;
	if (action_handle == NULL || GetBackgroundWorkerPid(action_handle, &pid) != BGWH_STOPPED)
		return false;
	/* it answered just before it ended */
	if (take_answer(status, json, response))
		return true;
	/* it ended without an answer (a crash, or the postmaster stopping it) */
	*status = 500;
	*json = false;
	*response = pstrdup("the action ended without an answer; see the server log");
	return true;
}

/* ---- in the action worker ---- */

/* an action's answer: the HTTP status and body */
typedef struct ActionAnswer
{
	int			status;
	bool		json;
	StringInfoData body;
} ActionAnswer;

static void
answer(ActionAnswer *ans, int status, const char *fmt,...) pg_attribute_printf(3, 4);

static void
answer(ActionAnswer *ans, int status, const char *fmt,...)
{
	va_list		args;

	ans->status = status;
	resetStringInfo(&ans->body);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&ans->body, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&ans->body, needed);
	}
}

/* the request body as a JSON object; NULL (answered 400) if it is none */
static json_t *
body_object(const char *body, bool optional, ActionAnswer *ans)
{
	json_error_t jerr;
	json_t	   *o;

	if (optional && body[0] == '\0')
		return json_object();
	o = json_loads(body, 0, &jerr);
	if (o != NULL && json_is_object(o) && (optional || json_object_size(o) > 0))
		return o;
	if (o)
		json_decref(o);
	answer(ans, 400, "the request body must be a JSON object%s", optional ? "" : " that is not empty");
	return NULL;
}

/* a string member of a request; NULL when absent, null or "" */
static const char *
string_field(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s && s[0] ? s : NULL;
}

static PghaEtcd *
etcd_or_error(void)
{
	return pgha_etcd_from_settings_or_error();
}

/*
 * A scheduled time as Patroni takes it: with a time zone (400 without),
 * in the future (422 past or unreadable).  Returns ISO 8601 in UTC, or
 * NULL when answered.
 */
static char *
parse_schedule(const char *text, const char *action, ActionAnswer *ans)
{
	/* after the time of day (past the date's dashes): Z, or an offset */
	const char *time_of_day = strpbrk(text, "Tt ");
	TimestampTz ts = 0;

	if (time_of_day == NULL || strpbrk(time_of_day + 1, "Zz+-") == NULL)
	{
		answer(ans, 400, "Timezone information is mandatory for the scheduled %s", action);
		return NULL;
	}
	if (!pgha_etcd_parse_time(text, &ts))
	{
		answer(ans, 422, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601");
		return NULL;
	}
	if (ts < GetCurrentTimestamp())
	{
		answer(ans, 422, "Cannot schedule %s in the past", action);
		return NULL;
	}
	return pgha_etcd_time(ts);
}

/*
 * SIGTERM: the postmaster stops (a fast shutdown).  A switchover away from
 * this node ends in one: the action answers what it knows, then exits.
 */
static volatile sig_atomic_t terminating = false;

static void
action_sigterm(SIGNAL_ARGS)
{
	terminating = true;
}

/*
 * After the request is written: Patroni's poll, up to twice max(10,
 * loop_wait) seconds.  Done when another member leads; failed when the
 * request is gone with no new leader.  A request to this node, the leader:
 * it stops once it has let go of the key (the candidate waits for that),
 * and this worker with it, so its answer is the handover.
 */
static void
await_switchover(const char *old_leader, const char *candidate, const char *action,
				 ActionAnswer *ans)
{
	PghaSharedState *st = palloc(sizeof(PghaSharedState));
	PghaEtcd   *etcd = etcd_or_error();
	bool		from_me = old_leader && strcmp(old_leader, pgha_node_name()) == 0;
	int			timeout_s;
	int64		deadline;
	/* "switched", "failed" */
	const char *done = strcmp(action, "failover") == 0 ? "failed" : "switched";

	pgha_shmem_read(st);
	timeout_s = 2 * Max(10, st->loop_wait);
	deadline = pgha_now_us() + (int64) timeout_s * 1000000;
	for (;;)
	{
		PghaCluster c;

		pgha_etcd_read_cluster(etcd, &c);
		if (c.has_leader && (old_leader == NULL || strcmp(c.leader, old_leader) != 0))
		{
			if (candidate == NULL || strcmp(candidate, c.leader) == 0)
				return answer(ans, 200, "Successfully %s over to \"%s\"", done, c.leader);
			return answer(ans, 200, "%c%s over to \"%s\" instead of \"%s\"", pg_toupper(done[0]),
						  done + 1, c.leader, candidate);
		}
		if (from_me && !c.has_leader && c.has_failover && c.failover_release_lsn != 0 &&
			strcmp(c.failover_leader, old_leader) == 0)
			return answer(ans, 200, "Switching over to \"%s\": \"%s\" let go of the leader key at %X/%X and stops; \"%s\" takes over once it is down",
						  c.failover_member, old_leader,
						  (unsigned) (c.failover_release_lsn >> 32), (unsigned) c.failover_release_lsn,
						  c.failover_member);
		if (!c.has_failover)
			return answer(ans, 503, "%c%s failed", pg_toupper(action[0]), action + 1);
		if (terminating)
			return answer(ans, 503, "this node stopped before the %s's outcome was known; see pgha.members()", action);
		if (pgha_now_us() >= deadline)
			return answer(ans, 503, "%c%s status unknown after %d seconds; operation may still be in progress",
						  pg_toupper(action[0]), action + 1, timeout_s);
		/* a signal cuts the sleep short */
		pg_usleep(100 * 1000L);
	}
}

/* POST /switchover, POST /failover: Patroni's rules, then cluster_change.c's */
static void
do_switchover(const char *body, bool failover, ActionAnswer *ans)
{
	json_t	   *req = body_object(body, false, ans);
	const char *action = failover ? "failover" : "switchover";
	const char *leader;
	const char *candidate;
	const char *scheduled;
	char	   *scheduled_at = NULL;
	char	   *leader_was;

	if (req == NULL)
		return;
	leader = string_field(req, "leader");
	candidate = string_field(req, "candidate");
	if (candidate == NULL)
		candidate = string_field(req, "member");
	scheduled = string_field(req, "scheduled_at");
	if (failover && candidate == NULL)
		return answer(ans, 400, "Failover could be performed only to a specific candidate");
	if (!failover && leader == NULL)
		return answer(ans, 400, "Switchover could be performed only from a specific leader");
	if (scheduled)
	{
		if (failover)
			return answer(ans, 400, "Failover can't be scheduled");
		if ((scheduled_at = parse_schedule(scheduled, action, ans)) == NULL)
			return;
	}
	/* a failover naming the leader is a switchover, as in Patroni */
	if (failover && leader)
	{
		failover = false;
		action = "switchover";
	}
	if (leader && candidate && strcmp(leader, candidate) == 0)
		return answer(ans, 400, "Switchover target and source are the same");

	(void) pgha_request_switchover(candidate, !failover, leader, scheduled_at, PGHA_NO_WAIT,
								   &leader_was);
	if (scheduled_at)
		return answer(ans, 202, "%c%s scheduled", pg_toupper(action[0]), action + 1);
	await_switchover(leader_was[0] ? leader_was : NULL, candidate, action, ans);
}

/* DELETE /switchover: cancel a scheduled switchover */
static void
do_cancel_switchover(ActionAnswer *ans)
{
	PghaEtcd   *etcd = etcd_or_error();
	PghaCluster c;

	pgha_etcd_read_cluster(etcd, &c);
	if (!c.has_failover || c.failover_scheduled_at[0] == '\0')
		return answer(ans, 404, "no switchover is scheduled");
	if (!pgha_etcd_delete_if_unchanged(etcd, pgha_key(pgha_key_prefix(pgha_namespace, pgha_scope),
													   PGHA_KEY_FAILOVER),
									   c.failover_mod_revision))
		return answer(ans, 409, "the switchover request changed meanwhile; look again");
	answer(ans, 200, "scheduled switchover deleted");
}

/* restart/<me> (r not NULL) or reinit/<me>: a request this node's worker takes */
static bool
write_member_request(PghaEtcd *etcd, const PghaRestartRequest *r)
{
	char	   *key = psprintf("%s%s%s", pgha_key_prefix(pgha_namespace, pgha_scope),
							   r ? PGHA_KEY_RESTART : PGHA_KEY_REINIT, pgha_node_name());
	char	   *value = pgha_member_request_json(pgha_etcd_time(GetCurrentTimestamp()), r);
	bool		swapped;

	if (!pgha_etcd_put_if_unchanged(etcd, key, value, 0, &swapped, NULL))
	{
		free(value);
		pgha_etcd_report_error(etcd, "write the request");
	}
	free(value);
	/* its worker wakes on the watch; ours at once */
	if (pgha_shared->worker_latch)
		SetLatch(pgha_shared->worker_latch);
	return swapped;
}

/* this node's member record, or ERROR */
static PghaMember *
me_in(PghaCluster *c)
{
	PghaMember *me = pgha_cluster_member(c, pgha_node_name());

	if (me == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this node has no member key in etcd yet")));
	return me;
}

/*
 * POST /restart: now (once this node's worker takes the request, within a
 * loop_wait) or at "schedule"; "restart_pending", "role" and
 * "postgres_version" limit it, as in Patroni.
 */
static void
do_restart(const char *body, ActionAnswer *ans)
{
	json_t	   *req = body_object(body, true, ans);
	const char *k;
	json_t	   *v;
	PghaRestartRequest r;
	PghaEtcd   *etcd;
	PghaCluster c;
	PghaMember *me;
	bool		is_leader;

	if (req == NULL)
		return;
	memset(&r, 0, sizeof(r));
	json_object_foreach(req, k, v)
	{
		if (strcmp(k, "restart_pending") == 0)
		{
			if (!json_is_boolean(v))
				return answer(ans, 400, "restart_pending must be true or false");
			r.pending_only = json_is_true(v);
		}
		else if (strcmp(k, "role") == 0)
		{
			const char *role = json_string_value(v);

			if (role == NULL || (strcmp(role, "primary") != 0 && strcmp(role, "master") != 0 &&
								 strcmp(role, "standby_leader") != 0 && strcmp(role, "replica") != 0))
				return answer(ans, 400, "PostgreSQL role should be either primary, standby_leader, or replica");
			r.role = role;
		}
		else if (strcmp(k, "postgres_version") == 0)
		{
			if (!json_is_string(v) || pgha_postgres_version_number(json_string_value(v)) < 0)
				return answer(ans, 400, "postgres_version must be a PostgreSQL version such as 15.2");
			r.postgres_version = json_string_value(v);
		}
		else if (strcmp(k, "timeout") == 0)
			return answer(ans, 400, "pgha does not take timeout: a leader keeps its key through a restart for at most ttl seconds, then a replica takes over");
		else if (strcmp(k, "schedule") == 0)
		{
			if (!json_is_string(v))
				return answer(ans, 422, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601");
			if ((r.schedule = parse_schedule(json_string_value(v), "restart", ans)) == NULL)
				return;
		}
		else
			return answer(ans, 400, "Unknown filter for the scheduled restart: %s", k);
	}

	etcd = etcd_or_error();
	pgha_etcd_read_cluster(etcd, &c);
	me = me_in(&c);
	is_leader = c.has_leader && strcmp(c.leader, me->name) == 0;
	if (r.schedule && c.config.pause)
		return answer(ans, 500, "Can't schedule restart in the paused state");
	/* Patroni's conditions: a restart now that does not apply is not done */
	if (r.schedule == NULL && !pgha_restart_applies(r.role, r.postgres_version, is_leader, PG_VERSION_NUM))
		return answer(ans, 503, "restart conditions are not satisfied");
	switch (pgha_member_request_check(&c, me, false, r.schedule == NULL && r.pending_only))
	{
		case PGHA_MR_OK:
			break;
		case PGHA_MR_NOT_PENDING:
			return answer(ans, 503, "restart conditions are not satisfied");
		case PGHA_MR_LEADER:
		case PGHA_MR_SYNC_LEADER:
		case PGHA_MR_DOWN:
		case PGHA_MR_NOT_SUPERVISED:
			return answer(ans, 503, "this server does not run under pghactl run: nothing would start it again; restart it with its service manager");
	}
	if (!write_member_request(etcd, &r))
		return answer(ans, 409, "Another restart is already %s", r.schedule ? "scheduled" : "pending");
	if (r.schedule)
		return answer(ans, 202, "Restart scheduled");
	answer(ans, 200, "restart requested: this node restarts within loop_wait seconds, and pghactl run starts PostgreSQL again");
}

/* DELETE /restart: withdraw a restart request this node's worker has not taken */
static void
do_cancel_restart(ActionAnswer *ans)
{
	PghaEtcd   *etcd = etcd_or_error();
	PghaCluster c;
	PghaMember *me;

	pgha_etcd_read_cluster(etcd, &c);
	me = me_in(&c);
	/* a scheduled one, as Patroni; or one asked for now that the worker has not taken */
	if (!me->restart_requested)
		return answer(ans, 404, "no restarts are scheduled");
	if (!pgha_etcd_delete_if_unchanged(etcd, psprintf("%s%s%s", pgha_key_prefix(pgha_namespace, pgha_scope),
													   PGHA_KEY_RESTART, me->name),
									   me->restart_mod_revision))
		return answer(ans, 409, "the restart request changed meanwhile; look again");
	answer(ans, 200, "scheduled restart deleted");
}

/* POST /reinitialize */
static void
do_reinitialize(const char *body, ActionAnswer *ans)
{
	json_t	   *req = body_object(body, true, ans);
	PghaEtcd   *etcd;
	PghaCluster c;
	PghaMember *me;

	/* force (cancel a running task) and from_leader: pgha always clones the leader */
	if (req == NULL)
		return;
	etcd = etcd_or_error();
	pgha_etcd_read_cluster(etcd, &c);
	me = me_in(&c);
	if (!c.has_leader)
		return answer(ans, 503, "Cluster has no leader, can not reinitialize");
	switch (pgha_member_request_check(&c, me, true, false))
	{
		case PGHA_MR_OK:
		case PGHA_MR_NOT_PENDING:
			break;
		case PGHA_MR_LEADER:
			return answer(ans, 503, "I am the leader, can not reinitialize");
		case PGHA_MR_SYNC_LEADER:
			return answer(ans, 503, "the sync key names this node as its leader: its WAL may hold commits no other member has; wait until a new leader has taken the sync key over");
		case PGHA_MR_DOWN:
		case PGHA_MR_NOT_SUPERVISED:
			return answer(ans, 503, "this server does not run under pghactl run: stop it and run pghactl reinit on its host");
	}
	if (!write_member_request(etcd, NULL))
		return answer(ans, 503, "reinitialize already in progress");
	answer(ans, 200, "reinitialize started");
}

/* PATCH /config (merge) and PUT /config (replace); answers the stored document */
static void
do_config(const char *body, bool replace, ActionAnswer *ans)
{
	json_t	   *req = body_object(body, false, ans);
	char	   *stored = NULL;

	if (req == NULL)
		return;
	json_decref(req);
	(void) pgha_change_config(pgha_check_config_patch(body), replace, PGHA_NO_WAIT, &stored);
	if (pgha_shared->worker_latch)
		SetLatch(pgha_shared->worker_latch);
	answer(ans, 200, "%s", stored);
	ans->json = true;
}

/* the status for an ERROR an action raised: its SQLSTATE, or the action's own */
static int
status_of(int sqlerrcode, int refusal)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_CONNECTION_EXCEPTION:	/* etcd unreachable, or a protocol error */
		case ERRCODE_EXTERNAL_ROUTINE_EXCEPTION:	/* etcd refused the call */
		case ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION:	/* etcd refused our credentials */
			return 503;
		case ERRCODE_TRANSACTION_ROLLBACK:
			return 409;
		case ERRCODE_PROGRAM_LIMIT_EXCEEDED:
		case ERRCODE_INTERNAL_ERROR:
			return 500;
		default:
			return refusal;
	}
}

static void
run_action(const PghaSharedAction *req, ActionAnswer *ans)
{
	bool		post = strcmp(req->method, "POST") == 0;
	bool		del = strcmp(req->method, "DELETE") == 0;

	if (post && strcmp(req->path, "/switchover") == 0)
		do_switchover(req->body, false, ans);
	else if (post && strcmp(req->path, "/failover") == 0)
		do_switchover(req->body, true, ans);
	else if (del && strcmp(req->path, "/switchover") == 0)
		do_cancel_switchover(ans);
	else if (post && strcmp(req->path, "/restart") == 0)
		do_restart(req->body, ans);
	else if (del && strcmp(req->path, "/restart") == 0)
		do_cancel_restart(ans);
	else if (post && strcmp(req->path, "/reinitialize") == 0)
		do_reinitialize(req->body, ans);
	else if (strcmp(req->path, "/config") == 0)
		do_config(req->body, strcmp(req->method, "PUT") == 0, ans);
	else
		answer(ans, 404, "no such action");
}

void
pgha_api_action_main(Datum main_arg)
{
	PghaSharedAction *req = palloc(sizeof(PghaSharedAction));
	/* on the heap: what PG_TRY's block wrote survives the longjmp */
	ActionAnswer *ans;
	MemoryContext cxt;
	bool		mine;

	/* each action is short or watches terminating: it answers, then exits */
	pqsignal(SIGTERM, action_sigterm);
	BackgroundWorkerUnblockSignals();
	cxt = AllocSetContextCreate(TopMemoryContext, "pgha api action", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);

	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	memcpy(req, &pgha_shared->action, sizeof(PghaSharedAction));
	mine = req->state == PGHA_ACTION_REQUESTED && req->generation == DatumGetUInt32(main_arg);
	if (mine)
		pgha_shared->action.worker_pid = MyProcPid;
	LWLockRelease(pgha_shared->lock);
	if (!mine)
		proc_exit(0);

	ans = palloc0(sizeof(ActionAnswer));
	initStringInfo(&ans->body);
	ans->status = 500;
	PG_TRY();
	{
		run_action(req, ans);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = pgha_recover_error(cxt);
		answer(ans, status_of(edata->sqlerrcode, strcmp(req->path, "/config") == 0 ? 400 : 412),
			   "%s%s%s%s%s", edata->message,
			   edata->detail ? ": " : "", edata->detail ? edata->detail : "",
			   edata->hint ? " " : "", edata->hint ? edata->hint : "");
		ans->json = false;
	}
	PG_END_TRY();
	ereport(LOG,
			(errmsg("pgha api: %s %s answered %d", req->method, req->path, ans->status),
			 ans->json ? 0 : errdetail_internal("%s", ans->body.data)));

	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	if (pgha_shared->action.generation == req->generation)
	{
		PghaSharedAction *a = &pgha_shared->action;

		a->status = ans->status;
		a->json = ans->json;
		if (ans->body.len < sizeof(a->response))
			strlcpy(a->response, ans->body.data, sizeof(a->response));
		else
		{
			/* a configuration too large for the answer: stored all the same */
			a->json = false;
			snprintf(a->response, sizeof(a->response),
					 "stored; the document is larger than the REST API answers (%d bytes): read it with pgha.config()",
					 (int) sizeof(a->response));
		}
		a->state = PGHA_ACTION_ANSWERED;
		a->worker_pid = 0;
	}
	LWLockRelease(pgha_shared->lock);
	proc_exit(0);
}
