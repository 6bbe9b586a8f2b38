/*-------------------------------------------------------------------------
 *
 * base64.c
 *		Standard padded base64 for etcd keys and values.
 *
 * Our own small codec rather than core's pg_b64_*: their signatures changed
 * across major versions, and etcd wants the plain RFC 4648 alphabet with
 * padding, never URL-safe.  Decoding is strict so that a corrupt value is
 * rejected instead of being misread.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/common/base64.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "common/base64.h"

static const char b64_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
pgha_b64_encode(const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *) src;
	char	   *out = palloc(((len + 2) / 3) * 4 + 1);
	char	   *o = out;
	size_t		i;

	for (i = 0; i + 2 < len; i += 3)
	{
		*o++ = b64_alphabet[s[i] >> 2];
		*o++ = b64_alphabet[((s[i] & 0x03) << 4) | (s[i + 1] >> 4)];
		*o++ = b64_alphabet[((s[i + 1] & 0x0f) << 2) | (s[i + 2] >> 6)];
		*o++ = b64_alphabet[s[i + 2] & 0x3f];
	}
	if (i < len)
	{
		*o++ = b64_alphabet[s[i] >> 2];
		if (i + 1 < len)
		{
			*o++ = b64_alphabet[((s[i] & 0x03) << 4) | (s[i + 1] >> 4)];
			*o++ = b64_alphabet[(s[i + 1] & 0x0f) << 2];
		}
		else
		{
			*o++ = b64_alphabet[(s[i] & 0x03) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *
pgha_b64_decode(const char *src, size_t len, size_t *outlen)
{
	char	   *out;
	size_t		o = 0;
	size_t		i;

	if (len % 4 != 0)
		return NULL;
	out = palloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i += 4)
	{
		int			v[4];
		int			pad = 0;
		int			j;

		for (j = 0; j < 4; j++)
		{
			unsigned char c = (unsigned char) src[i + j];

			if (c == '=' && i + 4 == len && j >= 2)
			{
				v[j] = 0;
				pad++;
			}
			else if (pad > 0 || (v[j] = b64_value(c)) < 0)
			{
				pfree(out);
				return NULL;
			}
		}
		out[o++] = (char) ((v[0] << 2) | (v[1] >> 4));
		if (pad < 2)
			out[o++] = (char) (((v[1] & 0x0f) << 4) | (v[2] >> 2));
		if (pad < 1)
			out[o++] = (char) (((v[2] & 0x03) << 6) | v[3]);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}
