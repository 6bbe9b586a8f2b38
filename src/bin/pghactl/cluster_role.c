/*-------------------------------------------------------------------------
 *
 * cluster_role.c
 *		pghactl demote-cluster and promote-cluster (Patroni 4's commands):
 *		a running cluster becomes a standby cluster of a remote primary,
 *		and a standby cluster a cluster of its own again.
 *
 * Both write the config key's standby_cluster section (as edit-config
 * would, compare-and-swap), then wait until the leader runs in the new
 * role: demoted, the leader stops as a primary and comes back as the
 * standby leader, following the remote (rule demote_cluster, then
 * standby_leader); promoted, the standby leader promotes (promote_holder).
 * Moving the primary role between two sites: demote the first (its
 * standbys, the other site's among them, get everything it wrote before it
 * stops), then promote the second.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/cluster_role.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <jansson.h>

#include "shared/clock.h"
#include "common/logging.h"
#include "pghactl.h"

/*
 * Does the remote primary a standby cluster follows still run as one?
 * Unreachable is no: the remote is lost (why one promotes).
 */
static bool
remote_is_primary(const PghactlConf *conf, const PghaConfig *config)
{
	PghaMember	remote = pghactl_standby_remote(config);

	if (config->standby_host[0] == '\0')
		return false;
	/* a host list: the one that runs as the primary, if any does */
	return pghactl_answers_as_primary(psprintf("%s target_session_attrs=read-write",
											   pghactl_conninfo(conf, &remote, conf->superuser, "postgres",
																"pghactl_promote_cluster")));
}

/*
 * Patch the config with standby_section (NULL: remove it), then wait for a
 * leader in target_role ("standby_leader", "primary") that runs.
 */
static int
change_role(PghactlConf *conf, const PghactlOptions *o, json_t *standby_section,
			const char *target_role)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	const PghaMember *leader;
	json_t	   *patch = json_object();
	char	   *text;
	bool		demote = standby_section != NULL;
	int64		t0 = pgha_now_us();
	int			rc;

	if (!pghactl_snapshot(etcd, conf, &c))
		return EXIT_ETCD;
	leader = c.has_leader ? pgha_cluster_member(&c, c.leader) : NULL;
	if (leader == NULL)
	{
		pg_log_error("cluster \"%s\" has no leader: %s is not possible", conf->scope,
					 demote ? "demotion" : "promotion");
		return 1;
	}
	if (strcmp(leader->role, target_role) == 0)
	{
		pg_log_error("cluster \"%s\" is already in the required state: \"%s\" is its %s",
					 conf->scope, leader->name, demote ? "standby leader" : "primary");
		return 1;
	}
	/* paused, the leader would act on the change at the resume, unplanned */
	if (c.config.pause)
	{
		pg_log_error("cluster \"%s\" is paused", conf->scope);
		pg_log_error_hint("Run pghactl resume first.");
		return 1;
	}
	if (!demote && remote_is_primary(conf, &c.config))
	{
		pg_log_error("the remote primary %s:%d still runs as a primary: promoting makes two primaries",
					 c.config.standby_host, c.config.standby_port);
		pg_log_error_hint("Demote its cluster first (pghactl demote-cluster there), or stop it.");
		return 1;
	}
	if (demote)
	{
		const char *host = json_string_value(json_object_get(standby_section, "host"));
		json_t	   *port = json_object_get(standby_section, "port");
		int			p = port ? (int) json_integer_value(port) : 5432;

		for (int i = 0; i < c.nmembers; i++)
			if (strcmp(c.members[i].host, host) == 0 && c.members[i].port == p)
			{
				pg_log_error("%s:%d is member \"%s\" of this cluster: it cannot follow itself",
							 host, p, c.members[i].name);
				return 1;
			}
	}
	if (!pghactl_confirm(o, demote ?
						 psprintf("Demote cluster \"%s\" (leader \"%s\") to a standby cluster?", conf->scope, leader->name) :
						 psprintf("Promote cluster \"%s\" (standby leader \"%s\") to a cluster of its own?", conf->scope, leader->name)))
		return 1;
	json_object_set_new(patch, "standby_cluster", demote ? standby_section : json_null());
	text = json_dumps(patch, JSON_COMPACT);
	json_decref(patch);
	if ((rc = pghactl_config_patch(conf, etcd, text, true)) != 0)
		return rc;
	free(text);

	for (;;)
	{
		PghaCluster now;
		const PghaMember *l;

		if (pghactl_snapshot(etcd, conf, &now) && now.has_leader &&
			(l = pgha_cluster_member(&now, now.leader)) != NULL &&
			strcmp(l->role, target_role) == 0 && strcmp(l->state, "running") == 0)
		{
			printf("Cluster \"%s\" %s: \"%s\" is its %s (%.2f s)\n", conf->scope,
				   demote ? "demoted" : "promoted", l->name,
				   demote ? "standby leader" : "primary", (pgha_now_us() - t0) / 1e6);
			return 0;
		}
		if (pgha_now_us() >= t0 + (int64) o->wait_s * 1000000)
		{
			pg_log_error("cluster \"%s\" has no %s after %d s", conf->scope,
						 demote ? "standby leader" : "primary", o->wait_s);
			pg_log_error_hint("The config is changed and the members act on it; see pghactl list and the leader's log.");
			return 1;
		}
		pg_usleep(100000);
	}
}

int
pghactl_demote_cluster(PghactlConf *conf, const PghactlOptions *o)
{
	json_t	   *section;

	if (o->restore_command)
	{
		pg_log_error("--restore-command is not supported: pgha runs no command from etcd");
		pg_log_error_hint("Set restore_command in each node's pgha.conf; give the remote primary with --host.");
		return 2;
	}
	if (o->host == NULL || o->host[0] == '\0')
	{
		pg_log_error("demote-cluster needs --host: the remote primary to follow");
		pg_log_error_hint("Try \"pghactl demote-cluster --help\" for more information.");
		return 2;
	}
	section = json_object();
	json_object_set_new(section, "host", json_string(o->host));
	if (o->port > 0)
		json_object_set_new(section, "port", json_integer(o->port));
	if (o->primary_slot_name)
		json_object_set_new(section, "primary_slot_name", json_string(o->primary_slot_name));
	return change_role(conf, o, section, "standby_leader");
}

int
pghactl_promote_cluster(PghactlConf *conf, const PghactlOptions *o)
{
	return change_role(conf, o, NULL, "primary");
}
