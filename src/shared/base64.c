/*-------------------------------------------------------------------------
 *
 * base64.c
 *		Standard padded base64 for etcd keys and values, on PostgreSQL's
 *		own codec (common/base64.h of the server's headers: pg_b64_*).
 *
 * etcd wants the plain RFC 4648 alphabet with padding, never URL-safe, and
 * a corrupt value must be rejected rather than misread: pg_b64_decode()
 * skips whitespace and takes "=" anywhere, so the length, the alphabet and
 * where padding stands are checked first.
 * Results are palloc'd and NUL-terminated, lengths size_t.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/base64.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "shared/pgha_base64.h"
#include "common/base64.h"

char *
pgha_b64_encode(const char *src, size_t len)
{
	int			room = pg_b64_enc_len((int) len) + 1;
	char	   *out = palloc(room);
	int			n = pg_b64_encode(src, (int) len, out, room);

	out[Max(n, 0)] = '\0';
	return out;
}

char *
pgha_b64_decode(const char *src, size_t len, size_t *outlen)
{
	int			room;
	char	   *out;
	int			n;

	if (len % 4 != 0)
		return NULL;
	/* the alphabet, and "=" only as the last one or two */
	for (size_t i = 0; i < len; i++)
		if (src[i] == '\0' || strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", src[i]) == NULL ||
			(src[i] == '=' && !(i + 1 == len || (i + 2 == len && src[i + 1] == '='))))
			return NULL;
	room = pg_b64_dec_len((int) len) + 1;
	out = palloc(room);
	n = pg_b64_decode(src, (int) len, out, room);
	if (n < 0)
	{
		pfree(out);
		return NULL;
	}
	out[n] = '\0';
	*outlen = (size_t) n;
	return out;
}
