/*-------------------------------------------------------------------------
 *
 * pgha_base64.h
 *		Standard padded base64 (RFC 4648 section 4), as etcd's JSON gateway
 *		encodes every bytes field.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/pgha_base64.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_BASE64_H
#define PGHA_BASE64_H

/* palloc'd, NUL-terminated encoding of len bytes */
extern char *pgha_b64_encode(const char *src, size_t len);

/*
 * Decode into a palloc'd, NUL-terminated buffer; *outlen gets the length.
 * Returns NULL on malformed input (bad character, bad padding or length).
 */
extern char *pgha_b64_decode(const char *src, size_t len, size_t *outlen);

#endif							/* PGHA_BASE64_H */
