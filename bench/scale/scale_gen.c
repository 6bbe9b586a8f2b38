/*-------------------------------------------------------------------------
 *
 * scale_gen.c
 *		Many virtual clusters' etcd traffic, replayed with pgha's own etcd
 *		client (src/shared), for bench/scale/scale.py.
 *
 * Each virtual cluster has members that hold a lease, a member key on it,
 * a leader key (the first member) and a status key, as a real cluster
 * does.  Each member then sends, at the rates the mix gives (requests per
 * second per cluster, measured from real pgha and Patroni nodes with
 * etcd's per-method counters), the requests a real member sends:
 * keepalives of its lease, reads of its cluster's prefix, puts of its
 * member key, the leader's status and guarded leader-key writes, and etcd
 * health checks.  It is a replay of the measured traffic, not the keeper's
 * state machine: it answers how many clusters one etcd carries, not how
 * the keeper behaves under load.
 *
 * One process runs a slice of the clusters, one request at a time (as a
 * keeper does); the runner starts several.  At the end it prints one line
 * of counters: per method the requests, the errors and a latency
 * histogram, how late the schedule ran, and the leases lost (a keepalive
 * that found its lease gone: a real member would have lost its key, and a
 * leader its leadership).
 *
 * Usage: scale_gen URLS FIRST COUNT MEMBERS TTL SECONDS START MIX
 *	 URLS	 etcd client URLs, comma-separated
 *	 FIRST, COUNT  the clusters c<FIRST> .. c<FIRST+COUNT-1> under /scale/
 *	 START	 wall-clock second at which the measured window begins (the
 *			 schedule runs from the end of the setup on, uncounted before)
 *	 MIX	 rate=method:who,... with who "each" (every member) or
 *			 "leader"; rate in requests/s per cluster
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  bench/scale/scale_gen.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

#include "shared/clock.h"
#include "shared/etcd.h"

typedef enum Method
{
	M_KEEPALIVE,
	M_RANGE,
	M_PUT,
	M_STATUS_PUT,
	M_TXN,
	M_STATUS,
	M_MEMBERLIST,
	M_COUNT
} Method;

static const char *method_names[M_COUNT] = {
	"keepalive", "range", "put", "status_put", "txn", "status", "memberlist"
};

/* latency buckets: upper bounds in ms, the last one open */
static const double bucket_ms[] = {0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
#define NBUCKETS (lengthof(bucket_ms) + 1)

typedef struct Stats
{
	long		requests[M_COUNT];
	long		errors[M_COUNT];
	long		hist[M_COUNT][NBUCKETS];
	long		late_hist[NBUCKETS];	/* how far behind schedule a request was sent */
	long		lost_leases;
} Stats;

typedef struct Task
{
	int			member;			/* index into members */
	Method		method;
	int64		period_us;
	int64		due_us;
} Task;

typedef struct Member
{
	int			cluster;
	int			index;
	int64		lease;
	char		key[96];
	char		prefix[64];
	char		leader_key[96];
	char		status_key[96];
} Member;

static PghaEtcd *etcd;
static char *urls[16];
static int	nurls;
static Stats stats;
static int	lease_ttl;

/*
 * The tasks as a binary min-heap on due_us: the next send is tasks[0].
 * A scan of every task per request cost the generator more CPU than its
 * requests did at thousands of clusters.
 */
static void
sift_down(Task *tasks, int n, int i)
{
	for (;;)
	{
		int			least = i;
		int			l = 2 * i + 1;
		int			r = l + 1;
		Task		tmp;

		if (l < n && tasks[l].due_us < tasks[least].due_us)
			least = l;
		if (r < n && tasks[r].due_us < tasks[least].due_us)
			least = r;
		if (least == i)
			return;
		tmp = tasks[i];
		tasks[i] = tasks[least];
		tasks[least] = tmp;
		i = least;
	}
}

static int
bucket(double ms)
{
	int			b = 0;

	while (b < (int) lengthof(bucket_ms) && ms > bucket_ms[b])
		b++;
	return b;
}

static void
die(const char *what)
{
	fprintf(stderr, "scale_gen: %s: %s\n", what, etcd->errmsg);
	exit(1);
}

/* a member key's value, about the size of a real one */
static const char *
member_value(const Member *m, long n)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
			 "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"http://127.0.0.1:8008/patroni\","
			 "\"state\":\"running\",\"role\":\"%s\",\"version\":\"pgha-1.0\",\"xlog_location\":%ld,"
			 "\"timeline\":1,\"tags\":{},\"pgha_receive_lsn\":%ld,\"pgha_replay_lsn\":%ld}",
			 m->index == 0 ? "primary" : "replica", n * 8192, n * 8192, n * 8192);
	return buf;
}

static bool
grant(Member *m)
{
	int64		ttl;

	return pgha_etcd_lease_grant(etcd, lease_ttl, &m->lease, &ttl);
}

static void
setup(Member *m)
{
	PghaEtcdTxn t;
	PghaEtcdTxnResult r;

	if (!grant(m))
		die("lease grant");
	if (!pgha_etcd_put(etcd, m->key, member_value(m, 1), m->lease, NULL))
		die("member put");
	if (m->index != 0)
		return;
	memset(&t, 0, sizeof(t));
	pgha_etcd_txn_equal(&t, m->leader_key, PGHA_CMP_CREATE, 0, NULL);
	pgha_etcd_txn_put(&t, m->leader_key, "m0", m->lease);
	if (!pgha_etcd_txn(etcd, &t, &r))
		die("leader txn");
	if (!pgha_etcd_put(etcd, m->status_key, "{\"optime\":8192,\"slots\":{},\"retain_slots\":[\"m0\",\"m1\",\"m2\"]}", 0, NULL))
		die("status put");
}

/* one request; false if etcd refused or did not answer */
static bool
send_one(Member *m, Method method, long n, bool counted)
{
	switch (method)
	{
		case M_KEEPALIVE:
			{
				int64		ttl;

				if (!pgha_etcd_lease_keepalive(etcd, m->lease, &ttl))
				{
					if (etcd->err != PGHA_ETCD_LEASE_NOT_FOUND)
						return false;
					ttl = 0;
				}
				if (ttl <= 0)
				{
					if (counted)
						stats.lost_leases++;
					if (grant(m))
						(void) pgha_etcd_put(etcd, m->key, member_value(m, n), m->lease, NULL);
				}
				return true;
			}
		case M_RANGE:
			{
				PghaEtcdRange r;

				return pgha_etcd_range(etcd, m->prefix, true, &r);
			}
		case M_PUT:
			return pgha_etcd_put(etcd, m->key, member_value(m, n), m->lease, NULL);
		case M_STATUS_PUT:
			{
				char		v[128];

				snprintf(v, sizeof(v), "{\"optime\":%ld,\"slots\":{},\"retain_slots\":[\"m0\",\"m1\",\"m2\"]}", n * 8192);
				return pgha_etcd_put(etcd, m->status_key, v, 0, NULL);
			}
		case M_TXN:
			{
				PghaEtcdTxn t;
				PghaEtcdTxnResult r;

				memset(&t, 0, sizeof(t));
				pgha_etcd_txn_equal(&t, m->leader_key, PGHA_CMP_VALUE, 0, "m0");
				pgha_etcd_txn_put(&t, m->leader_key, "m0", m->lease);
				return pgha_etcd_txn(etcd, &t, &r);
			}
		case M_STATUS:
			{
				PghaEtcdStatus s;

				return pgha_etcd_status(etcd, urls[n % nurls], &s);
			}
		case M_MEMBERLIST:
			{
				PghaEtcdMember *members;
				int			nm;

				return pgha_etcd_member_list(etcd, &members, &nm);
			}
		default:
			return false;
	}
}

static Method
method_by_name(const char *name)
{
	for (int i = 0; i < M_COUNT; i++)
		if (strcmp(method_names[i], name) == 0)
			return (Method) i;
	fprintf(stderr, "scale_gen: unknown method \"%s\"\n", name);
	exit(2);
}

static void
print_stats(double seconds)
{
	printf("seconds=%.3f lost_leases=%ld late=", seconds, stats.lost_leases);
	for (int b = 0; b < (int) NBUCKETS; b++)
		printf("%s%ld", b ? ":" : "", stats.late_hist[b]);
	for (int i = 0; i < M_COUNT; i++)
	{
		if (stats.requests[i] == 0)
			continue;
		printf(" %s=%ld/%ld/", method_names[i], stats.requests[i], stats.errors[i]);
		for (int b = 0; b < (int) NBUCKETS; b++)
			printf("%s%ld", b ? ":" : "", stats.hist[i][b]);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	PghaEtcdConfig cfg;
	char		err[256];
	char	   *list;
	int			first, count, nmembers, seconds;
	long		start_wall;
	Member	   *members;
	Task	   *tasks;
	int			ntasks = 0;
	int64		begin_us, start_us, end_us;
	long		n = 1;

	if (argc != 9)
	{
		fprintf(stderr, "usage: scale_gen URLS FIRST COUNT MEMBERS TTL SECONDS START MIX\n");
		return 2;
	}
	first = atoi(argv[2]);
	count = atoi(argv[3]);
	nmembers = atoi(argv[4]);
	lease_ttl = atoi(argv[5]);
	seconds = atoi(argv[6]);
	start_wall = atol(argv[7]);
	list = pstrdup(argv[1]);
	for (char *u = strtok(list, ","); u && nurls < (int) lengthof(urls); u = strtok(NULL, ","))
		urls[nurls++] = u;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hosts = argv[1];
	cfg.default_scheme = "http";
	cfg.timeout_ms = 5000;
	etcd = pgha_etcd_create(&cfg, err, sizeof(err));
	if (etcd == NULL)
	{
		fprintf(stderr, "scale_gen: %s\n", err);
		return 1;
	}

	members = palloc0(sizeof(Member) * count * nmembers);
	for (int c = 0; c < count; c++)
		for (int i = 0; i < nmembers; i++)
		{
			Member	   *m = &members[c * nmembers + i];

			m->cluster = first + c;
			m->index = i;
			snprintf(m->prefix, sizeof(m->prefix), "/scale/c%d/", m->cluster);
			snprintf(m->key, sizeof(m->key), "%smembers/m%d", m->prefix, i);
			snprintf(m->leader_key, sizeof(m->leader_key), "%sleader", m->prefix);
			snprintf(m->status_key, sizeof(m->status_key), "%sstatus", m->prefix);
			setup(m);
		}

	/* the mix: one task per member and method, at rate / members (or the leader's) */
	tasks = palloc0(sizeof(Task) * count * nmembers * M_COUNT);
	srandom((unsigned) (getpid() ^ first));
	for (char *item = strtok(argv[8], ","); item; item = strtok(NULL, ","))
	{
		double		rate;
		char		name[32];
		char		who[16];

		if (sscanf(item, "%lf=%31[a-z_]:%15[a-z]", &rate, name, who) != 3 || rate <= 0)
		{
			fprintf(stderr, "scale_gen: bad mix item \"%s\"\n", item);
			return 2;
		}
		for (int k = 0; k < count * nmembers; k++)
		{
			bool		leader_only = strcmp(who, "leader") == 0;
			double		per_member = leader_only ? rate : rate / nmembers;

			if (leader_only && members[k].index != 0)
				continue;
			tasks[ntasks].member = k;
			tasks[ntasks].method = method_by_name(name);
			tasks[ntasks].period_us = (int64) (1e6 / per_member);
			ntasks++;
		}
	}

	/*
	 * The schedule runs from the end of the setup (leases must be kept
	 * alive), each task's first send spread over its period; what is sent
	 * before the common start is not counted.
	 */
	begin_us = pgha_now_us();
	start_us = begin_us + (int64) (start_wall - time(NULL)) * 1000000;
	for (int k = 0; k < ntasks; k++)
		tasks[k].due_us = begin_us + random() % tasks[k].period_us;
	for (int k = ntasks / 2 - 1; k >= 0; k--)
		sift_down(tasks, ntasks, k);
	end_us = start_us + (int64) seconds * 1000000;

	for (;;)
	{
		Task	   *t = &tasks[0];
		int64		now;
		int64		sent;
		bool		ok;
		bool		counted;

		if (ntasks == 0 || t->due_us >= end_us)
			break;
		now = pgha_now_us();
		if (t->due_us > now)
		{
			usleep((useconds_t) Min(t->due_us - now, 100000));
			continue;
		}
		counted = now >= start_us;
		if (counted)
			stats.late_hist[bucket((now - t->due_us) / 1000.0)]++;
		sent = pgha_now_us();
		ok = send_one(&members[t->member], t->method, n++, counted);
		if (counted)
		{
			stats.requests[t->method]++;
			if (!ok)
				stats.errors[t->method]++;
			stats.hist[t->method][bucket((pgha_now_us() - sent) / 1000.0)]++;
		}
		t->due_us += t->period_us;
		sift_down(tasks, ntasks, 0);
	}
	print_stats((pgha_now_us() - start_us) / 1e6);
	fflush(stdout);

	/* let the keys go with their leases */
	for (int k = 0; k < count * nmembers; k++)
		(void) pgha_etcd_lease_revoke(etcd, members[k].lease);
	return 0;
}
