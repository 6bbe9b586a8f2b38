/*-------------------------------------------------------------------------
 *
 * sql_config.c
 *		SQL that changes the cluster: pgha.config(), set_config(),
 *		set_parameter(), reset_parameter(), pause(), resume(), set_hba(),
 *		reset_hba(), switchover(), failover().
 *
 * The SQL face of cluster_change.c, which validates and writes: these
 * check the caller and the arguments.  The config functions return the
 * new revision; with "wait", only once every running member reports that
 * it applied that revision.  They are not executable by PUBLIC.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/sql_config.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "shared/clock.h"
#include "shared/cluster.h"
#include "shared/keys.h"
#include "shared/switchover.h"
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

#include "cluster_change.h"
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

Datum
pgha_config(PG_FUNCTION_ARGS)
{
	char	   *doc = pgha_fetch_config();

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

/* argument n, an interval, in milliseconds; PGHA_NO_WAIT when null */
static int64
wait_arg(FunctionCallInfo fcinfo, int n)
{
	Interval   *wait;
	int64		ms;

	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return PGHA_NO_WAIT;
	wait = PG_GETARG_INTERVAL_P(n);
	ms = wait->time / 1000 + ((int64) wait->day * 86400 + (int64) wait->month * 30 * 86400) * 1000;
	if (ms < 0 || wait->time < 0 || wait->day < 0 || wait->month < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait must not be negative")));
	return ms;
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
	PG_RETURN_INT64(pgha_change_config(patch, false, wait_arg(fcinfo, 1), NULL));
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
	value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	name = pgha_checked_parameter(text_to_cstring(PG_GETARG_TEXT_PP(0)), value);
	patch = psprintf("{\"postgresql\":{\"parameters\":{%s:%s}}}",
					 json_string_literal(name), json_string_literal(value));
	PG_RETURN_INT64(pgha_change_config(patch, false, wait_arg(fcinfo, 2), NULL));
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
	PG_RETURN_INT64(pgha_change_config(patch, false, wait_arg(fcinfo, 1), NULL));
}

Datum
pgha_pause(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);
	PG_RETURN_INT64(pgha_change_config("{\"pause\":true}", false, wait_arg(fcinfo, 0), NULL));
}

Datum
pgha_resume(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);
	PG_RETURN_INT64(pgha_change_config("{\"pause\":null}", false, wait_arg(fcinfo, 0), NULL));
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
	pgha_check_hba_rules(rules, n);

	initStringInfo(&patch);
	appendStringInfoString(&patch, "{\"postgresql\":{\"pg_hba\":[");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&patch, ',');
		escape_json(&patch, rules[i]);
	}
	appendStringInfoString(&patch, "]}}");
	PG_RETURN_INT64(pgha_change_config(patch.data, false, wait_arg(fcinfo, 1), NULL));
}

PG_FUNCTION_INFO_V1(pgha_reset_hba);

Datum
pgha_reset_hba(PG_FUNCTION_ARGS)
{
	require_superuser(fcinfo);
	PG_RETURN_INT64(pgha_change_config("{\"postgresql\":{\"pg_hba\":null}}", false, wait_arg(fcinfo, 0), NULL));
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
	doc = pgha_fetch_config();
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
	PG_RETURN_TEXT_P(cstring_to_text(pgha_request_switchover(candidate, true, NULL, scheduled,
														  wait_arg(fcinfo, 2), NULL)));
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
	PG_RETURN_TEXT_P(cstring_to_text(pgha_request_switchover(text_to_cstring(PG_GETARG_TEXT_PP(0)),
															   false, NULL, NULL, wait_arg(fcinfo, 1), NULL)));
}
