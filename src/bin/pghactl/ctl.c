/*-------------------------------------------------------------------------
 *
 * ctl.c
 *		pghactl's cluster commands: what patronictl does, from any host that
 *		reaches etcd, with or without a running PostgreSQL.
 *
 * They read and write the same keys the pgha workers do, with the same
 * checks as the SQL functions (src/common: the config parser and merge
 * patch, the switchover check).  Writes are compare-and-swap: a command
 * that lost a race to another writer changes nothing and says so.
 *
 * Exit codes: 0 done; 1 refused or failed (the message says why);
 * 2 usage error; 3 etcd unreachable.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/ctl.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/etcd_json.h"
#include "common/keys.h"
#include "common/logging.h"
#include "common/switchover.h"
#include "lib/stringinfo.h"
#include "pghactl.h"

/* ---- reading ---- */

static bool
snapshot_or_report(PghaEtcd *etcd, const PghactlConf *conf, PghaCluster *c)
{
	if (pghactl_snapshot(etcd, conf, c))
		return true;
	pg_log_error_hint("Check pgha.etcd_hosts in %s and that etcd has a quorum.", conf->path);
	return false;
}

static uint64
lag_bytes(const PghaCluster *c, const PghaMember *m)
{
	if (!c->has_status || m->xlog_location == 0)
		return 0;
	return c->optime > m->xlog_location ? c->optime - m->xlog_location : 0;
}

static bool
is_leader(const PghaCluster *c, const PghaMember *m)
{
	return c->has_leader && strcmp(c->leader, m->name) == 0;
}

/* patronictl's role column: the role with "_" as " ", in title case */
static const char *
role_of(const PghaCluster *c, const PghaMember *m)
{
	const char *role = pgha_member_role(c, m);

	if (strcmp(role, "leader") == 0)
		return "Leader";
	if (strcmp(role, "standby_leader") == 0)
		return "Standby Leader";
	if (strcmp(role, "sync_standby") == 0)
		return "Sync Standby";
	if (strcmp(role, "quorum_standby") == 0)
		return "Quorum Standby";
	if (strcmp(role, "primary") == 0)
		return "Primary";
	return "Replica";
}

int
pghactl_list(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	int			i;

	if (!snapshot_or_report(etcd, conf, &c))
		return EXIT_ETCD;
	if (o->format && strcmp(o->format, "json") == 0)
	{
		/* patronictl list -f json: one object per member */
		json_t	   *arr = json_array();
		char	   *s;

		for (i = 0; i < c.nmembers; i++)
		{
			const PghaMember *m = &c.members[i];
			json_t	   *row = json_object();

			json_object_set_new(row, "Cluster", json_string(conf->scope));
			json_object_set_new(row, "Member", json_string(m->name));
			json_object_set_new(row, "Host", json_string(psprintf("%s:%d", m->host, m->port)));
			json_object_set_new(row, "Role", json_string(role_of(&c, m)));
			json_object_set_new(row, "State", json_string(pgha_member_state(&c, m)));
			json_object_set_new(row, "TL", json_integer(m->timeline));
			if (!is_leader(&c, m))
				json_object_set_new(row, "Lag in MB",
									json_integer((json_int_t) (lag_bytes(&c, m) / 1048576)));
			if (m->pending_restart)
				json_object_set_new(row, "Pending restart", json_string("*"));
			if (m->error[0] != '\0')
				json_object_set_new(row, "Error", json_string(m->error));
			{
				json_t	   *tags = pgha_member_tags(m);

				if (json_object_size(tags) > 0)
					json_object_set_new(row, "Tags", tags);
				else
					json_decref(tags);
			}
			json_array_append_new(arr, row);
		}
		s = json_dumps(arr, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(arr);
		return 0;
	}
	if (o->format && strcmp(o->format, "pretty") != 0)
	{
		pg_log_error("unknown format \"%s\"", o->format);
		pg_log_error_hint("Use -f pretty or -f json.");
		return 2;
	}
	printf("Cluster: %s (%s)%s\n", conf->scope,
		   c.has_initialize ? (c.initialize[0] ? c.initialize : "initializing") : "uninitialized",
		   c.config.pause ? "  Maintenance mode: on" : "");
	printf("%-16s %-22s %-14s %-16s %4s %12s %s\n", "Member", "Host", "Role", "State", "TL",
		   "Lag (bytes)", "Pending restart");
	for (i = 0; i < c.nmembers; i++)
	{
		const PghaMember *m = &c.members[i];
		char		host[300];
		char		lag[32] = "";

		snprintf(host, sizeof(host), "%s:%d", m->host, m->port);
		if (!is_leader(&c, m))
			snprintf(lag, sizeof(lag), UINT64_FORMAT, lag_bytes(&c, m));
		printf("%-16s %-22s %-14s %-16s %4d %12s %s\n", m->name, host,
			   role_of(&c, m), pgha_member_state(&c, m), m->timeline, lag,
			   m->pending_restart ? "*" : "");
	}
	/* why a member is down, below the table: too long for a column */
	for (i = 0; i < c.nmembers; i++)
		if (c.members[i].error[0] != '\0')
			printf("%s: %s\n", c.members[i].name, c.members[i].error);
	if (c.has_failover)
		printf("Switchover to \"%s\" requested%s%s\n", c.failover_member,
			   c.failover_scheduled_at[0] ? " for " : "", c.failover_scheduled_at);
	return 0;
}

/* the history key: [[timeline, lsn, reason, time, new leader], ...] */
int
pghactl_history(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	json_t	   *h;
	json_error_t jerr;
	size_t		i;

	if (!snapshot_or_report(etcd, conf, &c))
		return EXIT_ETCD;
	printf("%4s %14s  %-40s %-32s %s\n", "TL", "LSN", "Reason", "Timestamp", "New Leader");
	if (!c.has_history)
		return 0;
	h = json_loads(c.history, 0, &jerr);
	if (h == NULL || !json_is_array(h))
	{
		pg_log_error("the history key is not a JSON list");
		return 1;
	}
	for (i = 0; i < json_array_size(h); i++)
	{
		json_t	   *e = json_array_get(h, i);
		json_t	   *lsn = json_array_get(e, 1);
		const char *reason = json_string_value(json_array_get(e, 2));
		const char *ts = json_string_value(json_array_get(e, 3));
		const char *leader = json_string_value(json_array_get(e, 4));
		char		lsntext[32] = "";

		if (!json_is_array(e))
			continue;
		if (json_is_integer(lsn))
		{
			uint64		v = (uint64) json_integer_value(lsn);

			snprintf(lsntext, sizeof(lsntext), "%X/%X", (uint32) (v >> 32), (uint32) v);
		}
		printf("%4lld %14s  %-40.40s %-32s %s\n",
			   (long long) json_integer_value(json_array_get(e, 0)), lsntext,
			   reason ? reason : "", ts ? ts : "", leader ? leader : "");
	}
	json_decref(h);
	return 0;
}

/* the leader, then the others as its standbys: who streams from whom */
int
pghactl_topology(PghactlConf *conf, const PghactlOptions *o)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	int			i;
	bool		has_leader_member = false;

	if (!snapshot_or_report(etcd, conf, &c))
		return EXIT_ETCD;
	for (i = 0; i < c.nmembers; i++)
		if (is_leader(&c, &c.members[i]))
		{
			const PghaMember *m = &c.members[i];

			printf("%s  %s:%d  Leader  %s  TL %d\n", m->name, m->host, m->port, m->state, m->timeline);
			has_leader_member = true;
		}
	if (!has_leader_member)
		printf("(no leader)\n");
	for (i = 0; i < c.nmembers; i++)
	{
		const PghaMember *m = &c.members[i];

		if (is_leader(&c, m))
			continue;
		printf("+ %s  %s:%d  %s  %s  TL %d  lag " UINT64_FORMAT " bytes\n", m->name, m->host, m->port,
			   role_of(&c, m), pgha_member_state(&c, m),
			   m->timeline, lag_bytes(&c, m));
	}
	return 0;
}

/* ---- confirmation ---- */

/* true to go ahead: --force, or "y" on a terminal */
bool
pghactl_confirm(const PghactlOptions *o, const char *question)
{
	char		answer[16];

	if (o->force)
		return true;
	if (!isatty(fileno(stdin)))
	{
		pg_log_error("not confirmed: stdin is not a terminal");
		pg_log_error_hint("Add --force to go ahead without asking.");
		return false;
	}
	printf("%s [y/N] ", question);
	fflush(stdout);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/* ---- switchover / failover ---- */

/*
 * "2026-11-26T05:00", "2026-11-26 05:00:00+00:00", "...Z": a time in the
 * future, as ISO 8601 in UTC; local time when no zone is given.
 */
static bool
parse_schedule(const char *text, char *out, size_t outlen)
{
	struct tm	tm;
	const char *rest;
	time_t		t;
	int			off = 0;
	bool		utc = false;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(text, "%Y-%m-%dT%H:%M", &tm);
	if (rest == NULL)
		rest = strptime(text, "%Y-%m-%d %H:%M", &tm);
	if (rest == NULL)
		return false;
	if (*rest == ':')
	{
		rest = strptime(rest, ":%S", &tm);
		if (rest == NULL)
			return false;
	}
	if (*rest == 'Z')
	{
		utc = true;
		rest++;
	}
	else if (*rest == '+' || *rest == '-')
	{
		int			hh,
					mm;

		if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 14 || mm > 59)
			return false;
		off = (hh * 3600 + mm * 60) * (*rest == '-' ? -1 : 1);
		utc = true;
		rest += 6;
	}
	if (*rest != '\0')
		return false;
	if (utc)
		t = timegm(&tm) - off;
	else
	{
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t == (time_t) -1)
		return false;
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&t));
	return t > time(NULL);
}

static void
now_iso(char *out, size_t len)
{
	time_t		t = time(NULL);

	strftime(out, len, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&t));
}

static int
request(PghactlConf *conf, const PghactlOptions *o, bool need_leader)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	const PghaMember *cand;
	PghaSwitchoverCheck check;
	char		scheduled[64];
	char		now[64];
	char	   *prefix = pgha_key_prefix(conf->namespace, conf->scope);
	char	   *key = pgha_key(prefix, PGHA_KEY_FAILOVER);
	char	   *value;
	char	   *chosen;
	bool		swapped;
	int64		t0 = pgha_now_us();
	int64		deadline;

	if (o->scheduled && !parse_schedule(o->scheduled, scheduled, sizeof(scheduled)))
	{
		pg_log_error("invalid --scheduled time \"%s\"", o->scheduled);
		pg_log_error_hint("Give a future time as YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM].");
		return 2;
	}
	if (!snapshot_or_report(etcd, conf, &c))
		return EXIT_ETCD;
	check = pgha_switchover_check(&c, o->candidate, need_leader, &cand);
	if (check != PGHA_SW_OK)
	{
		if (cand)
			pg_log_error("%s: member \"%s\"", pgha_switchover_check_message(check), cand->name);
		else if (o->candidate)
			pg_log_error("%s: member \"%s\"", pgha_switchover_check_message(check), o->candidate);
		else
			pg_log_error("%s", pgha_switchover_check_message(check));
		if (check == PGHA_SW_PAUSED)
			pg_log_error_hint("Run pghactl resume first.");
		else if (check == PGHA_SW_NO_LEADER)
			pg_log_error_hint("Use pghactl failover --candidate MEMBER to choose the next leader.");
		else if (check == PGHA_SW_NO_CANDIDATE)
			pg_log_error_hint("No replica is running, streaming and eligible; see pghactl list.");
		else if (check == PGHA_SW_STANDBY_CLUSTER)
			pg_log_error_hint("Stop the standby leader and another member takes over, or run pghactl promote-cluster first.");
		else if (check == PGHA_SW_NOT_SYNC)
			pg_log_error_hint("pghactl list shows the Sync Standby.");
		return 1;
	}
	chosen = pg_strdup(cand->name);
	if (!pghactl_confirm(o, psprintf("%s from \"%s\" to \"%s\"%s%s?", need_leader ? "Switch over" : "Fail over",
							 c.has_leader ? c.leader : "(no leader)", chosen,
							 o->scheduled ? " at " : "", o->scheduled ? scheduled : "")))
		return 1;
	now_iso(now, sizeof(now));
	value = pgha_failover_request_json(c.has_leader ? c.leader : "", chosen,
									   o->scheduled ? scheduled : NULL, now);
	if (!pgha_etcd_put_if_unchanged(etcd, key, value, 0, &swapped, NULL))
	{
		pg_log_error("could not write the request: %s", etcd->errmsg);
		return EXIT_ETCD;
	}
	free(value);
	if (!swapped)
	{
		pg_log_error("a switchover is already pending");
		pg_log_error_hint("Wait for it, or delete the \"%s\" key in etcd to cancel it.", key);
		return 1;
	}
	if (o->scheduled)
	{
		printf("Switchover to \"%s\" scheduled at %s\n", chosen, scheduled);
		return 0;
	}

	/* until the candidate leads as primary, or the leader refused */
	deadline = t0 + (int64) o->wait_s * 1000000;
	for (;;)
	{
		PghaCluster now_c;
		PghaMember *m;

		if (pghactl_snapshot(etcd, conf, &now_c))
		{
			m = pgha_cluster_member(&now_c, chosen);
			if (now_c.has_leader && strcmp(now_c.leader, chosen) == 0 && m &&
				strcmp(m->role, "primary") == 0)
				break;
			if (!now_c.has_failover && now_c.has_leader && strcmp(now_c.leader, chosen) != 0)
			{
				pg_log_error("the leader refused the switchover to \"%s\"", chosen);
				pg_log_error_hint("The candidate must stream from the leader, on its slot, within maximum_lag_on_failover; see the leader's log.");
				return 1;
			}
		}
		if (pgha_now_us() >= deadline)
		{
			pg_log_error("member \"%s\" did not take over within %d s", chosen, o->wait_s);
			pg_log_error_hint("The request stays in etcd until it is carried out or goes stale; see pghactl list.");
			return 1;
		}
		pg_usleep(50000);
	}
	printf("%s: \"%s\" leads (%.2f s)\n", need_leader ? "Switched over" : "Failed over",
		   chosen, (pgha_now_us() - t0) / 1e6);
	return 0;
}

int
pghactl_switchover(PghactlConf *conf, const PghactlOptions *o)
{
	return request(conf, o, true);
}

int
pghactl_failover(PghactlConf *conf, const PghactlOptions *o)
{
	if (o->candidate == NULL)
	{
		pg_log_error("a failover needs a candidate");
		pg_log_error_hint("Give --candidate MEMBER, or use pghactl switchover to let pgha choose.");
		return 2;
	}
	if (o->scheduled)
	{
		pg_log_error("a failover cannot be scheduled");
		pg_log_error_hint("Use pghactl switchover --scheduled.");
		return 2;
	}
	return request(conf, o, false);
}

/* ---- restart ---- */

/*
 * pghactl restart MEMBER [--pending]: a "restart/<member>" request that the
 * member's worker takes, with a fast shutdown; its pghactl run starts
 * PostgreSQL again.  Waits for the member to publish a new start time.
 */
/* restart/<member> or reinit/<member>, then wait for a new postmaster */
static int
member_request(PghactlConf *conf, const PghactlOptions *o, bool reinit)
{
	PghaEtcd   *etcd = pghactl_etcd(conf);
	PghaCluster c;
	PghaMember *m;
	char	   *prefix = pgha_key_prefix(conf->namespace, conf->scope);
	char	   *key;
	char		now[64];
	char		scheduled[64];
	PghaRestartRequest r;
	char	   *value;
	bool		swapped;
	int64		started;
	int64		t0 = pgha_now_us();
	int			wait_s = reinit ? Max(o->wait_s, 600) : o->wait_s;

	if (o->member == NULL)
	{
		pg_log_error("no member given");
		pg_log_error_hint("Usage: pghactl %s MEMBER -c FILE", reinit ? "reinit" : "restart [--pending]");
		return 2;
	}
	if (o->scheduled && (reinit || !parse_schedule(o->scheduled, scheduled, sizeof(scheduled))))
	{
		pg_log_error(reinit ? "a reinit cannot be scheduled" : "invalid --scheduled time \"%s\"", o->scheduled);
		pg_log_error_hint("%s", reinit ? "Run pghactl reinit at the time." :
						  "Give a time in the future, such as 2026-11-26T05:00 (local) or 2026-11-26T05:00Z.");
		return 2;
	}
	if (!snapshot_or_report(etcd, conf, &c))
		return EXIT_ETCD;
	m = pgha_cluster_member(&c, o->member);
	if (m == NULL)
	{
		pg_log_error("member \"%s\" does not exist", o->member);
		return 1;
	}
	if (o->scheduled && c.config.pause)
	{
		pg_log_error("cannot schedule a restart while the cluster is paused");
		pg_log_error_hint("Resume it first (pghactl resume), or restart at the time.");
		return 1;
	}
	/* a scheduled one looks at pending_restart when it is due */
	switch (pgha_member_request_check(&c, m, reinit, o->pending && !o->scheduled))
	{
		case PGHA_MR_OK:
			break;
		case PGHA_MR_LEADER:
			pg_log_error("\"%s\" is the leader: reinit would destroy the primary", m->name);
			pg_log_error_hint("Switch over to another member first (pghactl switchover).");
			return 1;
		case PGHA_MR_NOT_PENDING:
			printf("No restart pending on \"%s\".\n", m->name);
			return 0;
		case PGHA_MR_DOWN:
			pg_log_error("member \"%s\" is down (%s): its server is not running to take the request",
						 m->name, m->state);
			pg_log_error_hint("%s", reinit ?
							  "On its host: stop pghactl run, run pghactl reinit -c pgha.conf, start pghactl run." :
							  "pghactl run starts it again by itself; pghactl list shows why it does not.");
			return 1;
		case PGHA_MR_NOT_SUPERVISED:
			pg_log_error("member \"%s\" does not run under pghactl run: nothing would start it again", m->name);
			pg_log_error_hint("%s", reinit ? "Stop it and run pghactl reinit on its host." :
							  "Restart it with its service manager on that host (systemctl restart, pg_ctl restart).");
			return 1;
	}
	if (!pghactl_confirm(o, reinit ?
						 psprintf("Delete the data of \"%s\" and clone it again from the leader?", m->name) :
						 psprintf("Restart \"%s\"%s%s%s?", m->name,
								  is_leader(&c, m) ? " (the leader: writes pause for the restart)" : "",
								  o->scheduled ? " at " : "", o->scheduled ? scheduled : "")))
		return 1;
	started = m->started_ms;
	key = psprintf("%s%s%s", prefix, reinit ? PGHA_KEY_REINIT : PGHA_KEY_RESTART, m->name);
	now_iso(now, sizeof(now));
	memset(&r, 0, sizeof(r));
	r.pending_only = o->pending;
	r.schedule = o->scheduled ? scheduled : NULL;
	value = pgha_member_request_json(now, reinit ? NULL : &r);
	if (!pgha_etcd_put_if_unchanged(etcd, key, value, 0, &swapped, NULL))
	{
		pg_log_error("could not write the request: %s", etcd->errmsg);
		return EXIT_ETCD;
	}
	if (!swapped)
	{
		pg_log_error("a %s of \"%s\" is already pending", reinit ? "reinit" : "restart", m->name);
		pg_log_error_hint("Wait for it, or withdraw it with pghactl flush restart %s.", m->name);
		return 1;
	}
	if (o->scheduled)
	{
		printf("Restart of \"%s\" scheduled at %s.\n", m->name, scheduled);
		return 0;
	}
	for (;;)
	{
		PghaCluster now_c;
		PghaMember *n;

		if (pghactl_snapshot(etcd, conf, &now_c) &&
			(n = pgha_cluster_member(&now_c, o->member)) != NULL &&
			n->started_ms > started && strcmp(n->state, "running") == 0)
			break;
		if (pgha_now_us() - t0 >= (int64) wait_s * 1000000)
		{
			pg_log_error("member \"%s\" did not %s within %d s", o->member,
						 reinit ? "come back as a new copy" : "restart", wait_s);
			pg_log_error_hint("See the member's log; pghactl list shows its state.");
			return 1;
		}
		pg_usleep(100000);
	}
	printf("%s \"%s\" (%.2f s).\n", reinit ? "Reinitialized" : "Restarted", o->member,
		   (pgha_now_us() - t0) / 1e6);
	return 0;
}

/*
 * pghactl restart MEMBER [--pending]: a "restart/<member>" request that the
 * member's worker takes, with a fast shutdown; its pghactl run starts
 * PostgreSQL again.  Waits for the member to publish a new start time.
 */
int
pghactl_restart(PghactlConf *conf, const PghactlOptions *o)
{
	return member_request(conf, o, false);
}

/*
 * pghactl reinit MEMBER: a "reinit/<member>" request; the member's worker
 * leaves pghactl run a marker and shuts down; pghactl run empties the data
 * directory and clones the leader.
 */
int
pghactl_reinit_remote(PghactlConf *conf, const PghactlOptions *o)
{
	return member_request(conf, o, true);
}

/* ---- configuration ---- */

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

static char *
read_file(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *buf;
	size_t		n;

	if (f == NULL)
		return NULL;
	buf = pg_malloc(1024 * 1024 + 1);
	n = fread(buf, 1, 1024 * 1024, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
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
		updated = read_file(new_path);
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

/* ---- etcd-config: each etcd member's YAML, from a node list ---- */

int
pghactl_etcd_config(const PghactlOptions *o)
{
	char	   *nodes;
	char	   *names[32];
	char	   *ips[32];
	int			n = 0;
	int			tolerated;
	char	   *tok;
	char	   *save;
	int			i;
	StringInfoData initial;
	bool		loopback;
	bool		tls;
	const char *scheme;
	const char *tls_dir;

	if (o->nodes == NULL)
	{
		pg_log_error("no --nodes given");
		pg_log_error_hint("Example: pghactl etcd-config --nodes etcd1=10.0.0.1,etcd2=10.0.0.2,etcd3=10.0.0.3");
		return 2;
	}
	nodes = pg_strdup(o->nodes);
	for (tok = strtok_r(nodes, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		char	   *eq = strchr(tok, '=');
		char		err[256];

		if (eq == NULL || eq == tok || eq[1] == '\0' || n == lengthof(names))
		{
			pg_log_error("invalid node \"%s\"", tok);
			pg_log_error_hint("Give name=address pairs separated by commas (at most 32).");
			return 2;
		}
		*eq = '\0';
		if (!pgha_name_valid(tok, err, sizeof(err)))
		{
			pg_log_error("invalid node name \"%s\": %s", tok, err);
			return 2;
		}
		names[n] = tok;
		ips[n] = eq + 1;
		n++;
	}
	tolerated = (n - 1) / 2;

	/*
	 * etcd write access is root on every database host (a member key can
	 * point a clone at an attacker's server): off this host, members talk
	 * TLS with client certificates, unless --insecure says otherwise.
	 */
	loopback = true;
	for (i = 0; i < n; i++)
		loopback = loopback && strncmp(ips[i], "127.", 4) == 0;
	tls = (!loopback && !o->insecure) || o->tls_dir != NULL;
	if (!loopback && o->insecure)
		pg_log_warning("plain http without authentication on %s and the other addresses: whoever reaches port 2379 can pick the leader and make every database host run commands",
					   ips[0]);
	scheme = tls ? "https" : "http";
	tls_dir = o->tls_dir ? o->tls_dir : "/etc/etcd/tls";
	initStringInfo(&initial);
	for (i = 0; i < n; i++)
		appendStringInfo(&initial, "%s%s=%s://%s:2380", i ? "," : "", names[i], scheme, ips[i]);
	for (i = 0; i < n; i++)
	{
		printf("# %s: etcd --config-file %s.yaml\n", names[i], names[i]);
		printf("name: %s\n", names[i]);
		printf("data-dir: %s/%s\n", o->data_dir ? o->data_dir : "/var/lib/etcd", names[i]);
		printf("initial-cluster: %s\n", initial.data);
		printf("initial-cluster-token: %s\n", o->token ? o->token : "pgha-etcd");
		printf("initial-cluster-state: new\n");
		printf("initial-advertise-peer-urls: %s://%s:2380\n", scheme, ips[i]);
		printf("listen-peer-urls: %s://%s:2380\n", scheme, ips[i]);
		/* also on localhost, for etcdctl on the host, unless the address is a loopback one */
		if (strncmp(ips[i], "127.", 4) == 0)
			printf("listen-client-urls: %s://%s:2379\n", scheme, ips[i]);
		else
			printf("listen-client-urls: %s://%s:2379,%s://127.0.0.1:2379\n", scheme, ips[i], scheme);
		printf("advertise-client-urls: %s://%s:2379\n", scheme, ips[i]);
		/* a config file, unlike the command line, leaves the JSON gateway off */
		printf("enable-grpc-gateway: true\n");
		if (tls)
		{
			/* the certificate names the address and 127.0.0.1 (subjectAltName) */
			const char *const sections[] = {"client-transport-security", "peer-transport-security"};

			for (int k = 0; k < 2; k++)
			{
				printf("%s:\n", sections[k]);
				printf("  cert-file: %s/%s.crt\n", tls_dir, names[i]);
				printf("  key-file: %s/%s.key\n", tls_dir, names[i]);
				printf("  trusted-ca-file: %s/ca.crt\n", tls_dir);
				printf("  client-cert-auth: true\n");
			}
		}
		printf("---\n");
	}
	if (tls)
	{
		printf("# TLS with client certificates: in %s, each member's certificate names its\n", tls_dir);
		printf("# address and 127.0.0.1 (subjectAltName) and allows serverAuth and clientAuth\n");
		printf("# (the JSON gateway dials etcd's own port with it). Then turn on authentication,\n");
		printf("# with a role per cluster prefix, once the members run:\n");
		printf("#   etcdctl user add root && etcdctl role add pgha_SCOPE\n");
		printf("#   etcdctl role grant-permission pgha_SCOPE --prefix=true readwrite /service/SCOPE/\n");
		printf("#   etcdctl user add pgha && etcdctl user grant-role pgha pgha_SCOPE && etcdctl auth enable\n");
		printf("# and on each node: pgha.etcd_protocol = 'https', pgha.etcd_cacert, pgha.etcd_cert,\n");
		printf("# pgha.etcd_key, pgha.etcd_user, pgha.etcd_password_file (docs/security.md).\n");
	}
	printf("# %d members: quorum %d, tolerates %d failure%s\n", n, pgha_etcd_quorum(n), tolerated,
		   tolerated == 1 ? "" : "s");
	if (n % 2 == 0)
		pg_log_warning("%d members tolerate no more failures than %d: use an odd number", n, n - 1);
	if (o->failures > tolerated)
	{
		pg_log_warning("%d members tolerate %d failure%s, not %d: surviving %d needs %d members (N = 2F + 1)",
					   n, tolerated, tolerated == 1 ? "" : "s", o->failures, o->failures,
					   2 * o->failures + 1);
		return 1;
	}
	return 0;
}
