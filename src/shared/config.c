/*-------------------------------------------------------------------------
 *
 * config.c
 *		The dynamic configuration (the config key) as Patroni reads it: the
 *		parser, its coercions and notes, the standby_cluster section, slots.
 *
 * Everything read from etcd is untrusted input: any etcd client with write
 * access to the prefix can put anything there.  Wrong types, oversized
 * strings and impossible values are refused with a message; they never
 * become a half-read struct.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/config.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/config_int.h"
#include "shared/json_read.h"
#include "lib/stringinfo.h"


void
pgha_config_defaults(PghaConfig *c)
{
	memset(c, 0, sizeof(*c));
	c->ttl = PGHA_DEFAULT_TTL;
	c->loop_wait = PGHA_DEFAULT_LOOP_WAIT;
	c->retry_timeout = PGHA_DEFAULT_RETRY_TIMEOUT;
	c->maximum_lag_on_failover = PGHA_DEFAULT_MAX_LAG;
	c->pause = false;
	c->synchronous_node_count = 1;
	c->maximum_lag_on_syncnode = -1;
	c->member_slots_ttl = PGHA_DEFAULT_MEMBER_SLOTS_TTL;
}

/*
 * member_slots_ttl as Patroni writes it: seconds, or a string with a unit
 * ("30min", "1h", "600s", "1d"; a bare number is seconds).
 */
static bool
get_duration(json_t *o, const char *name, int *out, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);
	int64		secs;

	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_integer(v))
		secs = (int64) json_integer_value(v);
	else if (json_is_string(v))
	{
		const char *t = json_string_value(v);
		char	   *end;
		long long	n = strtoll(t, &end, 10);

		if (end == t || n < 0 || n > 365LL * 86400)
			secs = -1;
		else if (*end == '\0' || strcmp(end, "s") == 0)
			secs = n;
		else if (strcmp(end, "min") == 0)
			secs = n * 60;
		else if (strcmp(end, "h") == 0)
			secs = n * 3600;
		else if (strcmp(end, "d") == 0)
			secs = n * 86400;
		else
			secs = -1;
	}
	else
		secs = -1;
	if (secs < 0 || secs > 365 * 86400)
	{
		snprintf(errbuf, errlen, "\"%s\" must be a number of seconds or a string like \"30min\", at most a year", name);
		return false;
	}
	*out = (int) secs;
	return true;
}

bool
pgha_config_validate(const PghaConfig *c, char *errbuf, size_t errlen)
{
	if (c->ttl < PGHA_MIN_TTL || c->ttl > 3600)
	{
		snprintf(errbuf, errlen, "ttl must be between %d and 3600 seconds, not %d",
				 PGHA_MIN_TTL, c->ttl);
		return false;
	}
	if (c->loop_wait < 1 || c->loop_wait > 3600)
	{
		snprintf(errbuf, errlen, "loop_wait must be between 1 and 3600 seconds, not %d",
				 c->loop_wait);
		return false;
	}
	if (c->retry_timeout < 1 || c->retry_timeout > 3600)
	{
		snprintf(errbuf, errlen, "retry_timeout must be between 1 and 3600 seconds, not %d",
				 c->retry_timeout);
		return false;
	}
	/* Patroni's rule: an etcd blip shorter than retry_timeout never demotes */
	if (c->loop_wait + 2 * c->retry_timeout > c->ttl)
	{
		snprintf(errbuf, errlen,
				 "loop_wait + 2 * retry_timeout (%d) must not exceed ttl (%d)",
				 c->loop_wait + 2 * c->retry_timeout, c->ttl);
		return false;
	}
	if (c->maximum_lag_on_failover < 0)
	{
		snprintf(errbuf, errlen, "maximum_lag_on_failover must not be negative");
		return false;
	}
	if (c->synchronous_node_count < 1 || c->synchronous_node_count > PGHA_MAX_SYNC)
	{
		snprintf(errbuf, errlen, "synchronous_node_count must be between 1 and %d, not %d",
				 PGHA_MAX_SYNC, c->synchronous_node_count);
		return false;
	}
	return true;
}

/*
 * Text from etcd made fit for a log line and a text column: control
 * characters (a key name with a newline would fake a log line) as "?", and
 * a multibyte character that a truncation cut in half removed (the column
 * would be invalid UTF-8).
 */
void
pgha_text_tidy(char *s)
{
	size_t		len = strlen(s);
	size_t		i = len;

	for (char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = '?';
	/* back to the lead byte of the last character: is it whole? */
	while (i > 0 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && ((unsigned char) s[i - 1] & 0x80) != 0)
	{
		unsigned char lead = (unsigned char) s[i - 1];
		size_t		need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;

		if (need == 0 || len - (i - 1) < need)
			s[i - 1] = '\0';
	}
}

/* add one note ("; " between), truncated rather than overflowing */
void
pgha_config_note(PghaConfigNotes *n, const char *fmt,...)
{
	char		buf[256];
	va_list		ap;

	if (n == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pgha_text_tidy(buf);
	if (n->text[0] != '\0')
		strlcat(n->text, "; ", sizeof(n->text));
	strlcat(n->text, buf, sizeof(n->text));
	pgha_text_tidy(n->text);
}

/* a JSON value as the note shows it: "30", 30.5 */
static void
json_repr(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
	{
		char		text[41];

		strlcpy(text, json_string_value(v), sizeof(text));
		pgha_text_tidy(text);
		snprintf(buf, len, "\"%s\"", text);
	}
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long) json_integer_value(v));
	else
		strlcpy(buf, "a value", len);
}

/* a number of the config key (member records and the other keys stay strict) */
static bool
get_config_int(json_t *o, const char *name, int64 *out, bool *present,
			   PghaConfigNotes *notes, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);
	char		repr[64];

	*present = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!pgha_json_int(v, out))
	{
		snprintf(errbuf, errlen, "\"%s\" must be an integer (a number, or a string of one)", name);
		return false;
	}
	if (!json_is_integer(v))
	{
		json_repr(v, repr, sizeof(repr));
		pgha_config_note(notes, "\"%s\": %s read as %lld", name, repr, (long long) *out);
	}
	*present = true;
	return true;
}

/*
 * A switch as Patroni reads one (parse_bool): true or false, or, in any
 * case, on/true/yes/1 and off/false/no/0, as strings or the numbers 1 and 0.
 * Patroni takes anything else for off; here it makes the config invalid, so
 * that the last valid one (a pause, say) stays in force.
 */
static bool
copy_config_bool(json_t *o, const char *name, bool *dst, PghaConfigNotes *notes,
				 char *errbuf, size_t errlen)
{
	static const char *const on[] = {"on", "true", "yes", "1", NULL};
	static const char *const off[] = {"off", "false", "no", "0", NULL};
	json_t	   *v = json_object_get(o, name);
	char		text[32] = "";
	char		repr[64];

	*dst = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_boolean(v))
	{
		*dst = json_is_true(v);
		return true;
	}
	if (json_is_integer(v))
		snprintf(text, sizeof(text), "%lld", (long long) json_integer_value(v));
	else if (json_is_string(v))
		strlcpy(text, json_string_value(v), sizeof(text));
	for (int i = 0; on[i]; i++)
	{
		if (pg_strcasecmp(text, on[i]) == 0 || pg_strcasecmp(text, off[i]) == 0)
		{
			*dst = pg_strcasecmp(text, on[i]) == 0;
			json_repr(v, repr, sizeof(repr));
			pgha_config_note(notes, "\"%s\": %s read as %s", name, repr, *dst ? "true" : "false");
			return true;
		}
	}
	snprintf(errbuf, errlen, "\"%s\" must be a boolean (true, false, on, off, yes, no, 1 or 0)", name);
	return false;
}

/* a value out of range: say it as a refusal would, then adjust setting to "to" */
static void
adjust(PghaConfigNotes *notes, int *value, int to, const char *setting,
	   const char *fmt,...) pg_attribute_printf(5, 6);

static void
adjust(PghaConfigNotes *notes, int *value, int to, const char *setting, const char *fmt,...)
{
	char		why[200];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (notes != NULL && notes->adjusted[0] == '\0')
		strlcpy(notes->adjusted, why, sizeof(notes->adjusted));
	pgha_config_note(notes, "%s: %s adjusted to %d", why, setting, to);
	*value = to;
}

/*
 * Out-of-range timings adjusted as Patroni adjusts its own (a WARNING and
 * on, never a refusal: the cluster must keep its pause and its failover),
 * to pgha's range: ttl, loop_wait, retry_timeout at least PGHA_MIN_TTL, 1,
 * 1 and at most 3600; then loop_wait + 2 * retry_timeout <= ttl, lowering
 * loop_wait first and retry_timeout only when loop_wait is down to 1.
 */
static void
adjust_timings(PghaConfig *c, PghaConfigNotes *notes)
{
	int			sum;

	if (c->ttl < PGHA_MIN_TTL || c->ttl > PGHA_MAX_TTL)
		adjust(notes, &c->ttl, c->ttl < PGHA_MIN_TTL ? PGHA_MIN_TTL : PGHA_MAX_TTL, "ttl",
			   "ttl must be between %d and %d seconds, not %d", PGHA_MIN_TTL, PGHA_MAX_TTL, c->ttl);
	if (c->loop_wait < 1 || c->loop_wait > 3600)
		adjust(notes, &c->loop_wait, c->loop_wait < 1 ? 1 : 3600, "loop_wait",
			   "loop_wait must be between 1 and 3600 seconds, not %d", c->loop_wait);
	if (c->retry_timeout < 1 || c->retry_timeout > 3600)
		adjust(notes, &c->retry_timeout, c->retry_timeout < 1 ? 1 : 3600, "retry_timeout",
			   "retry_timeout must be between 1 and 3600 seconds, not %d", c->retry_timeout);
	sum = c->loop_wait + 2 * c->retry_timeout;
	if (1 + 2 * c->retry_timeout > c->ttl)
	{
		adjust(notes, &c->retry_timeout, (c->ttl - 1) / 2, "retry_timeout",
			   "loop_wait + 2 * retry_timeout (%d) must not exceed ttl (%d)", sum, c->ttl);
		if (c->loop_wait != 1)
			adjust(notes, &c->loop_wait, 1, "loop_wait",
				   "loop_wait + 2 * retry_timeout (%d) must not exceed ttl (%d)", sum, c->ttl);
	}
	else if (sum > c->ttl)
		adjust(notes, &c->loop_wait, c->ttl - 2 * c->retry_timeout, "loop_wait",
			   "loop_wait + 2 * retry_timeout (%d) must not exceed ttl (%d)", sum, c->ttl);
}

/* a name PostgreSQL takes for a replication slot: [a-z0-9_], at most 63 bytes */
static bool
valid_slot_name(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len >= PGHA_NAME_LEN)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* a string member of a slot entry into dst; false if present and not a short string */
static bool
slot_field(json_t *o, const char *key, char *dst, size_t dstlen)
{
	json_t	   *v = json_object_get(o, key);

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || strlen(json_string_value(v)) >= dstlen)
		return false;
	strlcpy(dst, json_string_value(v), dstlen);
	return true;
}

/* a value Python reads as false: null, false, 0, "", {}, [] */
static bool
json_falsy(json_t *v)
{
	return v == NULL || json_is_null(v) || json_is_false(v) ||
		(json_is_integer(v) && json_integer_value(v) == 0) ||
		(json_is_real(v) && json_real_value(v) == 0) ||
		(json_is_string(v) && json_string_length(v) == 0) ||
		(json_is_object(v) && json_object_size(v) == 0) ||
		(json_is_array(v) && json_array_size(v) == 0);
}

/*
 * "slots", as Patroni reads it: an empty value (null, 0, "", false, {}) is
 * a physical slot; an object without "type" is logical when it names a
 * database and a plugin, physical otherwise; "cluster_type": "standby"
 * keeps a slot off a primary cluster (a standby cluster keeps none).  An
 * entry pgha cannot use is noted and skipped, never an error: a reader
 * must not refuse a config Patroni wrote.
 */
static void
parse_permanent_slots(json_t *root, PghaConfig *c, PghaConfigNotes *notes)
{
	json_t	   *slots = json_object_get(root, "slots");
	const char *name;
	json_t	   *v;

	if (json_falsy(slots))
		return;
	if (!json_is_object(slots))
	{
		pgha_config_note(notes, "\"slots\" is no object of slot names (ignored)");
		return;
	}
	json_object_foreach(slots, name, v)
	{
		PghaPermanentSlot *ps = &c->slots[c->nslots];
		char		type[16] = "";
		char		cluster_type[16] = "";

		if (c->nslots >= PGHA_MAX_PERMANENT_SLOTS)
		{
			pgha_config_note(notes, "\"slots\": more than %d permanent slots (the rest ignored)", PGHA_MAX_PERMANENT_SLOTS);
			return;
		}
		if (!valid_slot_name(name))
		{
			pgha_config_note(notes, "\"slots\": \"%s\" is no replication slot name (lower-case letters, digits, _; ignored)", name);
			continue;
		}
		memset(ps, 0, sizeof(*ps));
		strlcpy(ps->name, name, sizeof(ps->name));
		if (!json_falsy(v) && !json_is_object(v))
		{
			pgha_config_note(notes, "\"slots\": \"%s\" is no object (ignored)", name);
			continue;
		}
		if (json_is_object(v) &&
			(!slot_field(v, "type", type, sizeof(type)) ||
			 !slot_field(v, "database", ps->database, sizeof(ps->database)) ||
			 !slot_field(v, "plugin", ps->plugin, sizeof(ps->plugin)) ||
			 !slot_field(v, "cluster_type", cluster_type, sizeof(cluster_type))))
		{
			pgha_config_note(notes, "\"slots\": \"%s\" has a type, database, plugin or cluster_type that is no name (ignored)", name);
			continue;
		}
		if (type[0] == '\0')
			strlcpy(type, ps->database[0] && ps->plugin[0] ? "logical" : "physical", sizeof(type));
		if (strcmp(cluster_type, "standby") == 0)
		{
			pgha_config_note(notes, "\"slots\": \"%s\" is for standby clusters only (ignored)", name);
			continue;
		}
		if (strcmp(type, "physical") == 0)
			ps->logical = false;
		else if (strcmp(type, "logical") == 0)
		{
			ps->logical = true;
			if (ps->database[0] == '\0' || ps->plugin[0] == '\0')
			{
				pgha_config_note(notes, "\"slots\": logical slot \"%s\" needs a database and a plugin (ignored)", name);
				continue;
			}
		}
		else
		{
			pgha_config_note(notes, "\"slots\": \"%s\" has type \"%s\", neither physical nor logical (ignored)", name, type);
			continue;
		}
		c->nslots++;
	}
}

/* "ignore_slots": [{"name", "type", "database", "plugin"}, ...], each part optional */
static void
parse_ignore_slots(json_t *root, PghaConfig *c, PghaConfigNotes *notes)
{
	json_t	   *list = json_object_get(root, "ignore_slots");
	size_t		i;

	if (list == NULL || json_is_null(list))
		return;
	if (!json_is_array(list))
	{
		pgha_config_note(notes, "\"ignore_slots\" is no list (ignored)");
		return;
	}
	for (i = 0; i < json_array_size(list); i++)
	{
		json_t	   *e = json_array_get(list, i);
		PghaIgnoreSlot *ig = &c->ignore[c->nignore];

		if (c->nignore >= PGHA_MAX_PERMANENT_SLOTS)
		{
			pgha_config_note(notes, "\"ignore_slots\": more than %d entries (the rest ignored)", PGHA_MAX_PERMANENT_SLOTS);
			return;
		}
		memset(ig, 0, sizeof(*ig));
		if (!json_is_object(e) ||
			!slot_field(e, "name", ig->name, sizeof(ig->name)) ||
			!slot_field(e, "type", ig->type, sizeof(ig->type)) ||
			!slot_field(e, "database", ig->database, sizeof(ig->database)) ||
			!slot_field(e, "plugin", ig->plugin, sizeof(ig->plugin)))
		{
			pgha_config_note(notes, "\"ignore_slots\": entry %d is no object of names (ignored)", (int) i + 1);
			continue;
		}
		c->nignore++;
	}
}

/*
 * The keys of a config, against what pgha implements: Patroni's keys pgha
 * does not implement, and keys nobody knows (a typo), are kept in etcd and
 * noted; a standby_cluster section makes a standby cluster.
 */
static void
check_keys(json_t *root, PghaConfig *c, PghaConfigNotes *notes)
{
	static const char *const implemented[] = {
		"ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover", "pause",
		"synchronous_mode", "synchronous_mode_strict", "synchronous_node_count",
		"failsafe_mode", "member_slots_ttl", "postgresql", "standby_cluster", "check_timeline",
		"slots", "ignore_slots", "maximum_lag_on_syncnode", NULL
	};
	static const char *const patroni[] = {
		"max_timelines_history",
		"primary_start_timeout", "primary_stop_timeout", "master_start_timeout",
		"master_stop_timeout", NULL
	};
	const char *key;
	json_t	   *v;
	json_t	   *pg;

	json_object_foreach(root, key, v)
	{
		bool		known = false;

		for (int i = 0; implemented[i]; i++)
			known |= strcmp(key, implemented[i]) == 0;
		if (known)
			continue;
		for (int i = 0; patroni[i]; i++)
			known |= strcmp(key, patroni[i]) == 0;
		pgha_config_note(notes, known ? "\"%s\" is not implemented by pgha (kept, ignored)" :
			 "\"%s\" is no setting pgha or Patroni knows (kept, ignored)", key);
	}
	/* pgha always checks the timeline, as check_timeline: true does */
	v = json_object_get(root, "check_timeline");
	if (v != NULL && (json_is_false(v) || (json_is_string(v) && pg_strcasecmp(json_string_value(v), "false") == 0)))
		pgha_config_note(notes, "\"check_timeline\": false is not implemented by pgha: it always checks");

	pg = json_object_get(root, "postgresql");
	if (json_is_object(pg))
	{
		json_object_foreach(pg, key, v)
		{
			if (strcmp(key, "parameters") == 0 || strcmp(key, "pg_hba") == 0)
				continue;
			/* pgha always uses slots and pg_rewind: true is what it does */
			if ((strcmp(key, "use_slots") == 0 || strcmp(key, "use_pg_rewind") == 0) && !json_is_false(v))
				continue;
			pgha_config_note(notes, json_is_false(v) ? "\"postgresql.%s\": false is not implemented by pgha (kept, ignored)" :
				 "\"postgresql.%s\" is not implemented by pgha (kept, ignored)", key);
		}
	}

	v = json_object_get(root, "standby_cluster");
	if (v != NULL && !json_is_null(v) && !(json_is_object(v) && json_object_size(v) == 0))
		pgha_config_standby_parse(v, c, notes);
}

bool
pgha_config_parse(const char *json, size_t len, PghaConfig *c, PghaConfigNotes *notes,
				  char *errbuf, size_t errlen)
{
	json_t	   *root;
	bool		ok = false;
	bool		present;
	int64		v = 0;
	json_t	   *sm;
	struct
	{
		const char *name;
		int		   *dst;
	}			secs[] = {{"ttl", &c->ttl}, {"loop_wait", &c->loop_wait}, {"retry_timeout", &c->retry_timeout}};

	pgha_config_defaults(c);
	if (notes != NULL)
		memset(notes, 0, sizeof(*notes));
	root = pgha_etcdj_load(json, len, errbuf, errlen);
	if (root == NULL)
		return false;
	for (int i = 0; i < lengthof(secs); i++)
	{
		if (!get_config_int(root, secs[i].name, &v, &present, notes, errbuf, errlen))
			goto done;
		if (present)
			*secs[i].dst = (int) Max(Min(v, INT_MAX / 4), INT_MIN / 4);
	}
	/*
	 * Patroni 4 reads a maximum_lag_on_failover that is no number ("16MB":
	 * its parse_int() has no base unit for it) as the default: so does pgha.
	 */
	if (!get_config_int(root, "maximum_lag_on_failover", &v, &present, notes, errbuf, errlen))
	{
		char		repr[64];

		json_repr(json_object_get(root, "maximum_lag_on_failover"), repr, sizeof(repr));
		pgha_config_note(notes, "\"maximum_lag_on_failover\": %s is no number of bytes: read as the default %lld, as Patroni reads it",
			 repr, (long long) PGHA_DEFAULT_MAX_LAG);
		present = false;
	}
	if (present && v < 0)
	{
		pgha_config_note(notes, "maximum_lag_on_failover must not be negative: adjusted to 0");
		if (notes != NULL && notes->adjusted[0] == '\0')
			strlcpy(notes->adjusted, "maximum_lag_on_failover must not be negative", sizeof(notes->adjusted));
		v = 0;
	}
	if (present)
		c->maximum_lag_on_failover = v;

	/* Patroni 4: true/false as any switch, or "quorum" (any case) */
	sm = json_object_get(root, "synchronous_mode");
	if (json_is_string(sm) && pg_strcasecmp(json_string_value(sm), "quorum") == 0)
		c->synchronous_mode = c->quorum = true;
	else if (!copy_config_bool(root, "synchronous_mode", &c->synchronous_mode, notes, errbuf, errlen))
		goto done;
	if (!copy_config_bool(root, "pause", &c->pause, notes, errbuf, errlen) ||
		!copy_config_bool(root, "synchronous_mode_strict", &c->synchronous_mode_strict, notes, errbuf, errlen) ||
		!copy_config_bool(root, "failsafe_mode", &c->failsafe_mode, notes, errbuf, errlen) ||
		!get_config_int(root, "synchronous_node_count", &v, &present, notes, errbuf, errlen))
		goto done;
	if (present)
	{
		int			n = (int) Max(Min(v, 1000), -1000);

		if (n < 1 || n > PGHA_MAX_SYNC)
			adjust(notes, &n, n < 1 ? 1 : PGHA_MAX_SYNC, "synchronous_node_count",
				   "synchronous_node_count must be between 1 and %d, not %d", PGHA_MAX_SYNC, n);
		c->synchronous_node_count = n;
	}
	/* Patroni reads a value <= 0 as no limit, and so does pgha */
	if (!get_config_int(root, "maximum_lag_on_syncnode", &v, &present, notes, errbuf, errlen))
		goto done;
	if (present)
		c->maximum_lag_on_syncnode = v;
	if (!get_duration(root, "member_slots_ttl", &c->member_slots_ttl, errbuf, errlen))
		goto done;
	adjust_timings(c, notes);

	/*
	 * An etcd leader election can keep renewals from succeeding for 2 to
	 * 3 s (bench/elections.pl): a fence window that short fences the
	 * primary at about every third one, unless all members vouch for it
	 */
	if (!c->failsafe_mode && pgha_fence_after_ms(c) <= 3000)
		pgha_config_note(notes, "ttl %d without failsafe_mode: an etcd leader election can outlast the %lld-ms fence window and fail the primary over",
						 c->ttl, (long long) pgha_fence_after_ms(c));
	check_keys(root, c, notes);
	parse_permanent_slots(root, c, notes);
	parse_ignore_slots(root, c, notes);
	ok = pgha_config_validate(c, errbuf, errlen);
done:
	json_decref(root);
	return ok;
}

