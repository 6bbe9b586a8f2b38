/*-------------------------------------------------------------------------
 *
 * api_tls.c
 *		The REST API's TLS: the certificate, key and CA files read and
 *		checked, client certificates verified, and a signature of the files
 *		that tells a reload to start the daemon anew.
 *
 * The files are read whole into memory (libmicrohttpd takes PEM text),
 * the key checked for PostgreSQL's permissions on ssl_key_file.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/api_tls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "api_tls.h"
#include "guc.h"

/* a PEM file, whole (palloc'd in TopMemoryContext); NULL (logged) if unreadable */
static char *
read_pem(const char *path, bool secret)
{
	struct stat st;
	FILE	   *f;
	char	   *buf;
	size_t		n;

	if (stat(path, &st) != 0)
	{
		ereport(LOG, (errmsg("pgha api: could not read \"%s\": %m", path)));
		return NULL;
	}
	if (!S_ISREG(st.st_mode))
	{
		ereport(LOG, (errmsg("pgha api: \"%s\" is not a plain file", path)));
		return NULL;
	}
	/* PostgreSQL's rule for ssl_key_file: the owner's alone, or root's with group read */
	if (secret && ((st.st_uid != 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) ||
				   (st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) != 0)))
	{
		ereport(LOG,
				(errmsg("pgha api: private key file \"%s\" has group or world access", path),
				 errdetail("It must be u=rw (0600) or less if owned by the database user, or u=rw,g=r (0640) or less if owned by root.")));
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL)
	{
		ereport(LOG, (errmsg("pgha api: could not open \"%s\": %m", path)));
		return NULL;
	}
	buf = MemoryContextAllocZero(TopMemoryContext, st.st_size + 1);
	n = fread(buf, 1, st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* the TLS material in use, for the daemon's lifetime */
static char *tls_cert = NULL;
static char *tls_key = NULL;
static char *tls_ca = NULL;

const char *
pgha_api_tls_cert(void)
{
	return tls_cert;
}

const char *
pgha_api_tls_key(void)
{
	return tls_key;
}

const char *
pgha_api_tls_ca(void)
{
	return tls_ca;
}

void
pgha_api_tls_forget(void)
{
	if (tls_key)
		explicit_bzero(tls_key, strlen(tls_key));
	if (tls_cert)
		pfree(tls_cert);
	if (tls_key)
		pfree(tls_key);
	if (tls_ca)
		pfree(tls_ca);
	tls_cert = tls_key = tls_ca = NULL;
}

/*
 * Read the TLS settings' files into tls_*, and check them with GnuTLS (a
 * certificate and its key, CA certificates): false (logged) if unusable.
 * No certificate file: plain HTTP, true.
 */
bool
pgha_api_tls_load(void)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert;
	gnutls_datum_t key;
	gnutls_datum_t ca;
	int			rc;

	pgha_api_tls_forget();
	if (pgha_api_certfile[0] == '\0')
	{
		if (pgha_api_verify_client != PGHA_VERIFY_CLIENT_NONE)
		{
			ereport(LOG, (errmsg("pgha api: pgha.api_verify_client needs pgha.api_certfile (HTTPS)")));
			return false;
		}
		return true;
	}
	if (pgha_api_keyfile[0] == '\0')
	{
		ereport(LOG, (errmsg("pgha api: pgha.api_certfile is set but pgha.api_keyfile is not")));
		return false;
	}
	if (pgha_api_verify_client != PGHA_VERIFY_CLIENT_NONE && pgha_api_cafile[0] == '\0')
	{
		ereport(LOG, (errmsg("pgha api: pgha.api_verify_client needs pgha.api_cafile")));
		return false;
	}
	tls_cert = read_pem(pgha_api_certfile, false);
	tls_key = read_pem(pgha_api_keyfile, true);
	if (pgha_api_cafile[0] != '\0')
		tls_ca = read_pem(pgha_api_cafile, false);
	if (tls_cert == NULL || tls_key == NULL || (pgha_api_cafile[0] != '\0' && tls_ca == NULL))
	{
		pgha_api_tls_forget();
		return false;
	}
	cert.data = (unsigned char *) tls_cert;
	cert.size = strlen(tls_cert);
	key.data = (unsigned char *) tls_key;
	key.size = strlen(tls_key);
	if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS)
	{
		pgha_api_tls_forget();
		return false;
	}
	rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		ereport(LOG,
				(errmsg("pgha api: pgha.api_certfile and pgha.api_keyfile are not a PEM certificate and its key: %s",
						gnutls_strerror(rc))));
	else if (tls_ca)
	{
		ca.data = (unsigned char *) tls_ca;
		ca.size = strlen(tls_ca);
		rc = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
		{
			ereport(LOG,
					(errmsg("pgha api: pgha.api_cafile holds no PEM certificate%s%s",
							rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "")));
			rc = -1;
		}
	}
	gnutls_certificate_free_credentials(cred);
	if (rc < 0)
		pgha_api_tls_forget();
	return rc >= 0;
}

/*
 * pgha.api_verify_client: a certificate the client sent must chain to
 * pgha.api_cafile; "required" wants one on every request, "optional" on
 * actions, as Patroni's check_access.  NULL, or why the request is refused.
 */
const char *
pgha_api_tls_client_refusal(struct MHD_Connection *c, bool action)
{
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;
	unsigned int n = 0;
	unsigned int status = 0;

	if (pgha_api_verify_client == PGHA_VERIFY_CLIENT_NONE)
		return NULL;
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	session = info ? (gnutls_session_t) info->tls_session : NULL;
	if (session != NULL && gnutls_certificate_get_peers(session, &n) != NULL && n > 0)
	{
		if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0)
			return "client certificate not valid";
		return NULL;
	}
	if (pgha_api_verify_client == PGHA_VERIFY_CLIENT_REQUIRED || action)
		return "client certificate required";
	return NULL;
}

/*
 * What the daemon was started from: the TLS settings and the identity of
 * their files.  A reload that changes it (a new certificate, say) starts
 * the daemon again.
 */
char *
pgha_api_tls_signature(void)
{
	const char *files[] = {pgha_api_certfile, pgha_api_keyfile, pgha_api_cafile};
	StringInfoData sig;

	initStringInfo(&sig);
	appendStringInfo(&sig, "%d", pgha_api_verify_client);
	for (int i = 0; i < lengthof(files); i++)
	{
		struct stat st;

		appendStringInfo(&sig, "|%s", files[i]);
		if (files[i][0] != '\0' && stat(files[i], &st) == 0)
			appendStringInfo(&sig, ":%ld.%ld:%ld", (long) st.st_mtim.tv_sec,
							 (long) st.st_mtim.tv_nsec, (long) st.st_size);
	}
	return sig.data;
}
