/*-------------------------------------------------------------------------
 *
 * unit_failsafe_ask.c
 *		Whom a leader in failsafe_mode asks to vouch for it
 *		(shared/failsafe_ask.h): the names the failsafe key lists as etcd
 *		holds it, both lists while a write of it may or may not have
 *		landed, the addresses of the last good read.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit_failsafe_ask.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/failsafe_ask.h"
#include "unit.h"

static PghaMember members[4];
static char failsafe[4][PGHA_NAME_LEN];

/* node1 (me), node2, node3 running; the failsafe key lists the names given */
static void
cluster_of(PghaCluster *c, int nlisted, const char *const *listed)
{
	memset(c, 0, sizeof(*c));
	memset(members, 0, sizeof(members));
	for (int i = 0; i < 3; i++)
	{
		snprintf(members[i].name, PGHA_NAME_LEN, "node%d", i + 1);
		snprintf(members[i].host, sizeof(members[i].host), "10.0.0.%d", i + 1);
	}
	c->members = members;
	c->nmembers = 3;
	c->failsafe = failsafe;
	c->has_failsafe = nlisted > 0;
	c->nfailsafe = nlisted;
	for (int i = 0; i < nlisted; i++)
		strlcpy(failsafe[i], listed[i], PGHA_NAME_LEN);
}

static bool
asks(const PghaFailsafeAsk *a, const char *name)
{
	for (int i = 0; i < a->nnames; i++)
		if (strcmp(a->names[i], name) == 0)
			return true;
	return false;
}

void
unit_failsafe_ask_tests(void)
{
	static PghaMember amembers[PGHA_FAILSAFE_ASK_MAX];
	static char anames[PGHA_FAILSAFE_ASK_MAX][PGHA_NAME_LEN];
	PghaFailsafeAsk a = {.members = amembers, .names = anames};
	PghaCluster c;
	static const char *const all[] = {"node1", "node2", "node3"};
	static const char *const two[] = {"node1", "node2"};
	static const char *const others[] = {"node2", "node3"};

	cluster_of(&c, 3, all);
	pgha_failsafe_remember(&a, &c, "node1");
	ok(a.key_known && a.nnames == 2 && asks(&a, "node2") && asks(&a, "node3") && !asks(&a, "node1"),
	   "failsafe ask: the others the key lists, not this leader");
	ok(a.nmembers == 2 && pgha_failsafe_whom(&a, 0) != NULL &&
	   strcmp(pgha_failsafe_whom(&a, 0)->host, "10.0.0.2") == 0,
	   "failsafe ask: each asked at the address of the last good read");

	cluster_of(&c, 2, others);
	pgha_failsafe_remember(&a, &c, "node1");
	ok(!a.key_known, "failsafe ask: a key that does not list this leader: nobody's word suffices");
	cluster_of(&c, 0, NULL);
	pgha_failsafe_remember(&a, &c, "node1");
	ok(!a.key_known && a.nnames == 0, "failsafe ask: no key: none");

	/* the key lists node1 and node2; node3 joined since */
	cluster_of(&c, 2, two);
	pgha_failsafe_remember(&a, &c, "node1");
	ok(a.nnames == 1 && asks(&a, "node2"), "failsafe ask: only the listed ones (node3, unlisted, never races)");
	pgha_failsafe_before_write(&a, &c, "node1");
	ok(a.nnames == 2 && asks(&a, "node3") && !asks(&a, "node1"),
	   "failsafe ask: before a write that lists node3, it is asked too (the write may land unanswered)");
	pgha_failsafe_before_write(&a, &c, "node1");
	ok(a.nnames == 2, "failsafe ask: ... once");
	/* the write failed: the next good read still shows the old key */
	pgha_failsafe_remember(&a, &c, "node1");
	ok(a.nnames == 1 && !asks(&a, "node3"),
	   "failsafe ask: a read shows the old key: as etcd holds it (node3 cannot race: its key lists it not)");

	/* a member that is down is not listed by a new key, nor asked before it */
	cluster_of(&c, 2, two);
	members[2].down = true;
	pgha_failsafe_remember(&a, &c, "node1");
	pgha_failsafe_before_write(&a, &c, "node1");
	ok(a.nnames == 1, "failsafe ask: a member whose PostgreSQL is down is not added (the key will not list it)");

	/* listed, but its member key gone at the last read */
	cluster_of(&c, 3, all);
	c.nmembers = 2;
	pgha_failsafe_remember(&a, &c, "node1");
	ok(a.nnames == 2 && pgha_failsafe_whom(&a, 1) == NULL,
	   "failsafe ask: a listed member without a member key cannot be asked (the leader does not vouch for itself)");
	members[1].foreign = true;
	pgha_failsafe_remember(&a, &c, "node1");
	ok(a.nmembers == 0 && pgha_failsafe_whom(&a, 0) == NULL,
	   "failsafe ask: a member of another cluster is never asked");

	/* two records of one name (an old key and a new one): the later */
	cluster_of(&c, 3, all);
	strlcpy(members[2].name, "node2", PGHA_NAME_LEN);
	pgha_failsafe_remember(&a, &c, "node1");
	ok(pgha_failsafe_whom(&a, 0) != NULL && strcmp(pgha_failsafe_whom(&a, 0)->host, "10.0.0.3") == 0,
	   "failsafe ask: of two records of one name, the later one read is asked");

	/* more names than it can hold: the first ones */
	{
		static char many[PGHA_FAILSAFE_ASK_MAX + 5][PGHA_NAME_LEN];

		cluster_of(&c, 0, NULL);
		for (int i = 0; i < PGHA_FAILSAFE_ASK_MAX + 5; i++)
			snprintf(many[i], PGHA_NAME_LEN, "m%d", i);
		c.failsafe = many;
		c.nfailsafe = PGHA_FAILSAFE_ASK_MAX + 5;
		c.has_failsafe = true;
		pgha_failsafe_remember(&a, &c, "node1");
		ok(a.nnames == PGHA_FAILSAFE_ASK_MAX && !a.key_known,
		   "failsafe ask: a key listing more than it holds: the first ones (and no failsafe: it lists not this leader)");
	}
}
