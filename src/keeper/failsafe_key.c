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

/* whom to ask lives as long as the worker */
static void
failsafe_arrays(void)
{
	if (K.failsafe_ask.members == NULL)
		K.failsafe_ask.members = MemoryContextAllocZero(TopMemoryContext,
														sizeof(PghaMember) * PGHA_FAILSAFE_ASK_MAX);
	if (K.failsafe_ask.names == NULL)
		K.failsafe_ask.names = MemoryContextAllocZero(TopMemoryContext,
													  sizeof(*K.failsafe_ask.names) * PGHA_FAILSAFE_ASK_MAX);
}

/* the members to ask when etcd is gone: those of the last good read */
void
remember_members(const PghaCluster *cluster)
{
	failsafe_arrays();
	pgha_failsafe_remember(&K.failsafe_ask, cluster, pgha_node_name());
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

		/* a put whose answer is lost may have been applied: ask both lists' members */
		if (K.failsafe_ask.names != NULL)
			pgha_failsafe_before_write(&K.failsafe_ask, cluster, pgha_node_name());
		if (!leader_write(etcd, key, json, &written))
			log_etcd_problem(etcd, "write the failsafe key");
		else if (written)
		{
			pgha_failsafe_set_written(cluster);
			failsafe_arrays();
			pgha_failsafe_remember_key(&K.failsafe_ask, cluster, pgha_node_name());
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
	if (!K.failsafe_ask.key_known)
		return;
	pgstat_report_activity(STATE_RUNNING, "failsafe: asking the members to vouch for this leader");
	for (i = 0; i < K.failsafe_ask.nnames; i++)
	{
		const PghaMember *m = pgha_failsafe_whom(&K.failsafe_ask, i);

		if (m == NULL)
		{
			ereport(LOG,
					(errmsg("pgha failsafe: \"%s\" did not vouch for this leader", K.failsafe_ask.names[i]),
					 errdetail("The failsafe key lists it, but its member key was gone at the last read: it cannot be asked.")));
			return;
		}
		if (!pgha_failsafe_ping(m, ttl))
			return;
	}
	if (K.proof.failsafe_confirmed_ms == 0)
		ereport(LOG,
				(errmsg("pgha failsafe: etcd is unreachable; all %d members vouched for this leader", K.failsafe_ask.nnames),
				 errdetail("This primary keeps running while they do (failsafe_mode); no other member may race.")));
	pgha_proof_vouched(&K.proof, started, ttl);
}
