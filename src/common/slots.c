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

bool
pgha_slot_ignored(const PghaConfig *cfg, const char *name, const char *type,
				  const char *database, const char *plugin)
{
	for (int i = 0; i < cfg->nignore; i++)
	{
		const PghaIgnoreSlot *ig = &cfg->ignore[i];

		if ((ig->name[0] == '\0' || strcmp(ig->name, name) == 0) &&
			(ig->type[0] == '\0' || strcmp(ig->type, type) == 0) &&
			(ig->database[0] == '\0' || strcmp(ig->database, database) == 0) &&
			(ig->plugin[0] == '\0' || strcmp(ig->plugin, plugin) == 0))
			return true;
	}
	return false;
}

bool
pgha_slot_permanent(const PghaConfig *cfg, const char *name)
{
	for (int i = 0; i < cfg->nslots; i++)
		if (strcmp(cfg->slots[i].name, name) == 0)
			return true;
	return false;
}

int
pgha_permanent_physical(const PghaConfig *cfg, const PghaCluster *c, const char *self,
						char **names, int max)
{
	int			n = 0;

	for (int i = 0; i < cfg->nslots && n < max; i++)
	{
		const PghaPermanentSlot *ps = &cfg->slots[i];
		bool		member_slot = false;

		if (ps->logical || pgha_slot_ignored(cfg, ps->name, "physical", "", ""))
			continue;
		/* a member's own slot (Patroni: the member wins) */
		for (int m = 0; m < c->nmembers && !member_slot; m++)
		{
			char		slot[PGHA_NAME_LEN];

			pgha_slot_name(c->members[m].name, slot, sizeof(slot));
			member_slot = strcmp(slot, ps->name) == 0;
		}
		if (!member_slot)
		{
			char		own[PGHA_NAME_LEN];

			pgha_slot_name(self, own, sizeof(own));
			member_slot = strcmp(own, ps->name) == 0;
		}
		if (!member_slot)
			names[n++] = (char *) ps->name;
	}
	return n;
}

uint64
pgha_slot_leader_position(const PghaCluster *c, const char *name, int timeline)
{
	if (!c->has_leader || strcmp(c->status_leader, c->leader) != 0 ||
		c->status_timeline == 0 || c->status_timeline != timeline)
		return 0;
	for (int i = 0; i < c->nslot_positions; i++)
		if (strcmp(c->slot_names[i], name) == 0)
			return c->slot_lsns[i];
	return 0;
}

char *
pgha_slot_positions_json(char **names, const uint64 *lsns, int n)
{
	json_t	   *o = json_object();
	char	   *s;

	for (int i = 0; i < n; i++)
		if (lsns[i] != 0)
			json_object_set_new(o, names[i], json_integer((json_int_t) lsns[i]));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}
