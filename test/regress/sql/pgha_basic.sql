--
-- pgha_basic: install, privileges, and the worker reaching a real etcd
--
CREATE EXTENSION pgha;

SELECT extversion FROM pg_extension WHERE extname = 'pgha';
SELECT pgha.version();

-- the worker runs; wait (bounded) until it has talked to etcd
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE NOT coalesce((SELECT etcd_reachable FROM pgha.status()), false) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'pgha worker did not reach etcd: %',
                (SELECT etcd_error FROM pgha.status());
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;

SELECT member, scope, key_prefix, worker_pid > 0 AS worker_running,
       etcd_endpoint LIKE 'http://127.0.0.1:%' AS endpoint_is_loopback,
       etcd_reachable, etcd_error, etcd_version ~ '^3\.' AS etcd_v3,
       etcd_last_contact > now() - interval '1 minute' AS recent
FROM pgha.status();

SELECT count(*) AS pgha_workers FROM pg_stat_activity WHERE backend_type = 'pgha';

-- a lone primary bootstraps its own cluster and leads it
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE NOT coalesce((SELECT is_leader FROM pgha.status()), false)
          OR NOT EXISTS (SELECT FROM pgha.members()) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'no leadership: %', (SELECT last_reason FROM pgha.status());
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT role, state, leader, is_leader, lease_deadline > now() AS lease_in_future,
       timeline, last_rule, paused, ttl, loop_wait, retry_timeout
FROM pgha.status();
SELECT member, host, port > 0 AS has_port, role, state, timeline, lag_bytes,
       tags, stale, age < interval '1 minute' AS fresh
FROM pgha.members();

-- the etcd cluster itself: one member, the leader
SELECT name, endpoint LIKE 'http://127.0.0.1:%' AS loopback, reachable,
       is_leader, raft_term > 0 AS has_term, error, quorum, failures_tolerated
FROM pgha.etcd_members();

-- privileges: nothing for PUBLIC, reading for pg_monitor
CREATE ROLE pgha_nobody;
CREATE ROLE pgha_monitor IN ROLE pg_monitor;
SELECT p.proname,
       has_function_privilege('pgha_nobody', p.oid, 'EXECUTE') AS nobody,
       has_function_privilege('pgha_monitor', p.oid, 'EXECUTE') AS monitor
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pgha'
ORDER BY p.proname;

SET ROLE pgha_nobody;
SELECT * FROM pgha.status();
RESET ROLE;
SET ROLE pgha_monitor;
SELECT member, etcd_reachable FROM pgha.status();
RESET ROLE;

-- no SECURITY DEFINER functions
SELECT count(*) AS security_definer
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pgha' AND p.prosecdef;

DROP ROLE pgha_nobody;
DROP ROLE pgha_monitor;
