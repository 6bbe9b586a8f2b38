/*-------------------------------------------------------------------------
 *
 * sim_etcd.c
 *		A model etcd behind the client API of src/shared/etcd.h: one
 *		linearizable key-value store with revisions, leases, transactions
 *		and watches, reached over a model network.
 *
 * A request is applied when it reaches etcd, not when its caller looks
 * again: a worker frozen after sending still has its write applied, and a
 * request that arrives after the caller gave up (its timeout or the
 * leader's deadline) is applied all the same, as a late TCP segment is.
 * An answer lost on the way back leaves the caller with a timeout.
 *
 * Leases expire on etcd's clock (the simulated one): the key goes when the
 * lessor's next check finds the lease past its expiry; a keepalive for an
 * expired lease fails as "not found", as etcd's Renew does.  An etcd
 * leader election extends every lease to a full TTL and makes etcd
 * unavailable for a moment.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/sim/sim_etcd.c
 *
 *-------------------------------------------------------------------------
 */
#include "sim.h"

#include "shared/http.h"
#include "shared/timeline.h"

#define MAX_KEYS 256
#define MAX_LEASES 4096
#define MAX_WATCH_EVENTS 256
#define MAX_HISTORY 128

typedef struct EKV
{
	bool		live;
	char	   *key;
	char	   *value;
	int64		create_rev;
	int64		mod_rev;
	int64		version;
	int64		lease;
} EKV;

typedef struct ELease
{
	int64		id;
	int64		ttl;
	int64		expire_us;
	bool		live;
} ELease;

static struct
{
	EKV			kv[MAX_KEYS];
	int			nkv;
	ELease		lease[MAX_LEASES];
	int			nlease;
	int64		revision;
	bool		in_txn;			/* a transaction's writes share a revision */
	bool		txn_bumped;
	int64		next_lease;
	int64		unavailable_until_us;	/* an election under way */

	/*
	 * Every event, in revision order, for watches to replay from their
	 * start revision; the oldest go (etcd's compaction) when it is full.
	 */
	struct
	{
		PghaEtcdEventType type;
		EKV			kv;
	}			history[MAX_HISTORY];
	int			nhistory;
	int64		compacted;		/* revisions up to this one are gone */

	/* each node's watch: one ordered stream, as over a TCP connection */
	struct
	{
		char	   *prefix;
		int64		next_rev;	/* the next revision it sends */
		bool		stalled;	/* sends nothing, and says nothing */
		bool		broken;		/* the stream ended: the next read says so */
		bool		compacted;	/* ... because its start was compacted */
		int64		last_arrival_us;	/* in order: none arrives before it */
		PghaEtcdEvent ev[MAX_WATCH_EVENTS];
		int			nev;
	}			watch[SIM_MAX_NODES];
}			D;

/* ---- the store ---- */

static EKV *
find(const char *key)
{
	int			i;

	for (i = 0; i < D.nkv; i++)
		if (D.kv[i].live && strcmp(D.kv[i].key, key) == 0)
			return &D.kv[i];
	return NULL;
}

static ELease *
find_lease(int64 id)
{
	int			i;

	for (i = 0; i < D.nlease; i++)
		if (D.lease[i].live && D.lease[i].id == id)
			return &D.lease[i];
	return NULL;
}

static void schedule_pump(int node);
void		sim_etcd_forget_watch(int node);

static void
notify(PghaEtcdEventType type, const EKV *kv)
{
	int			i;

	if (D.nhistory == MAX_HISTORY)
	{
		D.compacted = D.history[MAX_HISTORY / 2 - 1].kv.mod_rev;
		for (i = 0; i < MAX_HISTORY / 2; i++)
		{
			free(D.history[i].kv.key);
			free(D.history[i].kv.value);
		}
		memmove(&D.history[0], &D.history[MAX_HISTORY / 2], sizeof(D.history[0]) * (MAX_HISTORY / 2));
		D.nhistory -= MAX_HISTORY / 2;
		/* a watch that still had compacted events to send is canceled */
		for (i = 0; i < sim_cfg.nnodes; i++)
			if (D.watch[i].prefix && D.watch[i].next_rev <= D.compacted)
			{
				D.watch[i].broken = D.watch[i].compacted = true;
				sim_nodes[i].watch_pending = true;
				sim_wake(&sim_nodes[i]);
			}
	}
	D.history[D.nhistory].type = type;
	D.history[D.nhistory].kv = *kv;
	D.history[D.nhistory].kv.key = strdup(kv->key);
	D.history[D.nhistory].kv.value = strdup(type == PGHA_EVENT_PUT ? kv->value : "");
	D.nhistory++;
	for (i = 0; i < sim_cfg.nnodes; i++)
		if (D.watch[i].prefix && strncmp(kv->key, D.watch[i].prefix, strlen(D.watch[i].prefix)) == 0)
			schedule_pump(i);
}

/*
 * A write's revision: a new one, but one for all the writes of a
 * transaction (and of one deletion of several keys), as etcd does.
 */
static void
bump_revision(void)
{
	if (!D.in_txn || !D.txn_bumped)
		D.revision++;
	D.txn_bumped = D.in_txn;
}

static void
do_put(const char *key, const char *value, int64 lease)
{
	EKV		   *kv = find(key);

	bump_revision();
	if (kv == NULL)
	{
		int			i;

		for (i = 0; i < D.nkv && D.kv[i].live; i++)
			;
		if (i == D.nkv)
		{
			if (D.nkv == MAX_KEYS)
				sim_fail("model etcd: too many keys");
			D.nkv++;
		}
		kv = &D.kv[i];
		memset(kv, 0, sizeof(*kv));
		kv->live = true;
		kv->key = strdup(key);
		kv->create_rev = D.revision;
	}
	free(kv->value);
	kv->value = strdup(value);
	kv->mod_rev = D.revision;
	kv->version++;
	kv->lease = lease;
	notify(PGHA_EVENT_PUT, kv);
}

/* one key of a deletion; the first takes the deletion's revision */
static void
delete_kv(EKV *kv, bool *bumped)
{
	if (!*bumped)
		bump_revision();
	*bumped = true;
	kv->live = false;
	kv->mod_rev = D.revision;
	notify(PGHA_EVENT_DELETE, kv);
	free(kv->key);
	free(kv->value);
	kv->key = kv->value = NULL;
}

static int64
do_delete(const char *key, bool prefix)
{
	int			i;
	int64		n = 0;
	bool		bumped = false;

	for (i = 0; i < D.nkv; i++)
	{
		EKV		   *kv = &D.kv[i];

		if (!kv->live || (prefix ? strncmp(kv->key, key, strlen(key)) != 0 : strcmp(kv->key, key) != 0))
			continue;
		delete_kv(kv, &bumped);
		n++;
	}
	return n;
}

/* the lease's keys go in one revision, as etcd deletes them */
static void
revoke(ELease *l)
{
	int			i;
	bool		bumped = false;

	l->live = false;
	for (i = 0; i < D.nkv; i++)
	{
		EKV		   *kv = &D.kv[i];

		if (kv->live && kv->lease == l->id)
			delete_kv(kv, &bumped);
	}
}

void
sim_etcd_tick(void)
{
	int			i;

	for (i = 0; i < D.nlease; i++)
		if (D.lease[i].live && D.lease[i].expire_us <= sim_time_us)
			revoke(&D.lease[i]);
}

void
sim_etcd_leader_election(void)
{
	int			i;

	/* the new etcd leader gives every lease a full TTL (lessor Promote) */
	for (i = 0; i < D.nlease; i++)
		if (D.lease[i].live)
			D.lease[i].expire_us = Max(D.lease[i].expire_us, sim_time_us + D.lease[i].ttl * 1000000);
	D.unavailable_until_us = sim_time_us + sim_rand_range(500000, 3000000);
}

void
sim_etcd_init(void)
{
	int			i;

	for (i = 0; i < D.nkv; i++)
	{
		free(D.kv[i].key);
		free(D.kv[i].value);
	}
	for (i = 0; i < D.nhistory; i++)
	{
		free(D.history[i].kv.key);
		free(D.history[i].kv.value);
	}
	for (i = 0; i < SIM_MAX_NODES; i++)
		sim_etcd_forget_watch(i);
	memset(&D, 0, sizeof(D));
	D.revision = 1;
	D.next_lease = 7587000000000000000LL;
}

void
sim_etcd_seed_config(const char *json)
{
	do_put("/service/sim/config", json, 0);
}

const char *
sim_etcd_leader(int64 *lease)
{
	EKV		   *kv = find("/service/sim/leader");

	*lease = kv ? kv->lease : 0;
	return kv ? kv->value : NULL;
}

/* ---- requests: what travels, what comes back ---- */

typedef enum ReqType
{
	R_RANGE,
	R_PUT,
	R_DELETE,
	R_TXN,
	R_GRANT,
	R_KEEPALIVE,
	R_REVOKE
} ReqType;

typedef struct Req
{
	ReqType		type;
	int			node;
	/* the request, copied: it may be applied after its caller gave up */
	char	   *key;
	char	   *value;
	bool		prefix;
	int64		lease;
	int64		number;
	PghaEtcdTxn txn;
	char	   *txn_strings[2 * (PGHA_TXN_MAX_CMP + 2 * PGHA_TXN_MAX_OPS)];
	int			nstrings;

	/* the answer */
	bool		applied;
	bool		arrived;
	bool		abandoned;		/* the caller gave up: free on arrival */
	bool		lost;			/* the answer will never come */
	PghaEtcdErr err;
	char		errmsg[128];
	bool		succeeded;
	int64		revision;
	int64		number_out;
	int64		ttl_out;
	int			nkvs;
	EKV		   *kvs;			/* copies */
} Req;

static char *
keep(Req *r, const char *s)
{
	char	   *c = s ? strdup(s) : NULL;

	if (c)
		r->txn_strings[r->nstrings++] = c;
	return c;
}

static void
req_free(Req *r)
{
	int			i;

	free(r->key);
	free(r->value);
	for (i = 0; i < r->nstrings; i++)
		free(r->txn_strings[i]);
	for (i = 0; i < r->nkvs; i++)
	{
		free(r->kvs[i].key);
		free(r->kvs[i].value);
	}
	free(r->kvs);
	free(r);
}

static int
ekv_order(const void *a, const void *b)
{
	return strcmp(((const EKV *) a)->key, ((const EKV *) b)->key);
}

static void
copy_range(Req *r, const char *key, bool prefix)
{
	int			i;

	r->kvs = calloc(MAX_KEYS, sizeof(EKV));
	r->nkvs = 0;
	for (i = 0; i < D.nkv; i++)
	{
		EKV		   *kv = &D.kv[i];

		if (!kv->live || (prefix ? strncmp(kv->key, key, strlen(key)) != 0 : strcmp(kv->key, key) != 0))
			continue;
		r->kvs[r->nkvs] = *kv;
		r->kvs[r->nkvs].key = strdup(kv->key);
		r->kvs[r->nkvs].value = strdup(kv->value);
		r->nkvs++;
	}
	/* etcd answers in key order */
	qsort(r->kvs, r->nkvs, sizeof(EKV), ekv_order);
}

static bool
compare(const PghaEtcdCompare *c)
{
	EKV		   *kv = find(c->key);
	int64		have = 0;
	int			cmp;

	switch (c->target)
	{
		case PGHA_CMP_VERSION:
			have = kv ? kv->version : 0;
			break;
		case PGHA_CMP_CREATE:
			have = kv ? kv->create_rev : 0;
			break;
		case PGHA_CMP_MOD:
			have = kv ? kv->mod_rev : 0;
			break;
		case PGHA_CMP_LEASE:
			have = kv ? kv->lease : 0;
			break;
		case PGHA_CMP_VALUE:
			/* etcd: a value compare on a missing key is false */
			if (kv == NULL)
				return false;
			cmp = strcmp(kv->value, c->value);
			goto result;
	}
	cmp = have < c->number ? -1 : have > c->number ? 1 : 0;
result:
	switch (c->result)
	{
		case PGHA_CMP_EQUAL:
			return cmp == 0;
		case PGHA_CMP_GREATER:
			return cmp > 0;
		case PGHA_CMP_LESS:
			return cmp < 0;
		case PGHA_CMP_NOT_EQUAL:
			return cmp != 0;
	}
	return false;
}

static bool
lease_ok(Req *r, int64 lease)
{
	if (lease == 0 || find_lease(lease))
		return true;
	r->err = PGHA_ETCD_LEASE_NOT_FOUND;
	snprintf(r->errmsg, sizeof(r->errmsg), "etcdserver: requested lease not found");
	return false;
}

static void check_leader_only_write(const Req *r, const char *key);

/* etcd applies the request (an event at its arrival) */
static void
apply(void *arg)
{
	Req		   *r = arg;
	ELease	   *l;
	int			i;

	sim_etcd_tick();
	r->applied = true;
	r->err = PGHA_ETCD_OK;
	switch (r->type)
	{
		case R_RANGE:
			copy_range(r, r->key, r->prefix);
			break;
		case R_PUT:
			check_leader_only_write(r, r->key);
			if (lease_ok(r, r->lease))
				do_put(r->key, r->value, r->lease);
			break;
		case R_DELETE:
			check_leader_only_write(r, r->key);
			r->number_out = do_delete(r->key, r->prefix);
			break;
		case R_TXN:
			{
				bool		ok = true;
				const PghaEtcdOp *ops;
				int			nops;

				for (i = 0; i < r->txn.ncompare; i++)
					ok = ok && compare(&r->txn.compare[i]);
				ops = ok ? r->txn.success : r->txn.failure;
				nops = ok ? r->txn.nsuccess : r->txn.nfailure;
				/* a put on a missing lease fails the whole transaction */
				for (i = 0; i < nops; i++)
					if (ops[i].type == PGHA_OP_PUT && !lease_ok(r, ops[i].lease))
						goto done;
				r->succeeded = ok;
				D.in_txn = true;
				D.txn_bumped = false;
				for (i = 0; i < nops; i++)
				{
					if (ops[i].type == PGHA_OP_PUT)
					{
						check_leader_only_write(r, ops[i].key);
						do_put(ops[i].key, ops[i].value, ops[i].lease);
					}
					else if (ops[i].type == PGHA_OP_DELETE)
					{
						check_leader_only_write(r, ops[i].key);
						do_delete(ops[i].key, ops[i].prefix);
					}
				}
				D.in_txn = false;
				break;
			}
		case R_GRANT:
			if (D.nlease == MAX_LEASES)
			{
				for (i = 0; i < D.nlease && D.lease[i].live; i++)
					;
				if (i == D.nlease)
					sim_fail("model etcd: too many leases");
			}
			else
				i = D.nlease++;
			l = &D.lease[i];
			l->id = ++D.next_lease;
			l->ttl = r->number;
			l->expire_us = sim_time_us + r->number * 1000000;
			l->live = true;
			r->number_out = l->id;
			r->ttl_out = l->ttl;
			break;
		case R_KEEPALIVE:
			l = find_lease(r->number);
			if (l == NULL || l->expire_us <= sim_time_us)
			{
				if (l)
					revoke(l);
				r->err = PGHA_ETCD_LEASE_NOT_FOUND;
				snprintf(r->errmsg, sizeof(r->errmsg), "lease has expired");
				break;
			}
			l->expire_us = sim_time_us + l->ttl * 1000000;
			r->ttl_out = l->ttl;
			break;
		case R_REVOKE:
			l = find_lease(r->number);
			if (l == NULL)
			{
				r->err = PGHA_ETCD_LEASE_NOT_FOUND;
				snprintf(r->errmsg, sizeof(r->errmsg), "etcdserver: requested lease not found");
				break;
			}
			revoke(l);
			break;
	}
done:
	r->revision = D.revision;
}

/*
 * Only the leader writes the history, status and failsafe keys, and only
 * while it is the leader: an old leader's late write would put back what
 * the new leader replaced (a lineage without its skipped ids, an old
 * position that holds every failover back, a stale list of members).
 */
static void
check_leader_only_write(const Req *r, const char *key)
{
	static const char *const keys[] = {
		"/service/sim/history", "/service/sim/status", "/service/sim/failsafe"
	};
	EKV		   *leader = find("/service/sim/leader");

	for (int i = 0; i < (int) lengthof(keys); i++)
		if (strcmp(key, keys[i]) == 0 &&
			(leader == NULL || strcmp(leader->value, sim_nodes[r->node].name) != 0))
			sim_fail("%s wrote %s while the leader key was %s", sim_nodes[r->node].name,
					 key, leader ? leader->value : "(none)");
}

static void
arrive(void *arg)
{
	Req		   *r = arg;

	if (r->abandoned)
	{
		req_free(r);
		return;
	}
	r->arrived = true;
	sim_wake(&sim_nodes[r->node]);
}

/*
 * A message's way to etcd or back: fractions of a millisecond, and now and
 * then (an fsync stall, a retransmission) up to 1.5 s, while faults happen.
 */
static int64
net_delay(void)
{
	int64		d = sim_rand_range(100, 3000);

	if (sim_faulty() && sim_chance(0.01))
		d += sim_rand_range(10000, 1500000);
	return d;
}

static void
reach_etcd(void *arg)
{
	Req		   *r = arg;
	SimNode    *n = &sim_nodes[r->node];

	/* an election under way: the request hangs, then fails */
	if (sim_time_us < D.unavailable_until_us)
	{
		r->lost = true;
		if (r->abandoned)
			req_free(r);
		return;
	}
	apply(r);
	if (n->cut_etcd_resp)
	{
		r->lost = true;
		if (r->abandoned)
			req_free(r);
		return;
	}
	sim_at(sim_time_us + net_delay(), arrive, r);
}


static const char *const req_names[] = {"range", "put", "delete", "txn", "grant", "keepalive", "revoke"};

/*
 * Send r and wait for its answer, at most the client's timeout and its
 * deadline (etcd.c's rules: the deadline bounds every call).  True with
 * the answer applied; false: e->err says why.
 */
/* a transaction that deletes the sync key */
static bool
deletes_sync_key(const Req *r)
{
	int			k;

	if (r->type != R_TXN)
		return false;
	for (k = 0; k < r->txn.nsuccess; k++)
		if (r->txn.success[k].type == PGHA_OP_DELETE &&
			strcmp(r->txn.success[k].key, "/service/sim/sync") == 0)
			return true;
	return false;
}

static bool
call(PghaEtcd *e, Req *r)
{
	SimNode    *n = sim_current;
	/* the client measures its timeout and its deadline on its own clock */
	int64		limit = sim_when(n, sim_clock(n) + (int64) e->timeout_ms * 1000);

	r->node = n->id;
	e->err = PGHA_ETCD_OK;
	e->errmsg[0] = '\0';
	if (e->deadline_us != 0)
	{
		int64		deadline = sim_when(n, e->deadline_us);

		limit = Min(limit, deadline);
	}
	if (limit <= sim_time_us)
	{
		e->err = PGHA_ETCD_UNREACHABLE;
		snprintf(e->errmsg, sizeof(e->errmsg), "deadline passed before the call");
		req_free(r);
		return false;
	}
	if (n->cut_etcd_req)
		r->lost = true;
	else
		sim_at(sim_time_us + net_delay() + (deletes_sync_key(r) ? sim_buggify_sync_delete(n) : 0),
			   reach_etcd, r);
	while (!r->arrived && sim_time_us < limit)
		sim_sleep_until(limit);
	if (sim_cfg.verbose)
		sim_log(n, "etcd %s: %s", req_names[r->type],
				!r->arrived ? "no answer" : r->err != PGHA_ETCD_OK ? r->errmsg : "ok");
	if (!r->arrived)
	{
		e->err = PGHA_ETCD_UNREACHABLE;
		snprintf(e->errmsg, sizeof(e->errmsg), "timeout (%s)",
				 r->lost ? "lost" : r->applied ? "applied, answer late" : "late");
		if (r->lost)
			req_free(r);
		else
			r->abandoned = true;
		return false;
	}
	e->err = r->err;
	e->last_header.revision = r->revision;
	if (r->err != PGHA_ETCD_OK)
		strlcpy(e->errmsg, r->errmsg, sizeof(e->errmsg));
	return r->err == PGHA_ETCD_OK;
}

static void
to_range(Req *r, PghaEtcdRange *out)
{
	int			i;

	memset(out, 0, sizeof(*out));
	out->header.revision = r->revision;
	out->nkvs = r->nkvs;
	out->count = r->nkvs;
	out->kvs = r->nkvs ? palloc0(sizeof(PghaEtcdKV) * r->nkvs) : NULL;
	for (i = 0; i < r->nkvs; i++)
	{
		out->kvs[i].key = pstrdup(r->kvs[i].key);
		out->kvs[i].value = pstrdup(r->kvs[i].value);
		out->kvs[i].value_len = strlen(r->kvs[i].value);
		out->kvs[i].create_revision = r->kvs[i].create_rev;
		out->kvs[i].mod_revision = r->kvs[i].mod_rev;
		out->kvs[i].version = r->kvs[i].version;
		out->kvs[i].lease = r->kvs[i].lease;
	}
}

static Req *
new_req(ReqType type)
{
	Req		   *r = calloc(1, sizeof(Req));

	r->type = type;
	return r;
}

/* ---- the client API (src/shared/etcd.h) ---- */

bool
pgha_etcd_range(PghaEtcd *e, const char *key, bool prefix, PghaEtcdRange *out)
{
	Req		   *r = new_req(R_RANGE);
	bool		ok;

	sim_reads++;
	r->key = strdup(key);
	r->prefix = prefix;
	if (!call(e, r))
		return false;
	to_range(r, out);
	ok = true;
	req_free(r);
	return ok;
}

bool
pgha_etcd_put(PghaEtcd *e, const char *key, const char *value, int64 lease, int64 *revision)
{
	Req		   *r = new_req(R_PUT);

	r->key = strdup(key);
	r->value = strdup(value);
	r->lease = lease;
	if (!call(e, r))
		return false;
	if (revision)
		*revision = r->revision;
	req_free(r);
	return true;
}

bool
pgha_etcd_delete(PghaEtcd *e, const char *key, bool prefix, int64 *deleted)
{
	Req		   *r = new_req(R_DELETE);

	r->key = strdup(key);
	r->prefix = prefix;
	if (!call(e, r))
		return false;
	if (deleted)
		*deleted = r->number_out;
	req_free(r);
	return true;
}

static void
keep_ops(Req *r, PghaEtcdOp *ops, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		ops[i].key = keep(r, ops[i].key);
		ops[i].value = keep(r, ops[i].value);
	}
}

bool
pgha_etcd_txn(PghaEtcd *e, const PghaEtcdTxn *txn, PghaEtcdTxnResult *out)
{
	Req		   *r = new_req(R_TXN);
	int			i;

	memset(out, 0, sizeof(*out));
	r->txn = *txn;
	for (i = 0; i < r->txn.ncompare; i++)
	{
		r->txn.compare[i].key = keep(r, r->txn.compare[i].key);
		r->txn.compare[i].value = keep(r, r->txn.compare[i].value);
	}
	keep_ops(r, r->txn.success, r->txn.nsuccess);
	keep_ops(r, r->txn.failure, r->txn.nfailure);
	if (!call(e, r))
		return false;
	out->succeeded = r->succeeded;
	out->header.revision = r->revision;
	out->nresponses = r->succeeded ? txn->nsuccess : txn->nfailure;
	req_free(r);
	return true;
}

bool
pgha_etcd_lease_grant(PghaEtcd *e, int64 ttl, int64 *id, int64 *granted_ttl)
{
	Req		   *r = new_req(R_GRANT);

	r->number = ttl;
	if (!call(e, r))
		return false;
	*id = r->number_out;
	*granted_ttl = r->ttl_out;
	req_free(r);
	return true;
}

bool
pgha_etcd_lease_keepalive(PghaEtcd *e, int64 id, int64 *ttl)
{
	Req		   *r = new_req(R_KEEPALIVE);

	*ttl = 0;
	r->number = id;
	if (!call(e, r))
		return false;
	*ttl = r->ttl_out;
	req_free(r);
	return true;
}

bool
pgha_etcd_lease_revoke(PghaEtcd *e, int64 id)
{
	Req		   *r = new_req(R_REVOKE);

	r->number = id;
	if (!call(e, r))
		return false;
	req_free(r);
	return true;
}

/* etcd's own health is not modelled: the keeper skips its check */
bool
pgha_etcd_member_list(PghaEtcd *e, PghaEtcdMember **members, int *nmembers)
{
	*members = NULL;
	*nmembers = 0;
	return false;
}

bool
pgha_etcd_status(PghaEtcd *e, const char *url, PghaEtcdStatus *out)
{
	return false;
}

/*
 * ---- watch: one ordered stream per node, replayed from its start
 * revision.  A cut link holds events back (TCP retransmits them once it
 * heals) or ends the stream; a stalled stream sends nothing and says
 * nothing (a half-dead connection), which only the keeper's own checks
 * can notice. ----
 */

static void
pump(void *arg)
{
	int			node = (int) (intptr_t) arg;
	SimNode    *n = &sim_nodes[node];
	int			i;

	if (D.watch[node].prefix == NULL || D.watch[node].stalled || D.watch[node].broken)
		return;
	if (n->cut_etcd_resp || n->cut_etcd_req)
	{
		if (sim_chance(0.3))
		{
			D.watch[node].broken = true;
			n->watch_pending = true;
			sim_wake(n);
		}
		else
			sim_at(sim_time_us + 200000, pump, arg);
		return;
	}
	for (i = 0; i < D.nhistory; i++)
	{
		PghaEtcdEvent *ev;

		if (D.history[i].kv.mod_rev < D.watch[node].next_rev ||
			strncmp(D.history[i].kv.key, D.watch[node].prefix, strlen(D.watch[node].prefix)) != 0)
			continue;
		if (D.watch[node].nev == MAX_WATCH_EVENTS)
		{
			/* a slow reader: etcd cancels the watch */
			D.watch[node].broken = true;
			break;
		}
		ev = &D.watch[node].ev[D.watch[node].nev++];
		ev->type = D.history[i].type;
		ev->kv.key = strdup(D.history[i].kv.key);
		ev->kv.value = strdup(D.history[i].kv.value);
		ev->kv.value_len = strlen(ev->kv.value);
		ev->kv.mod_revision = D.history[i].kv.mod_rev;
		ev->kv.create_revision = D.history[i].kv.create_rev;
		ev->kv.lease = D.history[i].kv.lease;
	}
	D.watch[node].next_rev = D.revision + 1;
	n->watch_pending = true;
	sim_wake(n);
}

/* the events so far reach the node after a network delay, in order */
static void
schedule_pump(int node)
{
	int64		at = Max(sim_time_us + net_delay(), D.watch[node].last_arrival_us);

	D.watch[node].last_arrival_us = at;
	sim_at(at, pump, (void *) (intptr_t) node);
}

static void
clear_events(int node)
{
	int			i;

	for (i = 0; i < D.watch[node].nev; i++)
	{
		free(D.watch[node].ev[i].kv.key);
		free(D.watch[node].ev[i].kv.value);
	}
	D.watch[node].nev = 0;
}

bool
pgha_etcd_watch_start(PghaEtcd *e, const char *prefix, int64 start_revision)
{
	int			me = sim_current->id;

	sim_etcd_forget_watch(me);
	D.watch[me].prefix = strdup(prefix);
	D.watch[me].next_rev = start_revision;
	D.watch[me].compacted = start_revision <= D.compacted;
	D.watch[me].broken = D.watch[me].compacted;
	D.watch[me].stalled = sim_buggify_watch_stall(sim_current);
	e->watching = true;
	e->watch_endpoint = e->current;
	schedule_pump(me);
	return true;
}

void
pgha_etcd_watch_stop(PghaEtcd *e)
{
	sim_etcd_forget_watch(sim_current->id);
	e->watching = false;
}

/* a worker's death ends its watch */
void
sim_etcd_forget_watch(int node)
{
	free(D.watch[node].prefix);
	D.watch[node].prefix = NULL;
	clear_events(node);
	D.watch[node].stalled = D.watch[node].broken = D.watch[node].compacted = false;
}

bool
pgha_etcd_watch_next(PghaEtcd *e, PghaEtcdWatchFrame *f)
{
	int			me = sim_current->id;
	int			i;

	memset(f, 0, sizeof(*f));
	e->err = PGHA_ETCD_OK;
	if (D.watch[me].nev == 0 && D.watch[me].broken)
	{
		bool		compacted = D.watch[me].compacted;

		pgha_etcd_watch_stop(e);
		sim_current->watch_pending = false;
		e->err = compacted ? PGHA_ETCD_REJECTED : PGHA_ETCD_UNREACHABLE;
		snprintf(e->errmsg, sizeof(e->errmsg), "%s", compacted ? "watch canceled: revision compacted" : "watch ended");
		return false;
	}
	if (D.watch[me].nev == 0)
		return false;
	f->nevents = D.watch[me].nev;
	f->events = palloc0(sizeof(PghaEtcdEvent) * f->nevents);
	for (i = 0; i < f->nevents; i++)
	{
		f->events[i] = D.watch[me].ev[i];
		f->events[i].kv.key = pstrdup(D.watch[me].ev[i].kv.key);
		f->events[i].kv.value = pstrdup(D.watch[me].ev[i].kv.value);
	}
	f->header.revision = f->events[f->nevents - 1].kv.mod_revision;
	clear_events(me);
	sim_current->watch_pending = D.watch[me].broken;
	return true;
}

void
pgha_http_on_pmdeath(PghaHttp *h, PghaPmDeath mode)
{
}

/* the sync key now, read as the keeper reads it; false if absent */
static bool
sync_key(PghaCluster *c)
{
	EKV		   *kv = find("/service/sim/sync");
	PghaEtcdKV	k;

	memset(c, 0, sizeof(*c));
	if (kv == NULL)
		return false;
	memset(&k, 0, sizeof(k));
	k.key = kv->key;
	k.value = kv->value;
	k.value_len = strlen(kv->value);
	k.mod_revision = kv->mod_rev;
	pgha_cluster_parse_sync(&k, c);
	return true;
}

/*
 * pghactl run before it may rewind or replace a data directory
 * (pghactl_record_timeline): a timeline of this node that etcd does not
 * know of is recorded, by the keeper's own rule.  One atomic step here;
 * pghactl's transaction is guarded by the reservation it read.  false:
 * etcd cannot be reached, nothing may remove the data yet.
 */
bool
sim_etcd_record_timeline(SimNode *n, int tli)
{
	Req			r;
	PghaEtcdRange range;
	PghaCluster c;
	char		err[256];
	char	   *json;

	if (n->cut_etcd_req || n->cut_etcd_resp || sim_time_us < D.unavailable_until_us)
		return false;
	memset(&r, 0, sizeof(r));
	copy_range(&r, "/service/sim/", true);
	r.revision = D.revision;
	to_range(&r, &range);
	pgha_cluster_from_range("/service/sim/", &range, &c, err, sizeof(err));
	for (int i = 0; i < r.nkvs; i++)
	{
		free(r.kvs[i].key);
		free(r.kvs[i].value);
	}
	free(r.kvs);
	if (!pgha_timeline_unrecorded(&c, n->name, tli))
		return true;
	json = pgha_reservation_to_json(tli, n->name);
	do_put("/service/sim/timeline", json, 0);
	free(json);
	sim_log(n, "pghactl: recorded timeline %d in etcd", tli);
	return true;
}

/* the sync key names this member as its leader */
bool
sim_etcd_sync_leader_is(const char *name)
{
	PghaCluster c;

	return sync_key(&c) && strcmp(c.sync_leader, name) == 0;
}

/* the sync key names this member as a synchronous standby */
bool
sim_etcd_sync_standby_is(const char *name)
{
	PghaCluster c;

	return sync_key(&c) && pgha_cluster_is_sync_standby(&c, name);
}

void
sim_etcd_dump(FILE *out)
{
	int			i;

	fprintf(out, "etcd at revision %lld:\n", (long long) D.revision);
	for (i = 0; i < D.nkv; i++)
		if (D.kv[i].live)
			fprintf(out, "  %s = %.400s (lease %lld, mod %lld)\n", D.kv[i].key, D.kv[i].value,
					(long long) D.kv[i].lease, (long long) D.kv[i].mod_rev);
}

/* pghactl switchover: {"leader": the leader now, "member": candidate} */
void
sim_etcd_request_switchover(const char *candidate)
{
	EKV		   *kv = find("/service/sim/leader");
	char		json[256];

	if (kv == NULL || strcmp(kv->value, candidate) == 0)
		return;
	snprintf(json, sizeof(json), "{\"leader\":\"%s\",\"member\":\"%s\"}", kv->value, candidate);
	do_put("/service/sim/failover", json, 0);
}

/* pghactl remove (keys only), or a new etcd (keys and leases) */
void
sim_etcd_wipe(bool leases)
{
	int			i;

	do_delete("/service/sim/", true);
	if (leases)
		for (i = 0; i < D.nlease; i++)
			D.lease[i].live = false;
}
