/*-------------------------------------------------------------------------
 *
 * timeline.c
 *		Timeline ids that no two promotions share (timeline.h says why).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/timeline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/etcd_json.h"
#include "shared/keys.h"
#include "shared/timeline.h"

bool
pgha_reservation_parse(const char *json, size_t len, int *timeline,
					   char *member, size_t memberlen)
{
	char		err[128];
	json_t	   *root = pgha_etcdj_load(json, len, err, sizeof(err));
	json_t	   *t;
	json_t	   *m;
	bool		ok;

	if (root == NULL)
		return false;
	t = json_object_get(root, "timeline");
	m = json_object_get(root, "member");
	ok = json_is_integer(t) && json_integer_value(t) > 1 &&
		json_integer_value(t) < INT32_MAX &&
		json_is_string(m) && strlen(json_string_value(m)) < memberlen &&
		pgha_name_valid(json_string_value(m), err, sizeof(err));
	if (ok)
	{
		*timeline = (int) json_integer_value(t);
		strlcpy(member, json_string_value(m), memberlen);
	}
	json_decref(root);
	return ok;
}

char *
pgha_reservation_to_json(int timeline, const char *member)
{
	json_t	   *o = json_object();
	char	   *s;

	json_object_set_new(o, "timeline", json_integer(timeline));
	json_object_set_new(o, "member", json_string(member));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

void
pgha_reservation_guard(PghaEtcdTxn *t, const char *key, const PghaCluster *c)
{
	if (c->reservation_mod_revision != 0)
		pgha_etcd_txn_equal(t, key, PGHA_CMP_MOD, c->reservation_mod_revision, NULL);
	else
		pgha_etcd_txn_equal(t, key, PGHA_CMP_CREATE, 0, NULL);
}

int
pgha_timeline_target(const PghaCluster *c, const char *me, int local_next, bool pending)
{
	/* wide: an id from etcd may be INT32_MAX; the caller refuses a far target */
	int64		target = local_next;
	int			i;

	if (c->has_reservation)
		target = Max(target, (int64) c->reserved_timeline +
					 (pending && strcmp(c->reserved_by, me) == 0 ? 0 : 1));
	if (c->history_timeline > 0)
		target = Max(target, (int64) c->history_timeline + 1);
	for (i = 0; i < c->nmembers; i++)
		if (!c->members[i].foreign && strcmp(c->members[i].name, me) != 0)
			target = Max(target, (int64) c->members[i].timeline + 1);
	return (int) Min(target, (int64) INT32_MAX);
}

bool
pgha_timeline_unrecorded(const PghaCluster *c, const char *me, int tli)
{
	/* timeline 1 is every cluster's first: no promotion takes it */
	return tli > 1 && tli >= pgha_timeline_target(c, me, 0, false);
}

bool
pgha_timeline_forked(const char *history, int tli, const PghaTimelineSwitch *local)
{
	PghaTimelineSwitch began;

	if (!pgha_history_began(history, tli, &began))
		return false;
	return began.timeline != local->timeline || began.lsn != local->lsn;
}

bool
pgha_timeline_led(PghaCluster *c, int tli)
{
	const PghaMember *leader = pgha_cluster_leader_record(c);
	uint64		lsn;

	if (leader != NULL && leader->timeline == tli)
		return true;
	return c->has_history && pgha_history_switch_lsn(c->history, tli, &lsn);
}

bool
pgha_history_skipped(const char *history, int tli)
{
	int64		lsn;

	return pgha_history_entry(history, tli, &lsn) && lsn == 0;
}

int
pgha_history_file_timeline(const char *name)
{
	unsigned int tli;
	char		rest;

	if (strlen(name) != 16 || strspn(name, "0123456789ABCDEF") != 8 ||
		strcmp(name + 8, ".history") != 0 || sscanf(name, "%8X%c", &tli, &rest) != 2)
		return 0;
	/* the next id must stay an int */
	return (int) Min(tli, (unsigned int) INT32_MAX - 1);
}
