/*-------------------------------------------------------------------------
 *
 * unit.h
 *		A tiny TAP producer for pgha's frontend unit tests.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/unit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGHA_UNIT_H
#define PGHA_UNIT_H

#include <stdio.h>

extern int	unit_tests;
extern int	unit_failures;

#define ok(cond, ...) \
	do { \
		bool _c = (cond); \
		unit_tests++; \
		if (!_c) unit_failures++; \
		printf("%sok %d - ", _c ? "" : "not ", unit_tests); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		if (!_c) printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		fflush(stdout); \
	} while (0)

#define is_str(got, want, name) \
	do { \
		const char *_g = (got), *_w = (want); \
		bool _same = (_g && _w) ? strcmp(_g, _w) == 0 : (_g == _w); \
		ok(_same, "%s", name); \
		if (!_same) printf("#   got \"%s\", want \"%s\"\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
	} while (0)

#define is_int(got, want, name) \
	do { \
		long long _g = (long long) (got), _w = (long long) (want); \
		ok(_g == _w, "%s", name); \
		if (_g != _w) printf("#   got %lld, want %lld\n", _g, _w); \
	} while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); fflush(stdout); } while (0)

extern void unit_json_tests(void);
extern void unit_etcd_tests(void);
extern void unit_decide_tests(void);
extern void unit_switchover_tests(void);
extern void unit_sync_tests(void);
extern void unit_quorum_tests(void);
extern void unit_lease_clock_tests(void);
extern void unit_proof_tests(void);
extern void unit_lease_steps_tests(void);
extern void unit_promotion_tests(void);
extern void unit_failsafe_ask_tests(void);
extern void unit_cluster_cache_tests(void);
extern void unit_slots_tests(void);
extern void unit_api_tests(void);

#endif
