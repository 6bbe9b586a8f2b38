/*-------------------------------------------------------------------------
 *
 * unit_cluster_cache.c
 *		The watch's cache: a read loaded, events applied in order (a
 *		transaction's several at one revision, older ones skipped), a read
 *		that shows it behind, and when it may stand in for a read.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_cluster_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/cluster_cache.h"
#include "unit.h"

#define P "/service/c/"

static PghaEtcdKV
kv(const char *key, const char *value, int64 mod, int64 lease)
{
	PghaEtcdKV	k;

	memset(&k, 0, sizeof(k));
	k.key = (char *) key;
	k.value = (char *) value;
	k.value_len = strlen(value);
	k.mod_revision = mod;
	k.create_revision = mod;
	k.lease = lease;
	return k;
}

static PghaEtcdEvent
ev(PghaEtcdEventType type, const char *key, const char *value, int64 mod)
{
	PghaEtcdEvent e;

	e.type = type;
	e.kv = kv(key, value, mod, 7);
	return e;
}

/* the cache as the cluster parser reads it */
static void
cluster_of(const PghaClusterCache *c, PghaCluster *cl)
{
	PghaEtcdRange r;
	char		err[256];

	pgha_cache_as_range(c, &r);
	pgha_cluster_from_range(P, &r, cl, err, sizeof(err));
}

void
unit_cluster_cache_tests(void)
{
	PghaClusterCache c;
	PghaEtcdKV	kvs[3];
	PghaEtcdRange r;
	PghaEtcdEvent evs[3];
	PghaEtcdWatchFrame f;
	PghaCluster cl;
	PghaCacheUse u;

	memset(&c, 0, sizeof(c));
	/* not in key order: the cache sorts them, as etcd would */
	kvs[0] = kv(P "leader", "node1", 10, 7);
	kvs[1] = kv(P "config", "{\"ttl\":30}", 3, 0);
	kvs[2] = kv(P "initialize", "123", 2, 0);
	memset(&r, 0, sizeof(r));
	r.header.revision = 12;
	r.nkvs = 3;
	r.kvs = kvs;
	pgha_cache_load(&c, &r, 5000);
	cluster_of(&c, &cl);
	ok(c.loaded && c.revision == 12 && c.read_ms == 5000 && cl.has_leader &&
	   strcmp(cl.leader, "node1") == 0 && cl.config.ttl == 30 && cl.revision == 12,
	   "cache: a read loads it, and the cluster reads as from the read");
	ok(strcmp(c.kvs[0].key, P "config") == 0 && strcmp(c.kvs[2].key, P "leader") == 0,
	   "cache: keys kept in key order");
	ok(!pgha_cache_behind(&c, &r), "cache: not behind the read it was loaded from");

	/* a transaction: two events at one revision, then an old one again */
	evs[0] = ev(PGHA_EVENT_DELETE, P "leader", "", 13);
	evs[1] = ev(PGHA_EVENT_PUT, P "failover", "{\"leader\":\"node1\",\"member\":\"node2\"}", 13);
	memset(&f, 0, sizeof(f));
	f.nevents = 2;
	f.events = evs;
	pgha_cache_apply(&c, &f);
	cluster_of(&c, &cl);
	ok(!cl.has_leader && cl.has_failover && c.revision == 13 && c.nkvs == 3,
	   "cache: a transaction's events at one revision are all applied");
	evs[0] = ev(PGHA_EVENT_PUT, P "leader", "node9", 11);
	f.nevents = 1;
	pgha_cache_apply(&c, &f);
	cluster_of(&c, &cl);
	ok(!cl.has_leader && c.revision == 13, "cache: an event at or below its revision is skipped");
	evs[0] = ev(PGHA_EVENT_PUT, P "leader", "node2", 14);
	evs[1] = ev(PGHA_EVENT_DELETE, P "failover", "", 15);
	evs[2] = ev(PGHA_EVENT_PUT, P "members/node2", "{}", 16);
	f.nevents = 3;
	pgha_cache_apply(&c, &f);
	cluster_of(&c, &cl);
	ok(cl.has_leader && strcmp(cl.leader, "node2") == 0 && !cl.has_failover &&
	   cl.nmembers == 1 && c.revision == 16 && c.nkvs == 4,
	   "cache: puts and deletes in order give the state at the last revision");

	/* a read that shows what the watch did not bring */
	kvs[0] = kv(P "leader", "node2", 14, 7);
	kvs[1] = kv(P "config", "{\"ttl\":30}", 3, 0);
	kvs[2] = kv(P "initialize", "123", 2, 0);
	r.header.revision = 20;
	ok(pgha_cache_behind(&c, &r), "cache: behind when a key it holds is gone in the read");
	kvs[2] = kv(P "members/node2", "{}", 18, 7);
	r.nkvs = 3;
	ok(pgha_cache_behind(&c, &r), "cache: behind when the read shows a key changed after its revision");

	/* when it may serve */
	memset(&u, 0, sizeof(u));
	u.replica = true;
	u.keepalive_ok = true;
	u.watch_live = true;
	u.age_ms = 59999;
	u.ttl = 30;
	ok(pgha_cache_may_serve(&u, &c), "cache: serves a replica whose keepalive and watch are live");
	u.age_ms = 60000;
	ok(!pgha_cache_may_serve(&u, &c), "cache: not two ttl after the read it rests on");
	u.ttl = 3600;
	u.age_ms = 59999;
	ok(pgha_cache_may_serve(&u, &c), "cache: a long ttl serves up to 60 s");
	u.age_ms = 60000;
	ok(!pgha_cache_may_serve(&u, &c), "cache: ... and no longer (a stalled watch keeps an old, longer ttl)");
	u.ttl = 30;
	u.age_ms = 1000;
	pgha_cache_expire(&c);
	ok(!pgha_cache_may_serve(&u, &c), "cache: expired (a new slot copy wants a read): serves no more");
	pgha_cache_load(&c, &r, 6000);
	ok(pgha_cache_may_serve(&u, &c), "cache: ... until the next read");
	u.replica = false;
	ok(!pgha_cache_may_serve(&u, &c), "cache: never for the leader, a primary or a promotion under way");
	u.replica = true;
	u.keepalive_ok = false;
	ok(!pgha_cache_may_serve(&u, &c), "cache: not when this iteration's keepalive failed");
	u.keepalive_ok = true;
	u.watch_live = false;
	ok(!pgha_cache_may_serve(&u, &c), "cache: not without a watch continuing it on the same endpoint");

	cluster_of(&c, &cl);
	ok(pgha_cache_shows_status_quo(&cl, "node1") && !pgha_cache_shows_status_quo(&cl, "node2"),
	   "cache: status quo only when another member leads");
	cl.has_failover = true;
	ok(!pgha_cache_shows_status_quo(&cl, "node1"), "cache: a switchover request is read from etcd");
	cl.has_leader = false;
	cl.has_failover = false;
	ok(!pgha_cache_shows_status_quo(&cl, "node1"), "cache: a free leader key is read from etcd before a race");
	ok(pgha_cache_decision_stands(PGHA_ACT_FOLLOW) && pgha_cache_decision_stands(PGHA_ACT_NONE) &&
	   !pgha_cache_decision_stands(PGHA_ACT_PROBE) && !pgha_cache_decision_stands(PGHA_ACT_RACE) &&
	   !pgha_cache_decision_stands(PGHA_ACT_REJOIN),
	   "cache: only following or waiting stands on it");
	pgha_cache_clear(&c);
	ok(!c.loaded && c.nkvs == 0, "cache: cleared");
}
