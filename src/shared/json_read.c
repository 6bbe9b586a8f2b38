/*-------------------------------------------------------------------------
 *
 * json_read.c
 *		Reading fields of JSON objects from etcd: the checks every reader of
 *		the keys pgha shares with Patroni makes alike.
 *
 * Every field is optional (absent or null: the default, nothing
 * present); a value of the wrong type, too long, or negative where it
 * cannot be, is refused with a message naming the field.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  src/shared/json_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "shared/json_read.h"

/*
 * A number as Patroni reads one with Python's int(): a JSON integer, a real
 * (its integer part), or a string of an integer with blanks around it
 * ("30", " 30 ").  Units ("30s") are not numbers to Patroni either.
 */
bool
pgha_json_int(json_t *v, int64 *out)
{
	if (json_is_integer(v))
	{
		*out = (int64) json_integer_value(v);
		return true;
	}
	if (json_is_real(v))
	{
		double		d = json_real_value(v);

		if (!(d > -9e15 && d < 9e15))
			return false;
		*out = (int64) d;
		return true;
	}
	if (json_is_string(v))
	{
		const char *p = json_string_value(v);
		char	   *end;
		long long	n;

		while (isspace((unsigned char) *p))
			p++;
		if (!(isdigit((unsigned char) *p) || ((*p == '-' || *p == '+') && isdigit((unsigned char) p[1]))))
			return false;
		errno = 0;
		n = strtoll(p, &end, 10);
		while (isspace((unsigned char) *end))
			end++;
		if (*end != '\0' || errno != 0)
			return false;
		*out = (int64) n;
		return true;
	}
	return false;
}

bool
pgha_json_get_int(json_t *o, const char *name, int64 *out, bool *present, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);

	*present = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v))
	{
		snprintf(errbuf, errlen, "\"%s\" must be an integer", name);
		return false;
	}
	*out = (int64) json_integer_value(v);
	*present = true;
	return true;
}

bool
pgha_json_copy_bool(json_t *o, const char *name, bool *dst, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);

	*dst = false;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_boolean(v))
	{
		snprintf(errbuf, errlen, "\"%s\" must be a boolean", name);
		return false;
	}
	*dst = json_is_true(v);
	return true;
}

bool
pgha_json_copy_string(json_t *o, const char *name, char *dst, size_t dstlen, char *errbuf, size_t errlen)
{
	json_t	   *v = json_object_get(o, name);

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) >= dstlen)
	{
		snprintf(errbuf, errlen, "\"%s\" must be a string shorter than %zu bytes", name, dstlen);
		return false;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return true;
}

bool
pgha_json_copy_lsn(json_t *o, const char *name, uint64 *dst, char *errbuf, size_t errlen)
{
	int64		v = 0;
	bool		present;

	*dst = 0;
	if (!pgha_json_get_int(o, name, &v, &present, errbuf, errlen))
		return false;
	if (present && v < 0)
	{
		snprintf(errbuf, errlen, "\"%s\" must not be negative", name);
		return false;
	}
	*dst = (uint64) v;
	return true;
}
