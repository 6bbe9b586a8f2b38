/*-------------------------------------------------------------------------
 *
 * unit_etcd.c
 *		The etcd client (frontend build) against a real etcd cluster, and
 *		against a fake server for the answers etcd never gives on purpose
 *		(5xx, garbage, truncated or oversized bodies, silence).
 *
 * scripts/run-unit.sh starts a 3-member etcd cluster with
 * scripts/etcd-cluster.sh and passes its directory in PGHA_TEST_ETCD_DIR.
 * Waits poll with deadlines; nothing sleeps and hopes.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_etcd.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/clock.h"
#include "shared/etcd.h"
#include "unit.h"

static const char *etcd_dir;
static char endpoints[1024];

static bool
read_file(const char *path, char *buf, size_t len)
{
	FILE	   *f = fopen(path, "r");
	size_t		n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

static int
cluster_cmd(const char *fmt,...)
{
	char		cmd[2048];
	char		args[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "bash \"%s/../../scripts/etcd-cluster.sh\" %s >/dev/null 2>&1",
			 getenv("PGHA_TEST_SRCDIR") ? getenv("PGHA_TEST_SRCDIR") : ".", args);
	return system(cmd);
}

static PghaEtcd *
client(const char *hosts, const char *user, const char *password, int timeout_ms)
{
	PghaEtcdConfig cfg;
	char		err[256];
	PghaEtcd   *e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hosts = hosts;
	cfg.default_scheme = "http";
	cfg.user = user;
	cfg.password = password;
	cfg.timeout_ms = timeout_ms;
	e = pgha_etcd_create(&cfg, err, sizeof(err));
	if (e == NULL)
		diag("client: %s", err);
	return e;
}

/* ---- a fake HTTP server that answers every connection with one reply ---- */

typedef struct Fake
{
	pid_t		pid;
	int			port;
} Fake;

static Fake
fake_start(const char *reply, size_t reply_len, bool hang)
{
	Fake		f = {0, 0};
	struct sockaddr_in addr;
	socklen_t	alen = sizeof(addr);
	int			one = 1;
	int			ls = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	if (bind(ls, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(ls, 8) != 0)
		return f;
	getsockname(ls, (struct sockaddr *) &addr, &alen);
	f.port = ntohs(addr.sin_port);
	fflush(stdout);
	f.pid = fork();
	if (f.pid == 0)
	{
		for (;;)
		{
			char		buf[65536];
			int			c = accept(ls, NULL, NULL);
			size_t		off = 0;

			if (c < 0)
				_exit(0);
			(void) !read(c, buf, sizeof(buf));
			if (hang)
			{
				pause();
				_exit(0);
			}
			while (off < reply_len)
			{
				ssize_t		w = write(c, reply + off, reply_len - off);

				if (w <= 0)
					break;
				off += w;
			}
			close(c);
		}
	}
	close(ls);
	return f;
}

static void
fake_stop(Fake f)
{
	if (f.pid > 0)
	{
		kill(f.pid, SIGKILL);
		waitpid(f.pid, NULL, 0);
	}
}

static void
test_fake_server(void)
{
	static const char e503[] =
		"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 71\r\n\r\n"
		"{\"error\":\"etcdserver: request timed out\",\"message\":\"x\",\"code\":14}   ";
	static const char garbage[] =
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 8\r\n\r\nnot json";
	static const char truncated[] =
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{\"hea";
	static const char notfound[] =
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 18\r\n\r\n404 page not found";
	Fake		f;
	PghaEtcd   *e;
	PghaEtcdRange r;
	char		hosts[1200];
	int64		t0;
	char	   *big;
	size_t		biglen;

	/* 503 with a retryable code: move on to the real cluster */
	f = fake_start(e503, sizeof(e503) - 1, false);
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%d,%s", f.port, endpoints);
	e = client(hosts, NULL, NULL, 1000);
	ok(e && pgha_etcd_range(e, "/pgha-unit/none", false, &r), "HTTP 503 moves on to the next endpoint");
	ok(e && e->current != 0, "the endpoint that worked is remembered (%d)", e ? e->current : -1);
	pgha_etcd_destroy(e);
	fake_stop(f);

	/* 200 with garbage: a protocol error, not a value */
	f = fake_start(garbage, sizeof(garbage) - 1, false);
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%d", f.port);
	e = client(hosts, NULL, NULL, 1000);
	ok(e && !pgha_etcd_range(e, "/x", false, &r) && e->err == PGHA_ETCD_PROTOCOL,
	   "HTTP 200 with a non-JSON body is a protocol error: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);
	fake_stop(f);

	/* truncated body: the transport notices */
	f = fake_start(truncated, sizeof(truncated) - 1, false);
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%d", f.port);
	e = client(hosts, NULL, NULL, 1000);
	ok(e && !pgha_etcd_range(e, "/x", false, &r) && e->err == PGHA_ETCD_UNREACHABLE,
	   "a truncated body is a failed transfer: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);
	fake_stop(f);

	/* plain-text 404 (wrong URL prefix) */
	f = fake_start(notfound, sizeof(notfound) - 1, false);
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%d", f.port);
	e = client(hosts, NULL, NULL, 1000);
	ok(e && !pgha_etcd_range(e, "/x", false, &r) && e->err == PGHA_ETCD_PROTOCOL &&
	   e->http_status == 404, "a plain-text 404 is a protocol error: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);
	fake_stop(f);

	/* oversized body: refused, not buffered without end */
	biglen = PGHA_HTTP_MAX_BODY + 1024;
	big = malloc(biglen + 200);
	{
		int			h = snprintf(big, 200,
								 "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n", biglen);

		memset(big + h, ' ', biglen);
		f = fake_start(big, h + biglen, false);
	}
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%d", f.port);
	e = client(hosts, NULL, NULL, 5000);
	ok(e && !pgha_etcd_range(e, "/x", false, &r) && strstr(e->errmsg, "larger than") != NULL,
	   "an oversized body is refused: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);
	fake_stop(f);
	free(big);

	/* a server that accepts and never answers: bounded by the timeout */
	f = fake_start("", 0, true);
	snprintf(hosts, sizeof(hosts), "127.0.0.1:%d", f.port);
	e = client(hosts, NULL, NULL, 300);
	t0 = pgha_now_us();
	ok(e && !pgha_etcd_range(e, "/x", false, &r) && e->err == PGHA_ETCD_UNREACHABLE,
	   "a silent server times out: %s", e ? e->errmsg : "");
	ok(pgha_now_us() - t0 < 1000000, "and within the 300 ms limit (%ld ms)",
	   (long) ((pgha_now_us() - t0) / 1000));

	/*
	 * A deadline bounds all the calls together (a leader's iteration: its
	 * fence deadline): three calls of 300 ms each end in 400 ms.
	 */
	e->deadline_us = pgha_now_us() + 400000;
	t0 = pgha_now_us();
	(void) pgha_etcd_range(e, "/x", false, &r);
	(void) pgha_etcd_range(e, "/y", false, &r);
	(void) pgha_etcd_range(e, "/z", false, &r);
	ok(pgha_now_us() - t0 < 650000, "three calls under a 400 ms deadline took %ld ms (each may take 300)",
	   (long) ((pgha_now_us() - t0) / 1000));
	pgha_etcd_destroy(e);
	fake_stop(f);
}

static void
test_kv(PghaEtcd *e)
{
	PghaEtcdRange r;
	PghaEtcdTxn txn;
	PghaEtcdTxnResult t;
	int64		rev;
	int64		deleted;
	int64		mod;

	pgha_etcd_delete(e, "/pgha-unit/", true, NULL);
	ok(pgha_etcd_put(e, "/pgha-unit/a", "1", 0, &rev) && rev > 0, "put returns a revision");
	ok(pgha_etcd_put(e, "/pgha-unit/b", "{\"x\":\"\\u00e9\"}", 0, NULL), "put of JSON text");
	ok(pgha_etcd_put(e, "/pgha-unit0", "outside", 0, NULL), "put of a key just past the prefix");
	ok(pgha_etcd_range(e, "/pgha-unit/", true, &r) && r.nkvs == 2 && r.count == 2,
	   "prefix range finds exactly the two keys under the prefix");
	ok(r.nkvs == 2 && strcmp(r.kvs[1].value, "{\"x\":\"\\u00e9\"}") == 0, "values round-trip");
	ok(pgha_etcd_range(e, "/pgha-unit/none", false, &r) && r.nkvs == 0, "a missing key gives no kvs");
	ok(pgha_etcd_delete(e, "/pgha-unit/", true, &deleted) && deleted == 2, "prefix delete removes 2");
	ok(pgha_etcd_delete(e, "/pgha-unit/", true, &deleted) && deleted == 0, "deleting nothing gives 0");
	pgha_etcd_delete(e, "/pgha-unit0", false, NULL);

	/* create-if-absent: the winner, then the loser who learns the winner */
	memset(&txn, 0, sizeof(txn));
	txn.ncompare = 1;
	txn.compare[0] = (PghaEtcdCompare) {"/pgha-unit/leader", PGHA_CMP_CREATE, PGHA_CMP_EQUAL, 0, NULL};
	txn.nsuccess = 1;
	txn.success[0] = (PghaEtcdOp) {PGHA_OP_PUT, "/pgha-unit/leader", false, "node1", 0};
	txn.nfailure = 1;
	txn.failure[0] = (PghaEtcdOp) {PGHA_OP_RANGE, "/pgha-unit/leader", false, NULL, 0};
	ok(pgha_etcd_txn(e, &txn, &t) && t.succeeded, "first create-if-absent wins");
	txn.success[0].value = "node2";
	ok(pgha_etcd_txn(e, &txn, &t) && !t.succeeded, "second create-if-absent loses");
	ok(t.nresponses == 1 && t.responses[0].nkvs == 1 &&
	   strcmp(t.responses[0].kvs[0].value, "node1") == 0, "the loser sees node1 holds the key");

	/* CAS on mod_revision */
	ok(pgha_etcd_put(e, "/pgha-unit/config", "{\"ttl\":30}", 0, NULL), "config written");
	pgha_etcd_range(e, "/pgha-unit/config", false, &r);
	mod = r.nkvs ? r.kvs[0].mod_revision : -1;
	memset(&txn, 0, sizeof(txn));
	txn.ncompare = 1;
	txn.compare[0] = (PghaEtcdCompare) {"/pgha-unit/config", PGHA_CMP_MOD, PGHA_CMP_EQUAL, mod, NULL};
	txn.nsuccess = 1;
	txn.success[0] = (PghaEtcdOp) {PGHA_OP_PUT, "/pgha-unit/config", false, "{\"ttl\":20}", 0};
	ok(pgha_etcd_txn(e, &txn, &t) && t.succeeded, "CAS with the current mod_revision succeeds");
	ok(pgha_etcd_txn(e, &txn, &t) && !t.succeeded, "CAS with a stale mod_revision fails (txn conflict)");

	/* value compare guards (leader renew) */
	memset(&txn, 0, sizeof(txn));
	txn.ncompare = 1;
	txn.compare[0] = (PghaEtcdCompare) {"/pgha-unit/leader", PGHA_CMP_VALUE, PGHA_CMP_EQUAL, 0, "node2"};
	txn.nsuccess = 1;
	txn.success[0] = (PghaEtcdOp) {PGHA_OP_DELETE, "/pgha-unit/leader", false, NULL, 0};
	ok(pgha_etcd_txn(e, &txn, &t) && !t.succeeded, "node2 cannot release node1's leader key");
	txn.compare[0].value = "node1";
	ok(pgha_etcd_txn(e, &txn, &t) && t.succeeded, "node1 releases its own leader key");
	pgha_etcd_range(e, "/pgha-unit/leader", false, &r);
	ok(r.nkvs == 0, "leader key gone");

	/* bad request: etcd rejects, no retry elsewhere */
	ok(!pgha_etcd_put(e, "", "x", 0, NULL) && e->err == PGHA_ETCD_REJECTED,
	   "an empty key is rejected by etcd: %s", e->errmsg);
}

/*
 * Past its deadline a call is not sent at all.  Sent with what was left,
 * a millisecond, a put still reached etcd on loopback and was applied:
 * a leader's worker that stood still past its fence deadline wrote the
 * history key over its successor's that way.
 */
static void
test_past_deadline(PghaEtcd *e, PghaEtcd *writer)
{
	PghaEtcdRange r;
	int			sent = 0;
	bool		said = true;

	ok(pgha_etcd_put(writer, "/pgha-unit/late", "before", 0, NULL), "a key to write late");
	/* the connection is up: a late request would go out at once */
	(void) pgha_etcd_range(e, "/pgha-unit/late", false, &r);
	for (int i = 0; i < 20; i++)
	{
		e->deadline_us = pgha_now_us() - 1;
		if (pgha_etcd_put(e, "/pgha-unit/late", "after the deadline", 0, NULL))
			sent++;
		said = said && e->err == PGHA_ETCD_UNREACHABLE && strstr(e->errmsg, "deadline") != NULL;
	}
	e->deadline_us = 0;
	ok(sent == 0 && said, "20 puts past the deadline fail without being sent: %s", e->errmsg);
	ok(pgha_etcd_range(writer, "/pgha-unit/late", false, &r) && r.nkvs == 1 &&
	   strcmp(r.kvs[0].value, "before") == 0, "etcd got none of them: %s",
	   r.nkvs == 1 ? r.kvs[0].value : "(no key)");
	ok(pgha_etcd_put(e, "/pgha-unit/late", "in time", 0, NULL), "without a deadline the client works again");
	pgha_etcd_delete(writer, "/pgha-unit/late", false, NULL);
}

static void
test_leases(PghaEtcd *e)
{
	int64		id;
	int64		ttl;
	int64		granted;
	int64		t0;
	PghaEtcdRange r;
	bool		gone = false;

	ok(pgha_etcd_lease_grant(e, 1, &id, &granted) && granted >= 2,
	   "lease of TTL 1 is raised to etcd's minimum (%lld)", (long long) granted);
	ok(pgha_etcd_lease_grant(e, 5, &id, &granted) && granted == 5 && id != 0, "lease of 5 s granted");
	ok(pgha_etcd_put(e, "/pgha-unit/member", "m", id, NULL), "put attached to the lease");
	pgha_etcd_range(e, "/pgha-unit/member", false, &r);
	ok(r.nkvs == 1 && r.kvs[0].lease == id, "the key carries the lease id");
	ok(pgha_etcd_lease_keepalive(e, id, &ttl) && ttl == 5, "keepalive renews to the full TTL");
	ok(pgha_etcd_lease_timetolive(e, id, &ttl, &granted) && granted == 5 && ttl > 0 && ttl <= 5,
	   "timetolive reports the remaining TTL");
	ok(pgha_etcd_lease_revoke(e, id), "revoke");
	pgha_etcd_range(e, "/pgha-unit/member", false, &r);
	ok(r.nkvs == 0, "revoke deletes the attached key");
	ok(!pgha_etcd_lease_keepalive(e, id, &ttl) && ttl == 0 && e->err == PGHA_ETCD_LEASE_NOT_FOUND,
	   "keepalive of a revoked lease says lost (200 without TTL)");
	ok(!pgha_etcd_put(e, "/pgha-unit/member", "m", id, NULL) && e->err == PGHA_ETCD_LEASE_NOT_FOUND,
	   "put with a dead lease: lease not found");
	ok(pgha_etcd_lease_timetolive(e, id, &ttl, &granted) && ttl == -1,
	   "timetolive of an unknown lease is -1");

	/* expiry without keepalive: the key disappears after about the TTL */
	ok(pgha_etcd_lease_grant(e, 2, &id, &granted), "lease of 2 s for the expiry test");
	pgha_etcd_put(e, "/pgha-unit/expiring", "x", id, NULL);
	t0 = pgha_now_us();
	while (pgha_now_us() - t0 < 10 * 1000000LL)
	{
		if (pgha_etcd_range(e, "/pgha-unit/expiring", false, &r) && r.nkvs == 0)
		{
			gone = true;
			break;
		}
		pgha_etcd_wait(e, 50);
	}
	ok(gone, "the leased key expired by itself");
	ok(pgha_now_us() - t0 >= 1500000, "but not before the TTL (%ld ms)",
	   (long) ((pgha_now_us() - t0) / 1000));
}

/* wait up to timeout_ms for a watch frame with at least one event */
static bool
next_event_frame(PghaEtcd *e, PghaEtcdWatchFrame *f, long timeout_ms)
{
	int64		deadline = pgha_now_us() + timeout_ms * 1000;

	while (pgha_now_us() < deadline)
	{
		if (pgha_etcd_watch_next(e, f))
		{
			if (f->nevents > 0)
				return true;
			continue;
		}
		if (e->err != PGHA_ETCD_OK)
			return false;
		pgha_etcd_wait(e, pgha_ms_until(deadline));
	}
	return false;
}

static void
test_watch(PghaEtcd *e, PghaEtcd *writer)
{
	PghaEtcdWatchFrame f;
	PghaEtcdRange r;
	int64		t0;

	pgha_etcd_range(e, "/pgha-unit/", true, &r);
	ok(pgha_etcd_watch_start(e, "/pgha-unit/", r.header.revision + 1), "watch started");
	pgha_etcd_put(writer, "/pgha-unit/w1", "hello", 0, NULL);
	t0 = pgha_now_us();
	ok(next_event_frame(e, &f, 5000) && f.events[0].type == PGHA_EVENT_PUT &&
	   strcmp(f.events[0].kv.key, "/pgha-unit/w1") == 0 &&
	   strcmp(f.events[0].kv.value, "hello") == 0, "watch delivers the PUT event");
	ok(pgha_now_us() - t0 < 1000000, "within a second (%ld ms)", (long) ((pgha_now_us() - t0) / 1000));
	pgha_etcd_delete(writer, "/pgha-unit/w1", false, NULL);
	ok(next_event_frame(e, &f, 5000) && f.events[0].type == PGHA_EVENT_DELETE &&
	   strcmp(f.events[0].kv.key, "/pgha-unit/w1") == 0, "watch delivers the DELETE event");
	ok(e->watch_next_revision == f.header.revision + 1, "resume revision follows the stream");

	/* a unary call while the watch runs (same multi handle) */
	ok(pgha_etcd_put(e, "/pgha-unit/w2", "own", 0, NULL), "a request works while the watch is open");
	ok(next_event_frame(e, &f, 5000) && strcmp(f.events[0].kv.key, "/pgha-unit/w2") == 0,
	   "and the watch sees our own write");
	pgha_etcd_watch_stop(e);
	ok(!e->watching, "watch stopped");
}

/*
 * What pgha.etcd_members() and the worker's quorum check are built on:
 * member list and maintenance status of every member, on the real cluster
 * (all three members up: before test_endpoint_failover kills one).
 */
static void
test_cluster_info(PghaEtcd *e)
{
	PghaEtcdMember *members;
	int			n,
				i,
				answered = 0,
				leaders = 0;
	uint64		leader = 0;
	bool		same_leader = true;
	PghaEtcdStatus st;

	ok(pgha_etcd_member_list(e, &members, &n) && n == 3, "member list: 3 members (%d)", n);
	for (i = 0; i < n; i++)
	{
		ok(members[i].id != 0 && members[i].name && members[i].name[0] &&
		   members[i].client_url && strncmp(members[i].client_url, "http://127.0.0.1:", 17) == 0 &&
		   members[i].peer_url != NULL,
		   "member %d: id, name \"%s\", client URL %s, peer URL", i,
		   members[i].name ? members[i].name : "", members[i].client_url ? members[i].client_url : "(none)");
		if (members[i].client_url && pgha_etcd_status(e, members[i].client_url, &st))
		{
			answered++;
			if (leader == 0)
				leader = st.leader;
			same_leader &= (st.leader == leader && st.leader != 0);
			leaders += (st.leader == st.header.member_id);
			ok(st.version[0] >= '3' && st.db_size > 0 && st.raft_term > 0 && st.raft_index > 0 &&
			   st.errors[0] == '\0',
			   "status of %s: version %s, db %lld bytes, raft term %llu, index %llu, no errors",
			   members[i].client_url, st.version, (long long) st.db_size,
			   (unsigned long long) st.raft_term, (unsigned long long) st.raft_index);
		}
	}
	ok(answered == 3 && same_leader && leaders == 1,
	   "every member answers status, all name the same leader, and exactly one is it");
	ok(!pgha_etcd_status(e, "http://127.0.0.1:1", &st) && e->err == PGHA_ETCD_UNREACHABLE,
	   "status of a dead endpoint fails cleanly: %s", e->errmsg);
}

static void
test_endpoint_failover(PghaEtcd *e)
{
	PghaEtcdRange r;
	int64		t0;
	bool		ok_after = false;
	int			killed;
	char		url[256];
	char		path[1024];

	/* kill the member the client is using right now */
	ok(pgha_etcd_range(e, "/pgha-unit/", true, &r), "cluster reachable before the kill");
	killed = e->current + 1;
	snprintf(path, sizeof(path), "%s/etcd%d.url", etcd_dir, killed);
	read_file(path, url, sizeof(url));
	diag("killing etcd member %d (%s)", killed, url);
	ok(cluster_cmd("kill \"%s\" %d", etcd_dir, killed) == 0, "member %d killed", killed);

	t0 = pgha_now_us();
	while (pgha_now_us() - t0 < 20 * 1000000LL)
	{
		if (pgha_etcd_put(e, "/pgha-unit/after-kill", "x", 0, NULL))
		{
			ok_after = true;
			break;
		}
		diag("while electing: %s", e->errmsg);
	}
	ok(ok_after, "writes succeed on the surviving members (after %ld ms)",
	   (long) ((pgha_now_us() - t0) / 1000));
	ok(strcmp(pgha_etcd_endpoint(e), url) != 0, "the client moved to %s", pgha_etcd_endpoint(e));
	ok(cluster_cmd("restart \"%s\" %d", etcd_dir, killed) == 0, "member %d restarted", killed);
}

static int
etcdctl(const char *args)
{
	char		cmd[2048];

	snprintf(cmd, sizeof(cmd), "ETCDCTL_API=3 etcdctl --endpoints=%s %s >/dev/null 2>&1",
			 endpoints, args);
	return system(cmd);
}

/* a proxy in the environment is not used: etcd is reached directly */
static void
test_no_proxy(void)
{
	static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"};
	PghaEtcd   *e;
	PghaEtcdRange r;

	/* port 1: nothing listens, a request through it fails at once */
	for (int i = 0; i < (int) lengthof(vars); i++)
		setenv(vars[i], "http://127.0.0.1:1", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	e = client(endpoints, NULL, NULL, 2000);
	ok(e && pgha_etcd_range(e, "/pgha-unit/none", false, &r),
	   "http_proxy and the like in the environment are ignored: %s", e && e->err ? e->errmsg : "reached etcd");
	pgha_etcd_destroy(e);
	for (int i = 0; i < (int) lengthof(vars); i++)
		unsetenv(vars[i]);
}

/* the password file: owner-only, first line */
static void
test_password_file(void)
{
	char		path[] = "/tmp/pgha-unit-pwXXXXXX";
	int			fd = mkstemp(path);
	char		buf[64];
	char		err[256];
	bool		ok_read;

	if (fd < 0 || write(fd, "s3cret\nsecond line\n", 19) != 19)
	{
		ok(false, "could not write a password file");
		return;
	}
	close(fd);
	chmod(path, 0600);
	ok_read = pgha_read_password_file(path, buf, sizeof(buf), err, sizeof(err));
	ok(ok_read && strcmp(buf, "s3cret") == 0, "a 0600 password file gives its first line");
	chmod(path, 0640);
	ok(!pgha_read_password_file(path, buf, sizeof(buf), err, sizeof(err)) &&
	   strstr(err, "has group or world access") != NULL && buf[0] == '\0',
	   "a group-readable one is refused: %s", err);
	chmod(path, 0604);
	ok(!pgha_read_password_file(path, buf, sizeof(buf), err, sizeof(err)),
	   "a world-readable one is refused");
	unlink(path);
	ok(!pgha_read_password_file(path, buf, sizeof(buf), err, sizeof(err)) &&
	   strstr(err, "could not open") != NULL, "a missing one: %s", err);
}

static void
test_auth(void)
{
	PghaEtcd   *e;
	PghaEtcdRange r;
	bool		setup;

	setup = etcdctl("user add root:rootpw") == 0 &&
		etcdctl("user add app:apppw") == 0 &&
		etcdctl("role add pgharole") == 0 &&
		etcdctl("role grant-permission pgharole --prefix=true readwrite /pgha-unit/") == 0 &&
		etcdctl("user grant-role app pgharole") == 0 &&
		etcdctl("auth enable") == 0;
	ok(setup, "etcd authentication enabled (root, app limited to /pgha-unit/)");
	if (!setup)
		return;

	e = client(endpoints, "app", "apppw", 2000);
	ok(e && pgha_etcd_put(e, "/pgha-unit/auth", "ok", 0, NULL), "user app writes inside its prefix");
	ok(e && e->token != NULL, "a token was obtained");
	ok(e && !pgha_etcd_put(e, "/elsewhere", "no", 0, NULL) && e->err == PGHA_ETCD_REJECTED &&
	   strstr(e->errmsg, "permission denied") != NULL, "outside its prefix: %s", e ? e->errmsg : "");

	/* an invalid (e.g. expired) token: re-authenticate once and go on */
	if (e)
	{
		free(e->token);
		e->token = strdup("AAAAAAAAAAAAAAAA.1");
	}
	ok(e && pgha_etcd_range(e, "/pgha-unit/auth", false, &r) && r.nkvs == 1,
	   "an invalid token is replaced and the call retried");
	ok(e && e->token && strcmp(e->token, "AAAAAAAAAAAAAAAA.1") != 0, "with a fresh token");
	pgha_etcd_destroy(e);

	e = client(endpoints, "app", "wrong", 2000);
	ok(e && !pgha_etcd_range(e, "/pgha-unit/auth", false, &r) && e->err == PGHA_ETCD_AUTH_FAILED,
	   "a wrong password fails authentication: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);

	e = client(endpoints, NULL, NULL, 2000);
	ok(e && !pgha_etcd_range(e, "/pgha-unit/auth", false, &r) && e->err == PGHA_ETCD_AUTH_FAILED,
	   "no credentials on an auth-enabled etcd: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);

	ok(etcdctl("--user root:rootpw auth disable") == 0, "authentication disabled again");

	/* a password never goes over plain http to another host */
	{
		PghaEtcdConfig cfg;
		char		err[256];

		memset(&cfg, 0, sizeof(cfg));
		cfg.user = "app";
		cfg.password = "apppw";
		cfg.hosts = "127.0.0.1:2379,10.1.2.3:2379";
		e = pgha_etcd_create(&cfg, err, sizeof(err));
		ok(e == NULL && strstr(err, "\"http://10.1.2.3:2379\"") && strstr(err, "clear text"),
		   "a user with a plain http endpoint on another host is refused: %s", err);
		pgha_etcd_destroy(e);
		cfg.hosts = "127.evil.example.com:2379";
		e = pgha_etcd_create(&cfg, err, sizeof(err));
		ok(e == NULL && strstr(err, "clear text"), "a host name that starts with 127. is no loopback address: %s", err);
		pgha_etcd_destroy(e);
		cfg.hosts = "https://10.1.2.3:2379,localhost:2379,[::1]:2379,127.0.0.2:2379";
		e = pgha_etcd_create(&cfg, err, sizeof(err));
		ok(e != NULL, "https, or plain http to this host, is accepted");
		pgha_etcd_destroy(e);
	}
}

static PghaEtcd *
tls_client(const char *tls, const char *url, const char *ca, bool with_cert)
{
	PghaEtcdConfig cfg;
	char		err[256];
	char		cacert[1024];
	char		cert[1024];
	char		key[1024];
	PghaEtcd   *e;

	snprintf(cacert, sizeof(cacert), "%s/%s", tls, ca);
	snprintf(cert, sizeof(cert), "%s/client.crt", tls);
	snprintf(key, sizeof(key), "%s/client.key", tls);
	memset(&cfg, 0, sizeof(cfg));
	cfg.hosts = url;
	cfg.default_scheme = "http";
	cfg.timeout_ms = 2000;
	cfg.tls.cacert = cacert;
	if (with_cert)
	{
		cfg.tls.cert = cert;
		cfg.tls.key = key;
	}
	e = pgha_etcd_create(&cfg, err, sizeof(err));
	if (e == NULL)
		diag("tls client: %s", err);
	return e;
}

static void
test_tls(void)
{
	const char *tls = getenv("PGHA_TEST_ETCD_TLS_DIR");
	char		path[1024];
	char		url[256];
	char		plain[256];
	PghaEtcd   *e;
	PghaEtcdRange r;

	snprintf(path, sizeof(path), "%s/url", tls ? tls : "");
	if (tls == NULL || !read_file(path, url, sizeof(url)))
	{
		ok(false, "PGHA_TEST_ETCD_TLS_DIR names a running TLS etcd");
		return;
	}
	diag("TLS etcd: %s", url);

	e = tls_client(tls, url, "ca.crt", true);
	ok(e && pgha_etcd_put(e, "/pgha-unit/tls", "secret", 0, NULL) &&
	   pgha_etcd_range(e, "/pgha-unit/tls", false, &r) && r.nkvs == 1 &&
	   strcmp(r.kvs[0].value, "secret") == 0,
	   "over TLS with the right CA and a client certificate: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);

	e = tls_client(tls, url, "other-ca.crt", true);
	ok(e && !pgha_etcd_range(e, "/pgha-unit/tls", false, &r) && e->err == PGHA_ETCD_UNREACHABLE &&
	   (strstr(e->errmsg, "certificate") != NULL || strstr(e->errmsg, "SSL") != NULL),
	   "a server certificate from another CA is refused: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);

	e = tls_client(tls, url, "ca.crt", false);
	ok(e && !pgha_etcd_range(e, "/pgha-unit/tls", false, &r),
	   "without a client certificate etcd refuses: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);

	/* a bare host:port with the https default scheme */
	e = tls_client(tls, url + strlen("https://"), "ca.crt", true);
	ok(e && !pgha_etcd_range(e, "/pgha-unit/tls", false, &r),
	   "plain http to the TLS port fails: %s", e ? e->errmsg : "");
	pgha_etcd_destroy(e);

	snprintf(plain, sizeof(plain), "https://localhost:%s", strrchr(url, ':') + 1);
	e = tls_client(tls, plain, "ca.crt", true);
	ok(e && pgha_etcd_range(e, "/pgha-unit/tls", false, &r),
	   "localhost, named in the certificate's SAN, is accepted: %s",
	   e ? e->errmsg : "");
	pgha_etcd_destroy(e);
}

void
unit_etcd_tests(void)
{
	PghaEtcd   *e;
	PghaEtcd   *writer;
	char		path[1024];

	etcd_dir = getenv("PGHA_TEST_ETCD_DIR");
	snprintf(path, sizeof(path), "%s/endpoints", etcd_dir ? etcd_dir : "");
	if (etcd_dir == NULL || !read_file(path, endpoints, sizeof(endpoints)))
	{
		ok(false, "PGHA_TEST_ETCD_DIR names a running etcd cluster (use scripts/run-unit.sh)");
		return;
	}
	diag("etcd cluster: %s", endpoints);

	test_fake_server();

	/* a dead endpoint first: the client must skip it */
	snprintf(path, sizeof(path), "127.0.0.1:1,%s", endpoints);
	e = client(path, NULL, NULL, 1000);
	writer = client(endpoints, NULL, NULL, 1000);
	if (e == NULL || writer == NULL)
	{
		ok(false, "etcd clients created");
		return;
	}
	test_kv(e);
	ok(e->current != 0, "the dead first endpoint was skipped");
	test_past_deadline(e, writer);
	test_leases(e);
	test_watch(e, writer);
	pgha_etcd_destroy(e);

	e = client(endpoints, NULL, NULL, 1000);
	test_cluster_info(e);
	test_endpoint_failover(e);
	pgha_etcd_destroy(e);
	pgha_etcd_destroy(writer);

	test_no_proxy();
	test_password_file();
	test_auth();
	test_tls();
}
