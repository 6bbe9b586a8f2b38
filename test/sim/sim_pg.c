/*-------------------------------------------------------------------------
 *
 * sim_pg.c
 *		Model PostgreSQL instances, and the server-side calls of the keeper
 *		(actions.h, local.h, probe.h, failsafe.h, write_gate.h ...) made on
 *		them.
 *
 * A node's WAL is a list of records, each with a run-wide identity, so
 * "is this standby's WAL a prefix of its upstream's" is exact: a standby
 * whose WAL forked off cannot stream (and pg_rewind cuts it back to the
 * common prefix).  A promotion ends recovery on a new timeline after a
 * random time (longer while the startup process is frozen).  A commit
 * passes the write gate as write_gate.c does, waits for the synchronous
 * standbys that synchronous_standby_names names, and checks the gate again
 * before the client hears of it.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/sim/sim_pg.c
 *
 *-------------------------------------------------------------------------
 */
#include "sim.h"

#include "access/xlog.h"
#include "port/atomics.h"
#include "postmaster/postmaster.h"
#include "utils/timestamp.h"

#include "actions.h"
#include "apply.h"
#include "shared/slots.h"
#include "failsafe.h"
#include "guc.h"
#include "hba.h"
#include "logical_slots.h"
#include "local.h"
#include "orphans.h"
#include "probe.h"
#include "write_gate.h"

PghaShared *pgha_shared = NULL;
static int64 next_uid = 1;

/*
 * The content of each timeline's history file: its ancestors and where
 * each ended.  A timeline id is made once per run (invariant (d)), so the
 * file of an id is the same on every node that has a real one.
 */
typedef struct SimLineage
{
	int			n;
	SimSwitch	sw[SIM_MAX_TLI];
} SimLineage;
static SimLineage lineage[SIM_MAX_TLI + 2];

/* ---- GUCs: the same for every node but the name and the port ---- */
char	   *pgha_etcd_hosts = "http://127.0.0.1:2379";
int			pgha_etcd_timeout = 1000;
int			pgha_etcd_health_interval = 30;
/* the server's (access/xlog.h): logical slots are not modelled */
int			wal_level = WAL_LEVEL_REPLICA;
char	   *pgha_namespace = "/service/";
char	   *pgha_scope = "sim";
char	   *pgha_name = "";
char	   *pgha_connect_address = "";
char	   *pgha_database = "postgres";
char	   *pgha_replication_user = "replicator";
char	   *pgha_passfile = "";
char	   *pgha_peer_options = "";
char	   *pgha_api_listen = "";
char	   *pgha_api_connect_address = "";
char	   *pgha_api_certfile = "";
bool		pgha_nofailover = false;
int			pgha_failover_priority = 1;
bool		pgha_noloadbalance = false;
bool		pgha_clonefrom = false;
bool		pgha_nosync = false;
int			pgha_sync_priority = 1;
char	   *pgha_replicatefrom = "";
bool		pgha_nostream = false;
int			pgha_patroni_compat = 4;

const char *
pgha_node_name(void)
{
	return sim_current->name;
}

const char *
pgha_primary_role(void)
{
	return "primary";
}

/* ---- the instance ---- */

static SimNode *
by_port(const char *conninfo)
{
	const char *p = conninfo ? strstr(conninfo, "port=") : NULL;
	int			port = p ? atoi(p + 5) : 0;
	int			i;

	for (i = 0; i < sim_cfg.nnodes; i++)
		if (sim_nodes[i].port == port)
			return &sim_nodes[i];
	return NULL;
}

static SimNode *
by_name(const char *name)
{
	int			i;

	for (i = 0; i < sim_cfg.nnodes; i++)
		if (strcmp(sim_nodes[i].name, name) == 0)
			return &sim_nodes[i];
	return NULL;
}

static void
shared_reset(SimNode *n)
{
	memset(&n->shared, 0, sizeof(n->shared));
	pg_atomic_init_u64(&n->shared.write_deadline_ms, PGHA_GATE_UNPROVEN);
	memset(&n->state, 0, sizeof(n->state));
}

/*
 * --cascade: node3 replicates from node2, node4 from node3 and node5 from
 * node2 (pgha.replicatefrom)
 */
static const char *const cascade_tags[SIM_MAX_NODES] = {"", "", "node2", "node3", "node2"};

void
sim_pg_enter(SimNode *n)
{
	pgha_shared = &n->shared;
	PostPortNumber = n->port;
	pgha_replicatefrom = (char *) (sim_cfg.cascade ? cascade_tags[n->id] : "");
}

void
sim_pg_init(SimNode *n, bool primary)
{
	if (n->id == 0)
		memset(lineage, 0, sizeof(lineage));
	n->nwal = 0;
	n->timeline = 1;
	n->running = true;
	n->in_recovery = !primary;
	n->standby_signal = !primary;
	n->fenced_marker = n->led_marker = false;
	n->upstream = primary ? -1 : 0;
	/* the clones were made with their slots on the first primary */
	memset(n->slot, 0, sizeof(n->slot));
	for (int k = 0; primary && k < SIM_MAX_NODES; k++)
		n->slot[k] = k != n->id;
	shared_reset(n);
}

int64
sim_pg_flush_lsn(SimNode *n)
{
	return SIM_LSN(n->nwal);
}

/* the timeline of the last record (a standby's replay timeline) */
static int
last_tli(SimNode *n, int64 upto)
{
	return upto > 0 ? n->wal[upto - 1].tli : n->timeline;
}

static bool
is_prefix(SimNode *a, SimNode *b)
{
	int64		i;

	if (a->nwal > b->nwal)
		return false;
	for (i = a->nwal - 1; i >= 0 && i >= a->nwal - 4; i--)
		if (a->wal[i].uid != b->wal[i].uid)
			return false;
	/* records are never rewritten in place: the last few decide */
	return true;
}

static bool
link_up(SimNode *a, SimNode *b)
{
	return !a->cut_peer[b->id] && !b->cut_peer[a->id];
}

static bool
alive(SimNode *n)
{
	return n->running && !n->instance_frozen;
}

/* can a client's commit on n pass the write gate now?  (write_gate.c) */
static bool
gate_open(SimNode *n)
{
	uint64		d = pg_atomic_read_u64(&n->shared.write_deadline_ms);

	if (d == 0)
		return true;
	if (d == PGHA_GATE_UNPROVEN)
		return false;
	return sim_clock(n) / 1000 < (int64) d;
}

bool
sim_pg_can_commit(SimNode *n)
{
	return alive(n) && !n->in_recovery && gate_open(n);
}

/* a new transaction: not on a server that is shutting down */
static bool
takes_writes(SimNode *n)
{
	return sim_pg_can_commit(n) && !n->stop_pending;
}

/* ---- synchronous replication ---- */

/* how many of the standbys synchronous_standby_names asks for confirm pos */
static bool
sync_confirmed(SimNode *p, int64 pos)
{
	const char *s = p->ssn;
	int			need = 1;
	int			have = 0;
	int			i;

	if (s[0] == '\0')
		return true;
	if (strncmp(s, "FIRST ", 6) == 0 || strncmp(s, "ANY ", 4) == 0)
	{
		need = atoi(strchr(s, ' ') + 1);
		s = strchr(s, '(');
		if (s == NULL)
			return false;
	}
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *sb = &sim_nodes[i];
		char		quoted[PGHA_NAME_LEN + 3];

		if (sb == p || sb->upstream != p->id || !sb->streaming || !alive(sb) || sb->nwal < pos)
			continue;
		snprintf(quoted, sizeof(quoted), "\"%s\"", sb->name);
		/* '*' and 'ANY 2 (*)': any standby */
		if (strcmp(p->ssn, "*") == 0 || strcmp(s, "(*)") == 0 || strstr(s, quoted) != NULL)
			have++;
	}
	return have >= need;
}

/* ---- WAL ---- */

bool
sim_pg_write(SimNode *n, int64 write_id)
{
	SimRecord  *r;

	if (!takes_writes(n) || n->nwal >= SIM_MAX_WAL)
		return false;
	r = &n->wal[n->nwal++];
	r->uid = next_uid++;
	r->write_id = write_id;
	r->tli = n->timeline;
	return true;
}

bool
sim_pg_has_write(SimNode *n, int64 write_id)
{
	int64		i;

	for (i = 0; i < n->nwal; i++)
		if (n->wal[i].write_id == write_id)
			return true;
	return false;
}

bool
sim_pg_ack_ready(SimNode *n, int64 pos)
{
	return sync_confirmed(n, pos);
}

/* does timeline t's lineage pass through timeline from, leaving it at or after pos? */
static bool
lineage_follows(int t, int from, int64 pos)
{
	int			i;

	for (i = 0; i < lineage[t].n; i++)
		if (lineage[t].sw[i].old_tli == from)
			return lineage[t].sw[i].at >= pos;
	return false;
}

/*
 * recovery_target_timeline 'latest': the newest real history file whose
 * timeline leads on from where this node's WAL is (rescanLatestTimeLine).
 */
static int
recovery_target(SimNode *n)
{
	int			cur = last_tli(n, n->nwal);
	int			target = cur;
	int			t;

	for (t = cur + 1; t <= SIM_MAX_TLI; t++)
		if (n->tlfile[t] == 'r' && lineage_follows(t, cur, n->nwal))
			target = t;
	return target;
}

static void
finish_promotion(SimNode *n)
{
	int			parent = recovery_target(n);
	int			newtli = Max(n->timeline, parent);
	int			i;

	/* findNewestTimeLine(): every history file counts, placeholders too */
	for (i = 2; i <= SIM_MAX_TLI; i++)
		if (n->tlfile[i])
			newtli = Max(newtli, i);
	newtli++;
	if (newtli <= SIM_MAX_TLI)
	{
		lineage[newtli] = lineage[parent];
		if (lineage[newtli].n < SIM_MAX_TLI)
		{
			lineage[newtli].sw[lineage[newtli].n].old_tli = parent;
			lineage[newtli].sw[lineage[newtli].n].new_tli = newtli;
			lineage[newtli].sw[lineage[newtli].n].at = n->nwal;
			lineage[newtli].n++;
		}
		n->tlfile[newtli] = 'r';
	}
	n->timeline = newtli;
	n->in_recovery = false;
	n->standby_signal = false;
	n->promote_done_at_us = 0;
	n->replay = n->nwal;
	n->streaming = false;
	n->upstream = -1;
	sim_log(n, "PG: promoted, timeline %d at record %lld", newtli, (long long) n->nwal);
	sim_timeline_created(n, newtli, parent, n->nwal);
	sim_buggify(n, "promotion done");
	/* the end-of-recovery record */
	n->wal[n->nwal].uid = next_uid++;
	n->wal[n->nwal].tli = newtli;
	n->nwal++;
}

static void take_promotion(SimNode *n);

/* the newest real history file's id, or current if that is newer */
static int
top_real_timeline(SimNode *n, int current)
{
	int			top = current;
	int			i;

	for (i = 2; i <= SIM_MAX_TLI; i++)
		if (n->tlfile[i] == 'r' && i > top)
			top = i;
	return top;
}

/*
 * The walreceiver, on connecting: the history files of the timelines from
 * the standby's to the upstream's that the standby lacks come from the
 * upstream; one the upstream lacks is an error, and no streaming.  The
 * startup process (re)starts the walreceiver: not while it is stopped.
 */
static bool
fetch_history_files(SimNode *n, SimNode *up)
{
	int			from = last_tli(n, n->nwal);
	int			to = up->in_recovery ? last_tli(up, up->nwal) : up->timeline;
	int			tli;

	for (tli = Max(from, 2); tli <= Min(to, SIM_MAX_TLI); tli++)
	{
		if (n->tlfile[tli])
			continue;
		/* the startup process starts the walreceiver that would fetch it */
		if (!up->tlfile[tli] || n->startup_frozen)
			return false;
		n->tlfile[tli] = up->tlfile[tli];
	}
	return true;
}

/* replication and promotion, a step at a time */
void
sim_pg_tick(SimNode *n)
{
	SimNode    *up;

	if (!alive(n) || !n->in_recovery)
		return;
	take_promotion(n);
	if (n->promote_done_at_us != 0)
	{
		/* the startup process stopped the walreceiver when it took the request */
		n->streaming = false;
		if (!n->startup_frozen && sim_time_us >= n->promote_done_at_us)
			finish_promotion(n);
		return;
	}
	up = n->upstream >= 0 ? &sim_nodes[n->upstream] : NULL;
	n->streaming = false;
	/* --cascade: primary_slot_name must exist upstream */
	if (up && up != n && alive(up) && link_up(n, up) && (up->slot[n->id] || !sim_cfg.cascade) &&
		is_prefix(n, up) &&
		(up->in_recovery ? up->nwal > 0 : true) && fetch_history_files(n, up))
	{
		int64		chunk = sim_rand_range(1, 64);
		int64		take = Min(up->nwal - n->nwal, chunk);
		int64		k;
		bool		blocked;

		/*
		 * Replay crosses into a timeline only with its history file here,
		 * and a real one: PostgreSQL reads a placeholder as that timeline's
		 * history, which does not lead from ours.
		 */
		for (k = 0; k < take; k++)
		{
			int			tli = up->wal[n->nwal + k].tli;
			int			prev = k == 0 ? last_tli(n, n->nwal) : up->wal[n->nwal + k - 1].tli;

			if (tli != prev && (tli > SIM_MAX_TLI || n->tlfile[tli] != 'r'))
				break;
		}
		blocked = k < take;
		take = k;

		memcpy(&n->wal[n->nwal], &up->wal[n->nwal], sizeof(SimRecord) * take);
		n->nwal += take;
		n->streaming = !blocked;
	}
	if (!n->startup_frozen)
		n->replay = n->nwal;
	n->timeline = last_tli(n, n->replay);
}

/* ---- crash, stop, start, supervisor ---- */

void
sim_pg_crash(SimNode *n)
{
	if (!n->running)
		return;
	n->running = false;
	n->instance_frozen = false;
	n->startup_frozen = false;
	n->streaming = false;
	n->promote_done_at_us = 0;
	n->worker_alive = false;
	n->stop_pending = false;
	sim_log(n, "PG: stopped");
}

void
sim_pg_stop_clean(SimNode *n)
{
	int			i;

	/* a fast shutdown sends every walsender its last WAL first */
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *sb = &sim_nodes[i];

		if (sb != n && sb->upstream == n->id && sb->streaming && alive(sb) && link_up(n, sb) &&
			is_prefix(sb, n) && sb->promote_done_at_us == 0)
		{
			/* across a timeline switch only with its history file, as when streaming */
			while (sb->nwal < n->nwal)
			{
				int			tli = n->wal[sb->nwal].tli;

				if (tli != last_tli(sb, sb->nwal) && tli <= SIM_MAX_TLI && sb->tlfile[tli] != 'r')
				{
					if (n->tlfile[tli] != 'r' || sb->startup_frozen)
						break;
					sb->tlfile[tli] = 'r';
				}
				sb->wal[sb->nwal] = n->wal[sb->nwal];
				sb->nwal++;
			}
		}
	}
	sim_pg_crash(n);
}

void
sim_pg_start(SimNode *n)
{
	/*
	 * A standby's recovery targets the newest history file it can reach
	 * one id at a time from its timeline: a placeholder has no history, and
	 * PostgreSQL replays nothing more ("unexpected timeline ID ... in log
	 * segment", over and over).  Modelled as a start that fails, which the
	 * supervisor retries: the node is out of the cluster either way.
	 */
	if (n->standby_signal)
	{
		int			t = last_tli(n, n->nwal);

		while (t < SIM_MAX_TLI && n->tlfile[t + 1])
			t++;
		if (n->tlfile[t] == 'p')
		{
			sim_log(n, "PG: recovery targets the placeholder of timeline %d: nothing replays", t);
			n->restart_at_us = sim_time_us + sim_rand_range(1000000, 5000000);
			return;
		}
	}
	n->running = true;
	/* a new postmaster: no shutdown pending */
	n->stop_pending = false;
	/* the postmaster removes a leftover "promote" at start */
	n->promote_signal = false;
	n->in_recovery = n->standby_signal;
	n->replay = n->nwal;
	/* a new postmaster reads the configuration files */
	strlcpy(n->ssn, n->ssn_file, sizeof(n->ssn));
	n->postmaster_frozen = n->relay_pending = false;
	shared_reset(n);
	n->worker_alive = false;
	n->worker_restart_at_us = sim_time_us + sim_rand_range(1000, 500000);
	n->restart_at_us = 0;
	sim_log(n, "PG: started as %s", n->in_recovery ? "standby" : "primary");
}

/* pghactl run: start a stopped instance again, rewound if it has to be */
void
sim_pg_supervise(SimNode *n)
{
	SimNode    *leader = NULL;
	int64		lease;
	const char *l;

	if (n->running || n->restart_at_us == 0 || sim_time_us < n->restart_at_us)
		return;
	/* pghactl run records a timeline etcd does not know of before a rewind may erase it */
	if (!sim_etcd_record_timeline(n, top_real_timeline(n, Max(n->timeline, last_tli(n, n->nwal)))))
	{
		n->restart_at_us = sim_time_us + sim_rand_range(500000, 2000000);
		return;
	}
	l = sim_etcd_leader(&lease);
	if (l)
		leader = by_name(l);
	if (n->standby_signal && leader && leader != n && !is_prefix(n, leader))
	{
		int64		i;

		/*
		 * pghactl waits for a leader still promoting: pg_rewind would see
		 * one timeline (its promotion's history file is not there yet)
		 */
		if (leader->in_recovery)
		{
			n->restart_at_us = sim_time_us + sim_rand_range(500000, 1000000);
			return;
		}
		/* pg_rewind: back to the common prefix, then the leader's history */

		for (i = 0; i < n->nwal && i < leader->nwal && n->wal[i].uid == leader->wal[i].uid; i++)
			;
		sim_log(n, "PG: rewound from record %lld to %lld against %s",
				(long long) n->nwal, (long long) i, leader->name);
		n->nwal = i;
		/* pg_rewind empties pg_replslot */
		memset(n->slot, 0, sizeof(n->slot));
		/* pg_rewind copies pg_wal's files and removes those the source lacks */
		memcpy(n->tlfile, leader->tlfile, sizeof(n->tlfile));
		n->upstream = leader->id;
	}
	/* pghactl run: placeholders above every real history file go (nothing promotes) */
	{
		int			top = top_real_timeline(n, last_tli(n, n->nwal));
		int			i;

		for (i = top + 1; i <= SIM_MAX_TLI; i++)
			if (n->tlfile[i] == 'p')
			{
				n->tlfile[i] = 0;
				sim_log(n, "pghactl: removed the placeholder of timeline %d", i);
			}
	}
	sim_pg_start(n);
}

/* ---- local.h ---- */

void
pgha_local_snapshot(PghaLocalDetail *out)
{
	SimNode    *n = sim_current;

	memset(out, 0, sizeof(*out));
	out->base.sysid = GetSystemIdentifier();
	out->base.in_recovery = n->in_recovery;
	if (!n->in_recovery)
	{
		out->base.lsn = SIM_LSN(n->nwal);
		out->base.timeline = n->timeline;
		return;
	}
	out->base.streaming = n->streaming;
	out->replay_lsn = SIM_LSN(n->replay);
	out->receive_lsn = n->streaming ? SIM_LSN(n->nwal) : 0;
	out->base.timeline = last_tli(n, n->replay);
	out->base.replay_lsn = SIM_LSN(n->replay);
	out->base.lsn = SIM_LSN(n->nwal);
	strlcpy(out->replication_state, n->streaming ? "streaming" : "in archive recovery",
			sizeof(out->replication_state));
}

/* ---- actions.h ---- */

char *
pgha_conninfo(const PghaMember *m, bool replication, int connect_timeout)
{
	return psprintf("host=%s port=%d", m->host, m->port);
}

/*
 * A local action takes a moment (ALTER SYSTEM, a reload, a signal), and
 * may fail with an ERROR (action NULL: it cannot, as an unlink)
 */
static void
local_io(const char *action)
{
	sim_sleep_until(sim_time_us + sim_rand_range(50, 2000));
	if (action != NULL)
		sim_buggify_error(sim_current, action);
}

/* the simulation has no standby cluster: no delay to apply */
bool
pgha_action_apply_delay(const char *value)
{
	return false;
}

bool
pgha_action_follow(const char *conninfo, const char *slot)
{
	SimNode    *to = by_port(conninfo);
	int			id = to ? to->id : -1;

	local_io("following a leader");
	if (sim_current->upstream == id)
		return false;
	sim_current->upstream = id;
	sim_current->streaming = false;
	return true;
}

void
pgha_action_promote(void)
{
	SimNode    *n = sim_current;

	local_io("pg_promote()");
	if (!n->in_recovery)
		return;
	/* the file "promote"; the startup process takes it when it can (tick) */
	n->promote_signal = true;
	sim_buggify(n, "promotion requested");
	/* closing the file failed after it was written: it is there */
	sim_buggify_error(n, "pg_promote() after its file");
}

/* the startup process takes the request: from here the promotion runs */
static void
take_promotion(SimNode *n)
{
	if (!n->promote_signal || n->startup_frozen || n->promote_done_at_us != 0)
		return;
	n->promote_signal = false;
	{
		/* a slow end-of-recovery checkpoint now and then */
		n->promote_done_at_us = sim_time_us + (sim_chance(0.1) ? sim_rand_range(1500000, 20000000) :
											   sim_rand_range(5000, 1500000));
		sim_buggify(n, "promotion taken");
	}
}

/* the postmaster relays a reload to every process, or will once thawed */
void
sim_pg_relay_reload(SimNode *n)
{
	if (n->postmaster_frozen)
	{
		n->relay_pending = true;
		return;
	}
	n->relay_pending = false;
	strlcpy(n->ssn, n->ssn_file, sizeof(n->ssn));
	n->reloads_relayed++;
}

void
pgha_action_note_reload(void)
{
}

uint64
pgha_action_reloads_relayed(void)
{
	return sim_current->reloads_relayed;
}

bool
pgha_action_reload_queued(void)
{
	return false;
}

void
pgha_action_signal_reload(void)
{
	sim_pg_relay_reload(sim_current);
}

void
pgha_action_reload_self(void)
{
}

bool
pgha_action_sync_standbys_defined(void)
{
	return sim_current->ssn[0] != '\0';
}

void
pgha_alter_system(const char *name, const char *value)
{
	local_io("ALTER SYSTEM");
	if (strcmp(name, "synchronous_standby_names") == 0)
		strlcpy(sim_current->ssn_file, value, sizeof(sim_current->ssn_file));
	/* postgresql.auto.conf is written; what follows it failed */
	sim_buggify_error(sim_current, "ALTER SYSTEM after its file");
}

bool
pgha_action_cancel_promotion(void)
{
	SimNode    *n = sim_current;

	local_io(NULL);
	if (!n->promote_signal)
		return false;
	n->promote_signal = false;
	return true;
}

bool
pgha_action_point_at_leader(const char *conninfo, const char *slot)
{
	return pgha_action_follow(conninfo, slot);
}

/* an active slot is not dropped (-1), as pgha's query skips it */
int
pgha_action_drop_member_slot(const char *slot, uint64 *restart_lsn)
{
	SimNode    *sb = by_name(slot);
	SimNode    *n = sim_current;

	*restart_lsn = 0;
	if (sb == NULL || !n->slot[sb->id])
		return 0;
	if (sb->upstream == n->id && sb->streaming && alive(sb))
		return -1;
	n->slot[sb->id] = false;
	sim_log(n, "dropped the slot of %s", slot);
	return 1;
}

/* SIGQUIT to the postmaster: nothing commits from here on */
void
pgha_action_fence_signal(void)
{
	SimNode    *n = sim_current;

	sim_log(n, "PG: fenced (immediate shutdown)");
	n->running = false;
	n->stop_pending = false;
	n->streaming = false;
	n->promote_done_at_us = 0;
}

void
pgha_action_fence_finish(const char *conninfo, const char *slot, bool never_led)
{
	SimNode    *to = by_port(conninfo);

	if (conninfo == NULL && never_led)
		sim_current->fenced_marker = true;
	sim_current->standby_signal = true;
	sim_current->upstream = to ? to->id : -1;
	sim_current->restart_at_us = sim_time_us + sim_rand_range(500000, 3000000);
	sim_pg_crash(sim_current);
}

int
pgha_action_ensure_slots(char **slots, int nslots)
{
	int			created = 0;

	for (int i = 0; i < nslots; i++)
	{
		SimNode    *sb = by_name(slots[i]);

		if (sb && !sim_current->slot[sb->id])
		{
			sim_current->slot[sb->id] = true;
			created++;
			sim_log(sim_current, "created the slot of %s", slots[i]);
		}
	}
	return created;
}

/* permanent slots are not modelled: none exists */
void
pgha_action_slot_states(char **names, int n, PghaSlotState *states)
{
	memset(states, 0, sizeof(PghaSlotState) * n);
}

void
pgha_action_recreate_slot(const char *name)
{
}

/* nor permanent logical slots (the config of a run names none) */
void
pgha_logical_local(const PghaPermanentSlot *ps, PghaLogicalLocal *out)
{
	memset(out, 0, sizeof(*out));
}

int
pgha_logical_feedback(PghaFeedback *out, int max)
{
	return 0;
}

bool
pgha_logical_copy_create(const PghaPermanentSlot *ps, const PghaLogicalRemote *r, char *why, size_t len)
{
	strlcpy(why, "not modelled", len);
	return false;
}

void
pgha_logical_drop(const char *name)
{
}

void
pgha_logical_release(void)
{
}

int
pgha_logical_made(char (*names)[PGHA_NAME_LEN], int max)
{
	return 0;
}

void
pgha_logical_set_made(char (*names)[PGHA_NAME_LEN], int n)
{
}

bool
pgha_logical_worker_start(const char *database)
{
	return false;
}

bool
pgha_logical_worker_busy(void)
{
	return false;
}

void
pgha_logical_worker_stop(void)
{
}

uint64
pgha_action_advance_slot(const char *name, uint64 lsn)
{
	return 0;
}

int
pgha_action_read_walsenders(PghaWalsender **out)
{
	SimNode    *n = sim_current;
	PghaWalsender *w = palloc0(sizeof(PghaWalsender) * SIM_MAX_NODES);
	int			nw = 0;
	int			i;

	local_io("reading pg_stat_replication");
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *sb = &sim_nodes[i];

		if (sb == n || sb->upstream != n->id || !sb->running)
			continue;
		strlcpy(w[nw].name, sb->name, PGHA_NAME_LEN);
		pgha_slot_name(sb->name, w[nw].slot, PGHA_NAME_LEN);
		w[nw].has_slot = true;
		w[nw].streaming = sb->streaming;
		w[nw].flush_lsn = SIM_LSN(sb->nwal);
		w[nw].pid = 1000 + i;
		{
			char		quoted[PGHA_NAME_LEN + 3];

			snprintf(quoted, sizeof(quoted), "\"%s\"", sb->name);
			w[nw].sync = sb->streaming && (strcmp(n->ssn, "*") == 0 || strstr(n->ssn, quoted));
		}
		nw++;
	}
	*out = w;
	return nw;
}

void
pgha_action_terminate(int pid)
{
}

bool
pgha_standby_streaming(const char *application_name, const char *slot, uint64 *flush)
{
	SimNode    *sb = by_name(application_name);

	*flush = 0;
	if (sb == NULL || sb->upstream != sim_current->id || !sb->streaming || !alive(sb))
		return false;
	*flush = SIM_LSN(sb->nwal);
	return true;
}

void
pgha_action_prepare_switchover(const char *conninfo, const char *slot)
{
	SimNode    *to = by_port(conninfo);

	local_io("preparing a switchover");
	sim_current->standby_signal = true;
	sim_current->upstream = to ? to->id : -1;
}

void
pgha_action_unprepare_switchover(void)
{
	sim_current->standby_signal = false;
	sim_current->upstream = -1;
}

/* fast shutdown; pghactl run starts it again */
void
pgha_action_shutdown_fast(void)
{
	SimNode    *n = sim_current;

	n->restart_at_us = sim_time_us + sim_rand_range(200000, 2000000);
	sim_pg_stop_clean(n);
}

bool
pgha_action_leave_marker(const char *name)
{
	return false;
}

/* the markers the worker reads back: the fence's, and that it led */
bool
pgha_action_has_marker(const char *name)
{
	return strcmp(name, PGHA_LED_MARKER) == 0 ? sim_current->led_marker :
		strcmp(name, PGHA_FENCED_MARKER) == 0 && sim_current->fenced_marker;
}

bool
pgha_action_leave_marker_durably(const char *name)
{
	if (strcmp(name, PGHA_LED_MARKER) == 0)
		sim_current->led_marker = true;
	return true;
}

void
pgha_action_remove_marker(const char *name)
{
	if (strcmp(name, PGHA_FENCED_MARKER) != 0)
		return;
	if (sim_current->fenced_marker)
		sim_log(sim_current, "removed the fence's marker");
	sim_current->fenced_marker = false;
}

bool
pgha_action_promote_taken(void)
{
	return sim_current->promote_done_at_us != 0;
}

bool
pgha_action_promotion_in_flight(void)
{
	return sim_current->promote_signal || sim_current->promote_done_at_us != 0;
}

int
pgha_action_next_timeline(int current)
{
	SimNode    *n;
	int			newest = current;
	int			i;

	/* a directory scan: the worker may stop here too */
	local_io("picking the next timeline");
	n = sim_current;
	for (i = 2; i <= SIM_MAX_TLI; i++)
		if (n->tlfile[i])
			newest = Max(newest, i);
	return newest + 1;
}

int
pgha_action_plant_timelines(int current, int target)
{
	SimNode    *n = sim_current;
	int			planted = 0;
	int			i;

	for (i = Max(current + 1, 2); i < target && i <= SIM_MAX_TLI; i++)
		if (!n->tlfile[i])
		{
			n->tlfile[i] = 'p';
			planted++;
		}
	if (planted)
		sim_log(n, "PG: %d timeline placeholders below %d", planted, target);
	return planted;
}

int
pgha_action_drop_placeholders(int current, bool (*led) (void *arg, int tli), void *arg)
{
	SimNode    *n = sim_current;
	int			top = top_real_timeline(n, current);
	int			dropped = 0;
	int			i;

	for (i = 2; i <= SIM_MAX_TLI; i++)
		if (n->tlfile[i] == 'p' && (i > top || (led != NULL && led(arg, i))))
		{
			n->tlfile[i] = 0;
			dropped++;
			sim_log(n, "PG: placeholder of timeline %d removed", i);
		}
	return dropped;
}

bool
pgha_action_startup_waits_for_wal(void)
{
	SimNode    *n = sim_current;

	return n->in_recovery && !n->promote_signal && n->promote_done_at_us == 0 && !n->startup_frozen;
}

int
pgha_timeline_switches(PghaTimelineSwitch *out, int max)
{
	SimNode    *n = sim_current;
	int			t = n->in_recovery ? last_tli(n, n->replay) : n->timeline;
	int			i;

	for (i = 0; t <= SIM_MAX_TLI && i < lineage[t].n && i < max; i++)
	{
		out[i].timeline = lineage[t].sw[i].old_tli;
		out[i].lsn = SIM_LSN(lineage[t].sw[i].at);
	}
	return i;
}

/* ---- probe.h, failsafe.h ---- */

/* a libpq round trip to m: false if it cannot reach a live instance */
static SimNode *
connect_to(const PghaMember *m)
{
	SimNode    *to = by_port(psprintf("port=%d", m->port));
	int64		limit = sim_when(sim_current, sim_clock(sim_current) + 2000000);

	if (to == NULL || !link_up(sim_current, to) || !to->running)
	{
		/* refused at once, or a SYN into a cut link: the connect timeout */
		sim_sleep_until(to && to->running ? limit : sim_time_us + sim_rand_range(200, 2000));
		return NULL;
	}
	sim_sleep_until(sim_time_us + sim_rand_range(300, 5000));
	if (to->instance_frozen || !to->running || !link_up(sim_current, to))
	{
		sim_sleep_until(limit);
		return NULL;
	}
	return to;
}

void
pgha_probe_member(const PghaMember *m, PghaPeer *out)
{
	SimNode    *to;

	memset(out, 0, sizeof(*out));
	strlcpy(out->name, m->name, sizeof(out->name));
	out->nofailover = m->nofailover;
	out->failover_priority = m->failover_priority;
	if (m->host[0] == '\0')
		return;
	to = connect_to(m);
	if (to == NULL)
		return;
	out->in_recovery = to->in_recovery;
	out->sysid = GetSystemIdentifier();
	out->reachable = true;
	out->timeline = to->in_recovery ? last_tli(to, to->replay) : to->timeline;
	out->lsn = SIM_LSN(to->nwal);
}

bool
pgha_failsafe_ping(const PghaMember *m, int ttl)
{
	SimNode    *to = connect_to(m);
	SimNode    *me = sim_current;
	int64		promise;

	if (to == NULL || !to->in_recovery)
		return false;
	/* failsafe.c's checks on the member's side */
	if (to->state.etcd_reachable && to->state.leader[0] != '\0' &&
		strcmp(to->state.leader, me->name) != 0)
		return false;
	if (strcmp(to->state.last_leader, me->name) != 0)
		return false;
	if (to->shared.failsafe.claimed || !to->state.failsafe_mode)
		return false;
	strlcpy(to->shared.failsafe.leader, me->name, sizeof(to->shared.failsafe.leader));
	to->shared.failsafe.at_ms = sim_clock(to) / 1000;
	to->shared.failsafe.promise_ms = (int64) ttl * 1000;
	/* keep_promise(): the data directory keeps it (never fails here) */
	promise = Max((int64) ttl * 1000, (int64) to->shared.keeper.config.ttl * 1000);
	if (pgha_failsafe_keep_longer(to->shared.failsafe.kept_ms, promise))
		to->failsafe_file_ms = to->shared.failsafe.kept_ms = promise;
	sim_buggify_failsafe_ping(to, me);
	return true;
}

int64
pgha_failsafe_last_ping(char *leader, size_t len, int64 *promise_ms)
{
	int64		at = pgha_shared->failsafe.at_ms;

	*promise_ms = pgha_shared->failsafe.promise_ms;
	strlcpy(leader, pgha_shared->failsafe.leader, len);
	if (at == 0)
		return -1;
	return Max(0, sim_clock(sim_current) / 1000 - at);
}

bool
pgha_failsafe_claim(int64 promise_ms)
{
	if (pgha_shared->failsafe.at_ms != 0 &&
		sim_clock(sim_current) / 1000 - pgha_shared->failsafe.at_ms <
		Max(promise_ms, pgha_shared->failsafe.promise_ms))
		return false;
	pgha_shared->failsafe.claimed = true;
	return true;
}

void
pgha_failsafe_release(void)
{
	pgha_shared->failsafe.claimed = false;
}

int64
pgha_failsafe_kept_promise(void)
{
	int64		ms = sim_current->failsafe_file_ms;

	pgha_shared->failsafe.kept_ms = Max(pgha_shared->failsafe.kept_ms, ms);
	return ms;
}

void
pgha_failsafe_retire_promise(int64 run_ms)
{
	char		leader[64];
	int64		promise_ms;
	int64		age = pgha_failsafe_last_ping(leader, sizeof(leader), &promise_ms);

	if (pgha_failsafe_may_retire(pgha_shared->failsafe.kept_ms, age, run_ms))
	{
		sim_current->failsafe_file_ms = 0;
		pgha_shared->failsafe.kept_ms = 0;
	}
}

/* ---- what the simulator does not model ---- */

void
pgha_write_gate_set(int64 deadline_ms)
{
	pg_atomic_write_u64(&pgha_shared->write_deadline_ms, (uint64) deadline_ms);
}

void
pgha_apply_parameters(const char *config_json, const int floor[PGHA_NHOT_STANDBY_PARAMS],
					  bool feedback, PghaApplyResult *out)
{
	memset(out, 0, sizeof(*out));
}

bool
pgha_apply_floor(int out[PGHA_NHOT_STANDBY_PARAMS])
{
	memset(out, 0, sizeof(int) * PGHA_NHOT_STANDBY_PARAMS);
	return true;
}

/* the config saved in the data directory is not modeled: none is found */
FILE *
AllocateFile(const char *name, const char *mode)
{
	return NULL;
}

int
FreeFile(FILE *file)
{
	return 0;
}

void
pgha_write_durably(const char *path, const char *content)
{
}

/* no wall-clock time in a request: staleness counts from first sight */
char *
pgha_etcd_time(TimestampTz ts)
{
	return pstrdup("");
}

/* only a scheduled switchover asks: never in the simulator */
bool
pgha_etcd_parse_time(const char *text, TimestampTz *out)
{
	return false;
}

/* the worker's own SIGTERM path is sim.c's: it calls the keeper itself */
bool
pgha_postmaster_stopping(void)
{
	return sim_current->stop_pending;
}

void
pgha_action_forget_upstream(void)
{
}

bool
pgha_hba_apply(bool present, char **rules, int n)
{
	return false;
}

bool
pgha_kill_orphans(long timeout_ms, int *nkilled)
{
	*nkilled = 0;
	return true;
}

void
pgha_shmem_set_history(const char *history)
{
}

void
pgha_shmem_set_config(const char *config)
{
}
