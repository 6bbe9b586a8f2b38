/*-------------------------------------------------------------------------
 *
 * sim.h
 *		The deterministic simulator: the real keeper (src/keeper/,
 *		src/syncrep.c and src/shared) run for several nodes in one process,
 *		against a model etcd, model PostgreSQL instances, a model network
 *		and simulated clocks.
 *
 * Every node's worker is a coroutine.  Each of its I/O calls (etcd,
 * probes, pings, promotion) blocks it in simulated time, so the other
 * nodes, the clients, replication and the faults run in between: every
 * interleaving at an I/O boundary is reachable, and one seed replays one
 * run exactly.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/sim/sim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_SIM_H
#define PGHA_SIM_H

#include "postgres.h"

#include <setjmp.h>
#include <ucontext.h>

#include "shared/cluster.h"
#include "shared/etcd.h"
#include "shmem.h"

#define SIM_MAX_NODES 5
#define SIM_MAX_WAL (1 << 16)
#define SIM_MAX_TLI 64

/* one WAL record: a client's write (id > 0) or anything else (id 0) */
typedef struct SimRecord
{
	int64		uid;			/* unique across the run: identity of the record */
	int64		write_id;		/* client write it carries, 0 none */
	int			tli;
} SimRecord;

/* a timeline switch in a node's history: tli began after `lsn` records */
typedef struct SimSwitch
{
	int			old_tli;
	int			new_tli;
	int64		at;				/* records before the switch */
} SimSwitch;

typedef struct SimAck
{
	int64		write_id;
	int			node;
	int64		pos;			/* records in the primary's log, this one included */
	int64		at_us;
	bool		pending;		/* waits for synchronous standbys */
	int64		started_us;
	/* --sync-toggle: acknowledged while the sync key named its primary */
	bool		guarded;
	int			off_epoch;		/* ... and how often synchronous_mode went off before */
} SimAck;

typedef struct SimNode
{
	int			id;
	char		name[PGHA_NAME_LEN];
	int			port;

	/* processes */
	bool		running;		/* postmaster and children */
	bool		instance_frozen;	/* SIGSTOP of every process */
	bool		worker_frozen;	/* SIGSTOP of the pgha worker only */
	bool		startup_frozen; /* SIGSTOP of the startup process */
	int64		restart_at_us;	/* supervisor (pghactl run): start again then; 0 no */
	bool		worker_alive;
	int64		worker_restart_at_us;
	bool		stop_pending;	/* a planned stop: the postmaster waits for the worker */

	/* PostgreSQL */
	bool		in_recovery;
	bool		standby_signal; /* next start is a standby */
	bool		fenced_marker;	/* PGHA_FENCED_MARKER in its data directory */
	bool		led_marker;		/* PGHA_LED_MARKER in its data directory */
	int64		failsafe_file_ms;	/* PGHA_FAILSAFE_PROMISE_FILE's ms; 0 none */
	bool		promote_signal; /* the file "promote": asked, not yet taken */
	int64		promote_done_at_us; /* 0: no promotion under way */
	int			timeline;
	SimRecord  *wal;			/* flushed records */
	int64		nwal;
	int64		replay;			/* standby: records replayed */
	bool		streaming;
	int			upstream;		/* primary_conninfo: node id, -1 none */
	bool		slot[SIM_MAX_NODES];	/* --cascade: physical slots here, by member id */
	/*
	 * synchronous_standby_names: what the walsenders and the checkpointer
	 * apply (ssn), and what ALTER SYSTEM wrote, which the worker reads at
	 * once (ssn_file); the postmaster relays a reload from one to the other,
	 * unless it is frozen (then the relay waits)
	 */
	char		ssn[256];
	char		ssn_file[256];
	bool		postmaster_frozen;
	bool		relay_pending;
	uint64		reloads_relayed;
	/* pg_wal's history files by id: 0 none, 'r' a promotion's, 'p' a placeholder */
	char		tlfile[SIM_MAX_TLI + 2];
	PghaShared	shared;			/* shared memory (reset by a restart) */
	PghaSharedState state;		/* the worker's published state */

	/* the coroutine running the worker */
	ucontext_t	ctx;			/* its first entry (makecontext) */
	jmp_buf		jmp;			/* where it stopped since */
	bool		entered;		/* ctx used: resume through jmp */
	char	   *stack;
	int64		wake_us;		/* resume then (if not frozen) */
	bool		in_iteration;
	void	   *keeper_mem;		/* the keeper's memory (K) while another node runs */
	void	   *syncrep_mem;
	void	   *cur_cxt;		/* CurrentMemoryContext */
	void	   *top_cxt;
	void	   *iter_cxt;
	sigjmp_buf *exception_stack;
	sigjmp_buf	worker_jmp;
	PghaEtcd	etcd;			/* the client the worker holds */
	bool		watch_pending;	/* watch events arrived */

	/* its clock runs at this rate against etcd's (NTP slews, a drifting VM) */
	double		clock_rate;

	/* network: links cut (both ways unless one-way) */
	bool		cut_etcd_req;	/* requests to etcd are lost */
	bool		cut_etcd_resp;	/* etcd's answers are lost */
	bool		cut_peer[SIM_MAX_NODES];	/* to that node */
} SimNode;

typedef struct SimConfig
{
	uint64		seed;
	int			nnodes;
	int			ttl;
	int			loop_wait;
	int			retry_timeout;
	bool		sync_mode;
	bool		sync_strict;
	bool		quorum;			/* synchronous_mode "quorum" */
	int64		duration_us;	/* faults until then, then heal */
	bool		verbose;
	bool		trace;
	double		max_skew;		/* clock rates within 1 +- this */
	bool		switchovers;	/* an operator asks for switchovers */
	bool		quick_heal;		/* end a run 10 s after it settled */
	bool		etcd_wipe;		/* instead of random faults: etcd loses the keys */
	bool		cascade;		/* replicatefrom tags, and slots a standby needs */
	bool		sync_toggle;	/* an operator turns synchronous_mode off, then on */
	bool		failsafe;		/* failsafe_mode: members vouch for a leader without etcd */
	bool		ttl_change;		/* an operator lowers ttl to 3/1/1 (or turns
								 * failsafe_mode off) for a while */
	bool		errors;			/* now and then an action fails with an ERROR */
} SimConfig;

extern SimConfig sim_cfg;
extern SimNode *sim_nodes;	/* the run's nodes (bench/scale: one cluster's) */
extern SimNode *sim_current;	/* the node whose worker runs; NULL: the scheduler */
extern int64 sim_time_us;
extern int64 sim_reads;		/* quorum reads of the cluster, all runs */

/* a node's monotonic clock, and when (simulated time) it will show t */
extern int64 sim_clock(SimNode *n);
extern int64 sim_when(SimNode *n, int64 clock_us);

/* scheduler */
typedef void (*SimEventFn) (void *arg);
extern void sim_at(int64 at_us, SimEventFn fn, void *arg);
extern void sim_sleep_until(int64 at_us);	/* the current worker blocks */
extern void sim_wake(SimNode *n);	/* a blocked worker may look now */
extern uint64 sim_rand(void);
extern int64 sim_rand_range(int64 lo, int64 hi);	/* inclusive */
extern bool sim_chance(double p);
extern void sim_log(SimNode *n, const char *fmt,...) pg_attribute_printf(2, 3);
extern void sim_fail(const char *fmt,...) pg_attribute_printf(1, 2);

/* sim_etcd.c */
extern void sim_etcd_init(void);
extern void sim_etcd_tick(void);	/* expire leases */
extern void sim_etcd_seed_config(const char *json);
extern const char *sim_etcd_leader(int64 *lease);	/* the leader key now */
extern void sim_etcd_leader_election(void);
extern void sim_etcd_request_switchover(const char *candidate);
extern void sim_etcd_wipe(bool leases);
extern bool sim_etcd_sync_leader_is(const char *name);
extern bool sim_etcd_record_timeline(SimNode *n, int tli);	/* pghactl run */
extern bool sim_etcd_sync_standby_is(const char *name);
extern int64 sim_buggify_sync_delete(SimNode *n);	/* sim.c: extra delay */
extern void sim_buggify_error(SimNode *n, const char *action);	/* may throw */

/* sim_pg.c */
extern void sim_pg_init(SimNode *n, bool primary);
extern void sim_pg_tick(SimNode *n);	/* replication, promotion, sync acks */
extern void sim_pg_crash(SimNode *n);
extern void sim_pg_relay_reload(SimNode *n);
/* a fast shutdown: the last WAL to every walsender, then down */
extern void sim_pg_stop_clean(SimNode *n);
extern void sim_pg_start(SimNode *n);
extern bool sim_pg_can_commit(SimNode *n);
extern bool sim_pg_write(SimNode *n, int64 write_id);
extern int64 sim_pg_flush_lsn(SimNode *n);
extern bool sim_pg_has_write(SimNode *n, int64 write_id);
extern void sim_pg_enter(SimNode *n);	/* set the globals of this node */
extern void sim_pg_supervise(SimNode *n);

/* sim.c: faults at chosen moments; invariant (d) */
extern void sim_fault(int kind, SimNode *n, int64 dur);
extern bool sim_faulty(void);	/* still in the part of the run with faults */
extern void sim_buggify(SimNode *n, const char *moment);
extern void sim_buggify_failsafe_ping(SimNode *member, SimNode *leader);
extern bool sim_buggify_watch_stall(SimNode *n);
extern void sim_timeline_created(SimNode *n, int tli, int parent, int64 at);

#define SIM_LSN(records) ((uint64) 0x3000000 + (uint64) (records) * 128)
#define SIM_RECORDS(lsn) ((int64) (((lsn) - 0x3000000) / 128))

#endif							/* PGHA_SIM_H */
