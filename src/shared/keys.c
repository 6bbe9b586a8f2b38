/*-------------------------------------------------------------------------
 *
 * keys.c
 *		Patroni's etcd key layout, and syntax checks of names and addresses.
 *
 * The layout is Patroni's own (/<namespace>/<scope>/leader, members/<name>,
 * config, ...) so that patronictl, vip-manager and friends read a pgha
 * cluster unchanged.  Built for backend and frontend; never reports errors.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/keys.h"
#include "libpq-fe.h"

char *
pgha_key_prefix(const char *namespace, const char *scope)
{
	const char *ns = namespace;

	/* Patroni accepts "service", "/service" and "/service/" alike */
	while (*ns == '/')
		ns++;
	if (*ns == '\0')
		return psprintf("/%s/", scope);
	if (ns[strlen(ns) - 1] == '/')
		return psprintf("/%s%s/", ns, scope);
	return psprintf("/%s/%s/", ns, scope);
}

char *
pgha_key(const char *prefix, const char *suffix)
{
	return psprintf("%s%s", prefix, suffix);
}

char *
pgha_member_key(const char *prefix, const char *name)
{
	return psprintf("%s" PGHA_KEY_MEMBERS "%s", prefix, name);
}

bool
pgha_namespace_valid(const char *ns, char *errbuf, size_t errlen)
{
	const char *p;

	if (strlen(ns) > 200)
	{
		snprintf(errbuf, errlen, "The namespace is longer than 200 bytes.");
		return false;
	}
	for (p = ns; *p; p++)
	{
		if (!(isalnum((unsigned char) *p) || strchr("/_-.", *p)))
		{
			snprintf(errbuf, errlen,
					 "The namespace may contain only letters, digits, \"/\", \"_\", \"-\" and \".\".");
			return false;
		}
	}
	return true;
}

/*
 * Member and scope names end up inside etcd keys, conninfo strings
 * (application_name) and replication slot names, so keep them to a safe
 * alphabet.  Slot names are derived by mapping "-" and "." to "_".
 */
bool
pgha_name_valid(const char *name, char *errbuf, size_t errlen)
{
	const char *p;

	if (*name == '\0')
	{
		snprintf(errbuf, errlen, "The name must not be empty.");
		return false;
	}
	if (strlen(name) > 63)
	{
		snprintf(errbuf, errlen, "The name is longer than 63 bytes.");
		return false;
	}
	for (p = name; *p; p++)
	{
		if (!(isalnum((unsigned char) *p) || strchr("_-.", *p)))
		{
			snprintf(errbuf, errlen,
					 "The name may contain only letters, digits, \"_\", \"-\" and \".\".");
			return false;
		}
	}
	return true;
}

/* host:port, host a name or IPv4 address, or [IPv6]:port */
bool
pgha_hostport_valid(const char *hostport, char *errbuf, size_t errlen)
{
	const char *colon;
	const char *p;
	long		port;
	char	   *end;

	if (hostport[0] == '[')
	{
		const char *close = strchr(hostport, ']');

		if (close == NULL || close[1] != ':' || close == hostport + 1)
		{
			snprintf(errbuf, errlen, "\"%s\" is not of the form [ipv6]:port.", hostport);
			return false;
		}
		colon = close + 1;
	}
	else
	{
		colon = strrchr(hostport, ':');
		if (colon == NULL || colon == hostport)
		{
			snprintf(errbuf, errlen, "\"%s\" is not of the form host:port.", hostport);
			return false;
		}
		for (p = hostport; p < colon; p++)
		{
			if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '-' || *p == '_'))
			{
				snprintf(errbuf, errlen, "\"%s\" has an invalid host name.", hostport);
				return false;
			}
		}
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
	{
		snprintf(errbuf, errlen, "\"%s\" has an invalid port number.", hostport);
		return false;
	}
	return true;
}

bool
pgha_etcd_hosts_valid(const char *hosts, char *errbuf, size_t errlen)
{
	char	   *urls[PGHA_MAX_ENDPOINTS];
	int			n = pgha_etcd_hosts_parse(hosts, "http", urls, PGHA_MAX_ENDPOINTS,
										  errbuf, errlen);
	int			i;

	for (i = 0; i < n; i++)
		pfree(urls[i]);
	return n > 0;
}

int
pgha_etcd_hosts_parse(const char *hosts, const char *default_scheme,
					  char **urls, int maxurls, char *errbuf, size_t errlen)
{
	const char *p = hosts;
	int			n = 0;

	while (*p)
	{
		const char *start;
		const char *end;
		const char *hp;
		const char *scheme = default_scheme;
		char		item[512];
		size_t		len;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ',' && *p != ' ')
			p++;
		end = p;
		len = end - start;
		if (len >= sizeof(item))
		{
			snprintf(errbuf, errlen, "An etcd endpoint is longer than %zu bytes.",
					 sizeof(item) - 1);
			goto fail;
		}
		memcpy(item, start, len);
		item[len] = '\0';

		hp = item;
		if (strncmp(item, "http://", 7) == 0)
		{
			scheme = "http";
			hp = item + 7;
		}
		else if (strncmp(item, "https://", 8) == 0)
		{
			scheme = "https";
			hp = item + 8;
		}
		else if (strstr(item, "://") != NULL)
		{
			snprintf(errbuf, errlen, "etcd endpoint \"%s\" must use http or https.", item);
			goto fail;
		}
		/* tolerate one trailing slash of a URL */
		if (hp[0] != '\0' && hp[strlen(hp) - 1] == '/')
			item[strlen(item) - 1] = '\0';
		if (!pgha_hostport_valid(hp, errbuf, errlen))
			goto fail;
		if (n >= maxurls)
		{
			snprintf(errbuf, errlen, "More than %d etcd endpoints.", maxurls);
			goto fail;
		}
		urls[n++] = psprintf("%s://%s", scheme, hp);
	}
	if (n == 0)
	{
		snprintf(errbuf, errlen, "No etcd endpoint is given.");
		return -1;
	}
	return n;

fail:
	while (n > 0)
		pfree(urls[--n]);
	return -1;
}

/*
 * pgha.peer_options: libpq settings added to every connection pgha makes to
 * a peer (streaming, probes, failsafe pings, pghactl's pg_basebackup and
 * pg_rewind).  Only how to secure the connection: where it goes and as whom
 * stay pgha's.
 */
bool
pgha_peer_options_valid(const char *options, char *errbuf, size_t errlen)
{
	static const char *const allowed[] = {
		"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcrldir", "sslsni",
		"ssl_min_protocol_version", "ssl_max_protocol_version", "channel_binding",
		"gssencmode", "krbsrvname", "gsslib", "requirepeer", NULL
	};
	char	   *err = NULL;
	PQconninfoOption *opts;
	PQconninfoOption *o;
	bool		ok = true;

	if (options[0] == '\0')
		return true;
	if (strstr(options, "://") != NULL)
	{
		snprintf(errbuf, errlen, "Give keyword=value settings, not a URI.");
		return false;
	}
	opts = PQconninfoParse(options, &err);
	if (opts == NULL)
	{
		/* libpq's message ends with a newline */
		snprintf(errbuf, errlen, "%.*s", err ? (int) strcspn(err, "\n") : 13, err ? err : "out of memory");
		if (err)
			PQfreemem(err);
		return false;
	}
	for (o = opts; ok && o->keyword; o++)
	{
		const char *const *a;

		if (o->val == NULL)
			continue;
		for (a = allowed; *a && strcmp(*a, o->keyword) != 0; a++)
			;
		if (*a == NULL)
		{
			snprintf(errbuf, errlen,
					 "\"%s\" is not allowed: only settings that secure the connection (ssl*, channel_binding, gss*, krbsrvname, requirepeer).",
					 o->keyword);
			ok = false;
		}
	}
	PQconninfoFree(opts);
	return ok;
}
