/*-------------------------------------------------------------------------
 *
 * api_auth.c
 *		Who asks the REST API: the client's address, HTTP basic
 *		authentication against pgha.api_user and pgha.api_password_file,
 *		and the log of refused requests (a flood is counted, not logged).
 *
 * The rules (which request needs what) are shared/api_rules.c; the
 * password is wiped from memory as soon as it was compared.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <netdb.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "api_auth.h"
#include "shared/clock.h"
#include "shared/etcd.h"
#include "guc.h"

/* the client's address, for the log */
const char *
pgha_api_client_address(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	static char host[NI_MAXHOST];

	if (info == NULL || info->client_addr == NULL ||
		getnameinfo(info->client_addr,
					info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					sizeof(struct sockaddr_in),
					host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		return "?";
	return host;
}

/* HTTP basic authentication against pgha.api_user and pgha.api_password_file */
PghaApiAuth
pgha_api_check_credentials(struct MHD_Connection *c)
{
	char	   *password = NULL;
	char	   *user = MHD_basic_auth_get_username_password(c, &password);
	char		want[1024];
	char		err[256];
	bool		have = false;
	PghaApiAuth auth;

	if (pgha_api_user[0] != '\0' && pgha_api_password_file[0] != '\0')
	{
		have = pgha_read_password_file(pgha_api_password_file, want, sizeof(want), err, sizeof(err));
		if (!have)
			ereport(LOG,
					(errmsg("pgha api: cannot authenticate REST actions: %s", err),
					 errhint("Check pgha.api_password_file.")));
	}
	auth = pgha_api_authenticate(pgha_api_user, have ? want : NULL, user, password);
	explicit_bzero(want, sizeof(want));
	if (password)
	{
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return auth;
}

/*
 * A refused request, logged; of a flood, the first ten each second, and
 * then how many more there were.
 */
#define REFUSALS_LOGGED_PER_SECOND 10

void
pgha_api_log_refusal(struct MHD_Connection *c, const char *method, const char *url, const char *why)
{
	static int64 second = 0;
	static int	in_second = 0;
	static int	unlogged = 0;
	int64		now = pgha_now_us() / 1000000;

	if (now != second)
	{
		if (unlogged > 0)
			ereport(LOG, (errmsg("pgha api: %d more requests were refused and not logged", unlogged)));
		second = now;
		in_second = unlogged = 0;
	}
	if (++in_second > REFUSALS_LOGGED_PER_SECOND)
	{
		unlogged++;
		return;
	}
	ereport(LOG, (errmsg("pgha api: refused %s %s from %s: %s", method, url, pgha_api_client_address(c), why)));
}
