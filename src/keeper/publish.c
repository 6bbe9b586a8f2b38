/*-------------------------------------------------------------------------
 *
 * publish.c
 *		What the keeper publishes in shared memory for SQL and the REST API:
 *		the members, the history and config documents.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/publish.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"
#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>
#include "access/xact.h"
#include "access/xlog.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgwriter.h"
#include "postmaster/postmaster.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "datatype/timestamp.h"
#include "actions.h"
#include "apply.h"
#include "hba.h"
#include "compat.h"
#include "recover.h"
#include "shared/clock.h"
#include "shared/cluster.h"
#include "shared/decide.h"
#include "shared/keys.h"
#include "shared/hot_standby.h"
#include "shared/slots.h"
#include "shared/switchover.h"
#include "shared/timeline.h"
#include "guc.h"
#include "keeper.h"
#include "write_gate.h"
#include "local.h"
#include "orphans.h"
#include "probe.h"
#include "etcd_backend.h"
#include "failsafe.h"
#include "syncrep.h"
#include "keeper_int.h"

/* doc (NULL: absent) to shared memory with set(), unless *published says it is there */
static void
publish_if_changed(char **published, const char *doc, void (*set) (const char *doc))
{
	if (*published != NULL && strcmp(*published, doc ? doc : "") == 0)
		return;
	set(doc);
	if (*published)
		pfree(*published);
	*published = MemoryContextStrdup(TopMemoryContext, doc ? doc : "");
}

/* copy the cluster's members into shared memory for pgha.members() */
void
publish_members(PghaSharedState *st, const PghaCluster *cluster)
{
	int			i;

	st->nmembers = 0;
	for (i = 0; i < cluster->nmembers && st->nmembers < PGHA_MAX_MEMBERS; i++)
	{
		const PghaMember *m = &cluster->members[i];
		PghaSharedMember *sm = &st->members[st->nmembers++];
		bool		leader = cluster->has_leader && strcmp(m->name, cluster->leader) == 0;

		memset(sm, 0, sizeof(*sm));
		strlcpy(sm->name, m->name, sizeof(sm->name));
		strlcpy(sm->host, m->host, sizeof(sm->host));
		sm->port = m->port;
		strlcpy(sm->role, pgha_member_role(cluster, m), sizeof(sm->role));
		strlcpy(sm->state, pgha_member_state(cluster, m), sizeof(sm->state));
		sm->timeline = m->timeline;
		sm->lsn = m->xlog_location;
		sm->receive_lsn = m->receive_lsn;
		sm->replay_lsn = m->replay_lsn;
		sm->lag = pgha_member_lag(cluster, m, m->xlog_location);
		sm->receive_lag = leader ? -1 : pgha_member_lag(cluster, m, m->receive_lsn);
		sm->replay_lag = leader ? -1 : pgha_member_lag(cluster, m, m->replay_lsn);
		strlcpy(sm->pending_reason, m->pending_restart_reason, sizeof(sm->pending_reason));
		strlcpy(sm->error, m->error, sizeof(sm->error));
		{
			char	   *tags = pgha_member_tags_text(m);

			strlcpy(sm->tags, tags ? tags : "{}", sizeof(sm->tags));
			free(tags);
		}
		sm->pending_restart = m->pending_restart;
		sm->config_revision = m->config_revision;
	}
	st->cluster_read_at = GetCurrentTimestamp();
	/* parsed, trimmed and copied only when they changed: a failover's worth a year */
	publish_if_changed(&K.published_history, cluster->has_history ? cluster->history : "[]",
					   pgha_shmem_set_history);
	publish_if_changed(&K.published_config, cluster->config_json, pgha_shmem_set_config);
}
