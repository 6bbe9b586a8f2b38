/*-------------------------------------------------------------------------
 *
 * unit_quorum.c
 *		Quorum commit on the leader: synchronous_standby_names read as the
 *		guarantee it gives, the planner's steps, and a model that walks
 *		random transitions and checks the sync key after every event.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_quorum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/quorum.h"
#include "unit.h"

#define NSTANDBY 5

typedef char MemberName[PGHA_NAME_LEN];

static void
parse_cases(void)
{
	PghaSsn		s;
	const MemberName v[2] = {"node2", "node3"};

	pgha_ssn_parse("", &s);
	ok(s.k == 0 && s.n == 0, "empty: no standby acknowledges");
	pgha_ssn_parse("*", &s);
	ok(s.k == 1 && s.any, "\"*\": any one standby");
	pgha_ssn_parse("ANY 2 (\"node2\",\"node3\",\"node4\")", &s);
	ok(s.k == 2 && s.n == 3 && !s.any && strcmp(s.names[2], "node4") == 0, "ANY 2 of three, quoted");
	pgha_ssn_parse("first 1 (node2, node3)", &s);
	ok(s.k == 1 && s.n == 2, "FIRST, any case, bare names");
	pgha_ssn_parse("node2, node3", &s);
	ok(s.k == 1 && s.n == 2, "a bare list is FIRST 1");
	pgha_ssn_parse("2 (node2, NODE2, node3)", &s);
	ok(s.k == 2 && s.n == 2, "a number alone is FIRST n; a name twice (any case) counts once");
	pgha_ssn_parse("\"a\"\"b\"", &s);
	ok(s.k == 1 && s.n == 1 && strcmp(s.names[0], "a\"b") == 0, "a doubled quote inside quotes");
	pgha_ssn_parse("ANY 2 (node2", &s);
	ok(s.k == 0, "unreadable (no closing parenthesis): promises nothing");
	pgha_ssn_parse("ANY 0 (node2)", &s);
	ok(s.k == 0, "ANY 0 promises nothing");
	pgha_ssn_parse("ANY 1 (a,b,c,d,e,f,g,h,i)", &s);
	ok(s.k == 0, "more names than pgha tracks: promises nothing");

	pgha_ssn_parse("ANY 2 (node2,node3,node4)", &s);
	is_int(pgha_quorum_guarantee(&s, 2, v), 1, "ANY 2 of three: one of two members is sure to have a commit");
	pgha_ssn_parse("ANY 2 (node2,node3)", &s);
	is_int(pgha_quorum_guarantee(&s, 2, v), 2, "ANY 2 of the two members: both");
	pgha_ssn_parse("ANY 1 (node4,node5)", &s);
	is_int(pgha_quorum_guarantee(&s, 2, v), 0, "acknowledged outside the members: none");
	pgha_ssn_parse("ANY 3 (node2,node3)", &s);
	is_int(pgha_quorum_guarantee(&s, 2, v), 2, "more required than listed: no commit is acknowledged at all");
	pgha_ssn_parse("*", &s);
	is_int(pgha_quorum_guarantee(&s, 2, v), 0, "\"*\": none");
}

/* ---- the model ---- */

static uint32 rng_state;

static uint32
rnd(uint32 n)
{
	rng_state = rng_state * 1103515245 + 12345;
	return (rng_state >> 8) % n;
}


static struct
{
	uint64		p;				/* the primary's flush position */
	uint64		acked;			/* the highest acknowledged commit */
	bool		connected[NSTANDBY];
	uint64		flush[NSTANDBY];
	char		ssn[256];		/* set by the leader */
	char		eff_ssn[256];	/* what the walsenders apply: applies, once relayed */
	char		applies[256];	/* what the configuration files give */
	uint64		ssn_set_lsn;
	bool		ssn_set_lsn_due;
	bool		relayed;		/* the reload reached the walsenders */
	bool		relay_seen;		/* ... and a planning since saw it (the settle) */
	bool		auto_relay;		/* relayed as soon as set */
	bool		late_writes;	/* some key writes time out and land later */
	bool		broken_config;	/* a value set now is not applied (postgresql.conf has an error) */
	int64		rev;			/* the key's revision */
	bool		key_in_doubt;
	bool		pending;		/* a key write that timed out, not landed yet */
	int64		pending_rev;
	PghaSyncPlan pending_plan;
	int			n;				/* synchronous_node_count */
	bool		strict;
	PghaMember	members[NSTANDBY + 1];
	PghaCluster c;
	PghaConfig	cfg;
	int			writes;
	int			sets;
} M;

/* kept across model_reset(): the model check counts over all its runs */
static int	violations;
static char first_violation[256];

static const char *
sname(int i)
{
	return M.members[i + 1].name;
}

static int
index_of(const char *name)
{
	for (int i = 0; i < NSTANDBY; i++)
		if (pg_strcasecmp(sname(i), name) == 0)
			return i;
	return -1;
}

/* commits the setting in force lets the primary acknowledge */
static void
acknowledge(void)
{
	PghaSsn		s;
	uint64		frontier = 0;

	pgha_ssn_parse(M.eff_ssn, &s);
	if (M.eff_ssn[0] == '\0')
		frontier = M.p;
	else if (s.k > 0)
	{
		uint64		f[PGHA_MAX_SYNC];
		int			nf = 0;

		/* '*' (or 'ANY k (*)'): every connected standby counts */
		for (int i = 0; i < NSTANDBY && s.any; i++)
			if (M.connected[i])
				f[nf++] = M.flush[i];
		for (int j = 0; j < s.n && !s.any; j++)
		{
			int			i = index_of(s.names[j]);

			if (i >= 0 && M.connected[i])
				f[nf++] = M.flush[i];
		}
		/* the k-th highest flush position among the listed */
		if (nf >= s.k)
		{
			for (int a = 0; a < nf; a++)
				for (int b = a + 1; b < nf; b++)
					if (f[b] > f[a])
					{
						uint64		t = f[a];

						f[a] = f[b];
						f[b] = t;
					}
			frontier = f[s.k - 1];
		}
	}
	M.acked = Max(M.acked, Min(frontier, M.p));
}

/* the key's promise: at most q of its voters lack an acknowledged commit */
static void
check_key(const char *when)
{
	int			lacking = 0;

	if (!M.c.has_sync)
		return;
	for (int j = 0; j < M.c.nsync; j++)
	{
		int			i = index_of(M.c.sync_standby[j]);

		if (i >= 0 && M.flush[i] < M.acked)
			lacking++;
	}
	if (lacking > M.c.sync_quorum)
	{
		if (violations++ == 0)
			snprintf(first_violation, sizeof(first_violation),
					 "%s: %d voters lack commit %llu, quorum %d, ssn '%s'", when, lacking,
					 (unsigned long long) M.acked, M.c.sync_quorum, M.ssn);
	}
}

static void
model_reset(int n, bool strict)
{
	memset(&M, 0, sizeof(M));
	strlcpy(M.members[0].name, "leader", PGHA_NAME_LEN);
	for (int i = 0; i < NSTANDBY; i++)
	{
		snprintf(M.members[i + 1].name, PGHA_NAME_LEN, "node%d", i + 2);
		M.members[i + 1].sync_priority = 1;
	}
	M.c.members = M.members;
	M.c.nmembers = NSTANDBY + 1;
	pgha_config_defaults(&M.cfg);
	M.cfg.synchronous_mode = M.cfg.quorum = true;
	M.cfg.synchronous_mode_strict = M.strict = strict;
	M.cfg.synchronous_node_count = M.n = n;
	/* as a promotion leaves it: the key names nobody, nothing synchronous */
	M.c.has_sync = true;
	strlcpy(M.c.sync_leader, "leader", PGHA_NAME_LEN);
	strlcpy(M.ssn, strict ? pgha_sync_strict_ssn(&M.cfg) : "", sizeof(M.ssn));
	strlcpy(M.eff_ssn, M.ssn, sizeof(M.eff_ssn));
	strlcpy(M.applies, M.ssn, sizeof(M.applies));
	M.auto_relay = true;
	M.p = 100;
	for (int i = 0; i < NSTANDBY; i++)
		M.flush[i] = 100;
}

static void
apply_key(const PghaSyncPlan *p)
{
	M.c.has_sync = true;
	strlcpy(M.c.sync_leader, "leader", PGHA_NAME_LEN);
	M.c.nsync = p->nsync;
	memcpy(M.c.sync_standby, p->sync, sizeof(p->sync));
	M.c.sync_quorum = p->quorum;
	M.rev++;
	M.writes++;
	check_key("after a key write");
}

/* the postmaster relays the reload: the walsenders apply the new value */
static void
relay(void)
{
	M.relayed = true;
	strlcpy(M.eff_ssn, M.applies, sizeof(M.eff_ssn));
	acknowledge();
	check_key("after a reload reached the walsenders");
}

/* a key write that timed out lands now, if its revision still holds */
static void
land_late_write(void)
{
	if (M.pending && M.pending_rev == M.rev)
		apply_key(&M.pending_plan);
	M.pending = false;
}

/* one planner step, carried out as syncrep.c does; false: nothing to do */
static bool
plan_once(PghaSyncPlan *p)
{
	PghaStandby sb[NSTANDBY];
	PghaSyncInput in;
	int			nsb = 0;

	/* the LSN is read a planning after the relay was seen (the settle) */
	if (M.ssn_set_lsn_due && M.relay_seen)
	{
		M.ssn_set_lsn = M.p;
		M.ssn_set_lsn_due = false;
	}
	else if (M.ssn_set_lsn_due && M.relayed)
		M.relay_seen = true;
	for (int i = 0; i < NSTANDBY; i++)
	{
		if (!M.connected[i])
			continue;
		memset(&sb[nsb], 0, sizeof(sb[nsb]));
		strlcpy(sb[nsb].name, sname(i), PGHA_NAME_LEN);
		sb[nsb].streaming = true;
		sb[nsb].flush_lsn = M.flush[i];
		nsb++;
	}
	M.cfg.synchronous_node_count = M.n;
	memset(&in, 0, sizeof(in));
	in.me = "leader";
	in.config = &M.cfg;
	in.cluster = &M.c;
	in.nstandbys = nsb;
	in.standbys = sb;
	in.current_ssn = M.ssn;
	in.ssn_set_lsn = M.ssn_set_lsn_due ? PG_UINT64_MAX : M.ssn_set_lsn;
	in.primary_flush_lsn = M.p;
	in.key_in_doubt = M.key_in_doubt;
	pgha_sync_plan(&in, p);
	if (p->step == PGHA_SYNC_WRITE_KEY)
	{
		/* a compare-and-swap on the revision read: it may time out and land later */
		if (M.late_writes && !M.pending && rnd(4) == 0)
		{
			M.pending = true;
			M.pending_rev = M.rev;
			M.pending_plan = *p;
			M.key_in_doubt = true;
		}
		else
		{
			apply_key(p);
			M.key_in_doubt = false;
		}
	}
	else if (p->step == PGHA_SYNC_SET_SSN && M.broken_config)
	{
		/* not applied: syncrep.c reads back what is in force, the old value */
		M.sets++;
	}
	else if (p->step == PGHA_SYNC_SET_SSN)
	{
		strlcpy(M.ssn, p->ssn, sizeof(M.ssn));
		strlcpy(M.applies, p->ssn, sizeof(M.applies));
		M.ssn_set_lsn_due = true;
		M.relayed = M.relay_seen = false;
		M.sets++;
		if (M.auto_relay)
			relay();
	}
	return p->step != PGHA_SYNC_NOTHING;
}

/* replicate until every connected standby has everything */
static void
catch_up(void)
{
	for (int i = 0; i < NSTANDBY; i++)
		if (M.connected[i])
			M.flush[i] = M.p;
	acknowledge();
	check_key("after catching up");
}

/* a few iterations of up to four steps, as the keeper runs them */
static void
settle(void)
{
	PghaSyncPlan p;

	for (int round = 0; round < 12; round++)
	{
		for (int s = 0; s < 4 && plan_once(&p) && p.step != PGHA_SYNC_SET_SSN; s++)
			;
		catch_up();
	}
}

static void
walk_cases(void)
{
	PghaSyncPlan p;
	char		want[256];

	/* sync_priority 0 is no voter */
	model_reset(1, false);
	M.connected[0] = M.connected[1] = true;
	M.members[2].sync_priority = 0;
	ok(plan_once(&p) && p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "ANY 1 (\"node2\")") == 0,
	   "sync_priority 0: not among the quorum standbys: %s", p.ssn);

	/* a new leader, three standbys connect, synchronous_node_count 2 */
	model_reset(2, false);
	M.connected[0] = M.connected[1] = M.connected[2] = true;
	ok(plan_once(&p) && p.step == PGHA_SYNC_SET_SSN &&
	   strcmp(p.ssn, "ANY 2 (\"node2\",\"node3\",\"node4\")") == 0,
	   "three standbys: the setting first (the key, naming nobody, covers it): %s", p.ssn);
	/* commits went on meanwhile: the standbys are behind */
	M.p = 150;
	ok(!plan_once(&p) && strstr(p.reason, "waiting"),
	   "the key waits until the standbys have flushed past the moment it took effect: %s", p.reason);
	M.p = 200;
	M.flush[0] = 200;
	acknowledge();
	ok(!plan_once(&p), "one of three past it is not enough for quorum 1");
	M.flush[1] = 200;
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.quorum == 1 && p.nsync == 3,
	   "two of three: the key names the three, quorum 1: %s", p.reason);
	ok(!plan_once(&p), "steady");

	/* node4 goes away */
	M.connected[2] = false;
	ok(plan_once(&p) && p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "ANY 2 (\"node2\",\"node3\")") == 0,
	   "a standby leaves: ANY 2 of the two left, under the key in force (quorum 1 of three covers it)");
	catch_up();
	ok(!plan_once(&p), "the planning that sees the reload relayed waits (the settle): %s", p.reason);
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.quorum == 0 && p.nsync == 2,
	   "then the key: both have every commit, quorum 0");

	/* synchronous_node_count 2 -> 1: the key goes first */
	M.n = 1;
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.quorum == 1 && p.nsync == 2,
	   "fewer acknowledge: the key's quorum rises before the setting falls");
	ok(plan_once(&p) && p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "ANY 1 (\"node2\",\"node3\")") == 0,
	   "then ANY 1");
	catch_up();
	ok(!plan_once(&p), "and the key already is the target");

	/* 1 -> 2: the setting first, then the key after confirmation */
	M.n = 2;
	ok(plan_once(&p) && p.step == PGHA_SYNC_SET_SSN && strcmp(p.ssn, "ANY 2 (\"node2\",\"node3\")") == 0,
	   "more acknowledge: the setting rises first");
	catch_up();
	ok(!plan_once(&p), "settling");
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.quorum == 0, "then the quorum falls");

	/* a standby joins: the key names it before the setting counts on it */
	M.connected[3] = true;
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 3 && p.quorum == 1,
	   "a standby joins: the key names it (quorum 1 of three) before the setting: %s", p.reason);
	ok(plan_once(&p) && p.step == PGHA_SYNC_SET_SSN &&
	   strcmp(p.ssn, "ANY 2 (\"node2\",\"node3\",\"node5\")") == 0, "then ANY 2 of three");

	/* all gone */
	M.connected[0] = M.connected[1] = M.connected[3] = false;
	settle();
	ok(M.ssn[0] == '\0' && M.c.nsync == 0 && M.c.sync_quorum == 0,
	   "no standby left: asynchronous, and a key naming nobody ('%s', %d, %d)", M.ssn, M.c.nsync, M.c.sync_quorum);
	ok(violations == 0, "the key held throughout: %s", first_violation);

	violations = 0;

	/* strict, no standby: commits wait for two */
	model_reset(2, true);
	settle();
	is_str(M.ssn, "ANY 2 (*)", "strict with no standby: commits wait for any two");
	M.connected[0] = true;
	settle();
	pgha_quorum_ssn(2, 1, (const MemberName *) &M.members[1].name, want, sizeof(want));
	ok(strcmp(M.ssn, want) == 0 && M.c.nsync == 1 && M.c.sync_quorum == 0,
	   "strict, one standby of two wanted: ANY 2 of it, commits wait ('%s', %d, %d)", M.ssn,
	   M.c.nsync, M.c.sync_quorum);
	{
		uint64		before = M.acked;

		M.p += 10;
		M.flush[0] = M.p;
		acknowledge();
		is_int((int) (M.acked - before), 0, "... and no commit is acknowledged, even one it flushed");
	}
	M.connected[1] = true;
	settle();
	{
		const MemberName both[2] = {"node2", "node3"};

		pgha_quorum_ssn(2, 2, both, want, sizeof(want));
	}
	ok(strcmp(M.ssn, want) == 0 && M.c.nsync == 2 && M.c.sync_quorum == 0,
	   "the second standby back: ANY 2 of both, quorum 0 ('%s', %d, %d)", M.ssn,
	   M.c.nsync, M.c.sync_quorum);
	model_reset(1, true);
	settle();
	is_str(M.ssn, "*", "strict, synchronous_node_count 1, no standby: '*'");

	/* a key written in FIRST mode is a quorum key with quorum 0 */
	model_reset(1, false);
	M.connected[0] = M.connected[1] = true;
	strlcpy(M.ssn, "FIRST 1 (\"node2\",\"node3\")", sizeof(M.ssn));
	strlcpy(M.eff_ssn, M.ssn, sizeof(M.eff_ssn));
	strlcpy(M.applies, M.ssn, sizeof(M.applies));
	M.c.nsync = 1;
	strlcpy(M.c.sync_standby[0], "node2", PGHA_NAME_LEN);
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.quorum == 1 && p.nsync == 2,
	   "from first to quorum: the key covers ANY 1 of both before it is set");
	settle();
	ok(violations == 0 && strcmp(M.ssn, "ANY 1 (\"node2\",\"node3\")") == 0, "then ANY 1");

	/* and back: the quorum key names no standby before FIRST is set */
	M.cfg.quorum = false;
	ok(plan_once(&p) && p.step == PGHA_SYNC_WRITE_KEY && p.nsync == 0 && p.quorum == 0,
	   "from quorum to first: the key names nobody first: %s", p.reason);
}

/*
 * Random transitions: standbys come and go, replicate at random speeds,
 * synchronous_node_count changes; commits are acknowledged as PostgreSQL
 * would under the setting the walsenders apply.  With late: a quarter of
 * the key writes time out and land later, if their revision still holds.
 * With lag: a new setting reaches the walsenders only when the postmaster
 * relays the reload, at a random later moment, and at times a new value
 * is not applied at all (postgresql.conf has an error when it is set).  After every event the key
 * must hold, and once things calm down the target must be reached.
 */
static void
model_check(bool late, bool lag)
{
	int			runs = 3000;
	int			unsettled = 0;
	int			events = 0;

	rng_state = 20261206;
	violations = 0;
	first_violation[0] = '\0';
	for (int run = 0; run < runs; run++)
	{
		PghaSyncPlan p;

		model_reset(1 + rnd(3), rnd(4) == 0);
		M.late_writes = late;
		M.auto_relay = !lag;
		for (int i = 0; i < NSTANDBY; i++)
			M.connected[i] = rnd(2);
		for (int step = 0; step < 200; step++, events++)
		{
			int			i = rnd(NSTANDBY);

			switch (rnd(12))
			{
				case 0:
					M.connected[i] = !M.connected[i];
					break;
				case 1:
					if (rnd(4) == 0)
						M.n = 1 + rnd(3);
					break;
				case 2:
				case 3:
				case 4:
					M.p += 1 + rnd(50);
					break;
				case 5:
				case 6:
					if (M.connected[i])
						M.flush[i] += rnd((int) (M.p - M.flush[i]) + 1);
					break;
				case 7:
					if (rnd(3) == 0)
						land_late_write();
					if (!M.relayed && rnd(2) == 0)
						relay();
					break;
				case 8:
					if (lag && rnd(8) == 0)
						M.broken_config = !M.broken_config;
					break;
				default:
					plan_once(&p);
					break;
			}
			acknowledge();
			check_key("after an event");
		}
		/* calm: the late write lands or never will, the reload arrives */
		M.broken_config = false;
		land_late_write();
		if (!M.relayed)
			relay();
		M.late_writes = false;
		M.auto_relay = true;
		settle();
		{
			int			nconn = 0;
			int			k;

			for (int i = 0; i < NSTANDBY; i++)
				nconn += M.connected[i];
			k = Min(M.n, nconn);
			if (M.c.nsync != nconn || M.c.sync_quorum != nconn - k)
				unsettled++;
		}
	}
	ok(violations == 0, "%d random runs, %d events%s%s: the sync key held after every one %s",
	   runs, events, late ? ", key writes landing late" : "", lag ? ", reloads relayed late" : "",
	   first_violation);
	ok(unsettled == 0, "and every run reached the target key once things calmed down (%d did not)", unsettled);
}

void
unit_quorum_tests(void)
{
	parse_cases();
	walk_cases();
	model_check(false, false);
	model_check(true, false);
	model_check(false, true);
	model_check(true, true);
}
