/*-------------------------------------------------------------------------
 *
 * keeper_int.h
 *		The keeper's insides, shared by its files (src/keeper/): the state
 *		it keeps between iterations and the functions one file calls in
 *		another.  Nothing outside src/keeper/ includes it (keeper.h is the
 *		keeper's face to the worker).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/keeper/keeper_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_KEEPER_INT_H
#define PGHA_KEEPER_INT_H

#include "shared/cluster.h"
#include "shared/cluster_cache.h"
#include "shared/decide.h"
#include "shared/etcd.h"
#include "shared/failsafe_ask.h"
#include "shared/hot_standby.h"
#include "shared/lease_clock.h"
#include "shared/lease_steps.h"
#include "shared/promotion.h"
#include "shared/proof.h"
#include "shared/slots.h"
#include "shared/switchover.h"
#include "local.h"
#include "probe.h"
#include "shmem.h"

/*
 * What the keeper keeps between iterations.  It survives an ERROR in an
 * iteration (the worker recovers and calls again); the simulator swaps it
 * per simulated node (pgha_keeper_memory()).
 */
typedef struct KeeperState
{
	bool		initialized;
	char	   *prefix;			/* /<namespace>/<scope>/ */
	char	   *leader_key;
	char	   *config_key;
	char	   *failover_key;
	char	   *member_key;

	PghaLease	lease;			/* this node's lease (shared/lease_steps.h) */
	bool		leader_on_current_lease;	/* this iteration put the leader
											 * key on lease.id */
	bool		leader_read_on_lease;	/* this iteration's quorum read, after
										 * the keepalive, found the leader key
										 * ours on lease.id */

	PghaProof	proof;			/* leader? proven since when? (shared/proof.h) */
	int64		started_ms;		/* this worker's start */
	bool		seen_leader;	/* a leader key seen since the instance started */
	bool		fenced_without_leader;	/* PGHA_FENCED_MARKER is there */
	bool		standby_copy;	/* PGHA_STANDBY_COPY_MARKER is there */
	bool		has_led;		/* PGHA_LED_MARKER is there */
	int64		empty_since_ms; /* etcd has held no cluster since (0: it does) */
	bool		foreign;		/* last seen: our sysid is not the cluster's */
	char		leader_seen[PGHA_NAME_LEN]; /* leader key value last seen */
	PghaPromotion promotion;	/* the promotion asked for (shared/promotion.h) */
	MemoryContext watch_cxt;
	PghaClusterCache cache;		/* the cluster as the watch keeps it */
	int64		watch_from;		/* the running watch's start revision */
	bool		from_cache;		/* this iteration's cluster came from it */
	bool		cache_was_behind;	/* the last read showed it lacked events */
	int64		next_etcd_health_ms;
	PghaMemberPut member_put;	/* our member record as last put (shared/cluster.h) */
	int			etcd_tolerated;	/* last known; -1 unknown */
	PghaSwitchoverSeen switchover_seen;	/* the request first seen (shared/switchover.h) */
	bool		switching;		/* let go of the key for a switchover: stopping */
	bool		restarting;		/* shut down for pghactl restart: keeps the key */
	bool		upstream_stale; /* promoted: primary_conninfo still to reset */
	int			params_floor[PGHA_NHOT_STANDBY_PARAMS]; /* apply.h: what was applied with */
	bool		params_feedback;	/* ... with hot_standby_feedback forced on */
	int64		params_revision;	/* parameters applied for this revision */
	int64		hba_retry_ms;	/* earliest retry of a pg_hba that failed */
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

	/* failsafe_mode: whom to ask without etcd (when all last vouched: K.proof) */
	PghaFailsafeAsk failsafe_ask;	/* shared/failsafe_ask.h */
	int64		failsafe_kept_ms;	/* a promise made before the start (failsafe.h) */
	int			history_kept_timeline;	/* keep_history_files() did its work for it */

	int64		next_status_ms;
	uint64		status_optime;
	char	   *slots_done;		/* members whose slots exist, joined */
	char	   *published_history;	/* the history key as last put in shared memory */
	char	   *published_config;	/* the config key as last put there ("" absent) */
	PghaRetention *retention;	/* members whose slots the leader keeps (slots.h) */
	PghaRetention *downstream;	/* ... a standby keeps (cascading) */
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
} KeeperState;

/* the keeper's functions are the extension's own: none is exported */
#pragma GCC visibility push(hidden)

extern KeeperState K;

/* state.c */
extern int64 now_ms(void);
extern void save_config(const PghaCluster *cluster);
extern void keeper_init(void);
extern void save_keeper_state(void);
extern PghaLeaseClock lease_clock(void);
extern int effective_lease_ttl(void);
extern int64 fence_after_ms(void);
extern void publish_write_gate(void);
extern void withdrawn(void);
extern bool withdraw_promotion(void);

/* lease.c */
extern void set_call_budget(PghaEtcd *etcd);
extern void log_etcd_problem(PghaEtcd *etcd, const char *what);
extern bool keeper_lease(PghaEtcd *etcd);
extern void retire_old_lease(PghaEtcd *etcd);
extern bool read_cluster(PghaEtcd *etcd, PghaCluster *cluster);
extern void cluster_from_cache(PghaCluster *cluster);
extern bool leader_txn(PghaEtcd *etcd, bool create, bool *succeeded);
extern bool leader_write(PghaEtcd *etcd, const char *key, const char *value, bool *written);
extern void become_leader(const char *how, const char *why);
extern void lose_leadership(const char *why);
extern void check_etcd_health(PghaEtcd *etcd, PghaSharedState *st);

/* failsafe_key.c */
extern void remember_members(const PghaCluster *cluster);
extern void keep_failsafe_key(PghaEtcd *etcd, PghaCluster *cluster);
extern void failsafe_pings(void);

/* members.c */
extern int64 name_conflict(const PghaCluster *cluster, const PghaLocal *local);
extern void handle_restart_request(PghaEtcd *etcd, PghaCluster *cluster);
extern bool publish_member(PghaEtcd *etcd, PghaCluster *cluster, const PghaLocalDetail *local, const char *state);

/* promote.c */
extern void promotion_over(void);
extern bool do_bootstrap(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local);
extern void claim_initialize(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local);
extern void request_promotion(PghaEtcd *etcd, const PghaCluster *cluster, const PghaLocalDetail *local);
extern void tidy_placeholders(PghaCluster *cluster, const PghaLocalDetail *local);
extern void keep_history_files(int timeline);
extern void check_promotion(const PghaLocalDetail *local);
extern void forget_upstream(const PghaLocalDetail *local);
extern void record_history(PghaEtcd *etcd, const PghaCluster *cluster, int timeline);

/* member_slots.c */
extern void drop_standby_member_slots(const PghaCluster *cluster);
extern bool member_gets_slot(const PghaCluster *cluster, const PghaMember *m);
extern void ensure_member_slots(const PghaCluster *cluster);
extern void manage_downstream_slots(const PghaCluster *cluster);
extern void manage_member_slots(const PghaCluster *cluster);
extern char *keep_permanent_slots(const PghaCluster *cluster, bool leading, int timeline);

/* logical_copies.c */
extern int	keep_logical_slots_leader(const PghaCluster *cluster, PghaLogicalState *out, int max);
extern void keep_logical_copies(const PghaCluster *cluster, int timeline, uint64 replayed, bool keep);
extern void warn_unready_copies(void);

/* act.c */
extern void probe_peers(const PghaCluster *cluster, PghaInput *in, PghaPeer *peers);
extern void do_fence(const PghaCluster *cluster, const PghaDecision *d);
extern void log_decision(const PghaDecision *d);
extern long act(PghaEtcd *etcd, const PghaInput *in, const PghaDecision *d, const PghaCluster *cluster, const PghaLocalDetail *local);
extern const char *member_state(const PghaDecision *d);
extern const char *state_name(const PghaDecision *d);
extern void switchover_inputs(const PghaCluster *cluster, const PghaLocalDetail *local, PghaInput *in);
extern bool delete_failover_key(PghaEtcd *etcd, const PghaCluster *cluster);
extern void drop_old_failover_key(PghaEtcd *etcd, const PghaCluster *cluster, const PghaInput *in);

/* apply_config.c */
extern bool apply_config(const PghaCluster *cluster);

/* publish.c */
extern void publish_members(PghaSharedState *st, const PghaCluster *cluster);

#pragma GCC visibility pop

#endif							/* PGHA_KEEPER_INT_H */
