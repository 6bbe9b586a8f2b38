/*-------------------------------------------------------------------------
 *
 * pgha_unit.c
 *		Entry point of pgha's frontend unit tests: prints TAP.
 *
 * The pure parts (base64, key layout, etcd JSON parsing on canned and
 * hostile input) always run.  The client tests need a real etcd cluster:
 * scripts/run-unit.sh starts one and sets PGHA_TEST_ETCD_DIR.
 *
 * Copyright (c) 2026, pgha developers
 *
 * IDENTIFICATION
 *	  test/unit/pgha_unit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "unit.h"

int			unit_tests = 0;
int			unit_failures = 0;

int
main(int argc, char **argv)
{
	unit_json_tests();
	unit_decide_tests();
	unit_switchover_tests();
	unit_sync_tests();
	unit_quorum_tests();
	unit_lease_clock_tests();
	unit_proof_tests();
	unit_lease_steps_tests();
	unit_promotion_tests();
	unit_failsafe_ask_tests();
	unit_cluster_cache_tests();
	unit_slots_tests();
	unit_api_tests();
	unit_etcd_tests();
	printf("1..%d\n", unit_tests);
	if (unit_failures)
		printf("# %d of %d tests failed\n", unit_failures, unit_tests);
	return unit_failures ? 1 : 0;
}
