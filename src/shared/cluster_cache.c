/*-------------------------------------------------------------------------
 *
 * cluster_cache.c
 *		The cluster as the watch keeps it, and when a replica may use it
 *		(cluster_cache.h says why).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/cluster_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/cluster_cache.h"

/* a copy that owns its key and value (malloc'd); false: out of memory */
static bool
copy_kv(PghaEtcdKV *dst, const PghaEtcdKV *src)
{
	*dst = *src;
	dst->key = strdup(src->key);
	dst->value = malloc(src->value_len + 1);
	if (dst->key == NULL || dst->value == NULL)
	{
		free(dst->key);
		free(dst->value);
		return false;
	}
	memcpy(dst->value, src->value, src->value_len);
	dst->value[src->value_len] = '\0';
	return true;
}

static void
free_kv(PghaEtcdKV *kv)
{
	free(kv->key);
	free(kv->value);
}

void
pgha_cache_clear(PghaClusterCache *c)
{
	int			i;

	for (i = 0; i < c->nkvs; i++)
		free_kv(&c->kvs[i]);
	free(c->kvs);
	memset(c, 0, sizeof(*c));
}

/* room for one more; false: out of memory (the cache is then cleared) */
static bool
grow(PghaClusterCache *c)
{
	PghaEtcdKV *kvs;
	int			cap;

	if (c->nkvs < c->cap)
		return true;
	cap = Max(16, c->cap * 2);
	kvs = realloc(c->kvs, sizeof(PghaEtcdKV) * cap);
	if (kvs == NULL)
	{
		pgha_cache_clear(c);
		return false;
	}
	c->kvs = kvs;
	c->cap = cap;
	return true;
}

static int
kv_order(const void *a, const void *b)
{
	return strcmp(((const PghaEtcdKV *) a)->key, ((const PghaEtcdKV *) b)->key);
}

void
pgha_cache_load(PghaClusterCache *c, const PghaEtcdRange *r, int64 sent_ms)
{
	int			i;

	pgha_cache_clear(c);
	for (i = 0; i < r->nkvs; i++)
	{
		if (!grow(c) || !copy_kv(&c->kvs[c->nkvs], &r->kvs[i]))
		{
			pgha_cache_clear(c);
			return;
		}
		c->nkvs++;
	}
	/* etcd returns them in key order; the cache relies on it */
	if (c->nkvs > 1)
		qsort(c->kvs, c->nkvs, sizeof(PghaEtcdKV), kv_order);
	c->revision = r->header.revision;
	c->read_ms = sent_ms;
	c->loaded = true;
	c->expired = false;
}

void
pgha_cache_expire(PghaClusterCache *c)
{
	c->expired = true;
}

/* where key is, or where it would go to keep the order (*found says) */
static int
position(const PghaClusterCache *c, const char *key, bool *found)
{
	int			lo = 0;
	int			hi = c->nkvs;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = strcmp(c->kvs[mid].key, key);

		if (cmp == 0)
		{
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

void
pgha_cache_apply(PghaClusterCache *c, const PghaEtcdWatchFrame *f)
{
	/* a transaction's events share one revision: compare with the start */
	int64		base = c->revision;
	int			i;

	if (!c->loaded)
		return;
	for (i = 0; i < f->nevents; i++)
	{
		const PghaEtcdEvent *ev = &f->events[i];
		bool		found;
		int			at;

		if (ev->kv.mod_revision <= base)
			continue;
		at = position(c, ev->kv.key, &found);
		if (ev->type == PGHA_EVENT_DELETE)
		{
			if (found)
			{
				free_kv(&c->kvs[at]);
				memmove(&c->kvs[at], &c->kvs[at + 1], sizeof(PghaEtcdKV) * (c->nkvs - at - 1));
				c->nkvs--;
			}
		}
		else
		{
			PghaEtcdKV	kv;

			if (!copy_kv(&kv, &ev->kv))
			{
				pgha_cache_clear(c);
				return;
			}
			if (found)
			{
				free_kv(&c->kvs[at]);
				c->kvs[at] = kv;
			}
			else
			{
				if (!grow(c))
				{
					free_kv(&kv);
					return;
				}
				memmove(&c->kvs[at + 1], &c->kvs[at], sizeof(PghaEtcdKV) * (c->nkvs - at));
				c->kvs[at] = kv;
				c->nkvs++;
			}
		}
		c->revision = Max(c->revision, ev->kv.mod_revision);
	}
}

bool
pgha_cache_behind(const PghaClusterCache *c, const PghaEtcdRange *r)
{
	int			present = 0;
	int			i;

	if (!c->loaded)
		return false;
	for (i = 0; i < r->nkvs; i++)
	{
		bool		found;

		if (r->kvs[i].mod_revision > c->revision)
			return true;
		(void) position(c, r->kvs[i].key, &found);
		if (found)
			present++;
	}
	/* every key the cache holds is older than its revision: all are read */
	return present != c->nkvs;
}

void
pgha_cache_as_range(const PghaClusterCache *c, PghaEtcdRange *out)
{
	memset(out, 0, sizeof(*out));
	out->header.revision = c->revision;
	out->nkvs = c->nkvs;
	out->kvs = c->kvs;
	out->count = c->nkvs;
}

bool
pgha_cache_may_serve(const PghaCacheUse *u, const PghaClusterCache *c)
{
	/*
	 * Two ttl: a watch that died without a word costs a replica at most
	 * that long to notice a failover (the others, whose watches run, race
	 * as before), for a read every two ttl instead of every loop.  The ttl
	 * is the cache's own, which a stalled watch keeps at an old value: a
	 * lowered ttl it missed is bounded by PGHA_CACHE_MAX_AGE_MS.
	 */
	return c->loaded && !c->expired && u->replica && u->keepalive_ok && u->watch_live &&
		u->age_ms >= 0 && u->age_ms < Min((int64) u->ttl * 2000, PGHA_CACHE_MAX_AGE_MS);
}

bool
pgha_cache_shows_status_quo(const PghaCluster *cluster, const char *me)
{
	return cluster->has_leader && strcmp(cluster->leader, me) != 0 && !cluster->has_failover;
}

bool
pgha_cache_decision_stands(PghaAction action)
{
	return action == PGHA_ACT_FOLLOW || action == PGHA_ACT_NONE;
}
