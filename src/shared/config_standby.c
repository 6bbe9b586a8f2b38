/*-------------------------------------------------------------------------
 *
 * config_standby.c
 *		The config key's standby_cluster section, as Patroni reads it: the
 *		remote primary to follow (or the archive alone), the slot, the
 *		methods that make the first member, the standby leader's delay.
 *
 * restore_command and the other commands Patroni takes from the section
 * are node-local shell commands: pgha does not run what etcd says (they
 * are noted).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/config_standby.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>
#include <limits.h>

#include "shared/cluster.h"
#include "shared/config_int.h"
#include "shared/etcd_json.h"

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
		pgha_config_note(notes, "\"standby_cluster.create_replica_methods\" is not a list: basebackup is used");
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
			pgha_config_note(notes, "\"standby_cluster.create_replica_methods\" needs names of a-z, 0-9 and _: basebackup is used");
			return;
		}
		len = strlcat(c->standby_methods, len ? "," : "", sizeof(c->standby_methods));
		len = strlcat(c->standby_methods, name, sizeof(c->standby_methods));
	}
}

/*
 * standby_cluster.recovery_min_apply_delay: milliseconds, or a number with
 * one of PostgreSQL's time units ("5min"), as recovery_min_apply_delay
 * takes it; anything else is noted and no delay applies
 */
static void
standby_delay_parse(json_t *v, PghaConfig *c, PghaConfigNotes *notes)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t		digits = s ? strspn(s, "0123456789") : 0;
	static const char *const units[] = {"", "ms", "s", "min", "h", "d", NULL};
	static const int64 ms[] = {1, 1, 1000, 60000, 3600000, 86400000};
	bool		ok = false;

	c->standby_apply_delay[0] = '\0';
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= INT_MAX)
	{
		snprintf(c->standby_apply_delay, sizeof(c->standby_apply_delay), "%lld",
				 (long long) json_integer_value(v));
		return;
	}
	/* as PostgreSQL takes it: at most INT_MAX milliseconds */
	if (s != NULL && digits > 0 && digits <= 10)
		for (int i = 0; units[i] && !ok; i++)
			ok = strcmp(s + digits, units[i]) == 0 && strtoll(s, NULL, 10) <= INT_MAX / ms[i];
	if (ok)
		strlcpy(c->standby_apply_delay, s, sizeof(c->standby_apply_delay));
	else
		pgha_config_note(notes, "\"standby_cluster.recovery_min_apply_delay\" must be milliseconds or a number with a unit (ms, s, min, h, d), at most 24 days: no delay applies");
}

/* nothing is acknowledged in a standby cluster: no sync key to race by */
static void
standby_no_sync(PghaConfig *c, PghaConfigNotes *notes)
{
	if (c->synchronous_mode)
	{
		c->synchronous_mode = c->quorum = false;
		pgha_config_note(notes, "\"synchronous_mode\" is off in a standby cluster, as in Patroni (it applies once the cluster is promoted)");
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
void
pgha_config_standby_parse(json_t *sc, PghaConfig *c, PghaConfigNotes *notes)
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
		pgha_config_note(notes, "\"standby_cluster.restore_command\" is not run (a command from etcd): the standby leader replays the archive through the restore_command of its own configuration");
		json_object_foreach(sc, key, v)
		{
			if (strcmp(key, "create_replica_methods") == 0)
				standby_methods_parse(v, c, notes);
			else if (strcmp(key, "recovery_min_apply_delay") == 0)
				standby_delay_parse(v, c, notes);
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
		pgha_config_note(notes, "\"standby_cluster\" needs a \"host\" (names or addresses), a \"port\" from 1 to 65535 and a \"primary_slot_name\" of a-z, 0-9 and _: automatic failover is off, as in a pause");
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
		else if (strcmp(key, "recovery_min_apply_delay") == 0)
			standby_delay_parse(v, c, notes);
		else if (strcmp(key, "host") != 0 && strcmp(key, "port") != 0 &&
				 strcmp(key, "primary_slot_name") != 0)
			pgha_config_note(notes, "\"standby_cluster.%s\" is not implemented by pgha (kept, ignored)", key);
	}
	standby_no_sync(c, notes);
}
