/*-------------------------------------------------------------------------
 *
 * slots.c
 *		Which departed members' replication slots the leader drops
 *		(see slots.h).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/slots.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/etcd_json.h"
#include "shared/slots.h"
#include "shared/upstream.h"

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

/* is the status key the current leader's, on this timeline? */
static bool
status_current(const PghaCluster *c, int timeline)
{
	return c->has_leader && strcmp(c->status_leader, c->leader) == 0 &&
		c->status_timeline != 0 && c->status_timeline == timeline;
}

uint64
pgha_slot_leader_position(const PghaCluster *c, const char *name, int timeline)
{
	if (!status_current(c, timeline))
		return 0;
	for (int i = 0; i < c->nslot_positions; i++)
		if (strcmp(c->slot_positions[i].name, name) == 0)
			return c->slot_positions[i].lsn;
	return 0;
}

bool
pgha_xid_precedes_or_equals(uint32 a, uint32 b)
{
	return (int32) (a - b) <= 0;
}

PghaCopyStep
pgha_logical_copy_step(const PghaLogicalRemote *remote, const PghaLogicalLocal *local,
					   uint64 replayed, uint64 *target, const char **why)
{
	*why = "";
	*target = 0;
	if (local->exists && (!local->logical || !local->matches))
	{
		if (local->ours && local->logical && local->persistent && !local->active)
		{
			*why = "pgha's copy is not the slot the config describes now (database or plugin)";
			return PGHA_COPY_DROP;
		}
		*why = "a slot of this name here is not the one the config describes (left alone)";
		return PGHA_COPY_NONE;
	}
	if (local->exists && !local->persistent)
	{
		*why = "being created";
		return PGHA_COPY_NONE;
	}
	if (local->active)
	{
		*why = "in use here";
		return PGHA_COPY_NONE;
	}
	if (!remote->known)
	{
		*why = "no position from the current leader on this timeline yet";
		return PGHA_COPY_WAIT;
	}
	if (remote->two_phase || remote->invalid)
	{
		*why = remote->two_phase ? "a two_phase slot is not copied (its two_phase_at is not known here)" :
			"the leader's slot was invalidated: no copy";
		return local->exists && local->ours ? PGHA_COPY_DROP : PGHA_COPY_NONE;
	}
	/* after a failover the consumer would skip what the new primary wrote in between */
	if (!local->exists && remote->confirmed_flush > replayed)
	{
		*why = "the consumer is ahead of what this replica has replayed";
		return PGHA_COPY_WAIT;
	}
	if (!local->exists)
		return PGHA_COPY_CREATE;
	if (local->invalid || local->wal_gone)
	{
		*why = local->invalid ? "the copy reserves no WAL (invalidated): made anew" :
			"the WAL from the copy's restart_lsn is gone: made anew";
		return PGHA_COPY_RECREATE;
	}
	if (local->confirmed_flush > remote->confirmed_flush)
	{
		*why = "ahead of the leader's slot: its consumer has not confirmed as far";
		return PGHA_COPY_NONE;
	}
	*target = Min(remote->confirmed_flush, replayed);
	if (*target > local->confirmed_flush)
		return PGHA_COPY_ADVANCE;
	/* a copy that never decoded: up to its own position, for a snapshot of its own */
	if (!local->has_snapshot && local->restart_lsn < local->confirmed_flush)
	{
		*target = local->confirmed_flush;
		return PGHA_COPY_ADVANCE;
	}
	*target = 0;
	if (remote->confirmed_flush > replayed)
		*why = "the consumer is ahead of what this replica has replayed";
	return PGHA_COPY_NONE;
}

bool
pgha_logical_copy_ready(uint32 remembered, uint32 feedback, uint32 copy_catalog_xmin)
{
	return remembered != 0 && feedback != 0 && copy_catalog_xmin != 0 &&
		pgha_xid_precedes_or_equals(remembered, feedback) &&
		pgha_xid_precedes_or_equals(feedback, copy_catalog_xmin);
}

void
pgha_copy_readiness_step(PghaCopyReadiness *r, const char *leader, int timeline,
						 bool fresh, int64 revision, int64 status_revision,
						 uint32 primary_catalog_xmin, uint32 feedback,
						 uint32 copy_catalog_xmin)
{
	if (fresh || r->timeline != timeline || strcmp(r->leader, leader) != 0 || feedback == 0 ||
		(r->last_feedback != 0 && !pgha_xid_precedes_or_equals(r->last_feedback, feedback)))
	{
		strlcpy(r->leader, leader, sizeof(r->leader));
		r->timeline = timeline;
		r->remembered = 0;
		if (fresh)
			r->made_revision = PGHA_REVISION_LATER;
	}
	else if (r->made_revision == PGHA_REVISION_LATER && revision != 0)
		r->made_revision = revision;
	r->last_feedback = feedback;
	/* the status that made the copy predates it, and its feedback */
	if (r->remembered == 0 && feedback != 0 && status_revision > r->made_revision)
		r->remembered = primary_catalog_xmin;
	r->xmin_ready = pgha_logical_copy_ready(r->remembered, feedback, copy_catalog_xmin);
}

int
pgha_permanent_logical(const PghaConfig *cfg, const PghaPermanentSlot **slots, int max)
{
	int			n = 0;

	for (int i = 0; i < cfg->nslots && n < max; i++)
	{
		const PghaPermanentSlot *ps = &cfg->slots[i];

		if (ps->logical && !pgha_slot_ignored(cfg, ps->name, "logical", ps->database, ps->plugin))
			slots[n++] = ps;
	}
	return n;
}

void
pgha_slot_leader_logical(const PghaCluster *c, const char *name, int timeline,
						 PghaLogicalRemote *out)
{
	memset(out, 0, sizeof(*out));
	if (!status_current(c, timeline))
		return;
	for (int i = 0; i < c->nslot_positions; i++)
	{
		const PghaSlotPosition *p = &c->slot_positions[i];

		if (strcmp(p->name, name) != 0)
			continue;
		if (p->restart != 0 && p->lsn != 0)
		{
			out->known = true;
			out->confirmed_flush = p->lsn;
			out->restart_lsn = p->restart;
			out->catalog_xmin = p->catalog_xmin;
			out->two_phase = p->two_phase;
		}
		else if (p->invalid)
		{
			out->known = true;
			out->invalid = true;
		}
	}
}

uint32
pgha_slot_leader_feedback(const PghaCluster *c, const char *member, int timeline)
{
	char		slot[PGHA_NAME_LEN];
	const char *hop = member;

	if (!status_current(c, timeline))
		return 0;
	/* up the chain to the member that streams from the leader (a bounded walk: no cycles) */
	for (int n = 0; n < c->nmembers; n++)
	{
		const PghaMember *m = pgha_cluster_member((PghaCluster *) c, hop);
		const char *up = m ? pgha_upstream_of(c, m) : NULL;

		if (up == NULL || strcmp(up, c->leader) == 0)
			break;
		hop = up;
	}
	pgha_slot_name(hop, slot, sizeof(slot));
	for (int i = 0; i < c->nfeedback; i++)
		if (strcmp(c->feedback_slots[i], slot) == 0)
			return c->feedback_xmin[i];
	return 0;
}

char *
pgha_slot_status_json(char **physical, const uint64 *restart, int nphysical,
					  const PghaLogicalState *logical, int nlogical,
					  const PghaFeedback *feedback, int nfeedback)
{
	json_t	   *slots = json_object();
	json_t	   *details = json_object();
	json_t	   *fb = json_object();
	char	   *a;
	char	   *b;
	char	   *f;
	char	   *s;

	for (int i = 0; i < nphysical; i++)
		if (restart[i] != 0)
			json_object_set_new(slots, physical[i], json_integer((json_int_t) restart[i]));
	for (int i = 0; i < nlogical; i++)
	{
		const PghaLogicalState *l = &logical[i];

		if (l->invalid)
		{
			json_object_set_new(slots, l->name, json_integer((json_int_t) l->confirmed_flush));
			json_object_set_new(details, l->name, json_pack("{s:b}", "invalid", 1));
			continue;
		}
		if (l->confirmed_flush == 0 || l->restart_lsn == 0 || l->catalog_xmin == 0)
			continue;
		json_object_set_new(slots, l->name, json_integer((json_int_t) l->confirmed_flush));
		json_object_set_new(details, l->name,
							json_pack("{s:I,s:I}", "restart_lsn", (json_int_t) l->restart_lsn,
									  "catalog_xmin", (json_int_t) l->catalog_xmin));
		if (l->two_phase)
			json_object_set_new(json_object_get(details, l->name), "two_phase", json_true());
	}
	for (int i = 0; i < nfeedback; i++)
		if (feedback[i].catalog_xmin != 0)
			json_object_set_new(fb, feedback[i].slot, json_integer((json_int_t) feedback[i].catalog_xmin));
	a = json_dumps(slots, JSON_COMPACT | JSON_SORT_KEYS);
	b = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	f = json_dumps(fb, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(slots);
	json_decref(details);
	json_decref(fb);
	/* pgha's parts only when there is something in them: Patroni's status stays Patroni's */
	s = malloc(strlen(a) + strlen(b) + strlen(f) + 64);
	if (s != NULL)
		sprintf(s, "\"slots\":%s%s%s%s%s", a,
				nlogical > 0 && strcmp(b, "{}") != 0 ? ",\"pgha_logical\":" : "",
				nlogical > 0 && strcmp(b, "{}") != 0 ? b : "",
				nfeedback > 0 && strcmp(f, "{}") != 0 ? ",\"pgha_feedback\":" : "",
				nfeedback > 0 && strcmp(f, "{}") != 0 ? f : "");
	free(a);
	free(b);
	free(f);
	return s;
}
