/*-------------------------------------------------------------------------
 *
 * keeper.c
 *		The HA keeper: one iteration of lease, snapshot, decide, act and
 *		publish (design.md section 4), run by the worker's main loop.
 *
 * Lease protocol (design.md section 5, reference/etcd-v3-json.md):
 *	- One lease per node, TTL = ttl, carrying its member key and, on the
 *	  leader, the leader key.  Every put of those keys names the lease
 *	  (a put without it would detach the key and make it permanent).
 *	- Each iteration sends a keepalive.  A keepalive alone proves nothing
 *	  about quorum, so the leader's renewal is keepalive + a transaction
 *	  that rewrites "leader" only if it still names this node (a raft
 *	  write), or a linearizable read that shows the key with our lease.
 *	- Leadership is measured on the monotonic clock from the send time of
 *	  the last keepalive that was part of a good renewal.  When it is
 *	  older than pgha_fence_after_ms() (80% of ttl), decide() fences.  The
 *	  leader's etcd calls get no more time than it has left, so a hung
 *	  etcd cannot hold it past its deadline.
 *
 * What the keeper keeps between iterations lives in a static struct; it
 * survives an ERROR in an iteration (the worker recovers and calls again).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper.c
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
#include "common/clock.h"
#include "common/cluster.h"
#include "common/decide.h"
#include "common/keys.h"
#include "common/hot_standby.h"
#include "common/slots.h"
#include "common/switchover.h"
#include "common/timeline.h"
#include "guc.h"
#include "keeper.h"
#include "write_gate.h"
#include "local.h"
#include "orphans.h"
#include "probe.h"
#include "etcd_backend.h"
#include "failsafe.h"
#include "syncrep.h"

static struct
{
	bool		initialized;
	char	   *prefix;			/* /<namespace>/<scope>/ */
	char	   *leader_key;
	char	   *config_key;
	char	   *failover_key;
	char	   *member_key;

	int64		lease_id;		/* 0: none */
	int			lease_requested_ttl;	/* what we asked etcd for */
	int64		lease_ttl;		/* as granted */
	int64		old_lease_id;	/* during a ttl change: the lease our keys
								 * still sit on, kept alive until they move */
	int64		old_lease_ttl;
	bool		keepalive_ok;	/* this iteration */
	int64		keepalive_sent_ms;
	bool		leader_on_current_lease;	/* this iteration put the leader
											 * key on lease_id */

	bool		is_leader;
	bool		proven;			/* a renewal proven since shared memory began */
	int64		started_ms;		/* this worker's start */
	bool		seen_leader;	/* a leader key seen since the instance started */
	int64		last_renewal_ms;
	bool		foreign;		/* last seen: our sysid is not the cluster's */
	char		leader_seen[PGHA_NAME_LEN]; /* leader key value last seen */
	int64		promote_requested_ms;	/* 0: no promotion under way */
	bool		promote_withdrawn;	/* ... its request file removed by us */
	int			reserved_timeline;	/* ... the id it reserved */
	MemoryContext watch_cxt;
	int64		next_etcd_health_ms;
	char	   *member_json;	/* last member record put (malloc'd) */
	int64		member_lease;	/* ... on this lease */
	bool		member_published;	/* this worker has written its member record */
	int64		member_put_ms;	/* ... at this time */
	int			etcd_tolerated;	/* last known; -1 unknown */
	int64		failover_seen_ms;
	bool		switching;		/* let go of the key for a switchover: stopping */
	bool		restarting;		/* shut down for pghactl restart: keeps the key */
	bool		upstream_stale; /* promoted: primary_conninfo still to reset */
	int			params_floor[PGHA_NHOT_STANDBY_PARAMS]; /* apply.h: what was applied with */
	int64		params_revision;	/* parameters applied for this revision */
	int64		hba_retry_ms;	/* earliest retry of a pg_hba that failed */	/* when the pending failover key was first seen */
	bool		clear_failover;	/* we promoted for a switchover: delete the key */
	int64		applied_revision;	/* config revision applied here; -1 none */
	int64		hba_warned_revision;
	bool		pending_restart;
	char		pending_reason[256];

	PghaConfig	config;
	int64		config_warned_revision;
	int64		config_noted_revision;	/* its notes were logged */
	bool		config_known;	/* K.config was read from etcd, not a stand-in */
	int64		config_saved_revision;	/* of the config in SAVED_CONFIG_FILE */

	/*
	 * failsafe_mode: whom to ask without etcd, and when all last vouched.
	 * The members that must vouch are those of the failsafe key as etcd
	 * holds it (read, or written by us): a member not listed there never
	 * races, so only then is asking the listed ones enough.
	 */
	PghaMember *fs_members;		/* other members of the last good read */
	int			fs_nmembers;
	char		(*fs_names)[PGHA_NAME_LEN];	/* others the failsafe key lists */
	int			fs_nnames;
	bool		fs_key_known;	/* etcd holds a failsafe key with fs_names */
	int64		failsafe_confirmed_ms;

	int64		next_status_ms;
	uint64		status_optime;
	char	   *slots_done;		/* members whose slots exist, joined */
	char	   *published_history;	/* the history key as last put in shared memory */
	char	   *published_config;	/* the config key as last put there ("" absent) */
	PghaRetention *retention;	/* members whose slots the leader keeps (slots.h) */
	int64		next_standby_slots_ms;	/* a standby's next look for member slots */
	int64		last_slot_look_ms;	/* the leader's last look at member slots */
	bool		retention_loaded;	/* ... merged with the status key's list */
	char	   *status_retain;	/* the retain_slots last published */

	char		last_rule[32];

	/*
	 * Who this instance is: host and data directory (device, inode).  A
	 * restart keeps it; a copy of the data directory (pg_basebackup, which
	 * also copies pgha.name) is another instance.
	 */
	char		instance[PGHA_HOST_LEN];
	int64		leader_lease_seen;	/* the leader key's lease in the last read */
	char		last_leader[PGHA_NAME_LEN]; /* the last leader key value seen, "" never */
	bool		name_conflict;	/* another instance runs under our name */
	int64		conflict_warned_lease;
} K;

/*
 * The keeper's memory as bytes: the simulator (test/sim) runs several
 * keepers in one process and swaps this in and out between them.
 */
void *
pgha_keeper_memory(size_t *size)
{
	*size = sizeof(K);
	return &K;
}

static bool delete_failover_key(PghaEtcd *etcd);
static void drop_old_failover_key(PghaEtcd *etcd, const PghaCluster *cluster, const PghaInput *in);
static void log_etcd_problem(PghaEtcd *etcd, const char *what);
static void log_decision(const PghaDecision *d);
static void publish_write_gate(void);
static void withdrawn(void);

static int64
now_ms(void)
{
	return pgha_now_us() / 1000;
}

/*
 * The last valid cluster config, also in the data directory (as Patroni
 * keeps patroni.dynamic.json): a server that starts while etcd cannot be
 * reached works with the cluster's pause, failsafe_mode and ttl, not with
 * the defaults, which would lift a pause and fence a paused primary.
 */
#define SAVED_CONFIG_FILE "pgha.dynamic.json"

static void
load_saved_config(void)
{
	FILE	   *f = AllocateFile(SAVED_CONFIG_FILE, "r");
	char		buf[65536];
	size_t		len;
	PghaConfig	cfg;
	char		err[256];

	if (f == NULL)
		return;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	FreeFile(f);
	buf[len] = '\0';
	if (!pgha_config_parse(buf, len, &cfg, NULL, err, sizeof(err)))
		return;
	K.config = cfg;
	K.config_known = true;
}

/* the config key just read, saved when its revision changed */
static void
save_config(const PghaCluster *cluster)
{
	int64		rev = cluster->has_config ? cluster->config.mod_revision : 0;

	if (rev == K.config_saved_revision)
		return;
	pgha_write_durably(SAVED_CONFIG_FILE, cluster->has_config ? cluster->config_json : "{}");
	K.config_saved_revision = rev;
}

static void
keeper_init(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	K.prefix = pgha_key_prefix(pgha_namespace, pgha_scope);
	K.leader_key = pgha_key(K.prefix, PGHA_KEY_LEADER);
	K.config_key = pgha_key(K.prefix, PGHA_KEY_CONFIG);
	K.failover_key = pgha_key(K.prefix, PGHA_KEY_FAILOVER);
	K.member_key = pgha_member_key(K.prefix, pgha_node_name());
	K.slots_done = pstrdup("");
	{
		char		host[128] = "";
		struct stat st;

		(void) gethostname(host, sizeof(host) - 1);
		/* no device number: it may change across a reboot or a remount */
		if (stat(DataDir, &st) == 0)
			snprintf(K.instance, sizeof(K.instance), "%s:%s:%llu", host, DataDir,
					 (unsigned long long) st.st_ino);
	}
	K.watch_cxt = AllocSetContextCreate(TopMemoryContext, "pgha watch",
										ALLOCSET_SMALL_SIZES);
	pgha_config_defaults(&K.config);
	MemoryContextSwitchTo(old);

	/*
	 * A primary's fence window runs from the last renewal its predecessor
	 * proved, or from now: a worker restart never extends it.
	 */
	K.last_renewal_ms = now_ms();
	K.started_ms = K.last_renewal_ms;
	K.applied_revision = -1;
	K.params_revision = -1;
	K.hba_warned_revision = -1;
	K.etcd_tolerated = -1;
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	/* false after a start of the server until a renewal is proven (shmem.c) */
	K.proven = pgha_shared->keeper.proven;
	if (pgha_shared->keeper.valid)
	{
		K.last_renewal_ms = pgha_shared->keeper.last_renewal_ms;
		K.lease_id = pgha_shared->keeper.lease_id;
		K.lease_ttl = pgha_shared->keeper.lease_ttl;
		K.lease_requested_ttl = (int) pgha_shared->keeper.lease_ttl;
		K.old_lease_id = pgha_shared->keeper.old_lease_id;
		K.old_lease_ttl = pgha_shared->keeper.old_lease_ttl;
		K.seen_leader = pgha_shared->keeper.seen_leader;
		K.promote_requested_ms = pgha_shared->keeper.promote_requested_ms;
		K.promote_withdrawn = pgha_shared->keeper.promote_withdrawn;
		K.reserved_timeline = pgha_shared->keeper.reserved_timeline;
		/* until the first config read: the cluster's config, paused or not */
		K.config = pgha_shared->keeper.config;
		K.config_known = pgha_shared->keeper.config_known;
	}
	LWLockRelease(pgha_shared->lock);
	K.config_saved_revision = -1;
	if (!K.config_known)
		load_saved_config();
	/* a standby carries no proof, whatever its predecessor had */
	if (RecoveryInProgress())
		K.proven = false;
	K.initialized = true;
	publish_write_gate();
}

static void
save_keeper_state(void)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	pgha_shared->keeper.valid = true;
	pgha_shared->keeper.last_renewal_ms = K.last_renewal_ms;
	pgha_shared->keeper.lease_id = K.lease_id;
	pgha_shared->keeper.lease_ttl = K.lease_ttl;
	pgha_shared->keeper.old_lease_id = K.old_lease_id;
	pgha_shared->keeper.old_lease_ttl = K.old_lease_ttl;
	pgha_shared->keeper.proven = K.proven;
	pgha_shared->keeper.config = K.config;
	pgha_shared->keeper.config_known = K.config_known;
	pgha_shared->keeper.seen_leader = K.seen_leader;
	pgha_shared->keeper.promote_requested_ms = K.promote_requested_ms;
	pgha_shared->keeper.promote_withdrawn = K.promote_withdrawn;
	pgha_shared->keeper.reserved_timeline = K.reserved_timeline;
	LWLockRelease(pgha_shared->lock);
	publish_write_gate();
}

/* the TTL that bounds our keys right now (seconds) */
static int
effective_lease_ttl(void)
{
	int64		ttl = K.config.ttl;

	if (K.lease_ttl > 0)
		ttl = Min(ttl, K.lease_ttl);
	if (K.old_lease_id != 0 && K.old_lease_ttl > 0)
		ttl = Min(ttl, K.old_lease_ttl);
	return (int) ttl;
}

static int64
fence_after_ms(void)
{
	return pgha_fence_window_ms(&K.config, effective_lease_ttl());
}

int64
pgha_keeper_fence_deadline_ms(void)
{
	int64		deadline = K.last_renewal_ms + fence_after_ms();

	/* without etcd, the members' word stands in for a renewal (failsafe.c) */
	if (K.config.failsafe_mode && K.failsafe_confirmed_ms > 0)
		deadline = Max(deadline, K.failsafe_confirmed_ms + fence_after_ms());
	return deadline;
}

/*
 * Backends refuse to commit a write past the fence deadline (write_gate.c),
 * so they stop even when this worker cannot: published whenever the
 * deadline moves.  Nothing proven yet (a fresh start, a crash restart):
 * closed.  A foreign node leads nothing.  Paused too: a paused leader keeps
 * renewing its key (and does not fence), but a primary cut off from etcd,
 * or whose worker is frozen, cannot see a resume, after which a standby may
 * take the expired key; and a primary without the key never had a lease.
 */
static void
publish_write_gate(void)
{
	if (K.foreign)
		pgha_write_gate_set(0);
	else if (!K.proven)
		pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	else
		pgha_write_gate_set(Max(pgha_keeper_fence_deadline_ms(), PGHA_GATE_UNPROVEN + 1));
}

/* the failsafe key's members but this one, as etcd now holds them */
static void
remember_failsafe_names(const PghaCluster *cluster)
{
	int			i;

	if (K.fs_names == NULL)
		K.fs_names = MemoryContextAllocZero(TopMemoryContext,
											sizeof(*K.fs_names) * PGHA_MAX_MEMBERS);
	K.fs_key_known = cluster->has_failsafe;
	K.fs_nnames = 0;
	for (i = 0; i < cluster->nfailsafe && K.fs_nnames < PGHA_MAX_MEMBERS; i++)
		if (strcmp(cluster->failsafe[i], pgha_node_name()) != 0)
			strlcpy(K.fs_names[K.fs_nnames++], cluster->failsafe[i], PGHA_NAME_LEN);
}

/* the members to ask when etcd is gone: those of the last good read */
static void
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
 * /failsafe), and removes it when failsafe_mode is off.  Only once the key
 * is written does the list of members to ask change (remember_members()).
 */
static void
keep_failsafe_key(PghaEtcd *etcd, PghaCluster *cluster)
{
	char	   *key = pgha_key(K.prefix, PGHA_KEY_FAILSAFE);

	if (!K.config.failsafe_mode)
	{
		if (cluster->has_failsafe && pgha_etcd_delete(etcd, key, false, NULL))
			cluster->has_failsafe = false;
		return;
	}
	if (!pgha_failsafe_current(cluster))
	{
		char	   *json = pgha_failsafe_to_json(cluster);

		if (pgha_etcd_put(etcd, key, json, 0, NULL))
		{
			pgha_failsafe_set_written(cluster);
			remember_failsafe_names(cluster);
		}
		else
			log_etcd_problem(etcd, "write the failsafe key");
		free(json);
	}
}

/*
 * failsafe_mode, a leader without etcd: ask every member to vouch for it.
 * The time is taken before the first ping: each member's promise (not to
 * race for a ttl) runs from its own answer, which is later.
 */
static void
failsafe_pings(void)
{
	int64		started = now_ms();
	int			i;

	/* no failsafe key: nobody is barred from racing, so nobody's word suffices */
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
		if (!pgha_failsafe_ping(m))
			return;
	}
	if (K.failsafe_confirmed_ms == 0)
		ereport(LOG,
				(errmsg("pgha failsafe: etcd is unreachable; all %d members vouched for this leader", K.fs_nnames),
				 errdetail("This primary keeps running while they do (failsafe_mode); no other member may race.")));
	K.failsafe_confirmed_ms = started;
}

void
pgha_keeper_reset_connection(void)
{
	/* the watch belonged to the old client; the lease belongs to etcd */
}

/*
 * Give etcd calls no more time than the leader has before it must fence:
 * each try of an endpoint gets a share, and all the calls of the
 * iteration together end by the deadline.
 */
static void
set_call_budget(PghaEtcd *etcd)
{
	int64		budget = pgha_etcd_timeout;

	etcd->deadline_us = 0;
	if (K.is_leader && !K.config.pause)
	{
		int64		left = pgha_keeper_fence_deadline_ms() - now_ms();

		budget = Min(budget, Max(left / Max(etcd->nurls, 1), 100));
		etcd->deadline_us = pgha_keeper_fence_deadline_ms() * 1000;
	}
	etcd->timeout_ms = (int) budget;
}

static void
log_etcd_problem(PghaEtcd *etcd, const char *what)
{
	ereport(LOG,
			(errmsg("pgha could not %s in etcd", what),
			 errdetail_internal("%s: %s", pgha_etcd_err_name(etcd->err), etcd->errmsg)));
}

/*
 * Make sure we have a lease with the configured TTL and send its
 * keepalive.  False: etcd failed.
 *
 * A ttl change takes a new lease, but the old one is kept alive until our
 * keys have moved to the new one (retire_old_lease()): a key must never sit
 * on a lease nobody renews.
 */
static bool
keeper_lease(PghaEtcd *etcd)
{
	int64		ttl;
	int64		sent;

	K.keepalive_ok = false;
	if (K.lease_id != 0 && K.lease_requested_ttl != K.config.ttl && K.old_lease_id == 0)
	{
		K.old_lease_id = K.lease_id;
		K.old_lease_ttl = K.lease_ttl;
		K.lease_id = 0;
	}
	sent = now_ms();
	if (K.old_lease_id != 0 && !pgha_etcd_lease_keepalive(etcd, K.old_lease_id, &ttl))
	{
		if (etcd->err != PGHA_ETCD_LEASE_NOT_FOUND)
			return false;
		K.old_lease_id = 0;		/* gone: nothing left to protect */
	}
	if (K.lease_id == 0)
	{
		if (!pgha_etcd_lease_grant(etcd, K.config.ttl, &K.lease_id, &K.lease_ttl))
		{
			K.lease_id = 0;
			return false;
		}
		K.lease_requested_ttl = K.config.ttl;
		K.keepalive_ok = true;
		K.keepalive_sent_ms = sent;
		return true;
	}
	if (pgha_etcd_lease_keepalive(etcd, K.lease_id, &ttl))
	{
		K.keepalive_ok = true;
		K.keepalive_sent_ms = sent;
		return true;
	}
	if (etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
	{
		ereport(LOG,
				(errmsg("pgha lease %lld expired, taking a new one", (long long) K.lease_id)));
		K.lease_id = 0;
		return keeper_lease(etcd);
	}
	return false;
}

/* our keys now sit on the new lease: let the old one go */
static void
retire_old_lease(PghaEtcd *etcd)
{
	if (K.old_lease_id == 0)
		return;
	if (pgha_etcd_lease_revoke(etcd, K.old_lease_id) || etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
		K.old_lease_id = 0;
}

static bool
read_cluster(PghaEtcd *etcd, PghaCluster *cluster)
{
	PghaEtcdRange r;
	char		err[256];

	if (!pgha_etcd_range(etcd, K.prefix, true, &r))
		return false;
	pgha_cluster_from_range(K.prefix, &r, cluster, err, sizeof(err));

	if (cluster->has_config)
	{
		K.config = cluster->config;
		K.config_known = true;
		save_config(cluster);
		/* read as Patroni reads it, but said: once per revision */
		if (cluster->config_notes.text[0] != '\0' &&
			K.config_noted_revision != cluster->config.mod_revision)
			ereport(cluster->config.pause && (cluster->config.standby_cluster || cluster->config.quorum) ?
					WARNING : LOG,
					(errmsg("pgha: the cluster config has values pgha coerced or adjusted, or settings it does not implement"),
					 errdetail("%s.", cluster->config_notes.text),
					 errhint("pgha.status() shows this in config_warnings.")));
		K.config_noted_revision = cluster->config.mod_revision;
	}
	else if (cluster->config_error[0] != '\0')
	{
		/*
		 * Keep the last valid config; with none since this server started,
		 * act as paused: a config pgha cannot read may well be a paused one,
		 * and the defaults would lift the pause.
		 */
		if (!K.config_known)
		{
			pgha_config_defaults(&K.config);
			K.config.pause = true;
		}
		if (K.config_warned_revision != cluster->config.mod_revision)
		{
			ereport(WARNING,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pgha ignores the invalid config in etcd"),
					 errdetail("%s", cluster->config_error),
					 K.config_known ?
					 errhint("Fix the \"%s\" key; the last valid config stays in force.",
							 K.config_key) :
					 errhint("Fix the \"%s\" key. No valid config was read since this server started: pgha acts as paused (no failover, no fencing) until then.",
							 K.config_key)));
			K.config_warned_revision = cluster->config.mod_revision;
		}
	}
	else
	{
		pgha_config_defaults(&K.config);
		K.config_known = true;
		save_config(cluster);
	}

	K.foreign = cluster->has_initialize && cluster->initialize[0] != '\0' &&
		strtoull(cluster->initialize, NULL, 10) != GetSystemIdentifier();
	strlcpy(K.leader_seen, cluster->has_leader ? cluster->leader : "", sizeof(K.leader_seen));
	K.leader_lease_seen = cluster->has_leader ? cluster->leader_lease : 0;
	if (cluster->has_leader)
		strlcpy(K.last_leader, cluster->leader, sizeof(K.last_leader));

	if (cluster->nbad_members > 0)
		ereport(DEBUG1, (errmsg("pgha ignores %d invalid member keys", cluster->nbad_members),
						 errdetail("%s", cluster->member_error)));
	return true;
}

/* where the other nodes connect to this one */
static void
own_conn_url(char *buf, size_t len)
{
	if (pgha_connect_address[0] != '\0')
		snprintf(buf, len, "postgres://%s/%s", pgha_connect_address, pgha_database);
	else
		snprintf(buf, len, "postgres://127.0.0.1:%d/%s", PostPortNumber, pgha_database);
}

static void
fill_member(PghaMember *m, const PghaLocalDetail *local, const char *state)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->name, pgha_node_name(), sizeof(m->name));
	own_conn_url(m->conn_url, sizeof(m->conn_url));
	if (pgha_api_listen[0] != '\0')
	{
		/* Patroni's api_url: where HAProxy and friends find the REST API */
		const char *scheme = pgha_api_certfile[0] != '\0' ? "https" : "http";

		if (pgha_api_connect_address[0] != '\0')
			snprintf(m->api_url, sizeof(m->api_url), "%s://%s/patroni", scheme, pgha_api_connect_address);
		else
		{
			char		host[PGHA_HOST_LEN] = "127.0.0.1";
			const char *api_port = strrchr(pgha_api_listen, ':');

			if (pgha_connect_address[0] != '\0')
			{
				strlcpy(host, pgha_connect_address, sizeof(host));
				if (strrchr(host, ':'))
					*strrchr(host, ':') = '\0';
			}
			snprintf(m->api_url, sizeof(m->api_url), "%s://%s%s/patroni", scheme, host,
					 api_port ? api_port : ":8008");
		}
	}
	strlcpy(m->state, state, sizeof(m->state));
	strlcpy(m->role, local->base.in_recovery ? "replica" : pgha_primary_role(), sizeof(m->role));
	if (local->base.in_recovery)
		strlcpy(m->replication_state, local->replication_state, sizeof(m->replication_state));
	m->timeline = local->base.timeline;
	m->xlog_location = local->base.lsn;
	m->receive_lsn = local->receive_lsn;
	m->replay_lsn = local->replay_lsn;
	m->nofailover = pgha_nofailover;
	m->failover_priority = pgha_failover_priority;
	m->noloadbalance = pgha_noloadbalance;
	m->clonefrom = pgha_clonefrom;
	m->nosync = pgha_nosync;
	snprintf(m->sysid, sizeof(m->sysid), UINT64_FORMAT, local->base.sysid);
	m->config_revision = Max(K.applied_revision, 0);
	m->pending_restart = K.pending_restart;
	strlcpy(m->pending_restart_reason, K.pending_reason, sizeof(m->pending_restart_reason));
	/* pghactl restart waits for a new start time, and restarts only supervised nodes */
	m->started_ms = PgStartTime / 1000 +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
	m->supervised = getenv("PGHACTL_SUPERVISED") != NULL;
	strlcpy(m->instance, K.instance, sizeof(m->instance));
}

/* another running instance under our name: its lease, else 0 */
static int64
name_conflict(const PghaCluster *cluster, const PghaLocal *local)
{
	char		conn_url[PGHA_HOST_LEN + 32];
	PghaSelf	self;

	own_conn_url(conn_url, sizeof(conn_url));
	self.name = pgha_node_name();
	self.instance = K.instance;
	self.conn_url = conn_url;
	self.lease = K.lease_id;
	self.old_lease = K.old_lease_id;
	self.adopt_unmarked = !K.member_published;
	self.timeline = local->timeline;
	self.lsn = local->lsn;
	return pgha_name_conflict(cluster, &self);
}

/*
 * pghactl restart / reinit: a "restart/<me>" or "reinit/<me>" request.
 * Taken by deleting it (guarded by its revision, so a newer request
 * survives), then a fast shutdown that pghactl run, the supervisor, follows
 * with a start (after replacing the data directory, for a reinit).  A
 * leader keeps its key over a restart: the restarted worker re-attaches to
 * it well within the ttl.  A leader is never reinitialized.
 */
/* take a request key of ours by deleting it, guarded by its revision */
static bool
take_request(PghaEtcd *etcd, const char *kind, int64 mod_revision)
{
	return pgha_etcd_delete_if_unchanged(etcd, psprintf("%s%s%s", K.prefix, kind, pgha_node_name()),
										 mod_revision);
}

static void
handle_restart_request(PghaEtcd *etcd, PghaCluster *cluster)
{
	PghaMember *me = pgha_cluster_member(cluster, pgha_node_name());
	PghaRequestInput in;
	PghaRequestDecision d;

	if (me == NULL)
		return;
	memset(&in, 0, sizeof(in));
	in.reinit_requested = me->reinit_requested;
	in.restart_requested = me->restart_requested;
	in.restart_pending_only = me->restart_pending_only;
	if (me->restart_schedule[0] != '\0')
	{
		TimestampTz at;

		/* one that cannot be read is due: taken, and done now */
		in.restart_not_due = pgha_etcd_parse_time(me->restart_schedule, &at) &&
			GetCurrentTimestamp() < at;
	}
	in.restart_not_applicable = !pgha_restart_applies(me->restart_role, me->restart_postgres_version,
													  K.is_leader, PG_VERSION_NUM);
	in.pending_restart = K.pending_restart;
	in.is_leader = K.is_leader;
	in.supervised = getenv("PGHACTL_SUPERVISED") != NULL;
	pgha_decide_request(&in, &d);
	if (d.action == PGHA_REQ_NONE ||
		!take_request(etcd, d.reinit ? PGHA_KEY_REINIT : PGHA_KEY_RESTART,
					  d.reinit ? me->reinit_mod_revision : me->restart_mod_revision))
		return;

	switch (d.action)
	{
		case PGHA_REQ_NONE:
			break;
		case PGHA_REQ_REFUSE:
			ereport(WARNING,
					(errmsg("pgha refused a %s request: %s", d.reinit ? "reinit" : "restart", d.reason),
					 errhint("%s", d.hint)));
			break;
		case PGHA_REQ_SKIP:
			ereport(LOG, (errmsg("pgha: %s", d.reason)));
			break;
		case PGHA_REQ_REINIT:
			/* pghactl run finds the marker, empties the directory and clones */
			if (!pgha_action_leave_marker(PGHA_REINIT_MARKER))
				return;
			ereport(LOG,
					(errmsg("pgha: reinitializing on request (pghactl reinit): fast shutdown"),
					 errdetail("pghactl run replaces the data directory with a copy of the leader.")));
			pgha_action_shutdown_fast();
			break;
		case PGHA_REQ_RESTART:
			ereport(LOG,
					(errmsg("pgha: restarting on request (pghactl restart): fast shutdown"),
					 errdetail("pghactl run starts PostgreSQL again%s.",
							   K.is_leader ? "; this leader keeps its key" : "")));
			K.restarting = true;
			/* for the on_restart callback; a restart without it is still a restart */
			(void) pgha_action_leave_marker(PGHA_RESTART_MARKER);
			pgha_action_shutdown_fast();
			break;
	}
}

static bool
publish_member(PghaEtcd *etcd, PghaCluster *cluster, const PghaLocalDetail *local,
			   const char *state)
{
	PghaMember	m;
	const PghaMember *was = pgha_cluster_member(cluster, pgha_node_name());
	char	   *json;
	bool		ok;

	if (K.lease_id == 0)
		return false;
	fill_member(&m, local, state);
	/* a scheduled restart of ours, shown as Patroni shows it */
	if (was && was->restart_requested && was->restart_schedule[0] != '\0')
	{
		strlcpy(m.restart_schedule, was->restart_schedule, sizeof(m.restart_schedule));
		strlcpy(m.restart_postgres_version, was->restart_postgres_version,
				sizeof(m.restart_postgres_version));
	}
	json = pgha_member_to_json(&m);
	if (json == NULL)
		return false;

	/*
	 * Like Patroni, skip the put when nothing changed: the lease keepalive
	 * keeps the key alive.  Re-put every 30 s anyway, in case somebody
	 * removed the key behind our back.
	 */
	if (K.member_json && strcmp(K.member_json, json) == 0 && K.member_lease == K.lease_id &&
		now_ms() - K.member_put_ms < 30000)
	{
		free(json);
		return true;
	}
	ok = pgha_etcd_put(etcd, K.member_key, json, K.lease_id, NULL);
	if (!ok)
	{
		if (etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
			K.lease_id = 0;
		log_etcd_problem(etcd, "publish this member");
		free(json);
		return false;
	}
	free(K.member_json);
	K.member_json = json;
	K.member_lease = K.lease_id;
	K.member_published = true;
	K.member_put_ms = now_ms();
	return true;
}

/* leader key: create if absent (acquire, race) or rewrite if mine (renew) */
static bool
leader_txn(PghaEtcd *etcd, bool create, bool *succeeded)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;

	/* a leader key without a lease would never expire */
	if (K.lease_id == 0)
		return false;
	memset(&t, 0, sizeof(t));
	if (create)
		pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_CREATE, 0, NULL);
	else
	{
		/* ours by value and by the lease the read found it on (name_conflict) */
		pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, pgha_node_name());
		pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_LEASE, K.leader_lease_seen, NULL);
	}
	pgha_etcd_txn_put(&t, K.leader_key, pgha_node_name(), K.lease_id);
	if (!pgha_etcd_txn(etcd, &t, &r))
	{
		if (etcd->err == PGHA_ETCD_LEASE_NOT_FOUND)
			K.lease_id = 0;
		return false;
	}
	*succeeded = r.succeeded;
	if (r.succeeded)
		K.leader_on_current_lease = true;
	return true;
}

/* how: what happened; why: the decision's reason, or NULL */
static void
become_leader(const char *how, const char *why)
{
	bool		was = K.is_leader;

	K.is_leader = true;
	/* the previous leader's list of retained slots is read again */
	if (!was)
		K.retention_loaded = false;
	if (K.keepalive_ok)
	{
		K.last_renewal_ms = K.keepalive_sent_ms;
		K.proven = true;
		/* a failsafe episode, if any, is over */
		K.failsafe_confirmed_ms = 0;
	}
	/* before pg_promote() can open the node for writes */
	publish_write_gate();
	if (!was)
		ereport(LOG,
				(errmsg("pgha: this node is the leader"),
				 errdetail("%s; lease %lld, ttl %d s.%s%s", how, (long long) K.lease_id,
						   effective_lease_ttl(), why ? " " : "", why ? why : "")));
}

/*
 * Without the key nothing is proven any more: the write gate closes at
 * once and stays closed until the worker holds the key again.  A promotion
 * this node asked for may still complete (pg_promote() cannot be taken
 * back); it must end on a primary that refuses commits.
 */
static void
lose_leadership(const char *why)
{
	if (K.is_leader)
		ereport(LOG,
				(errmsg("pgha: this node lost the leader key"),
				 errdetail("%s", why)));
	K.is_leader = false;
	K.proven = false;
	save_keeper_state();

	/*
	 * A promotion asked for while holding the key is withdrawn if the
	 * startup process has not acted on it: completed, it would end on a
	 * second timeline with the id the new leader's promotion takes.
	 */
	if (K.promote_requested_ms != 0 && !K.promote_withdrawn && RecoveryInProgress() &&
		pgha_action_cancel_promotion())
	{
		ereport(LOG,
				(errmsg("pgha: withdrew the promotion this node had asked for"),
				 errdetail("The startup process had not acted on the request when the key was lost.")));
		withdrawn();
	}
}

/*
 * The startup process may have seen the request file an instant before it
 * went: the request stays on record until that is ruled out
 * (promotion_over()); check_promotion() then records the history and asks
 * for the checkpoint if it completes anyway.  Old enough that a new win
 * signals again at once.
 */
static void
withdrawn(void)
{
	K.promote_requested_ms = now_ms() - 10000;
	K.promote_withdrawn = true;
	save_keeper_state();
}

/*
 * A withdrawn promotion is over once the startup process, seen waiting for
 * WAL after the request was withdrawn, has not recorded that it took one:
 * either its last look found no request, or its next will.  Until then,
 * the placeholders that steer its timeline id stay.
 */
static void
promotion_over(void)
{
	/*
	 * The wait first: a startup process that found the request records that
	 * it took it before it waits again, so the flag read after it is sure.
	 */
	if (K.promote_requested_ms == 0 || !K.promote_withdrawn ||
		!pgha_action_startup_waits_for_wal() || pgha_action_promotion_in_flight())
		return;
	ereport(DEBUG1,
			(errmsg("pgha: the withdrawn promotion is over"),
			 errdetail("The startup process waits for WAL.")));
	K.promote_requested_ms = 0;
	K.promote_withdrawn = false;
	save_keeper_state();
}

static bool
do_bootstrap(PghaEtcd *etcd, const PghaLocalDetail *local)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char		sysid[32];
	char	   *config_json;

	if (K.lease_id == 0)
		return false;
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, local->base.sysid);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, pgha_key(K.prefix, PGHA_KEY_INITIALIZE), PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, pgha_key(K.prefix, PGHA_KEY_INITIALIZE), sysid, 0);
	pgha_etcd_txn_put(&t, K.leader_key, pgha_node_name(), K.lease_id);
	if (!pgha_etcd_txn(etcd, &t, &r))
	{
		log_etcd_problem(etcd, "bootstrap the cluster");
		return false;
	}
	if (!r.succeeded)
		return false;			/* somebody else was faster: decide again */

	ereport(LOG,
			(errmsg("pgha: bootstrapped cluster \"%s\"", pgha_scope),
			 errdetail("System identifier %s, key prefix \"%s\".", sysid, K.prefix)));
	become_leader("Bootstrapped a new cluster", NULL);

	/* a config seeded by the DBA before bootstrap wins over the defaults */
	config_json = pgha_config_to_json(&K.config);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.config_key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, K.config_key, config_json, 0);
	if (!pgha_etcd_txn(etcd, &t, &r))
		log_etcd_problem(etcd, "write the initial config");
	free(config_json);
	return true;
}

/*
 * pghactl takes the initialize lock with an empty value before initdb (as
 * Patroni does); the first leader fills in its system identifier.
 */
static void
claim_initialize(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char		sysid[32];
	char	   *key;

	/* filled in already; or lost (a history shows the cluster existed): made again */
	if (cluster->has_initialize && cluster->initialize[0] != '\0')
		return;
	key = pgha_key(K.prefix, PGHA_KEY_INITIALIZE);
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, local->base.sysid);
	memset(&t, 0, sizeof(t));
	if (cluster->has_initialize)
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_VALUE, 0, "");
	else
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, key, sysid, 0);
	if (!pgha_etcd_txn(etcd, &t, &r))
		log_etcd_problem(etcd, "record the system identifier");
	else if (r.succeeded)
		ereport(LOG,
				(errmsg("pgha: initialized cluster \"%s\"", pgha_scope),
				 errdetail("System identifier %s, key prefix \"%s\".", sysid, K.prefix)));
}

/*
 * Before a promotion is asked for, the timeline id it will take is reserved
 * in etcd, past every id another member reserved (common/timeline.h):
 * placeholders in pg_wal make PostgreSQL skip those.  The reservation is
 * written only while the leader key names this node on its lease.  Returns
 * the id, 0 when it could not be reserved: no promotion this time.
 */
static int
reserve_timeline(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	const char *me = pgha_node_name();
	int			current = local->base.timeline;
	int			next = pgha_action_next_timeline(current);
	int			target = pgha_timeline_target(cluster, me, next, K.promote_requested_ms != 0);
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char	   *key;
	char	   *json;
	bool		ok;
	int			planted;

	/* ids from etcd are untrusted: a cluster skips a few, never thousands */
	if (target - next > 64)
	{
		ereport(WARNING,
				(errmsg("pgha: not promoting: timeline %d would skip more than 64 ids", target),
				 errdetail("This node would take timeline %d; the reservation, history and member keys show %d in use.",
						   next, target - 1)));
		return 0;
	}
	/* also fills a gap below (a placeholder removed since): PostgreSQL counts one id at a time */
	planted = pgha_action_plant_timelines(current, target);
	if (target > next)
	{
		ereport(LOG,
				(errmsg("pgha: this promotion skips timeline ids %d to %d", next, target - 1),
				 errdetail("%s; %d placeholder history files written to pg_wal.",
						   cluster->has_reservation && strcmp(cluster->reserved_by, me) != 0 ?
						   psprintf("Member \"%s\" reserved timeline %d for a promotion that may still complete",
									cluster->reserved_by, cluster->reserved_timeline) :
						   "The cluster already uses these ids",
						   planted)));
	}
	if (cluster->has_reservation && cluster->reserved_timeline == target &&
		strcmp(cluster->reserved_by, me) == 0)
		return target;

	key = pgha_key(K.prefix, PGHA_KEY_TIMELINE);
	json = pgha_reservation_to_json(target, me);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, me);
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_LEASE, K.lease_id, NULL);
	/* nobody reserved in between: this node's read is what it skipped past */
	if (cluster->reservation_mod_revision != 0)
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_MOD, cluster->reservation_mod_revision, NULL);
	else
		pgha_etcd_txn_equal(&t, key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, key, json, 0);
	ok = pgha_etcd_txn(etcd, &t, &r);
	free(json);
	if (!ok)
	{
		log_etcd_problem(etcd, "reserve the timeline id of the promotion");
		return 0;
	}
	return r.succeeded ? target : 0;
}

/* request promotion; the loop keeps renewing while recovery finishes */
static void
request_promotion(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	int			target;

	/* signal once, and again only if nothing happened for a while */
	if (K.promote_requested_ms != 0 && now_ms() - K.promote_requested_ms < 10000)
		return;
	/* taken already: it ends on the id it was given, nothing to reserve or plant */
	if (pgha_action_promote_taken())
		return;
	target = reserve_timeline(etcd, cluster, local);
	if (target == 0)
		return;

	/*
	 * A worker stopped while the reservation was on its way (frozen, or
	 * swapped out) hears the answer late: the walreceiver may have fetched
	 * history files meanwhile, and PostgreSQL would pick another id.  Not
	 * this time, then; the next iteration looks again.
	 */
	if (pgha_action_next_timeline(local->base.timeline) != target)
	{
		ereport(LOG,
				(errmsg("pgha: not promoting: the timeline id changed after it was reserved"),
				 errdetail("Timeline %d was reserved; this node would take %d now.",
						   target, pgha_action_next_timeline(local->base.timeline))));
		return;
	}
	/*
	 * "this node is the leader" said it, and "promoted to primary" will
	 * close it: the first request is not a role change of its own.  A
	 * repeated one means the promotion hangs, and the DBA should know.
	 */
	ereport(K.promote_requested_ms != 0 ? LOG : DEBUG1,
			(errmsg("pgha: promoting this standby"),
			 errdetail("This node holds the leader key%s.",
					   K.promote_requested_ms != 0 ? "; the promotion requested before has not finished" : "")));
	pgstat_report_activity(STATE_RUNNING, "requesting promotion");
	pgha_syncrep_before_promote(&K.config);
	/* on record first: a successor worker must know of the request */
	K.promote_requested_ms = now_ms();
	K.promote_withdrawn = false;
	K.reserved_timeline = target;
	save_keeper_state();
	pgha_action_promote();
}

/*
 * Placeholders steer the id of this node's own promotion only; once none
 * is under way (nor a withdrawn one that may still complete), two kinds go:
 * one above every real history file and this node's timeline (a restart
 * would make it the target of recovery, which has no history: PostgreSQL
 * would replay nothing more), and, while not streaming, one of an id a leader ran on
 * after all (PostgreSQL would read it as that timeline's history, so this
 * standby could never follow it; the walreceiver fetches the real file).
 */
static bool
timeline_led(void *arg, int tli)
{
	return pgha_timeline_led((PghaCluster *) arg, tli);
}

static void
tidy_placeholders(PghaCluster *cluster, const PghaLocalDetail *local)
{
	int			dropped;

	if (K.promote_requested_ms != 0 || pgha_action_promotion_in_flight())
		return;
	dropped = pgha_action_drop_placeholders(local->base.timeline,
											local->base.streaming ? NULL : timeline_led, cluster);
	if (dropped > 0)
		ereport(LOG,
				(errmsg("pgha: removed %d timeline placeholders", dropped),
				 errdetail("No promotion of this node is under way, and they were above its timeline or of ids a leader ran on.")));
}

/* after a requested promotion: has recovery ended? */
static void
check_promotion(const PghaLocalDetail *local)
{
	if (K.promote_requested_ms == 0 || local->base.in_recovery)
		return;
	ereport(LOG,
			(errmsg("pgha: promoted to primary"),
			 errdetail("New timeline %d, %lld ms after the request.", local->base.timeline,
					   (long long) (now_ms() - K.promote_requested_ms))));
	/* one PostgreSQL picked other than the reserved one: the DBA should know */
	if (K.reserved_timeline != 0 && local->base.timeline != K.reserved_timeline)
		ereport(WARNING,
				(errmsg("pgha: the promotion took timeline %d, not the reserved %d",
						local->base.timeline, K.reserved_timeline),
				 errdetail("PostgreSQL found a newer timeline history file than pg_wal had when the id was reserved (restore_command reads the archive too).")));
	K.promote_requested_ms = 0;
	K.promote_withdrawn = false;
	K.reserved_timeline = 0;
	K.slots_done[0] = '\0';

	/*
	 * Until a checkpoint on the new timeline, pg_control still says the old
	 * one, and pg_rewind run against this node finds "no rewind required"
	 * for a node that forked off: ask for an immediate checkpoint (without
	 * waiting for it here, the lease comes first).
	 */
	RequestCheckpoint(CHECKPOINT_IMMEDIATE | CHECKPOINT_FORCE);
	K.upstream_stale = true;
}

/*
 * A primary drops its primary_conninfo and primary_slot_name (actions.c
 * says why), after a promotion; retried until it could.  Not while a
 * switchover is under way: that wrote the next upstream.
 */
static void
forget_upstream(const PghaLocalDetail *local)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (!K.upstream_stale || local->base.in_recovery || K.switching)
		return;
	PG_TRY();
	{
		pgha_action_forget_upstream();
		K.upstream_stale = false;
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not reset primary_conninfo and primary_slot_name after the promotion"),
				 errdetail_internal("%s", edata->message)));
	}
	PG_END_TRY();
}

/*
 * The history key as this leader's timeline history file says it: every
 * switch of its lineage (a leader cut off or killed right after its
 * promotion never wrote its own) and every id it skipped; a standby left on
 * a timeline that ended, or on one of another branch, can tell from it that
 * it must be rewound.
 */
static void
record_history(PghaEtcd *etcd, const PghaCluster *cluster, int timeline)
{
	PghaTimelineSwitch sw[64];
	int			n = pgha_timeline_switches(sw, lengthof(sw));
	char	   *ts;
	char	   *json;
	char	   *p;

	ts = pstrdup(timestamptz_to_str(GetCurrentTimestamp()));
	for (p = ts; *p; p++)
		if (*p == ' ')
			*p = 'T';
	json = n > 0 ? pgha_history_add(cluster->history, sw, n, timeline,
									 "no recovery target specified",
									 ts, pgha_node_name()) : NULL;
	if (json != NULL && !pgha_etcd_put(etcd, pgha_key(K.prefix, PGHA_KEY_HISTORY), json, 0, NULL))
		log_etcd_problem(etcd, "write the history key");
	free(json);
}

/*
 * Drop one member slot (physical, inactive), with a LOG line that says why.
 * Returns pgha_action_drop_member_slot()'s answer; -1 on an error too.
 */
static int
drop_member_slot(const char *slot, const char *why)
{
	uint64		restart = 0;
	volatile int dropped = -1;
	MemoryContext cxt = CurrentMemoryContext;

	/* the config names it: a consumer's, whatever a member was called */
	if (pgha_slot_permanent(&K.config, slot) || pgha_slot_ignored(&K.config, slot, "physical", "", ""))
		return 0;

	PG_TRY();
	{
		dropped = pgha_action_drop_member_slot(slot, &restart);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not drop the replication slot \"%s\": %s", slot, edata->message)));
	}
	PG_END_TRY();
	if (dropped == 1)
		ereport(LOG,
				(errmsg("pgha dropped the replication slot \"%s\"", slot),
				 errdetail("%s It held WAL from %X/%X.", why, (unsigned) (restart >> 32), (unsigned) restart)));
	return dropped;
}

/*
 * A standby keeps no member slots, but a former leader still has the ones
 * it kept then (pg_rewind and a restart leave pg_replslot alone), and on a
 * standby a slot holds WAL too: drop every inactive slot named after a
 * member, now and then.  Slots with other names (a DBA's) are not touched.
 */
static void
drop_standby_member_slots(const PghaCluster *cluster)
{
	int			i;
	char	   *why;

	if (now_ms() < K.next_standby_slots_ms)
		return;
	K.next_standby_slots_ms = now_ms() + 30000;
	why = psprintf("A standby keeps no member slots; \"%s\" is left from when this node led.",
				   pgha_node_name());
	for (i = 0; i < cluster->nmembers + cluster->nretain; i++)
	{
		const char *name = i < cluster->nmembers ? cluster->members[i].name
			: cluster->retain[i - cluster->nmembers];
		char		slot[PGHA_NAME_LEN];

		if (strcmp(name, pgha_node_name()) == 0)
			continue;
		pgha_slot_name(name, slot, sizeof(slot));
		(void) drop_member_slot(slot, why);
	}
}

/*
 * The leader keeps a slot (and the WAL it holds back) for another member
 * of this cluster whose key sits on a lease: a key written without one
 * never expires, and would hold WAL until the disk is full.  Nor does a
 * node whose server is down (pghactl run's record, renewed while it
 * retries): its slot is kept for member_slots_ttl, as a departed one's.
 */
static bool
member_gets_slot(const PghaMember *m)
{
	return !m->foreign && !m->down && m->lease != 0 && strcmp(m->name, pgha_node_name()) != 0;
}

/*
 * Departed members' slots (common/slots.h): remember who is here, drop the
 * slot of a member gone for member_slots_ttl.  Paused: nothing is dropped
 * (an automatic action like any other), the clocks keep running.
 */
static void
manage_member_slots(const PghaCluster *cluster)
{
	const char **present = palloc(sizeof(char *) * Max(cluster->nmembers, 1));
	PghaRetained *drop;
	char		my_slot[PGHA_NAME_LEN];
	int			npresent = 0;
	int			ndrop;
	int			i;
	int64		now = now_ms();

	if (K.retention == NULL)
		K.retention = MemoryContextAllocZero(TopMemoryContext, sizeof(PghaRetention));
	if (!K.retention_loaded)
	{
		/* a new leader keeps what its predecessor kept, for a full ttl */
		pgha_slot_name(pgha_node_name(), my_slot, sizeof(my_slot));
		K.retention->n = 0;
		for (i = 0; i < cluster->nretain; i++)
		{
			const char *name = cluster->retain[i];
			char		slot[PGHA_NAME_LEN];

			pgha_slot_name(name, slot, sizeof(slot));
			if (strcmp(slot, my_slot) != 0)
				pgha_retention_see(K.retention, &name, 1, now);
		}
		K.retention_loaded = true;
	}
	/*
	 * After a long gap without a look (etcd was away, failsafe_mode), the
	 * members may not have re-published their keys yet: start every clock
	 * afresh rather than drop on a stale picture.
	 */
	if (K.last_slot_look_ms != 0 &&
		now - K.last_slot_look_ms > Max(10000, 3000 * (int64) K.config.loop_wait))
		for (i = 0; i < K.retention->n; i++)
			K.retention->r[i].last_seen_ms = now;
	K.last_slot_look_ms = now;
	for (i = 0; i < cluster->nmembers; i++)
		if (member_gets_slot(&cluster->members[i]))
			present[npresent++] = cluster->members[i].name;
	pgha_retention_see(K.retention, present, npresent, now);
	if (K.config.pause)
		return;

	drop = palloc(sizeof(*drop) * PGHA_MAX_RETAINED);
	ndrop = pgha_retention_expired(K.retention, now, (int64) K.config.member_slots_ttl * 1000,
								   drop, PGHA_MAX_RETAINED);
	for (i = 0; i < ndrop; i++)
	{
		if (drop_member_slot(drop[i].slot, psprintf("Member \"%s\" left: its key has been gone for more than member_slots_ttl (%d s).",
													drop[i].member, K.config.member_slots_ttl)) < 0)
		{
			/* in use (or the drop failed): keep it, ask again after a ttl */
			const char *name = drop[i].member;

			pgha_retention_see(K.retention, &name, 1, now);
		}
	}
}

/*
 * Permanent physical slots (common/slots.h): made where missing; on a
 * replica, an inactive copy is advanced to the leader's published
 * position.  The leader gets the positions to publish (malloc'd JSON);
 * a replica NULL.  A slot problem costs a WARNING, never the iteration.
 */
static char *
keep_permanent_slots(const PghaCluster *cluster, bool leading)
{
	char	   *names[PGHA_MAX_PERMANENT_SLOTS];
	bool		exists[PGHA_MAX_PERMANENT_SLOTS];
	bool		active[PGHA_MAX_PERMANENT_SLOTS];
	uint64		restart[PGHA_MAX_PERMANENT_SLOTS];
	int			n = pgha_permanent_physical(&K.config, cluster, pgha_node_name(), names,
											PGHA_MAX_PERMANENT_SLOTS);
	char	   *volatile positions = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	if (n == 0)
		return leading ? strdup("{}") : NULL;
	PG_TRY();
	{
		int			created = pgha_action_ensure_slots(names, n);

		if (created > 0)
			ereport(LOG,
					(errmsg_plural("pgha created %d permanent replication slot",
								   "pgha created %d permanent replication slots", created, created),
					 errdetail("The config's \"slots\" names them; they reserve WAL from now on.")));
		pgha_action_slot_states(names, n, exists, active, restart);
		for (int i = 0; i < n && !leading; i++)
		{
			uint64		target = pgha_slot_leader_position(cluster, names[i]);

			/* a consumer reading from this replica moves it itself */
			if (exists[i] && !active[i] && target > restart[i])
				restart[i] = pgha_action_advance_slot(names[i], target);
		}
		if (leading)
			positions = pgha_slot_positions_json(names, restart, n);
	}
	PG_CATCH();
	{
		ErrorData  *edata = pgha_recover_error(cxt);

		ereport(WARNING,
				(errmsg("pgha could not keep the permanent replication slots: %s", edata->message)));
	}
	PG_END_TRY();
	return positions;
}

/* The leader's chores after a good renewal: slots, status, history. */
static void
leader_housekeeping(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local)
{
	StringInfoData names;
	char	  **slots = palloc(sizeof(char *) * Max(cluster->nmembers, 1));
	int			nslots = 0;
	int			i;

	initStringInfo(&names);
	for (i = 0; i < cluster->nmembers; i++)
	{
		const PghaMember *m = &cluster->members[i];

		if (!member_gets_slot(m))
			continue;
		slots[nslots] = palloc(PGHA_NAME_LEN);
		pgha_slot_name(m->name, slots[nslots], PGHA_NAME_LEN);
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", slots[nslots]);
		nslots++;
	}
	if (strcmp(names.data, K.slots_done) != 0)
	{
		MemoryContext cxt = CurrentMemoryContext;
		volatile int created = -1;

		/* a slot problem must not cost the leader its iteration */
		PG_TRY();
		{
			created = pgha_action_ensure_slots(slots, nslots);
		}
		PG_CATCH();
		{
			ErrorData  *edata = pgha_recover_error(cxt);

			ereport(WARNING,
					(errmsg("pgha could not create replication slots: %s", edata->message)));
		}
		PG_END_TRY();
		if (created > 0)
			ereport(LOG,
					(errmsg_plural("pgha created %d replication slot",
								   "pgha created %d replication slots",
								   created, created),
					 errdetail("Slots kept for members: %s.", names.data)));
		if (created >= 0)
		{
			pfree(K.slots_done);
			K.slots_done = MemoryContextStrdup(TopMemoryContext, names.data);
		}
	}

	manage_member_slots(cluster);
	{
		char	   *permanent = keep_permanent_slots(cluster, true);
		char	   *retain_only = pgha_retention_json(K.retention);
		/* what besides the position the status says: compared as one string */
		char	   *retain = psprintf("\"slots\":%s,\"retain_slots\":%s",
									  permanent ? permanent : "{}", retain_only);

		free(permanent);
		free(retain_only);
		if (local->base.lsn != K.status_optime || now_ms() >= K.next_status_ms ||
			K.status_retain == NULL || strcmp(retain, K.status_retain) != 0)
		{
			char	   *status = psprintf("{\"optime\":" UINT64_FORMAT ",%s}",
										  local->base.lsn, retain);

			if (pgha_etcd_put(etcd, pgha_key(K.prefix, PGHA_KEY_STATUS), status, 0, NULL))
			{
				K.status_optime = local->base.lsn;
				/* unchanged positions are re-published only now and then */
				K.next_status_ms = now_ms() + 30000;
				if (K.status_retain)
					pfree(K.status_retain);
				K.status_retain = MemoryContextStrdup(TopMemoryContext, retain);
			}
		}
	}
	/*
	 * The history key says what this leader's lineage says, checked every
	 * time and written when it differs: after a promotion, after a worker
	 * restarted before its write, and when another branch wrote it (a
	 * standby left on a timeline of that branch can tell it must be rewound
	 * only from this key).
	 */
	record_history(etcd, cluster, local->base.timeline);
	if (!K.config.pause)
		keep_failsafe_key(etcd, (PghaCluster *) cluster);
	if (!K.config.pause)
		pgha_syncrep_leader(etcd, K.prefix, cluster, &K.config);
}

static void
probe_peers(const PghaCluster *cluster, PghaInput *in, PghaPeer *peers)
{
	int			i;
	int			n = 0;

	pgstat_report_activity(STATE_RUNNING, "asking the other members for their WAL position");
	for (i = 0; i < cluster->nmembers; i++)
	{
		const PghaMember *m = &cluster->members[i];

		if (strcmp(m->name, pgha_node_name()) == 0 || m->foreign)
			continue;
		pgha_probe_member(m, &peers[n]);
		ereport(DEBUG1,
				(errmsg("pgha probed \"%s\": %s, %X/%X", m->name,
						peers[n].reachable ? (peers[n].in_recovery ? "standby" : "primary") : "unreachable",
						(unsigned) (peers[n].lsn >> 32), (unsigned) peers[n].lsn)));
		n++;
	}
	in->peers = peers;
	in->npeers = n;
	in->peers_probed = true;
}

/*
 * What this node's primary_conninfo says to stream from member m (connect
 * timeout 2 s), and its own slot name there: following, fencing and a
 * switchover all point the node the same way.
 */
static char *
conninfo_toward(const PghaMember *m, char *slot)
{
	pgha_slot_name(pgha_node_name(), slot, PGHA_NAME_LEN);
	return pgha_conninfo(m, false, 2);
}

static void
do_follow(const PghaCluster *cluster, const PghaDecision *d)
{
	const PghaMember *leader = pgha_cluster_member((PghaCluster *) cluster, d->target);
	char		slot[PGHA_NAME_LEN];
	char	   *conninfo;

	if (leader == NULL || leader->host[0] == '\0')
		return;					/* its member key is not published yet */
	conninfo = conninfo_toward(leader, slot);
	if (pgha_action_follow(conninfo, slot))
		ereport(LOG,
				(errmsg("pgha: following leader \"%s\"", d->target),
				 errdetail("primary_conninfo points at %s:%d, primary_slot_name is \"%s\".",
						   leader->host, leader->port, slot)));
}

static void
do_fence(const PghaCluster *cluster, const PghaDecision *d)
{
	const PghaMember *leader = NULL;

	/*
	 * No commit from here on, whatever the steps below take; and nothing
	 * proven any more, or the end of this iteration would publish the old
	 * deadline again.
	 */
	K.proven = false;
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	/* a successor of a worker that dies below must not reopen it either */
	save_keeper_state();

	/*
	 * The signal before anything that may block on the disk, the log
	 * included (a log directory on a stalled volume blocks ereport()).
	 */
	pgha_action_fence_signal();
	log_decision(d);
	ereport(LOG,
			(errmsg("pgha: fencing this primary: immediate shutdown"),
			 errdetail_internal("%s", d->reason),
			 errhint("The node restarts as a standby with \"pghactl run\"; with pg_ctl: "
					 "rm $PGDATA/standby.signal, pg_rewind -D $PGDATA -R --source-server=<the new leader>, then pg_ctl start.")));
	/* another member leads (not: our lease ran out): follow it next time */
	if (cluster && cluster->has_leader && strcmp(cluster->leader, pgha_node_name()) != 0)
		leader = pgha_cluster_member((PghaCluster *) cluster, cluster->leader);
	if (leader && leader->host[0] != '\0')
	{
		char		slot[PGHA_NAME_LEN];

		pgha_action_fence_finish(conninfo_toward(leader, slot), slot);
	}
	else
		pgha_action_fence_finish(NULL, NULL);
	K.is_leader = false;
}

/*
 * The leader's half of a switchover: prepare to come back as the
 * candidate's standby, release the key (guarded by its value) with the
 * position it had flushed, then a fast shutdown.
 */
/*
 * After a release that did not say it succeeded: etcd may have applied it
 * and lost the answer (the retry on another endpoint then found the key
 * gone).  Only this leader's release writes this exact failover value (it
 * carries the release position), in the transaction that deletes the key:
 * if the value is there, the release happened.  The release's own error,
 * if any, stays in etcd for the caller to log.
 */
static bool
release_happened(PghaEtcd *etcd, const char *failover_value)
{
	PghaEtcdRange r;
	PghaEtcdKV *kv;
	PghaEtcdErr err = etcd->err;
	char		msg[sizeof(etcd->errmsg)];
	bool		happened;

	strlcpy(msg, etcd->errmsg, sizeof(msg));
	happened = pgha_etcd_range(etcd, K.failover_key, false, &r) &&
		(kv = pgha_etcd_range_get(&r, K.failover_key)) != NULL &&
		strcmp(kv->value, failover_value) == 0;
	etcd->err = err;
	strlcpy(etcd->errmsg, msg, sizeof(etcd->errmsg));
	return happened;
}

static long
do_switchover(PghaEtcd *etcd, const PghaCluster *cluster, const PghaDecision *d,
			  bool shut_down)
{
	const PghaMember *cand = pgha_cluster_member((PghaCluster *) cluster, d->target);
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;
	char		slot[PGHA_NAME_LEN];
	char	   *conninfo;
	StringInfoData fo;
	uint64		lsn;

	if (cand == NULL || cand->host[0] == '\0')
	{
		ereport(LOG,
				(errmsg("pgha refused the switchover to \"%s\"", d->target),
				 errdetail("The candidate has no member record.")));
		delete_failover_key(etcd);
		return -1;
	}
	ereport(LOG,
			(errmsg("pgha: switching over to \"%s\"", d->target),
			 errdetail_internal("%s", d->reason)));

	/* 1. while still leading: the next start is a standby of the candidate */
	conninfo = conninfo_toward(cand, slot);
	pgha_action_prepare_switchover(conninfo, slot);

	/*
	 * 2. let go of the key (guarded by its value) and record how far this
	 * leader had written: the candidate must get at least that far.  The
	 * gate shuts first: a commit acknowledged after this read of the flush
	 * position would lie beyond it (write_gate.c reads the gate again
	 * after the commit's flush, before the client hears of it).
	 */
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	pg_memory_barrier();
	/* where the WAL ends, not only what is flushed: synchronous_commit = off acknowledges before */
	lsn = GetXLogInsertRecPtr();
	XLogFlush(lsn);
	initStringInfo(&fo);
	appendStringInfoString(&fo, "{\"leader\":");
	escape_json(&fo, pgha_node_name());
	appendStringInfoString(&fo, ",\"member\":");
	escape_json(&fo, cand->name);
	if (cluster->failover_requested_at[0])
	{
		appendStringInfoString(&fo, ",\"pgha_requested_at\":");
		escape_json(&fo, cluster->failover_requested_at);
	}
	appendStringInfo(&fo, ",\"pgha_release_lsn\":" UINT64_FORMAT "}", lsn);
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, K.leader_key, PGHA_CMP_VALUE, 0, pgha_node_name());
	t.nsuccess = 2;
	t.success[0].type = PGHA_OP_DELETE;
	t.success[0].key = K.leader_key;
	t.success[1].type = PGHA_OP_PUT;
	t.success[1].key = K.failover_key;
	t.success[1].value = fo.data;
	if ((!pgha_etcd_txn(etcd, &t, &r) || !r.succeeded) && !release_happened(etcd, fo.data))
	{
		if (etcd->err != PGHA_ETCD_OK)
			log_etcd_problem(etcd, "release the leader key");
		pgha_action_unprepare_switchover();

		/*
		 * Not released, or not known to be: the gate stays shut until the
		 * next iteration proves the lease again (a quorum read showing the
		 * key on our lease), never reopened on the old proof.
		 */
		K.proven = false;
		save_keeper_state();
		return 200;
	}

	/* 3. from here on this node must stop: it no longer holds the key */
	K.is_leader = false;
	K.switching = true;
	K.proven = false;
	save_keeper_state();
	ereport(LOG,
			(errmsg("pgha: released the leader key for the switchover; fast shutdown"),
			 errdetail("Flushed up to %X/%X; this node restarts as a standby of \"%s\" (%s:%d) without pg_rewind.",
					   LSN_FORMAT_ARGS(lsn), d->target, cand->host, cand->port)));
	/* a planned stop is under way already: a smart one stays smart */
	if (shut_down)
		pgha_action_shutdown_fast();
	return 1000;
}

/*
 * A planned stop of the leader: the postmaster is shutting down (pg_ctl
 * stop, systemctl stop, SIGTERM to pghactl run) and sent this worker its
 * SIGTERM.  Left alone, the key would outlive the server by up to a ttl
 * with no primary.  So the leader hands over as for a switchover, to the
 * standby a switchover without a named candidate would get (streaming,
 * not nofailover, a synchronous one in synchronous_mode, the furthest
 * ahead).  The candidate takes the key only once the old primary's
 * stream has ended, and a shutdown ends it only after the walsenders sent
 * the shutdown checkpoint: nothing acknowledged is lost, and this node
 * restarts as the candidate's standby without pg_rewind.  No handover when
 * paused (Patroni keeps the key too), or without a standby streaming now:
 * the last node of a cluster stopped member by member keeps the key and
 * comes back as the leader (rule startup_wait on the others), nor for a
 * restart this worker asked for (pghactl restart: the leader stays).  The
 * postmaster waits for this worker before its shutdown checkpoint, so all
 * of this runs on the iteration's etcd budget.
 */
void
pgha_keeper_planned_stop(PghaEtcd *etcd)
{
	PghaLocalDetail local;
	PghaCluster cluster;
	PghaDecision d;
	const PghaMember *cand = NULL;
	PghaSwitchoverCheck check;
	uint64		flush;
	char		slot[PGHA_NAME_LEN];

	pgha_local_snapshot(&local);
	if (!K.initialized || !K.is_leader || K.switching || K.restarting || K.foreign ||
		local.base.in_recovery)
		return;
	memset(&cluster, 0, sizeof(cluster));
	set_call_budget(etcd);
	if (!read_cluster(etcd, &cluster))
	{
		log_etcd_problem(etcd, "read the cluster to hand the leader key over at shutdown");
		return;
	}
	if (!cluster.has_leader || strcmp(cluster.leader, pgha_node_name()) != 0)
		return;
	check = pgha_switchover_check(&cluster, NULL, true, &cand);
	if (check == PGHA_SW_OK)
	{
		pgha_slot_name(cand->name, slot, sizeof(slot));
		/* as for a switchover: streaming now, within maximum_lag_on_failover */
		if (!pgha_standby_streaming(cand->name, slot, &flush) ||
			local.base.lsn - Min(flush, local.base.lsn) > (uint64) K.config.maximum_lag_on_failover)
			check = PGHA_SW_NO_CANDIDATE;
	}
	if (check != PGHA_SW_OK)
	{
		ereport(LOG,
				(errmsg("pgha: the leader stops without handing over"),
				 errdetail("At shutdown: %s; the leader key expires within ttl (%d s).",
						   pgha_switchover_check_message(check), K.config.ttl)));
		return;
	}
	memset(&d, 0, sizeof(d));
	d.rule = "planned_stop";
	strlcpy(d.target, cand->name, sizeof(d.target));
	snprintf(d.reason, sizeof(d.reason),
			 "The server is shutting down (a planned stop) and \"%s\" streams from this leader.",
			 cand->name);
	/* the request goes stale counting from now, on every node alike */
	strlcpy(cluster.failover_requested_at, pgha_etcd_time(GetCurrentTimestamp()),
			sizeof(cluster.failover_requested_at));
	(void) do_switchover(etcd, &cluster, &d, false);
}

bool
pgha_keeper_leads(void)
{
	return K.is_leader;
}

/* "pgha decision: rule (action)" when the deciding rule changed */
static void
log_decision(const PghaDecision *d)
{
	if (strcmp(d->rule, K.last_rule) == 0)
		return;
	ereport(LOG,
			(errmsg("pgha decision: %s (%s)", d->rule, pgha_action_name(d->action)),
			 errdetail("%s", d->reason)));
	strlcpy(K.last_rule, d->rule, sizeof(K.last_rule));
}

/*
 * In synchronous mode, make the sync key ours before the gate opens or a
 * promotion is asked for (syncrep.h); false: not yet, try again.
 */
static bool
take_sync_key(PghaEtcd *etcd, const PghaCluster *cluster, bool promoting)
{
	return pgha_syncrep_take_key(etcd, K.prefix, cluster, &K.config, K.lease_id, promoting);
}

/* act on the decision; returns a wait override in ms (-1: none) */
static long
act(PghaEtcd *etcd, const PghaInput *in, const PghaDecision *d,
	const PghaCluster *cluster, const PghaLocalDetail *local)
{
	bool		ok;

	switch (d->action)
	{
		case PGHA_ACT_NONE:
		case PGHA_ACT_PROBE:
			if (K.is_leader && in->etcd_ok && cluster &&
				(!cluster->has_leader || strcmp(cluster->leader, in->me) != 0))
				lose_leadership("The leader key no longer names this node.");
			return -1;

		case PGHA_ACT_BOOTSTRAP:
			if (!do_bootstrap(etcd, local))
				return 100;
			return -1;

		case PGHA_ACT_ACQUIRE:
			if (!leader_txn(etcd, true, &ok))
			{
				log_etcd_problem(etcd, "acquire the leader key");
				return 100;
			}
			if (!ok)
				return 100;
			/* the gate opens with become_leader(): the sync key is ours first */
			if (!take_sync_key(etcd, cluster, false))
				return 100;
			become_leader("Acquired the free leader key as the running primary", NULL);
			drop_old_failover_key(etcd, cluster, in);
			claim_initialize(etcd, cluster, local);
			return -1;

		case PGHA_ACT_RENEW:
			if (!leader_txn(etcd, false, &ok))
			{
				log_etcd_problem(etcd, "renew the leader key");
				return 200;
			}
			if (!ok)
			{
				lose_leadership("The guarded renewal found another value in the leader key.");
				return 50;
			}
			if (!take_sync_key(etcd, cluster, false))
				return 100;
			become_leader("Re-attached to the leader key", NULL);
			return -1;

		case PGHA_ACT_FENCE:
			do_fence(cluster, d);
			return 1000;

		case PGHA_ACT_FOLLOW:
			if (K.is_leader)
				lose_leadership("This node runs as a standby.");
			do_follow(cluster, d);
			return -1;

		case PGHA_ACT_RACE:
			if (!leader_txn(etcd, true, &ok))
			{
				log_etcd_problem(etcd, "take the leader key");
				return 200;
			}
			if (!ok)
				return 50;		/* somebody else won: follow them next */
			/* one line for the role change: the reason goes into its DETAIL */
			become_leader("Won the leader race", d->reason);
			if (cluster->has_failover && strcmp(cluster->failover_member, in->me) == 0)
				K.clear_failover = true;
			else
				drop_old_failover_key(etcd, cluster, in);
			/* not yet: promote_holder tries again next time */
			if (!take_sync_key(etcd, cluster, true))
				return 50;
			request_promotion(etcd, cluster, local);
			return 50;

		case PGHA_ACT_SWITCHOVER:
			return do_switchover(etcd, cluster, d, true);

		case PGHA_ACT_CANCEL_SWITCHOVER:
			ereport(LOG,
					(errmsg("pgha refused the switchover to \"%s\"", d->target),
					 errdetail_internal("%s", d->reason)));
			delete_failover_key(etcd);
			return -1;

		case PGHA_ACT_REJOIN:
			/*
			 * It cannot replay the leader's timeline, and what it serves
			 * includes transactions the cluster never kept: stop cleanly.
			 * pghactl run rewinds it and starts it as a standby.
			 */
			ereport(LOG,
					(errmsg("pgha: this standby diverged from the leader \"%s\"; fast shutdown for pg_rewind",
							d->target),
					 errdetail_internal("%s", d->reason),
					 errhint("pghactl run rewinds and restarts it; without pghactl: pg_rewind -D $PGDATA -R --source-server=<the leader>, then pg_ctl start.")));
			pgha_action_shutdown_fast();
			return 1000;

		case PGHA_ACT_PROMOTE:
			/* prove the key is ours, on our live lease, before promoting */
			if (!leader_txn(etcd, false, &ok))
			{
				log_etcd_problem(etcd, "renew the leader key");
				return 200;
			}
			if (!ok)
				return 50;
			become_leader("Holds the leader key as a standby", NULL);
			if (!take_sync_key(etcd, cluster, true))
				return 200;
			request_promotion(etcd, cluster, local);
			return 100;
	}
	return -1;
}

/*
 * The member key's state, in Patroni's vocabulary: PostgreSQL runs, as far
 * as the member key goes, whatever pgha itself is doing (paused, failsafe,
 * without etcd: pgha.status() says that); a node of another cluster says
 * so, and counts as unhealthy to every reader.
 */
static const char *
member_state(const PghaDecision *d)
{
	return d->state == PGHA_STATE_SYSID_MISMATCH ? "sysid mismatch" : "running";
}

static const char *
state_name(const PghaDecision *d)
{
	switch (d->state)
	{
		case PGHA_STATE_SYSID_MISMATCH:
			return "sysid mismatch";
		case PGHA_STATE_NO_ETCD:
			return "no etcd";
		case PGHA_STATE_PAUSED:
			return "paused";
		case PGHA_STATE_FAILSAFE:
			return "failsafe";
		case PGHA_STATE_DUPLICATE_NAME:
			return "duplicate name";
		default:
			return "running";
	}
}

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
static bool
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
	if ((rev == K.applied_revision && K.params_revision == rev) || K.foreign)
		return false;
	/* a document that failed validation is not applied at all */
	if (!cluster->has_config && cluster->config_error[0] != '\0')
		return false;

	if (K.params_revision != rev)
	{
		pgstat_report_activity(STATE_RUNNING, "applying the cluster configuration");
		pgha_apply_parameters(cluster->config_json, K.params_floor, &r);
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

/*
 * Every 30 s: how many etcd members may still fail before quorum is lost
 * (N = 2F + 1).  At 0 the next etcd failure stops every automatic action,
 * and a leader would fence: say so loudly.
 */
static void
check_etcd_health(PghaEtcd *etcd, PghaSharedState *st)
{
	PghaEtcdMember *members;
	int			n;
	int			reachable = 0;
	int			tolerated;
	int			i;

	if (now_ms() < K.next_etcd_health_ms)
		return;
	K.next_etcd_health_ms = now_ms() + 30000;
	if (!pgha_etcd_member_list(etcd, &members, &n) || n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		PghaEtcdStatus es;

		if (members[i].client_url && pgha_etcd_status(etcd, members[i].client_url, &es))
			reachable++;
	}
	tolerated = reachable - pgha_etcd_quorum(n);
	if (tolerated <= 0 && (K.etcd_tolerated != tolerated))
		ereport(WARNING,
				(errmsg("pgha: the etcd cluster tolerates no further member failure"),
				 errdetail("%d of %d etcd members answer; quorum needs %d.", reachable, n, pgha_etcd_quorum(n)),
				 errhint("Bring the failed etcd members back: with one more failure no failover "
						 "can happen and the leader fences itself.")));
	else if (tolerated > 0 && K.etcd_tolerated >= 0 && K.etcd_tolerated <= 0)
		ereport(LOG,
				(errmsg("pgha: the etcd cluster tolerates %d member failures again", tolerated)));
	K.etcd_tolerated = tolerated;
	st->etcd_members = n;
	st->etcd_members_answered = reachable;
	st->etcd_failures_tolerated = tolerated;
}

static void
switchover_inputs(const PghaCluster *cluster, const PghaLocalDetail *local, PghaInput *in)
{
	int64		limit = Max(60000, (int64) K.config.ttl * 3000);
	bool		leading = !local->base.in_recovery && cluster->has_leader &&
		strcmp(cluster->leader, pgha_node_name()) == 0;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz since;

	if (!cluster->has_failover)
	{
		K.failover_seen_ms = 0;
		return;
	}
	if (K.failover_seen_ms == 0)
		K.failover_seen_ms = now_ms();

	in->switchover_due = true;
	since = 0;
	if (cluster->failover_scheduled_at[0])
	{
		TimestampTz at;

		if (!pgha_etcd_parse_time(cluster->failover_scheduled_at, &at))
		{
			/* rule switchover_unreadable cancels it */
			in->switchover_unreadable = true;
			in->switchover_due = false;
			in->switchover_stale = true;
			return;
		}
		in->switchover_due = now >= at;
		since = at;
	}
	else if (cluster->failover_requested_at[0])
		(void) pgha_etcd_parse_time(cluster->failover_requested_at, &since);

	/* staleness counts from the request (or its schedule), not from us */
	if (!in->switchover_due)
		in->switchover_stale = true;	/* a future schedule: no effect yet */
	else if (since != 0)
		in->switchover_stale = TimestampDifferenceExceeds(since, now, (int) limit);
	else
		in->switchover_stale = now_ms() - K.failover_seen_ms > limit;

	if (leading && in->switchover_due && !in->switchover_stale)
	{
		uint64		flush;
		char		slot[PGHA_NAME_LEN];

		pgha_slot_name(cluster->failover_member, slot, sizeof(slot));
		in->candidate_streaming =
			pgha_standby_streaming(cluster->failover_member, slot, &flush) &&
			local->base.lsn - Min(flush, local->base.lsn) <= (uint64) K.config.maximum_lag_on_failover;
	}
}

static bool
delete_failover_key(PghaEtcd *etcd)
{
	if (pgha_etcd_delete(etcd, pgha_key(K.prefix, PGHA_KEY_FAILOVER), false, NULL))
		return true;
	log_etcd_problem(etcd, "delete the switchover request");
	return false;
}

/*
 * A new term begins: a switchover request from an earlier one (a handover
 * by a former leader, with its release position) would otherwise still
 * read as a fresh handover if this leader dies, and let its candidate take
 * over without the failover checks.  Deleted only as it was read.
 */
static void
drop_old_failover_key(PghaEtcd *etcd, const PghaCluster *cluster, const PghaInput *in)
{
	char	   *key = pgha_key(K.prefix, PGHA_KEY_FAILOVER);
	PghaEtcdTxn t;
	PghaEtcdTxnResult res;

	if (!cluster->has_failover)
		return;

	/*
	 * A switchover scheduled for later, that this leader may carry out and
	 * no leader has begun (no release position), stays: the DBA asked for
	 * it, and it is no handover of an earlier term.
	 */
	if (cluster->failover_scheduled_at[0] != '\0' && !in->switchover_due &&
		!in->switchover_unreadable && cluster->failover_release_lsn == 0 &&
		(cluster->failover_leader[0] == '\0' || strcmp(cluster->failover_leader, in->me) == 0))
		return;
	ereport(LOG,
			(errmsg("pgha: deleting a switchover request to \"%s\" of an earlier term", cluster->failover_member),
			 errdetail("This node took the leader key%s%s.",
					   cluster->failover_scheduled_at[0] ? "; it was scheduled at " : "",
					   cluster->failover_scheduled_at)));
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, key, PGHA_CMP_MOD, cluster->failover_mod_revision, NULL);
	t.nsuccess = 1;
	t.success[0].type = PGHA_OP_DELETE;
	t.success[0].key = key;
	if (!pgha_etcd_txn(etcd, &t, &res))
		log_etcd_problem(etcd, "delete a switchover request of an earlier term");
}

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
static void
publish_members(PghaSharedState *st, const PghaCluster *cluster)
{
	uint64		optime = cluster->has_status ? cluster->optime : 0;
	int			i;

	for (i = 0; i < cluster->nmembers; i++)
	{
		const PghaMember *m = &cluster->members[i];

		if (cluster->has_leader && strcmp(m->name, cluster->leader) == 0)
			optime = Max(optime, m->xlog_location);
	}
	st->nmembers = 0;
	for (i = 0; i < cluster->nmembers && st->nmembers < PGHA_MAX_MEMBERS; i++)
	{
		const PghaMember *m = &cluster->members[i];
		PghaSharedMember *sm = &st->members[st->nmembers++];
		bool		leader = cluster->has_leader && strcmp(m->name, cluster->leader) == 0;
		StringInfoData tags;

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
		if (leader)
			sm->lag = 0;
		else if (optime == 0 || m->xlog_location == 0)
			sm->lag = -1;
		else
			sm->lag = optime > m->xlog_location ? (int64) (optime - m->xlog_location) : 0;
		sm->receive_lag = (leader || optime == 0 || m->receive_lsn == 0) ? -1 :
			(optime > m->receive_lsn ? (int64) (optime - m->receive_lsn) : 0);
		sm->replay_lag = (leader || optime == 0 || m->replay_lsn == 0) ? -1 :
			(optime > m->replay_lsn ? (int64) (optime - m->replay_lsn) : 0);
		strlcpy(sm->pending_reason, m->pending_restart_reason, sizeof(sm->pending_reason));
		strlcpy(sm->error, m->error, sizeof(sm->error));
		initStringInfo(&tags);
		appendStringInfoChar(&tags, '{');
		if (m->nofailover)
			appendStringInfoString(&tags, "\"nofailover\": true, ");
		if (m->failover_priority != 1)
			appendStringInfo(&tags, "\"failover_priority\": %d, ", m->failover_priority);
		if (m->noloadbalance)
			appendStringInfoString(&tags, "\"noloadbalance\": true, ");
		if (m->clonefrom)
			appendStringInfoString(&tags, "\"clonefrom\": true, ");
		if (m->nosync)
			appendStringInfoString(&tags, "\"nosync\": true, ");
		if (tags.len > 1)
			tags.len -= 2;
		appendStringInfoChar(&tags, '}');
		tags.data[tags.len] = '\0';
		strlcpy(sm->tags, tags.data, sizeof(sm->tags));
		sm->pending_restart = m->pending_restart;
		sm->config_revision = m->config_revision;
	}
	st->cluster_read_at = GetCurrentTimestamp();
	/* parsed, trimmed and copied only when they changed: a failover's worth a year */
	publish_if_changed(&K.published_history, cluster->has_history ? cluster->history : "[]",
					   pgha_shmem_set_history);
	publish_if_changed(&K.published_config, cluster->config_json, pgha_shmem_set_config);
}

long
pgha_keeper_iterate(PghaEtcd *etcd, PghaSharedState *st, bool *etcd_ok_out)
{
	PghaLocalDetail local;
	PghaCluster cluster;
	PghaInput	in;
	PghaDecision d;
	PghaPeer   *peers = NULL;
	bool		etcd_ok;
	long		wait;
	long		override;
	int64		now;
	char		pinger[64];

	if (!K.initialized)
		keeper_init();

	pgha_local_snapshot(&local);
	memset(&cluster, 0, sizeof(cluster));
	K.leader_on_current_lease = false;

	/* a leader that let go for a switchover only waits for its shutdown */
	if (K.switching && !local.base.in_recovery)
	{
		pgha_action_shutdown_fast();
		*etcd_ok_out = true;
		return 1000;
	}

	/*
	 * A standby cannot accept writes: its fence window starts when it stops
	 * being one.  Not for a node with a promotion under way, leader or not:
	 * its window runs from its last proven renewal, or a slow promotion
	 * would stretch it.  (The window opens the gate only while proven.)
	 */
	if (local.base.in_recovery && !K.is_leader && K.promote_requested_ms == 0)
		K.last_renewal_ms = now_ms();

	/*
	 * Nor a proof: a standby that does not hold the key (a successor of a
	 * worker that asked for a promotion, and inherited the proof from
	 * shared memory) must find the gate closed if a promotion completes.
	 */
	if (local.base.in_recovery && !K.is_leader && K.proven)
	{
		K.proven = false;
		save_keeper_state();
	}

	/*
	 * A standby that took the key and asked for a promotion, but proved
	 * nothing within its fence window, holds nothing any more: as far as it
	 * can know its lease ran out.  It lets go (the gate stays closed), so
	 * that its etcd calls get their usual time again instead of the nothing
	 * left before its deadline, and it follows whoever leads now.  Its
	 * promotion, if it completes, ends on a primary that fences.
	 */
	if (local.base.in_recovery && K.is_leader && !K.config.pause &&
		now_ms() >= pgha_keeper_fence_deadline_ms())
		lose_leadership("Its fence window ran out before the promotion completed.");

	/* a primary past its deadline fences without spending time on etcd */
	if (!local.base.in_recovery && !K.config.pause && !K.foreign &&
		now_ms() >= pgha_keeper_fence_deadline_ms())
		etcd_ok = false;
	else
	{
		set_call_budget(etcd);
		pgstat_report_activity(STATE_RUNNING, "renewing the lease and reading the cluster");
		etcd_ok = keeper_lease(etcd);
		/* the lease runs from the keepalive: so may the calls that prove it */
		if (etcd_ok && etcd->deadline_us != 0)
			etcd->deadline_us = (K.keepalive_sent_ms + fence_after_ms()) * 1000;
		etcd_ok = etcd_ok && read_cluster(etcd, &cluster);
	}

	/*
	 * A quorum read that shows the leader key on our live lease proves the
	 * leadership as well as the guarded write does.
	 */
	if (etcd_ok && K.keepalive_ok && K.is_leader && cluster.has_leader && K.lease_id != 0 &&
		strcmp(cluster.leader, pgha_node_name()) == 0 && cluster.leader_lease == K.lease_id)
	{
		K.last_renewal_ms = K.keepalive_sent_ms;
		K.proven = true;
		K.failsafe_confirmed_ms = 0;
	}

	/*
	 * A promotion a worker before this one asked for (it was killed, or
	 * restarted, and this one does not know) and that the startup process
	 * has not taken yet is withdrawn when another node holds the key: its
	 * timeline id is reserved by the old request only.  Kept on record, in
	 * case the startup process took it an instant before.
	 */
	if (etcd_ok && local.base.in_recovery && !K.is_leader && !K.config.pause &&
		cluster.has_leader &&
		strcmp(cluster.leader, pgha_node_name()) != 0 && pgha_action_cancel_promotion())
	{
		ereport(LOG,
				(errmsg("pgha: withdrew a promotion asked for before this worker started"),
				 errdetail("\"%s\" holds the leader key.", cluster.leader)));
		withdrawn();
	}
	if (local.base.in_recovery && !K.is_leader)
		promotion_over();

	if (etcd_ok)
		remember_members(&cluster);
	else if (K.config.failsafe_mode && !K.config.pause && K.is_leader && !local.base.in_recovery)
		failsafe_pings();
	publish_write_gate();

	now = now_ms();
	memset(&in, 0, sizeof(in));
	in.me = pgha_node_name();
	in.nofailover = pgha_nofailover;
	in.failover_priority = pgha_failover_priority;
	in.local = local.base;
	in.etcd_ok = etcd_ok;
	in.cluster = etcd_ok ? &cluster : NULL;
	in.config = K.config;
	in.is_leader = K.is_leader;
	in.now_ms = now;
	in.last_renewal_ms = K.last_renewal_ms;
	in.lease_ttl = effective_lease_ttl();
	in.foreign = K.foreign;
	K.name_conflict = false;
	if (etcd_ok)
	{
		in.conflict_lease = name_conflict(&cluster, &local.base);
		in.name_conflict = K.name_conflict = in.conflict_lease != 0;
	}
	if (K.name_conflict && K.conflict_warned_lease != in.conflict_lease)
	{
		PghaMember *other = pgha_cluster_member(&cluster, pgha_node_name());

		ereport(WARNING,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("pgha: another running member is also named \"%s\"", pgha_node_name()),
				 errdetail("Its keys sit on lease %lld, which this instance (%s) does not hold; the member record was written by \"%s\". This node takes no part in the cluster while the other one runs.",
						   (long long) in.conflict_lease, K.instance,
						   other && other->instance[0] ? other->instance : "an older pgha"),
				 errhint("Give every member its own pgha.name (a copy of a data directory keeps postgresql.conf), then restart this server.")));
		K.conflict_warned_lease = in.conflict_lease;
	}
	if (etcd_ok && cluster.has_leader)
		K.seen_leader = true;
	in.started_ms = K.started_ms;
	in.seen_leader = K.seen_leader;
	in.last_leader = K.last_leader;
	in.failsafe_confirmed_ms = K.failsafe_confirmed_ms;
	in.failsafe_ping_age_ms = pgha_failsafe_last_ping(pinger, sizeof(pinger));
	in.failsafe_pinger = pinger;

	if (etcd_ok)
		switchover_inputs(&cluster, &local, &in);
	*etcd_ok_out = etcd_ok;
	pgha_decide(&in, &d);
	if (d.action == PGHA_ACT_PROBE)
	{
		peers = palloc0(sizeof(PghaPeer) * Max(cluster.nmembers, 1));
		probe_peers(&cluster, &in, peers);
		pgha_decide(&in, &d);
	}

	/* a fence signals before it logs anything: do_fence() logs it */
	if (d.action != PGHA_ACT_FENCE)
		log_decision(&d);
	override = act(etcd, &in, &d, etcd_ok ? &cluster : NULL, &local);

	/* the local state may have changed (promotion) */
	pgha_local_snapshot(&local);
	check_promotion(&local);
	forget_upstream(&local);
	/* the switchover is done: remove the request (retried until it goes) */
	if (etcd_ok && K.clear_failover && !local.base.in_recovery && delete_failover_key(etcd))
		K.clear_failover = false;
	/* a duplicate of another member's name writes nothing under it */
	if (etcd_ok && !K.name_conflict)
	{
		bool		member_ok = publish_member(etcd, &cluster, &local, member_state(&d));

		if (member_ok && (!K.is_leader || K.leader_on_current_lease))
			retire_old_lease(etcd);
		if (K.is_leader && !local.base.in_recovery)
			leader_housekeeping(etcd, &cluster, &local);
		else if (local.base.in_recovery && !K.is_leader && !K.foreign && !K.config.pause)
		{
			drop_standby_member_slots(&cluster);
			tidy_placeholders(&cluster, &local);
		}
		/* also paused: a copy left behind would hold WAL until the disk is full */
		if (local.base.in_recovery && !K.is_leader && !K.foreign)
			(void) keep_permanent_slots(&cluster, false);
		if (d.action != PGHA_ACT_FENCE && !K.switching)
			handle_restart_request(etcd, &cluster);
		/* last: a config problem must not cost the HA work above */
		if (d.action != PGHA_ACT_FENCE && !K.switching && apply_config(&cluster))
			publish_member(etcd, &cluster, &local, member_state(&d));
		if (!etcd->watching)
			pgha_etcd_watch_start(etcd, K.prefix, cluster.revision + 1);
	}
	/* the caller's calls (status, the watch) are not the lease's business */
	etcd->deadline_us = 0;
	save_keeper_state();

	/* publish for SQL */
	strlcpy(st->role, local.base.in_recovery ? "replica" : "primary", sizeof(st->role));
	strlcpy(st->state, state_name(&d), sizeof(st->state));
	if (etcd_ok)
		strlcpy(st->leader, cluster.has_leader ? cluster.leader : "", sizeof(st->leader));
	strlcpy(st->last_leader, K.last_leader, sizeof(st->last_leader));
	st->is_leader = K.is_leader;
	st->lease_deadline = (K.is_leader && !local.base.in_recovery) ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
									pgha_keeper_fence_deadline_ms() - now_ms()) : 0;
	st->timeline = local.base.timeline;
	st->lsn = local.base.lsn;
	strlcpy(st->last_action, pgha_action_name(d.action), sizeof(st->last_action));
	strlcpy(st->last_rule, d.rule, sizeof(st->last_rule));
	strlcpy(st->last_reason, d.reason, sizeof(st->last_reason));
	st->last_decision = GetCurrentTimestamp();
	st->config_revision = Max(K.applied_revision, 0);
	st->ttl = K.config.ttl;
	st->loop_wait = K.config.loop_wait;
	st->retry_timeout = K.config.retry_timeout;
	st->paused = K.config.pause;
	st->failsafe_mode = K.config.failsafe_mode;
	if (etcd_ok && cluster.has_config)
		strlcpy(st->config_warnings, cluster.config_notes.text, sizeof(st->config_warnings));
	else if (etcd_ok && cluster.config_error[0] != '\0')
		snprintf(st->config_warnings, sizeof(st->config_warnings), "the config key is invalid: %s; %s",
				 cluster.config_error, K.config_known ? "the last valid config stays in force" :
				 "no valid config since this server started: acting as paused");
	else if (etcd_ok)
		st->config_warnings[0] = '\0';

	if (etcd_ok)
	{
		publish_members(st, &cluster);
		check_etcd_health(etcd, st);
	}

	/* how long until the next iteration */
	if (!local.base.in_recovery && !K.config.pause && !K.foreign)
	{
		int64		to_deadline = pgha_keeper_fence_deadline_ms() - now_ms();

		wait = (long) Min(pgha_renew_interval_ms(&K.config), Max(to_deadline, 10));
	}
	else if (K.is_leader)
		wait = (long) pgha_renew_interval_ms(&K.config);
	else if (!etcd_ok)
		wait = 1000;
	else
		wait = (long) K.config.loop_wait * 1000;
	if (override >= 0)
		wait = Min(wait, override);
	/* the rule asks for a closer look (a switchover candidate, for one) */
	if (d.poll_ms > 0)
		wait = Min(wait, d.poll_ms);
	return wait;
}

/*
 * Wake only for what changes a decision: the leader key going away or
 * naming somebody else, or a newer config.  The leader's own renewals (a put
 * of the same value) and members' routine puts do not wake anybody.
 */
bool
pgha_keeper_watch_wakeup(PghaEtcd *etcd)
{
	PghaEtcdWatchFrame f;
	bool		wake = false;
	MemoryContext old;

	if (!K.initialized || !etcd->watching)
		return false;
	/* frames are parsed into a context of their own, emptied each time */
	old = MemoryContextSwitchTo(K.watch_cxt);
	while (pgha_etcd_watch_next(etcd, &f))
	{
		int			i;

		for (i = 0; i < f.nevents; i++)
		{
			const PghaEtcdEvent *ev = &f.events[i];

			if (strcmp(ev->kv.key, K.leader_key) == 0)
			{
				const char *now = ev->type == PGHA_EVENT_DELETE ? "" : ev->kv.value;

				if (strcmp(now, K.leader_seen) != 0)
				{
					strlcpy(K.leader_seen, now, sizeof(K.leader_seen));
					wake = true;
				}
			}
			else if (strcmp(ev->kv.key, K.config_key) == 0 &&
					 ev->kv.mod_revision > K.config.mod_revision)
				wake = true;
			else if (strcmp(ev->kv.key, K.failover_key) == 0)
				wake = true;	/* a switchover request, or its end */
			else if (ev->type == PGHA_EVENT_PUT &&
					 strncmp(ev->kv.key, K.prefix, strlen(K.prefix)) == 0 &&
					 ((strncmp(ev->kv.key + strlen(K.prefix), PGHA_KEY_RESTART, strlen(PGHA_KEY_RESTART)) == 0 &&
					   strcmp(ev->kv.key + strlen(K.prefix) + strlen(PGHA_KEY_RESTART), pgha_node_name()) == 0) ||
					  (strncmp(ev->kv.key + strlen(K.prefix), PGHA_KEY_REINIT, strlen(PGHA_KEY_REINIT)) == 0 &&
					   strcmp(ev->kv.key + strlen(K.prefix) + strlen(PGHA_KEY_REINIT), pgha_node_name()) == 0)))
				wake = true;	/* pghactl restart or reinit, for this member */
		}
	}
	if (etcd->err != PGHA_ETCD_OK)
		ereport(DEBUG1,
				(errmsg("pgha watch stopped"), errdetail_internal("%s", etcd->errmsg)));
	MemoryContextSwitchTo(old);
	MemoryContextReset(K.watch_cxt);
	return wake;
}

void
pgha_keeper_postmaster_died(PghaEtcd *etcd)
{
	int			nkilled = 0;
	bool		gone;
	bool		leader = K.initialized && K.is_leader && !RecoveryInProgress();

	/*
	 * No backend left behind may commit from here on: the lease this
	 * instance held may be released (below) or run out while they live.
	 */
	pgha_write_gate_set(PGHA_GATE_UNPROVEN);
	ereport(LOG,
			(errmsg("pgha: the postmaster died"),
			 errdetail("Stopping what is left of this instance%s.",
					   leader ? ", then releasing the leader key" : "")));
	gone = pgha_kill_orphans(2000, &nkilled);
	if (!gone)
	{
		ereport(LOG,
				(errmsg("pgha: processes of the dead instance survive; leaving the lease to expire"),
				 errdetail("%d processes were sent SIGKILL.", nkilled)));
		proc_exit(1);
	}
	if (leader && etcd != NULL && K.lease_id != 0)
	{
		/*
		 * Revoking our own lease deletes exactly our keys (leader and
		 * member) in one step; the replicas' watch sees the leader key go.
		 */
		etcd->timeout_ms = 1000;
		etcd->deadline_us = 0;
		pgha_http_on_pmdeath(etcd->http, PGHA_PMDEATH_IGNORE);
		if (pgha_etcd_lease_revoke(etcd, K.lease_id))
			ereport(LOG,
					(errmsg("pgha: released the leader key after the postmaster died"),
					 errdetail("%d orphaned processes were stopped first; a replica can take over now.",
							   nkilled)));
		else
			ereport(LOG,
					(errmsg("pgha could not release the leader key; it expires with the lease"),
					 errdetail_internal("%s", etcd->errmsg)));
	}
	proc_exit(1);
}
