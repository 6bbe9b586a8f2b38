/*-------------------------------------------------------------------------
 *
 * failsafe_ask.c
 *		Whom a leader in failsafe_mode asks to vouch for it
 *		(failsafe_ask.h).  Pure.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/failsafe_ask.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/failsafe_ask.h"

void
pgha_failsafe_remember_key(PghaFailsafeAsk *a, const PghaCluster *c, const char *me)
{
	int			i;

	/* a leader the key does not list gets no failsafe (as in Patroni) */
	a->key_known = c->has_failsafe && pgha_cluster_in_failsafe(c, me);
	a->nnames = 0;
	for (i = 0; i < c->nfailsafe && a->nnames < PGHA_FAILSAFE_ASK_MAX; i++)
		if (strcmp(c->failsafe[i], me) != 0)
			strlcpy(a->names[a->nnames++], c->failsafe[i], PGHA_NAME_LEN);
}

void
pgha_failsafe_remember(PghaFailsafeAsk *a, const PghaCluster *c, const char *me)
{
	int			i;

	a->nmembers = 0;
	for (i = 0; i < c->nmembers && a->nmembers < PGHA_FAILSAFE_ASK_MAX; i++)
	{
		const PghaMember *m = &c->members[i];

		if (!m->foreign && strcmp(m->name, me) != 0)
			a->members[a->nmembers++] = *m;
	}
	pgha_failsafe_remember_key(a, c, me);
}

void
pgha_failsafe_before_write(PghaFailsafeAsk *a, const PghaCluster *c, const char *me)
{
	for (int i = 0; i < c->nmembers; i++)
	{
		const PghaMember *m = &c->members[i];
		bool		known = strcmp(m->name, me) == 0;

		for (int j = 0; j < a->nnames && !known; j++)
			known = strcmp(a->names[j], m->name) == 0;
		if (!known && pgha_failsafe_lists(m) && a->nnames < PGHA_FAILSAFE_ASK_MAX)
			strlcpy(a->names[a->nnames++], m->name, PGHA_NAME_LEN);
	}
}

const PghaMember *
pgha_failsafe_whom(const PghaFailsafeAsk *a, int i)
{
	const PghaMember *m = NULL;

	/* the last one of that name, as the keeper always took it */
	for (int j = 0; j < a->nmembers; j++)
		if (strcmp(a->members[j].name, a->names[i]) == 0)
			m = &a->members[j];
	return m;
}
