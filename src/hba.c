/*-------------------------------------------------------------------------
 *
 * hba.c
 *		Cluster-wide pg_hba rules: validation with PostgreSQL's own parser,
 *		and the atomic rewrite of pg_hba.conf on each node.
 *
 * The rule list lives in etcd's config key as Patroni's postgresql.pg_hba.
 * pgha manages pg_hba.conf only while that key exists.  The first time it
 * does, it keeps the file it found as pg_hba.conf.pgha-base; from then on
 * pg_hba.conf is
 *
 *	   the protected layer: every "local" rule and every rule for the
 *	   "replication" database of the file pgha found (so that no rule list
 *	   can cut replication between members or lock the local superuser
 *	   out, a known Patroni failure), followed by
 *	   the cluster-wide rules.
 *
 * Removing the key gives the node its original file back.
 *
 * Every candidate file is parsed with PostgreSQL's own pg_hba parser
 * before it replaces the old one (temp file, fsync, durable_rename), so a
 * file that would fail to load (and stop the next restart) is never left
 * in place.  Rules may not include other files (@file, include). a rule list from
 * etcd must not make the server read arbitrary files.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/hba.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "libpq/hba.h"
#include "miscadmin.h"
#include "postmaster/postmaster.h"
#include "storage/fd.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "actions.h"
#include "shared/cluster.h"
#include "hba.h"

#define BASE_SUFFIX ".pgha-base"

static char *
base_path(void)
{
	return psprintf("%s" BASE_SUFFIX, HbaFileName);
}

/* whole file as a string, or NULL if it does not exist */
static char *
read_whole_file(const char *path)
{
	StringInfoData buf;
	FILE	   *f = AllocateFile(path, "r");
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
	{
		if (errno == ENOENT)
			return NULL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	initStringInfo(&buf);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		appendBinaryStringInfo(&buf, chunk, n);
	FreeFile(f);
	return buf.data;
}

/* an unquoted '@' would make the parser include another file */
static bool
has_inclusion(const char *rule)
{
	bool		quoted = false;
	const char *p;

	for (p = rule; *p; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted)
			return true;
	}
	return false;
}

/*
 * PostgreSQL's parser reports some errors only through ereport (a RADIUS
 * server name that does not resolve, for one).  It runs at LOG while this
 * hook keeps the first such message out of the server log, for the caller.
 */
static emit_log_hook_type prev_emit_log_hook = NULL;
static char *parser_message = NULL;

static void
catch_parser_message(ErrorData *edata)
{
	if (edata->elevel == LOG)
	{
		if (parser_message == NULL && edata->message)
			parser_message = MemoryContextStrdup(TopMemoryContext, edata->message);
		edata->output_to_server = false;
		edata->output_to_client = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* parse_hba_line(), its messages caught instead of logged */
static HbaLine *
parse_quietly(TokenizedAuthLine *tl)
{
	HbaLine    *volatile parsed = NULL;

	if (parser_message)
		pfree(parser_message);
	parser_message = NULL;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = catch_parser_message;
	PG_TRY();
	{
		parsed = parse_hba_line(tl, LOG);
	}
	PG_FINALLY();
	{
		emit_log_hook = prev_emit_log_hook;
	}
	PG_END_TRY();
	return parsed;
}

/* "include", "include_dir", "include_if_exists" (PostgreSQL 16): other files */
static bool
is_include_line(const char *rule)
{
	size_t		n = strcspn(rule, " \t");

	return (n == 7 && strncmp(rule, "include", 7) == 0) ||
		(n == 11 && strncmp(rule, "include_dir", 11) == 0) ||
		(n == 17 && strncmp(rule, "include_if_exists", 17) == 0);
}

int
pgha_hba_check(char **rules, int n, int trusted, char **msg, char **warning)
{
	StringInfoData text;
	FILE	   *f;
	List	   *tok_lines = NIL;
	MemoryContext linecxt;
	ListCell   *lc;
	int			bad = -1;
	int			i;

	*msg = NULL;
	*warning = NULL;
	initStringInfo(&text);
	for (i = 0; i < n; i++)
	{
		const char *p = rules[i];

		while (*p == ' ' || *p == '\t')
			p++;
		/* PostgreSQL joins a line ending in a backslash to the next one */
		if (rules[i][0] != '\0' && rules[i][strlen(rules[i]) - 1] == '\\')
		{
			*msg = pstrdup("A rule must not end with a backslash: PostgreSQL would join the next rule to it.");
			return i;
		}
		if (strpbrk(rules[i], "\r\n") != NULL)
		{
			*msg = pstrdup("A rule must be a single line.");
			return i;
		}
		if (*p == '\0' || *p == '#')
		{
			*msg = pstrdup("A rule must not be empty or a comment.");
			return i;
		}
		if (i >= trusted && (has_inclusion(rules[i]) || is_include_line(p)))
		{
			*msg = pstrdup("Rules may not include other files (@file, include).");
			return i;
		}
		appendStringInfo(&text, "%s\n", rules[i]);
	}
	if (n == 0)
		return -1;

	f = fmemopen(text.data, text.len, "r");
	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not check pg_hba rules: %m")));
	linecxt = tokenize_auth_file(HbaFileName, f, &tok_lines, DEBUG3);
	fclose(f);

	foreach(lc, tok_lines)
	{
		TokenizedAuthLine *tl = (TokenizedAuthLine *) lfirst(lc);
		HbaLine    *parsed = tl->err_msg == NULL ? parse_quietly(tl) : NULL;

		if (parsed != NULL)
		{
			/* parsed, but it may still never match (hostssl without SSL) */
			if (tl->err_msg != NULL && *warning == NULL)
				*warning = psprintf("Rule %d: %s.", tl->line_num, tl->err_msg);
			continue;
		}
		bad = tl->line_num - 1;
		*msg = pstrdup(tl->err_msg ? tl->err_msg : parser_message ? parser_message : "invalid rule");
		/* the parser's words may quote a password of the rule (a RADIUS secret) */
		*msg = pgha_hba_mask_in_text(rules[bad], *msg);
		break;
	}
	if (parser_message)
		pfree(parser_message);
	parser_message = NULL;
	MemoryContextDelete(linecxt);
	return bad;
}

static bool
is_protected(const char *line)
{
	char		buf[1024];
	char	   *type;
	char	   *db;
	char	   *save;
	char	   *tok;

	strlcpy(buf, line, sizeof(buf));
	type = strtok_r(buf, " \t", &save);
	if (type == NULL || type[0] == '#')
		return false;
	if (strcmp(type, "local") == 0)
		return true;
	db = strtok_r(NULL, " \t", &save);
	if (db == NULL)
		return false;
	for (tok = strtok_r(db, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "replication") == 0 || strcmp(tok, "\"replication\"") == 0)
			return true;
	return false;
}

static List *
protected_lines_of(const char *content)
{
	List	   *out = NIL;
	char	   *copy = pstrdup(content ? content : "");
	char	   *save;
	char	   *line;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (is_protected(line))
			out = lappend(out, pstrdup(line));
	return out;
}

List *
pgha_hba_protected_lines(void)
{
	char	   *base = read_whole_file(base_path());

	return protected_lines_of(base ? base : read_whole_file(HbaFileName));
}


bool
pgha_hba_apply(bool present, char **rules, int n)
{
	char	   *base_file = base_path();
	char	   *current = read_whole_file(HbaFileName);
	char	   *base = read_whole_file(base_file);
	StringInfoData out;
	List	   *protected;
	ListCell   *lc;
	char	  **all;
	int			nall = 0;
	char	   *msg;
	char	   *warning;
	int			bad;
	int			i;
	MemoryContext cxt = CurrentMemoryContext;

	if (!present)
	{
		/* not managed (any more): give the node its own file back */
		if (base == NULL)
			return false;
		if (current == NULL || strcmp(current, base) != 0)
			pgha_write_durably(HbaFileName, base);
		durable_unlink(base_file, ERROR);
		pgha_action_signal_reload();
		return true;
	}

	if (base == NULL)
	{
		/* first time: keep the file we found */
		base = current ? current : pstrdup("");
		pgha_write_durably(base_file, base);
	}
	protected = protected_lines_of(base);

	initStringInfo(&out);
	appendStringInfoString(&out,
						   "# Written by pgha: do not edit.  Cluster-wide rules: pgha.set_hba().\n"
						   "# Protected rules (local, replication) come from pg_hba.conf" BASE_SUFFIX ".\n");
	all = palloc(sizeof(char *) * (list_length(protected) + n + 1));
	foreach(lc, protected)
	{
		appendStringInfo(&out, "%s\n", (char *) lfirst(lc));
		all[nall++] = (char *) lfirst(lc);
	}
	appendStringInfoString(&out, "# cluster-wide rules\n");
	for (i = 0; i < n; i++)
	{
		appendStringInfo(&out, "%s\n", rules[i]);
		all[nall++] = rules[i];
	}
	if (current != NULL && strcmp(current, out.data) == 0)
		return false;
	/* PostgreSQL will not load a pg_hba.conf without rules */
	if (nall == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgha did not write pg_hba.conf because it would have no rules"),
				 errdetail("The file pgha found has no local or replication rules, and the cluster config lists none.")));

	/* the whole file must parse before it replaces the old one */
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);
	bad = pgha_hba_check(all, nall, list_length(protected), &msg, &warning);
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	if (bad >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgha did not write pg_hba.conf because a rule would not load"),
				 errdetail_internal("Rule \"%s\": %s", pgha_hba_mask_secrets(all[bad]), msg)));
	pgha_write_durably(HbaFileName, out.data);
	pgha_action_signal_reload();
	return true;
}
