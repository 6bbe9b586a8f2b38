/*-------------------------------------------------------------------------
 *
 * history.c
 *		The history key: the timelines the cluster went through, as Patroni
 *		writes them, read and extended.
 *
 * Reserved timeline ids and skipped ones (shared/timeline.h) are entries
 * too.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/cluster.h"
#include "shared/json_read.h"
#include "lib/stringinfo.h"
#include "shared/timeline.h"

/* the history key as a JSON array, NULL if it is empty or no array */
static json_t *
history_load(const char *history)
{
	json_error_t jerr;
	json_t	   *arr;

	if (history == NULL || history[0] == '\0')
		return NULL;
	arr = json_loads(history, 0, &jerr);
	if (arr != NULL && !json_is_array(arr))
	{
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}

bool
pgha_history_entry(const char *history, int tli, int64 *lsn)
{
	json_t	   *arr = history_load(history);
	size_t		i;
	bool		found = false;

	if (arr == NULL)
		return false;
	for (i = 0; i < json_array_size(arr); i++)
	{
		json_t	   *e = json_array_get(arr, i);
		json_t	   *t = json_array_get(e, 0);
		json_t	   *l = json_array_get(e, 1);

		if (json_is_integer(t) && json_is_integer(l) && json_integer_value(t) == tli)
		{
			*lsn = (int64) json_integer_value(l);
			found = true;
		}
	}
	json_decref(arr);
	return found;
}

static int	history_entry_timeline(json_t *entry);

int
pgha_history_file_parse(const char *text, PghaTimelineSwitch *out, int max)
{
	const char *p = text;
	int			n = 0;

	while (*p != '\0')
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);
		char		line[1024];
		unsigned int tli,
					hi,
					lo;
		char	   *s;

		snprintf(line, sizeof(line), "%.*s", (int) Min(len, sizeof(line) - 1), p);
		p += len + (eol ? 1 : 0);
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		if (sscanf(s, "%u\t%X/%X", &tli, &hi, &lo) != 3 || tli == 0 || tli >= INT32_MAX)
			return -1;
		if (n < max)
		{
			out[n].timeline = (int) tli;
			out[n].lsn = ((uint64) hi << 32) | lo;
		}
		n++;
	}
	return Min(n, max);
}

bool
pgha_history_began(const char *history, int tli, PghaTimelineSwitch *began)
{
	json_t	   *arr;
	size_t		i;
	bool		found = false;

	if (tli < 2 || pgha_history_next_timeline(history) < tli || pgha_history_skipped(history, tli))
		return false;
	arr = history_load(history);
	for (i = 0; arr != NULL && i < json_array_size(arr); i++)
	{
		json_t	   *e = json_array_get(arr, i);
		json_t	   *l = json_array_get(e, 1);
		int			t = history_entry_timeline(e);

		if (t > 0 && t < tli && json_is_integer(l) && json_integer_value(l) > 0 &&
			(!found || t >= began->timeline))
		{
			began->timeline = t;
			began->lsn = (uint64) json_integer_value(l);
			found = true;
		}
	}
	json_decref(arr);
	return found;
}

bool
pgha_history_fork_lsn(const char *history, int tli, uint64 *lsn)
{
	json_t	   *arr = history_load(history);
	size_t		i;
	bool		found = false;

	if (arr == NULL)
		return false;
	for (i = 0; i < json_array_size(arr); i++)
	{
		json_t	   *e = json_array_get(arr, i);
		json_t	   *l = json_array_get(e, 1);

		if (history_entry_timeline(e) >= tli && json_is_integer(l) && json_integer_value(l) > 0 &&
			(!found || (uint64) json_integer_value(l) < *lsn))
		{
			*lsn = (uint64) json_integer_value(l);
			found = true;
		}
	}
	json_decref(arr);
	return found;
}

bool
pgha_history_switch_lsn(const char *history, int tli, uint64 *lsn)
{
	int64		at;

	if (!pgha_history_entry(history, tli, &at) || at <= 0)
		return false;
	*lsn = (uint64) at;
	return true;
}

int
pgha_history_next_timeline(const char *history)
{
	json_t	   *arr = history_load(history);
	size_t		i;
	int			next = 0;

	if (arr == NULL)
		return 0;
	for (i = 0; i < json_array_size(arr); i++)
	{
		json_t	   *t = json_array_get(json_array_get(arr, i), 0);

		if (json_is_integer(t) && json_integer_value(t) > 0 &&
			json_integer_value(t) < INT32_MAX && json_integer_value(t) + 1 > next)
			next = (int) json_integer_value(t) + 1;
	}
	json_decref(arr);
	return next;
}

static int
history_entry_timeline(json_t *entry)
{
	json_t	   *t = json_array_get(entry, 0);

	return json_is_integer(t) ? (int) json_integer_value(t) : 0;
}

/* the old key's entry for tli at lsn (its reason, time and leader kept), or NULL */
static json_t *
history_old_entry(json_t *old, int tli, uint64 lsn)
{
	size_t		j;

	for (j = 0; old != NULL && j < json_array_size(old); j++)
	{
		json_t	   *e = json_array_get(old, j);
		json_t	   *l = json_array_get(e, 1);

		if (history_entry_timeline(e) == tli && json_is_integer(l) &&
			(uint64) json_integer_value(l) == lsn)
			return e;
	}
	return NULL;
}

static void
history_append(json_t *arr, json_t *old, int tli, uint64 lsn, const char *reason,
			   const char *timestamp, const char *leader)
{
	json_t	   *kept = history_old_entry(old, tli, lsn);
	json_t	   *entry;

	if (kept != NULL)
	{
		json_array_append(arr, kept);
		return;
	}
	entry = json_array();
	json_array_append_new(entry, json_integer(tli));
	json_array_append_new(entry, json_integer((json_int_t) lsn));
	json_array_append_new(entry, json_string(reason));
	json_array_append_new(entry, json_string(timestamp));
	json_array_append_new(entry, json_string(leader));
	json_array_append_new(arr, entry);
}

char *
pgha_history_add(const char *history, const PghaTimelineSwitch *sw, int n, int current,
				 const char *reason, const char *timestamp, const char *leader)
{
	json_t	   *old = history_load(history);
	json_t	   *arr = json_array();
	char	   *s = NULL;
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		newest = (i == n - 1);
		int			next = newest ? current : sw[i + 1].timeline;
		int			skipped;

		history_append(arr, old, sw[i].timeline, sw[i].lsn, reason,
					   newest ? timestamp : "", newest ? leader : "");

		/*
		 * Ids between a timeline and the next one in the file were reserved
		 * by promotions that never led, or led a branch this history left:
		 * nothing on them is in this history, which LSN 0 says.
		 */
		for (skipped = sw[i].timeline + 1; skipped < next && skipped - sw[i].timeline <= 64; skipped++)
			history_append(arr, old, skipped, 0, PGHA_TIMELINE_SKIPPED, "", "");
	}
	/* nothing to write when the key already says exactly this */
	if (old == NULL || !json_equal(old, arr))
		s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (old)
		json_decref(old);
	return s;
}

