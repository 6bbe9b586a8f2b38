/*-------------------------------------------------------------------------
 *
 * unit_decide.c
 *		Table-driven tests of the HA state machine, and of the member and
 *		config JSON that feeds it.
 *
 * Each case reads as a story: who we are, what etcd says, what the peers
 * said; the expected action and rule.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_decide.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <malloc.h>

#include "shared/cluster.h"
#include "shared/decide.h"
#include "shared/slots.h"
#include "unit.h"

#define SYSID 7712256259992954807ULL
#define J(s) (s), strlen(s)

typedef struct Case
{
	const char *story;
	/* me */
	bool		standby;
	uint64		my_lsn;
	bool		nofailover;
	int			priority;
	bool		is_leader;
	int64		ms_since_renewal;
	uint64		my_sysid;		/* 0: SYSID */
	/* etcd */
	bool		etcd_down;
	bool		no_initialize;
	bool		empty_initialize;	/* pghactl's lock: the key, value "" */
	const char *leader;			/* NULL: no leader key */
	uint64		optime;
	bool		pause;
	int			newer_member_tl;	/* a member "node9" on this timeline */
	int			leader_tl;		/* the leader's member record, on this timeline */
	bool		sync_newer;		/* the sync key was written after the switchover request */
	bool		foreign;		/* we know our sysid is not the cluster's */
	const char *failover;		/* a switchover request naming this candidate */
	int			cand_record;	/* its member record: 0 none, 1 running, 2 down (pghactl run's) */
	bool		cand_streaming; /* leader: the candidate streams from us */
	bool		fo_stale;		/* the request is stale (or scheduled later) */
	bool		fo_unreadable;	/* its scheduled_at is no time */
	bool		streaming;		/* our WAL receiver streams */
	uint64		release_lsn;	/* the old leader's position when it let go */
	const char *history;		/* the history key */
	uint64		my_replay;		/* replayed, when it differs from my_lsn */
	bool		failsafe;		/* config failsafe_mode */
	int64		fs_confirmed_ago;	/* leader: members vouched this long ago; 0 never */
	int64		fs_ping_age;	/* member: pinged this long ago; 0 never */
	int64		fs_ping_ttl;	/* member: the ttl (ms) the ping said; 0 none */
	int64		fs_kept;		/* member: a promise kept from before the start (ms) */
	int			fs_told_ttl;	/* leader: the ttl the members were told; 0: config's */
	int64		started_ago;	/* the worker started this long ago; 0: unknown */
	bool		seen_leader;	/* ... and has seen a leader since */
	int			my_tl;			/* our timeline; 0: 1 */
	const char *failsafe_key;	/* NULL: none; else the one member it lists ("" none) */
	const char *last_leader;	/* the last leader this node saw; the sync key's is "old" */
	bool		conflict;		/* a key named after us sits on another instance's lease */
	bool		sync_mode;		/* config synchronous_mode */
	bool		standby_cluster;	/* config standby_cluster {host: remote} */
	const char *sync_standby;	/* NULL: no sync key; "": names none; "a,b": two */
	bool		quorum_mode;	/* config synchronous_mode "quorum" */
	int			quorum;			/* the sync key's "quorum" */
	bool		sync_leader_me;	/* the sync key's leader is this node (else "old") */
	bool		fenced;			/* we fenced ourselves without a leader to follow */
	bool		nostream;		/* tagged nostream */
	bool		standby_copy;	/* pghactl's standby-cluster copy marker */
	bool		standby_archive;	/* config standby_cluster {restore_command} only */
	int64		empty_ms;		/* etcd has held no cluster for this long */
	/* peers (probed when peers_probed) */
	bool		peers_probed;
	int			npeers;
	PghaPeer	peers[3];
	/* expected */
	PghaAction	action;
	const char *rule;
	const char *target;
} Case;

#define PEER(n, lsn_, prio) {.name = n, .reachable = true, .in_recovery = true, .lsn = lsn_, \
		.timeline = 1, .failover_priority = prio}
#define DEAD_PEER(n) {.name = n, .failover_priority = 1}
#define NOFAILOVER_PEER(n, lsn_) {.name = n, .reachable = true, .in_recovery = true, .lsn = lsn_, \
		.timeline = 1, .nofailover = true, .failover_priority = 1}
#define PRIMARY_PEER(n) {.name = n, .reachable = true, .lsn = 9999, .timeline = 1, \
		.failover_priority = 1}

static const Case cases[] = {
	{"a new primary finds no cluster: it claims it",
	 .no_initialize = true, .action = PGHA_ACT_BOOTSTRAP, .rule = "bootstrap"},
	{"a standby finds no cluster: it waits",
	 .standby = true, .no_initialize = true, .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"a standby that fenced itself as a primary that never led finds no cluster: it waits a ttl",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 9000,
	 .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"... then asks its peers",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 10000,
	 .action = PGHA_ACT_PROBE, .rule = "bootstrap_fenced_probe"},
	{"... and, none ahead, claims the cluster",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 10000,
	 .peers_probed = true, .npeers = 2, .peers = {PEER("node2", 5000, 1), DEAD_PEER("node3")},
	 .action = PGHA_ACT_BOOTSTRAP, .rule = "bootstrap_fenced"},
	{"... not when a peer is ahead (etcd lost its keys while another node led)",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 10000,
	 .peers_probed = true, .npeers = 1, .peers = {PEER("node2", 5001, 1)},
	 .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"... not when a peer runs as a primary",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 10000,
	 .peers_probed = true, .npeers = 1, .peers = {PRIMARY_PEER("node2")},
	 .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"... not paused",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 10000,
	 .pause = true, .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"... not tagged nofailover",
	 .standby = true, .fenced = true, .no_initialize = true, .my_lsn = 5000, .empty_ms = 10000,
	 .nofailover = true, .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"standby cluster, no cluster in etcd: a standby claims it as its standby leader",
	 .standby = true, .standby_cluster = true, .no_initialize = true,
	 .action = PGHA_ACT_BOOTSTRAP, .rule = "standby_bootstrap"},
	{"a primary holding the key when the config makes a standby cluster: it demotes (demote-cluster)",
	 .standby_cluster = true, .leader = "me", .is_leader = true,
	 .action = PGHA_ACT_DEMOTE_CLUSTER, .rule = "demote_cluster"},
	{"... not to a section of the archive alone (the remote would fork before its last WAL): it keeps the key, its gate shut",
	 .standby_archive = true, .leader = "me", .is_leader = true,
	 .action = PGHA_ACT_RENEW, .rule = "renew"},
	{"... a primary without the key too (it claims nothing)",
	 .standby_cluster = true, .leader = NULL,
	 .action = PGHA_ACT_DEMOTE_CLUSTER, .rule = "demote_cluster"},
	{"... not while paused: it keeps the key as a paused primary does",
	 .standby_cluster = true, .leader = "me", .is_leader = true, .pause = true,
	 .action = PGHA_ACT_RENEW, .rule = "paused_leader"},
	{"... a primary while another member holds the key is fenced first",
	 .standby_cluster = true, .leader = "node2",
	 .action = PGHA_ACT_FENCE, .rule = "fence_other_leader"},
	{"standby cluster, pghactl's initialize lock (it copied the remote): the copy claims it",
	 .standby = true, .standby_cluster = true, .empty_initialize = true, .standby_copy = true,
	 .action = PGHA_ACT_BOOTSTRAP, .rule = "standby_bootstrap"},
	{"... not another standby while pghactl copies (a restore of hours): it waits, no race",
	 .standby = true, .standby_cluster = true, .empty_initialize = true,
	 .action = PGHA_ACT_NONE, .rule = "standby_wait_copy"},
	{"... not in a cluster that is no standby cluster: a standby there is in a failover",
	 .standby = true, .empty_initialize = true, .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"standby cluster: the standby holding the leader key keeps it and follows the remote",
	 .standby = true, .standby_cluster = true, .leader = "me", .is_leader = true,
	 .action = PGHA_ACT_STANDBY_LEADER, .rule = "standby_leader"},
	{"... paused too (as a paused primary keeps its key)",
	 .standby = true, .standby_cluster = true, .leader = "me", .pause = true,
	 .action = PGHA_ACT_STANDBY_LEADER, .rule = "standby_leader"},
	{"standby cluster: the others follow the standby leader",
	 .standby = true, .standby_cluster = true, .leader = "node2",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"tagged nostream: it follows the leader, streaming from nobody (target \"\")",
	 .standby = true, .leader = "node2", .nostream = true,
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = ""},
	{"the standby_cluster section removed: the standby leader promotes",
	 .standby = true, .leader = "me", .is_leader = true,
	 .action = PGHA_ACT_PROMOTE, .rule = "promote_holder"},
	{"... not while etcd is down",
	 .standby = true, .fenced = true, .no_initialize = true, .etcd_down = true,
	 .action = PGHA_ACT_NONE, .rule = "no_etcd"},
	{"... not when a history shows the cluster existed",
	 .standby = true, .fenced = true, .no_initialize = true, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"... not when a member is on a newer timeline (it is no copy of this node)",
	 .standby = true, .fenced = true, .no_initialize = true, .newer_member_tl = 2, .empty_ms = 10000,
	 .action = PGHA_ACT_NONE, .rule = "wait_bootstrap"},
	{"... and once the cluster exists it is a standby like any other",
	 .standby = true, .fenced = true, .leader = "node2", .action = PGHA_ACT_FOLLOW, .rule = "follow",
	 .target = "node2"},
	{"the primary holds the leader key: renew",
	 .leader = "me", .is_leader = true, .action = PGHA_ACT_RENEW, .rule = "renew"},
	{"a restarted primary whose key is still there re-attaches",
	 .leader = "me", .is_leader = false, .action = PGHA_ACT_RENEW, .rule = "renew"},
	{"a primary restarted from a data directory restored in place re-attaches, but lacks what the leader published: it fences",
	 .leader = "me", .is_leader = false, .my_lsn = 1000, .optime = 1000 + 1048576 + 1,
	 .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"the running leader behind its own published optime (impossible, but) keeps renewing: only a re-attach is checked",
	 .leader = "me", .is_leader = true, .my_lsn = 1000, .optime = 1000 + 1048576 + 1,
	 .action = PGHA_ACT_RENEW, .rule = "renew"},
	{"a running primary finds the leader key free: acquire",
	 .leader = NULL, .action = PGHA_ACT_ACQUIRE, .rule = "acquire"},
	{"the leader key names another member: the primary fences at once",
	 .leader = "node2", .is_leader = true, .action = PGHA_ACT_FENCE, .rule = "fence_other_leader",
	 .target = "node2"},
	{"etcd down, lease still young: the primary keeps serving",
	 .etcd_down = true, .is_leader = true, .ms_since_renewal = 3000,
	 .action = PGHA_ACT_NONE, .rule = "no_etcd"},
	{"etcd down past 80% of ttl: the primary fences before the lease can expire",
	 .etcd_down = true, .is_leader = true, .ms_since_renewal = 8000,
	 .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"etcd answers but renewals failed for too long: fence",
	 .leader = "me", .is_leader = true, .ms_since_renewal = 9000,
	 .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"paused: a primary whose lease is gone does not fence",
	 .etcd_down = false, .leader = "me", .is_leader = true, .ms_since_renewal = 60000, .pause = true,
	 .action = PGHA_ACT_RENEW, .rule = "paused_leader"},
	{"a primary whose worker just restarted cannot reach etcd for the window: fence",
	 .etcd_down = true, .is_leader = false, .ms_since_renewal = 8000,
	 .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"a primary of another cluster never fences for want of our etcd",
	 .etcd_down = true, .foreign = true, .ms_since_renewal = 60000,
	 .action = PGHA_ACT_NONE, .rule = "no_etcd"},
	{"paused, but the leader key names another member: the primary still fences",
	 .leader = "node2", .pause = true, .action = PGHA_ACT_FENCE, .rule = "fence_other_leader"},
	{"a leader key without initialize: the holder renews, nobody bootstraps",
	 .no_initialize = true, .leader = "me", .action = PGHA_ACT_RENEW, .rule = "renew"},
	{"a leader key without initialize: a standby follows",
	 .standby = true, .no_initialize = true, .leader = "node1", .action = PGHA_ACT_FOLLOW,
	 .rule = "follow"},
	{"an old primary back on an old timeline finds the key free: it fences",
	 .leader = NULL, .newer_member_tl = 3, .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"no leader, but a probed member still runs as a primary: do not race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {PRIMARY_PEER("node1")}, .action = PGHA_ACT_NONE, .rule = "primary_alive"},
	{"switchover requested, the candidate streams: the leader hands over",
	 .leader = "me", .is_leader = true, .failover = "node2", .cand_streaming = true,
	 .action = PGHA_ACT_SWITCHOVER, .rule = "switchover", .target = "node2"},
	{"synchronous_mode, switchover to a streaming standby the sync key names: the leader hands over",
	 .leader = "me", .is_leader = true, .failover = "node2", .cand_streaming = true,
	 .sync_mode = true, .sync_standby = "node2", .sync_leader_me = true,
	 .action = PGHA_ACT_SWITCHOVER, .rule = "switchover", .target = "node2"},
	{"synchronous_mode, switchover to a streaming standby the sync key does not name: refused (it could not take over; the simulator's seed 600413)",
	 .leader = "me", .is_leader = true, .failover = "node2", .cand_streaming = true,
	 .sync_mode = true, .sync_standby = "", .sync_leader_me = true,
	 .action = PGHA_ACT_CANCEL_SWITCHOVER, .rule = "switchover_refused", .target = "node2"},
	{"switchover requested, the candidate does not stream: refused",
	 .leader = "me", .is_leader = true, .failover = "node2",
	 .action = PGHA_ACT_CANCEL_SWITCHOVER, .rule = "switchover_refused"},
	{"switchover requested with an unreadable scheduled_at: the leader cancels it",
	 .leader = "me", .is_leader = true, .failover = "node2", .cand_streaming = true, .fo_unreadable = true,
	 .action = PGHA_ACT_CANCEL_SWITCHOVER, .rule = "switchover_unreadable", .target = "node2"},
	{"the same seen by a standby: it follows",
	 .standby = true, .leader = "node1", .failover = "node2", .fo_unreadable = true,
	 .action = PGHA_ACT_FOLLOW, .rule = "follow"},
	{"switchover requested while paused: the paused leader only renews",
	 .leader = "me", .is_leader = true, .failover = "node2", .cand_streaming = true, .pause = true,
	 .action = PGHA_ACT_RENEW, .rule = "paused_leader"},
	{"no leader, a switchover to node2 whose server runs: the others wait for it",
	 .standby = true, .leader = NULL, .failover = "node2", .cand_record = 1,
	 .action = PGHA_ACT_NONE, .rule = "switchover_wait"},
	{"no leader, a switchover to node2 whose server is down (pghactl run's record): the others race, not wait for the request to expire",
	 .standby = true, .leader = NULL, .failover = "node2", .cand_record = 2,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"switchover to us, key released, not probed yet: probe",
	 .standby = true, .leader = NULL, .failover = "me",
	 .action = PGHA_ACT_PROBE, .rule = "switchover_probe"},
	{"switchover to us, handed over, still receiving the old primary's WAL: wait",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "me", .release_lsn = 8000,
	 .streaming = true, .peers_probed = true,
	 .action = PGHA_ACT_NONE, .rule = "switchover_old_alive"},
	{"switchover to us, streaming, the old primary runs again as a standby (the stream may come from it): take the key (the simulator's seed 1796541797)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "me", .streaming = true, .peers_probed = true,
	 .npeers = 1, .peers = {{.name = "old", .reachable = true, .in_recovery = true, .lsn = 9000,
	 .timeline = 1, .failover_priority = 1}}, .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"switchover to us, streaming, the old primary runs again as a standby with WAL we lack (commits acknowledged while it let go): wait",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "me", .release_lsn = 8000,
	 .streaming = true, .peers_probed = true,
	 .npeers = 1, .peers = {{.name = "old", .reachable = true, .in_recovery = true, .lsn = 9100,
	 .timeline = 1, .failover_priority = 1}}, .action = PGHA_ACT_NONE, .rule = "switchover_old_alive"},
	{"the same without a handover (the old leader lost its lease; the stream comes from another member, --cascade): nothing of the old primary's is on its way, the failover checks apply: take the key (the simulator's seed 1796900423: nobody led until the request expired)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "me", .streaming = true, .peers_probed = true,
	 .npeers = 1, .peers = {{.name = "old", .reachable = true, .in_recovery = true, .lsn = 9100,
	 .timeline = 1, .failover_priority = 1}}, .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"switchover to us, handed over, streaming, the old primary does not answer: wait for its last WAL",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "me", .release_lsn = 8000,
	 .streaming = true, .peers_probed = true,
	 .npeers = 1, .peers = {DEAD_PEER("old")}, .action = PGHA_ACT_NONE, .rule = "switchover_old_alive"},
	{"the same without a handover (the old leader died; --cascade, the stream from another member never ends): take the key",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "me", .streaming = true, .peers_probed = true,
	 .npeers = 1, .peers = {DEAD_PEER("old")}, .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"switchover to us, the old primary still answers: wait",
	 .standby = true, .leader = NULL, .failover = "me", .peers_probed = true,
	 .npeers = 1, .peers = {PRIMARY_PEER("node1")}, .action = PGHA_ACT_NONE, .rule = "switchover_old_alive"},
	{"switchover to us, the old primary is in shutdown: wait",
	 .standby = true, .leader = NULL, .failover = "me", .peers_probed = true,
	 .npeers = 1, .peers = {{.name = "node1", .shutting_down = true}},
	 .action = PGHA_ACT_NONE, .rule = "switchover_old_alive"},
	{"switchover to us, the old primary is gone: take the key",
	 .standby = true, .leader = NULL, .failover = "me", .peers_probed = true,
	 .npeers = 1, .peers = {DEAD_PEER("node1")}, .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"switchover to us, but we got less than the old leader had written: do not take it",
	 .standby = true, .my_lsn = 100, .leader = NULL, .failover = "me", .release_lsn = 200,
	 .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("node1")},
	 .action = PGHA_ACT_NONE, .rule = "switchover_incomplete"},
	{"switchover to us, and we have all the old leader had written: take it",
	 .standby = true, .my_lsn = 200, .leader = NULL, .failover = "me", .release_lsn = 200,
	 .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("node1")},
	 .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"no leader, a probed member is shutting down: do not race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {{.name = "node1", .shutting_down = true}},
	 .action = PGHA_ACT_NONE, .rule = "primary_alive"},
	{"switchover to another member: other standbys wait, even when ahead",
	 .standby = true, .my_lsn = 99999, .leader = NULL, .failover = "node9", .newer_member_tl = 1,
	 .action = PGHA_ACT_NONE, .rule = "switchover_wait"},
	{"switchover to a member whose key is gone (it died): the others race as usual",
	 .standby = true, .my_lsn = 99999, .leader = NULL, .failover = "node2",
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"a stale switchover request: the standbys race as usual",
	 .standby = true, .leader = NULL, .failover = "node2", .fo_stale = true,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"etcd down: a standby never changes role",
	 .standby = true, .etcd_down = true, .action = PGHA_ACT_NONE, .rule = "no_etcd"},
	{"a node of another cluster never touches the leader key",
	 .my_sysid = 42, .leader = NULL, .action = PGHA_ACT_NONE, .rule = "sysid_mismatch"},
	{"a standby of another cluster does not race either",
	 .standby = true, .my_sysid = 42, .leader = NULL, .action = PGHA_ACT_NONE,
	 .rule = "sysid_mismatch"},
	{"a clone under the leader's name finds the key named after it on another instance's lease: nothing",
	 .standby = true, .leader = "me", .conflict = true, .action = PGHA_ACT_NONE, .rule = "duplicate_name"},
	{"a primary under a name another instance holds the key for: nothing (the gate stays closed)",
	 .leader = "me", .conflict = true, .action = PGHA_ACT_NONE, .rule = "duplicate_name"},
	{"an old primary on timeline 1 finds the key free, the history key ends timeline 1: it fences",
	 .leader = NULL, .history = "[[1,4000,\"no recovery target specified\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"a primary on the cluster's latest timeline finds the key free: acquire",
	 .leader = NULL, .my_tl = 2, .my_lsn = 5000, .history = "[[1,4000,\"r\",\"t\",\"me\"]]",
	 .action = PGHA_ACT_ACQUIRE, .rule = "acquire"},
	{"a standby on timeline 3, not streaming, the leader's record says 2 (its promoter never reached etcd): rewind (the simulator's seed 1796539432)",
	 .standby = true, .my_tl = 3, .my_lsn = 9000, .leader = "node2", .leader_tl = 2,
	 .action = PGHA_ACT_REJOIN, .rule = "diverged"},
	{"a standby on timeline 3 that streams, the leader's record says 2 (not yet published its promotion): follow",
	 .standby = true, .my_tl = 3, .my_lsn = 9000, .streaming = true, .leader = "node2", .leader_tl = 2,
	 .action = PGHA_ACT_FOLLOW, .rule = "follow"},
	{"synchronous mode, the key free, the sync key belongs to another leader: an old primary fences (the simulator's seed 1150)",
	 .leader = NULL, .sync_mode = true, .sync_standby = "", .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"synchronous mode, the key free, the sync key is this primary's own: acquire",
	 .leader = NULL, .sync_mode = true, .sync_standby = "", .sync_leader_me = true,
	 .action = PGHA_ACT_ACQUIRE, .rule = "acquire"},
	{"synchronous mode, the key free, this primary is a standby the sync key names: acquire",
	 .leader = NULL, .sync_mode = true, .sync_standby = "me", .action = PGHA_ACT_ACQUIRE, .rule = "acquire"},
	{"a primary far behind the last position the leader published finds the key free: it fences",
	 .leader = NULL, .my_lsn = 1000, .optime = 1000 + 1048576 + 1,
	 .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"no initialize key but a history: the cluster existed, an old primary does not bootstrap it anew",
	 .no_initialize = true, .leader = NULL, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"no leader, a standby on timeline 1 while the history key says 2: never races",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_NONE, .rule = "old_timeline"},
	{"synchronous mode, a standby on timeline 1 while the history key says 2, but the sync key is its own: the promotion of 2 came before (its promoter took the key over or deleted it first, so it acknowledged nothing synchronously), and this node races (the simulator's seed 1771 --sync-toggle)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .sync_mode = true, .sync_standby = "", .sync_leader_me = true, .peers_probed = true,
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, the same with the sync key of another leader: never races",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .sync_mode = true, .sync_standby = "me", .peers_probed = true,
	 .action = PGHA_ACT_NONE, .rule = "old_timeline"},
	{"no leader, a standby on the latest timeline: probes as usual",
	 .standby = true, .my_tl = 2, .my_lsn = 9000, .leader = NULL, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"no leader, a peer on a newer timeline is better even with a lower position",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {{.name = "node3", .reachable = true, .in_recovery = true, .lsn = 10,
	 .timeline = 2, .failover_priority = 1}}, .action = PGHA_ACT_NONE, .rule = "peer_better"},
	{"a standby follows the leader",
	 .standby = true, .leader = "node1", .action = PGHA_ACT_FOLLOW, .rule = "follow",
	 .target = "node1"},
	{"a standby holding the leader key (won the race) promotes",
	 .standby = true, .leader = "me", .action = PGHA_ACT_PROMOTE, .rule = "promote_holder"},
	{"paused: a primary that finds the key free takes it (else its gate stays closed)",
	 .leader = NULL, .pause = true, .action = PGHA_ACT_ACQUIRE, .rule = "paused_acquire"},
	{"paused: an old primary on an old timeline does not take the free key",
	 .leader = NULL, .pause = true, .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_NONE, .rule = "paused"},
	{"paused: a standby does not race for a free key",
	 .standby = true, .leader = NULL, .pause = true, .action = PGHA_ACT_NONE, .rule = "paused"},
	{"no leader: a nofailover standby never races",
	 .standby = true, .nofailover = true, .leader = NULL, .action = PGHA_ACT_NONE,
	 .rule = "not_candidate"},
	{"no leader: failover_priority 0 never races",
	 .standby = true, .priority = -1, .leader = NULL, .action = PGHA_ACT_NONE,
	 .rule = "not_candidate"},
	{"no leader: a standby too far behind the last optime never races",
	 .standby = true, .my_lsn = 1000, .optime = 1000 + 1048576 + 1, .leader = NULL,
	 .action = PGHA_ACT_NONE, .rule = "too_far_behind"},
	{"no leader: lag exactly at the limit may race (after probing)",
	 .standby = true, .my_lsn = 1000, .optime = 1000 + 1048576, .leader = NULL,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"cluster restart: no leader since the worker started 2 s ago (ttl 10 s): wait for the former primary",
	 .standby = true, .my_lsn = 5000, .optime = 5000, .leader = NULL, .started_ago = 2000,
	 .action = PGHA_ACT_NONE, .rule = "startup_wait"},
	{"cluster restart: a ttl has passed without a leader: probe, then race",
	 .standby = true, .my_lsn = 5000, .optime = 5000, .leader = NULL, .started_ago = 10000,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"a standby that saw a leader since it started fails over at once",
	 .standby = true, .my_lsn = 5000, .optime = 5000, .leader = NULL, .started_ago = 2000,
	 .seen_leader = true, .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"no leader, peers not asked yet: probe first",
	 .standby = true, .my_lsn = 5000, .optime = 5000, .leader = NULL,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"no leader, a peer is ahead: do not race",
	 .standby = true, .my_lsn = 5000, .optime = 6000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {PEER("node3", 6000, 1)}, .action = PGHA_ACT_NONE, .rule = "peer_better"},
	{"no leader, the peer ahead is nofailover: race",
	 .standby = true, .my_lsn = 5000, .optime = 6000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {NOFAILOVER_PEER("node3", 6000)}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"no leader, the peer ahead is unreachable: race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {DEAD_PEER("node3")}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"no leader, tie on LSN, the peer has a higher priority: do not race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {PEER("node3", 5000, 5)}, .action = PGHA_ACT_NONE, .rule = "peer_better"},
	{"no leader, tie on LSN and priority: the lower name wins (peer a < me)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {PEER("a", 5000, 1)}, .action = PGHA_ACT_NONE, .rule = "peer_better"},
	{"no leader, tie on LSN and priority: the lower name wins (me < peer z)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .peers_probed = true,
	 .npeers = 1, .peers = {PEER("z", 5000, 1)}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"no leader, we are ahead of every peer: race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .peers_probed = true,
	 .npeers = 2, .peers = {PEER("node2", 8000, 9), PEER("node3", 100, 1)},
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"failsafe: etcd gone, past the fence window, all members vouched 1 s ago: stay primary",
	 .leader = "me", .is_leader = true, .etcd_down = true, .ms_since_renewal = 20000, .failsafe = true,
	 .fs_confirmed_ago = 1000, .action = PGHA_ACT_NONE, .rule = "failsafe"},
	{"failsafe: the members last vouched longer ago than the fence window: fence",
	 .leader = "me", .is_leader = true, .etcd_down = true, .ms_since_renewal = 20000, .failsafe = true,
	 .fs_confirmed_ago = 9000, .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"failsafe: never vouched: fence",
	 .leader = "me", .is_leader = true, .etcd_down = true, .ms_since_renewal = 20000, .failsafe = true,
	 .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"no failsafe_mode: vouching does not count",
	 .leader = "me", .is_leader = true, .etcd_down = true, .ms_since_renewal = 20000,
	 .fs_confirmed_ago = 1000, .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"failsafe: a standby pinged by the old leader 2 s ago does not race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .fs_ping_age = 2000,
	 .action = PGHA_ACT_NONE, .rule = "failsafe_leader_alive"},
	{"failsafe: a ping older than the ttl no longer holds it back",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .fs_ping_age = 11000,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe: ... unless the leader said its ttl is longer (lowered since, while it was cut off from etcd: the simulator's seed 1796662379, --failsafe --ttl-change, two primaries)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .fs_ping_age = 11000,
	 .fs_ping_ttl = 20000, .action = PGHA_ACT_NONE, .rule = "failsafe_leader_alive"},
	{"failsafe: the leader told the members a shorter ttl than it reads now: their promise, not its ttl, bounds its stay",
	 .leader = "me", .is_leader = true, .etcd_down = true, .ms_since_renewal = 20000, .failsafe = true,
	 .fs_confirmed_ago = 4000, .fs_told_ttl = 4, .action = PGHA_ACT_FENCE, .rule = "fence_lease_expiring"},
	{"failsafe: no leader, the failsafe key does not list this standby: first, are all it lists standbys?",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "node2",
	 .action = PGHA_ACT_PROBE, .rule = "failsafe_probe_listed"},
	{"failsafe: ... the one it lists does not answer (a leader in failsafe may run there): it does not race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "node2",
	 .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("node2")},
	 .action = PGHA_ACT_NONE, .rule = "failsafe_not_listed"},
	{"failsafe: ... it answers as a primary: it does not race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "node2",
	 .peers_probed = true, .npeers = 1, .peers = {PRIMARY_PEER("node2")},
	 .action = PGHA_ACT_NONE, .rule = "failsafe_not_listed"},
	{"failsafe: ... it answers as a standby, behind this node: no leader runs in failsafe, this node races (the simulator's seed 1671, --failsafe --fast: nobody led again)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "node2",
	 .peers_probed = true, .npeers = 1, .peers = {PEER("node2", 5000, 1)},
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"failsafe: a primary without the key that the failsafe key does not list: asks first, like a standby",
	 .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "node2",
	 .action = PGHA_ACT_PROBE, .rule = "failsafe_probe_listed"},
	{"failsafe: ... and the one listed does not answer: it does not take the key (the simulator's seed 814, --failsafe --fast: two primaries)",
	 .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "node2",
	 .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("node2")},
	 .action = PGHA_ACT_NONE, .rule = "failsafe_hold"},
	{"failsafe: a primary without the key, pinged by a leader 1 s ago: it does not take the key",
	 .my_lsn = 9000, .leader = NULL, .failsafe = true, .fs_ping_age = 1000,
	 .action = PGHA_ACT_NONE, .rule = "failsafe_hold"},
	{"failsafe: no leader, an empty failsafe key bars nobody, as Patroni reads it (it lists no leader either, which then gets no failsafe): probe as usual (the simulator's seed 375, --failsafe --fast: nobody ever raced)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "",
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe: the switchover candidate the failsafe key does not list does not take the key either: the old leader may run on without etcd, out of its probes' reach (the simulator's seed 471, --failsafe --fast: two primaries)",
	 .standby = true, .leader = NULL, .failover = "me", .peers_probed = true, .failsafe = true,
	 .failsafe_key = "node1", .npeers = 1, .peers = {DEAD_PEER("node1")},
	 .action = PGHA_ACT_NONE, .rule = "failsafe_not_listed"},
	{"failsafe: the others do not wait for a switchover candidate the failsafe key does not list (the simulator's seed 265, --failsafe --fast: nobody led until the request went stale)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failover = "node2", .cand_record = 1, .failsafe = true,
	 .failsafe_key = "me", .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe: ... unless the old leader handed the key over to it (its release position): it is stopping (the simulator's seed 184, --failsafe --fast: nobody led for a minute)",
	 .standby = true, .my_lsn = 200, .leader = NULL, .failover = "me", .release_lsn = 200, .peers_probed = true,
	 .failsafe = true, .failsafe_key = "node1", .npeers = 1, .peers = {DEAD_PEER("node1")}, .last_leader = "old",
	 .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"failsafe: ... not a handover of an earlier term: its leader is not the last one, which may run on in failsafe (found by review)",
	 .standby = true, .my_lsn = 200, .leader = NULL, .failover = "me", .release_lsn = 200, .peers_probed = true,
	 .failsafe = true, .failsafe_key = "node1", .npeers = 1, .peers = {DEAD_PEER("node1")}, .last_leader = "node1",
	 .action = PGHA_ACT_NONE, .rule = "failsafe_not_listed"},
	{"failsafe: ... nor a stale one",
	 .standby = true, .my_lsn = 200, .leader = NULL, .failover = "me", .release_lsn = 200, .peers_probed = true,
	 .failsafe = true, .failsafe_key = "node1", .npeers = 1, .peers = {DEAD_PEER("node1")}, .last_leader = "old",
	 .fo_stale = true, .action = PGHA_ACT_NONE, .rule = "failsafe_not_listed"},
	{"failsafe: a standby whose worker started 1 s ago vouched before its restart (its data directory keeps a promise of 10 s): it does not race (the simulator's seed 1797000177, --failsafe --fast: two primaries)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .started_ago = 1000, .seen_leader = true,
	 .fs_kept = 10000, .action = PGHA_ACT_NONE, .rule = "failsafe_leader_alive"},
	{"failsafe: a standby whose worker started 1 s ago and that never vouched (no promise kept) races at once",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .started_ago = 1000, .seen_leader = true,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe: a standby whose worker started 11 s ago (ttl 10) and whose data directory keeps a promise of 20 s: it does not race (the simulator's seed 1796663030, --failsafe --ttl-change: it promised for ttl 10, read ttl 3 after its restart)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .started_ago = 11000, .seen_leader = true,
	 .fs_kept = 20000, .action = PGHA_ACT_NONE, .rule = "failsafe_leader_alive"},
	{"failsafe: ... the same without a promise kept: it races",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .started_ago = 11000, .seen_leader = true,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe_mode turned off, a standby whose worker started 1 s ago keeps a promise of 20 s: it does not race (found by review: the leader, cut off from etcd, runs on by it)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .started_ago = 1000, .seen_leader = true,
	 .fs_kept = 20000, .action = PGHA_ACT_NONE, .rule = "failsafe_leader_alive"},
	{"failsafe_mode off, no promise kept: a restarted standby races as usual",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .started_ago = 1000, .seen_leader = true,
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe_mode turned off, the failsafe key left by a leader cut off from etcd does not list this standby: first, are all it lists standbys? (found by review: it took the key beside that leader)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe_key = "node2",
	 .action = PGHA_ACT_PROBE, .rule = "failsafe_probe_listed"},
	{"failsafe_mode turned off after a leader pinged this node 1 s ago: the promise still holds (found by review)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .fs_ping_age = 1000,
	 .action = PGHA_ACT_NONE, .rule = "failsafe_leader_alive"},
	{"failsafe: no leader, the failsafe key lists this standby: probe as usual",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .failsafe = true, .failsafe_key = "me",
	 .action = PGHA_ACT_PROBE, .rule = "probe_peers"},
	{"failsafe: etcd is back, the key expired, the members vouched 1 s ago: the leader takes its key back",
	 .leader = NULL, .is_leader = true, .ms_since_renewal = 20000, .failsafe = true,
	 .fs_confirmed_ago = 1000, .action = PGHA_ACT_ACQUIRE, .rule = "acquire"},
	{"a standby with WAL past the point where the leader's timeline forked off: stop for pg_rewind",
	 .standby = true, .my_lsn = 5000, .leader = "node2", .history = "[[1,4000,\"no recovery target specified\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_REJOIN, .rule = "diverged", .target = "node2"},
	{"a standby on timeline 2, which the leader's history skipped (a promotion that completed after its node lost the key), replayed less than the switch from 1: rewind",
	 .standby = true, .my_tl = 2, .my_lsn = 3000, .leader = "node2",
	 .history = "[[1,4000,\"r\",\"t\",\"node2\"],[2,0,\"skipped\",\"\",\"\"]]",
	 .action = PGHA_ACT_REJOIN, .rule = "diverged", .target = "node2"},
	{"a standby on timeline 3 after the skipped 2: follow",
	 .standby = true, .my_tl = 3, .my_lsn = 9000, .leader = "node2",
	 .history = "[[1,4000,\"r\",\"t\",\"node2\"],[2,0,\"skipped\",\"\",\"\"]]",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"a standby on timeline 4 at 1354; the leader's lineage ends 4 at 1354 but 5 at 1222 (it targeted 5 before reaching its switch point, then promoted): rewind (the simulator's seed 306687)",
	 .standby = true, .my_tl = 4, .my_lsn = 1354, .leader = "node2",
	 .history = "[[3,1211,\"r\",\"\",\"\"],[4,1354,\"r\",\"\",\"\"],[5,1222,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_REJOIN, .rule = "diverged", .target = "node2"},
	{"received bytes past the fork (an unfinished record), replayed up to it: no divergence",
	 .standby = true, .my_lsn = 6000, .my_replay = 4000, .leader = "node2",
	 .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"a standby exactly at the fork point follows the new timeline",
	 .standby = true, .my_lsn = 4000, .leader = "node2", .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"a standby behind the fork point follows",
	 .standby = true, .my_lsn = 3000, .leader = "node2", .history = "[[1,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"a history without our timeline, whose later timeline ended past our position: follow",
	 .standby = true, .my_lsn = 9000, .leader = "node2", .history = "[[7,12000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"a history without our timeline, whose later timeline ended before our position (the leader left ours earlier still): rewind",
	 .standby = true, .my_lsn = 9000, .leader = "node2", .history = "[[7,4000,\"r\",\"t\",\"node2\"]]",
	 .action = PGHA_ACT_REJOIN, .rule = "diverged", .target = "node2"},
	{"a broken history key: follow",
	 .standby = true, .my_lsn = 9000, .leader = "node2", .history = "{\"x\":1}",
	 .action = PGHA_ACT_FOLLOW, .rule = "follow", .target = "node2"},
	{"synchronous mode, no leader, this node is the synchronous standby: race even if a peer is ahead",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "me",
	 .peers_probed = true, .npeers = 1, .peers = {PEER("node2", 8000, 1)},
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, the sync key is this standby's own (it won a race, took the key, lost its leader key before anybody saw it lead): it may race again (the simulator's seed 6 --sync)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "",
	 .sync_leader_me = true, .last_leader = "node2", .peers_probed = true,
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, the last leader (node2) never took the sync key over, so it never opened its gate: the key of the leader before it still names who has every commit, and this node, named in it, races (the simulator's seed 1796636067)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "me",
	 .last_leader = "node2", .peers_probed = true, .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, the key's leader (the old primary, a standby now) races, as Patroni lets it, even when a later leader never took the key over",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "node3",
	 .sync_leader_me = true, .last_leader = "node2", .peers_probed = true, .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, the last leader never took the key over, and this node is not in the old leader's key: never race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "node3",
	 .last_leader = "node2", .peers_probed = true, .action = PGHA_ACT_NONE, .rule = "not_synchronous"},
	{"synchronous mode, the sync key of the last leader names this node: race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "me",
	 .last_leader = "old", .peers_probed = true, .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, this node took the sync key over for a promotion that never completed: it may race again",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "",
	 .sync_leader_me = true, .last_leader = "me", .peers_probed = true, .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, no leader, another member is the synchronous standby: never race",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "node2",
	 .action = PGHA_ACT_NONE, .rule = "not_synchronous"},
	{"synchronous mode, the sync key names nobody: nobody races",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .sync_standby = "",
	 .action = PGHA_ACT_NONE, .rule = "not_synchronous"},
	{"synchronous mode, no sync key at all (the mode was turned on, or off and on again, and no leader took the key since, so none acknowledged a commit under it): the usual rules, as Patroni's (the simulator's seed 43 --sync-toggle)",
	 .standby = true, .my_lsn = 9000, .leader = NULL, .sync_mode = true, .peers_probed = true,
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, no sync key, another member is ahead: the usual rules pick it",
	 .standby = true, .my_lsn = 5000, .optime = 8000, .leader = NULL, .sync_mode = true, .peers_probed = true,
	 .npeers = 1, .peers = {PEER("node2", 8000, 1)}, .action = PGHA_ACT_NONE, .rule = "peer_better"},
	{"synchronous mode, a switchover candidate that is not synchronous still takes over (clean handover)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "node2",
	 .failover = "me", .release_lsn = 5000, .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("old")},
	 .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"synchronous mode, a handover request left from an older term (the sync key was taken over since): a non-synchronous candidate does not take over (the simulator's seed 575)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "node2", .sync_newer = true,
	 .failover = "me", .release_lsn = 5000, .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("old")},
	 .action = PGHA_ACT_NONE, .rule = "not_synchronous"},
	{"synchronous mode, the leader died before handing over (no release position): a non-synchronous candidate does not take over (the simulator's seed 94)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "node2",
	 .failover = "me", .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("old")},
	 .action = PGHA_ACT_NONE, .rule = "not_synchronous"},
	{"synchronous mode, the leader died before handing over to a candidate that is no synchronous standby: the synchronous standby does not wait for it (the simulator's seed 620)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "me",
	 .failover = "node9", .newer_member_tl = 1, .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("old")},
	 .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode, the leader died before handing over: a synchronous candidate takes over",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "me",
	 .failover = "me", .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("old")},
	 .action = PGHA_ACT_RACE, .rule = "switchover_take"},
	{"quorum mode, no leader, a voter sees the other voter at or behind it: q + 1 = 2 of the key's members, race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 2,
	 .peers = {PEER("node2", 5000, 1), DEAD_PEER("old")}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"quorum mode, no leader, a voter that sees no other voter: it may lack a commit the others acknowledged, no race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 2,
	 .peers = {DEAD_PEER("node2"), DEAD_PEER("old")}, .action = PGHA_ACT_NONE, .rule = "quorum_short"},
	{"quorum mode, no leader, another voter is ahead: it is the better candidate",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 1,
	 .peers = {PEER("node2", 6000, 1)}, .action = PGHA_ACT_NONE, .rule = "peer_better"},
	{"quorum mode, a member the key does not name sees q + 1 = 2 voters behind it: race",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "node2,node3", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 2,
	 .peers = {PEER("node2", 4000, 1), PEER("node3", 5000, 1)}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"quorum mode, a member the key does not name sees one voter: not enough",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "node2,node3", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 2,
	 .peers = {PEER("node2", 4000, 1), DEAD_PEER("node3")}, .action = PGHA_ACT_NONE, .rule = "quorum_short"},
	{"quorum mode, a non-voting peer ahead neither counts nor stops this node",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 2,
	 .peers = {PEER("node3", 9000, 1), DEAD_PEER("node2")}, .action = PGHA_ACT_NONE, .rule = "quorum_short"},
	{"quorum mode, the old leader, running as a standby at or behind this node, is a vote",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 2,
	 .peers = {PEER("old", 4000, 1), DEAD_PEER("node2")}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"quorum mode, a voter that reports an older timeline is no vote (its replay may wait there while it flushed ours)",
	 .standby = true, .my_lsn = 5000, .my_tl = 2, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .last_leader = "old", .peers_probed = true, .npeers = 1,
	 .peers = {{.name = "node2", .reachable = true, .in_recovery = true, .lsn = 9000, .timeline = 1,
				.failover_priority = 1}}, .action = PGHA_ACT_NONE, .rule = "quorum_short"},
	{"quorum mode, the key's own leader (its promotion never completed) needs no vote",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "node2", .quorum = 1, .sync_leader_me = true, .last_leader = "me", .peers_probed = true,
	 .npeers = 1, .peers = {DEAD_PEER("node2")}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"quorum mode, the last leader (node5) won the race and never took the key over: the old leader's key still counts, and a voter that sees the other voter races (the simulator's seed 1796636067)",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node5", .quorum = 0, .last_leader = "node5", .peers_probed = true, .npeers = 2,
	 .peers = {PEER("node5", 5000, 1), DEAD_PEER("old")}, .action = PGHA_ACT_RACE, .rule = "race"},
	{"synchronous mode (first), but the key was written in quorum mode: read as a quorum, a lone voter waits",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .sync_standby = "me,node2", .quorum = 1,
	 .last_leader = "old", .peers_probed = true, .npeers = 1, .peers = {DEAD_PEER("node2")},
	 .action = PGHA_ACT_NONE, .rule = "quorum_short"},
	{"quorum mode, the leader died before handing over: the candidate, a lone voter, does not take over",
	 .standby = true, .my_lsn = 5000, .leader = NULL, .sync_mode = true, .quorum_mode = true,
	 .sync_standby = "me,node2", .quorum = 1, .failover = "me", .peers_probed = true, .npeers = 2,
	 .peers = {DEAD_PEER("old"), DEAD_PEER("node2")}, .action = PGHA_ACT_NONE, .rule = "quorum_short"},
	{"quorum mode, a primary that restarts finds a key of another leader naming it: one voter may lack commits, fence",
	 .leader = NULL, .sync_mode = true, .quorum_mode = true, .sync_standby = "me,node2", .quorum = 1,
	 .action = PGHA_ACT_FENCE, .rule = "stale_primary"},
	{"quorum mode, the key's leader restarts as a primary: it acquires",
	 .leader = NULL, .sync_mode = true, .quorum_mode = true, .sync_standby = "node2", .quorum = 0,
	 .sync_leader_me = true, .action = PGHA_ACT_ACQUIRE, .rule = "acquire"},
};

/* the rules the cases reached: every rule must be reached by one */
static const char *rules_seen[64];
static int	nrules_seen;

static void
note_rule(const char *rule)
{
	int			i;

	for (i = 0; i < nrules_seen; i++)
		if (strcmp(rules_seen[i], rule) == 0)
			return;
	if (nrules_seen < (int) lengthof(rules_seen))
		rules_seen[nrules_seen++] = rule;
}

/* a case's story as pgha_decide()'s input; cl must live as long as in */
static void
build_input(const Case *c, PghaCluster *clp, PghaInput *inp)
{
	PghaCluster cl;
	PghaInput	in;

	memset(&cl, 0, sizeof(cl));
	pgha_config_defaults(&cl.config);
	cl.config.pause = c->pause;
	cl.config.synchronous_mode = c->sync_mode;
	cl.config.failsafe_mode = c->failsafe;
	if (c->standby_cluster)
	{
		cl.config.standby_cluster = true;
		strlcpy(cl.config.standby_host, "remote", sizeof(cl.config.standby_host));
		cl.config.standby_port = 5432;
	}
	if (c->standby_archive)
	{
		cl.config.standby_cluster = cl.config.standby_archive = true;
		cl.config.standby_host[0] = '\0';
	}
	if (c->history)
	{
		cl.has_history = true;
		cl.history = (char *) c->history;
		cl.history_timeline = pgha_history_next_timeline(c->history);
	}
	if (c->failsafe_key)
	{
		static char fs[1][PGHA_NAME_LEN];

		cl.has_failsafe = true;
		cl.failsafe = fs;
		strlcpy(fs[0], c->failsafe_key, PGHA_NAME_LEN);
		cl.nfailsafe = c->failsafe_key[0] ? 1 : 0;
	}
	if (c->sync_standby)
	{
		cl.has_sync = true;
		strlcpy(cl.sync_leader, c->sync_leader_me ? "me" : "old", sizeof(cl.sync_leader));
		for (const char *p = c->sync_standby; *p; p += strcspn(p, ","), p += *p == ',')
			strlcpy(cl.sync_standby[cl.nsync++], p, Min(PGHA_NAME_LEN, strcspn(p, ",") + 1));
		cl.sync_quorum = c->quorum;
	}
	cl.config.quorum = c->quorum_mode;
	if (!c->no_initialize)
	{
		cl.has_initialize = true;
		snprintf(cl.initialize, sizeof(cl.initialize), "%llu",
				 c->empty_initialize ? 0ULL : (unsigned long long) SYSID);
		if (c->empty_initialize)
			cl.initialize[0] = '\0';
	}
	if (c->leader)
	{
		cl.has_leader = true;
		strlcpy(cl.leader, c->leader, sizeof(cl.leader));
	}
	if (c->optime)
	{
		cl.has_status = true;
		cl.optime = c->optime;
	}
	if (c->failover)
	{
		cl.has_failover = true;
		strlcpy(cl.failover_member, c->failover, sizeof(cl.failover_member));
		cl.failover_release_lsn = c->release_lsn;
		/* with no leader key: a handover by the old leader, after its sync key (unless sync_newer) */
		strlcpy(cl.failover_leader, c->leader ? "" : "old", sizeof(cl.failover_leader));
		cl.failover_mod_revision = 10;
		cl.sync_mod_revision = c->sync_newer ? 20 : 5;
	}
	if (c->newer_member_tl || c->leader_tl || c->cand_record)
	{
		static PghaMember m[3];

		memset(m, 0, sizeof(m));
		if (c->newer_member_tl)
		{
			strlcpy(m[cl.nmembers].name, "node9", sizeof(m[0].name));
			strlcpy(m[cl.nmembers].role, "replica", sizeof(m[0].role));
			m[cl.nmembers++].timeline = c->newer_member_tl;
		}
		if (c->leader_tl)
		{
			strlcpy(m[cl.nmembers].name, c->leader, sizeof(m[0].name));
			strlcpy(m[cl.nmembers].role, "primary", sizeof(m[0].role));
			strlcpy(m[cl.nmembers].host, "h", sizeof(m[0].host));
			m[cl.nmembers++].timeline = c->leader_tl;
		}
		if (c->cand_record)
		{
			strlcpy(m[cl.nmembers].name, c->failover, sizeof(m[0].name));
			strlcpy(m[cl.nmembers].role, "replica", sizeof(m[0].role));
			strlcpy(m[cl.nmembers].state, c->cand_record == 2 ? "start failed" : "running", sizeof(m[0].state));
			m[cl.nmembers].down = c->cand_record == 2;
			m[cl.nmembers++].timeline = c->cand_record == 2 ? 0 : 1;
		}
		cl.members = m;
	}

	memset(&in, 0, sizeof(in));
	in.me = "me";
	in.nofailover = c->nofailover;
	in.nostream = c->nostream;
	in.standby_copy = c->standby_copy;
	in.failover_priority = c->priority == 0 ? 1 : (c->priority < 0 ? 0 : c->priority);
	in.local.in_recovery = c->standby;
	in.local.sysid = c->my_sysid ? c->my_sysid : SYSID;
	in.local.lsn = c->my_lsn;
	in.local.replay_lsn = c->my_replay ? c->my_replay : c->my_lsn;
	in.local.timeline = c->my_tl ? c->my_tl : 1;
	in.foreign = c->foreign;
	in.name_conflict = c->conflict;
	in.conflict_lease = c->conflict ? 42 : 0;
	in.local.streaming = c->streaming;
	in.switchover_due = true;
	in.switchover_stale = c->fo_stale || c->fo_unreadable;
	in.switchover_unreadable = c->fo_unreadable;
	if (c->fo_unreadable)
		in.switchover_due = false;
	in.candidate_streaming = c->cand_streaming;
	in.etcd_ok = !c->etcd_down;
	in.cluster = c->etcd_down ? NULL : &cl;
	in.config = cl.config;
	in.is_leader = c->is_leader;
	in.now_ms = 100000;
	in.last_renewal_ms = in.now_ms - c->ms_since_renewal;
	in.peers_probed = c->peers_probed;
	in.npeers = c->npeers;
	in.peers = c->peers;
	in.failsafe_confirmed_ms = c->fs_confirmed_ago ? in.now_ms - c->fs_confirmed_ago : 0;
	in.failsafe_ttl = c->fs_told_ttl ? c->fs_told_ttl : cl.config.ttl;
	in.failsafe_ping_age_ms = c->fs_ping_age ? c->fs_ping_age : -1;
	in.failsafe_ping_ttl_ms = c->fs_ping_ttl;
	in.failsafe_kept_ms = c->fs_kept;
	in.failsafe_pinger = "old";
	in.started_ms = c->started_ago ? in.now_ms - c->started_ago : 0;
	in.seen_leader = c->seen_leader;
	in.last_leader = c->last_leader;
	in.fenced_without_leader = c->fenced;
	in.empty_cluster_ms = c->empty_ms;
	*clp = cl;
	*inp = in;
	inp->cluster = c->etcd_down ? NULL : clp;
}

static void
run_case(const Case *c)
{
	PghaCluster cl;
	PghaInput	in;
	PghaDecision d;

	build_input(c, &cl, &in);
	pgha_decide(&in, &d);
	note_rule(d.rule);
	ok(d.action == c->action && strcmp(d.rule, c->rule) == 0 &&
	   (c->target == NULL || strcmp(d.target, c->target) == 0) &&
	   /* a switchover candidate looks again within 50 ms, nobody else asks */
	   d.poll_ms == (strncmp(d.rule, "switchover_probe", 16) == 0 ||
					 strcmp(d.rule, "switchover_old_alive") == 0 ? 50 : 0),
	   "%s -> %s (%s)", c->story, pgha_action_name(d.action), d.rule);
	if (d.action != c->action || strcmp(d.rule, c->rule) != 0)
		diag("want %s (%s); reason: %s", pgha_action_name(c->action), c->rule, d.reason);
	ok(d.reason[0] != '\0', "  ... with a reason: %s", d.reason);
}

static void
test_config(void)
{
	PghaConfig	c;
	PghaConfigNotes notes;
	char		err[256];
	char	   *json;

	pgha_config_defaults(&c);
	ok(pgha_config_validate(&c, err, sizeof(err)), "defaults are valid (ttl %d, loop_wait %d, retry_timeout %d)",
	   c.ttl, c.loop_wait, c.retry_timeout);
	is_int(pgha_fence_after_ms(&c), 8000, "default ttl 10 s: fence 8 s after the last renewal");
	is_int(pgha_renew_interval_ms(&c), 2000, "default renew interval 2 s");
	{
		PghaConfig	r = c;

		/* every loop_wait when a hung renewal and one more try fit before the fence */
		r.ttl = 30, r.loop_wait = 10, r.retry_timeout = 10;
		is_int(pgha_renew_interval_ms(&r), 10000, "30/10/10: renew every loop_wait (10 + 10 + 1 <= fence 24 s)");
		r.ttl = 4, r.loop_wait = 1, r.retry_timeout = 1;
		is_int(pgha_renew_interval_ms(&r), 1000, "4/1/1: renew every loop_wait (1 + 1 + 1 <= fence 3 s)");
		r.ttl = 3, r.loop_wait = 1, r.retry_timeout = 1;
		is_int(pgha_renew_interval_ms(&r), 600, "3/1/1: loop_wait does not fit (fence 2 s), renew every ttl/5");
		r.ttl = 20, r.loop_wait = 10, r.retry_timeout = 5;
		is_int(pgha_renew_interval_ms(&r), 10000, "20/10/5: 10 + 5 + 1 <= fence 16 s");
		r.ttl = 20, r.loop_wait = 10, r.retry_timeout = 6;
		is_int(pgha_renew_interval_ms(&r), 4000, "20/10/6: 10 + 6 + 1 > fence 16 s, renew every ttl/5");
	}
	ok(pgha_config_parse(J("{\"ttl\":30,\"loop_wait\":10,\"retry_timeout\":10,\"postgresql\":{\"parameters\":{}}}"), &c, &notes, err, sizeof(err)) &&
	   c.ttl == 30 && c.loop_wait == 10 && notes.text[0] == '\0' && notes.adjusted[0] == '\0',
	   "Patroni's defaults parse, nothing to note");
	is_int(pgha_fence_after_ms(&c), 24000, "ttl 30 s: fence after 24 s");

	/* out of range: adjusted as Patroni adjusts, noted; a writer refuses (adjusted) */
	ok(pgha_config_parse(J("{\"ttl\":10,\"loop_wait\":5,\"retry_timeout\":4}"), &c, &notes, err, sizeof(err)) &&
	   c.ttl == 10 && c.loop_wait == 2 && c.retry_timeout == 4 &&
	   strcmp(notes.adjusted, "loop_wait + 2 * retry_timeout (13) must not exceed ttl (10)") == 0 &&
	   strstr(notes.text, "must not exceed ttl (10): loop_wait adjusted to 2") != NULL,
	   "loop_wait + 2 * retry_timeout > ttl: loop_wait lowered first: %s", notes.text);
	ok(pgha_config_parse(J("{\"ttl\":10,\"loop_wait\":2,\"retry_timeout\":5}"), &c, &notes, err, sizeof(err)) &&
	   c.loop_wait == 1 && c.retry_timeout == 4, "and retry_timeout when loop_wait would go below 1: %s", notes.text);
	ok(pgha_config_parse(J("{\"ttl\":2,\"loop_wait\":1,\"retry_timeout\":1}"), &c, &notes, err, sizeof(err)) &&
	   c.ttl == PGHA_MIN_TTL && strstr(notes.adjusted, "ttl must be between 3 and 3600 seconds, not 2") != NULL,
	   "ttl below pgha's minimum: adjusted to it: %s", notes.text);
	ok(pgha_config_parse(J("{\"synchronous_node_count\":0,\"maximum_lag_on_failover\":-1}"), &c, &notes, err, sizeof(err)) &&
	   c.synchronous_node_count == 1 && c.maximum_lag_on_failover == 0 && notes.adjusted[0] != '\0',
	   "synchronous_node_count 0 and a negative lag adjusted: %s", notes.text);

	/* values as Patroni reads them: int() for numbers, parse_bool for switches */
	ok(pgha_config_parse(J("{\"ttl\":\"30\",\"loop_wait\":\" 10 \",\"retry_timeout\":10.0,\"synchronous_mode\":\"on\","
						   "\"pause\":\"YES\",\"failsafe_mode\":0,\"maximum_lag_on_failover\":\"1048576\"}"), &c, &notes, err, sizeof(err)) &&
	   c.ttl == 30 && c.loop_wait == 10 && c.retry_timeout == 10 && c.synchronous_mode && c.pause &&
	   !c.failsafe_mode && c.maximum_lag_on_failover == 1048576 && notes.adjusted[0] == '\0',
	   "numbers as strings or reals and switches as on/YES/0 read as Patroni reads them: %s", err);
	ok(strstr(notes.text, "\"ttl\": \"30\" read as 30") && strstr(notes.text, "\"pause\": \"YES\" read as true") &&
	   strstr(notes.text, "\"failsafe_mode\": 0 read as false") && strstr(notes.text, "\"retry_timeout\": 10 read as 10"),
	   "each coercion is noted, naming the key: %s", notes.text);
	ok(pgha_config_parse(J("{\"pause\":1}"), &c, NULL, err, sizeof(err)) && c.pause, "pause 1 is on, as in Patroni");
	ok(!pgha_config_parse(J("{\"ttl\":\"30s\"}"), &c, NULL, err, sizeof(err)) && strstr(err, "\"ttl\" must be an integer"),
	   "a ttl with a unit is no number to Patroni either: %s", err);
	ok(pgha_config_parse(J("{\"maximum_lag_on_failover\":\"16MB\"}"), &c, &notes, err, sizeof(err)) &&
	   c.maximum_lag_on_failover == 1048576 && strstr(notes.text, "\"16MB\" is no number of bytes: read as the default 1048576"),
	   "maximum_lag_on_failover \"16MB\": the default, as Patroni 4 reads it: %s", notes.text);
	{
		char		t[16];

		strlcpy(t, "ab\ncd\xc3", sizeof(t));
		pgha_text_tidy(t);
		ok(strcmp(t, "ab?cd") == 0, "tidy: a control character as ?, a cut multibyte character removed");
		strlcpy(t, "caf\xc3\xa9", sizeof(t));
		pgha_text_tidy(t);
		ok(strcmp(t, "caf\xc3\xa9") == 0, "tidy: a whole multibyte character stays");
	}
	ok(!pgha_config_parse(J("{\"pause\":\"maybe\"}"), &c, NULL, err, sizeof(err)) && strstr(err, "must be a boolean"),
	   "a switch that is neither on nor off makes the config invalid (the last valid one stays): %s", err);
	ok(!pgha_config_parse(J("[]"), &c, NULL, err, sizeof(err)), "a config that is not an object is refused");

	ok(pgha_config_parse(J("{\"synchronous_mode\":\"Quorum\",\"maximum_lag_on_syncnode\":\"1048576\"}"),
						   &c, &notes, err, sizeof(err)) &&
	   c.synchronous_mode && c.quorum && !c.pause && notes.text[0] && !strstr(notes.text, "quorum") &&
	   c.maximum_lag_on_syncnode == 1048576,
	   "synchronous_mode quorum (Patroni 4, any case): quorum commit; maximum_lag_on_syncnode read: %s", notes.text);
	ok(pgha_config_parse(J("{\"synchronous_mode\":true}"), &c, NULL, err, sizeof(err)) &&
	   c.synchronous_mode && !c.quorum && c.maximum_lag_on_syncnode == -1,
	   "synchronous_mode true: first n; maximum_lag_on_syncnode defaults to no limit");

	/* what pgha cannot honour: no automatic failover, said */
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"10.0.0.9\",\"port\":\"5433\",\"primary_slot_name\":\"dr_1\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_cluster && !c.pause && strcmp(c.standby_host, "10.0.0.9") == 0 && c.standby_port == 5433 &&
	   strcmp(c.standby_slot, "dr_1") == 0 && notes.text[0] == '\0',
	   "a standby_cluster section: host, port (also a string), primary_slot_name: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"create_replica_methods\":[\"pgbackrest\",\"basebackup\"]}}"), &c, &notes, err, sizeof(err)) &&
	   strcmp(c.standby_methods, "pgbackrest,basebackup") == 0 && notes.text[0] == '\0',
	   "... create_replica_methods: the names, in order (pghactl run makes the standby leader with them): %s", c.standby_methods);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"recovery_min_apply_delay\":\"5min\"}}"), &c, &notes, err, sizeof(err)) &&
	   strcmp(c.standby_apply_delay, "5min") == 0 && notes.text[0] == '\0',
	   "... recovery_min_apply_delay, a setting (taken from etcd): %s", c.standby_apply_delay);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"recovery_min_apply_delay\":300000}}"), &c, &notes, err, sizeof(err)) &&
	   strcmp(c.standby_apply_delay, "300000") == 0,
	   "... as milliseconds: %s", c.standby_apply_delay);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"recovery_min_apply_delay\":\"25d\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_apply_delay[0] == '\0' && strstr(notes.text, "at most 24 days"),
	   "... more than PostgreSQL takes (INT_MAX ms): noted, no delay: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"recovery_min_apply_delay\":\"5min; DROP\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_apply_delay[0] == '\0' && strstr(notes.text, "no delay applies"),
	   "... anything else: noted, no delay: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"create_replica_methods\":[\"rm -rf /\"]}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_methods[0] == '\0' && !c.pause && strstr(notes.text, "basebackup is used"),
	   "... a name that is no method name: noted, basebackup used: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"create_replica_methods\":\"pgbackrest\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_methods[0] == '\0' && strstr(notes.text, "not a list"),
	   "... a string, not a list: noted: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"10.0.0.9\",\"restore_command\":\"cp x y\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_cluster && !c.pause && c.standby_port == 5432 && strstr(notes.text, "standby_cluster.restore_command"),
	   "... restore_command is noted, not run (a shell command from etcd): %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"restore_command\":\"cp x y\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_cluster && c.standby_archive && !c.pause && pgha_config_standby_cluster(&c) &&
	   strcmp(pgha_config_standby_source(&c), "the archive (restore_command)") == 0 &&
	   strstr(notes.text, "is not run"),
	   "... without a host, a restore_command: it follows the archive, through each node's own restore_command: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"port\":5433}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_cluster && c.pause && !pgha_config_standby_cluster(&c) && strstr(notes.text, "as in a pause"),
	   "... with neither a host nor a restore_command pgha cannot follow it: failover off as in a pause: %s", notes.text);
	ok(pgha_config_parse(J("{\"synchronous_mode\":\"quorum\",\"standby_cluster\":{\"host\":\"h\"}}"), &c, &notes, err, sizeof(err)) &&
	   c.standby_cluster && !c.synchronous_mode && !c.quorum && strstr(notes.text, "synchronous_mode"),
	   "... synchronous_mode is off in a standby cluster: %s", notes.text);
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"a b\",\"port\":5432}}"), &c, &notes, err, sizeof(err)) &&
	   c.pause, "... nor with a host that is no host list");
	ok(pgha_config_parse(J("{\"standby_cluster\":{\"host\":\"h\",\"port\":70000}}"), &c, &notes, err, sizeof(err)) &&
	   c.pause, "... nor with a port out of range");
	ok(pgha_config_parse(J("{\"standby_cluster\":{}}"), &c, &notes, err, sizeof(err)) && !c.standby_cluster && !c.pause,
	   "an empty standby_cluster section is none");
	/* kept in etcd, noted once, never silently ignored */
	ok(pgha_config_parse(J("{\"slots\":{\"a\":{\"type\":\"physical\"}},\"ignore_slots\":[],\"check_timeline\":false,"
						   "\"postgresql\":{\"use_slots\":false,\"use_pg_rewind\":true,\"recovery_conf\":{}},\"tll\":10}"),
						 &c, &notes, err, sizeof(err)) &&
	   !strstr(notes.text, "\"slots\"") && !strstr(notes.text, "ignore_slots") &&
	   strstr(notes.text, "\"check_timeline\": false") && strstr(notes.text, "\"postgresql.use_slots\": false") &&
	   strstr(notes.text, "\"postgresql.recovery_conf\" is not implemented") &&
	   strstr(notes.text, "\"tll\" is no setting") && !strstr(notes.text, "use_pg_rewind"),
	   "unimplemented and unknown keys are noted: %s", notes.text);
	/* permanent slots, as Patroni writes them */
	ok(pgha_config_parse(J("{\"slots\":{\"backup\":{\"type\":\"physical\"},\"plain\":null,\"empty\":{},\"zero\":0,"
						   "\"untyped\":{\"database\":\"app\",\"plugin\":\"pgoutput\"},\"onstandby\":{\"cluster_type\":\"standby\"},"
						   "\"onprimary\":{\"cluster_type\":\"primary\"},\"one\":1,"
						   "\"cdc\":{\"type\":\"logical\",\"database\":\"app\",\"plugin\":\"pgoutput\"},"
						   "\"half\":{\"type\":\"logical\",\"database\":\"app\"},\"Bad-Name\":{},"
						   "\"odd\":{\"type\":\"virtual\"},\"num\":{\"type\":7}},"
						   "\"ignore_slots\":[{\"name\":\"dba\"},{\"type\":\"logical\",\"plugin\":\"wal2json\"},\"x\"]}"),
						 &c, &notes, err, sizeof(err)) &&
	   c.nslots == 7 && strcmp(c.slots[0].name, "backup") == 0 && !c.slots[0].logical &&
	   strcmp(c.slots[1].name, "plain") == 0 && strcmp(c.slots[2].name, "empty") == 0 &&
	   strcmp(c.slots[3].name, "zero") == 0 &&
	   strcmp(c.slots[4].name, "untyped") == 0 && c.slots[4].logical &&
	   strcmp(c.slots[4].database, "app") == 0 && strcmp(c.slots[4].plugin, "pgoutput") == 0 &&
	   strcmp(c.slots[5].name, "onprimary") == 0 && !c.slots[5].logical &&
	   strcmp(c.slots[6].name, "cdc") == 0 && c.slots[6].logical &&
	   strstr(notes.text, "\"onstandby\" is for standby clusters only") &&
	   strstr(notes.text, "\"one\" is no object") &&
	   c.nignore == 2 && strcmp(c.ignore[0].name, "dba") == 0 && strcmp(c.ignore[1].plugin, "wal2json") == 0 &&
	   !strstr(notes.text, "\"cdc\"") && !strstr(notes.text, "\"untyped\"") &&
	   strstr(notes.text, "\"half\" needs a database and a plugin") &&
	   strstr(notes.text, "\"Bad-Name\" is no replication slot name") &&
	   strstr(notes.text, "type \"virtual\"") && strstr(notes.text, "\"num\" has a type") &&
	   strstr(notes.text, "ignore_slots\": entry 3"),
	   "slots as Patroni reads them (null, 0, {} physical; no type but a database and plugin logical; cluster_type), the rest noted; ignore_slots read: %s", notes.text);
	ok(pgha_slot_ignored(&c, "dba", "physical", "", "") && !pgha_slot_ignored(&c, "backup", "physical", "", "") &&
	   pgha_slot_ignored(&c, "cdc", "logical", "app", "wal2json") &&
	   !pgha_slot_ignored(&c, "cdc", "logical", "app", "pgoutput") &&
	   pgha_slot_permanent(&c, "backup") && pgha_slot_permanent(&c, "cdc") && !pgha_slot_permanent(&c, "half"),
	   "ignore_slots entries match by each part they name");
	{
		const PghaPermanentSlot *logical[PGHA_MAX_PERMANENT_SLOTS];
		int			n = pgha_permanent_logical(&c, logical, PGHA_MAX_PERMANENT_SLOTS);

		ok(n == 2 && strcmp(logical[0]->name, "untyped") == 0 && strcmp(logical[1]->name, "cdc") == 0,
		   "the permanent logical slots: untyped and cdc (the wal2json entry of ignore_slots matches neither)");
		strlcpy(c.ignore[1].plugin, "pgoutput", sizeof(c.ignore[1].plugin));
		n = pgha_permanent_logical(&c, logical, PGHA_MAX_PERMANENT_SLOTS);
		ok(n == 0, "... and none once ignore_slots names their plugin");
	}

	{
		PghaCluster cl;
		PghaMember	mb[1];
		char	   *names[PGHA_MAX_PERMANENT_SLOTS];
		int			n;

		memset(&cl, 0, sizeof(cl));
		memset(mb, 0, sizeof(mb));
		strlcpy(mb[0].name, "plain", sizeof(mb[0].name));
		cl.members = mb;
		cl.nmembers = 1;
		n = pgha_permanent_physical(&c, &cl, "empty", names, PGHA_MAX_PERMANENT_SLOTS);
		ok(n == 3 && strcmp(names[0], "backup") == 0 && strcmp(names[1], "zero") == 0,
		   "a permanent slot named as a member's slot (or this node's) is the member's");
	}
	{
		PghaCluster cl;
		PghaSlotPosition pos[1] = {{.name = "backup", .lsn = 83886080}};

		memset(&cl, 0, sizeof(cl));
		cl.has_leader = true;
		strlcpy(cl.leader, "node2", sizeof(cl.leader));
		cl.slot_positions = pos;
		cl.nslot_positions = 1;
		strlcpy(cl.status_leader, "node2", sizeof(cl.status_leader));
		cl.status_timeline = 3;
		ok(pgha_slot_leader_position(&cl, "backup", 3) == 83886080 &&
		   pgha_slot_leader_position(&cl, "other", 3) == 0,
		   "status.slots: the current leader's position on this timeline is taken");
		ok(pgha_slot_leader_position(&cl, "backup", 2) == 0,
		   "... not on another timeline (past the fork, maybe)");
		strlcpy(cl.status_leader, "node1", sizeof(cl.status_leader));
		ok(pgha_slot_leader_position(&cl, "backup", 3) == 0,
		   "... nor one an old leader wrote");
		cl.status_leader[0] = '\0';
		ok(pgha_slot_leader_position(&cl, "backup", 3) == 0,
		   "... nor one whose writer does not say (Patroni's)");
	}
	ok(pgha_config_parse(J("{\"ttl\":3,\"loop_wait\":1,\"retry_timeout\":1}"), &c, &notes, err, sizeof(err)),
	   "the minimum ttl of %d s is accepted", PGHA_MIN_TTL);
	is_int(pgha_fence_after_ms(&c), 2000, "ttl 3 s: fence after 2 s");
	is_int(pgha_renew_interval_ms(&c), 600, "ttl 3 s: renewed every 600 ms (1 + 1 + 1 s do not fit in the 2-s window)");
	ok(strstr(notes.text, "ttl 3 without failsafe_mode: an etcd leader election can outlast the 2000-ms fence window") != NULL &&
	   notes.adjusted[0] == '\0', "ttl 3 without failsafe_mode: noted, not refused: %s", notes.text);
	ok(pgha_config_parse(J("{\"ttl\":3,\"loop_wait\":1,\"retry_timeout\":1,\"failsafe_mode\":true}"), &c, &notes, err, sizeof(err)) &&
	   notes.text[0] == '\0', "ttl 3 with failsafe_mode: nothing to note");
	ok(pgha_config_parse(J("{\"ttl\":5,\"loop_wait\":1,\"retry_timeout\":2}"), &c, &notes, err, sizeof(err)) &&
	   notes.text[0] == '\0', "ttl 5: a 4-s fence window outlasts an election: nothing to note");
	ok(pgha_parameter_refused("archive_command") && pgha_parameter_refused("log_directory") &&
	   pgha_parameter_refused("ssl_key_file") && pgha_parameter_refused("shared_preload_libraries"),
	   "commands, code and file locations are never set cluster-wide");
	ok(pgha_parameter_refused("work_mem") == NULL, "work_mem is");
	pgha_config_defaults(&c);
	c.pause = true;
	json = pgha_config_to_json(&c);
	is_str(json, "{\"loop_wait\":2,\"maximum_lag_on_failover\":1048576,\"pause\":true,\"retry_timeout\":4,\"ttl\":10}",
		   "config JSON");
	free(json);
}

static void
test_member(void)
{
	PghaMember	m;
	PghaMember	back;
	char		err[256];
	char	   *json;
	char		host[256];
	int			port;
	char		slot[64];

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, "node1", sizeof(m.name));
	strlcpy(m.conn_url, "postgres://127.0.0.1:5433/postgres", sizeof(m.conn_url));
	strlcpy(m.state, "running", sizeof(m.state));
	strlcpy(m.role, "replica", sizeof(m.role));
	strlcpy(m.replication_state, "streaming", sizeof(m.replication_state));
	m.timeline = 2;
	m.xlog_location = 50331648;
	m.receive_lsn = 50331648;
	m.replay_lsn = 50331000;
	m.nofailover = true;
	m.failover_priority = 1;
	m.sync_priority = 1;
	strlcpy(m.sysid, "7712256259992954807", sizeof(m.sysid));
	json = pgha_member_to_json(&m);
	ok(strstr(json, "\"xlog_location\":50331648") && strstr(json, "\"tags\":{\"nofailover\":true}") &&
	   strstr(json, "\"role\":\"replica\"") && strstr(json, "\"timeline\":2"),
	   "member JSON has Patroni's fields: %s", json);
	ok(pgha_member_from_json("node1", json, strlen(json), &back, err, sizeof(err)) &&
	   back.xlog_location == m.xlog_location && back.nofailover && back.port == 5433 &&
	   strcmp(back.host, "127.0.0.1") == 0 && back.timeline == 2 && back.failover_priority == 1,
	   "member JSON round-trips");
	free(json);

	ok(!pgha_member_from_json("node1", J("{\"conn_url\":\"postgres://h:1/db?sslmode=disable\"}"),
							  &back, err, sizeof(err)), "a conn_url with options is refused: %s", err);
	ok(!pgha_member_from_json("node1", J("{\"conn_url\":\"postgres://h h:1/db\"}"),
							  &back, err, sizeof(err)), "a conn_url with a bad host is refused");
	ok(!pgha_member_from_json("node1", J("{\"xlog_location\":\"1\"}"),
							  &back, err, sizeof(err)), "xlog_location as a string is refused");
	ok(!pgha_member_from_json("node1", J("{\"tags\":{\"nofailover\":\"no\"}}"),
							  &back, err, sizeof(err)), "a string tag where a boolean belongs is refused");
	ok(!pgha_member_from_json("../x", J("{}"), &back, err, sizeof(err)), "a bad member name is refused");
	ok(pgha_member_from_json("patroni1", J("{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"api_url\":\"http://10.0.0.1:8008/patroni\",\"state\":\"running\",\"role\":\"master\",\"version\":\"3.0.2\",\"xlog_location\":1,\"timeline\":1}"), &back, err, sizeof(err)) && strcmp(back.role, "primary") == 0,
	   "a Patroni 3.0.2 member record is read, its role \"master\" as \"primary\": %s", err);

	/* patronictl list's role and state (Patroni 4's cluster_as_json) */
	{
		PghaCluster c;
		PghaMember	m;

		memset(&c, 0, sizeof(c));
		c.has_leader = true;
		strlcpy(c.leader, "node1", sizeof(c.leader));
		c.has_sync = true;
		strlcpy(c.sync_leader, "node1", sizeof(c.sync_leader));
		c.nsync = 1;
		strlcpy(c.sync_standby[0], "node2", sizeof(c.sync_standby[0]));
		memset(&m, 0, sizeof(m));
		strlcpy(m.name, "node2", sizeof(m.name));
		strlcpy(m.role, "replica", sizeof(m.role));
		strlcpy(m.state, "running", sizeof(m.state));
		strlcpy(m.replication_state, "streaming", sizeof(m.replication_state));
		ok(strcmp(pgha_member_state(&c, &m), "streaming") == 0 &&
		   strcmp(pgha_member_role(&c, &m), "sync_standby") == 0,
		   "a streaming synchronous standby: sync_standby, streaming");
		strlcpy(m.replication_state, "in archive recovery", sizeof(m.replication_state));
		strlcpy(c.sync_leader, "node3", sizeof(c.sync_leader));
		ok(strcmp(pgha_member_state(&c, &m), "in archive recovery") == 0 &&
		   strcmp(pgha_member_role(&c, &m), "replica") == 0,
		   "a sync key of another leader names no sync_standby; a standby not streaming: in archive recovery");
		m.replication_state[0] = '\0';
		strlcpy(m.state, "stopped", sizeof(m.state));
		ok(strcmp(pgha_member_state(&c, &m), "stopped") == 0, "no replication_state: the state");
		strlcpy(m.name, "node1", sizeof(m.name));
		strlcpy(m.role, "primary", sizeof(m.role));
		strlcpy(m.state, "running", sizeof(m.state));
		strlcpy(m.replication_state, "streaming", sizeof(m.replication_state));
		ok(strcmp(pgha_member_state(&c, &m), "running") == 0 &&
		   strcmp(pgha_member_role(&c, &m), "leader") == 0,
		   "the leader: leader, its state");
		/* the lag every view shows: from the leader's status or record, the newer */
		{
			PghaMember	two[2];

			memset(two, 0, sizeof(two));
			strlcpy(two[0].name, "node1", sizeof(two[0].name));
			two[0].xlog_location = 5000;
			strlcpy(two[1].name, "node2", sizeof(two[1].name));
			two[1].xlog_location = 4000;
			c.members = two;
			c.nmembers = 2;
			ok(pgha_member_lag(&c, &two[1], two[1].xlog_location) == 1000 && pgha_member_lag(&c, &two[0], 5000) == 0,
			   "lag: behind the leader's record (no status yet); the leader's is 0");
			c.has_status = true;
			c.optime = 6000;
			ok(pgha_cluster_position(&c) == 6000 && pgha_member_lag(&c, &two[1], two[1].xlog_location) == 2000,
			   "... behind the status's optime when it is newer");
			ok(pgha_member_lag(&c, &two[1], 0) == -1 && pgha_member_lag(&c, &two[1], 7000) == 0,
			   "... unknown (-1) without a position; never below 0");
			c.has_leader = false;
			c.has_status = false;
			ok(pgha_member_lag(&c, &two[1], 4000) == -1, "... unknown without a leader position");
			c.has_leader = true;
			c.members = NULL;
			c.nmembers = 0;
		}
	}

	ok(pgha_conn_url_parse("postgresql://db.example:6432/app", host, sizeof(host), &port, err, sizeof(err)) &&
	   strcmp(host, "db.example") == 0 && port == 6432, "postgresql:// URL parsed");
	ok(!pgha_conn_url_parse("host=x port=1", host, sizeof(host), &port, err, sizeof(err)),
	   "a keyword conninfo is not a conn_url");
	pgha_slot_name("Node-1.b", slot, sizeof(slot));
	is_str(slot, "node_1_b", "slot names are lower case [a-z0-9_]");
}

/*
 * Every rule of the table is reached by at least one case above, except
 * the fallback "otherwise", which test_sweep() shows no input reaches.
 */
static void
test_every_rule_reached(void)
{
	const PghaRuleInfo *rules;
	int			n = pgha_decide_rules(&rules);
	int			i,
				j,
				missing = 0;

	for (i = 0; i < n; i++)
	{
		bool		seen = false;

		if (strcmp(rules[i].name, "otherwise") == 0)
			continue;
		for (j = 0; j < nrules_seen; j++)
			seen |= strcmp(rules_seen[j], rules[i].name) == 0;
		if (!seen)
		{
			diag("rule %s is reached by no case", rules[i].name);
			missing++;
		}
	}
	ok(missing == 0, "each of the %d rules of the table is reached by a case (%d are not)", n - 1, missing);
}

/*
 * The whole input space, coarsely: role x leader key x initialize x pause
 * x etcd x lease age x peers x switchover request x synchronous mode x
 * foreign.  No combination falls through to "otherwise", and a rule never
 * asks a node for what its role cannot do (a standby fences nothing, a
 * primary promotes nothing).
 */
static void
test_sweep(void)
{
	static const char *leaders[] = {NULL, "me", "node2"};
	static const char *failovers[] = {NULL, "me", "node2"};
	int			combos = 0,
				fallthrough = 0,
				wrong_role = 0;
	int			bits,
				l,
				f;

	for (bits = 0; bits < (1 << 8); bits++)
		for (l = 0; l < (int) lengthof(leaders); l++)
			for (f = 0; f < (int) lengthof(failovers); f++)
			{
				Case		c;
				PghaCluster cl;
				PghaInput	in;
				PghaDecision d;
				bool		primary_action;

				memset(&c, 0, sizeof(c));
				c.story = "sweep";
				c.standby = (bits & 1) != 0;
				c.no_initialize = (bits & 2) != 0;
				c.pause = (bits & 4) != 0;
				c.etcd_down = (bits & 8) != 0;
				c.is_leader = (bits & 16) != 0;
				c.ms_since_renewal = (bits & 32) ? 20000 : 500;
				c.peers_probed = (bits & 64) != 0;
				c.sync_mode = (bits & 128) != 0;
				c.sync_standby = c.sync_mode ? "node2" : NULL;
				c.leader = leaders[l];
				c.failover = failovers[f];
				c.my_lsn = 5000;
				c.npeers = 1;
				c.peers[0] = (PghaPeer) PEER("node2", 4000, 1);
				build_input(&c, &cl, &in);
				pgha_decide(&in, &d);
				combos++;
				if (strcmp(d.rule, "otherwise") == 0)
				{
					if (fallthrough++ == 0)
						diag("falls through: standby %d, leader %s, failover %s, bits %x",
							 c.standby, c.leader ? c.leader : "-", c.failover ? c.failover : "-", bits);
				}
				primary_action = d.action == PGHA_ACT_FENCE || d.action == PGHA_ACT_RENEW ||
					d.action == PGHA_ACT_ACQUIRE || d.action == PGHA_ACT_BOOTSTRAP ||
					d.action == PGHA_ACT_SWITCHOVER || d.action == PGHA_ACT_CANCEL_SWITCHOVER;
				if ((c.standby && primary_action) ||
					(!c.standby && (d.action == PGHA_ACT_PROMOTE || d.action == PGHA_ACT_FOLLOW ||
									d.action == PGHA_ACT_RACE || d.action == PGHA_ACT_PROBE ||
									d.action == PGHA_ACT_REJOIN)))
				{
					if (wrong_role++ == 0)
						diag("wrong role: standby %d -> %s (%s)", c.standby, pgha_action_name(d.action), d.rule);
				}
			}
	ok(fallthrough == 0, "of %d combinations of inputs, none falls through to rule otherwise (%d do)", combos, fallthrough);
	ok(wrong_role == 0, "... and none gets an action its role cannot take (%d do)", wrong_role);
}

/*
 * The worker builds its member record every iteration (about one a second
 * for the life of the server): 10,000 of them leave the heap as it was.
 * A leaked jansson object of some 200 bytes each would show as megabytes.
 */
static void
test_member_json_no_leak(void)
{
	PghaMember	m;
	size_t		before;
	size_t		after;
	int			i;

	memset(&m, 0, sizeof(m));
	strlcpy(m.name, "node1", sizeof(m.name));
	strlcpy(m.conn_url, "postgres://127.0.0.1:5433/postgres", sizeof(m.conn_url));
	strlcpy(m.state, "running", sizeof(m.state));
	strlcpy(m.role, "primary", sizeof(m.role));
	m.nofailover = true;
	m.failover_priority = 1;
	free(pgha_member_to_json(&m));
	before = mallinfo2().uordblks;
	for (i = 0; i < 10000; i++)
		free(pgha_member_to_json(&m));
	after = mallinfo2().uordblks;
	ok(after < before + 65536, "10,000 member records built and freed: heap grew by %ld bytes (bound 64 kB)",
	   (long) after - (long) before);
}

/* pghactl restart / reinit requests: taken, then refused, skipped or carried out */
static void
test_requests(void)
{
	static const struct
	{
		const char *story;
		PghaRequestInput in;
		PghaRequestAction action;
		bool		reinit;
	}			rc[] = {
		{"no request: nothing", {0}, PGHA_REQ_NONE, false},
		{"reinit of a supervised standby: marker and shutdown",
		{.reinit_requested = true, .supervised = true}, PGHA_REQ_REINIT, true},
		{"reinit of the leader: refused", {.reinit_requested = true, .supervised = true, .is_leader = true},
		PGHA_REQ_REFUSE, true},
		{"reinit without pghactl run: refused", {.reinit_requested = true}, PGHA_REQ_REFUSE, true},
		{"reinit of the sync key's leader in synchronous mode: refused (a fresh copy would lack what only it has)",
		{.reinit_requested = true, .supervised = true, .sync_leader = true}, PGHA_REQ_REFUSE, true},
		{"reinit and restart both asked: the reinit first",
		{.reinit_requested = true, .restart_requested = true, .supervised = true}, PGHA_REQ_REINIT, true},
		{"restart of a supervised leader: it restarts (and keeps its key)",
		{.restart_requested = true, .supervised = true, .is_leader = true}, PGHA_REQ_RESTART, false},
		{"restart without pghactl run: refused", {.restart_requested = true}, PGHA_REQ_REFUSE, false},
		{"restart --pending, nothing pending: skipped",
		{.restart_requested = true, .restart_pending_only = true, .supervised = true}, PGHA_REQ_SKIP, false},
		{"restart --pending with a pending parameter: restart",
		{.restart_requested = true, .restart_pending_only = true, .pending_restart = true, .supervised = true},
		PGHA_REQ_RESTART, false},
		{"a scheduled restart before its time: left in etcd",
		{.restart_requested = true, .restart_not_due = true, .supervised = true}, PGHA_REQ_NONE, false},
		{"a scheduled restart before its time, without pghactl run: left too (refused when due)",
		{.restart_requested = true, .restart_not_due = true}, PGHA_REQ_NONE, false},
		{"a restart only in another role or version: skipped",
		{.restart_requested = true, .restart_not_applicable = true, .supervised = true}, PGHA_REQ_SKIP, false},
	};
	int			i;

	for (i = 0; i < (int) lengthof(rc); i++)
	{
		PghaRequestDecision d;

		pgha_decide_request(&rc[i].in, &d);
		ok(d.action == rc[i].action && d.reinit == rc[i].reinit &&
		   (d.action != PGHA_REQ_REFUSE || (d.reason[0] != '\0' && d.hint[0] != '\0')) &&
		   (d.action != PGHA_REQ_SKIP || d.reason[0] != '\0'),
		   "request: %s", rc[i].story);
	}
}

void
unit_decide_tests(void)
{
	int			i;

	test_member_json_no_leak();
	test_config();
	test_member();
	for (i = 0; i < (int) lengthof(cases); i++)
		run_case(&cases[i]);
	test_every_rule_reached();
	test_sweep();
	test_requests();
}
