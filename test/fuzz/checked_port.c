/*-------------------------------------------------------------------------
 *
 * checked_port.c
 *		The string writers of libpgport, rebuilt so that AddressSanitizer
 *		sees their writes.
 *
 * libpgport is not compiled with the sanitizer, so an overflow through its
 * snprintf or strlcpy corrupts the heap silently and shows up much later as
 * a damaged chunk in some unrelated free().  Defining every symbol of those
 * archive members here keeps the linker from pulling them in: the printf
 * family goes to the C library's (whose writes the sanitizer intercepts),
 * strlcpy and strlcat are compiled here, instrumented.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/fuzz/checked_port.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#undef vsnprintf
#undef snprintf
#undef vsprintf
#undef sprintf
#undef vfprintf
#undef fprintf
#undef vprintf
#undef printf

int
pg_vsnprintf(char *str, size_t count, const char *fmt, va_list args)
{
	return vsnprintf(str, count, fmt, args);
}

int
pg_snprintf(char *str, size_t count, const char *fmt,...)
{
	va_list		args;
	int			len;

	va_start(args, fmt);
	len = vsnprintf(str, count, fmt, args);
	va_end(args);
	return len;
}

int
pg_vsprintf(char *str, const char *fmt, va_list args)
{
	return vsprintf(str, fmt, args);
}

int
pg_sprintf(char *str, const char *fmt,...)
{
	va_list		args;
	int			len;

	va_start(args, fmt);
	len = vsprintf(str, fmt, args);
	va_end(args);
	return len;
}

int
pg_vfprintf(FILE *stream, const char *fmt, va_list args)
{
	return vfprintf(stream, fmt, args);
}

int
pg_fprintf(FILE *stream, const char *fmt,...)
{
	va_list		args;
	int			len;

	va_start(args, fmt);
	len = vfprintf(stream, fmt, args);
	va_end(args);
	return len;
}

int
pg_vprintf(const char *fmt, va_list args)
{
	return vprintf(fmt, args);
}

int
pg_printf(const char *fmt,...)
{
	va_list		args;
	int			len;

	va_start(args, fmt);
	len = vprintf(fmt, args);
	va_end(args);
	return len;
}

int
pg_strfromd(char *str, size_t count, int precision, double value)
{
	return snprintf(str, count, "%.*g", precision, value);
}

size_t
strlcpy(char *dst, const char *src, size_t siz)
{
	size_t		len = strlen(src);

	if (siz > 0)
	{
		size_t		n = Min(len, siz - 1);

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
strlcat(char *dst, const char *src, size_t siz)
{
	size_t		dlen = strnlen(dst, siz);

	if (dlen == siz)
		return siz + strlen(src);
	return dlen + strlcpy(dst + dlen, src, siz - dlen);
}
