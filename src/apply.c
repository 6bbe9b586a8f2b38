/*-------------------------------------------------------------------------
 *
 * apply.c
 *		Apply the cluster-wide PostgreSQL parameters from etcd's config to
 *		this server: ALTER SYSTEM + reload, never a restart.
 *
 * The values were validated by pgha.set_parameter() before they reached
 * etcd, but another etcd client may write anything: each one is checked
 * again here (refused names, unknown names, invalid values are skipped with
 * a WARNING, never applied).
 *
 * Which names pgha manages is remembered in $PGDATA/pgha.managed_parameters
 * (written atomically), so a parameter removed from the config while this
 * node was down is still reset when it comes back.
 *
 * Parameters that need a restart (postmaster context) are written but only
 * take effect at the next restart: pgha never restarts PostgreSQL on its
 * own, as Patroni does not.  They are reported as pending_restart with the
 * old and new value (Patroni 4.1's pending_restart_reason).
 *
 * On a standby the five settings recovery needs at least as high as the
 * primary's are written no lower than pg_control's values (the primary's;
 * shared/hot_standby.h): lowering max_connections cluster-wide never
 * leaves a standby that cannot start while its primary runs with more.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <fcntl.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "common/controldata_utils.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "postmaster/postmaster.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "actions.h"
#include "apply.h"
#include "shared/cluster.h"
#include "compat.h"
#include "recover.h"
#include "shared/datadir_files.h"

/* ALTER SYSTEM that only warns: one bad value must not stop the others */
static bool
alter_system_or_warn(const char *name, const char *value)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		pgha_alter_system(name, value);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgha could not apply parameter \"%s\" from the cluster config", name),
				 errdetail_internal("%s", edata->message)));
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* names pgha set last time, from $PGDATA/pgha.managed_parameters */
static List *
read_managed(void)
{
	List	   *names = NIL;
	FILE	   *f = AllocateFile(PGHA_MANAGED_FILE, "r");
	char		line[256];

	if (f == NULL)
		return NIL;
	while (fgets(line, sizeof(line), f))
	{
		size_t		len = strlen(line);

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len > 0)
			names = lappend(names, pstrdup(line));
	}
	FreeFile(f);
	return names;
}

static void
write_managed(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s\n", (char *) lfirst(lc));
	pgha_write_durably(PGHA_MANAGED_FILE, buf.data);
}

/* is value acceptable for name, by PostgreSQL's own GUC machinery? */
static bool
value_valid(const char *name, const char *value)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		/* changeVal = false: check only, as the config file reader does */
		(void) set_config_option(name, value, PGC_POSTMASTER, PGC_S_FILE,
								 GUC_ACTION_SET, false, ERROR, false);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgha ignores parameter \"%s\" from the cluster config", name),
				 errdetail_internal("%s", edata->message)));
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static void
collect_pending(PghaParam *params, int n, PghaApplyResult *out)
{
	MemoryContext cxt = CurrentMemoryContext;
	StringInfoData buf;
	uint64		i;

	initStringInfo(&buf);
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute("SELECT name, pg_catalog.concat(setting, unit) FROM pg_catalog.pg_settings "
					"WHERE pending_restart ORDER BY name", true, 0) == SPI_OK_SELECT)
	{
		for (i = 0; i < SPI_processed; i++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			char	   *old = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
			const char *new = "";
			int			j;

			for (j = 0; j < n; j++)
				if (pg_strcasecmp(params[j].name, name) == 0)
					new = params[j].value;
			if (buf.len)
				appendStringInfoChar(&buf, ',');
			escape_json(&buf, name);
			appendStringInfoString(&buf, ":{\"old_value\":");
			escape_json(&buf, old ? old : "");
			appendStringInfoString(&buf, ",\"new_value\":");
			escape_json(&buf, new);
			appendStringInfoChar(&buf, '}');
		}
		out->pending_restart = SPI_processed > 0;
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	if (out->pending_restart && buf.len + 3 < (int) sizeof(out->pending_reason))
		snprintf(out->pending_reason, sizeof(out->pending_reason), "{%s}", buf.data);
}

bool
pgha_apply_floor(int out[PGHA_NHOT_STANDBY_PARAMS])
{
	ControlFileData *cf;
	bool		crc_ok;

	if (!RecoveryInProgress())
	{
		memset(out, 0, sizeof(int) * PGHA_NHOT_STANDBY_PARAMS);
		return true;
	}
	cf = get_controlfile(DataDir, &crc_ok);
	if (crc_ok)
		pgha_control_params(cf, out);
	pfree(cf);
	return crc_ok;
}

/*
 * The value to write for name: value itself, or on a standby pg_control's
 * if higher (buf holds it then).
 */
static const char *
standby_value(const char *name, const char *value,
			  const int floor[PGHA_NHOT_STANDBY_PARAMS], char *buf, size_t len)
{
	int			i = pgha_hot_standby_param(name);
	int			v;

	if (i < 0 || floor[i] <= 0 || (v = pgha_hot_standby_value(value, floor[i])) < 0 ||
		v == pgha_hot_standby_value(value, 0))
		return value;
	snprintf(buf, len, "%d", v);
	ereport(LOG,
			(errmsg("pgha: %s = %s on this standby, not %s", name, buf, value),
			 errdetail("Its primary runs with %d (pg_control), and recovery stops on a standby with less; "
					   "the configured value takes effect once the primary runs with it.", floor[i])));
	return buf;
}

void
pgha_apply_parameters(const char *config_json, const int floor[PGHA_NHOT_STANDBY_PARAMS],
					  bool feedback, PghaApplyResult *out)
{
	PghaParam  *params;
	int			n;
	bool	   *ok;
	List	   *managed;
	ListCell   *lc;
	char		err[256];
	int			i;

	memset(out, 0, sizeof(*out));
	if (!pgha_config_parameters(config_json, &params, &n, err, sizeof(err)))
	{
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgha ignores the parameters of the cluster config"),
				 errdetail_internal("%s", err)));
		n = 0;
	}
	if (feedback)
	{
		for (i = 0; i < n && pg_strcasecmp(params[i].name, "hot_standby_feedback") != 0; i++)
			;
		if (i == n)
		{
			params = n == 0 ? palloc(sizeof(PghaParam)) : repalloc(params, sizeof(PghaParam) * (n + 1));
			params[n++].name = pstrdup("hot_standby_feedback");
		}
		params[i].value = pstrdup("on");
	}
	ok = palloc0(sizeof(bool) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		const char *why = pgha_parameter_refused(params[i].name);

		if (why)
		{
			ereport(WARNING,
					(errcode(ERRCODE_CANT_CHANGE_RUNTIME_PARAM),
					 errmsg("pgha ignores parameter \"%s\" from the cluster config", params[i].name),
					 errdetail_internal("%s", why)));
			out->nskipped++;
			continue;
		}
		if (GetConfigOption(params[i].name, true, false) == NULL)
		{
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("pgha ignores unknown parameter \"%s\" from the cluster config",
							params[i].name)));
			out->nskipped++;
			continue;
		}
		if (strpbrk(params[i].value, "\r\n") != NULL ||
			(GetConfigOptionFlags(params[i].name, true) & GUC_DISALLOW_IN_FILE) != 0 ||
			!value_valid(params[i].name, params[i].value))
		{
			if (strpbrk(params[i].value, "\r\n") != NULL ||
				(GetConfigOptionFlags(params[i].name, true) & GUC_DISALLOW_IN_FILE) != 0)
				ereport(WARNING,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pgha ignores parameter \"%s\" from the cluster config", params[i].name),
						 errdetail("It cannot be written to postgresql.auto.conf.")));
			out->nskipped++;
			continue;
		}
		ok[i] = true;
	}

	/*
	 * Record every name we may touch before touching any: a crash halfway
	 * must not leave a parameter set that nobody remembers to reset.
	 */
	managed = read_managed();
	{
		List	   *all = list_copy(managed);

		for (i = 0; i < n; i++)
			if (ok[i])
				all = list_append_unique_ptr(all, params[i].name);
		/* list_append_unique_ptr compares pointers: dedupe by name */
		{
			List	   *dedup = NIL;
			ListCell   *lc2;

			foreach(lc2, all)
			{
				char	   *nm = (char *) lfirst(lc2);
				bool		seen = false;
				ListCell   *lc3;

				foreach(lc3, dedup)
					if (pg_strcasecmp((char *) lfirst(lc3), nm) == 0)
						seen = true;
				if (!seen)
					dedup = lappend(dedup, nm);
			}
			write_managed(dedup);
		}
	}

	for (i = 0; i < n; i++)
	{
		char		raised[32];

		if (!ok[i])
			continue;
		if (alter_system_or_warn(params[i].name,
								 standby_value(params[i].name, params[i].value, floor,
											   raised, sizeof(raised))))
			out->nset++;
		else
		{
			ok[i] = false;
			out->nskipped++;
		}
	}

	/* reset what pgha set before and the config no longer has */
	foreach(lc, managed)
	{
		char	   *name = (char *) lfirst(lc);
		bool		still = false;

		for (i = 0; i < n; i++)
			if (ok[i] && pg_strcasecmp(params[i].name, name) == 0)
				still = true;
		if (!still && GetConfigOption(name, true, false) != NULL &&
			pgha_parameter_refused(name) == NULL &&
			alter_system_or_warn(name, NULL))
			out->nreset++;
	}
	{
		List	   *now = NIL;

		for (i = 0; i < n; i++)
			if (ok[i])
				now = lappend(now, params[i].name);
		write_managed(now);
	}

	if (out->nset + out->nreset > 0)
	{
		pgha_action_signal_reload();
		/* this process too, so pg_settings below shows pending_restart */
		pgha_action_reload_self();
	}
	collect_pending(params, n, out);
}
