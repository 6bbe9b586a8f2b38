/*-------------------------------------------------------------------------
 *
 * info.c
 *		patronictl's small commands: version (of pghactl and of every
 *		member's agent), dsn (where to connect), flush (cancel a
 *		scheduled switchover or pending restart requests) and remove (wipe
 *		the cluster's keys).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/info.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/keys.h"
#include "common/logging.h"
#include "pghactl.h"

/* pghactl's version, then each member's agent as its member key says */
int
pghactl_version(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;

	printf("pghactl %s\n", PGHA_VERSION);
	if (!pghactl_snapshot(etcd, conf, &c))
		return 3;
	for (int i = 0; i < c.nmembers; i++)
		if (o->member == NULL || strcmp(o->member, c.members[i].name) == 0)
			printf("%s: %s%s\n", c.members[i].name,
				   c.members[i].version[0] ? c.members[i].version : "unknown",
				   strncmp(c.members[i].version, "pgha-", 5) == 0 || !c.members[i].version[0] ? "" : " (Patroni)");
	return 0;
}

/* libpq keywords for the leader, or for MEMBER */
int
pghactl_dsn(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	PghaMember *m;

	if (!pghactl_snapshot(etcd, conf, &c))
		return EXIT_ETCD;
	if ((m = pghactl_member_or_leader(&c, o->member, "pghactl dsn MEMBER")) == NULL)
		return 1;
	printf("host=%s port=%d\n", m->host, m->port);
	return 0;
}

/*
 * flush switchover: cancel the switchover request (a scheduled one, or one
 * the leader has not acted on yet).  flush restart [MEMBER]: withdraw the
 * restart requests of MEMBER, or of every member.
 */
int
pghactl_flush(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	char	   *prefix = pgha_key_prefix(conf->namespace, conf->scope);
	PghaCluster c;
	int			n = 0;

	if (o->target == NULL || (strcmp(o->target, "switchover") != 0 && strcmp(o->target, "restart") != 0))
	{
		pg_log_error("flush what?");
		pg_log_error_hint("pghactl flush switchover, or pghactl flush restart [MEMBER].");
		return 2;
	}
	if (!pghactl_snapshot(etcd, conf, &c))
		return 3;
	if (strcmp(o->target, "switchover") == 0)
	{
		if (!c.has_failover)
		{
			printf("No switchover to flush.\n");
			return 0;
		}
		if (!pghactl_confirm(o, psprintf("Cancel the switchover to \"%s\"%s%s?", c.failover_member,
										 c.failover_scheduled_at[0] ? " at " : "", c.failover_scheduled_at)))
			return 1;
		if (!pgha_etcd_delete_if_unchanged(etcd, pgha_key(prefix, PGHA_KEY_FAILOVER), c.failover_mod_revision))
		{
			pg_log_error("the switchover request changed or was taken meanwhile; nothing was removed");
			return 1;
		}
		printf("Cancelled the switchover to \"%s\".\n", c.failover_member);
		return 0;
	}
	for (int i = 0; i < c.nmembers; i++)
	{
		PghaMember *m = &c.members[i];

		if (!m->restart_requested || (o->member && strcmp(o->member, m->name) != 0))
			continue;
		if (pgha_etcd_delete_if_unchanged(etcd, psprintf("%s%s%s", prefix, PGHA_KEY_RESTART, m->name),
								m->restart_mod_revision))
		{
			printf("Withdrew the restart request of \"%s\".\n", m->name);
			n++;
		}
	}
	if (n == 0)
		printf("No restart request to flush.\n");
	return 0;
}

/* a line from stdin, without its newline; NULL at its end */
static char *
read_answer(const char *prompt)
{
	char		line[256];

	printf("%s", prompt);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	line[strcspn(line, "\r\n")] = '\0';
	return pg_strdup(line);
}

/*
 * pghactl remove: delete every key of the cluster (leader, members,
 * config, history, ...), after the typed confirmations patronictl remove
 * asks for: the cluster's name, "Yes I am aware", and, while it has a
 * leader, the leader's name.  No --force: this ends the cluster, and its
 * running members fence (a leader without its key stops taking writes).
 */
int
pghactl_remove(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	char	   *answer;
	char	   *prefix = pgha_key_prefix(conf->namespace, conf->scope);
	int64		deleted = 0;

	if (!pghactl_snapshot(etcd, conf, &c))
		return EXIT_ETCD;
	answer = read_answer("Please confirm the cluster name to remove: ");
	if (answer == NULL || strcmp(answer, conf->scope) != 0)
	{
		pg_log_error("cluster names specified do not match");
		return 1;
	}
	answer = read_answer(psprintf("You are about to remove all information in etcd for %s, please type: \"Yes I am aware\": ",
								  conf->scope));
	if (answer == NULL || strcmp(answer, "Yes I am aware") != 0)
	{
		pg_log_error("you did not exactly type \"Yes I am aware\"");
		return 1;
	}
	if (c.has_leader)
	{
		answer = read_answer("This cluster currently is healthy. Please specify the leader name to continue: ");
		if (answer == NULL || strcmp(answer, c.leader) != 0)
		{
			pg_log_error("you did not specify the current leader of the cluster");
			return 1;
		}
	}
	if (!pgha_etcd_delete(etcd, prefix, true, &deleted))
	{
		pg_log_error("could not remove the cluster's keys: %s", etcd->errmsg);
		return EXIT_ETCD;
	}
	printf("Removed %lld keys under %s.\n", (long long) deleted, prefix);
	return 0;
}
