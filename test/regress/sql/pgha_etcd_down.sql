--
-- pgha_etcd_down: etcd stops; SQL still answers and says so
--
-- This lone node is its cluster's leader: without etcd it would fence
-- itself (immediate shutdown) after 80% of ttl.  Pause the cluster first,
-- as a DBA would for etcd maintenance: a paused leader never fences.
\! ETCDCTL_API=3 etcdctl --endpoints=$(cat tmp_regress/etcd/endpoints) put /service/regress/config '{"ttl":10,"loop_wait":2,"retry_timeout":4,"pause":true}' > /dev/null
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE NOT coalesce((SELECT paused FROM pgha.status()), false) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'pgha worker did not see the pause';
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT last_rule, paused FROM pgha.status();

\! bash scripts/etcd-cluster.sh stop tmp_regress/etcd > /dev/null 2>&1

-- status is served from shared memory: it answers, and turns unreachable
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE coalesce((SELECT etcd_reachable FROM pgha.status()), true) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'pgha worker did not notice that etcd is down';
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT etcd_reachable, etcd_error IS NOT NULL AS has_error,
       worker_pid > 0 AS worker_running
FROM pgha.status();

-- members() still answers from the last picture, marked stale
SELECT member, role, stale FROM pgha.members();

-- a function that must ask etcd fails cleanly, with a SQLSTATE
\set VERBOSITY terse
SELECT * FROM pgha.etcd_members();
SELECT pgha.set_parameter('work_mem', '1MB');
SELECT pgha.config();
\set VERBOSITY default
\set ON_ERROR_STOP 0
DO $$
BEGIN
    PERFORM * FROM pgha.etcd_members();
EXCEPTION WHEN connection_failure THEN
    RAISE NOTICE 'connection_failure, as documented';
END
$$;

-- the server is unharmed
SELECT count(*) AS pgha_workers FROM pg_stat_activity WHERE backend_type = 'pgha';
