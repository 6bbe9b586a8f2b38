/*-------------------------------------------------------------------------
 *
 * etcd_config.c
 *		pghactl etcd-config: each etcd member's YAML configuration, from a
 *		list of nodes.
 *
 * Works without a node's pgha.conf: it only prints.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/bin/pghactl/etcd_config.c
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
