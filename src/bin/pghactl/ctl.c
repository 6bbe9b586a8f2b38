/*-------------------------------------------------------------------------
 *
 * ctl.c
 *		pghactl's cluster commands: what patronictl does, from any host that
 *		reaches etcd, with or without a running PostgreSQL.
 *
 * They read and write the same keys the pgha workers do, with the same
 * checks as the SQL functions (src/shared: the config parser and merge
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

#include "shared/clock.h"
#include "shared/etcd_json.h"
#include "shared/keys.h"
#include "common/logging.h"
#include "shared/switchover.h"
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

/* a member's lag in bytes as pgha.members() shows it; "unknown" as patronictl 3 says it */
static const char *
lag_text(const PghaCluster *c, const PghaMember *m)
{
	int64		lag = pgha_member_lag(c, m, m->xlog_location);

	return lag < 0 ? "unknown" : psprintf(INT64_FORMAT, lag);
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
			{
				int64		lag = pgha_member_lag(&c, m, m->xlog_location);

				json_object_set_new(row, "Lag in MB", lag < 0 ? json_string("unknown") :
									json_integer((json_int_t) (lag / 1048576)));
			}
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
		const char *lag = is_leader(&c, m) ? "" : lag_text(&c, m);

		snprintf(host, sizeof(host), "%s:%d", m->host, m->port);
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
		printf("+ %s  %s:%d  %s  %s  TL %d  lag %s bytes\n", m->name, m->host, m->port,
			   role_of(&c, m), pgha_member_state(&c, m),
			   m->timeline, lag_text(&c, m));
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
		case PGHA_MR_SYNC_LEADER:
			pghactl_refuse_sync_leader(m->name);
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
