/*-------------------------------------------------------------------------
 *
 * config_doc.c
 *		The config key as a document: merge patches, its parameters and
 *		pg_hba lines, what is refused cluster-wide, redaction for display, the
 *		timings derived from it.
 *
 * The parser is config.c; here the document is changed, shown and
 * checked as a whole.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/config_doc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/cluster.h"
#include "shared/etcd_json.h"
#include "shared/json_read.h"
#include "lib/stringinfo.h"

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

/*
 * The config's postgresql.<name>: false if the config is not JSON (errbuf
 * set); else true with *value NULL when it is missing or null.  The caller
 * frees *root when it is set.
 */
static bool
postgresql_section(const char *config, const char *name, json_t **root,
				   json_t **value, char *errbuf, size_t errlen)
{
	json_t	   *pg;

	*root = NULL;
	*value = NULL;
	if (config == NULL)
		return true;
	*root = pgha_etcdj_load(config, strlen(config), errbuf, errlen);
	if (*root == NULL)
		return false;
	pg = json_object_get(*root, "postgresql");
	*value = json_is_object(pg) ? json_object_get(pg, name) : NULL;
	if (*value != NULL && json_is_null(*value))
		*value = NULL;
	return true;
}

bool
pgha_config_parameters(const char *config, PghaParam **params, int *nparams,
					   char *errbuf, size_t errlen)
{
	json_t	   *root;
	json_t	   *ps;
	const char *key;
	json_t	   *value;
	int			n = 0;

	*params = NULL;
	*nparams = 0;
	if (!postgresql_section(config, "parameters", &root, &ps, errbuf, errlen))
		return false;
	if (ps == NULL)
	{
		if (root)
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
	json_t	   *hba;
	size_t		i;

	*present = false;
	*lines = NULL;
	*nlines = 0;
	if (!postgresql_section(config, "pg_hba", &root, &hba, errbuf, errlen))
		return false;
	if (hba == NULL)
	{
		if (root)
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

/*
 * How often the leader renews.  Every loop_wait, as Patroni does, when that
 * still leaves a renewal that hangs for retry_timeout and one more try (1 s)
 * before the fence; else every min(loop_wait, ttl/5), for several tries.
 * A node loss frees the key ttl after the last renewal etcd received, so a
 * longer interval also fails over sooner on average (ttl - interval / 2),
 * and it costs etcd fewer requests.
 */
int64
pgha_renew_interval_ms(const PghaConfig *c)
{
	int64		loop = (int64) c->loop_wait * 1000;

	if (loop + (int64) c->retry_timeout * 1000 + 1000 <= pgha_fence_after_ms(c))
		return Max(500, loop);
	return Max(500, Min(loop, (int64) c->ttl * 1000 / 5));
}

