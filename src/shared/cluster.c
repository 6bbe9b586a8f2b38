/*-------------------------------------------------------------------------
 *
 * cluster.c
 *		The cluster snapshot: every key under the prefix read at once into a
 *		PghaCluster (members, leader, initialize, status, sync, failsafe),
 *		and what is derived from it (member roles, name conflicts).
 *
 * Everything read from etcd is untrusted input: any etcd client with write
 * access to the prefix can put anything there.  Wrong types, oversized
 * strings and impossible values are refused with a message; they never
 * become a half-read struct.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/cluster.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/json_read.h"
#include "shared/keys.h"
#include "shared/timeline.h"
#include "lib/stringinfo.h"


PghaMember *
pgha_cluster_member(PghaCluster *c, const char *name)
{
	int			i;

	for (i = 0; i < c->nmembers; i++)
		if (strcmp(c->members[i].name, name) == 0)
			return &c->members[i];
	return NULL;
}

/* a lease this node's worker holds (during a ttl change: either of two) */
static bool
own_lease(const PghaSelf *self, int64 lease)
{
	return lease != 0 && (lease == self->lease || lease == self->old_lease);
}

/*
 * Did this instance write the member record?  pgha's records say which
 * instance wrote them.  Records without that field (Patroni's, an older
 * pgha's) are ours when their conn_url names our own address and they
 * show our timeline and no WAL beyond ours: the same server, under the
 * agent it ran before; and only until this worker has published its own
 * record (adopt_unmarked).
 */
static bool
written_by_self(const PghaMember *m, const PghaSelf *self)
{
	char		host[PGHA_HOST_LEN];
	int			port;

	if (m->instance[0] != '\0')
		return strcmp(m->instance, self->instance) == 0;
	return self->adopt_unmarked &&
		pgha_conn_url_parse(self->conn_url, host, sizeof(host), &port, NULL, 0) &&
		pg_strcasecmp(m->host, host) == 0 && m->port == port &&
		(m->timeline == 0 || self->timeline == 0 || m->timeline == self->timeline) &&
		(self->lsn == 0 || m->xlog_location <= self->lsn);
}

/*
 * Ownership of the keys named after this node is value AND lease.  The
 * leader key naming us on a lease we do not hold is still ours after a
 * restart of this instance, or of its agent (Patroni stopped, pgha
 * started, in a migration): our member record sits on that same lease
 * and was written by us (written_by_self); the renewal then moves the key
 * to our lease.  Anything else named after us on a foreign lease belongs
 * to another running instance under our name.
 */
int64
pgha_name_conflict(const PghaCluster *c, const PghaSelf *self)
{
	const PghaMember *me = NULL;
	int			i;

	for (i = 0; i < c->nmembers; i++)
		if (strcmp(c->members[i].name, self->name) == 0)
			me = &c->members[i];
	if (c->has_leader && strcmp(c->leader, self->name) == 0 &&
		!own_lease(self, c->leader_lease) &&
		(me == NULL || me->lease != c->leader_lease || !written_by_self(me, self)))
		return c->leader_lease;
	if (me != NULL && me->lease != 0 && !own_lease(self, me->lease) && !written_by_self(me, self))
		return me->lease;
	return 0;
}

/*
 * {"optime": 67108864, "slots": {"backup": 67100000}, "retain_slots":
 * ["node2", "node3"]}: the leader's position, its permanent slots'
 * positions, and the members whose slots it keeps (shared/slots.h).  A
 * retain_slots that is not a list of names is ignored, never an error: the
 * optime matters more.
 */
static bool
parse_status(const char *json, size_t len, PghaCluster *c, char *errbuf, size_t errlen)
{
	json_t	   *root = pgha_etcdj_load(json, len, errbuf, errlen);
	json_t	   *retain;
	json_t	   *slots;
	bool		ok;

	if (root == NULL)
		return false;
	ok = pgha_json_copy_lsn(root, "optime", &c->optime, errbuf, errlen);
	/* a range lists each key once; should one come twice, the later wins */
	if (c->retain)
		pfree(c->retain);
	c->retain = NULL;
	c->nretain = 0;
	c->status_leader[0] = '\0';
	c->status_timeline = 0;
	{
		json_t	   *who = json_object_get(root, "pgha_leader");
		json_t	   *tli = json_object_get(root, "pgha_timeline");

		if (json_is_string(who) && strlen(json_string_value(who)) < PGHA_NAME_LEN)
			strlcpy(c->status_leader, json_string_value(who), PGHA_NAME_LEN);
		if (json_is_integer(tli) && json_integer_value(tli) > 0 && json_integer_value(tli) < INT_MAX)
			c->status_timeline = (int) json_integer_value(tli);
	}
	/* {"slots": {"backup": 67108864}}: the permanent slots' positions */
	if (c->slot_positions)
		pfree(c->slot_positions);
	if (c->feedback_slots)
		pfree(c->feedback_slots);
	if (c->feedback_xmin)
		pfree(c->feedback_xmin);
	c->slot_positions = NULL;
	c->nslot_positions = 0;
	c->feedback_slots = NULL;
	c->feedback_xmin = NULL;
	c->nfeedback = 0;
	slots = json_object_get(root, "slots");
	if (ok && json_is_object(slots) && json_object_size(slots) > 0)
	{
		json_t	   *logical = json_object_get(root, "pgha_logical");
		const char *name;
		json_t	   *v;

		c->slot_positions = palloc0(sizeof(PghaSlotPosition) * json_object_size(slots));
		json_object_foreach(slots, name, v)
		{
			if (json_is_integer(v) && json_integer_value(v) >= 0 && strlen(name) < PGHA_NAME_LEN)
			{
				/* {"cdc": {"restart_lsn": n, "catalog_xmin": x, "two_phase": true}}: both, or neither */
				json_t	   *l = json_object_get(logical, name);
				json_t	   *restart = json_object_get(l, "restart_lsn");
				json_t	   *xmin = json_object_get(l, "catalog_xmin");
				PghaSlotPosition *p = &c->slot_positions[c->nslot_positions++];

				strlcpy(p->name, name, PGHA_NAME_LEN);
				p->lsn = (uint64) json_integer_value(v);
				if (json_is_integer(restart) && json_integer_value(restart) > 0 &&
					json_is_integer(xmin) && json_integer_value(xmin) > 0 &&
					json_integer_value(xmin) <= (json_int_t) PG_UINT32_MAX)
				{
					p->restart = (uint64) json_integer_value(restart);
					p->catalog_xmin = (uint32) json_integer_value(xmin);
					p->two_phase = json_is_true(json_object_get(l, "two_phase"));
				}
				else
					p->invalid = json_is_true(json_object_get(l, "invalid"));
			}
		}
	}
	/* {"pgha_feedback": {"node2": 731}}: member slots' catalog_xmin on the leader */
	slots = json_object_get(root, "pgha_feedback");
	if (ok && json_is_object(slots) && json_object_size(slots) > 0)
	{
		const char *name;
		json_t	   *v;

		c->feedback_slots = palloc0(sizeof(*c->feedback_slots) * json_object_size(slots));
		c->feedback_xmin = palloc0(sizeof(uint32) * json_object_size(slots));
		json_object_foreach(slots, name, v)
		{
			if (json_is_integer(v) && json_integer_value(v) > 0 &&
				json_integer_value(v) <= (json_int_t) PG_UINT32_MAX && strlen(name) < PGHA_NAME_LEN)
			{
				strlcpy(c->feedback_slots[c->nfeedback], name, PGHA_NAME_LEN);
				c->feedback_xmin[c->nfeedback++] = (uint32) json_integer_value(v);
			}
		}
	}
	retain = json_object_get(root, "retain_slots");
	if (ok && json_is_array(retain) && json_array_size(retain) > 0)
	{
		size_t		i;

		c->retain = palloc0(sizeof(*c->retain) * json_array_size(retain));
		for (i = 0; i < json_array_size(retain); i++)
		{
			json_t	   *v = json_array_get(retain, i);

			if (json_is_string(v) && strlen(json_string_value(v)) < PGHA_NAME_LEN)
				strlcpy(c->retain[c->nretain++], json_string_value(v), PGHA_NAME_LEN);
		}
	}
	json_decref(root);
	return ok;
}

/* {"node1": "http://...", "node2": "http://..."}: names only are kept */
static void
parse_failsafe(const PghaEtcdKV *kv, PghaCluster *c)
{
	char		err[128];
	json_t	   *root = pgha_etcdj_load(kv->value, kv->value_len, err, sizeof(err));
	const char *name;
	json_t	   *v;

	/* a range lists each key once; should one come twice, the later wins */
	if (c->failsafe)
		pfree(c->failsafe);
	c->failsafe = NULL;
	c->nfailsafe = 0;
	c->has_failsafe = true;
	if (root == NULL || !json_is_object(root))
	{
		/* unreadable: nobody is listed, so nobody races (the safe side) */
		json_decref(root);
		return;
	}
	c->failsafe = palloc0(sizeof(*c->failsafe) * Max(json_object_size(root), 1));
	json_object_foreach(root, name, v)
	{
		if (strlen(name) < PGHA_NAME_LEN)
			strlcpy(c->failsafe[c->nfailsafe++], name, PGHA_NAME_LEN);
	}
	json_decref(root);
}

bool
pgha_cluster_failsafe_binds(const PghaCluster *c)
{
	return c->has_failsafe && c->nfailsafe > 0;
}

bool
pgha_cluster_in_failsafe(const PghaCluster *c, const char *name)
{
	int			i;

	for (i = 0; i < c->nfailsafe; i++)
		if (strcmp(c->failsafe[i], name) == 0)
			return true;
	return false;
}

/*
 * The members the failsafe key lists: this cluster's, as their keys show
 * them.  Not a node whose PostgreSQL is down (pghactl run's record): it
 * cannot race for the key, and cannot answer the leader's call either.
 */
bool
pgha_failsafe_lists(const PghaMember *m)
{
	return !m->foreign && !m->down;
}

char *
pgha_failsafe_to_json(const PghaCluster *c)
{
	json_t	   *o = json_object();
	char	   *s;
	int			i;

	for (i = 0; i < c->nmembers; i++)
	{
		const PghaMember *m = &c->members[i];

		if (pgha_failsafe_lists(m))
			json_object_set_new(o, m->name, json_string(m->api_url[0] ? m->api_url : m->conn_url));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

bool
pgha_failsafe_current(const PghaCluster *c)
{
	int			n = 0;
	int			i;

	if (!c->has_failsafe)
		return false;
	for (i = 0; i < c->nmembers; i++)
	{
		if (!pgha_failsafe_lists(&c->members[i]))
			continue;
		if (!pgha_cluster_in_failsafe(c, c->members[i].name))
			return false;
		n++;
	}
	return n == c->nfailsafe;
}

void
pgha_failsafe_set_written(PghaCluster *c)
{
	if (c->failsafe)
		pfree(c->failsafe);
	c->has_failsafe = true;
	c->nfailsafe = 0;
	c->failsafe = palloc0(sizeof(*c->failsafe) * Max(c->nmembers, 1));
	for (int i = 0; i < c->nmembers; i++)
		if (pgha_failsafe_lists(&c->members[i]))
			strlcpy(c->failsafe[c->nfailsafe++], c->members[i].name, PGHA_NAME_LEN);
}

/*
 * {"leader": "node1", "sync_standby": "node2,node3", "quorum": 1} (Patroni:
 * a comma separated string, or null; "quorum" since Patroni 4, absent or
 * null read as 0).  A key that cannot be read counts as present with no
 * synchronous standby and no leader: nobody may be promoted on its
 * strength.
 */
void
pgha_cluster_parse_sync(const PghaEtcdKV *kv, PghaCluster *c)
{
	char		err[128];
	json_t	   *root = pgha_etcdj_load(kv->value, kv->value_len, err, sizeof(err));
	char		list[PGHA_MAX_SYNC * PGHA_NAME_LEN + 16] = "";
	json_t	   *q;
	int64		quorum = 0;

	c->has_sync = true;
	c->sync_mod_revision = kv->mod_revision;
	c->nsync = 0;
	c->sync_quorum = 0;
	if (root == NULL)
		return;
	q = json_object_get(root, "quorum");
	if (q != NULL && !json_is_null(q) &&
		(!pgha_json_int(q, &quorum) || quorum < 0 || quorum > PGHA_MAX_SYNC))
	{
		/* a quorum nobody can read promises nothing */
		c->sync_leader[0] = '\0';
		json_decref(root);
		return;
	}
	c->sync_quorum = (int) quorum;
	if (pgha_json_copy_string(root, "leader", c->sync_leader, sizeof(c->sync_leader), err, sizeof(err)) &&
		pgha_json_copy_string(root, "sync_standby", list, sizeof(list), err, sizeof(err)))
	{
		char	   *save;
		char	   *tok;

		for (tok = strtok_r(list, ",", &save); tok && c->nsync < PGHA_MAX_SYNC;
			 tok = strtok_r(NULL, ",", &save))
		{
			while (*tok == ' ')
				tok++;
			if (!pgha_name_valid(tok, err, sizeof(err)))
			{
				c->nsync = 0;
				break;
			}
			strlcpy(c->sync_standby[c->nsync++], tok, PGHA_NAME_LEN);
		}
	}
	json_decref(root);
}

/*
 * A member's role and state as patronictl list shows them (Patroni 4's
 * cluster_as_json): "leader", "sync_standby" (named in the sync key of the
 * current leader; "quorum_standby" in quorum mode), else what the member says ("replica"; "primary" for a
 * primary without the key); the state of a member other than the leader is
 * its replication_state ("streaming", "in archive recovery") when it has
 * one, else its state ("running", "starting", "stopped", ...).
 */
const char *
pgha_member_role(const PghaCluster *c, const PghaMember *m)
{
	if (c->has_leader && strcmp(c->leader, m->name) == 0)
		return strcmp(m->role, "standby_leader") == 0 ? "standby_leader" : "leader";
	if (c->has_leader && pgha_cluster_is_sync_standby(c, m->name) &&
		strcmp(c->sync_leader, c->leader) == 0)
		return c->config.quorum ? "quorum_standby" : "sync_standby";
	return m->role;
}

const char *
pgha_member_state(const PghaCluster *c, const PghaMember *m)
{
	if (!(c->has_leader && strcmp(c->leader, m->name) == 0) && m->replication_state[0] != '\0')
		return m->replication_state;
	return m->state;
}

uint64
pgha_cluster_position(const PghaCluster *c)
{
	uint64		pos = c->has_status ? c->optime : 0;

	for (int i = 0; i < c->nmembers; i++)
		if (c->has_leader && strcmp(c->members[i].name, c->leader) == 0)
			pos = Max(pos, c->members[i].xlog_location);
	return pos;
}

int64
pgha_member_lag(const PghaCluster *c, const PghaMember *m, uint64 lsn)
{
	uint64		pos = pgha_cluster_position(c);

	if (c->has_leader && strcmp(c->leader, m->name) == 0)
		return 0;
	if (pos == 0 || lsn == 0)
		return -1;
	return pos > lsn ? (int64) (pos - lsn) : 0;
}

/*
 * In synchronous mode, the sync key names this member as its leader: its
 * WAL may hold commits that no other member has (it acknowledged them, or
 * took the key over for a promotion), and it may race on that alone (rule
 * not_synchronous).  A fresh copy of another member under its name would
 * not have them: no reinit then.
 */
bool
pgha_cluster_sync_leads(const PghaCluster *c, bool synchronous_mode, const char *name)
{
	return synchronous_mode && c->has_sync && strcmp(c->sync_leader, name) == 0;
}

bool
pgha_cluster_is_sync_standby(const PghaCluster *c, const char *name)
{
	int			i;

	if (!c->has_sync)
		return false;
	for (i = 0; i < c->nsync; i++)
		if (strcmp(c->sync_standby[i], name) == 0)
			return true;
	return false;
}

char *
pgha_sync_to_json(const char *leader, int quorum, int nsync, const char (*names)[PGHA_NAME_LEN])
{
	json_t	   *o = json_object();
	char		list[PGHA_MAX_SYNC * PGHA_NAME_LEN + 16] = "";
	char	   *s;
	int			i;

	for (i = 0; i < nsync; i++)
	{
		if (i > 0)
			strlcat(list, ",", sizeof(list));
		strlcat(list, names[i], sizeof(list));
	}
	json_object_set_new(o, "leader", json_string(leader));
	json_object_set_new(o, "sync_standby", nsync > 0 ? json_string(list) : json_null());
	json_object_set_new(o, "quorum", json_integer(quorum));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

bool
pgha_cluster_from_range(const char *prefix, const PghaEtcdRange *r, PghaCluster *c,
						char *errbuf, size_t errlen)
{
	size_t		plen = strlen(prefix);
	size_t		mlen = strlen(PGHA_KEY_MEMBERS);
	int			i;

	memset(c, 0, sizeof(*c));
	c->revision = r->header.revision;
	pgha_config_defaults(&c->config);
	c->members = palloc0(sizeof(PghaMember) * Max(r->nkvs, 1));

	for (i = 0; i < r->nkvs; i++)
	{
		const PghaEtcdKV *kv = &r->kvs[i];
		const char *k;
		char		err[256];

		if (strncmp(kv->key, prefix, plen) != 0)
			continue;
		k = kv->key + plen;
		if (strcmp(k, PGHA_KEY_LEADER) == 0)
		{
			if (kv->value_len == 0 || kv->value_len >= PGHA_NAME_LEN ||
				!pgha_name_valid(kv->value, err, sizeof(err)))
			{
				/* a leader key we cannot read still means "taken" */
				snprintf(errbuf, errlen, "leader key holds an invalid member name");
				c->has_leader = true;
				strlcpy(c->leader, "?", sizeof(c->leader));
			}
			else
			{
				c->has_leader = true;
				strlcpy(c->leader, kv->value, sizeof(c->leader));
			}
			c->leader_lease = kv->lease;
			c->leader_mod_revision = kv->mod_revision;
		}
		else if (strcmp(k, PGHA_KEY_INITIALIZE) == 0)
		{
			c->has_initialize = true;
			/* a value with an embedded NUL or too long is no sysid */
			if (kv->value_len < sizeof(c->initialize) && strlen(kv->value) == kv->value_len)
				strlcpy(c->initialize, kv->value, sizeof(c->initialize));
			else
				strlcpy(c->initialize, "invalid", sizeof(c->initialize));
		}
		else if (strcmp(k, PGHA_KEY_CONFIG) == 0)
		{
			PghaConfig	cfg;

			c->config_json = pstrdup(kv->value);
			if (pgha_config_parse(kv->value, kv->value_len, &cfg, &c->config_notes, err, sizeof(err)))
			{
				c->config = cfg;
				c->has_config = true;
			}
			else
				strlcpy(c->config_error, err, sizeof(c->config_error));
			c->config.mod_revision = kv->mod_revision;
		}
		else if (strcmp(k, PGHA_KEY_STATUS) == 0)
		{
			if (parse_status(kv->value, kv->value_len, c, err, sizeof(err)))
				c->has_status = true;
			c->status_mod_revision = kv->mod_revision;
		}
		else if (strcmp(k, PGHA_KEY_FAILOVER) == 0)
		{
			json_t	   *root = pgha_etcdj_load(kv->value, kv->value_len, err, sizeof(err));

			c->failover_mod_revision = kv->mod_revision;

			if (root != NULL)
			{
				char		e2[128];

				int64		lsn = 0;
				bool		present;

				if (pgha_json_get_int(root, "pgha_release_lsn", &lsn, &present, e2, sizeof(e2)) && lsn > 0)
					c->failover_release_lsn = (uint64) lsn;
				(void) pgha_json_copy_string(root, "pgha_requested_at", c->failover_requested_at,
								   sizeof(c->failover_requested_at), e2, sizeof(e2));
				if (pgha_json_copy_string(root, "leader", c->failover_leader, sizeof(c->failover_leader), e2, sizeof(e2)) &&
					pgha_json_copy_string(root, "member", c->failover_member, sizeof(c->failover_member), e2, sizeof(e2)) &&
					pgha_json_copy_string(root, "scheduled_at", c->failover_scheduled_at,
								sizeof(c->failover_scheduled_at), e2, sizeof(e2)) &&
					c->failover_member[0] != '\0' &&
					pgha_name_valid(c->failover_member, e2, sizeof(e2)))
					c->has_failover = true;
				json_decref(root);
			}
		}
		else if (strcmp(k, PGHA_KEY_TIMELINE) == 0)
		{
			c->reservation_mod_revision = kv->mod_revision;
			c->has_reservation = pgha_reservation_parse(kv->value, kv->value_len,
														&c->reserved_timeline,
														c->reserved_by,
														sizeof(c->reserved_by));
		}
		else if (strcmp(k, PGHA_KEY_SYNC) == 0)
			pgha_cluster_parse_sync(kv, c);
		else if (strcmp(k, PGHA_KEY_FAILSAFE) == 0)
			parse_failsafe(kv, c);
		else if (strcmp(k, PGHA_KEY_HISTORY) == 0)
		{
			c->has_history = true;
			c->history = pstrdup(kv->value);
			c->history_timeline = pgha_history_next_timeline(c->history);
		}
		else if (strncmp(k, PGHA_KEY_MEMBERS, mlen) == 0)
		{
			PghaMember *m = &c->members[c->nmembers];

			if (pgha_member_from_json(k + mlen, kv->value, kv->value_len, m, err, sizeof(err)))
			{
				m->lease = kv->lease;
				c->nmembers++;
			}
			else
			{
				c->nbad_members++;
				snprintf(c->member_error, sizeof(c->member_error),
						 "member \"%.63s\": %s", k + mlen, err);
			}
		}
	}
	/* restart and reinit requests ("restart/<name>", "reinit/<name>") attach to their member */
	for (i = 0; i < r->nkvs; i++)
	{
		const PghaEtcdKV *kv = &r->kvs[i];
		const char *k = kv->key + (strlen(kv->key) >= plen ? plen : 0);
		PghaMember *m;
		json_t	   *root;
		char		e2[128];

		if (strncmp(kv->key, prefix, plen) != 0)
			continue;
		if (strncmp(k, PGHA_KEY_REINIT, strlen(PGHA_KEY_REINIT)) == 0 &&
			(m = pgha_cluster_member(c, k + strlen(PGHA_KEY_REINIT))) != NULL)
		{
			m->reinit_requested = true;
			m->reinit_mod_revision = kv->mod_revision;
			continue;
		}
		if (strncmp(k, PGHA_KEY_RESTART, strlen(PGHA_KEY_RESTART)) != 0 ||
			(m = pgha_cluster_member(c, k + strlen(PGHA_KEY_RESTART))) == NULL)
			continue;
		m->restart_requested = true;
		m->restart_mod_revision = kv->mod_revision;
		root = pgha_etcdj_load(kv->value, kv->value_len, e2, sizeof(e2));
		if (root != NULL)
		{
			(void) pgha_json_copy_bool(root, "pending_only", &m->restart_pending_only, e2, sizeof(e2));
			(void) pgha_json_copy_string(root, "schedule", m->restart_schedule, sizeof(m->restart_schedule),
							   e2, sizeof(e2));
			(void) pgha_json_copy_string(root, "role", m->restart_role, sizeof(m->restart_role), e2, sizeof(e2));
			(void) pgha_json_copy_string(root, "postgres_version", m->restart_postgres_version,
							   sizeof(m->restart_postgres_version), e2, sizeof(e2));
			json_decref(root);
		}
	}
	/* members of another cluster (sysid) take no part in this one */
	if (c->has_initialize && c->initialize[0] != '\0')
	{
		for (i = 0; i < c->nmembers; i++)
		{
			PghaMember *m = &c->members[i];

			m->foreign = (m->sysid[0] != '\0' && strcmp(m->sysid, c->initialize) != 0);
		}
	}
	return true;
}

char *
pgha_members_behind(const char *prefix, const PghaEtcdRange *r, int64 rev)
{
	StringInfoData out;
	size_t		plen = strlen(prefix);

	initStringInfo(&out);
	for (int i = 0; i < r->nkvs; i++)
	{
		PghaMember	m;
		char		err[256];

		/* a range returns keys under the prefix; a short one is not trusted to */
		if (strncmp(r->kvs[i].key, prefix, plen) != 0)
			continue;
		if (!pgha_member_from_json(r->kvs[i].key + plen, r->kvs[i].value, r->kvs[i].value_len,
								   &m, err, sizeof(err)))
			continue;
		/* a node that is down applies the config when it starts */
		if (strcmp(m.state, "sysid mismatch") == 0 || m.down)
			continue;
		if (m.config_revision < rev)
			appendStringInfo(&out, "%s%s (revision %lld)", out.len ? ", " : "",
							 m.name, (long long) m.config_revision);
	}
	return out.data;
}

const PghaMember *
pgha_cluster_leader_record(PghaCluster *c)
{
	const PghaMember *m = c->has_leader ? pgha_cluster_member(c, c->leader) : NULL;

	return m != NULL && m->lease != 0 && m->lease == c->leader_lease ? m : NULL;
}
