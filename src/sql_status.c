/*-------------------------------------------------------------------------
 *
 * sql_status.c
 *		Read-only SQL: pgha.status() and pgha.etcd_members().
 *
 * pgha.status() is served from the worker's shared-memory snapshot and
 * never calls etcd, so it answers when etcd is down.  pgha.etcd_members()
 * asks etcd directly (it describes etcd itself), through the same
 * interrupt-safe client the worker uses: a query cancel or
 * statement_timeout interrupts it, and each endpoint is bounded by
 * pgha.etcd_timeout.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/sql_status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "shared/decide.h"
#include "shared/keys.h"
#include "etcd_backend.h"
#include "guc.h"
#include "pgha.h"
#include "shmem.h"

PG_FUNCTION_INFO_V1(pgha_version);
PG_FUNCTION_INFO_V1(pgha_status);
PG_FUNCTION_INFO_V1(pgha_etcd_members);

Datum
pgha_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PGHA_VERSION));
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL || s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/*
 * pgha.status(): this node's view, from shared memory.
 */
Datum
pgha_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	PghaSharedState st;
	Datum		values[29];
	bool		nulls[29];
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* an install script of another build: never form a tuple of wrong types */
	if (tupdesc->natts != lengthof(values))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha.status() has %d columns, the loaded library returns %d",
						tupdesc->natts, (int) lengthof(values)),
				 errhint("Recreate the extension: DROP EXTENSION pgha; CREATE EXTENSION pgha;")));
	if (pgha_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha shared memory is not initialized"),
				 errhint("Add pgha to \"shared_preload_libraries\" and restart the server.")));

	pgha_shmem_read(&st);
	memset(nulls, 0, sizeof(nulls));

	values[i++] = CStringGetTextDatum(pgha_node_name());
	values[i++] = CStringGetTextDatum(pgha_scope);
	values[i++] = CStringGetTextDatum(pgha_key_prefix(pgha_namespace, pgha_scope));
	nulls[i] = (st.worker_pid == 0);
	values[i++] = Int32GetDatum(st.worker_pid);
	nulls[i] = (st.worker_started == 0);
	values[i++] = TimestampTzGetDatum(st.worker_started);
	values[i] = text_or_null(st.etcd_endpoint, &nulls[i]);
	i++;
	values[i++] = BoolGetDatum(st.worker_pid != 0 && st.etcd_reachable);
	nulls[i] = (st.etcd_last_contact == 0);
	values[i++] = TimestampTzGetDatum(st.etcd_last_contact);
	values[i] = text_or_null(st.etcd_error, &nulls[i]);
	i++;
	values[i] = text_or_null(st.etcd_version, &nulls[i]);
	i++;
	nulls[i] = (st.etcd_failures_tolerated < 0 && st.etcd_members == 0);
	values[i++] = Int32GetDatum(st.etcd_failures_tolerated);
	/*
	 * The one etcd fact a DBA must not overlook, as a note in its own
	 * column (a WARNING raised by every call would flood the log of a
	 * monitoring poller; the worker logs one when it changes).
	 */
	if (st.etcd_members > 0 && st.etcd_failures_tolerated <= 0)
		values[i] = CStringGetTextDatum(psprintf("WARNING: the etcd cluster tolerates no further member failure "
												 "(%d of %d members answered, quorum %d)",
												 st.etcd_members_answered, st.etcd_members,
												 pgha_etcd_quorum(st.etcd_members)));
	else
		nulls[i] = true;
	i++;
	/* the HA keeper's view */
	values[i] = text_or_null(st.role, &nulls[i]);
	i++;
	values[i] = text_or_null(st.state, &nulls[i]);
	i++;
	values[i] = text_or_null(st.leader, &nulls[i]);
	i++;
	values[i++] = BoolGetDatum(st.is_leader);
	nulls[i] = (st.lease_deadline == 0);
	values[i++] = TimestampTzGetDatum(st.lease_deadline);
	nulls[i] = (st.timeline == 0);
	values[i++] = Int32GetDatum(st.timeline);
	nulls[i] = (st.lsn == 0);
	values[i++] = LSNGetDatum((XLogRecPtr) st.lsn);
	values[i++] = BoolGetDatum(st.paused);
	values[i] = text_or_null(st.last_action, &nulls[i]);
	i++;
	values[i] = text_or_null(st.last_rule, &nulls[i]);
	i++;
	values[i] = text_or_null(st.last_reason, &nulls[i]);
	i++;
	nulls[i] = (st.last_decision == 0);
	values[i++] = TimestampTzGetDatum(st.last_decision);
	values[i++] = Int64GetDatum(st.config_revision);
	nulls[i] = (st.ttl == 0);
	values[i++] = Int32GetDatum(st.ttl);
	nulls[i] = (st.loop_wait == 0);
	values[i++] = Int32GetDatum(st.loop_wait);
	nulls[i] = (st.retry_timeout == 0);
	values[i++] = Int32GetDatum(st.retry_timeout);
	values[i] = text_or_null(st.config_warnings, &nulls[i]);
	i++;
	Assert(i == lengthof(values));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * pgha.etcd_members(): the etcd cluster as "etcdctl endpoint status" shows
 * it, one row per etcd member.  A member that does not answer is listed
 * with reachable = false and its error.
 */
Datum
pgha_etcd_members(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt;
	MemoryContext old;
	PghaEtcd   *volatile etcd = NULL;

	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "pgha etcd_members",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		PghaEtcdMember *members;
		int			nmembers;
		int			m;

		etcd = pgha_etcd_session();
		if (!pgha_etcd_member_list(etcd, &members, &nmembers))
			pgha_etcd_report_error(etcd, "list the members");

		{
			PghaEtcdStatus *st = palloc0(sizeof(PghaEtcdStatus) * Max(nmembers, 1));
			bool	   *ok = palloc0(sizeof(bool) * Max(nmembers, 1));
			char	  **errors = palloc0(sizeof(char *) * Max(nmembers, 1));
			int			reachable = 0;
			int			quorum = pgha_etcd_quorum(nmembers);

			for (m = 0; m < nmembers; m++)
			{
				if (members[m].client_url)
				{
					ok[m] = pgha_etcd_status(etcd, members[m].client_url, &st[m]);
					/* each member's own error: the client keeps only the last one */
					if (!ok[m])
						errors[m] = pstrdup(etcd->errmsg);
				}
				if (ok[m])
					reachable++;
			}
			for (m = 0; m < nmembers; m++)
			{
				Datum		values[13];
				bool		nulls[13];
				char		idbuf[32];
				int			i = 0;

				memset(nulls, 0, sizeof(nulls));
				snprintf(idbuf, sizeof(idbuf), "%016" INT64_MODIFIER "x", members[m].id);
				values[i] = text_or_null(members[m].name, &nulls[i]);
				i++;
				values[i] = text_or_null(members[m].client_url, &nulls[i]);
				i++;
				values[i++] = CStringGetTextDatum(idbuf);
				values[i++] = BoolGetDatum(ok[m]);
				if (ok[m])
				{
					values[i++] = CStringGetTextDatum(st[m].version);
					values[i++] = Int64GetDatum(st[m].db_size);
					values[i++] = BoolGetDatum(st[m].leader != 0 && st[m].leader == members[m].id);
					values[i++] = Int64GetDatum((int64) st[m].raft_term);
					values[i++] = Int64GetDatum((int64) st[m].raft_index);
					values[i] = text_or_null(st[m].errors, &nulls[i]);
					i++;
					values[i] = text_or_null(NULL, &nulls[i]);
					i++;
				}
				else
				{
					for (; i < 10; i++)
						nulls[i] = true;
					values[i] = text_or_null(members[m].client_url ? errors[m] : "member has not started",
											 &nulls[i]);
					i++;
				}
				/* the cluster as a whole: N = 2F + 1 */
				values[i++] = Int32GetDatum(quorum);
				values[i++] = Int32GetDatum(reachable - quorum);
				Assert(i == lengthof(values));
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
	PG_CATCH();
	{
		pgha_etcd_session_end(etcd, true);
		MemoryContextSwitchTo(old);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgha_etcd_session_end(etcd, false);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * pgha.decision_rules(): the HA state machine's table, in the order the
 * rules are tried, so that a behaviour change shows up in review
 * (expected/pgha_rules.out).
 */
PG_FUNCTION_INFO_V1(pgha_decision_rules);

Datum
pgha_decision_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const PghaRuleInfo *rules;
	int			n = pgha_decide_rules(&rules);
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(rules[i].name);
		values[2] = CStringGetTextDatum(rules[i].role);
		values[3] = CStringGetTextDatum(pgha_action_name(rules[i].action));
		values[4] = CStringGetTextDatum(rules[i].when);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * pgha.members(): one row per member, like "patronictl list", from the
 * worker's last successful read of etcd.  It answers when etcd is down;
 * "stale" and "age" say how old the picture is.
 */
PG_FUNCTION_INFO_V1(pgha_members);

Datum
pgha_members(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PghaSharedState *st;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	if (pgha_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pgha shared memory is not initialized"),
				 errhint("Add pgha to \"shared_preload_libraries\" and restart the server.")));
	InitMaterializedSRF(fcinfo, 0);
	st = palloc(sizeof(PghaSharedState));
	pgha_shmem_read(st);

	for (i = 0; i < st->nmembers; i++)
	{
		PghaSharedMember *m = &st->members[i];
		Datum		values[19];
		bool		nulls[19] = {0};
		int			c = 0;

		values[c++] = CStringGetTextDatum(m->name);
		values[c] = text_or_null(m->host, &nulls[c]);
		c++;
		nulls[c] = (m->port == 0);
		values[c++] = Int32GetDatum(m->port);
		values[c] = text_or_null(m->role, &nulls[c]);
		c++;
		values[c] = text_or_null(m->state, &nulls[c]);
		c++;
		nulls[c] = (m->timeline == 0);
		values[c++] = Int32GetDatum(m->timeline);
		nulls[c] = (m->lsn == 0);
		values[c++] = LSNGetDatum((XLogRecPtr) m->lsn);
		nulls[c] = (m->receive_lsn == 0);
		values[c++] = LSNGetDatum((XLogRecPtr) m->receive_lsn);
		nulls[c] = (m->receive_lag < 0);
		values[c++] = Int64GetDatum(m->receive_lag);
		nulls[c] = (m->replay_lsn == 0);
		values[c++] = LSNGetDatum((XLogRecPtr) m->replay_lsn);
		nulls[c] = (m->replay_lag < 0);
		values[c++] = Int64GetDatum(m->replay_lag);
		nulls[c] = (m->lag < 0);
		values[c++] = Int64GetDatum(m->lag);
		values[c++] = CStringGetTextDatum(m->tags);
		values[c++] = BoolGetDatum(m->pending_restart);
		values[c] = text_or_null(m->pending_reason, &nulls[c]);
		c++;
		values[c++] = Int64GetDatum(m->config_revision);
		values[c++] = BoolGetDatum(st->worker_pid == 0 || !st->etcd_reachable);
		values[c++] = IntervalPGetDatum(DatumGetIntervalP(
											DirectFunctionCall2(timestamp_mi,
																TimestampTzGetDatum(now),
																TimestampTzGetDatum(st->cluster_read_at))));
		values[c] = text_or_null(m->error, &nulls[c]);
		c++;
		Assert(c == lengthof(values));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
