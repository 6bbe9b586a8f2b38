/*-------------------------------------------------------------------------
 *
 * failsafe_key.c
 *		failsafe_mode's side in the keeper: the members a leader without
 *		etcd must hear from (the failsafe key), and asking them.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/failsafe_key.c
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

/* the failsafe key's members but this one, as etcd now holds them */
static void
remember_failsafe_names(const PghaCluster *cluster)
{
	int			i;

	if (K.fs_names == NULL)
		K.fs_names = MemoryContextAllocZero(TopMemoryContext,
											sizeof(*K.fs_names) * PGHA_MAX_MEMBERS);
	/* a leader the key does not list gets no failsafe (as in Patroni) */
	K.fs_key_known = cluster->has_failsafe && pgha_cluster_in_failsafe(cluster, pgha_node_name());
	K.fs_nnames = 0;
	for (i = 0; i < cluster->nfailsafe && K.fs_nnames < PGHA_MAX_MEMBERS; i++)
		if (strcmp(cluster->failsafe[i], pgha_node_name()) != 0)
			strlcpy(K.fs_names[K.fs_nnames++], cluster->failsafe[i], PGHA_NAME_LEN);
}

/* the members to ask when etcd is gone: those of the last good read */
void
remember_members(const PghaCluster *cluster)
{
	int			i;

	if (K.fs_members == NULL)
		K.fs_members = MemoryContextAllocZero(TopMemoryContext,
											  sizeof(PghaMember) * PGHA_MAX_MEMBERS);
	K.fs_nmembers = 0;
	for (i = 0; i < cluster->nmembers && K.fs_nmembers < PGHA_MAX_MEMBERS; i++)
	{
		const PghaMember *m = &cluster->members[i];

		if (!m->foreign && strcmp(m->name, pgha_node_name()) != 0)
			K.fs_members[K.fs_nmembers++] = *m;
	}
	remember_failsafe_names(cluster);
}

/*
 * The leader keeps the failsafe key listing every member it sees (Patroni's
 * /failsafe), and removes it when failsafe_mode is off.  The members to ask
 * grow before the key is written and shrink only once it is known to be
 * (remember_members()).
 */
void
keep_failsafe_key(PghaEtcd *etcd, PghaCluster *cluster)
{
	char	   *key = pgha_key(K.prefix, PGHA_KEY_FAILSAFE);
	bool		written;

	if (!K.config.failsafe_mode)
	{
		if (cluster->has_failsafe && leader_write(etcd, key, NULL, &written) && written)
			cluster->has_failsafe = false;
		return;
	}
	if (!pgha_failsafe_current(cluster))
	{
		char	   *json = pgha_failsafe_to_json(cluster);

		/*
		 * A put whose answer is lost may have been applied, and a member it
		 * adds may race unasked: until one is known to be written, the
		 * members to ask are those of both lists (the simulator's seed 2315,
		 * --failsafe --fast: two primaries)
		 */
		for (int i = 0; i < cluster->nmembers && K.fs_names != NULL; i++)
		{
			const PghaMember *m = &cluster->members[i];
			bool		known = strcmp(m->name, pgha_node_name()) == 0;

			for (int j = 0; j < K.fs_nnames && !known; j++)
				known = strcmp(K.fs_names[j], m->name) == 0;
			if (!known && pgha_failsafe_lists(m) && K.fs_nnames < PGHA_MAX_MEMBERS)
				strlcpy(K.fs_names[K.fs_nnames++], m->name, PGHA_NAME_LEN);
		}

		if (!leader_write(etcd, key, json, &written))
			log_etcd_problem(etcd, "write the failsafe key");
		else if (written)
		{
			pgha_failsafe_set_written(cluster);
			remember_failsafe_names(cluster);
		}
		free(json);
	}
}

/*
 * failsafe_mode, a leader without etcd: ask every member to vouch for it.
 * The time is taken before the first ping: each member's promise (not to
 * race for a ttl) runs from its own answer, which is later.
 */
void
failsafe_pings(void)
{
	int64		started = now_ms();
	int			ttl = effective_lease_ttl();
	int			i;

	/* no failsafe key listing this leader: nobody's word suffices */
	if (!K.fs_key_known)
		return;
	pgstat_report_activity(STATE_RUNNING, "failsafe: asking the members to vouch for this leader");
	for (i = 0; i < K.fs_nnames; i++)
	{
		const PghaMember *m = NULL;
		int			j;

		for (j = 0; j < K.fs_nmembers; j++)
			if (strcmp(K.fs_members[j].name, K.fs_names[i]) == 0)
				m = &K.fs_members[j];
		if (m == NULL)
		{
			ereport(LOG,
					(errmsg("pgha failsafe: \"%s\" did not vouch for this leader", K.fs_names[i]),
					 errdetail("The failsafe key lists it, but its member key was gone at the last read: it cannot be asked.")));
			return;
		}
		if (!pgha_failsafe_ping(m, ttl))
			return;
	}
	if (K.proof.failsafe_confirmed_ms == 0)
		ereport(LOG,
				(errmsg("pgha failsafe: etcd is unreachable; all %d members vouched for this leader", K.fs_nnames),
				 errdetail("This primary keeps running while they do (failsafe_mode); no other member may race.")));
	pgha_proof_vouched(&K.proof, started, ttl);
}
