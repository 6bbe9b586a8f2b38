/*-------------------------------------------------------------------------
 *
 * apply_config.c
 *		The cluster config applied to this node: parameters through ALTER
 *		SYSTEM, pg_hba rules, and what needs a restart.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/apply_config.c
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

/* rewrite pg_hba.conf; false (logged once per revision) if it cannot */
static bool
apply_hba(bool present, char **lines, int n, int64 rev)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		if (pgha_hba_apply(present, lines, n))
		{
			if (present)
				ereport(LOG,
						(errmsg("pgha rewrote pg_hba.conf"),
						 errdetail("%d cluster-wide rules follow the protected ones.", n)));
			else
				ereport(LOG,
						(errmsg("pgha restored the original pg_hba.conf"),
						 errdetail("The cluster config has no pg_hba rules any more.")));
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		if (K.hba_warned_revision != rev)
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("%s", edata->message),
					 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
		K.hba_warned_revision = rev;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Apply the config's PostgreSQL parameters when its revision changed
 * (and once after the worker starts).  A node of another cluster applies
 * nothing.
 */
bool
apply_config(const PghaCluster *cluster)
{
	PghaApplyResult r;
	int64		rev = cluster->has_config || cluster->config_json ? cluster->config.mod_revision : 0;
	bool		present;
	char	  **lines;
	int			n;
	char		err[256];

	/*
	 * On a standby, pg_control's hot standby settings bound what is written:
	 * written again when they change (the primary restarted with other
	 * values, a promotion).
	 */
	{
		int			floor[PGHA_NHOT_STANDBY_PARAMS];

		if (pgha_apply_floor(floor) && memcmp(floor, K.params_floor, sizeof(floor)) != 0)
		{
			memcpy(K.params_floor, floor, sizeof(floor));
			K.params_revision = -1;
		}
	}
	/* copies of permanent logical slots need hot_standby_feedback (logical_copies.c) */
	{
		const PghaPermanentSlot *logical[PGHA_MAX_PERMANENT_SLOTS];
		bool		feedback = pgha_permanent_logical(&K.config, logical, PGHA_MAX_PERMANENT_SLOTS) > 0 &&
			!pgha_config_standby_cluster(&K.config);

		if (feedback != K.params_feedback)
		{
			K.params_feedback = feedback;
			K.params_revision = -1;
		}
	}
	if ((rev == K.applied_revision && K.params_revision == rev) || K.foreign)
		return false;
	/* a document that failed validation is not applied at all */
	if (!cluster->has_config && cluster->config_error[0] != '\0')
		return false;

	if (K.params_revision != rev)
	{
		pgstat_report_activity(STATE_RUNNING, "applying the cluster configuration");
		pgha_apply_parameters(cluster->config_json, K.params_floor, K.params_feedback, &r);
		K.params_revision = rev;
		K.pending_restart = r.pending_restart;
		strlcpy(K.pending_reason, r.pending_reason, sizeof(K.pending_reason));
		if (r.nset + r.nreset + r.nskipped > 0 || K.applied_revision >= 0)
			ereport(LOG,
					(errmsg("pgha applied the parameters of cluster config revision %lld", (long long) rev),
					 errdetail("%d set, %d reset, %d ignored%s.", r.nset, r.nreset, r.nskipped,
							   r.pending_restart ? "; a restart is pending" : "")));
	}

	/* pg_hba: a failure is retried every 30 s, not every loop */
	if (now_ms() < K.hba_retry_ms)
		return false;
	if (!pgha_config_hba(cluster->config_json, &present, &lines, &n, err, sizeof(err)))
	{
		if (K.hba_warned_revision != rev)
			ereport(WARNING,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("pgha ignores the pg_hba rules of the cluster config"),
					 errdetail_internal("%s", err)));
		K.hba_warned_revision = rev;
		K.hba_retry_ms = now_ms() + 30000;
		return false;
	}
	if (!apply_hba(present, lines, n, rev))
	{
		K.hba_retry_ms = now_ms() + 30000;
		return false;
	}
	K.applied_revision = rev;
	return true;
}
