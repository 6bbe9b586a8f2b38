/*-------------------------------------------------------------------------
 *
 * config_cmd.c
 *		pghactl show-config, edit-config, pause and resume: the config key,
 *		checked as the SQL functions check it, written compare-and-swap.
 *
 * A change that lost a race to another writer changes nothing and says
 * so (edit-config), or is made again on the new value (pause, resume,
 * demote-cluster and promote-cluster through pghactl_config_patch).
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/config_cmd.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared/clock.h"
#include "shared/etcd_json.h"
#include "shared/keys.h"
#include "common/logging.h"
#include "shared/switchover.h"
#include "lib/stringinfo.h"
#include "pghactl.h"

static char *
pretty(const char *doc)
{
	json_error_t jerr;
	json_t	   *j = json_loads(doc ? doc : "{}", 0, &jerr);
	char	   *s;

	if (j == NULL)
		return pg_strdup(doc);
	s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/*
 * The config key: its document ("{}" when absent) and mod_revision (0 when
 * absent, which makes the compare-and-swap a create).  false (logged) when
 * etcd cannot be read.
 */
static bool
read_config_key(PghaEtcd *etcd, const char *key, char **doc, int64 *mod)
{
	PghaEtcdRange r;

	if (!pgha_etcd_range(etcd, key, false, &r))
	{
		pg_log_error("could not read the configuration: %s", etcd->errmsg);
		return false;
	}
	*doc = pg_strdup(r.nkvs == 1 ? r.kvs[0].value : "{}");
	*mod = r.nkvs == 1 ? r.kvs[0].mod_revision : 0;
	return true;
}

static char *
config_key_of(const PghactlConf *conf)
{
	return pgha_key(pgha_key_prefix(conf->namespace, conf->scope), PGHA_KEY_CONFIG);
}

int
pghactl_show_config(PghactlConf *conf, const PghactlOptions *o)
{
	char	   *doc;
	int64		mod;

	if (!read_config_key(pghactl_etcd(conf), config_key_of(conf), &doc, &mod))
		return EXIT_ETCD;
	printf("%s\n", pretty(doc));
	return 0;
}

/*
 * What the SQL functions and the workers would refuse: the config parser's
 * rules, parameters pgha never sets cluster-wide, pg_hba that is not a
 * list of strings.  (The workers also parse each pg_hba line with
 * PostgreSQL's own parser and keep the last good file if one is wrong.)
 */
static bool
check_config(const char *doc)
{
	char		err[256];
	PghaConfig	cfg;
	PghaConfigNotes notes;
	PghaParam  *params;
	int			nparams;
	bool		present;
	char	  **lines;
	int			nlines;
	int			i;

	if (!pgha_config_parse(doc, strlen(doc), &cfg, &notes, err, sizeof(err)))
	{
		pg_log_error("invalid cluster configuration: %s", err);
		return false;
	}
	/* a reader adjusts an out-of-range value; a writer refuses it */
	if (notes.adjusted[0] != '\0')
	{
		pg_log_error("invalid cluster configuration: %s", notes.adjusted);
		return false;
	}
	if (!pgha_config_parameters(doc, &params, &nparams, err, sizeof(err)))
	{
		pg_log_error("invalid cluster configuration: %s", err);
		return false;
	}
	for (i = 0; i < nparams; i++)
	{
		const char *why = pgha_parameter_refused(params[i].name);

		if (why)
		{
			pg_log_error("parameter \"%s\" cannot be set for the whole cluster", params[i].name);
			pg_log_error_detail("%s", why);
			return false;
		}
	}
	if (!pgha_config_hba(doc, &present, &lines, &nlines, err, sizeof(err)))
	{
		pg_log_error("invalid cluster configuration: %s", err);
		return false;
	}
	return true;
}

/* "a.b.c" = value as a merge patch {"a":{"b":{"c":value}}} */
static void
patch_set(json_t *patch, const char *path, json_t *value)
{
	char	   *copy = pg_strdup(path);
	char	   *dot;
	char	   *part = copy;
	json_t	   *at = patch;

	while ((dot = strchr(part, '.')) != NULL)
	{
		json_t	   *next;

		*dot = '\0';
		next = json_object_get(at, part);
		if (!json_is_object(next))
		{
			next = json_object();
			json_object_set_new(at, part, next);
		}
		at = next;
		part = dot + 1;
	}
	json_object_set_new(at, part, value);
	pfree(copy);
}

/* -s key=value: the value is JSON if it parses (10, true, null), else a string */
static json_t *
flag_value(const char *text)
{
	json_error_t jerr;
	json_t	   *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	return j ? j : json_string(text);
}

static bool
write_file(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL)
		return false;
	fprintf(f, "%s\n", text);
	return fclose(f) == 0;
}

static int
run_shell(const char *cmd)
{
	int			rc = system(cmd);

	return (rc == -1 || !WIFEXITED(rc)) ? -1 : WEXITSTATUS(rc);
}

int
pghactl_edit_config(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	char	   *key = config_key_of(conf);
	char	   *current;
	char	   *updated;
	char	   *before;
	char	   *after;
	int64		mod = 0;
	char		err[256];
	char		dir[] = "/tmp/pghactl.XXXXXX";
	char	   *old_path;
	char	   *new_path;
	bool		swapped;
	int64		rev;
	int			i;

	if (!read_config_key(etcd, key, &current, &mod))
		return EXIT_ETCD;

	if (mkdtemp(dir) == NULL)
		pg_fatal("could not create a temporary directory: %m");
	old_path = psprintf("%s/config.json", dir);
	new_path = psprintf("%s/config.json.new", dir);
	before = pretty(current);

	if (o->nset > 0)
	{
		json_t	   *patch = json_object();
		char	   *ptext;

		for (i = 0; i < o->nset; i++)
		{
			char	   *eq = strchr(o->set[i], '=');
			char	   *name;

			if (eq == NULL || eq == o->set[i])
			{
				pg_log_error("invalid setting \"%s\"", o->set[i]);
				pg_log_error_hint("Use -s key=value or -p parameter=value.");
				return 2;
			}
			name = pnstrdup(o->set[i], eq - o->set[i]);
			if (o->set_is_param[i])
				patch_set(patch, psprintf("postgresql.parameters.%s", name),
						  strcmp(eq + 1, "null") == 0 ? json_null() : json_string(eq + 1));
			else
				patch_set(patch, name, flag_value(eq + 1));
		}
		ptext = json_dumps(patch, JSON_COMPACT);
		json_decref(patch);
		updated = pgha_config_merge(current, ptext, err, sizeof(err));
		if (updated == NULL)
		{
			pg_log_error("invalid cluster configuration: %s", err);
			return 1;
		}
	}
	else
	{
		const char *editor = getenv("EDITOR") ? getenv("EDITOR") : "vi";
		json_error_t jerr;
		json_t	   *j;

		if (!write_file(new_path, before))
			pg_fatal("could not write \"%s\": %m", new_path);
		if (run_shell(psprintf("%s '%s'", editor, new_path)) != 0)
		{
			pg_log_error("the editor \"%s\" failed; nothing was changed", editor);
			return 1;
		}
		updated = pghactl_read_file(new_path);
		j = updated ? json_loads(updated, 0, &jerr) : NULL;
		if (j == NULL || !json_is_object(j))
		{
			pg_log_error("the edited configuration is not a JSON object%s%s; nothing was changed",
						 j == NULL && updated ? ": " : "", j == NULL && updated ? jerr.text : "");
			return 1;
		}
		updated = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	if (!check_config(updated))
	{
		pg_log_info("nothing was changed");
		return 1;
	}
	after = pretty(updated);
	if (strcmp(before, after) == 0)
	{
		printf("No changes.\n");
		return 0;
	}
	if (!write_file(old_path, before) || !write_file(new_path, after))
		pg_fatal("could not write into \"%s\": %m", dir);
	fflush(stdout);
	(void) run_shell(psprintf("diff -u --label config --label config.new '%s' '%s'", old_path, new_path));
	unlink(old_path);
	unlink(new_path);
	rmdir(dir);
	if (!pghactl_confirm(o, "Apply these changes?"))
	{
		pg_log_info("nothing was changed");
		return 1;
	}
	if (!pgha_etcd_put_if_unchanged(etcd, key, updated, mod, &swapped, &rev))
	{
		pg_log_error("could not write the configuration: %s", etcd->errmsg);
		return EXIT_ETCD;
	}
	if (!swapped)
	{
		pg_log_error("the configuration changed while you edited it; nothing was changed");
		pg_log_error_hint("Run the command again.");
		return 1;
	}
	printf("Configuration changed (etcd revision %lld).\n", (long long) rev);
	return 0;
}

/*
 * Apply a merge patch to the config key, with compare-and-swap (a
 * concurrent config change is no reason to fail: re-read and retried).
 * The result is checked as edit-config checks it, or (strict false: a
 * pause must work whatever else the stored config holds) only read as the
 * workers read it.  0, or an exit status (the error said).
 */
int
pghactl_config_patch(PghactlConf *conf, PghaEtcd *etcd, const char *patch, bool strict)
{
	char	   *key = config_key_of(conf);
	char		err[256];

	for (int attempt = 0; attempt < 5; attempt++)
	{
		char	   *current;
		int64		mod;
		char	   *merged;
		bool		swapped;
		int64		rev;
		PghaConfig	cfg;

		if (!read_config_key(etcd, key, &current, &mod))
			return EXIT_ETCD;
		merged = pgha_config_merge(current, patch, err, sizeof(err));
		if (merged == NULL ||
			(!strict && !pgha_config_parse(merged, strlen(merged), &cfg, NULL, err, sizeof(err))))
		{
			pg_log_error("invalid cluster configuration: %s", err);
			pg_log_error_hint("Fix it with pghactl edit-config.");
			return 1;
		}
		if (strict && !check_config(merged))
			return 1;
		if (!pgha_etcd_put_if_unchanged(etcd, key, merged, mod, &swapped, &rev))
		{
			pg_log_error("could not write the configuration: %s", etcd->errmsg);
			return EXIT_ETCD;
		}
		free(merged);
		if (swapped)
			return 0;
	}
	pg_log_error("the configuration kept changing concurrently; try again");
	return 1;
}

static int
set_pause(PghactlConf *conf, const PghactlOptions *o, bool pause)
{
	int			rc = pghactl_config_patch(conf, pghactl_etcd(conf),
										  pause ? "{\"pause\":true}" : "{\"pause\":null}", false);

	if (rc == 0)
		printf(pause ? "Maintenance mode on: pgha takes no HA action until pghactl resume.\n"
			   : "Maintenance mode off: pgha manages the cluster again.\n");
	return rc;
}

int
pghactl_pause(PghactlConf *conf, const PghactlOptions *o)
{
	return set_pause(conf, o, true);
}

int
pghactl_resume(PghactlConf *conf, const PghactlOptions *o)
{
	return set_pause(conf, o, false);
}
