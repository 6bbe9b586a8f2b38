/*-------------------------------------------------------------------------
 *
 * cluster_change.h
 *		Changing the cluster through etcd, validated: the configuration key
 *		and switchover requests.
 *
 * The one implementation behind the SQL functions (sql_config.c) and the
 * REST API's actions (api_action.c).  Every function reports a refusal
 * with ereport(ERROR) and a SQLSTATE, and writes nothing then.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/cluster_change.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_CLUSTER_CHANGE_H
#define PGHA_CLUSTER_CHANGE_H

/* no waiting, for the wait_ms arguments below */
#define PGHA_NO_WAIT (-1)

/*
 * Merge patch (JSON object, null removes) into the config key, or with
 * replace, store doc as the whole configuration; validate the result; one
 * compare-and-swap on the key's revision (SQLSTATE 40001 on a lost race).
 * Returns the new revision; *stored (when not NULL) gets the document
 * written.  With wait_ms >= 0, returns only once every running member
 * applied it.  Does not check parameters or pg_hba rules: callers that
 * take them from a user run pgha_check_config_patch() first.
 */
extern int64 pgha_change_config(const char *patch, bool replace, int64 wait_ms, char **stored);

/* the config document (NULL if absent) */
extern char *pgha_fetch_config(void);

/*
 * A parameter as it may be set for the whole cluster: its canonical
 * (lower-case) name.  value NULL checks the name only; otherwise
 * PostgreSQL's own check, as for postgresql.conf (units, ranges, enums).
 */
extern char *pgha_checked_parameter(const char *name, const char *value);

/* pg_hba rules as set_hba() takes them: PostgreSQL's parser, rule by rule */
extern void pgha_check_hba_rules(char **rules, int n);

/*
 * The user-supplied parts of a config patch (or, whole, a document):
 * every postgresql.parameters value with pgha_checked_parameter(), the
 * postgresql.pg_hba list with pgha_check_hba_rules().  Returns the patch
 * to store (palloc'd): parameter names in lower case, as
 * pgha.set_parameter() stores them.
 */
extern char *pgha_check_config_patch(const char *patch);

/*
 * Write Patroni's failover key: a switchover (need_leader) or failover to
 * candidate (NULL: the best eligible), checked against the cluster as etcd
 * shows it (shared/switchover.h); leader, when not NULL, must be the
 * leader.  Unless scheduled_at (ISO 8601) is given, waits up to wait_ms
 * until the candidate leads.  Returns the candidate; *leader_was (when
 * not NULL) the leader the request was checked against ("" none).
 */
extern char *pgha_request_switchover(const char *candidate, bool need_leader, const char *leader,
									 const char *scheduled_at, int64 wait_ms, char **leader_was);

#endif							/* PGHA_CLUSTER_CHANGE_H */
