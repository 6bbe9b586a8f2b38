/*-------------------------------------------------------------------------
 *
 * quorum.c
 *		Quorum commit on the leader, one safe step at a time (quorum.h).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/quorum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/quorum.h"

typedef char MemberName[PGHA_NAME_LEN];

/* PostgreSQL matches standby names without regard to case */
static bool
has_name(int n, const MemberName *names, const char *name)
{
	for (int i = 0; i < n; i++)
		if (pg_strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

static bool
same_names(int na, const MemberName *a, int nb, const MemberName *b)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (!has_name(nb, b, a[i]))
			return false;
	return true;
}

/* one standby name: "quoted" ("" for a quote) or bare; false: unreadable */
static bool
ssn_name(const char **pp, char *out, size_t outlen)
{
	const char *p = *pp;
	size_t		len = 0;

	if (*p == '"')
	{
		for (p++; *p && !(*p == '"' && p[1] != '"'); p++)
		{
			if (*p == '"')
				p++;
			if (len + 1 >= outlen)
				return false;
			out[len++] = *p;
		}
		if (*p != '"')
			return false;
		p++;
	}
	else
	{
		while (*p && (isalnum((unsigned char) *p) || *p == '_' || *p == '.' || *p == '-' ||
					  *p == '$' || *p == '*' || (unsigned char) *p >= 0x80))
		{
			if (len + 1 >= outlen)
				return false;
			out[len++] = *p++;
		}
	}
	out[len] = '\0';
	*pp = p;
	return len > 0;
}

static void
skip_space(const char **pp)
{
	while (isspace((unsigned char) **pp))
		(*pp)++;
}

/*
 * synchronous_standby_names' grammar: [FIRST|ANY] k (name, ...), or a bare
 * list (FIRST 1).  What does not read as that promises nothing (k = 0).
 */
void
pgha_ssn_parse(const char *value, PghaSsn *out)
{
	const char *p = value ? value : "";
	bool		parens = false;
	char		name[PGHA_NAME_LEN];

	memset(out, 0, sizeof(*out));
	skip_space(&p);
	if (*p == '\0')
		return;
	out->k = 1;
	if (pg_strncasecmp(p, "ANY", 3) == 0 && isspace((unsigned char) p[3]))
		p += 3;
	else if (pg_strncasecmp(p, "FIRST", 5) == 0 && isspace((unsigned char) p[5]))
		p += 5;
	skip_space(&p);
	if (isdigit((unsigned char) *p))
	{
		const char *q = p;

		while (isdigit((unsigned char) *q))
			q++;
		skip_space(&q);
		/* a number followed by "(" is k; otherwise it is a name */
		if (*q == '(')
		{
			out->k = atoi(p);
			p = q;
		}
	}
	if (*p == '(')
	{
		parens = true;
		p++;
	}
	for (;;)
	{
		skip_space(&p);
		if (!ssn_name(&p, name, sizeof(name)) || out->n >= PGHA_MAX_SYNC)
			goto unreadable;
		if (strcmp(name, "*") == 0)
			out->any = true;
		else if (!has_name(out->n, (const MemberName *) out->names, name))
			strlcpy(out->names[out->n++], name, PGHA_NAME_LEN);
		skip_space(&p);
		if (*p != ',')
			break;
		p++;
	}
	if (parens && *p++ != ')')
		goto unreadable;
	skip_space(&p);
	if (*p != '\0' || out->k <= 0)
		goto unreadable;
	return;
unreadable:
	memset(out, 0, sizeof(*out));
}

int
pgha_quorum_guarantee(const PghaSsn *ssn, int nmembers, const char (*members)[PGHA_NAME_LEN])
{
	int			outside = 0;

	if (ssn->k == 0 || ssn->any)
		return 0;
	/* more required than listed: no commit is ever acknowledged */
	if (ssn->k > ssn->n)
		return nmembers;
	for (int i = 0; i < ssn->n; i++)
		if (!has_name(nmembers, members, ssn->names[i]))
			outside++;
	return Max(0, ssn->k - outside);
}

void
pgha_quorum_ssn(int k, int n, const char (*names)[PGHA_NAME_LEN], char *out, size_t outlen)
{
	snprintf(out, outlen, "ANY %d (", k);
	for (int i = 0; i < n; i++)
	{
		/* member names are [A-Za-z0-9_.-]: quoting is enough */
		strlcat(out, i ? ",\"" : "\"", outlen);
		strlcat(out, names[i], outlen);
		strlcat(out, "\"", outlen);
	}
	strlcat(out, ")", outlen);
}

/*
 * The standbys that should acknowledge commits: every eligible one without
 * nofailover, and those with it only as far as synchronous_node_count
 * needs them (a voter that may not be promoted yet is ahead of every
 * candidate would stop them all, as in Patroni); the highest sync_priority
 * first when there are more than the key holds.  Sorted by name.
 */
static int
targets(const PghaSyncInput *in, MemberName *out)
{
	const PghaMember *cand[64];
	int			ncand = 0;
	int			n = 0;

	for (int i = 0; i < in->nstandbys && ncand < (int) lengthof(cand); i++)
	{
		const PghaMember *m;
		bool		dup = false;

		if (!pgha_sync_eligible(in, &in->standbys[i]))
			continue;
		m = pgha_cluster_member((PghaCluster *) in->cluster, in->standbys[i].name);
		for (int j = 0; j < ncand; j++)
			dup |= cand[j] == m;
		if (!dup)
			cand[ncand++] = m;
	}
	/* nofailover last, then by sync_priority, then by name */
	for (int a = 1; a < ncand; a++)
		for (int b = a; b > 0; b--)
		{
			const PghaMember *x = cand[b - 1];
			const PghaMember *y = cand[b];
			bool		swap = x->nofailover != y->nofailover ? x->nofailover :
				x->sync_priority != y->sync_priority ? x->sync_priority < y->sync_priority :
				strcmp(x->name, y->name) > 0;

			if (!swap)
				break;
			cand[b - 1] = y;
			cand[b] = x;
		}
	for (int i = 0; i < ncand && n < PGHA_MAX_SYNC; i++)
		if (!cand[i]->nofailover || n < in->config->synchronous_node_count)
			strlcpy(out[n++], cand[i]->name, PGHA_NAME_LEN);
	qsort(out, n, sizeof(MemberName), (int (*) (const void *, const void *)) strcmp);
	return n;
}

/* members of set that are not in the other */
static int
count_outside(int n, const MemberName *set, int nother, const MemberName *other)
{
	int			count = 0;

	for (int i = 0; i < n; i++)
		if (!has_name(nother, other, set[i]))
			count++;
	return count;
}

static void
write_key(PghaSyncPlan *out, int quorum, int n, const MemberName *names, const char *reason)
{
	out->step = PGHA_SYNC_WRITE_KEY;
	out->quorum = quorum;
	out->nsync = n;
	memcpy(out->sync, names, sizeof(MemberName) * n);
	strlcpy(out->reason, reason, sizeof(out->reason));
}

void
pgha_quorum_plan(const PghaSyncInput *in, PghaSyncPlan *out)
{
	const PghaCluster *c = in->cluster;
	MemberName		t[PGHA_MAX_SYNC];	/* target: the standbys and the key's voters */
	int			nt;
	int			k;				/* target: how many acknowledge */
	char		want_ssn[sizeof(out->ssn)];
	PghaSsn		now;
	PghaSsn		target;
	MemberName		confirmed[64];
	int			nconfirmed = 0;
	const MemberName *v = (const MemberName *) c->sync_standby;
	int			nv = c->nsync;
	int			q = c->sync_quorum;

	memset(out, 0, sizeof(*out));
	out->step = PGHA_SYNC_NOTHING;

	/* a key of another leader (or none) promises nothing of our commits */
	if (!c->has_sync || strcmp(c->sync_leader, in->me) != 0)
	{
		write_key(out, 0, 0, NULL, "this leader takes over the sync key");
		return;
	}

	nt = targets(in, t);

	/*
	 * Strict: synchronous_node_count standbys acknowledge every commit;
	 * with fewer eligible, commits wait ('ANY 2 ("a")' acknowledges none).
	 * Otherwise as many as there are, down to asynchronous.
	 */
	k = in->config->synchronous_mode_strict ? in->config->synchronous_node_count :
		Min(in->config->synchronous_node_count, nt);
	if (nt > 0)
		pgha_quorum_ssn(k, nt, (const MemberName *) t, want_ssn, sizeof(want_ssn));
	else
		strlcpy(want_ssn, in->config->synchronous_mode_strict ?
				pgha_sync_strict_ssn(in->config) : "", sizeof(want_ssn));
	pgha_ssn_parse(in->current_ssn, &now);
	pgha_ssn_parse(want_ssn, &target);

	/*
	 * Standbys that flushed past the primary's flush position of the
	 * moment the setting in force took effect have every commit
	 * acknowledged before it.
	 */
	for (int i = 0; i < in->nstandbys && nconfirmed < (int) lengthof(confirmed); i++)
		if (in->standbys[i].streaming && in->standbys[i].flush_lsn >= in->ssn_set_lsn)
			strlcpy(confirmed[nconfirmed++], in->standbys[i].name, PGHA_NAME_LEN);

	if (strcmp(want_ssn, in->current_ssn) != 0)
	{
		MemberName		v2[PGHA_MAX_SYNC];
		int			nv2 = nv;
		int			q2;

		/*
		 * The key in force is true of what the new setting acknowledges
		 * (and of the setting in force, as it should be: a value set by
		 * hand may not be)
		 */
		if (nv - pgha_quorum_guarantee(&target, nv, v) <= q &&
			nv - pgha_quorum_guarantee(&now, nv, v) <= q)
		{
			out->step = PGHA_SYNC_SET_SSN;
			strlcpy(out->ssn, want_ssn, sizeof(out->ssn));
			snprintf(out->reason, sizeof(out->reason), "%s",
					 nt == 0 ? (in->config->synchronous_mode_strict ?
								"no standby can be synchronous: commits wait for any (strict mode)" :
								"no standby can be synchronous: replicating asynchronously") :
					 nt < k ? "quorum: fewer standbys than synchronous_node_count: commits wait (strict mode)" :
					 "quorum: the standbys or their number changed");
			return;
		}

		/*
		 * It is not: first a key true of both settings and of what came
		 * before (the voters of both, as many as the key holds).
		 */
		memcpy(v2, v, sizeof(MemberName) * nv);
		for (int i = 0; i < nt; i++)
			if (!has_name(nv2, (const MemberName *) v2, t[i]) && nv2 < PGHA_MAX_SYNC)
				strlcpy(v2[nv2++], t[i], PGHA_NAME_LEN);
		qsort(v2, nv2, sizeof(MemberName), (int (*) (const void *, const void *)) strcmp);
		q2 = Max(nv2 - pgha_quorum_guarantee(&now, nv2, (const MemberName *) v2),
				 nv2 - pgha_quorum_guarantee(&target, nv2, (const MemberName *) v2));
		q2 = Max(q2, count_outside(nv2, (const MemberName *) v2, nconfirmed, (const MemberName *) confirmed));
		write_key(out, q2, nv2, (const MemberName *) v2,
				  "quorum: the sync key covers the new synchronous_standby_names before it is set");
		return;
	}

	/* the setting is the target: so becomes the key, once it is true */
	{
		/* strict with fewer than k: nothing is acknowledged, all must have it */
		int			qt = Max(0, nt - k);

		if (same_names(nv, v, nt, (const MemberName *) t) && q == qt)
			return;
		if (nt - pgha_quorum_guarantee(&now, nt, (const MemberName *) t) <= qt &&
			count_outside(nt, (const MemberName *) t, nconfirmed, (const MemberName *) confirmed) <= qt)
			write_key(out, qt, nt, (const MemberName *) t, "quorum: confirmed");
		else
			snprintf(out->reason, sizeof(out->reason),
					 "quorum: waiting for standbys to flush past %X/%X",
					 (unsigned) (in->ssn_set_lsn >> 32), (unsigned) in->ssn_set_lsn);
	}
}
