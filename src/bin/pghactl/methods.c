/*-------------------------------------------------------------------------
 *
 * methods.c
 *		Patroni's methods: commands from pgha.conf that fill a data
 *		directory (a backup tool's restore), for new replicas
 *		(pghactl.create_replica_methods) and for a new cluster
 *		(pghactl.bootstrap_method).
 *
 * A method is a name (letters, digits, underscores); its options are the
 * keys pghactl.NAME_OPTION, as Patroni's postgresql.NAME and
 * bootstrap.NAME sections (PostgreSQL's configuration files allow one dot
 * in a name): "command" (the
 * command line, run by /bin/sh; the name itself when unset), the flags
 * each caller knows (keep_data, no_params, no_leader, ...), and any other
 * option, passed to the command as --OPTION=VALUE after the command line,
 * in the file's order, as Patroni does.  The commands come from the node's
 * own file, never from etcd.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/methods.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <dirent.h>

#include "common/logging.h"
#include "pghactl.h"

const char *
pghactl_method_option(const PghactlConf *c, const char *method, const char *option)
{
	char	   *key = psprintf("pghactl.%s_%s", method, option);
	const char *v = NULL;
	int			i;

	for (i = 0; i < c->nmethod_options; i++)
		if (strcmp(c->method_option_keys[i], key) == 0)
			v = c->method_option_values[i];
	pfree(key);
	return v;
}

bool
pghactl_method_flag(const PghactlConf *c, const char *method, const char *option)
{
	const char *v = pghactl_method_option(c, method, option);

	return v != NULL && pghactl_conf_bool(v);
}

/*
 * The options pghactl reads itself, for replica and bootstrap methods
 * alike (Patroni's names): a method name may serve both, as "pgbackrest"
 * often does.  "recovery_conf_" is a prefix.
 */
static const char *const reserved[] = {"command", "keep_data", "no_params", "no_leader",
"no_master", "keep_existing_recovery_conf", "recovery_conf_", NULL};

static bool
reserved_option(const char *option)
{
	for (const char *const *r = reserved; *r; r++)
	{
		size_t		len = strlen(*r);

		if ((*r)[len - 1] == '_' ? strncmp(option, *r, len) == 0 : strcmp(option, *r) == 0)
			return true;
	}
	return false;
}

/*
 * Is key (pghactl.METHOD_...) another method's, one whose name extends
 * method's ("wal_g" for "wal")?  Those are the methods pgha.conf names.
 */
static bool
longer_method_key(const PghactlConf *c, const char *method, const char *key)
{
	char	   *names = psprintf("%s,%s", c->create_replica_methods ? c->create_replica_methods : "",
								 c->bootstrap_method ? c->bootstrap_method : "");
	char	   *save;
	bool		found = false;

	for (char *n = strtok_r(names, ", \t", &save); n && !found; n = strtok_r(NULL, ", \t", &save))
		found = strlen(n) > strlen(method) && strncmp(n, method, strlen(method)) == 0 &&
			strncmp(key + 8, n, strlen(n)) == 0 && key[8 + strlen(n)] == '_';
	pfree(names);
	return found;
}

/*
 * Run method's command with its own options as --OPTION=VALUE (not those
 * pghactl reads), and params: after the options (replicas), or before
 * them (params_first: bootstrap), as Patroni orders them.  Its exit
 * status, or -1.
 */
int
pghactl_method_run(const PghactlConf *c, const char *method, char **params, int nparams,
				   bool params_first)
{
	const char *command = pghactl_method_option(c, method, "command");
	char	   *prefix = psprintf("pghactl.%s_", method);
	char	  **argv = palloc0((c->nmethod_options + nparams + 5) * sizeof(char *));
	int			n = 0;
	int			i;

	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	/* the command line as the shell reads it, the options after it */
	argv[n++] = psprintf("%s \"$@\"", command ? command : method);
	argv[n++] = (char *) method;	/* $0 */
	for (i = 0; params_first && i < nparams; i++)
		argv[n++] = params[i];
	for (i = 0; i < c->nmethod_options; i++)
	{
		const char *key = c->method_option_keys[i];
		const char *option = key + strlen(prefix);

		if (strncmp(key, prefix, strlen(prefix)) != 0 || reserved_option(option) ||
			longer_method_key(c, method, key))
			continue;
		argv[n++] = psprintf("--%s=%s", option, c->method_option_values[i]);
	}
	for (i = 0; !params_first && i < nparams; i++)
		argv[n++] = params[i];
	argv[n] = NULL;
	return pghactl_run_cmd(argv);
}

/* does the data directory hold nothing (or not exist)? */
bool
pghactl_data_directory_empty(const PghactlConf *c)
{
	DIR		   *dir = opendir(c->data_directory);
	struct dirent *de;
	bool		empty = true;

	if (dir == NULL)
		return true;
	while (empty && (de = readdir(dir)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(dir);
	return empty;
}

/* remove what the data directory holds, keeping the directory itself */
bool
pghactl_empty_data_directory(const PghactlConf *c)
{
	if (pghactl_data_directory_empty(c))
		return true;
	pg_log_info("removing the contents of %s", c->data_directory);
	if (!rmtree(c->data_directory, false))
	{
		pg_log_error("could not empty %s", c->data_directory);
		return false;
	}
	return true;
}
