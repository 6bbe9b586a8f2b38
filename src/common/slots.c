/*-------------------------------------------------------------------------
 *
 * slots.c
 *		Which departed members' replication slots the leader drops
 *		(see slots.h).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/slots.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "common/etcd_json.h"
#include "common/slots.h"

static int
find(const PghaRetention *rt, const char *slot)
{
	int			i;

	for (i = 0; i < rt->n; i++)
		if (strcmp(rt->r[i].slot, slot) == 0)
			return i;
	return -1;
}

void
pgha_retention_see(PghaRetention *rt, const char *const *names, int n, int64 now_ms)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		char		slot[PGHA_NAME_LEN];
		int			k;

		if (names[i] == NULL || names[i][0] == '\0' || strlen(names[i]) >= PGHA_NAME_LEN)
			continue;
		pgha_slot_name(names[i], slot, sizeof(slot));
		k = find(rt, slot);
		if (k < 0)
		{
			if (rt->n >= PGHA_MAX_RETAINED)
				continue;		/* more members than anybody runs: keep the rest */
			k = rt->n++;
			strlcpy(rt->r[k].slot, slot, PGHA_NAME_LEN);
		}
		strlcpy(rt->r[k].member, names[i], PGHA_NAME_LEN);
		rt->r[k].last_seen_ms = now_ms;
	}
}

int
pgha_retention_expired(PghaRetention *rt, int64 now_ms, int64 ttl_ms,
					   PghaRetained *drop, int maxdrop)
{
	int			i = 0;
	int			ndrop = 0;

	while (i < rt->n)
	{
		if (now_ms - rt->r[i].last_seen_ms > ttl_ms && ndrop < maxdrop)
		{
			drop[ndrop++] = rt->r[i];
			rt->r[i] = rt->r[--rt->n];
			continue;
		}
		i++;
	}
	return ndrop;
}

char *
pgha_retention_json(const PghaRetention *rt)
{
	json_t	   *a = json_array();
	char	   *s;
	int			i;

	for (i = 0; i < rt->n; i++)
		json_array_append_new(a, json_string(rt->r[i].member));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}
