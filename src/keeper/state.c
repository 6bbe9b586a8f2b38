/*-------------------------------------------------------------------------
 *
 * state.c
 *		What the keeper keeps between iterations (the struct K), its start,
 *		what a restarted worker inherits, and the leader's fence window.
 *
 * The fence window is measured on the monotonic clock from the send time
 * of the last keepalive that was part of a good renewal: when it is older
 * than fence_after_ms() (80% of ttl), decide() fences.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/state.c
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

KeeperState K;

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

int64
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

static void
load_saved_config(void)
{
	FILE	   *f = AllocateFile(PGHA_SAVED_CONFIG_FILE, "r");
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
void
save_config(const PghaCluster *cluster)
{
	int64		rev = cluster->has_config ? cluster->config.mod_revision : 0;

	if (rev == K.config_saved_revision)
		return;
	pgha_write_durably(PGHA_SAVED_CONFIG_FILE, cluster->has_config ? cluster->config_json : "{}");
	K.config_saved_revision = rev;
}

void
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

	K.started_ms = now_ms();
	K.applied_revision = -1;
	K.params_revision = -1;
	K.hba_warned_revision = -1;
	K.etcd_tolerated = -1;
	LWLockAcquire(pgha_shared->lock, LW_SHARED);
	/* proven: false after a start of the server until a renewal is proven (shmem.c) */
	pgha_proof_start(&K.proof, K.started_ms, RecoveryInProgress(),
					 pgha_shared->keeper.valid ? &pgha_shared->keeper.last_renewal_ms : NULL,
					 pgha_shared->keeper.proven);
	if (pgha_shared->keeper.valid)
	{
		K.lease.id = pgha_shared->keeper.lease_id;
		K.lease.ttl = pgha_shared->keeper.lease_ttl;
		K.lease.requested_ttl = (int) pgha_shared->keeper.lease_ttl;
		K.lease.old_id = pgha_shared->keeper.old_lease_id;
		K.lease.old_ttl = pgha_shared->keeper.old_lease_ttl;
		K.seen_leader = pgha_shared->keeper.seen_leader;
		K.promotion.requested_ms = pgha_shared->keeper.promote_requested_ms;
		K.promotion.withdrawn = pgha_shared->keeper.promote_withdrawn;
		K.promotion.reserved_timeline = pgha_shared->keeper.reserved_timeline;
		/* until the first config read: the cluster's config, paused or not */
		K.config = pgha_shared->keeper.config;
		K.config_known = pgha_shared->keeper.config_known;
	}
	LWLockRelease(pgha_shared->lock);
	K.config_saved_revision = -1;
	if (!K.config_known)
		load_saved_config();
	/* only a fence (which ends the server) or this worker changes them */
	K.has_led = pgha_action_has_marker(PGHA_LED_MARKER);
	K.fenced_without_leader = pgha_action_has_marker(PGHA_FENCED_MARKER);
	K.standby_copy = pgha_action_has_marker(PGHA_STANDBY_COPY_MARKER);
	K.failsafe_kept_ms = pgha_failsafe_kept_promise();
	K.initialized = true;
	publish_write_gate();
}

void
save_keeper_state(void)
{
	LWLockAcquire(pgha_shared->lock, LW_EXCLUSIVE);
	pgha_shared->keeper.valid = true;
	pgha_shared->keeper.last_renewal_ms = K.proof.last_renewal_ms;
	pgha_shared->keeper.lease_id = K.lease.id;
	pgha_shared->keeper.lease_ttl = K.lease.ttl;
	pgha_shared->keeper.old_lease_id = K.lease.old_id;
	pgha_shared->keeper.old_lease_ttl = K.lease.old_ttl;
	pgha_shared->keeper.proven = K.proof.proven;
	pgha_shared->keeper.config = K.config;
	pgha_shared->keeper.config_known = K.config_known;
	pgha_shared->keeper.seen_leader = K.seen_leader;
	pgha_shared->keeper.promote_requested_ms = K.promotion.requested_ms;
	pgha_shared->keeper.promote_withdrawn = K.promotion.withdrawn;
	pgha_shared->keeper.reserved_timeline = K.promotion.reserved_timeline;
	LWLockRelease(pgha_shared->lock);
	publish_write_gate();
}

/* the leader's clock (shared/lease_clock.h) as this keeper keeps it */
PghaLeaseClock
lease_clock(void)
{
	PghaLeaseClock lc;

	lc.config = &K.config;
	lc.lease_ttl = K.lease.ttl;
	lc.old_lease_ttl = K.lease.old_id != 0 ? K.lease.old_ttl : 0;
	lc.last_renewal_ms = K.proof.last_renewal_ms;
	/* without etcd, the members' word stands in for a renewal (failsafe.c) */
	lc.failsafe_confirmed_ms = K.proof.failsafe_confirmed_ms;
	lc.failsafe_ttl = K.proof.failsafe_ttl;
	/* only a primary asks them (iterate.c) */
	lc.asks_members = K.config.failsafe_mode && !RecoveryInProgress();
	return lc;
}

int
effective_lease_ttl(void)
{
	PghaLeaseClock lc = lease_clock();

	return pgha_lease_ttl_now(&lc);
}

int64
fence_after_ms(void)
{
	PghaLeaseClock lc = lease_clock();

	return pgha_lease_fence_after(&lc);
}

int64
pgha_keeper_fence_deadline_ms(void)
{
	PghaLeaseClock lc = lease_clock();

	return pgha_lease_fence_deadline(&lc);
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
void
publish_write_gate(void)
{
	PghaLeaseClock lc = lease_clock();

	pgha_write_gate_set(pgha_lease_gate(&lc, K.foreign, K.proof.proven));
}

/*
 * This node's promotion request was withdrawn (its file removed); it stays
 * on record (shared/promotion.h) until promotion_over(), and
 * check_promotion() records the history and asks for the checkpoint if it
 * completes anyway.
 */
void
withdrawn(void)
{
	pgha_promotion_withdrawn(&K.promotion, now_ms());
	save_keeper_state();
}

/*
 * Take back the promotion this node asked for, if the startup process has
 * not taken it: true if it is withdrawn now.  Also true when the request
 * never reached PostgreSQL (pg_promote() failed with an ERROR before its
 * file, the request on record first): nothing is left to take back, and
 * unless it is withdrawn the promotion stays "under way" for good, which
 * keeps this standby's placeholders and stops it from following across
 * them (the simulator's seed 31602, --errors).
 */
bool
withdraw_promotion(void)
{
	if (pgha_action_cancel_promotion() || !pgha_action_promotion_in_flight())
	{
		withdrawn();
		return true;
	}
	return false;
}
