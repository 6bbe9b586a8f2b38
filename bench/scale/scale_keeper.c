/*-------------------------------------------------------------------------
 *
 * scale_keeper.c
 *		Virtual members for bench/scale/scale.py: the real keeper
 *		(src/keeper/, src/syncrep.c) with the simulator's model PostgreSQL
 *		(test/sim/sim_pg.c, sim_backend.c), against a real etcd through
 *		pgha's own etcd client (src/shared), in real time.
 *
 * scale_gen replays the requests real nodes were measured to send; this
 * runs the keeper itself, so what etcd gets is what the keeper decides to
 * send under that load (its reads, keepalives, writes, watches, health
 * checks), and a member that loses its lease or its leadership shows it.
 *
 * One process runs a slice of the clusters.  Each member's iteration runs
 * to its end (its etcd calls block, as in a worker), then the member waits
 * for its next iteration or for its watch, as the worker does: one poll(2)
 * over every member's sockets.  The model PostgreSQL of each cluster takes
 * no client writes: an idle cluster, as in "Steady state".
 *
 * At the end it prints one line of counters (scale.py reads it):
 * iterations and their duration histogram, how late iterations started,
 * iterations whose etcd calls failed, leases lost (a member's lease
 * replaced by a new one), leader changes after the first leader of each
 * cluster, promotions and fences, and the clusters that never had a
 * leader in the window; the keeper's own etcd calls by kind (keepalive,
 * write, read: how many, how many unanswered, their time histogram), and
 * the watch's delay.
 *
 * The watch's delay: every PROBE_MS the process puts a key under its first
 * cluster's prefix (the members ignore it) and watches it beside them; the
 * time from the put's send to the event read off the watch's socket, in
 * the same poll(2) as the members' watches, is what a member waits to hear
 * of a change (the leader key's delete after a node loss).
 *
 * Usage: scale_keeper URLS FIRST COUNT TTL LOOP_WAIT RETRY_TIMEOUT FAILSAFE SECONDS START [PROBE_MS]
 *	 URLS	 etcd client URLs, comma-separated
 *	 FIRST, COUNT  the clusters c<FIRST> .. c<FIRST+COUNT-1> under /scale/
 *	 FAILSAFE  0 or 1: failsafe_mode in the clusters' config
 *	 START	 wall-clock second at which the measured window begins
 *	 PROBE_MS  the watch probe's interval (0 or absent: none)
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  bench/scale/scale_keeper.c
 *
 *-------------------------------------------------------------------------
 */
#include "sim.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "shared/clock.h"
#include "shared/http.h"
#include "guc.h"
#include "keeper.h"
#include "keeper/keeper_int.h"
#include "syncrep.h"
#include "utils/memutils.h"

#define MEMBERS 3

extern MemoryContext sim_context_create(const char *name);

/* what sim.c gives the models, here for real time and many clusters */
SimConfig	sim_cfg;
SimNode    *sim_nodes;
SimNode    *sim_current;
int64		sim_time_us;

typedef struct Cluster
{
	char		scope[32];
	SimNode		nodes[MEMBERS];
	int			leader;			/* node whose keeper leads, -1 none */
	bool		ever_led;		/* a member took the key (the first time is no change) */
	bool		had_leader;		/* a member led in the window */
} Cluster;

typedef struct Member
{
	Cluster    *cluster;
	SimNode    *node;
	PghaEtcd   *etcd;
	int64		due_us;
	int64		lease;			/* the lease last seen */
	int64		lease_ttl;		/* ... its ttl */
	bool		in_recovery;	/* ... and the role */
	bool		fenced;
} Member;

static Cluster *clusters;
static Member *members;
static int	nmembers;
static void *keeper_addr;
static size_t keeper_size;
static void *syncrep_addr;
static size_t syncrep_size;
static MemoryContext top_cxt;

/* which member each socket belongs to (curl opens them through the host) */
static int *sock_owner;
static int	sock_cap;
static int	sock_top;			/* above every socket opened so far */
static Member *opening;			/* the member whose calls run now */
static bool quick_wait;			/* a look at the sockets, no wait */
static bool probe_opening;		/* the watch probe's calls run now */
#define PROBE_OWNER (-2)		/* sock_owner[] of the watch probe's sockets */

/* the window's counters */
static const double bucket_ms[] = {0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
#define NBUCKETS (lengthof(bucket_ms) + 1)
enum
{
	CALL_KEEPALIVE, CALL_WRITE, CALL_READ, CALL_OTHER, NCALLS
};
static const char *const call_name[NCALLS] = {"keepalive", "write", "read", "other"};
static struct
{
	long		iterations;
	long		hist[NBUCKETS];
	long		late_hist[NBUCKETS];
	long		failed;			/* iterations whose etcd calls did not all work */
	long		errors;			/* iterations that ended in an ERROR */
	long		lost_leases;
	long		leader_changes;
	long		promotions;
	long		fences;
	/* the keeper's etcd calls by kind: how many, unanswered, their time */
	long		calls[NCALLS];
	long		unanswered[NCALLS];
	long		call_hist[NCALLS][NBUCKETS];
	long		probe_puts;		/* in the window */
	long		probes;			/* probe puts whose event came back */
	long		watch_hist[NBUCKETS];
} stats;
static bool counting;

static uint64 rng = 88172645463325252ULL;

uint64
sim_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int64
sim_rand_range(int64 lo, int64 hi)
{
	return lo + (int64) (sim_rand() % (uint64) (hi - lo + 1));
}

bool
sim_chance(double p)
{
	return (double) (sim_rand() % 1000000) < p * 1000000.0;
}

/* real time: a node's clock is the clock */
int64
sim_clock(SimNode *n)
{
	return sim_time_us;
}

int64
sim_when(SimNode *n, int64 clock_us)
{
	return clock_us;
}

/* a model delay inside an iteration: real calls take real time already */
void
sim_sleep_until(int64 at_us)
{
}

void
sim_log(SimNode *n, const char *fmt,...)
{
	va_list		ap;

	if (!sim_cfg.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s %s: ", pgha_scope, n ? n->name : "-");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* no faults are injected, no invariant is checked here: the simulator does that */
void
sim_buggify(SimNode *n, const char *moment)
{
}

void
sim_buggify_failsafe_ping(SimNode *member, SimNode *leader)
{
}

void
sim_buggify_error(SimNode *n, const char *action)
{
}

void
sim_timeline_created(SimNode *n, int tli, int parent, int64 at)
{
}

/* pghactl run's view of the leader, as its cluster's keepers see it */
const char *
sim_etcd_leader(int64 *lease)
{
	Cluster    *c = (Cluster *) ((char *) sim_nodes - offsetof(Cluster, nodes));

	*lease = 0;
	return c->leader >= 0 ? c->nodes[c->leader].name : NULL;
}

bool
sim_etcd_record_timeline(SimNode *n, int tli)
{
	return true;
}

/* ---- curl's sockets: one poll over every member's ---- */

static int
host_wait(PghaHttpSock *socks, int nsocks, long timeout_ms, PghaPmDeath pmdeath)
{
	int			ready = pgha_http_poll(socks, nsocks, quick_wait ? 0 : timeout_ms);

	/* a quick look that found nothing ends the caller's wait at once */
	return quick_wait && ready <= 0 ? PGHA_HTTP_WAIT_TIMEOUT : 0;
}

static void
host_nothing(int flags)
{
}

static void
host_run_then(void (*body) (void *), void (*cleanup) (void *), void *arg)
{
	body(arg);
	cleanup(arg);
}

static int
host_open_socket(int family, int type, int protocol)
{
	int			fd = socket(family, type, protocol);

	if (fd >= 0 && fd < sock_cap)
	{
		sock_owner[fd] = opening ? (int) (opening - members) : probe_opening ? PROBE_OWNER : -1;
		sock_top = Max(sock_top, fd + 1);
	}
	return fd;
}

static int
host_close_socket(int fd)
{
	if (fd >= 0 && fd < sock_cap)
		sock_owner[fd] = -1;
	return close(fd);
}

static const PghaHttpHost scale_host = {
	.wait = host_wait,
	.after_wait = host_nothing,
	.give_back = host_nothing,
	.guarded = host_run_then,
	.open_socket = host_open_socket,
	.close_socket = host_close_socket,
};

/* ---- the keeper's etcd calls, timed ---- */

static int	bucket(double ms);

static bool
ends_with(const char *s, const char *tail)
{
	size_t		n = strlen(s);
	size_t		t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

static void
time_call(const char *url, int64 elapsed_us, bool answered)
{
	int			kind = CALL_OTHER;

	if (!counting)
		return;
	if (ends_with(url, "/v3/lease/keepalive"))
		kind = CALL_KEEPALIVE;
	else if (ends_with(url, "/v3/kv/txn") || ends_with(url, "/v3/kv/put") ||
			 ends_with(url, "/v3/kv/deleterange"))
		kind = CALL_WRITE;
	else if (ends_with(url, "/v3/kv/range"))
		kind = CALL_READ;
	stats.calls[kind]++;
	if (!answered)
		stats.unanswered[kind]++;
	stats.call_hist[kind][bucket(elapsed_us / 1000.0)]++;
}

/* ---- the watch probe ---- */

#define NPROBE_SENT 64
static PghaEtcd *probe;
static char probe_key[64];
static int64 probe_every_us;
static int64 probe_next_us;
static struct
{
	int64		revision;
	int64		sent_us;
} probe_sent[NPROBE_SENT];
static int	probe_nsent;
static MemoryContext probe_cxt;

/* put the probe key, its watch started first from the revision after the put */
static void
probe_put(void)
{
	int64		sent = pgha_now_us();
	int64		revision;

	probe_next_us = sent + probe_every_us;
	MemoryContextReset(probe_cxt);
	CurrentMemoryContext = probe_cxt;
	probe_opening = true;
	if (!probe->watching)
	{
		PghaEtcdRange r;

		if (pgha_etcd_range(probe, probe_key, false, &r))
			(void) pgha_etcd_watch_start(probe, probe_key, r.header.revision + 1);
	}
	if (probe->watching && pgha_etcd_put(probe, probe_key, "probe", 0, &revision))
	{
		if (counting)
			stats.probe_puts++;
		probe_sent[probe_nsent % NPROBE_SENT].revision = revision;
		probe_sent[probe_nsent % NPROBE_SENT].sent_us = sent;
		probe_nsent++;
	}
	probe_opening = false;
	CurrentMemoryContext = top_cxt;
}

/* the probe's events read off its watch: their delay since the put's send */
static void
probe_read(void)
{
	PghaEtcdWatchFrame f;
	int64		now;

	if (probe == NULL || !probe->watching)
		return;
	CurrentMemoryContext = probe_cxt;
	quick_wait = true;
	probe_opening = true;
	(void) pgha_etcd_wait(probe, 1);
	probe_opening = false;
	quick_wait = false;
	now = pgha_now_us();
	while (pgha_etcd_watch_next(probe, &f))
		for (int i = 0; i < f.nevents; i++)
			for (int k = 0; k < Min(probe_nsent, NPROBE_SENT); k++)
				if (probe_sent[k].revision == f.events[i].kv.mod_revision && counting)
				{
					stats.probes++;
					stats.watch_hist[bucket((now - probe_sent[k].sent_us) / 1000.0)]++;
				}
	CurrentMemoryContext = top_cxt;
}

/* ---- one member at a time in the keeper's memory ---- */

static void
enter(Member *m)
{
	SimNode    *n = m->node;

	sim_nodes = m->cluster->nodes;
	pgha_scope = m->cluster->scope;
	sim_time_us = pgha_now_us();
	memcpy(keeper_addr, n->keeper_mem, keeper_size);
	memcpy(syncrep_addr, n->syncrep_mem, syncrep_size);
	sim_pg_enter(n);
	sim_current = n;
	opening = m;
}

static void
leave(Member *m)
{
	SimNode    *n = m->node;

	memcpy(n->keeper_mem, keeper_addr, keeper_size);
	memcpy(n->syncrep_mem, syncrep_addr, syncrep_size);
	sim_current = NULL;
	opening = NULL;
	CurrentMemoryContext = top_cxt;
	PG_exception_stack = NULL;
}

static int
bucket(double ms)
{
	int			i;

	for (i = 0; i < (int) lengthof(bucket_ms); i++)
		if (ms <= bucket_ms[i])
			return i;
	return NBUCKETS - 1;
}

/* what changed in the member's keeper since its last iteration */
static void
observe(Member *m)
{
	Cluster    *c = m->cluster;
	int			me = (int) (m->node - c->nodes);

	/* a new lease of the same ttl replaces a lost one (a ttl change takes one too) */
	if (K.lease.id != 0 && m->lease != 0 && K.lease.id != m->lease &&
		K.lease.ttl == m->lease_ttl && counting)
		stats.lost_leases++;
	if (K.lease.id != 0)
	{
		m->lease = K.lease.id;
		m->lease_ttl = K.lease.ttl;
	}
	if (m->in_recovery && !m->node->in_recovery && counting)
		stats.promotions++;
	m->in_recovery = m->node->in_recovery;
	if (!m->fenced && !m->node->running && counting)
		stats.fences++;
	m->fenced = !m->node->running;
	/* every taking of the key but the cluster's first is a change */
	if (K.proof.is_leader && c->leader != me)
	{
		if (c->ever_led && counting)
			stats.leader_changes++;
		c->ever_led = true;
		c->leader = me;
	}
	else if (!K.proof.is_leader && c->leader == me)
		c->leader = -1;
	if (c->leader >= 0 && counting)
		c->had_leader = true;
}

static void
run_member(Member *m)
{
	SimNode    *n = m->node;
	sigjmp_buf	local;
	int64		started;
	long		wait_ms = 1000;
	bool		etcd_ok = false;

	enter(m);
	for (int i = 0; i < MEMBERS; i++)
		sim_pg_tick(&m->cluster->nodes[i]);
	started = pgha_now_us();
	if (counting)
		stats.late_hist[bucket((started - m->due_us) / 1000.0)]++;
	if (sigsetjmp(n->worker_jmp, 0) != 0)
	{
		/* proc_exit: the postmaster starts the worker again after 1 s */
		memset(keeper_addr, 0, keeper_size);
		memset(syncrep_addr, 0, syncrep_size);
		memset(&n->state, 0, sizeof(n->state));
		n->state.etcd_failures_tolerated = -1;
		pgha_etcd_watch_stop(m->etcd);
		if (counting)
			stats.errors++;
	}
	else if (sigsetjmp(local, 0) != 0)
	{
		CurrentMemoryContext = top_cxt;
		FlushErrorState();
		m->etcd->watching = false;
		if (counting)
			stats.errors++;
	}
	else
	{
		PG_exception_stack = &local;
		MemoryContextReset(n->iter_cxt);
		CurrentMemoryContext = n->iter_cxt;
		wait_ms = pgha_keeper_iterate(m->etcd, &n->state, &etcd_ok);
		n->state.etcd_reachable = etcd_ok;
		if (counting)
		{
			stats.iterations++;
			stats.hist[bucket((pgha_now_us() - started) / 1000.0)]++;
			if (!etcd_ok)
				stats.failed++;
		}
		observe(m);
	}
	m->due_us = pgha_now_us() + (int64) wait_ms * 1000;
	leave(m);
}

/*
 * A stopped instance (fenced, or stopped for a switchover) is started
 * again by pghactl run, rewound if it has to be, and its worker by the
 * postmaster: the simulator's models of both.
 */
static void
restart(Member *m)
{
	SimNode    *n = m->node;

	sim_nodes = m->cluster->nodes;
	sim_time_us = pgha_now_us();
	sim_pg_supervise(n);
	if (n->running && !n->worker_alive && n->worker_restart_at_us != 0 &&
		sim_time_us >= n->worker_restart_at_us)
	{
		/* a new process: the keeper's memory starts at zero */
		memset(n->keeper_mem, 0, keeper_size);
		memset(n->syncrep_mem, 0, syncrep_size);
		memset(&n->state, 0, sizeof(n->state));
		n->state.etcd_failures_tolerated = -1;
		pgha_etcd_watch_stop(m->etcd);
		n->worker_alive = true;
		n->worker_restart_at_us = 0;
		m->due_us = sim_time_us;
		/* its first lease is a new process's, not one it lost */
		m->lease = 0;
	}
	sim_nodes = NULL;
}

/* the member's watch: anything that wakes the keeper brings its iteration forward */
static void
look_at_watch(Member *m)
{
	sigjmp_buf	local;

	if (!m->etcd->watching)
		return;
	enter(m);
	quick_wait = true;
	if (sigsetjmp(local, 0) != 0)
	{
		CurrentMemoryContext = top_cxt;
		FlushErrorState();
	}
	else
	{
		PG_exception_stack = &local;
		CurrentMemoryContext = m->node->iter_cxt;
		if ((pgha_etcd_wait(m->etcd, 1) & PGHA_HTTP_WAIT_STREAM) &&
			pgha_keeper_watch_wakeup(m->etcd))
			m->due_us = Min(m->due_us, pgha_now_us());
	}
	quick_wait = false;
	leave(m);
}

static void
put_config(const char *urls, int first, int count, int ttl, int loop_wait,
		   int retry_timeout, bool failsafe)
{
	PghaEtcdConfig cfg = {.hosts = urls, .default_scheme = "http", .timeout_ms = 5000};
	char		err[256];
	PghaEtcd   *e = pgha_etcd_create(&cfg, err, sizeof(err));
	char		config[256];

	if (e == NULL)
	{
		fprintf(stderr, "scale_keeper: %s\n", err);
		exit(1);
	}
	snprintf(config, sizeof(config),
			 "{\"ttl\":%d,\"loop_wait\":%d,\"retry_timeout\":%d,"
			 "\"maximum_lag_on_failover\":1048576,\"failsafe_mode\":%s}",
			 ttl, loop_wait, retry_timeout, failsafe ? "true" : "false");
	for (int c = first; c < first + count; c++)
		if (!pgha_etcd_put(e, psprintf("/scale/c%d/config", c), config, 0, NULL))
		{
			fprintf(stderr, "scale_keeper: cannot write the config: %s\n", e->errmsg);
			exit(1);
		}
	pgha_etcd_destroy(e);
}

static void
print_hist(const char *name, const long *hist)
{
	printf(" %s=", name);
	for (int i = 0; i < NBUCKETS; i++)
		printf("%s%ld", i ? ":" : "", hist[i]);
}

int
main(int argc, char **argv)
{
	int			first;
	int			count;
	int			ttl;
	int			loop_wait;
	int			retry_timeout;
	bool		failsafe;
	int			seconds;
	time_t		start_wall;
	int64		start_us;
	int64		end_us;
	struct rlimit rl;
	struct pollfd *pfd;
	int		   *pfd_owner;

	if (argc != 10 && argc != 11)
	{
		fprintf(stderr, "usage: scale_keeper URLS FIRST COUNT TTL LOOP_WAIT RETRY_TIMEOUT FAILSAFE SECONDS START [PROBE_MS]\n");
		return 2;
	}
	first = atoi(argv[2]);
	count = atoi(argv[3]);
	ttl = atoi(argv[4]);
	loop_wait = atoi(argv[5]);
	retry_timeout = atoi(argv[6]);
	failsafe = atoi(argv[7]) != 0;
	seconds = atoi(argv[8]);
	start_wall = atol(argv[9]);
	probe_every_us = argc > 10 ? atol(argv[10]) * 1000L : 0;
	sim_cfg.verbose = getenv("SCALE_KEEPER_VERBOSE") != NULL;
	sim_cfg.nnodes = MEMBERS;
	rng ^= (uint64) getpid() << 20 ^ (uint64) first;

	/* two sockets a member (its calls, its watch), and some to spare */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
	{
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sock_cap = (int) Min(rl.rlim_cur, 1 << 20);
	sock_owner = malloc(sizeof(int) * sock_cap);
	for (int i = 0; i < sock_cap; i++)
		sock_owner[i] = -1;
	pgha_http_set_host(&scale_host);

	keeper_addr = pgha_keeper_memory(&keeper_size);
	syncrep_addr = pgha_syncrep_memory(&syncrep_size);
	TopMemoryContext = sim_context_create("top");
	top_cxt = TopMemoryContext;
	CurrentMemoryContext = top_cxt;
	pgha_namespace = "/scale/";
	pgha_etcd_hosts = argv[1];
	/* pgha.etcd_health_interval (30 s by default): PGHA_SCALE_HEALTH_INTERVAL */
	if (getenv("PGHA_SCALE_HEALTH_INTERVAL") && getenv("PGHA_SCALE_HEALTH_INTERVAL")[0])
		pgha_etcd_health_interval = atoi(getenv("PGHA_SCALE_HEALTH_INTERVAL"));

	put_config(argv[1], first, count, ttl, loop_wait, retry_timeout, failsafe);
	pgha_etcd_call_observer = time_call;
	if (probe_every_us > 0)
	{
		PghaEtcdConfig cfg = {.hosts = argv[1], .default_scheme = "http", .timeout_ms = 1000};
		char		err[256];

		probe = pgha_etcd_create(&cfg, err, sizeof(err));
		if (probe == NULL)
		{
			fprintf(stderr, "scale_keeper: %s\n", err);
			return 1;
		}
		/* from the process's own etcd member, as its first cluster's first node */
		probe->current = first % probe->nurls;
		snprintf(probe_key, sizeof(probe_key), "/scale/c%d/pgha-scale-probe", first);
		probe_cxt = sim_context_create("probe");
		probe_next_us = pgha_now_us() + sim_rand_range(0, probe_every_us);
	}

	clusters = calloc(count, sizeof(Cluster));
	nmembers = count * MEMBERS;
	members = calloc(nmembers, sizeof(Member));
	for (int c = 0; c < count; c++)
	{
		Cluster    *cl = &clusters[c];

		snprintf(cl->scope, sizeof(cl->scope), "c%d", first + c);
		cl->leader = -1;
		sim_nodes = cl->nodes;
		for (int i = 0; i < MEMBERS; i++)
		{
			SimNode    *n = &cl->nodes[i];
			Member	   *m = &members[c * MEMBERS + i];
			PghaEtcdConfig cfg = {.hosts = argv[1], .default_scheme = "http", .timeout_ms = 1000};
			char		err[256];

			n->id = i;
			snprintf(n->name, sizeof(n->name), "node%d", i + 1);
			n->port = 5001 + i;
			n->clock_rate = 1.0;
			/* no client writes: the log holds what promotions and checkpoints add */
			n->wal = calloc(1024, sizeof(SimRecord));
			n->keeper_mem = calloc(1, keeper_size);
			n->syncrep_mem = calloc(1, syncrep_size);
			n->iter_cxt = sim_context_create("iteration");
			sim_pg_init(n, i == 0);
			n->worker_alive = true;
			n->state.etcd_failures_tolerated = -1;
			m->cluster = cl;
			m->node = n;
			m->in_recovery = n->in_recovery;
			m->etcd = pgha_etcd_create(&cfg, err, sizeof(err));
			if (m->etcd == NULL)
			{
				fprintf(stderr, "scale_keeper: %s\n", err);
				return 1;
			}
			/* each node lists its own etcd member first, as a DBA sets it up */
			m->etcd->current = (c + i) % m->etcd->nurls;
			/* the workers start within a loop of each other, not in lockstep */
			m->due_us = pgha_now_us() + sim_rand_range(0, (int64) loop_wait * 1000000);
		}
	}
	sim_nodes = NULL;

	start_us = pgha_now_us() + (int64) (start_wall - time(NULL)) * 1000000;
	end_us = start_us + (int64) seconds * 1000000;
	pfd = malloc(sizeof(struct pollfd) * sock_cap);
	pfd_owner = malloc(sizeof(int) * sock_cap);
	for (;;)
	{
		int64		now = pgha_now_us();
		int64		next = INT64_MAX;
		int			npfd = 0;
		int			ready;

		if (now >= end_us)
			break;
		counting = now >= start_us;
		for (int k = 0; k < nmembers; k++)
		{
			if (!members[k].node->running || !members[k].node->worker_alive)
				restart(&members[k]);
			if (!members[k].node->running || !members[k].node->worker_alive)
				continue;
			if (members[k].due_us <= pgha_now_us())
			{
				run_member(&members[k]);
				/* what the iteration's calls read off the watch's socket already */
				look_at_watch(&members[k]);
			}
			next = Min(next, members[k].due_us);
		}
		if (probe != NULL)
		{
			if (pgha_now_us() >= probe_next_us)
			{
				probe_put();
				/* what the put's own wait read off the watch's socket already */
				probe_read();
			}
			next = Min(next, probe_next_us);
		}
		/* until the next iteration is due: the watches */
		for (int fd = 0; fd < sock_top; fd++)
			if (sock_owner[fd] >= 0 || sock_owner[fd] == PROBE_OWNER)
			{
				pfd[npfd].fd = fd;
				pfd[npfd].events = POLLIN;
				pfd_owner[npfd++] = sock_owner[fd];
			}
		now = pgha_now_us();
		ready = poll(pfd, npfd, next > now ? (int) Min((next - now) / 1000 + 1, 1000) : 0);
		for (int i = 0; ready > 0 && i < npfd; i++)
			if (pfd[i].revents != 0 && pfd_owner[i] == PROBE_OWNER)
				probe_read();
			else if (pfd[i].revents != 0)
				look_at_watch(&members[pfd_owner[i]]);
	}

	printf("iterations=%ld failed=%ld errors=%ld lost_leases=%ld leader_changes=%ld promotions=%ld fences=%ld",
		   stats.iterations, stats.failed, stats.errors, stats.lost_leases,
		   stats.leader_changes, stats.promotions, stats.fences);
	{
		long		leaderless = 0;

		for (int c = 0; c < count; c++)
		{
			leaderless += !clusters[c].had_leader;
			/* what its members last decided, to tell why */
			if (!clusters[c].had_leader)
				for (int i = 0; i < MEMBERS; i++)
				{
					Member	   *m = &members[c * MEMBERS + i];

					enter(m);
					fprintf(stderr, "scale_keeper: %s %s without a leader: %s, last rule %s, %s\n",
							clusters[c].scope, m->node->name,
							m->node->running ? (m->node->in_recovery ? "standby" : "primary") : "stopped",
							K.last_rule[0] ? K.last_rule : "(none)", K.proof.is_leader ? "leads" : "does not lead");
					leave(m);
				}
		}
		printf(" leaderless=%ld", leaderless);
	}
	print_hist("iteration", stats.hist);
	print_hist("late", stats.late_hist);
	for (int k = 0; k < NCALLS; k++)
	{
		printf(" %s_calls=%ld %s_unanswered=%ld", call_name[k], stats.calls[k],
			   call_name[k], stats.unanswered[k]);
		print_hist(call_name[k], stats.call_hist[k]);
	}
	printf(" probe_puts=%ld probes=%ld", stats.probe_puts, stats.probes);
	print_hist("watch", stats.watch_hist);
	printf(" seconds=%.1f\n", (pgha_now_us() - start_us) / 1e6);
	fflush(stdout);

	/* let the keys go with their leases, as a planned stop would */
	for (int k = 0; k < nmembers; k++)
	{
		enter(&members[k]);
		if (K.lease.id != 0)
			(void) pgha_etcd_lease_revoke(members[k].etcd, K.lease.id);
		leave(&members[k]);
	}
	return 0;
}
