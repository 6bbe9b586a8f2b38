/*-------------------------------------------------------------------------
 *
 * switchover.c
 *		Checking a switchover/failover request, or a member's restart or
 *		reinit request; building their etcd values.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/switchover.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/etcd_json.h"
#include "shared/switchover.h"

/* a member that could be promoted right now, as far as etcd shows */
static bool
eligible(const PghaMember *m)
{
	return !m->foreign && strcmp(m->role, "replica") == 0 && !m->nofailover &&
		m->failover_priority > 0 && strcmp(m->state, "running") == 0 &&
		strcmp(m->replication_state, "streaming") == 0;
}

PghaSwitchoverCheck
pgha_switchover_check(const PghaCluster *c, const char *candidate, bool need_leader,
					  const PghaMember **chosen)
{
	const PghaMember *cand = NULL;
	/* in synchronous_mode only a standby the sync key names may take over */
	bool		sync = c->config.synchronous_mode;
	int			i;

	*chosen = NULL;
	if (c->config.pause)
		return PGHA_SW_PAUSED;
	/* the standby leader takes no request: one would only go stale */
	if (pgha_config_standby_cluster(&c->config))
		return PGHA_SW_STANDBY_CLUSTER;
	if (need_leader && !c->has_leader)
		return PGHA_SW_NO_LEADER;
	for (i = 0; i < c->nmembers; i++)
	{
		const PghaMember *m = &c->members[i];

		if (candidate != NULL)
		{
			if (strcmp(m->name, candidate) == 0)
				cand = m;
			continue;
		}
		/* the leader's own record may still say replica right after a promotion */
		if (!eligible(m) || (c->has_leader && strcmp(m->name, c->leader) == 0) ||
			(sync && !pgha_cluster_is_sync_standby(c, m->name)))
			continue;
		if (cand == NULL || m->xlog_location > cand->xlog_location)
			cand = m;
	}
	*chosen = cand;
	if (cand == NULL)
		return candidate != NULL ? PGHA_SW_UNKNOWN_MEMBER : PGHA_SW_NO_CANDIDATE;
	if (c->has_leader && strcmp(cand->name, c->leader) == 0)
		return PGHA_SW_IS_LEADER;
	if (cand->foreign || strcmp(cand->role, "replica") != 0 || strcmp(cand->state, "running") != 0)
		return PGHA_SW_NOT_REPLICA;
	if (cand->nofailover || cand->failover_priority <= 0)
		return PGHA_SW_NOFAILOVER;
	if (sync && !pgha_cluster_is_sync_standby(c, cand->name))
		return PGHA_SW_NOT_SYNC;
	return PGHA_SW_OK;
}

const char *
pgha_switchover_check_message(PghaSwitchoverCheck check)
{
	switch (check)
	{
		case PGHA_SW_OK:
			return "the request can be carried out";
		case PGHA_SW_PAUSED:
			return "the cluster is paused";
		case PGHA_SW_NO_LEADER:
			return "the cluster has no leader to switch over from";
		case PGHA_SW_UNKNOWN_MEMBER:
			return "the member does not exist";
		case PGHA_SW_NO_CANDIDATE:
			return "no member can take over";
		case PGHA_SW_IS_LEADER:
			return "the member is already the leader";
		case PGHA_SW_NOT_REPLICA:
			return "the member is not a running replica of this cluster";
		case PGHA_SW_NOFAILOVER:
			return "the member is tagged nofailover";
		case PGHA_SW_NOT_SYNC:
			return "synchronous_mode is on and the member is not a synchronous standby";
		case PGHA_SW_STANDBY_CLUSTER:
			return "the cluster is a standby cluster: switchover and failover inside it are not supported";
	}
	return "unknown";
}

char *
pgha_failover_request_json(const char *leader, const char *member,
						   const char *scheduled_at, const char *requested_at)
{
	json_t	   *o = json_object();
	char	   *s;

	json_object_set_new(o, "leader", json_string(leader ? leader : ""));
	json_object_set_new(o, "member", json_string(member));
	if (scheduled_at)
		json_object_set_new(o, "scheduled_at", json_string(scheduled_at));
	json_object_set_new(o, "pgha_requested_at", json_string(requested_at));
	/* key order as Patroni writes it: leader, member, scheduled_at */
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

PghaMemberRequestCheck
pgha_member_request_check(const PghaCluster *c, const PghaMember *m, bool reinit,
						  bool pending_only)
{
	if (reinit && c->has_leader && strcmp(c->leader, m->name) == 0)
		return PGHA_MR_LEADER;
	if (reinit && pgha_cluster_sync_leads(c, c->config.synchronous_mode, m->name))
		return PGHA_MR_SYNC_LEADER;
	if (!reinit && pending_only && !m->pending_restart)
		return PGHA_MR_NOT_PENDING;
	/* its worker takes the request: none runs while the server is down */
	if (m->down)
		return PGHA_MR_DOWN;
	if (!m->supervised)
		return PGHA_MR_NOT_SUPERVISED;
	return PGHA_MR_OK;
}

char *
pgha_member_request_json(const char *requested_at, const PghaRestartRequest *r)
{
	json_t	   *o = json_object();
	char	   *s;

	json_object_set_new(o, "requested_at", json_string(requested_at));
	json_object_set_new(o, "pending_only", json_boolean(r && r->pending_only));
	if (r && r->schedule && r->schedule[0])
		json_object_set_new(o, "schedule", json_string(r->schedule));
	if (r && r->role && r->role[0])
		json_object_set_new(o, "role", json_string(r->role));
	if (r && r->postgres_version && r->postgres_version[0])
		json_object_set_new(o, "postgres_version", json_string(r->postgres_version));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

int
pgha_postgres_version_number(const char *version)
{
	int			part[3] = {0, 0, 0};
	int			n = 0;
	const char *p = version;

	for (;;)
	{
		char	   *end;
		long		v;

		if (n == 3 || !isdigit((unsigned char) *p))
			return -1;
		v = strtol(p, &end, 10);
		if (v > 99)
			return -1;
		part[n++] = (int) v;
		if (*end == '\0')
			break;
		if (*end != '.')
			return -1;
		p = end + 1;
	}
	/* 10 and later: major.minor; before: major.major.minor */
	if (part[0] >= 10)
		return n > 2 ? -1 : part[0] * 10000 + part[1];
	return part[0] * 10000 + part[1] * 100 + part[2];
}

bool
pgha_restart_applies(const char *role, const char *postgres_version, bool is_leader,
					 int server_version)
{
	if (role && role[0])
	{
		bool		wants_leader = strcmp(role, "replica") != 0;

		if (wants_leader != is_leader)
			return false;
	}
	if (postgres_version && postgres_version[0] &&
		server_version >= pgha_postgres_version_number(postgres_version))
		return false;
	return true;
}

void
pgha_switchover_timing(PghaSwitchoverSeen *seen, bool has_request, int64 revision,
					   const PghaSwitchoverTimes *t, int ttl, int64 now_ms, int64 now,
					   PghaSwitchoverTiming *out)
{
	int64		limit_ms = Max(60000, (int64) ttl * 3000);
	int64		since = 0;

	memset(out, 0, sizeof(*out));
	if (!has_request)
	{
		seen->seen_ms = 0;
		return;
	}
	/*
	 * A new request by its revision: one deleted and written again between
	 * two of our reads (a planned stop right after an earlier switchover)
	 * must not inherit the earlier one's age, or this node alone would
	 * take it for stale while the others wait for it.
	 */
	if (seen->seen_ms == 0 || seen->revision != revision)
	{
		seen->seen_ms = now_ms;
		seen->revision = revision;
	}

	out->due = true;
	if (t->scheduled)
	{
		if (!t->scheduled_ok)
		{
			out->unreadable = true;
			out->due = false;
			out->stale = true;
			return;
		}
		out->due = now >= t->scheduled_at;
		since = t->scheduled_at;
	}
	else
		since = t->requested_at;
	/*
	 * A time that is no time ("infinity", "-infinity": a key written by
	 * hand) counts as unknown: it would never go stale, or overflow.
	 */
	if (since == PG_INT64_MIN || since == PG_INT64_MAX)
		since = 0;

	/* staleness counts from the request (or its schedule), not from us */
	if (!out->due)
		out->stale = true;		/* a future schedule: no effect yet */
	else if (since != 0)
		out->stale = now - since >= limit_ms * 1000;
	else
		out->stale = now_ms - seen->seen_ms > limit_ms;
}
