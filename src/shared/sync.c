/*-------------------------------------------------------------------------
 *
 * sync.c
 *		Synchronous mode on the leader, one safe step at a time.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/sync.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/quorum.h"
#include "shared/sync.h"

static bool
in_list(int n, const char (*names)[PGHA_NAME_LEN], const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static bool
same_set(int na, const char (*a)[PGHA_NAME_LEN], int nb, const char (*b)[PGHA_NAME_LEN])
{
	int			i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!in_list(nb, b, a[i]))
			return false;
	return true;
}

void
pgha_sync_ssn(int n, const char (*names)[PGHA_NAME_LEN], int count, char *out, size_t outlen)
{
	int			i;

	if (n == 0)
	{
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen, "FIRST %d (", Min(count, n));
	for (i = 0; i < n; i++)
	{
		/* member names are [A-Za-z0-9_.-]: quoting is enough */
		strlcat(out, i ? ",\"" : "\"", outlen);
		strlcat(out, names[i], outlen);
		strlcat(out, "\"", outlen);
	}
	strlcat(out, ")", outlen);
}

/*
 * Strict mode with no eligible standby: commits wait for any standby; in
 * quorum mode for synchronous_node_count of them.
 */
const char *
pgha_sync_strict_ssn(const PghaConfig *config)
{
	static char buf[32];

	if (!config->quorum || config->synchronous_node_count <= 1)
		return "*";
	snprintf(buf, sizeof(buf), "ANY %d (*)", config->synchronous_node_count);
	return buf;
}

const char *
pgha_sync_ssn_at_promotion(const PghaConfig *config)
{
	if (!config->synchronous_mode)
		return NULL;			/* not pgha's business */
	/* strict: no commit is acknowledged until standbys confirm it */
	return config->synchronous_mode_strict ? pgha_sync_strict_ssn(config) : "";
}

static const PghaStandby *
standby(const PghaSyncInput *in, const char *name)
{
	int			i;

	for (i = 0; i < in->nstandbys; i++)
		if (strcmp(in->standbys[i].name, name) == 0)
			return &in->standbys[i];
	return NULL;
}

bool
pgha_sync_eligible(const PghaSyncInput *in, const PghaStandby *s)
{
	const PghaMember *m = NULL;
	int64		maxlag = in->config->maximum_lag_on_syncnode;
	int			i;

	if (!s->streaming || strcmp(s->name, in->me) == 0)
		return false;
	/*
	 * Stalled for longer than retry_timeout: commits would wait for it.
	 * Not in strict mode, which would then wait for any standby anyway and
	 * only lose the one failover candidate.
	 */
	if (!in->config->synchronous_mode_strict &&
		s->stalled_ms > (int64) in->config->retry_timeout * 1000)
		return false;
	/*
	 * maximum_lag_on_syncnode, as Patroni measures it: behind the most
	 * advanced standby, or behind the primary when there is only one.
	 */
	if (maxlag > 0)
	{
		uint64		ahead = in->nstandbys > 1 ? 0 : in->primary_flush_lsn;

		for (i = 0; i < in->nstandbys && in->nstandbys > 1; i++)
			if (in->standbys[i].streaming)
				ahead = Max(ahead, in->standbys[i].flush_lsn);
		if (ahead > s->flush_lsn && (int64) (ahead - s->flush_lsn) > maxlag)
			return false;
	}
	for (i = 0; i < in->cluster->nmembers; i++)
	{
		if (strcmp(in->cluster->members[i].name, s->name) == 0)
			m = &in->cluster->members[i];
		/*
		 * Two members whose names differ only in case are one name to
		 * synchronous_standby_names: either could acknowledge for the other.
		 */
		else if (pg_strcasecmp(in->cluster->members[i].name, s->name) == 0)
			return false;
	}
	/* only members of this cluster, and not those tagged nosync (or sync_priority 0) */
	return m != NULL && !m->foreign && !m->nosync && m->sync_priority > 0;
}

void
pgha_sync_plan(const PghaSyncInput *in, PghaSyncPlan *out)
{
	const PghaCluster *c = in->cluster;
	int			count = in->config->synchronous_node_count;
	char		picked[PGHA_MAX_SYNC][PGHA_NAME_LEN];
	int			npicked = 0;
	char		keyed[PGHA_MAX_SYNC][PGHA_NAME_LEN];	/* in the key now, ours */
	int			nkeyed = 0;
	char		keep[PGHA_MAX_SYNC][PGHA_NAME_LEN];
	int			nkeep = 0;
	char		want_ssn[sizeof(out->ssn)];
	bool		used[64];
	int			i;

	memset(out, 0, sizeof(*out));
	out->step = PGHA_SYNC_NOTHING;

	if (!in->config->synchronous_mode)
	{
		/* turned off: the key goes first, then the setting */
		if (c->has_sync)
		{
			out->step = PGHA_SYNC_DELETE_KEY;
			snprintf(out->reason, sizeof(out->reason), "synchronous_mode is off: removing the sync key");
		}
		else if (in->current_ssn[0] != '\0')
		{
			out->step = PGHA_SYNC_SET_SSN;
			snprintf(out->reason, sizeof(out->reason), "synchronous_mode is off: replicating asynchronously");
		}
		return;
	}

	if (in->key_in_doubt && c->has_sync && strcmp(c->sync_leader, in->me) == 0)
	{
		out->step = PGHA_SYNC_WRITE_KEY;
		out->quorum = c->sync_quorum;
		out->nsync = c->nsync;
		memcpy(out->sync, c->sync_standby, sizeof(out->sync));
		snprintf(out->reason, sizeof(out->reason),
				 "a sync key write of this leader may still land: the key is rewritten as read first");
		return;
	}

	if (in->config->quorum)
	{
		pgha_quorum_plan(in, out);
		return;
	}

	/*
	 * What the key says now, if it is ours.  A key of quorum mode (it
	 * promises only that q + 1 of its members include one with every
	 * commit) names no standby that has them all: it is rewritten first.
	 */
	if (c->has_sync && strcmp(c->sync_leader, in->me) == 0 && c->sync_quorum == 0)
		for (i = 0; i < c->nsync; i++)
			strlcpy(keyed[nkeyed++], c->sync_standby[i], PGHA_NAME_LEN);

	/*
	 * Pick: the highest sync_priority first (Patroni 4), then the standbys
	 * already synchronous (no needless churn), then the furthest ahead,
	 * then by name.
	 */
	memset(used, 0, sizeof(used));
	while (npicked < count)
	{
		int			best = -1;

		for (i = 0; i < in->nstandbys && i < (int) lengthof(used); i++)
		{
			const PghaStandby *s = &in->standbys[i];
			const PghaStandby *b;
			bool		s_keyed,
						b_keyed;
			int			s_prio,
						b_prio;

			if (used[i] || !pgha_sync_eligible(in, s) || in_list(npicked, picked, s->name))
				continue;
			if (best < 0)
			{
				best = i;
				continue;
			}
			b = &in->standbys[best];
			s_keyed = in_list(nkeyed, keyed, s->name);
			b_keyed = in_list(nkeyed, keyed, b->name);
			s_prio = pgha_cluster_member((PghaCluster *) c, s->name)->sync_priority;
			b_prio = pgha_cluster_member((PghaCluster *) c, b->name)->sync_priority;
			if (s_prio != b_prio ? s_prio > b_prio :
				s_keyed != b_keyed ? s_keyed :
				s->flush_lsn != b->flush_lsn ? s->flush_lsn > b->flush_lsn :
				strcmp(s->name, b->name) < 0)
				best = i;
		}
		if (best < 0)
			break;
		used[best] = true;
		strlcpy(picked[npicked++], in->standbys[best].name, PGHA_NAME_LEN);
	}

	/* 1. whoever will not stay synchronous leaves the key first */
	for (i = 0; i < nkeyed; i++)
		if (in_list(npicked, picked, keyed[i]))
			strlcpy(keep[nkeep++], keyed[i], PGHA_NAME_LEN);
	if (nkeep != nkeyed || !c->has_sync || strcmp(c->sync_leader, in->me) != 0 || c->sync_quorum != 0)
	{
		out->step = PGHA_SYNC_WRITE_KEY;
		out->nsync = nkeep;
		memcpy(out->sync, keep, sizeof(keep));
		snprintf(out->reason, sizeof(out->reason), "%s",
				 !c->has_sync || strcmp(c->sync_leader, in->me) != 0 ?
				 "this leader takes over the sync key" :
				 c->sync_quorum != 0 ? "quorum mode is off: the sync key names no standby first" :
				 "a synchronous standby is leaving: removed from the sync key first");
		return;
	}

	/* 2. then synchronous_standby_names names the picked standbys */
	if (npicked > 0)
		pgha_sync_ssn(npicked, (const char (*)[PGHA_NAME_LEN]) picked, count, want_ssn, sizeof(want_ssn));
	else
		strlcpy(want_ssn, in->config->synchronous_mode_strict ? "*" : "", sizeof(want_ssn));
	if (strcmp(want_ssn, in->current_ssn) != 0)
	{
		out->step = PGHA_SYNC_SET_SSN;
		strlcpy(out->ssn, want_ssn, sizeof(out->ssn));
		snprintf(out->reason, sizeof(out->reason), "%s",
				 npicked > 0 ? "synchronous standbys changed" :
				 in->config->synchronous_mode_strict ?
				 "no standby can be synchronous: commits wait for any (strict mode)" :
				 "no standby can be synchronous: replicating asynchronously");
		return;
	}

	/*
	 * 3. a picked standby joins the key once PostgreSQL treats it as
	 * synchronous and it has everything flushed before the setting changed
	 */
	for (i = 0; i < npicked; i++)
	{
		const PghaStandby *s = standby(in, picked[i]);

		if (!in_list(nkeep, keep, picked[i]) && s != NULL && s->sync &&
			s->flush_lsn >= in->ssn_set_lsn)
			strlcpy(keep[nkeep++], picked[i], PGHA_NAME_LEN);
	}
	if (!same_set(nkeep, (const char (*)[PGHA_NAME_LEN]) keep, nkeyed,
				  (const char (*)[PGHA_NAME_LEN]) keyed))
	{
		out->step = PGHA_SYNC_WRITE_KEY;
		out->nsync = nkeep;
		memcpy(out->sync, keep, sizeof(keep));
		snprintf(out->reason, sizeof(out->reason), "confirmed synchronous: added to the sync key");
	}
}
