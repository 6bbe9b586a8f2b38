/*-------------------------------------------------------------------------
 *
 * upstream.c
 *		Whom a standby streams from (shared/upstream.h).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/upstream.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/upstream.h"

static const PghaMember *
member(const PghaCluster *c, const char *name)
{
	for (int i = 0; i < c->nmembers; i++)
		if (strcmp(c->members[i].name, name) == 0)
			return &c->members[i];
	return NULL;
}

/*
 * The member m's tag names, if that member can serve as an upstream
 * (without looking further up the chain); NULL otherwise.
 */
static const PghaMember *
tagged_upstream(const PghaCluster *c, const PghaMember *m)
{
	const PghaMember *u;
	const PghaMember *leader;

	/* the leader streams from nobody, whatever its tag says */
	if (m->replicatefrom[0] == '\0' || strcmp(m->replicatefrom, m->name) == 0 ||
		!c->has_leader || strcmp(m->replicatefrom, c->leader) == 0 ||
		strcmp(m->name, c->leader) == 0)
		return NULL;
	u = member(c, m->replicatefrom);
	if (u == NULL || u->foreign || u->down || u->host[0] == '\0' ||
		strcmp(u->state, "running") != 0 || strcmp(u->role, "replica") != 0)
		return NULL;

	/*
	 * A member left on an older timeline (not yet rewound after a failover)
	 * would hand on a history the cluster left.
	 */
	leader = member(c, c->leader);
	if (leader != NULL && leader->timeline != 0 && u->timeline != leader->timeline)
		return NULL;
	return u;
}

const char *
pgha_upstream_of(const PghaCluster *c, const PghaMember *m)
{
	const PghaMember *u = tagged_upstream(c, m);
	const PghaMember *up = u;

	/* the leader's tag "has no effect", as in Patroni */
	if (m->nostream && !(c->has_leader && strcmp(m->name, c->leader) == 0))
		return NULL;
	if (u == NULL)
		return c->has_leader ? c->leader : NULL;

	/*
	 * Up the chain: a loop back to m (a replicatefrom b, b replicatefrom a)
	 * would leave every member of it without the leader's WAL.  At most
	 * nmembers steps: a loop elsewhere in the chain ends the walk too.
	 */
	for (int steps = 0; up != NULL && steps < c->nmembers; steps++)
	{
		/* by name: m may be the caller's own record, not the cluster's */
		if (strcmp(up->name, m->name) == 0)
			return c->leader;
		up = tagged_upstream(c, up);
	}
	return u->name;
}
