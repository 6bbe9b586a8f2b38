/*-------------------------------------------------------------------------
 *
 * cluster.c
 *		Dynamic config, member records and the cluster snapshot: the JSON
 *		pgha reads from and writes to etcd, as C structs.
 *
 * Everything read from etcd is untrusted input: any etcd client with write
 * access to the prefix can put anything there.  Wrong types, oversized
 * strings and impossible values are refused with a message; they never
 * become a half-read struct.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/cluster.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "common/cluster.h"
#include "common/etcd_json.h"
#include "common/keys.h"
#include "common/timeline.h"
#include "lib/stringinfo.h"

/* ---- config ---- */

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
static void
note(PghaConfigNotes *n, const char *fmt,...) pg_attribute_printf(2, 3);

static void
note(PghaConfigNotes *n, const char *fmt,...)
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

/*
 * A number as Patroni reads one with Python's int(): a JSON integer, a real
 * (its integer part), or a string of an integer with blanks around it
 * ("30", " 30 ").  Units ("30s") are not numbers to Patroni either.
 */
static bool
json_as_int(json_t *v, int64 *out)
{
	if (json_is_integer(v))
	{
		*out = (int64) json_integer_value(v);
		return true;
	}
	if (json_is_real(v))
	{
		double		d = json_real_value(v);

		if (!(d > -9e15 && d < 9e15))
			return false;
		*out = (int64) d;
		return true;
	}
	if (json_is_string(v))
	{
		const char *p = json_string_value(v);
		char	   *end;
		long long	n;

		while (isspace((unsigned char) *p))
			p++;
		if (!(isdigit((unsigned char) *p) || ((*p == '-' || *p == '+') && isdigit((unsigned char) p[1]))))
			return false;
		errno = 0;
		n = strtoll(p, &end, 10);
		while (isspace((unsigned char) *end))
			end++;
		if (*end != '\0' || errno != 0)
			return false;
		*out = (int64) n;
		return true;
	}
	return false;
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
	if (!json_as_int(v, out))
	{
		snprintf(errbuf, errlen, "\"%s\" must be an integer (a number, or a string of one)", name);
		return false;
	}
	if (!json_is_integer(v))
	{
		json_repr(v, repr, sizeof(repr));
		note(notes, "\"%s\": %s read as %lld", name, repr, (long long) *out);
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
			note(notes, "\"%s\": %s read as %s", name, repr, *dst ? "true" : "false");
			return true;
		}
	}
	snprintf(errbuf, errlen, "\"%s\" must be a boolean (true, false, on, off, yes, no, 1 or 0)", name);
	return false;
}

static bool
get_int(json_t *o, const char *name, int64 *out, bool *present, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);

	*present = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v))
	{
		snprintf(errbuf, errlen, "\"%s\" must be an integer", name);
		return false;
	}
	*out = (int64) json_integer_value(v);
	*present = true;
	return true;
}

static bool
copy_bool(json_t *o, const char *name, bool *dst, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);

	*dst = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_boolean(v))
	{
		snprintf(errbuf, errlen, "\"%s\" must be a boolean", name);
		return false;
	}
	*dst = json_is_true(v);
	return true;
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
	note(notes, "%s: %s adjusted to %d", why, setting, to);
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

	if (c->ttl < PGHA_MIN_TTL || c->ttl > 3600)
		adjust(notes, &c->ttl, c->ttl < PGHA_MIN_TTL ? PGHA_MIN_TTL : 3600, "ttl",
			   "ttl must be between %d and 3600 seconds, not %d", PGHA_MIN_TTL, c->ttl);
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
 * keeps a slot off a primary cluster (pgha runs no standby clusters).  An
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
		note(notes, "\"slots\" is no object of slot names (ignored)");
		return;
	}
	json_object_foreach(slots, name, v)
	{
		PghaPermanentSlot *ps = &c->slots[c->nslots];
		char		type[16] = "";
		char		cluster_type[16] = "";

		if (c->nslots >= PGHA_MAX_PERMANENT_SLOTS)
		{
			note(notes, "\"slots\": more than %d permanent slots (the rest ignored)", PGHA_MAX_PERMANENT_SLOTS);
			return;
		}
		if (!valid_slot_name(name))
		{
			note(notes, "\"slots\": \"%s\" is no replication slot name (lower-case letters, digits, _; ignored)", name);
			continue;
		}
		memset(ps, 0, sizeof(*ps));
		strlcpy(ps->name, name, sizeof(ps->name));
		if (!json_falsy(v) && !json_is_object(v))
		{
			note(notes, "\"slots\": \"%s\" is no object (ignored)", name);
			continue;
		}
		if (json_is_object(v) &&
			(!slot_field(v, "type", type, sizeof(type)) ||
			 !slot_field(v, "database", ps->database, sizeof(ps->database)) ||
			 !slot_field(v, "plugin", ps->plugin, sizeof(ps->plugin)) ||
			 !slot_field(v, "cluster_type", cluster_type, sizeof(cluster_type))))
		{
			note(notes, "\"slots\": \"%s\" has a type, database, plugin or cluster_type that is no name (ignored)", name);
			continue;
		}
		if (type[0] == '\0')
			strlcpy(type, ps->database[0] && ps->plugin[0] ? "logical" : "physical", sizeof(type));
		if (strcmp(cluster_type, "standby") == 0)
		{
			note(notes, "\"slots\": \"%s\" is for standby clusters only (ignored)", name);
			continue;
		}
		if (strcmp(type, "physical") == 0)
			ps->logical = false;
		else if (strcmp(type, "logical") == 0)
		{
			ps->logical = true;
			if (ps->database[0] == '\0' || ps->plugin[0] == '\0')
			{
				note(notes, "\"slots\": logical slot \"%s\" needs a database and a plugin (ignored)", name);
				continue;
			}
			note(notes, "\"slots\": logical slot \"%s\" is not kept by pgha yet: only physical permanent slots are (ignored)", name);
			continue;
		}
		else
		{
			note(notes, "\"slots\": \"%s\" has type \"%s\", neither physical nor logical (ignored)", name, type);
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
		note(notes, "\"ignore_slots\" is no list (ignored)");
		return;
	}
	for (i = 0; i < json_array_size(list); i++)
	{
		json_t	   *e = json_array_get(list, i);
		PghaIgnoreSlot *ig = &c->ignore[c->nignore];

		if (c->nignore >= PGHA_MAX_PERMANENT_SLOTS)
		{
			note(notes, "\"ignore_slots\": more than %d entries (the rest ignored)", PGHA_MAX_PERMANENT_SLOTS);
			return;
		}
		memset(ig, 0, sizeof(*ig));
		if (!json_is_object(e) ||
			!slot_field(e, "name", ig->name, sizeof(ig->name)) ||
			!slot_field(e, "type", ig->type, sizeof(ig->type)) ||
			!slot_field(e, "database", ig->database, sizeof(ig->database)) ||
			!slot_field(e, "plugin", ig->plugin, sizeof(ig->plugin)))
		{
			note(notes, "\"ignore_slots\": entry %d is no object of names (ignored)", (int) i + 1);
			continue;
		}
		c->nignore++;
	}
}

bool
pgha_config_standby_cluster(const PghaConfig *c)
{
	return c->standby_cluster && (c->standby_host[0] != '\0' || c->standby_archive);
}

const char *
pgha_config_standby_source(const PghaConfig *c)
{
	static char buf[PGHA_HOST_LEN + 16];

	if (c->standby_host[0] == '\0')
		return "the archive (restore_command)";
	snprintf(buf, sizeof(buf), "%s:%d", c->standby_host, c->standby_port);
	return buf;
}

/* a host list for a conninfo: names, addresses, commas, nothing to quote */
static bool
host_list_valid(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && strchr(".-_:,[]", *s) == NULL)
			return false;
	return true;
}

/*
 * standby_cluster.create_replica_methods: a list of method names (their
 * commands are in each node's pgha.conf, never in etcd); anything else is
 * noted and basebackup used.
 */
static void
standby_methods_parse(json_t *list, PghaConfig *c, PghaConfigNotes *notes)
{
	size_t		i;
	json_t	   *m;
	size_t		len = 0;

	c->standby_methods[0] = '\0';
	if (!json_is_array(list))
	{
		note(notes, "\"standby_cluster.create_replica_methods\" is not a list: basebackup is used");
		return;
	}
	json_array_foreach(list, i, m)
	{
		const char *name = json_is_string(m) ? json_string_value(m) : "";

		if (name[0] == '\0' ||
			strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name) ||
			len + strlen(name) + 2 > sizeof(c->standby_methods))
		{
			c->standby_methods[0] = '\0';
			note(notes, "\"standby_cluster.create_replica_methods\" needs names of a-z, 0-9 and _: basebackup is used");
			return;
		}
		len = strlcat(c->standby_methods, len ? "," : "", sizeof(c->standby_methods));
		len = strlcat(c->standby_methods, name, sizeof(c->standby_methods));
	}
}

/* nothing is acknowledged in a standby cluster: no sync key to race by */
static void
standby_no_sync(PghaConfig *c, PghaConfigNotes *notes)
{
	if (c->synchronous_mode)
	{
		c->synchronous_mode = c->quorum = false;
		note(notes, "\"synchronous_mode\" is off in a standby cluster, as in Patroni (it applies once the cluster is promoted)");
	}
}

/*
 * standby_cluster: a standby leader follows host:port (Patroni's keys,
 * port also as a string).  restore_command and the other commands Patroni
 * takes from here are node-local shell commands: pgha does not run what
 * etcd says (they are noted); create_replica_methods names methods whose
 * commands each node's pgha.conf holds.  A section without a usable host cannot be
 * followed: failover is off, as in a pause, as before pgha knew standby
 * clusters.
 */
static void
standby_cluster_parse(json_t *sc, PghaConfig *c, PghaConfigNotes *notes)
{
	json_t	   *host = json_is_object(sc) ? json_object_get(sc, "host") : NULL;
	json_t	   *port = json_is_object(sc) ? json_object_get(sc, "port") : NULL;
	json_t	   *slot = json_is_object(sc) ? json_object_get(sc, "primary_slot_name") : NULL;
	const char *key;
	json_t	   *v;
	int64		p = 5432;

	c->standby_cluster = true;
	c->standby_archive = false;
	/* the archive only: no host, a restore_command (run from pgha.conf) */
	if ((host == NULL || json_is_null(host)) && json_is_object(sc) &&
		json_is_string(json_object_get(sc, "restore_command")) &&
		(slot == NULL || json_is_null(slot)))
	{
		c->standby_archive = true;
		note(notes, "\"standby_cluster.restore_command\" is not run (a command from etcd): the standby leader replays the archive through the restore_command of its own configuration");
		json_object_foreach(sc, key, v)
		{
			if (strcmp(key, "create_replica_methods") == 0)
				standby_methods_parse(v, c, notes);
		}
		standby_no_sync(c, notes);
		return;
	}
	if (json_is_integer(port))
		p = json_integer_value(port);
	else if (json_is_string(port))
		p = strtol(json_string_value(port), NULL, 10);
	else if (port != NULL && !json_is_null(port))
		p = 0;
	if (!json_is_string(host) || json_string_length(host) >= sizeof(c->standby_host) ||
		!host_list_valid(json_string_value(host)) || p < 1 || p > 65535 ||
		(slot != NULL && !json_is_null(slot) &&
		 (!json_is_string(slot) || json_string_length(slot) >= sizeof(c->standby_slot) ||
		  strspn(json_string_value(slot), "abcdefghijklmnopqrstuvwxyz0123456789_") != json_string_length(slot))))
	{
		c->pause = true;
		note(notes, "\"standby_cluster\" needs a \"host\" (names or addresses), a \"port\" from 1 to 65535 and a \"primary_slot_name\" of a-z, 0-9 and _: automatic failover is off, as in a pause");
		return;
	}
	strlcpy(c->standby_host, json_string_value(host), sizeof(c->standby_host));
	c->standby_port = (int) p;
	if (json_is_string(slot))
		strlcpy(c->standby_slot, json_string_value(slot), sizeof(c->standby_slot));
	json_object_foreach(sc, key, v)
	{
		if (strcmp(key, "create_replica_methods") == 0)
			standby_methods_parse(v, c, notes);
		else if (strcmp(key, "host") != 0 && strcmp(key, "port") != 0 &&
				 strcmp(key, "primary_slot_name") != 0)
			note(notes, "\"standby_cluster.%s\" is not implemented by pgha (kept, ignored)", key);
	}
	standby_no_sync(c, notes);
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
		note(notes, known ? "\"%s\" is not implemented by pgha (kept, ignored)" :
			 "\"%s\" is no setting pgha or Patroni knows (kept, ignored)", key);
	}
	/* pgha always checks the timeline, as check_timeline: true does */
	v = json_object_get(root, "check_timeline");
	if (v != NULL && (json_is_false(v) || (json_is_string(v) && pg_strcasecmp(json_string_value(v), "false") == 0)))
		note(notes, "\"check_timeline\": false is not implemented by pgha: it always checks");

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
			note(notes, json_is_false(v) ? "\"postgresql.%s\": false is not implemented by pgha (kept, ignored)" :
				 "\"postgresql.%s\" is not implemented by pgha (kept, ignored)", key);
		}
	}

	v = json_object_get(root, "standby_cluster");
	if (v != NULL && !json_is_null(v) && !(json_is_object(v) && json_object_size(v) == 0))
		standby_cluster_parse(v, c, notes);
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
		note(notes, "\"maximum_lag_on_failover\": %s is no number of bytes: read as the default %lld, as Patroni reads it",
			 repr, (long long) PGHA_DEFAULT_MAX_LAG);
		present = false;
	}
	if (present && v < 0)
	{
		note(notes, "maximum_lag_on_failover must not be negative: adjusted to 0");
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
	check_keys(root, c, notes);
	parse_permanent_slots(root, c, notes);
	parse_ignore_slots(root, c, notes);
	ok = pgha_config_validate(c, errbuf, errlen);
done:
	json_decref(root);
	return ok;
}

static json_t *
merge_patch(json_t *target, json_t *patch)
{
	const char *key;
	json_t	   *value;

	if (!json_is_object(patch))
	{
		json_decref(target);
		return json_incref(patch);
	}
	if (!json_is_object(target))
	{
		json_decref(target);
		target = json_object();
	}
	json_object_foreach(patch, key, value)
	{
		if (json_is_null(value))
			json_object_del(target, key);
		else
		{
			json_t	   *cur = json_object_get(target, key);

			json_object_set_new(target, key, merge_patch(cur ? json_incref(cur) : json_null(), value));
		}
	}
	return target;
}

char *
pgha_config_merge(const char *config, const char *patch, char *errbuf, size_t errlen)
{
	json_t	   *c = config ? pgha_etcdj_load(config, strlen(config), errbuf, errlen) : json_object();
	json_t	   *p;
	char	   *s;

	if (c == NULL)
		return NULL;
	p = pgha_etcdj_load(patch, strlen(patch), errbuf, errlen);
	if (p == NULL)
	{
		json_decref(c);
		return NULL;
	}
	c = merge_patch(c, p);
	json_decref(p);
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

bool
pgha_config_parameters(const char *config, PghaParam **params, int *nparams,
					   char *errbuf, size_t errlen)
{
	json_t	   *root;
	json_t	   *pg;
	json_t	   *ps;
	const char *key;
	json_t	   *value;
	int			n = 0;

	*params = NULL;
	*nparams = 0;
	if (config == NULL)
		return true;
	root = pgha_etcdj_load(config, strlen(config), errbuf, errlen);
	if (root == NULL)
		return false;
	pg = json_object_get(root, "postgresql");
	ps = json_is_object(pg) ? json_object_get(pg, "parameters") : NULL;
	if (ps == NULL || json_is_null(ps))
	{
		json_decref(root);
		return true;
	}
	if (!json_is_object(ps))
	{
		snprintf(errbuf, errlen, "postgresql.parameters must be an object");
		json_decref(root);
		return false;
	}
	*params = palloc0(sizeof(PghaParam) * Max(json_object_size(ps), 1));
	json_object_foreach(ps, key, value)
	{
		char		buf[64];

		if (json_is_string(value))
			(*params)[n].value = pstrdup(json_string_value(value));
		else if (json_is_integer(value))
		{
			snprintf(buf, sizeof(buf), "%lld", (long long) json_integer_value(value));
			(*params)[n].value = pstrdup(buf);
		}
		else if (json_is_real(value))
		{
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(value));
			(*params)[n].value = pstrdup(buf);
		}
		else if (json_is_boolean(value))
			(*params)[n].value = pstrdup(json_is_true(value) ? "on" : "off");
		else
			continue;			/* null or a structure: not a setting */
		(*params)[n].name = pstrdup(key);
		/* GUC names are case-insensitive: work with the canonical spelling */
		for (char *c = (*params)[n].name; *c; c++)
			*c = pg_tolower((unsigned char) *c);
		n++;
	}
	*nparams = n;
	json_decref(root);
	return true;
}

/* options of a pg_hba line whose values are passwords */
static const char *const hba_secret_options[] = {"ldapbindpasswd=", "radiussecrets=", NULL};

/*
 * The next token of a pg_hba line from *p, split as PostgreSQL's hba.c
 * splits it: up to a blank or a comma outside double quotes, quotes
 * removed ("" inside quotes is one quote), a # outside quotes starts a
 * comment.  Its text goes to tok (which has room for strlen(*p) + 1).
 */
static void
hba_next_token(const char **p, char *tok)
{
	bool		in_quote = false;
	bool		was_quote = false;

	while (**p && (in_quote || (!isblank((unsigned char) **p) && **p != ',' && **p != '#')))
	{
		char		c = *(*p)++;

		if (c != '"' || was_quote)
			*tok++ = c;
		was_quote = in_quote && c == '"' ? !was_quote : false;
		if (c == '"')
			in_quote = !in_quote;
	}
	*tok = '\0';
}

/*
 * The line with the values of password options masked, found on tokens as
 * PostgreSQL reads them, so that no spelling PostgreSQL accepts gets past:
 * "ldapbindpasswd=x" (quoted whole), ldapbind"passwd=x" (quoted in part),
 * ldapserver=l,ldapbindpasswd=x (a second option after a comma).  Tokens
 * without '=' that follow a masked one in the same field (radiussecrets=a,b,
 * which PostgreSQL rejects) are dropped with it.
 */
char *
pgha_hba_mask_secrets(const char *line)
{
	StringInfoData out;
	char	   *tok = palloc(strlen(line) + 1);
	const char *p = line;
	bool		masking = false;	/* the last token of this field was masked */
	bool		held_comma = false; /* a comma after it, not written yet */

	initStringInfo(&out);
	while (*p)
	{
		const char *start = p;
		const char *const *opt;
		bool		secret = false;

		if (*p == ',' && masking)
		{
			held_comma = true;
			p++;
			continue;
		}
		if (*p == '#' || *p == ',' || isblank((unsigned char) *p))
		{
			if (held_comma)
				appendStringInfoChar(&out, ',');
			held_comma = false;
			if (*p == '#')
			{
				appendStringInfoString(&out, p);
				break;
			}
			masking = false;
			appendStringInfoChar(&out, *p++);
			continue;
		}
		hba_next_token(&p, tok);
		for (opt = hba_secret_options; *opt && !secret; opt++)
			secret = pg_strncasecmp(tok, *opt, strlen(*opt)) == 0;
		if (!secret && masking && strchr(tok, '=') == NULL)
		{
			/* more of the secret list: dropped, with its comma */
			held_comma = false;
			continue;
		}
		if (held_comma)
			appendStringInfoChar(&out, ',');
		held_comma = false;
		masking = secret;
		if (secret)
		{
			appendBinaryStringInfo(&out, tok, strchr(tok, '=') + 1 - tok);
			appendStringInfoString(&out, "********");
		}
		else
			appendBinaryStringInfo(&out, start, p - start);
	}
	if (held_comma)
		appendStringInfoChar(&out, ',');
	pfree(tok);
	return out.data;
}

/* text with every occurrence of word replaced by the mask */
static char *
replace_all(const char *text, const char *word)
{
	StringInfoData out;
	size_t		wlen = strlen(word);
	const char *p = text;
	const char *hit;

	initStringInfo(&out);
	while (wlen > 0 && (hit = strstr(p, word)) != NULL)
	{
		appendBinaryStringInfo(&out, p, hit - p);
		appendStringInfoString(&out, "********");
		p = hit + wlen;
	}
	appendStringInfoString(&out, p);
	return out.data;
}

/*
 * text (a message about line) with the line's password values masked:
 * each value of a password option, and each of its comma-separated parts.
 */
char *
pgha_hba_mask_in_text(const char *line, const char *text)
{
	char	   *tok = palloc(strlen(line) + 1);
	char	   *out = pstrdup(text);
	const char *p = line;
	bool		masking = false;

	while (*p)
	{
		const char *const *opt;
		const char *value = NULL;

		if (*p == '#')
			break;
		if (*p == ',' || isblank((unsigned char) *p))
		{
			masking = masking && *p == ',';
			p++;
			continue;
		}
		hba_next_token(&p, tok);
		for (opt = hba_secret_options; *opt && value == NULL; opt++)
			if (pg_strncasecmp(tok, *opt, strlen(*opt)) == 0)
				value = tok + strlen(*opt);
		if (value == NULL && masking && strchr(tok, '=') == NULL)
			value = tok;
		masking = value != NULL;
		if (value == NULL || *value == '\0')
			continue;
		/* the whole value, then each part of a list */
		{
			char	   *copy = pstrdup(value);
			char	   *save;
			char	   *part;

			out = replace_all(out, value);
			for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save))
				out = replace_all(out, part);
			pfree(copy);
		}
	}
	pfree(tok);
	return out;
}

char *
pgha_config_redact(const char *config, bool mask_parameters)
{
	char		err[256];
	json_t	   *root = pgha_etcdj_load(config, strlen(config), err, sizeof(err));
	json_t	   *pg;
	json_t	   *v;
	char	   *s;

	if (root == NULL)
		return NULL;
	pg = json_object_get(root, "postgresql");
	if (json_is_object(pg))
	{
		v = json_object_get(pg, "pg_hba");
		if (json_is_array(v))
		{
			size_t		i;

			for (i = 0; i < json_array_size(v); i++)
			{
				json_t	   *l = json_array_get(v, i);

				if (json_is_string(l))
				{
					char	   *m = pgha_hba_mask_secrets(json_string_value(l));

					json_array_set_new(v, i, json_string(m));
					pfree(m);
				}
			}
		}
		v = json_object_get(pg, "parameters");
		if (mask_parameters && json_is_object(v))
		{
			const char *key;
			json_t	   *val;

			json_object_foreach(v, key, val)
				json_object_set_new(v, key, json_string("********"));
		}
	}
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s;
}

bool
pgha_config_hba(const char *config, bool *present, char ***lines, int *nlines,
				char *errbuf, size_t errlen)
{
	json_t	   *root;
	json_t	   *pg;
	json_t	   *hba;
	size_t		i;

	*present = false;
	*lines = NULL;
	*nlines = 0;
	if (config == NULL)
		return true;
	root = pgha_etcdj_load(config, strlen(config), errbuf, errlen);
	if (root == NULL)
		return false;
	pg = json_object_get(root, "postgresql");
	hba = json_is_object(pg) ? json_object_get(pg, "pg_hba") : NULL;
	if (hba == NULL || json_is_null(hba))
	{
		json_decref(root);
		return true;
	}
	if (!json_is_array(hba) || json_array_size(hba) > 10000)
	{
		snprintf(errbuf, errlen, "postgresql.pg_hba must be an array of lines");
		json_decref(root);
		return false;
	}
	*lines = palloc0(sizeof(char *) * Max(json_array_size(hba), 1));
	for (i = 0; i < json_array_size(hba); i++)
	{
		json_t	   *l = json_array_get(hba, i);

		if (!json_is_string(l))
		{
			snprintf(errbuf, errlen, "postgresql.pg_hba[%zu] is not a string", i + 1);
			json_decref(root);
			return false;
		}
		(*lines)[i] = pstrdup(json_string_value(l));
	}
	*nlines = (int) json_array_size(hba);
	*present = true;
	json_decref(root);
	return true;
}

/* does name end with suffix, ignoring case? */
static bool
has_suffix_ci(const char *name, const char *suffix)
{
	size_t		n = strlen(name);
	size_t		k = strlen(suffix);

	return n >= k && pg_strcasecmp(name + n - k, suffix) == 0;
}

const char *
pgha_parameter_refused(const char *name)
{
	static const struct
	{
		const char *name;
		const char *why;
	}			refused[] = {
		{"listen_addresses", "Each node has its own addresses."},
		{"port", "Each node has its own port."},
		{"unix_socket_directories", "Each node has its own socket directories."},
		{"cluster_name", "Each node has its own cluster_name."},
		{"primary_conninfo", "Standbys are pointed at the leader by pgha itself."},
		{"primary_slot_name", "Replication slots are managed by pgha itself."},
		{"hba_file", "The rules of pg_hba.conf are managed with pgha.set_hba()."},
		{"ident_file", "It is a file location."},
		{"config_file", "It is a file location."},
		{"data_directory", "It is a file location."},
		{"shared_preload_libraries", "The pgha library itself is loaded through it."},
		{"hot_standby", "The pgha worker needs it on."},
		{"wal_level", "Replication needs replica or logical."},
		{"restore_command", "Each node has its own archive access."},
		{"recovery_end_command", "It runs a command on each node."},
		{"archive_cleanup_command", "It runs a command on each node."},
		{"archive_command", "It runs a command on each node; set it in postgresql.conf."},
		{"archive_library", "It loads code on each node; set it in postgresql.conf."},
		{"ssl_passphrase_command", "It runs a command on each node."},
		{"session_preload_libraries", "It loads code into every session."},
		{"local_preload_libraries", "It loads code into every session."},
		{"dynamic_library_path", "It decides where code is loaded from."},
		{"jit_provider", "It loads code on each node; set it in postgresql.conf."},
		{"log_file_mode", "It decides who may read the server log on each node."},
		{"stats_temp_directory", "It is a file location."},
		{"external_pid_file", "It is a file location."},
		/* files the server writes or reads: not for whoever may call set_parameter */
		{"log_directory", "It is a file location."},
		{"log_filename", "It is a file location."},
		{"ssl_cert_file", "It is a file location."},
		{"ssl_key_file", "It is a file location."},
		{"ssl_ca_file", "It is a file location."},
		{"ssl_crl_file", "It is a file location."},
		{"ssl_crl_dir", "It is a file location."},
		{"ssl_dh_params_file", "It is a file location."},
		{"krb_server_keyfile", "It is a file location."},
		{"promote_trigger_file", "A standby promotes when that file appears: pgha decides promotions."},
		{"recovery_min_apply_delay", "A delayed standby is a per-node choice."},
		{"synchronous_standby_names", "pgha manages it in synchronous mode."},
	};
	int			i;

	/* GUC names are case-insensitive: so is this check */
	if (pg_strncasecmp(name, "pgha.", 5) == 0)
		return "Settings of pgha itself are per node, in postgresql.conf.";
	if (pg_strncasecmp(name, "recovery_target", 15) == 0)
		return "Recovery targets are per node.";
	/* procedural languages' start-up code: plperl.on_init and its kin, plv8.start_proc */
	if (has_suffix_ci(name, ".on_init") || has_suffix_ci(name, ".on_plperl_init") ||
		has_suffix_ci(name, ".on_plperlu_init") || has_suffix_ci(name, ".start_proc"))
		return "It runs code in the sessions of each node; set it in postgresql.conf.";
	for (i = 0; i < (int) lengthof(refused); i++)
		if (pg_strcasecmp(name, refused[i].name) == 0)
			return refused[i].why;
	return NULL;
}

char *
pgha_config_to_json(const PghaConfig *c)
{
	json_t	   *o = json_object();
	char	   *s;

	json_object_set_new(o, "ttl", json_integer(c->ttl));
	json_object_set_new(o, "loop_wait", json_integer(c->loop_wait));
	json_object_set_new(o, "retry_timeout", json_integer(c->retry_timeout));
	json_object_set_new(o, "maximum_lag_on_failover", json_integer(c->maximum_lag_on_failover));
	if (c->pause)
		json_object_set_new(o, "pause", json_true());
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/*
 * The leader stops accepting writes when it has not renewed its lease for
 * 80% of ttl (at least 1 s before the lease can expire in etcd).  etcd
 * keeps the key for ttl after the last keepalive *reached* it, and we count
 * from when ours was *sent*, so the node is down before anyone else can
 * take the key.
 */
int64
pgha_fence_after_ms(const PghaConfig *c)
{
	int64		margin = Max(1000, (int64) c->ttl * 1000 / 5);

	return (int64) c->ttl * 1000 - margin;
}

/* the leader renews often enough to survive several failed attempts */
int64
pgha_renew_interval_ms(const PghaConfig *c)
{
	return Max(500, Min((int64) c->loop_wait * 1000, (int64) c->ttl * 1000 / 5));
}

/* ---- members ---- */

bool
pgha_conn_url_parse(const char *url, char *host, size_t hostlen, int *port,
					char *errbuf, size_t errlen)
{
	const char *p;
	const char *h;
	const char *colon;
	const char *end;
	long		v;
	char	   *e;

	if (strncmp(url, "postgres://", 11) == 0)
		p = url + 11;
	else if (strncmp(url, "postgresql://", 13) == 0)
		p = url + 13;
	else
	{
		snprintf(errbuf, errlen, "conn_url \"%s\" does not start with postgres://", url);
		return false;
	}
	h = p;
	end = h + strcspn(h, "/?");
	if (strchr(url, '?') != NULL)
	{
		/* options in a conn_url could redirect or weaken our connections */
		snprintf(errbuf, errlen, "conn_url must not carry options");
		return false;
	}
	colon = NULL;
	for (p = h; p < end; p++)
	{
		if (*p == ':')
			colon = p;
		else if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '-' || *p == '_'))
		{
			snprintf(errbuf, errlen, "conn_url has an invalid host");
			return false;
		}
	}
	if (colon == NULL || colon == h || (size_t) (colon - h) >= hostlen)
	{
		snprintf(errbuf, errlen, "conn_url must name a host and a port");
		return false;
	}
	v = strtol(colon + 1, &e, 10);
	if (e != end || v < 1 || v > 65535)
	{
		snprintf(errbuf, errlen, "conn_url has an invalid port");
		return false;
	}
	memcpy(host, h, colon - h);
	host[colon - h] = '\0';
	*port = (int) v;
	return true;
}

void
pgha_slot_name(const char *member, char *slot, size_t len)
{
	size_t		i;

	for (i = 0; member[i] && i < len - 1; i++)
	{
		unsigned char ch = (unsigned char) member[i];

		slot[i] = (isalnum(ch)) ? (char) tolower(ch) : '_';
	}
	slot[i] = '\0';
}

json_t *
pgha_member_tags(const PghaMember *m)
{
	json_t	   *tags = json_object();

	/* only tags that differ from the default, as Patroni shows them */
	if (m->nofailover)
		json_object_set_new(tags, "nofailover", json_true());
	if (m->failover_priority != 1)
		json_object_set_new(tags, "failover_priority", json_integer(m->failover_priority));
	if (m->noloadbalance)
		json_object_set_new(tags, "noloadbalance", json_true());
	if (m->clonefrom)
		json_object_set_new(tags, "clonefrom", json_true());
	if (m->nosync)
		json_object_set_new(tags, "nosync", json_true());
	if (m->sync_priority != 1)
		json_object_set_new(tags, "sync_priority", json_integer(m->sync_priority));
	if (m->replicatefrom[0] != '\0')
		json_object_set_new(tags, "replicatefrom", json_string(m->replicatefrom));
	if (m->nostream)
		json_object_set_new(tags, "nostream", json_true());
	return tags;
}

char *
pgha_member_tags_text(const PghaMember *m)
{
	json_t	   *tags = pgha_member_tags(m);
	char	   *txt = json_dumps(tags, JSON_PRESERVE_ORDER);

	json_decref(tags);
	return txt;
}

char *
pgha_member_to_json(const PghaMember *m)
{
	json_t	   *o = json_object();
	json_t	   *tags;
	json_t	   *extra = json_object();
	char	   *s;

	json_object_set_new(o, "conn_url", json_string(m->conn_url));
	if (m->api_url[0] != '\0')
		json_object_set_new(o, "api_url", json_string(m->api_url));
	json_object_set_new(o, "state", json_string(m->state));
	json_object_set_new(o, "role", json_string(m->role));
	json_object_set_new(o, "version", json_string("pgha-" PGHA_VERSION));
	if (m->timeline > 0)
		json_object_set_new(o, "timeline", json_integer(m->timeline));
	/* a down node has no position: Patroni then shows its lag as unknown */
	if (!m->down)
		json_object_set_new(o, "xlog_location", json_integer((json_int_t) m->xlog_location));
	if (strcmp(m->role, "replica") == 0 || strcmp(m->role, "standby_leader") == 0)
	{
		json_object_set_new(o, "receive_lsn", json_integer((json_int_t) m->receive_lsn));
		json_object_set_new(o, "replay_lsn", json_integer((json_int_t) m->replay_lsn));
		if (m->replication_state[0])
			json_object_set_new(o, "replication_state", json_string(m->replication_state));
	}
	if (m->pending_restart)
	{
		json_error_t jerr;
		json_t	   *reason = m->pending_restart_reason[0] ?
			json_loads(m->pending_restart_reason, 0, &jerr) : NULL;

		json_object_set_new(o, "pending_restart", json_true());
		if (reason)
			json_object_set_new(o, "pending_restart_reason", reason);
	}
	tags = pgha_member_tags(m);
	if (json_object_size(tags) > 0)
		json_object_set_new(o, "tags", tags);
	else
		json_decref(tags);
	/* as Patroni publishes it: patronictl list shows it, flush restart looks for it */
	if (m->restart_schedule[0] != '\0')
	{
		json_t	   *sr = json_object();

		json_object_set_new(sr, "schedule", json_string(m->restart_schedule));
		if (m->restart_postgres_version[0] != '\0')
			json_object_set_new(sr, "postgres_version", json_string(m->restart_postgres_version));
		json_object_set_new(o, "scheduled_restart", sr);
	}
	json_object_set_new(extra, "sysid", json_string(m->sysid));
	json_object_set_new(extra, "config_revision", json_integer(m->config_revision));
	if (m->started_ms > 0)
		json_object_set_new(extra, "started_ms", json_integer(m->started_ms));
	if (m->supervised)
		json_object_set_new(extra, "supervised", json_true());
	if (m->instance[0] != '\0')
		json_object_set_new(extra, "instance", json_string(m->instance));
	if (m->down)
		json_object_set_new(extra, "down", json_true());
	if (m->error[0] != '\0')
		json_object_set_new(extra, "error", json_string(m->error));
	json_object_set_new(o, "pgha", extra);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static bool
copy_string(json_t *o, const char *name, char *dst, size_t dstlen, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) >= dstlen)
	{
		snprintf(errbuf, errlen, "\"%s\" must be a string shorter than %zu bytes", name, dstlen);
		return false;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return true;
}

static bool
copy_lsn(json_t *o, const char *name, uint64 *dst, char *errbuf, size_t errlen)
{
	int64		v = 0;
	bool		present;

	*dst = 0;
	if (!get_int(o, name, &v, &present, errbuf, errlen))
		return false;
	if (present && v < 0)
	{
		snprintf(errbuf, errlen, "\"%s\" must not be negative", name);
		return false;
	}
	*dst = (uint64) v;
	return true;
}

bool
pgha_member_from_json(const char *name, const char *json, size_t len,
					  PghaMember *m, char *errbuf, size_t errlen)
{
	json_t	   *root;
	json_t	   *tags;
	json_t	   *extra;
	int64		v = 0;
	bool		present;
	bool		ok = false;

	memset(m, 0, sizeof(*m));
	m->failover_priority = 1;
	m->sync_priority = 1;
	if (!pgha_name_valid(name, errbuf, errlen))
		return false;
	strlcpy(m->name, name, sizeof(m->name));
	root = pgha_etcdj_load(json, len, errbuf, errlen);
	if (root == NULL)
		return false;
	if (!copy_string(root, "conn_url", m->conn_url, sizeof(m->conn_url), errbuf, errlen) ||
		!copy_string(root, "api_url", m->api_url, sizeof(m->api_url), errbuf, errlen) ||
		!copy_string(root, "state", m->state, sizeof(m->state), errbuf, errlen) ||
		!copy_string(root, "role", m->role, sizeof(m->role), errbuf, errlen) ||
		!copy_string(root, "version", m->version, sizeof(m->version), errbuf, errlen) ||
		!copy_string(root, "replication_state", m->replication_state,
					 sizeof(m->replication_state), errbuf, errlen) ||
		!copy_lsn(root, "xlog_location", &m->xlog_location, errbuf, errlen) ||
		!copy_lsn(root, "receive_lsn", &m->receive_lsn, errbuf, errlen) ||
		!copy_lsn(root, "replay_lsn", &m->replay_lsn, errbuf, errlen) ||
		!copy_bool(root, "pending_restart", &m->pending_restart, errbuf, errlen) ||
		!get_int(root, "timeline", &v, &present, errbuf, errlen))
		goto done;
	if (present)
	{
		if (v < 0 || v > INT32_MAX)
		{
			snprintf(errbuf, errlen, "\"timeline\" is out of range");
			goto done;
		}
		m->timeline = (int) v;
	}
	/* Patroni 3 (and pgha.patroni_compat = 3) call a primary "master" */
	if (strcmp(m->role, "master") == 0)
		strlcpy(m->role, "primary", sizeof(m->role));
	if (m->conn_url[0] &&
		!pgha_conn_url_parse(m->conn_url, m->host, sizeof(m->host), &m->port, errbuf, errlen))
		goto done;
	tags = json_object_get(root, "tags");
	if (tags != NULL && !json_is_null(tags))
	{
		if (!json_is_object(tags))
		{
			snprintf(errbuf, errlen, "\"tags\" must be an object");
			goto done;
		}
		if (!copy_bool(tags, "nofailover", &m->nofailover, errbuf, errlen) ||
			!copy_bool(tags, "noloadbalance", &m->noloadbalance, errbuf, errlen) ||
			!copy_bool(tags, "clonefrom", &m->clonefrom, errbuf, errlen) ||
			!copy_bool(tags, "nosync", &m->nosync, errbuf, errlen) ||
			!copy_bool(tags, "nostream", &m->nostream, errbuf, errlen) ||
			!get_int(tags, "failover_priority", &v, &present, errbuf, errlen))
			goto done;
		if (present)
		{
			if (v < 0 || v > 1000000)
			{
				snprintf(errbuf, errlen, "\"failover_priority\" is out of range");
				goto done;
			}
			m->failover_priority = (int) v;
		}
		/* Patroni 4 takes any integer: <= 0 is never synchronous */
		if (!get_int(tags, "sync_priority", &v, &present, errbuf, errlen))
			goto done;
		if (present)
			m->sync_priority = (int) Max(Min(v, 1000000), -1);
		/* a member name, or nothing: anything else names no member */
		{
			json_t	   *r = json_object_get(tags, "replicatefrom");

			if (json_is_string(r) && json_string_length(r) < sizeof(m->replicatefrom))
				strlcpy(m->replicatefrom, json_string_value(r), sizeof(m->replicatefrom));
		}
	}
	{
		json_t	   *r = json_object_get(root, "pending_restart_reason");

		if (json_is_object(r))
		{
			char	   *txt = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

			if (txt && strlen(txt) < sizeof(m->pending_restart_reason))
				strlcpy(m->pending_restart_reason, txt, sizeof(m->pending_restart_reason));
			free(txt);
		}
	}
	extra = json_object_get(root, "pgha");
	if (json_is_object(extra))
	{
		if (!copy_string(extra, "sysid", m->sysid, sizeof(m->sysid), errbuf, errlen) ||
			!get_int(extra, "config_revision", &m->config_revision, &present, errbuf, errlen) ||
			!get_int(extra, "started_ms", &m->started_ms, &present, errbuf, errlen) ||
			!copy_bool(extra, "supervised", &m->supervised, errbuf, errlen) ||
			!copy_string(extra, "instance", m->instance, sizeof(m->instance), errbuf, errlen) ||
			!copy_bool(extra, "down", &m->down, errbuf, errlen))
			goto done;
		/* a message, only shown: a longer one is cut, not refused */
		if (json_is_string(json_object_get(extra, "error")))
			strlcpy(m->error, json_string_value(json_object_get(extra, "error")), sizeof(m->error));
	}
	ok = true;
done:
	json_decref(root);
	return ok;
}

/* ---- snapshot ---- */

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
 * positions, and the members whose slots it keeps (common/slots.h).  A
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
	ok = copy_lsn(root, "optime", &c->optime, errbuf, errlen);
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
	if (c->slot_names)
		pfree(c->slot_names);
	if (c->slot_lsns)
		pfree(c->slot_lsns);
	c->slot_names = NULL;
	c->slot_lsns = NULL;
	c->nslot_positions = 0;
	slots = json_object_get(root, "slots");
	if (ok && json_is_object(slots) && json_object_size(slots) > 0)
	{
		const char *name;
		json_t	   *v;

		c->slot_names = palloc0(sizeof(*c->slot_names) * json_object_size(slots));
		c->slot_lsns = palloc0(sizeof(uint64) * json_object_size(slots));
		json_object_foreach(slots, name, v)
		{
			if (json_is_integer(v) && json_integer_value(v) >= 0 && strlen(name) < PGHA_NAME_LEN)
			{
				strlcpy(c->slot_names[c->nslot_positions], name, PGHA_NAME_LEN);
				c->slot_lsns[c->nslot_positions++] = (uint64) json_integer_value(v);
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
static bool
failsafe_lists(const PghaMember *m)
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

		if (failsafe_lists(m))
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
		if (!failsafe_lists(&c->members[i]))
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
		if (failsafe_lists(&c->members[i]))
			strlcpy(c->failsafe[c->nfailsafe++], c->members[i].name, PGHA_NAME_LEN);
}

/*
 * {"leader": "node1", "sync_standby": "node2,node3", "quorum": 1} (Patroni:
 * a comma separated string, or null; "quorum" since Patroni 4, absent or
 * null read as 0).  A key that cannot be read counts as present with no
 * synchronous standby and no leader: nobody may be promoted on its
 * strength.
 */
static void
parse_sync(const PghaEtcdKV *kv, PghaCluster *c)
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
		(!json_as_int(q, &quorum) || quorum < 0 || quorum > PGHA_MAX_SYNC))
	{
		/* a quorum nobody can read promises nothing */
		c->sync_leader[0] = '\0';
		json_decref(root);
		return;
	}
	c->sync_quorum = (int) quorum;
	if (copy_string(root, "leader", c->sync_leader, sizeof(c->sync_leader), err, sizeof(err)) &&
		copy_string(root, "sync_standby", list, sizeof(list), err, sizeof(err)))
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

				if (get_int(root, "pgha_release_lsn", &lsn, &present, e2, sizeof(e2)) && lsn > 0)
					c->failover_release_lsn = (uint64) lsn;
				(void) copy_string(root, "pgha_requested_at", c->failover_requested_at,
								   sizeof(c->failover_requested_at), e2, sizeof(e2));
				if (copy_string(root, "leader", c->failover_leader, sizeof(c->failover_leader), e2, sizeof(e2)) &&
					copy_string(root, "member", c->failover_member, sizeof(c->failover_member), e2, sizeof(e2)) &&
					copy_string(root, "scheduled_at", c->failover_scheduled_at,
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
			parse_sync(kv, c);
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
			(void) copy_bool(root, "pending_only", &m->restart_pending_only, e2, sizeof(e2));
			(void) copy_string(root, "schedule", m->restart_schedule, sizeof(m->restart_schedule),
							   e2, sizeof(e2));
			(void) copy_string(root, "role", m->restart_role, sizeof(m->restart_role), e2, sizeof(e2));
			(void) copy_string(root, "postgres_version", m->restart_postgres_version,
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
