/*-------------------------------------------------------------------------
 *
 * sim.c
 *		The simulator's scheduler, faults, clients and invariants.
 *
 *	pgha_sim [--seed N] [--runs N | --seconds S] [--nodes 2-5]
 *			 [--sync | --strict] [--quorum] [--duration S] [--max-skew PCT] [--etcd-wipe]
 *			 [--cascade] [--trace]
 *			 [--verbose]
 *
 * One run: a cluster of n nodes starts (node 0 primary), clients write to
 * every node all the time, and for `duration` simulated seconds faults
 * come and go (frozen workers, instances and startup processes, killed
 * workers and instances, cut links to etcd and between nodes, one-way
 * cuts, etcd elections).  Then everything heals, and the cluster must
 * settle.  After every step of the run:
 *	(a) at most one node can acknowledge a write;
 * at the end:
 *	(b) in synchronous mode every acknowledged write is in the leader's WAL;
 *	(d) no timeline id was created twice;
 *	(e) one leader, every other node a streaming standby of it.
 * A failure prints the seed and the last events; the same seed replays
 * the same run.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/sim/sim.c
 *
 *-------------------------------------------------------------------------
 */
#include "sim.h"

#include <stdarg.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "utils/memutils.h"

#include "guc.h"
#include "keeper.h"
#include "syncrep.h"

extern MemoryContext sim_context_create(const char *name);
extern void sim_memory_reset(MemoryContext keep1, MemoryContext keep2);
extern void sim_etcd_forget_watch(int node);
extern bool sim_pg_ack_ready(SimNode *n, int64 pos);

#define STACK_SIZE (1024 * 1024)
#define TRACE_LINES 400
#define MAX_ACKS 200000

SimConfig	sim_cfg;
static SimNode node_array[SIM_MAX_NODES];
SimNode    *sim_nodes = node_array;
SimNode    *sim_current = NULL;
int64		sim_time_us = 0;

/*
 * The scheduler and the workers switch stacks with _setjmp/_longjmp:
 * swapcontext() saves and restores the signal mask, a system call at every
 * switch.  A worker's first entry goes through its ucontext.
 */
static ucontext_t sched_ctx;
static jmp_buf sched_jmp;
static uint64 rng;
static void *keeper_addr;
static size_t keeper_size;
static void *syncrep_addr;
static size_t syncrep_size;
static MemoryContext sched_cxt;

/* what happened, for the report of a failure */
static char trace[TRACE_LINES][240];
static int	trace_next;
static bool failed;
static char failure[1024];

/* counters */
static struct
{
	int64		steps;
	int64		faults;
	int64		leader_changes;
	int64		acks;
	int64		writes;
} stats, total;

/* quorum reads of the cluster (sim_etcd.c counts them) */
int64		sim_reads;

/* ---- randomness: one seed, one run ---- */

uint64
sim_rand(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64CONST(2685821657736338717);
}

int64
sim_rand_range(int64 lo, int64 hi)
{
	return lo + (int64) (sim_rand() % (uint64) (hi - lo + 1));
}

bool
sim_chance(double p)
{
	return (double) (sim_rand() >> 11) / (double) (UINT64CONST(1) << 53) < p;
}

/* ---- the trace ---- */

void
sim_log(SimNode *n, const char *fmt,...)
{
	va_list		ap;
	char	   *line = trace[trace_next++ % TRACE_LINES];
	int			len;

	len = snprintf(line, 240, "%10.3f %-6s ", sim_time_us / 1e6, n ? n->name : "sim");
	va_start(ap, fmt);
	vsnprintf(line + len, 240 - len, fmt, ap);
	va_end(ap);
	if (sim_cfg.trace)
		printf("%s\n", line);
}

void
sim_fail(const char *fmt,...)
{
	va_list		ap;

	if (failed)
		return;
	failed = true;
	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
	sim_log(NULL, "VIOLATION: %s", failure);
}

/* ---- events ---- */

typedef struct Event
{
	int64		at;
	uint64		seq;
	SimEventFn	fn;
	void	   *arg;
} Event;

static Event *heap;
static int	nheap;
static int	heap_cap;
static uint64 event_seq;

static bool
ev_less(const Event *a, const Event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void
sim_at(int64 at_us, SimEventFn fn, void *arg)
{
	int			i;

	if (nheap == heap_cap)
	{
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = realloc(heap, sizeof(Event) * heap_cap);
	}
	i = nheap++;
	heap[i].at = at_us;
	heap[i].seq = event_seq++;
	heap[i].fn = fn;
	heap[i].arg = arg;
	while (i > 0 && ev_less(&heap[i], &heap[(i - 1) / 2]))
	{
		Event		t = heap[i];

		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static Event
pop_event(void)
{
	Event		top = heap[0];
	int			i = 0;

	heap[0] = heap[--nheap];
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < nheap && ev_less(&heap[l], &heap[m]))
			m = l;
		if (r < nheap && ev_less(&heap[r], &heap[m]))
			m = r;
		if (m == i)
			break;
		{
			Event		t = heap[i];

			heap[i] = heap[m];
			heap[m] = t;
		}
		i = m;
	}
	return top;
}

/* ---- the workers: one coroutine each ---- */

static bool
worker_runnable(SimNode *n)
{
	return n->worker_alive && n->running && !n->worker_frozen && !n->instance_frozen;
}

static void
enter(SimNode *n)
{
	memcpy(keeper_addr, n->keeper_mem, keeper_size);
	memcpy(syncrep_addr, n->syncrep_mem, syncrep_size);
	CurrentMemoryContext = n->cur_cxt;
	PG_exception_stack = n->exception_stack;
	error_context_stack = NULL;
	sim_pg_enter(n);
	sim_current = n;
}

static void
leave(SimNode *n)
{
	memcpy(n->keeper_mem, keeper_addr, keeper_size);
	memcpy(n->syncrep_mem, syncrep_addr, syncrep_size);
	n->cur_cxt = CurrentMemoryContext;
	n->exception_stack = PG_exception_stack;
	sim_current = NULL;
	CurrentMemoryContext = sched_cxt;
	PG_exception_stack = NULL;
}

void
sim_sleep_until(int64 at_us)
{
	SimNode    *n = sim_current;

	n->wake_us = Max(at_us, sim_time_us);
	leave(n);
	if (_setjmp(n->jmp) == 0)
		_longjmp(sched_jmp, 1);
	enter(n);
}

void
sim_wake(SimNode *n)
{
	if (n->wake_us > sim_time_us)
		n->wake_us = sim_time_us;
}

/* the worker's main loop (worker.c) */
static void
worker_loop(SimNode *n)
{
	sigjmp_buf	local;

	memset(&n->etcd, 0, sizeof(n->etcd));
	n->etcd.nurls = 1;
	n->etcd.timeout_ms = pgha_etcd_timeout;
	memset(&n->state, 0, sizeof(n->state));
	n->state.etcd_failures_tolerated = -1;
	n->iter_cxt = sim_context_create("iteration");

	if (sigsetjmp(local, 0) != 0)
	{
		CurrentMemoryContext = TopMemoryContext;
		FlushErrorState();
		MemoryContextReset(n->iter_cxt);
		sim_log(n, "worker iteration failed; backing off");
		/* worker.c builds a new client: no watch, no deadline */
		n->etcd.watching = false;
		n->etcd.deadline_us = 0;
		sim_etcd_forget_watch(n->id);
		PG_exception_stack = &local;
		sim_sleep_until(sim_time_us + sim_rand_range(500000, 1000000));
	}
	PG_exception_stack = &local;
	for (;;)
	{
		bool		etcd_ok = false;
		long		wait_ms;
		int64		due;

		MemoryContextReset(n->iter_cxt);
		CurrentMemoryContext = n->iter_cxt;
		/* worker.c's SIGTERM: the leader hands over, then the server stops */
		if (n->stop_pending)
		{
			if (pgha_keeper_leads())
				pgha_keeper_planned_stop(&n->etcd);
			sim_pg_stop_clean(n);
			sim_sleep_until(INT64_MAX);
		}
		wait_ms = pgha_keeper_iterate(&n->etcd, &n->state, &etcd_ok);
		if (etcd_ok)
			n->state.etcd_reachable = true;
		else if (n->etcd.err != PGHA_ETCD_OK)
			n->state.etcd_reachable = false;
		due = sim_when(n, sim_clock(n) + (int64) wait_ms * 1000);
		while (sim_time_us < due && !n->stop_pending)
		{
			sim_sleep_until(due);
			if (n->watch_pending && pgha_keeper_watch_wakeup(&n->etcd))
				break;
		}
	}
}

static void
worker_entry(void)
{
	SimNode    *n = sim_current;

	if (sigsetjmp(n->worker_jmp, 0) == 0)
		worker_loop(n);
	/* the worker exited: the postmaster starts it again (bgw_restart_time 1 s) */
	n = sim_current;
	n->worker_alive = false;
	n->worker_restart_at_us = sim_time_us + 1000000;
	leave(n);
	_longjmp(sched_jmp, 1);
}

static void
worker_start(SimNode *n)
{

	/* a new process: the keeper's statics start at zero, shared memory stays */
	memset(n->keeper_mem, 0, keeper_size);
	memset(n->syncrep_mem, 0, syncrep_size);
	sim_etcd_forget_watch(n->id);
	n->watch_pending = false;
	n->cur_cxt = TopMemoryContext;
	n->exception_stack = NULL;
	getcontext(&n->ctx);
	n->ctx.uc_stack.ss_sp = n->stack;
	n->ctx.uc_stack.ss_size = STACK_SIZE;
	n->ctx.uc_link = &sched_ctx;
	makecontext(&n->ctx, worker_entry, 0);
	n->entered = false;
	n->worker_alive = true;
	n->worker_restart_at_us = 0;
	n->wake_us = sim_time_us;
	sim_log(n, "worker started");
}

static void
run_worker(SimNode *n)
{
	enter(n);
	if (_setjmp(sched_jmp) != 0)
		return;
	if (n->entered)
		_longjmp(n->jmp, 1);
	n->entered = true;
	setcontext(&n->ctx);
}

/* ---- invariants ---- */

typedef struct TliBirth
{
	int			node;
	int			parent;
	int64		at;
} TliBirth;
static TliBirth tli_birth[SIM_MAX_TLI + 2];

void
sim_timeline_created(SimNode *n, int tli, int parent, int64 at)
{
	if (tli > SIM_MAX_TLI)
		return;
	/*
	 * Timeline ids are reserved in etcd before a promotion (timeline.h): a
	 * promotion that completes after its node lost the key takes an id no
	 * other promotion takes.
	 */
	if (tli_birth[tli].node >= 0)
	{
		sim_log(n, "(d) timeline %d created twice: by %s (from %d at %lld) and by %s (from %d at %lld)",
				tli, sim_nodes[tli_birth[tli].node].name, tli_birth[tli].parent,
				(long long) tli_birth[tli].at, n->name, parent, (long long) at);
		sim_fail("(d) timeline %d created twice", tli);
		return;
	}
	tli_birth[tli].node = n->id;
	tli_birth[tli].parent = parent;
	tli_birth[tli].at = at;
}

static SimAck *acks;
static int64 fault_end_us;
static int	nacks;
static int64 next_write = 1;

static void
check_two_primaries(void)
{
	int			i;
	int			open = 0;
	char		who[256] = "";

	for (i = 0; i < sim_cfg.nnodes; i++)
		open += sim_pg_can_commit(&sim_nodes[i]);
	if (open <= 1)
		return;
	for (i = 0; i < sim_cfg.nnodes; i++)
		if (sim_pg_can_commit(&sim_nodes[i]))
		{
			strlcat(who, sim_nodes[i].name, sizeof(who));
			strlcat(who, " ", sizeof(who));
		}
	sim_fail("(a) %d nodes can acknowledge a write at once: %s", open, who);
}

/* synchronous_mode as the operator has it now, and how often it went off */
static bool sync_on;
/* --ttl-change: the config says 3/1/1 now, not the run's settings; failsafe_mode off */
static bool ttl_fast;
static bool failsafe_off;
static int	sync_off_epoch;
static void write_config(bool sync);

/* clients: a write to a random node; a commit is acknowledged when its
 * synchronous standbys confirm it and the gate is still open (write_gate.c's
 * check after the commit record) */
static void
client_write(void)
{
	SimNode    *n = &sim_nodes[sim_rand_range(0, sim_cfg.nnodes - 1)];

	stats.writes++;
	if (nacks == MAX_ACKS || !sim_pg_write(n, next_write))
		return;
	acks[nacks].write_id = next_write++;
	acks[nacks].node = n->id;
	acks[nacks].pos = n->nwal;
	acks[nacks].pending = true;
	acks[nacks].started_us = sim_time_us;
	nacks++;
}

static int	first_pending;

static void
settle_acks(void)
{
	int			i;

	for (i = first_pending; i < nacks; i++)
	{
		SimAck	   *a = &acks[i];
		SimNode    *n = &sim_nodes[a->node];

		if (!a->pending)
			continue;
		/* the instance died or was rewound under the commit: unknown outcome */
		if (!n->running || n->nwal < a->pos || n->in_recovery)
		{
			a->pending = false;
			a->at_us = -1;
			continue;
		}
		if (n->instance_frozen || !sim_pg_ack_ready(n, a->pos))
			continue;
		a->pending = false;
		if (!sim_pg_can_commit(n))
		{
			a->at_us = -1;		/* connection closed: unknown */
			continue;
		}
		a->at_us = sim_time_us;
		a->guarded = sync_on && sim_etcd_sync_leader_is(n->name);
		a->off_epoch = sync_off_epoch;
		stats.acks++;
	}
	while (first_pending < nacks && !acks[first_pending].pending)
		first_pending++;
}

/* ---- faults ---- */

typedef enum FaultKind
{
	F_FREEZE_WORKER,
	F_FREEZE_INSTANCE,
	F_FREEZE_STARTUP,
	F_KILL_WORKER,
	F_CRASH,
	F_CUT_ETCD,
	F_CUT_ETCD_REQ,
	F_CUT_ETCD_RESP,
	F_ISOLATE,
	F_ETCD_ELECTION,
	F_RESTART,
	F_SWITCHOVER,
	F_PLANNED_STOP,
	F_FREEZE_POSTMASTER,
	F_SYNC_OFF,
	F_TTL_FAST,
	F_NKINDS
} FaultKind;

static const char *const fault_names[] = {
	"freeze worker", "freeze instance", "freeze startup", "kill worker", "crash instance",
	"cut etcd", "cut etcd requests", "cut etcd answers", "isolate from peers",
	"etcd election", "fast restart", "switchover request", "planned stop", "freeze postmaster",
	"synchronous_mode off", "config change"
};

typedef struct Fault
{
	FaultKind	kind;
	int			node;
} Fault;

static void
heal(void *arg)
{
	Fault	   *f = arg;
	SimNode    *n = &sim_nodes[f->node];
	int			i;

	switch (f->kind)
	{
		case F_FREEZE_WORKER:
			n->worker_frozen = false;
			break;
		case F_FREEZE_INSTANCE:
			n->instance_frozen = false;
			break;
		case F_FREEZE_STARTUP:
			n->startup_frozen = false;
			break;
		case F_FREEZE_POSTMASTER:
			n->postmaster_frozen = false;
			if (n->relay_pending)
				sim_pg_relay_reload(n);
			break;
		case F_CUT_ETCD:
		case F_CUT_ETCD_REQ:
		case F_CUT_ETCD_RESP:
			n->cut_etcd_req = n->cut_etcd_resp = false;
			break;
		case F_ISOLATE:
			for (i = 0; i < SIM_MAX_NODES; i++)
				n->cut_peer[i] = false;
			break;
		case F_SYNC_OFF:
			write_config(true);
			break;
		case F_TTL_FAST:
			ttl_fast = failsafe_off = false;
			write_config(sync_on);
			break;
		default:
			break;
	}
	sim_log(n, "heal: %s", fault_names[f->kind]);
	free(f);
}

#define MAX_FAULTS 8192
static bool suppressed[MAX_FAULTS];
static int	fault_number;

/* this run's mix: which kinds of fault may happen, and how often (swarm testing) */
static bool fault_enabled[F_NKINDS];
static int64 fault_gap_us;

static void
fault(int kind, SimNode *n, int64 dur, bool forced)
{
	Fault	   *f;
	int			i;

	if ((!fault_enabled[kind] && !forced) || sim_time_us >= fault_end_us)
		return;
	/* --minimise leaves faults out one by one, by their number in the run */
	if (fault_number < MAX_FAULTS && suppressed[fault_number])
	{
		sim_log(n, "fault #%d left out: %s", fault_number++, fault_names[kind]);
		return;
	}
	f = calloc(1, sizeof(Fault));
	f->kind = (FaultKind) kind;
	f->node = n->id;
	stats.faults++;
	sim_log(n, "fault #%d: %s for %.3f s", fault_number++, fault_names[f->kind], dur / 1e6);
	switch (f->kind)
	{
		case F_FREEZE_WORKER:
			n->worker_frozen = true;
			break;
		case F_FREEZE_INSTANCE:
			n->instance_frozen = true;
			break;
		case F_FREEZE_STARTUP:
			n->startup_frozen = true;
			break;
		case F_FREEZE_POSTMASTER:
			/* SIGSTOP of the postmaster alone: reloads are not relayed */
			if (n->running)
				n->postmaster_frozen = true;
			break;
		case F_KILL_WORKER:
			if (n->worker_alive)
			{
				n->worker_alive = false;
				n->worker_restart_at_us = sim_time_us + 1000000;
				/* a shutting-down postmaster goes on without it */
				if (n->stop_pending)
					sim_pg_stop_clean(n);
			}
			free(f);
			return;
		case F_CRASH:
			sim_pg_crash(n);
			n->restart_at_us = sim_time_us + dur;
			free(f);
			return;
		case F_CUT_ETCD:
			n->cut_etcd_req = n->cut_etcd_resp = true;
			break;
		case F_CUT_ETCD_REQ:
			n->cut_etcd_req = true;
			break;
		case F_CUT_ETCD_RESP:
			n->cut_etcd_resp = true;
			break;
		case F_ISOLATE:
			for (i = 0; i < SIM_MAX_NODES; i++)
				if (i != n->id)
					n->cut_peer[i] = true;
			break;
		case F_ETCD_ELECTION:
			sim_etcd_leader_election();
			free(f);
			return;
		case F_SYNC_OFF:
			/* pghactl edit-config: off for a while, then on again (heal) */
			if (!sync_on)
			{
				free(f);
				return;
			}
			sync_off_epoch++;
			write_config(false);
			break;
		case F_TTL_FAST:
			/*
			 * pghactl edit-config: the fastest settings, or with --failsafe
			 * failsafe_mode off, or both, for a while (heal: back)
			 */
			if (ttl_fast || failsafe_off)
			{
				free(f);
				return;
			}
			ttl_fast = !sim_cfg.failsafe || sim_chance(0.7);
			failsafe_off = sim_cfg.failsafe && (!ttl_fast || sim_chance(0.3));
			sim_log(n, "config:%s%s", ttl_fast ? " ttl 3/1/1" : "", failsafe_off ? " failsafe_mode off" : "");
			write_config(sync_on);
			break;
		case F_RESTART:
			if (n->running)
			{
				sim_pg_crash(n);
				n->restart_at_us = sim_time_us + sim_rand_range(200000, 3000000);
			}
			free(f);
			return;
		case F_SWITCHOVER:
			/* an operator's pghactl switchover: the key names the leader and n */
			sim_etcd_request_switchover(n->name);
			free(f);
			return;
		case F_PLANNED_STOP:
			/*
			 * pg_ctl stop -m fast: no new transactions; the postmaster
			 * waits for the worker (a frozen one too), which hands the key
			 * over if it leads (worker_loop); without a worker it goes on.
			 */
			if (n->running && !n->stop_pending)
			{
				n->restart_at_us = sim_time_us + dur;
				if (n->worker_alive)
				{
					n->stop_pending = true;
					sim_wake(n);
				}
				else
					sim_pg_stop_clean(n);
			}
			free(f);
			return;
		case F_NKINDS:
			break;
	}
	sim_at(sim_time_us + dur, heal, f);
}

bool
sim_faulty(void)
{
	return sim_time_us < fault_end_us;
}

void
sim_fault(int kind, SimNode *n, int64 dur)
{
	fault(kind, n, dur, false);
}

static int64
fault_duration(void)
{
	/* mostly short; a third of them past a ttl, where leases run out */
	if (sim_chance(0.35))
		return sim_rand_range((int64) sim_cfg.ttl * 1000000, (int64) sim_cfg.ttl * 3000000);
	return sim_rand_range(50000, (int64) sim_cfg.ttl * 1000000);
}

/* the node that holds the leader key, or a random one */
static SimNode *
victim(void)
{
	int64		lease;
	const char *l = sim_etcd_leader(&lease);
	int			i;

	if (l && sim_chance(0.5))
		for (i = 0; i < sim_cfg.nnodes; i++)
			if (strcmp(sim_nodes[i].name, l) == 0)
				return &sim_nodes[i];
	return &sim_nodes[sim_rand_range(0, sim_cfg.nnodes - 1)];
}

static void
inject_fault(void)
{
	/* kinds added later are drawn only in their modes: the seeds found before replay as they were */
	sim_fault((int) sim_rand_range(0, (sim_cfg.ttl_change ? F_NKINDS : F_TTL_FAST) - 1), victim(),
			  fault_duration());
}

/*
 * Faults at the moments that matter (FoundationDB calls it buggify): a
 * node that just asked for a promotion, or just finished one, is hit at
 * once, so the interleavings around a role change come up in every run
 * rather than once in a thousand.
 */
void
sim_buggify(SimNode *n, const char *moment)
{
	static const int kinds[] = {F_FREEZE_STARTUP, F_FREEZE_WORKER, F_FREEZE_INSTANCE,
	F_CUT_ETCD, F_CUT_ETCD_REQ, F_CUT_ETCD_RESP, F_ISOLATE, F_CRASH, F_KILL_WORKER};

	int			i;
	int			nfaults;

	/*
	 * A pg_promote() cannot be taken back: the nastiest stall is a startup
	 * process that sits on the request while the node loses its key, and
	 * finishes the promotion after it (or just after it) hears of that.
	 */
	if (strcmp(moment, "promotion requested") == 0 && sim_chance(0.1))
	{
		int64		cut = sim_rand_range((int64) sim_cfg.ttl * 1000000, (int64) sim_cfg.ttl * 2000000);

		sim_log(n, "buggify at %s: the promotion stalls while the node is cut off", moment);
		fault(sim_chance(0.5) ? F_CUT_ETCD : F_CUT_ETCD_RESP, n, cut, true);
		fault(F_FREEZE_STARTUP, n, cut + sim_rand_range(0, (int64) sim_cfg.ttl * 1000000), true);
		return;
	}
	if (!sim_chance(0.25))
		return;
	/* one fault, or two or three at once (a frozen startup process and a cut link) */
	nfaults = sim_chance(0.5) ? 1 : (int) sim_rand_range(2, 3);
	sim_log(n, "buggify at %s", moment);
	for (i = 0; i < nfaults; i++)
		sim_fault(kinds[sim_rand_range(0, lengthof(kinds) - 1)], n, fault_duration());
}

/*
 * failsafe_mode: a member just vouched for a leader without etcd.  What
 * tests its promise: it restarts (shared memory lost), the ttl goes down
 * (--ttl-change: the members read it, the leader cannot), and the leader's
 * worker stands still (no more pings: its gate runs out alone).  Chosen
 * after the ping, by the scheduler, not inside the leader's call; in
 * --ttl-change runs only (the seeds found before replay as they were).
 */
static void
break_promise(void *arg)
{
	SimNode    *member = &sim_nodes[(intptr_t) arg % SIM_MAX_NODES];
	SimNode    *leader = &sim_nodes[(intptr_t) arg / SIM_MAX_NODES];

	if (sim_cfg.ttl_change && sim_chance(0.5))
		fault(F_TTL_FAST, member, fault_duration(), true);
	if (sim_chance(0.5))
		fault(sim_chance(0.5) ? F_RESTART : F_PLANNED_STOP, member, sim_rand_range(200000, 3000000), true);
	if (sim_chance(0.5))
		fault(F_FREEZE_WORKER, leader, fault_duration(), true);
}

void
sim_buggify_failsafe_ping(SimNode *member, SimNode *leader)
{
	if (!sim_cfg.ttl_change || !sim_faulty() || !sim_chance(0.05))
		return;
	sim_log(member, "buggify at failsafe ping from %s", leader->name);
	sim_at(sim_time_us + sim_rand_range(1000, 500000), break_promise,
		   (void *) (intptr_t) (leader->id * SIM_MAX_NODES + member->id));
}

/*
 * A watch that stalls without a word while every other call works (a
 * half-dead connection): what the replicas' cache must notice.  While
 * faults run only.
 */
bool
sim_buggify_watch_stall(SimNode *n)
{
	if (!sim_faulty() || !sim_chance(0.05))
		return false;
	sim_log(n, "buggify: its new watch stalls");
	return true;
}

/*
 * --errors: an action fails with an ERROR (its SQL, a file it writes, out
 * of memory): the iteration ends there, mid-way, and the worker backs off
 * and starts the next one, as worker.c recovers.  While faults run only.
 */
void
sim_buggify_error(SimNode *n, const char *action)
{
	if (!sim_cfg.errors || !sim_faulty() || !sim_chance(0.01))
		return;
	sim_log(n, "buggify: %s fails with an ERROR", action);
	ereport(ERROR, (errmsg("simulated failure: %s", action)));
}

/* the leader and the standbys its sync key names crash */
static void
crash_key_members(void *arg)
{
	SimNode    *n = &sim_nodes[(intptr_t) arg];
	int			i;

	for (i = 0; i < sim_cfg.nnodes; i++)
		if (&sim_nodes[i] == n || sim_etcd_sync_standby_is(sim_nodes[i].name))
			fault(F_CRASH, &sim_nodes[i], fault_duration(), true);
}

/*
 * --sync-toggle: a leader's delete of the sync key (decided with the mode
 * off) is on its way when the operator turns the mode on again.  The
 * leader goes on acknowledging under its key while its worker stands
 * still and the delete lands late; then it and the standbys the key names
 * crash, and a standby cut off meanwhile must not be promoted without
 * their commits.  Returns how much later the delete arrives.
 */
int64
sim_buggify_sync_delete(SimNode *n)
{
	int			i;

	if (!sim_cfg.sync_toggle || sync_on || !sim_faulty() ||
		!sim_etcd_sync_leader_is(n->name) || !sim_chance(0.3))
		return 0;
	sim_log(n, "buggify at sync key delete: synchronous_mode goes on while it is on its way");
	write_config(true);
	fault(F_FREEZE_WORKER, n, 2000000, true);
	for (i = 0; i < sim_cfg.nnodes; i++)
		if (&sim_nodes[i] != n && !sim_etcd_sync_standby_is(sim_nodes[i].name))
			fault(F_ISOLATE, &sim_nodes[i], 1000000, true);
	sim_at(sim_time_us + 450000, crash_key_members, (void *) (intptr_t) n->id);
	return 300000;
}

static void
heal_everything(void)
{
	int			i,
				j;

	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *n = &sim_nodes[i];

		n->worker_frozen = n->instance_frozen = n->startup_frozen = false;
		if (n->postmaster_frozen)
		{
			n->postmaster_frozen = false;
			if (n->relay_pending)
				sim_pg_relay_reload(n);
		}
		n->cut_etcd_req = n->cut_etcd_resp = false;
		for (j = 0; j < SIM_MAX_NODES; j++)
			n->cut_peer[j] = false;
		if (!n->running && n->restart_at_us == 0)
			n->restart_at_us = sim_time_us + 1000000;
	}
	if (!sync_on)
		write_config(true);
	sim_log(NULL, "heal everything");
}

/* ---- one run ---- */

static const char *leader_seen = NULL;
static char leader_copy[PGHA_NAME_LEN];


static void
tick(void)
{
	int			i;
	int64		lease;
	const char *l;

	sim_etcd_tick();
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *n = &sim_nodes[i];

		sim_pg_supervise(n);
		sim_pg_tick(n);
		if (!n->worker_alive && n->running && n->worker_restart_at_us != 0 &&
			sim_time_us >= n->worker_restart_at_us)
			worker_start(n);
	}
	settle_acks();
	l = sim_etcd_leader(&lease);
	if ((l == NULL) != (leader_seen == NULL) || (l && strcmp(l, leader_seen) != 0))
	{
		sim_log(NULL, "leader key: %s", l ? l : "(none)");
		if (l)
			stats.leader_changes++;
		/* our own copy: the key's value is freed with the key */
		if (l)
			strlcpy(leader_copy, l, sizeof(leader_copy));
		leader_seen = l ? leader_copy : NULL;
	}
}

/*
 * n streams from the leader through running, streaming standbys (with
 * --cascade, through the member its tag names)
 */
static bool
reaches(SimNode *n, SimNode *leader)
{
	SimNode    *c = n;

	for (int hops = 0; c != leader && hops < SIM_MAX_NODES; hops++)
	{
		if (!c->running || !c->in_recovery || c->upstream < 0 || !c->streaming)
			return false;
		c = &sim_nodes[c->upstream];
	}
	return c == leader;
}

/*
 * --etcd-wipe: etcd loses the cluster's keys while its leader is cut off
 * (it fences, another node takes over): "pghactl remove" (keys only) or a
 * new etcd (keys and leases, after every node lost etcd for a while).  A
 * node that fenced must not claim the empty cluster over one that led
 * after it (rule bootstrap_fenced).
 */
static bool wipe_leases;

static void
wipe_etcd(void *arg)
{
	sim_log(&sim_nodes[0], "etcd loses the cluster's keys%s", wipe_leases ? " and leases" : "");
	sim_etcd_wipe(wipe_leases);
}

static void
wipe_cut_other(void *arg)
{
	fault(F_CUT_ETCD, (SimNode *) arg, 25000000 + sim_rand_range(0, 3000000), true);
}

static void
wipe_scenario(void *arg)
{
	int64		lease;
	const char *l = sim_etcd_leader(&lease);
	SimNode    *n = &sim_nodes[0];
	int			i;
	int64		wipe_in = sim_rand_range(25000000, 40000000);

	for (i = 0; l && i < sim_cfg.nnodes; i++)
		if (strcmp(sim_nodes[i].name, l) == 0)
			n = &sim_nodes[i];
	wipe_leases = sim_chance(0.5);
	if (wipe_leases)
	{
		/* the others lose etcd later, and it comes back empty */
		wipe_in = 60000000;
		fault(F_CUT_ETCD, n, wipe_in + sim_rand_range(0, 3000000), true);
		for (i = 0; i < sim_cfg.nnodes; i++)
			if (&sim_nodes[i] != n)
				sim_at(sim_time_us + 35000000, wipe_cut_other, &sim_nodes[i]);
		sim_at(sim_time_us + wipe_in, wipe_etcd, NULL);
		return;
	}
	fault(F_CUT_ETCD, n, wipe_in + sim_rand_range(-3000000, 3000000), true);
	sim_at(sim_time_us + wipe_in, wipe_etcd, NULL);
}

/* the config key as the operator writes it (--sync-toggle turns the mode off) */
static void
write_config(bool sync)
{
	char		config[512];

	sync_on = sync;
	snprintf(config, sizeof(config),
			 "{\"ttl\":%d,\"loop_wait\":%d,\"retry_timeout\":%d,\"maximum_lag_on_failover\":1048576,"
			 "\"synchronous_mode\":%s,\"synchronous_mode_strict\":%s,\"synchronous_node_count\":%d,"
			 "\"failsafe_mode\":%s}",
			 ttl_fast ? 3 : sim_cfg.ttl, ttl_fast ? 1 : sim_cfg.loop_wait,
			 ttl_fast ? 1 : sim_cfg.retry_timeout,
			 !sync ? "false" : sim_cfg.quorum ? "\"quorum\"" : sim_cfg.sync_mode ? "true" : "false",
			 sync && sim_cfg.sync_strict ? "true" : "false",
			 /* quorum: ANY 1 of 2 with 3 nodes, ANY 2 of 4 with 5 */
			 sim_cfg.quorum ? Max(1, (sim_cfg.nnodes - 1) / 2) : 1,
			 sim_cfg.failsafe && !failsafe_off ? "true" : "false");
	sim_etcd_seed_config(config);
}

static void
init_run(uint64 seed)
{
	int			i;
	bool		clock_skew;

	/* nothing of the last run survives: its workers' memory included */
	sim_memory_reset(TopMemoryContext, sched_cxt);
	CurrentMemoryContext = sched_cxt;
	rng = seed * UINT64CONST(0x9E3779B97F4A7C15) + 1;
	if (rng == 0)
		rng = 1;
	sim_time_us = 1000000;
	fault_number = 0;
	nheap = 0;
	event_seq = 0;
	failed = false;
	failure[0] = '\0';
	trace_next = 0;
	nacks = 0;
	first_pending = 0;
	leader_seen = NULL;
	memset(&stats, 0, sizeof(stats));
	for (i = 0; i < SIM_MAX_TLI + 2; i++)
		tli_birth[i].node = -1;
	tli_birth[1].node = 0;
	sim_etcd_init();
	/* in half the runs the nodes' clocks run at different rates */
	clock_skew = sim_chance(0.5);
	sync_off_epoch = 0;
	ttl_fast = failsafe_off = false;
	write_config(true);
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *n = &sim_nodes[i];
		char	   *stack = n->stack;
		void	   *km = n->keeper_mem;
		void	   *sm = n->syncrep_mem;
		SimRecord  *wal = n->wal;

		memset(n, 0, sizeof(*n));
		n->stack = stack;
		n->keeper_mem = km;
		n->syncrep_mem = sm;
		n->id = i;
		snprintf(n->name, sizeof(n->name), "node%d", i + 1);
		n->port = 5001 + i;
		n->wal = wal;
		n->clock_rate = 1.0;
		if (clock_skew)
			n->clock_rate += ((double) sim_rand_range(-1000000, 1000000) / 1e6) * sim_cfg.max_skew;
		sim_pg_init(n, i == 0);
		worker_start(n);
		n->wake_us = sim_time_us + sim_rand_range(0, 500000);
	}
}

/* one running primary holds the key, every other node streams from it */
static bool
settled(void)
{
	int64		lease;
	const char *l = sim_etcd_leader(&lease);
	SimNode    *leader = NULL;
	int			i;

	for (i = 0; i < sim_cfg.nnodes; i++)
		if (l && strcmp(sim_nodes[i].name, l) == 0)
			leader = &sim_nodes[i];
	if (leader == NULL || !leader->running || leader->in_recovery)
		return false;
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *n = &sim_nodes[i];

		/* a promotion still under way changes the picture when it ends */
		if (n != leader && (!n->running || !n->in_recovery || !reaches(n, leader) ||
							n->promote_signal || n->promote_done_at_us != 0))
			return false;
	}
	return true;
}

static bool
final_checks(void)
{
	int64		lease;
	const char *l = sim_etcd_leader(&lease);
	SimNode    *leader = NULL;
	int			i;

	if (failed)
		return false;
	for (i = 0; i < sim_cfg.nnodes; i++)
		if (l && strcmp(sim_nodes[i].name, l) == 0)
			leader = &sim_nodes[i];

	/*
	 * etcd lost everything after every node that led had fenced: they wait
	 * for the DBA to promote one (docs/ha.md, Bootstrap), as they should
	 */
	if (sim_cfg.etcd_wipe && l == NULL)
	{
		for (i = 0; i < sim_cfg.nnodes; i++)
			if (!sim_nodes[i].running || !sim_nodes[i].in_recovery)
				break;
		if (i == sim_cfg.nnodes)
			return true;
	}
	if (leader == NULL || !leader->running || leader->in_recovery)
	{
		sim_fail("(e) no running primary holds the leader key after healing (key: %s)", l ? l : "none");
		return false;
	}
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *n = &sim_nodes[i];

		if (n == leader)
			continue;
		if (!n->running || !n->in_recovery || !reaches(n, leader))
		{
			sim_fail("(e) %s is not a streaming standby of the leader %s after healing "
					 "(running %d, standby %d, upstream %d, streaming %d)",
					 n->name, leader->name, n->running, n->in_recovery, n->upstream + 1, n->streaming);
			return false;
		}
	}
	/*
	 * Synchronous mode keeps every acknowledged write.  With it turned off
	 * and on again, only those acknowledged while the sync key named their
	 * primary, with the mode on since: turning it off lets any standby be
	 * promoted (asynchronous rules), as in Patroni.
	 */
	if (sim_cfg.sync_mode)
		for (i = 0; i < nacks; i++)
			if (acks[i].at_us > 0 &&
				(!sim_cfg.sync_toggle || (acks[i].guarded && acks[i].off_epoch == sync_off_epoch)) &&
				!sim_pg_has_write(leader, acks[i].write_id))
			{
				sim_fail("(b) write %lld acknowledged by %s at %.3f s is not in the leader %s's WAL",
						 (long long) acks[i].write_id, sim_nodes[acks[i].node].name,
						 acks[i].at_us / 1e6, leader->name);
				return false;
			}
	return true;
}

static bool
run(uint64 seed)
{
	int64		fault_end;
	int64		end;
	int64		next_tick;
	int64		next_fault;
	int64		next_write_at;
	int64		settled_since = 0;
	int64		full_end;
	int			i;

	init_run(seed);
	fault_end = fault_end_us = sim_time_us + sim_cfg.duration_us;
	for (i = 0; i < F_TTL_FAST; i++)
		fault_enabled[i] = sim_chance(0.6);
	if (sim_cfg.ttl_change)
		fault_enabled[F_TTL_FAST] = sim_chance(0.6);
	/* open liveness findings with switchovers (docs/faults.md): opt-in */
	if (!sim_cfg.switchovers)
		fault_enabled[F_SWITCHOVER] = false;
	if (!sim_cfg.sync_toggle)
		fault_enabled[F_SYNC_OFF] = false;
	if (!sim_cfg.ttl_change)
		fault_enabled[F_TTL_FAST] = false;
	fault_gap_us = sim_rand_range(300000, (int64) sim_cfg.ttl * 1500000);
	if (sim_cfg.etcd_wipe)
	{
		for (i = 0; i < F_NKINDS; i++)
			fault_enabled[i] = false;
		sim_at(sim_time_us + sim_rand_range(15000000, 25000000), wipe_scenario, NULL);
	}
	end = full_end = fault_end + (int64) (4 * sim_cfg.ttl + 30) * 1000000;
	next_tick = sim_time_us;
	next_fault = sim_time_us + sim_rand_range(5000000, 15000000);
	next_write_at = sim_time_us;
	while (sim_time_us < end && !failed)
	{
		int64		t = Min(next_tick, Min(next_fault, next_write_at));
		SimNode    *who = NULL;

		if (nheap > 0 && heap[0].at < t)
			t = heap[0].at;
		for (i = 0; i < sim_cfg.nnodes; i++)
		{
			SimNode    *n = &sim_nodes[i];

			if (worker_runnable(n) && n->wake_us <= t &&
				(who == NULL || n->wake_us < who->wake_us ||
				 (n->wake_us == who->wake_us && sim_chance(0.5))))
			{
				who = n;
				t = n->wake_us;
			}
		}
		sim_time_us = Max(sim_time_us, t);
		stats.steps++;
		if (who)
			run_worker(who);
		else if (nheap > 0 && heap[0].at <= sim_time_us)
		{
			Event		e = pop_event();

			e.fn(e.arg);
		}
		else if (next_tick <= sim_time_us)
		{
			tick();
			next_tick = sim_time_us + sim_rand_range(1000, 20000);

			/*
			 * --quick-heal: once healed, a cluster settled for 5 s ends its
			 * run 10 s later (clients stop, pending commits settle), instead
			 * of after the whole bound, if it stays settled; the checks at
			 * the end are the same.
			 */
			if (sim_cfg.quick_heal && next_fault == INT64_MAX)
			{
				/* settled, then unsettled again: the whole bound after all */
				if (!settled())
				{
					settled_since = 0;
					end = full_end;
				}
				else if (settled_since == 0)
					settled_since = sim_time_us;
				else if (sim_time_us - settled_since >= 5000000)
					end = Min(full_end, settled_since + 15000000);
			}
		}
		else if (next_write_at <= sim_time_us)
		{
			if (sim_time_us < end - 10000000)
				client_write();
			next_write_at = sim_time_us + sim_rand_range(2000, 40000);
		}
		else
		{
			if (sim_time_us < fault_end)
			{
				inject_fault();
				next_fault = sim_time_us + sim_rand_range(fault_gap_us / 4, fault_gap_us * 2);
			}
			else
			{
				heal_everything();
				next_fault = INT64_MAX;
			}
		}
		check_two_primaries();
	}
	/* clients stopped 10 s before the end: let pending commits settle */
	settle_acks();
	return final_checks();
}

extern void sim_etcd_dump(FILE *out);

/*
 * The smallest set of this run's faults that still breaks the same
 * invariant: leave each fault out in turn (its random draws still happen,
 * so the run is the same up to it), keep it out if the run still fails.
 * Ends with the last failing run replayed, for its trace.
 */
static void
minimise_faults(uint64 seed)
{
	char		letter = failure[1];
	int			n = fault_number;
	int			kept = n;
	int			i;

	for (i = 0; i < n && i < MAX_FAULTS; i++)
	{
		suppressed[i] = true;
		if (!run(seed) && failure[1] == letter)
			kept--;
		else
			suppressed[i] = false;
	}
	(void) run(seed);
	printf("minimised: %d of %d faults still break (%c); replay with --leave-out ", kept, n, letter);
	for (i = 0; i < n && i < MAX_FAULTS; i++)
		if (suppressed[i])
			printf("%d,", i);
	printf("\n");
}

static void
print_trace(void)
{
	int			i;
	int			n = Min(trace_next, TRACE_LINES);

	for (i = trace_next - n; i < trace_next; i++)
		fprintf(stderr, "%s\n", trace[i % TRACE_LINES]);
	fprintf(stderr, "nodes at the end:\n");
	for (i = 0; i < sim_cfg.nnodes; i++)
	{
		SimNode    *s = &sim_nodes[i];

		fprintf(stderr, "  %s: running %d, standby %d, timeline %d, records %lld, replayed %lld, "
				"upstream %d, streaming %d, gate %llu, ssn '%s', worker %d\n",
				s->name, s->running, s->in_recovery, s->timeline, (long long) s->nwal,
				(long long) s->replay, s->upstream + 1, s->streaming,
				(unsigned long long) pg_atomic_read_u64(&s->shared.write_deadline_ms), s->ssn,
				s->worker_alive);
		{
			char		files[SIM_MAX_TLI + 2];
			int			t;

			/* pg_wal's history files from timeline 2 on: r real, p placeholder, . none */
			for (t = 2; t <= SIM_MAX_TLI; t++)
				files[t - 2] = s->tlfile[t] ? s->tlfile[t] : '.';
			files[SIM_MAX_TLI - 1] = '\0';
			fprintf(stderr, "    history files from timeline 2: %.12s\n", files);
		}
	}
	sim_etcd_dump(stderr);
}

int
main(int argc, char **argv)
{
	uint64		seed = (uint64) time(NULL);
	int64		runs = 1;
	double		seconds = 0;
	int			i;
	int64		r;
	int64		ok = 0;
	struct timespec t0,
				t1;
	double		sim_seconds = 0;
	bool		minimise = false;

	sim_cfg.nnodes = 3;
	sim_cfg.ttl = 10;
	sim_cfg.loop_wait = 2;
	sim_cfg.retry_timeout = 4;
	sim_cfg.duration_us = 120 * 1000000LL;
	sim_cfg.max_skew = 0.05;
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoll(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
		{
			int			nodes = atoi(argv[++i]);

			sim_cfg.nnodes = Max(2, Min(SIM_MAX_NODES, nodes));
		}
		else if (strcmp(argv[i], "--sync") == 0)
			sim_cfg.sync_mode = true;
		else if (strcmp(argv[i], "--strict") == 0)
			sim_cfg.sync_mode = sim_cfg.sync_strict = true;
		else if (strcmp(argv[i], "--quorum") == 0)
			sim_cfg.sync_mode = sim_cfg.quorum = true;
		else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
			sim_cfg.duration_us = (int64) (atof(argv[++i]) * 1e6);
		else if (strcmp(argv[i], "--max-skew") == 0 && i + 1 < argc)
			sim_cfg.max_skew = atof(argv[++i]) / 100.0;
		else if (strcmp(argv[i], "--switchovers") == 0)
			sim_cfg.switchovers = true;
		else if (strcmp(argv[i], "--quick-heal") == 0)
			sim_cfg.quick_heal = true;
		else if (strcmp(argv[i], "--etcd-wipe") == 0)
			sim_cfg.etcd_wipe = true;
		else if (strcmp(argv[i], "--sync-toggle") == 0)
			sim_cfg.sync_toggle = sim_cfg.sync_mode = true;
		else if (strcmp(argv[i], "--cascade") == 0)
			sim_cfg.cascade = true;
		else if (strcmp(argv[i], "--failsafe") == 0)
			sim_cfg.failsafe = true;
		else if (strcmp(argv[i], "--ttl-change") == 0)
			sim_cfg.ttl_change = true;
		else if (strcmp(argv[i], "--errors") == 0)
			sim_cfg.errors = true;
		/* the fastest settings pgha accepts */
		else if (strcmp(argv[i], "--fast") == 0)
		{
			sim_cfg.ttl = 3;
			sim_cfg.loop_wait = 1;
			sim_cfg.retry_timeout = 1;
		}
		else if (strcmp(argv[i], "--minimise") == 0)
			minimise = true;
		else if (strcmp(argv[i], "--leave-out") == 0 && i + 1 < argc)
		{
			char	   *p = argv[++i];

			while (*p)
			{
				long		k = strtol(p, &p, 10);

				if (k >= 0 && k < MAX_FAULTS)
					suppressed[k] = true;
				while (*p == ',')
					p++;
			}
		}
		else if (strcmp(argv[i], "--trace") == 0)
			sim_cfg.trace = true;
		else if (strcmp(argv[i], "--verbose") == 0)
			sim_cfg.verbose = true;
		else
		{
			fprintf(stderr, "usage: %s [--seed N] [--runs N | --seconds S] [--nodes N] [--sync|--strict] [--quorum] [--duration S] [--max-skew PCT] [--switchovers] [--quick-heal] [--etcd-wipe] [--cascade] [--sync-toggle] [--failsafe] [--fast] [--ttl-change] [--errors] [--minimise] [--leave-out N,N...] [--trace] [--verbose]\n", argv[0]);
			return 2;
		}
	}
	if (seconds > 0)
		runs = INT64_MAX;

	keeper_addr = pgha_keeper_memory(&keeper_size);
	syncrep_addr = pgha_syncrep_memory(&syncrep_size);
	TopMemoryContext = sim_context_create("top");
	sched_cxt = sim_context_create("scheduler");
	CurrentMemoryContext = sched_cxt;
	acks = calloc(MAX_ACKS, sizeof(SimAck));
	for (i = 0; i < SIM_MAX_NODES; i++)
	{
		sim_nodes[i].stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
								  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		sim_nodes[i].keeper_mem = calloc(1, keeper_size);
		sim_nodes[i].syncrep_mem = calloc(1, syncrep_size);
		sim_nodes[i].wal = calloc(SIM_MAX_WAL, sizeof(SimRecord));
	}

	printf("pgha_sim: seed %llu, %d nodes, ttl %d, loop_wait %d, %s%s, faults for %.0f s per run\n",
		   (unsigned long long) seed, sim_cfg.nnodes, sim_cfg.ttl, sim_cfg.loop_wait,
		   sim_cfg.quorum ? (sim_cfg.sync_strict ? "quorum, strict" : "quorum") :
		   sim_cfg.sync_strict ? "synchronous_mode_strict" : sim_cfg.sync_mode ? "synchronous_mode" : "asynchronous",
		   sim_cfg.failsafe ? ", failsafe_mode" : "", sim_cfg.duration_us / 1e6);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r = 0; r < runs; r++)
	{
		uint64		s = seed + (uint64) r;

		if (!run(s))
		{
			if (minimise)
				minimise_faults(s);
			print_trace();
			printf("FAILED: seed %llu: %s\nreplay: %s --seed %llu --runs 1%s%s%s%s%s%s%s%s%s%s --nodes %d --duration %g --max-skew %g --trace\n",
				   (unsigned long long) s, failure, argv[0], (unsigned long long) s,
				   sim_cfg.quorum ? (sim_cfg.sync_strict ? " --quorum --strict" : " --quorum") :
				   sim_cfg.sync_strict ? " --strict" : sim_cfg.sync_mode ? " --sync" : "",
				   sim_cfg.switchovers ? " --switchovers" : "",
				   sim_cfg.quick_heal ? " --quick-heal" : "",
				   sim_cfg.etcd_wipe ? " --etcd-wipe" : "",
				   sim_cfg.cascade ? " --cascade" : "",
				   sim_cfg.sync_toggle ? " --sync-toggle" : "",
				   sim_cfg.failsafe ? " --failsafe" : "",
				   sim_cfg.ttl == 3 ? " --fast" : "",
				   sim_cfg.ttl_change ? " --ttl-change" : "",
				   sim_cfg.errors ? " --errors" : "",
				   sim_cfg.nnodes, sim_cfg.duration_us / 1e6, sim_cfg.max_skew * 100);
			return 1;
		}
		ok++;
		sim_seconds += sim_time_us / 1e6;
		total.steps += stats.steps;
		total.faults += stats.faults;
		total.leader_changes += stats.leader_changes;
		total.acks += stats.acks;
		total.writes += stats.writes;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (seconds > 0 && (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ok: %lld runs (seeds %llu..%llu), %.0f simulated s, %lld steps, %lld faults, "
		   "%lld leader changes, %lld acknowledged writes, %lld cluster reads, in %.1f s\n",
		   (long long) ok, (unsigned long long) seed, (unsigned long long) (seed + ok - 1),
		   sim_seconds, (long long) total.steps, (long long) total.faults,
		   (long long) total.leader_changes, (long long) total.acks, (long long) sim_reads,
		   (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

/*
 * Every node's clock starts with the run and runs at its own rate (time
 * starts at 1 s, so a clock never shows less than a start of 0.9 s).
 */
int64
sim_clock(SimNode *n)
{
	return 1000000 + (int64) ((double) (sim_time_us - 1000000) * n->clock_rate);
}

int64
sim_when(SimNode *n, int64 clock_us)
{
	int64		ahead = clock_us - sim_clock(n);

	return sim_time_us + (ahead <= 0 ? 0 : (int64) ((double) ahead / n->clock_rate) + 1);
}

int64
pgha_now_us(void)
{
	return sim_current ? sim_clock(sim_current) : sim_time_us;
}
