/*-------------------------------------------------------------------------
 *
 * cluster_change.c
 *		Changing the cluster through etcd, validated: the configuration key
 *		and switchover requests (see cluster_change.h).
 *
 * Every change is validated here first (PostgreSQL's own GUC machinery for
 * parameters and pg_hba parser for rules, pgha's timing rules for the
 * rest): a bad value never reaches etcd.  Then one compare-and-swap on the
 * key's mod_revision: a lost race is SQLSTATE 40001 and nothing is written.
 * These talk to etcd, not to the local database: they work on the primary
 * and on replicas alike, from a backend or a background worker.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/cluster_change.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "shared/clock.h"
#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/keys.h"
#include "shared/switchover.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "cluster_change.h"
#include "etcd_backend.h"
#include "hba.h"
#include "guc.h"
#include "shmem.h"

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
wait_for_members(PghaEtcd *etcd, int64 rev, int64 wait_ms)
{
	int64		deadline;
	char	   *prefix = pgha_member_key(pgha_key_prefix(pgha_namespace, pgha_scope), "");
	StringInfoData lagging;

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

int64
pgha_change_config(const char *patch, bool replace, int64 wait_ms, char **stored)
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
		merged = replace ? strdup(patch) : pgha_config_merge(current, patch, err, sizeof(err));

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
		if (stored)
			*stored = pstrdup(merged);
		if (wait_ms >= 0)
			wait_for_members(etcd, rev, wait_ms);
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

char *
pgha_fetch_config(void)
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


char *
pgha_checked_parameter(const char *name_in, const char *value)
{
	char	   *name = pstrdup(name_in);
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
	if (value == NULL)
		return name;
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
	return name;
}



void
pgha_check_hba_rules(char **rules, int n)
{
	char	   *msg;
	char	   *warning;
	int			bad = pgha_hba_check(rules, n, 0, &msg, &warning);

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
}

static void
invalid_patch(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid cluster configuration"),
			 errdetail("%s", what)));
}

static void check_patch_parts(json_t *root);

char *
pgha_check_config_patch(const char *patch)
{
	json_error_t jerr;
	/* jansson's memory is malloc'd: released also when a check throws */
	json_t	   *volatile root = json_loads(patch, JSON_REJECT_DUPLICATES, &jerr);
	char	   *volatile out = NULL;

	PG_TRY();
	{
		char	   *s;

		if (root == NULL || !json_is_object(root))
			invalid_patch("The configuration must be a JSON object.");
		check_patch_parts(root);
		s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s == NULL)
			invalid_patch("The configuration could not be written out again.");
		out = pstrdup(s);
		free(s);
	}
	PG_FINALLY();
	{
		if (root)
			json_decref(root);
	}
	PG_END_TRY();
	return out;
}

static void
check_patch_parts(json_t *root)
{
	json_t	   *pg;
	json_t	   *params;
	json_t	   *hba;

	pg = json_object_get(root, "postgresql");
	/* anything else would read as "no parameters, no pg_hba rules" */
	if (pg && !json_is_object(pg) && !json_is_null(pg))
		invalid_patch("postgresql must be an object.");
	params = pg && json_is_object(pg) ? json_object_get(pg, "parameters") : NULL;
	hba = pg && json_is_object(pg) ? json_object_get(pg, "pg_hba") : NULL;
	if (params && json_is_object(params))
	{
		const char *name;
		json_t	   *v;
		/*
		 * The names as set_parameter() stores them: lower case, each once.
		 * Built beside the original (so that root frees it if a check
		 * throws), which replaces it at the end.
		 */
		json_t	   *canonical = json_object();

		json_object_set_new(pg, "pgha canonical parameters", canonical);
		json_object_foreach(params, name, v)
		{
			char		num[64];
			const char *value = NULL;
			char	   *lower = pstrdup(name);

			for (char *p = lower; *p; p++)
				*p = pg_tolower((unsigned char) *p);
			if (json_object_get(canonical, lower) != NULL)
				invalid_patch(psprintf("Parameter \"%s\" is given twice.", lower));
			json_object_set(canonical, lower, v);
			if (json_is_null(v))
				continue;		/* a reset: always allowed */
			if (json_is_string(v))
				value = json_string_value(v);
			else if (json_is_integer(v))
				value = psprintf(INT64_FORMAT, (int64) json_integer_value(v));
			else if (json_is_real(v))
			{
				snprintf(num, sizeof(num), "%.17g", json_real_value(v));
				value = pstrdup(num);
			}
			else if (json_is_boolean(v))
				value = json_is_true(v) ? "on" : "off";
			else
				invalid_patch(psprintf("Parameter \"%s\" must be a string, a number or a boolean.", name));
			(void) pgha_checked_parameter(name, value);
		}
		json_object_set(pg, "parameters", canonical);
		json_object_del(pg, "pgha canonical parameters");
	}
	else if (params && !json_is_null(params))
		invalid_patch("postgresql.parameters must be an object.");
	if (hba && json_is_array(hba))
	{
		int			n = (int) json_array_size(hba);
		char	  **rules = palloc(sizeof(char *) * Max(n, 1));

		for (int i = 0; i < n; i++)
		{
			json_t	   *r = json_array_get(hba, i);

			if (!json_is_string(r))
				invalid_patch(psprintf("pg_hba rule %d is not a string.", i + 1));
			rules[i] = pstrdup(json_string_value(r));
		}
		pgha_check_hba_rules(rules, n);
	}
	else if (hba && !json_is_null(hba))
		invalid_patch("postgresql.pg_hba must be a list of strings.");
}

/*
 * The leader (or, for a failover without a leader, the candidate) carries
 * the request out.
 */
char *
pgha_request_switchover(const char *candidate, bool need_leader, const char *leader,
						const char *scheduled_at, int64 wait_ms, char **leader_was)
{
	PghaEtcd   *etcd;
	char	   *volatile chosen = NULL;

	etcd = pgha_etcd_session();

	PG_TRY();
	{
		char	   *prefix = pgha_key_prefix(pgha_namespace, pgha_scope);
		PghaCluster c;
		char		err[256];
		const PghaMember *cand = NULL;
		PghaSwitchoverCheck check;
		char	   *value;
		bool		swapped;
		char	   *key = pgha_key(prefix, PGHA_KEY_FAILOVER);

		pgha_etcd_read_cluster(etcd, &c);
		if (leader != NULL && (!c.has_leader || strcmp(c.leader, leader) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("member \"%s\" is not the leader", leader),
					 c.has_leader ? errdetail("The leader is \"%s\".", c.leader) :
					 errdetail("The cluster has no leader.")));
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
			case PGHA_SW_STANDBY_CLUSTER:
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("switchover and failover inside a standby cluster are not supported"),
						 errdetail("The config key has a standby_cluster section; its standby leader takes no request."),
						 errhint("Stop the standby leader and another member takes over, or promote the cluster first (pghactl promote-cluster).")));
				break;
		}
		chosen = pstrdup(cand->name);
		if (leader_was)
			*leader_was = pstrdup(c.has_leader ? c.leader : "");
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

		if (wait_ms >= 0 && scheduled_at == NULL)
		{
			int64		deadline = pgha_now_us() + wait_ms * 1000;
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

