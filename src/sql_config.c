/*-------------------------------------------------------------------------
 *
 * sql_config.c
 *		SQL that changes the cluster: pgha.config(), set_config(),
 *		set_parameter(), reset_parameter(), pause(), resume().
 *
 * Every change is validated here first (PostgreSQL's own GUC machinery for
 * parameters, pgha's timing rules for the rest): a bad value never reaches
 * etcd.  Then one compare-and-swap on the config key's mod_revision: a lost
 * race is SQLSTATE 40001 and nothing is written.  The new revision is
 * returned; with "wait", the call returns only once every running member
 * reports that it applied that revision.
 *
 * These functions talk to etcd, not to the local database, so they work on
 * the primary and on replicas alike.  They are not executable by PUBLIC.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/sql_config.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/clock.h"
#include "common/cluster.h"
#include "common/keys.h"
#include "common/switchover.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "pgtime.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "etcd_backend.h"
#include "hba.h"
#include "guc.h"
#include "shmem.h"

PG_FUNCTION_INFO_V1(pgha_config);
PG_FUNCTION_INFO_V1(pgha_set_config);
PG_FUNCTION_INFO_V1(pgha_set_parameter);
PG_FUNCTION_INFO_V1(pgha_reset_parameter);
PG_FUNCTION_INFO_V1(pgha_pause);
PG_FUNCTION_INFO_V1(pgha_resume);

/* a library message fragment as a DETAIL sentence */
static char *
sentence(const char *fragment)
{
	char	   *s = psprintf("%s%s", fragment,
							 fragment[0] && fragment[strlen(fragment) - 1] == '.' ? "" : ".");

	s[0] = pg_toupper((unsigned char) s[0]);
	return s;
}

static char *
config_key(void)
{
	return pgha_key(pgha_key_prefix(pgha_namespace, pgha_scope), PGHA_KEY_CONFIG);
}

/* the config document (NULL if absent) and its mod_revision */
static char *
read_config(PghaEtcd *etcd, int64 *mod_revision)
{
	PghaEtcdRange r;

	if (!pgha_etcd_range(etcd, config_key(), false, &r))
		pgha_etcd_report_error(etcd, "read the cluster configuration");
	*mod_revision = r.nkvs ? r.kvs[0].mod_revision : 0;
	return r.nkvs ? r.kvs[0].value : NULL;
}

/* wait until every running member applied revision rev, or ERROR */
static void
wait_for_members(PghaEtcd *etcd, int64 rev, Interval *wait)
{
	int64		wait_ms;
	int64		deadline;
	char	   *prefix = pgha_member_key(pgha_key_prefix(pgha_namespace, pgha_scope), "");
	StringInfoData lagging;

	wait_ms = (int64) wait->time / 1000 + ((int64) wait->day * 86400 + (int64) wait->month * 30 * 86400) * 1000;
	if (wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not be negative")));
	deadline = pgha_now_us() + wait_ms * 1000;
	/* the local worker applies at once when woken */
	if (pgha_shared && pgha_shared->worker_latch)
		SetLatch(pgha_shared->worker_latch);

	initStringInfo(&lagging);
	for (;;)
	{
		PghaEtcdRange r;

		if (!pgha_etcd_range(etcd, prefix, true, &r))
			pgha_etcd_report_error(etcd, "read the members");
		resetStringInfo(&lagging);
		{
			char	   *behind = pgha_members_behind(prefix, &r, rev);

			appendStringInfoString(&lagging, behind);
			pfree(behind);
		}
		/* this node's own view too, so that pgha.status() shows it at once */
		if (pgha_shared && pgha_shared->state.worker_pid != 0)
		{
			PghaSharedState *st = palloc(sizeof(PghaSharedState));

			pgha_shmem_read(st);
			if (st->config_revision < rev)
				appendStringInfo(&lagging, "%sthis node's shared state (revision %lld)",
								 lagging.len ? ", " : "", (long long) st->config_revision);
			pfree(st);
		}
		if (lagging.len == 0)
			return;
		if (pgha_now_us() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("configuration revision %lld is stored, but not every member applied it in time",
							(long long) rev),
					 errdetail("Still behind: %s.", lagging.data),
					 errhint("The change stays in etcd (it is not rolled back); those members apply it once they run and reach etcd.")));
		CHECK_FOR_INTERRUPTS();
		(void) pgha_etcd_wait(etcd, 100);
	}
}

/* pgha.debug_config_delay: an interruptible pause (wait event Extension) */
static void
debug_delay(int ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	while (GetCurrentTimestamp() < until)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* does the stored config (NULL: none) already need this adjustment? */
static bool
adjusted_already(const char *current, const char *adjusted)
{
	PghaConfig	cfg;
	PghaConfigNotes notes;
	char		err[256];

	return current != NULL &&
		pgha_config_parse(current, strlen(current), &cfg, &notes, err, sizeof(err)) &&
		strcmp(notes.adjusted, adjusted) == 0;
}

/*
 * Merge patch into the config, validate, compare-and-swap.  Returns the new
 * revision.
 */
static int64
update_config(const char *patch, Interval *wait)
{
	PghaEtcd   *etcd = pgha_etcd_session();
	int64		rev = 0;
	/* malloc'd: freed in PG_FINALLY, also when an etcd call ends in ERROR (a cancel) */
	char	   *volatile merged = NULL;

	PG_TRY();
	{
		int64		mod;
		char	   *current = read_config(etcd, &mod);
		char		err[256] = "";
		PghaConfig	cfg;
		PghaConfigNotes notes;
		bool		swapped;
		char	   *key = config_key();

		if (pgha_debug_config_delay > 0)
			debug_delay(pgha_debug_config_delay);
		merged = pgha_config_merge(current, patch, err, sizeof(err));

		if (merged == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cluster configuration"),
					 errdetail_internal("%s", sentence(err))));
		/* these start with a setting's name: keep its spelling */
		if (!pgha_config_parse(merged, strlen(merged), &cfg, &notes, err, sizeof(err)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cluster configuration"),
					 errdetail_internal("%s.", err)));
		/*
		 * A reader adjusts an out-of-range value; a writer refuses one the
		 * patch brings (one already stored, by Patroni say, must not block a
		 * pause).
		 */
		if (notes.adjusted[0] != '\0' && !adjusted_already(current, notes.adjusted))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid cluster configuration"),
					 errdetail_internal("%s.", notes.adjusted)));
		if (!pgha_etcd_put_if_unchanged(etcd, key, merged, mod, &swapped, &rev))
			pgha_etcd_report_error(etcd, "write the cluster configuration");
		if (!swapped)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not update the cluster configuration because it changed concurrently"),
					 errhint("Retry the command.")));
		if (wait)
			wait_for_members(etcd, rev, wait);
	}
	PG_CATCH();
	{
		free(merged);
		pgha_etcd_session_end(etcd, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	free(merged);
	pgha_etcd_session_end(etcd, false);
	return rev;
}

/* the config document (NULL if absent), with a client of its own */
static char *
fetch_config(void)
{
	PghaEtcd   *etcd = pgha_etcd_session();
	char	   *volatile doc = NULL;

	PG_TRY();
	{
		int64		mod;

		doc = read_config(etcd, &mod);
	}
	PG_CATCH();
	{
		pgha_etcd_session_end(etcd, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgha_etcd_session_end(etcd, false);
	return doc;
}

Datum
pgha_config(PG_FUNCTION_ARGS)
{
	char	   *doc = fetch_config();

	/*
	 * pg_monitor reads it too: without the passwords a pg_hba line may hold,
	 * and without the parameter values unless the reader may see every
	 * setting anyway (pg_read_all_settings, which pg_monitor includes).
	 */
	if (doc && !superuser())
	{
		char	   *r = pgha_config_redact(doc, !has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_SETTINGS));

		doc = r ? pstrdup(r) : NULL;
		free(r);
	}
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(doc ? doc : "{}")));
}

static Interval *
wait_arg(FunctionCallInfo fcinfo, int n)
{
	return (PG_NARGS() > n && !PG_ARGISNULL(n)) ? PG_GETARG_INTERVAL_P(n) : NULL;
}

/*
 * Changing the cluster is superuser work, checked here and not only by the
 * REVOKE in the install script: set_hba() can write a trust rule for the
 * superuser and set_parameter() can make every node load a library, so a
 * grantee would be a superuser in disguise.  A GRANT EXECUTE cannot widen
 * this.
 */
static void
require_superuser(FunctionCallInfo fcinfo)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be superuser to run %s()", get_func_name(fcinfo->flinfo->fn_oid)),
				 errdetail("It changes every member of the cluster, which is as much as superuser access to each."),
				 errhint("Roles that only watch the cluster need pg_monitor.")));
}

Datum
pgha_set_config(PG_FUNCTION_ARGS)
{
	char	   *patch;

	require_superuser(fcinfo);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the configuration patch must not be null")));
	patch = DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(0)));
	if (patch[0] != '{')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the configuration patch must be a JSON object")));
	/* parameters go through set_parameter(), which validates them */
	if (DatumGetBool(DirectFunctionCall2(jsonb_exists, PG_GETARG_DATUM(0),
										 PointerGetDatum(cstring_to_text("postgresql")))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("set_config() does not change PostgreSQL parameters or pg_hba rules"),
				 errhint("Use pgha.set_parameter(), pgha.reset_parameter() or pgha.set_hba().")));
	PG_RETURN_INT64(update_config(patch, wait_arg(fcinfo, 1)));
}

/* canonical (lower-case) name of a parameter that may be set cluster-wide */
static char *
checked_parameter_name(text *name_t)
{
	char	   *name = text_to_cstring(name_t);
	char	   *p;
	const char *why;

	for (p = name; *p; p++)
		*p = pg_tolower((unsigned char) *p);
	if ((why = pgha_parameter_refused(name)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CANT_CHANGE_RUNTIME_PARAM),
				 errmsg("parameter \"%s\" cannot be set cluster-wide", name),
				 errdetail_internal("%s", why),
				 errhint("Set it in each node's postgresql.conf.")));
	if (GetConfigOption(name, true, false) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unrecognized configuration parameter \"%s\"", name)));
	return name;
}

static char *
json_string_literal(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, s);
	return buf.data;
}

Datum
pgha_set_parameter(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *value;
	char	   *patch;

	require_superuser(fcinfo);

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("parameter name and value must not be null"),
				 errhint("Use pgha.reset_parameter() to remove a parameter.")));
	name = checked_parameter_name(PG_GETARG_TEXT_PP(0));
	value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strpbrk(value, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter value must not contain line breaks")));
	if ((GetConfigOptionFlags(name, true) & GUC_DISALLOW_IN_FILE) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CANT_CHANGE_RUNTIME_PARAM),
				 errmsg("parameter \"%s\" cannot be set in a configuration file", name)));
	/* PostgreSQL's own check, as for postgresql.conf: units, ranges, enums, hooks */
	(void) set_config_option(name, value, PGC_POSTMASTER, PGC_S_FILE,
							 GUC_ACTION_SET, false, ERROR, false);
	patch = psprintf("{\"postgresql\":{\"parameters\":{%s:%s}}}",
					 json_string_literal(name), json_string_literal(value));
	PG_RETURN_INT64(update_config(patch, wait_arg(fcinfo, 2)));
}

Datum
pgha_reset_parameter(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *patch;

	require_superuser(fcinfo);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("parameter name must not be null")));
	/* removing is always safe: any name, also one pgha would refuse to set */
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (char *p = name; *p; p++)
		*p = pg_tolower((unsigned char) *p);
	patch = psprintf("{\"postgresql\":{\"parameters\":{%s:null}}}", json_string_literal(name));
	PG_RETURN_INT64(update_config(patch, wait_arg(fcinfo, 1)));
}

Datum
pgha_pause(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);
	PG_RETURN_INT64(update_config("{\"pause\":true}", wait_arg(fcinfo, 0)));
}

Datum
pgha_resume(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);
	PG_RETURN_INT64(update_config("{\"pause\":null}", wait_arg(fcinfo, 0)));
}

/*
 * pgha.set_hba(rules text[], wait interval): replace the cluster-wide rule
 * list.  Every rule is checked with PostgreSQL's own pg_hba parser first;
 * an invalid one is reported by position with the parser's message and
 * nothing is written.
 */
PG_FUNCTION_INFO_V1(pgha_set_hba);

Datum
pgha_set_hba(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **rules;
	char	   *msg;
	char	   *warning;
	int			bad;
	StringInfoData patch;
	int			i;

	require_superuser(fcinfo);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the rule list must not be null"),
				 errhint("Use pgha.reset_hba() to stop managing pg_hba.conf, or an empty array for no cluster-wide rules.")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the rule list must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	rules = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("pg_hba rule %d is null", i + 1)));
		rules[i] = TextDatumGetCString(elems[i]);
	}
	bad = pgha_hba_check(rules, n, 0, &msg, &warning);
	/* the server log gets neither a password of the rule nor the statement that carries it */
	if (bad >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid pg_hba rule %d: \"%s\"", bad + 1, pgha_hba_mask_secrets(rules[bad])),
				 errdetail_internal("%s", msg),
				 errhidestmt(true)));
	if (warning)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("a pg_hba rule can never match"),
				 errdetail_internal("%s", warning)));
	/* PostgreSQL refuses a pg_hba.conf without rules: so do we, here at least */
	if (n == 0 && list_length(pgha_hba_protected_lines()) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pg_hba.conf would have no rules on this node"),
				 errdetail("This node's own pg_hba.conf has no local or replication rules to keep.")));

	initStringInfo(&patch);
	appendStringInfoString(&patch, "{\"postgresql\":{\"pg_hba\":[");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&patch, ',');
		escape_json(&patch, rules[i]);
	}
	appendStringInfoString(&patch, "]}}");
	PG_RETURN_INT64(update_config(patch.data, wait_arg(fcinfo, 1)));
}

PG_FUNCTION_INFO_V1(pgha_reset_hba);

Datum
pgha_reset_hba(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);
	PG_RETURN_INT64(update_config("{\"postgresql\":{\"pg_hba\":null}}", wait_arg(fcinfo, 0)));
}

/*
 * pgha.hba_rules(): the rules in force on this node's pg_hba.conf as pgha
 * builds it: the protected layer first, then the cluster-wide rules from
 * etcd.
 */
PG_FUNCTION_INFO_V1(pgha_hba_rules);

/* a pg_hba line as the caller may see it: passwords only for superusers */
static char *
reader_sees(char *line)
{
	return superuser() ? line : pgha_hba_mask_secrets(line);
}

Datum
pgha_hba_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *doc;
	bool		present;
	char	  **lines;
	int			n;
	char		err[256];
	List	   *protected;
	ListCell   *lc;
	volatile int pos = 0;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	doc = fetch_config();
	if (!pgha_config_hba(doc, &present, &lines, &n, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the pg_hba rules in etcd are invalid"),
				 errdetail_internal("%s", err)));
	if (!present)
		return (Datum) 0;

	/* the node's own lines, as pg_hba_file_rules shows them: to superusers only */
	protected = superuser() ? pgha_hba_protected_lines() : NIL;
	foreach(lc, protected)
	{
		Datum		values[3];
		bool		isnull[3] = {0};

		values[0] = Int32GetDatum(++pos);
		values[1] = CStringGetTextDatum(reader_sees((char *) lfirst(lc)));
		values[2] = BoolGetDatum(true);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		isnull[3] = {0};

		values[0] = Int32GetDatum(++pos);
		values[1] = CStringGetTextDatum(reader_sees(lines[i]));
		values[2] = BoolGetDatum(false);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	return (Datum) 0;
}


/*
 * pgha.switchover(candidate, scheduled_at, wait) and pgha.failover(candidate,
 * wait): write Patroni's failover key; the leader (or, for failover without
 * a leader, the candidate) carries it out.  Validated against the cluster
 * as etcd shows it.  Returns the candidate; unless scheduled, waits until
 * it leads.
 */
static char *
request_switchover(const char *candidate, bool need_leader, const char *scheduled_at,
				   Interval *wait)
{
	PghaEtcd   *etcd;
	char	   *volatile chosen = NULL;

	if (wait && (wait->time < 0 || wait->day < 0 || wait->month < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not be negative")));
	etcd = pgha_etcd_session();

	PG_TRY();
	{
		char	   *prefix = pgha_key_prefix(pgha_namespace, pgha_scope);
		PghaEtcdRange r;
		PghaCluster c;
		char		err[256];
		const PghaMember *cand = NULL;
		PghaSwitchoverCheck check;
		char	   *value;
		bool		swapped;
		char	   *key = pgha_key(prefix, PGHA_KEY_FAILOVER);

		if (!pgha_etcd_range(etcd, prefix, true, &r))
			pgha_etcd_report_error(etcd, "read the cluster");
		pgha_cluster_from_range(prefix, &r, &c, err, sizeof(err));
		check = pgha_switchover_check(&c, candidate, need_leader, &cand);
		switch (check)
		{
			case PGHA_SW_OK:
				break;
			case PGHA_SW_PAUSED:
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the cluster is paused"),
						 errhint("Run pgha.resume() first.")));
				break;
			case PGHA_SW_NO_LEADER:
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the cluster has no leader to switch over from"),
						 errhint("Use pgha.failover(candidate) to choose the next leader.")));
				break;
			case PGHA_SW_UNKNOWN_MEMBER:
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("member \"%s\" does not exist", candidate)));
				break;
			case PGHA_SW_NO_CANDIDATE:
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("no member can take over"),
						 errdetail("No replica is running, streaming and eligible for failover.")));
				break;
			case PGHA_SW_IS_LEADER:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("member \"%s\" is already the leader", cand->name)));
				break;
			case PGHA_SW_NOT_REPLICA:
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("member \"%s\" cannot take over", cand->name),
						 errdetail("It is %s, state \"%s\".",
								   cand->foreign ? "of another cluster" : cand->role,
								   cand->state)));
				break;
			case PGHA_SW_NOFAILOVER:
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("member \"%s\" is tagged nofailover", cand->name)));
				break;
			case PGHA_SW_NOT_SYNC:
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("member \"%s\" is not a synchronous standby", cand->name),
						 errdetail("synchronous_mode is on: only a standby the sync key names can take over without losing a commit."),
						 errhint("pgha.members() shows which member has the role sync_standby.")));
				break;
		}
		chosen = pstrdup(cand->name);
		value = pgha_failover_request_json(c.has_leader ? c.leader : "", cand->name,
										   scheduled_at,
										   pgha_etcd_time(GetCurrentTimestamp()));

		if (!pgha_etcd_put_if_unchanged(etcd, key, value, 0, &swapped, NULL))
		{
			free(value);
			pgha_etcd_report_error(etcd, "request the switchover");
		}
		free(value);
		if (!swapped)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("a switchover is already pending"),
					 errhint("Wait for it, or delete the \"%s\" key in etcd to cancel it.", key)));

		if (wait && scheduled_at == NULL)
		{
			int64		deadline = pgha_now_us() +
				((int64) wait->time + ((int64) wait->day * 86400) * 1000000);
			char	   *leader_key = pgha_key(prefix, PGHA_KEY_LEADER);
			char	   *member_key = pgha_member_key(prefix, chosen);

			for (;;)
			{
				PghaEtcdRange lr;
				PghaEtcdRange mr;
				PghaMember	m;

				if (pgha_etcd_range(etcd, leader_key, false, &lr) && lr.nkvs == 1 &&
					strcmp(lr.kvs[0].value, chosen) == 0 &&
					pgha_etcd_range(etcd, member_key, false, &mr) && mr.nkvs == 1 &&
					pgha_member_from_json(chosen, mr.kvs[0].value, mr.kvs[0].value_len, &m,
										  err, sizeof(err)) &&
					strcmp(m.role, "primary") == 0)
					break;
				/* the leader refuses by deleting the request */
				if (pgha_etcd_range(etcd, key, false, &lr) && lr.nkvs == 0 &&
					pgha_etcd_range(etcd, leader_key, false, &mr) &&
					mr.nkvs == 1 && strcmp(mr.kvs[0].value, chosen) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("the leader refused the switchover to \"%s\"", chosen),
							 errhint("The candidate must stream from the leader, on its slot, within maximum_lag_on_failover, and in synchronous_mode be a synchronous standby; see the leader's log.")));
				if (pgha_now_us() >= deadline)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("member \"%s\" did not take over in time", chosen),
							 errhint("The request stays in etcd until it is carried out or goes stale; see pgha.members().")));
				CHECK_FOR_INTERRUPTS();
				(void) pgha_etcd_wait(etcd, 50);
			}
		}
	}
	PG_CATCH();
	{
		pgha_etcd_session_end(etcd, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgha_etcd_session_end(etcd, false);
	return chosen;
}

PG_FUNCTION_INFO_V1(pgha_switchover);

Datum
pgha_switchover(PG_FUNCTION_ARGS)
{
	char	   *candidate = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *scheduled = NULL;

	require_superuser(fcinfo);

	if (!PG_ARGISNULL(1))
	{
		TimestampTz ts = PG_GETARG_TIMESTAMPTZ(1);

		if (ts <= GetCurrentTimestamp())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scheduled_at must be in the future")));
		/* ISO 8601 in UTC, readable whatever the session's DateStyle */
		scheduled = pgha_etcd_time(ts);
	}
	PG_RETURN_TEXT_P(cstring_to_text(request_switchover(candidate, true, scheduled,
														  wait_arg(fcinfo, 2))));
}

PG_FUNCTION_INFO_V1(pgha_failover);

Datum
pgha_failover(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a failover needs a candidate"),
				 errhint("Use pgha.switchover() to let pgha choose one.")));
	PG_RETURN_TEXT_P(cstring_to_text(request_switchover(text_to_cstring(PG_GETARG_TEXT_PP(0)),
														  false, NULL, wait_arg(fcinfo, 1))));
}
