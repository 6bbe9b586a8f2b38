--
-- pgha_config: the cluster-wide configuration from SQL
--
-- the bootstrap wrote the defaults
SELECT pgha.config() - 'pause' AS config;

-- timing: validated, then compare-and-swapped; the new revision comes back
SELECT pgha.set_config('{"ttl": 20, "loop_wait": 5, "retry_timeout": 5}', wait => '30s') > 0 AS revision;
SELECT pgha.config()->'ttl' AS ttl, pgha.config()->'loop_wait' AS loop_wait;
SELECT ttl, loop_wait, retry_timeout FROM pgha.status();

-- bad changes are refused and change nothing
SELECT pgha.set_config('{"ttl": 5}');
SELECT pgha.set_config('{"ttl": 2, "loop_wait": 1, "retry_timeout": 1}');
SELECT pgha.set_config('{"ttl": "ten"}');
SELECT pgha.set_config('{"pause": "maybe"}');
SELECT pgha.set_config('[1, 2]');
SELECT pgha.set_config('{"postgresql": {"parameters": {"work_mem": "1GB"}}}');
SELECT pgha.set_config(NULL);
SELECT pgha.set_config('{}', wait => '-1s');
SELECT pgha.config()->'ttl' AS ttl_unchanged;

-- parameters: PostgreSQL's own checks first
SELECT pgha.set_parameter('no_such_parameter', '1');
SELECT pgha.set_parameter('work_mem', 'lots');
SELECT pgha.set_parameter('work_mem', '10TB');
SELECT pgha.set_parameter('work_mem', '10s');
SELECT pgha.set_parameter('listen_addresses', '*');
SELECT pgha.set_parameter('work_mem', NULL);
SELECT pgha.set_parameter('port', '5433');
SELECT pgha.set_parameter('primary_conninfo', 'host=elsewhere');
SELECT pgha.set_parameter('shared_preload_libraries', '');
SELECT pgha.set_parameter('pgha.scope', 'other');
SELECT pgha.set_parameter('jit_provider', '../../../../tmp/x');
SELECT pgha.set_parameter('log_file_mode', '0644');
SELECT pgha.set_parameter('plperl.on_init', 'system("id")');
SELECT pgha.set_parameter('PLPERL.ON_PLPERLU_INIT', 'x');
SELECT pgha.config() ? 'postgresql' AS has_parameters;

-- a reloadable parameter reaches postgresql.auto.conf on every node
SELECT pgha.set_parameter('WORK_MEM', '8MB', wait => '30s') > 0 AS revision;
SELECT pgha.config()->'postgresql' AS postgresql;
SELECT setting FROM pg_file_settings
WHERE name = 'work_mem' AND sourcefile LIKE '%postgresql.auto.conf';

-- a postmaster parameter is written and shows pending_restart
SELECT pgha.set_parameter('max_connections', '150', wait => '30s') > 0 AS revision;
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE NOT coalesce((SELECT pending_restart FROM pgha.members()), false) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'no pending restart';
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT member, pending_restart FROM pgha.members();

-- and reset: gone from the file, no restart pending any more
SELECT pgha.reset_parameter('max_connections', wait => '30s') > 0 AS revision;
SELECT pgha.reset_parameter('work_mem', wait => '30s') > 0 AS revision;
SELECT count(*) AS left_in_auto_conf FROM pg_file_settings
WHERE name IN ('work_mem', 'max_connections') AND sourcefile LIKE '%postgresql.auto.conf';
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE coalesce((SELECT pending_restart FROM pgha.members()), true) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'restart still pending';
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT pgha.config()->'postgresql' AS postgresql;

-- pause and resume
SELECT pgha.pause(wait => '30s') > 0 AS revision;
SELECT paused, last_rule FROM pgha.status();
SELECT pgha.resume(wait => '30s') > 0 AS revision;
SELECT paused, last_rule FROM pgha.status();

-- only superusers change the cluster
CREATE ROLE pgha_operator IN ROLE pg_monitor;
SET ROLE pgha_operator;
-- pg_monitor reads the config (passwords in pg_hba lines masked)
SELECT pgha.config()->'ttl' AS monitor_reads;
SELECT pgha.set_parameter('work_mem', '4MB');
SELECT pgha.pause() > 0 AS revision;
RESET ROLE;
-- a GRANT cannot widen it: each changing function checks for a superuser
-- itself (set_hba could write a trust rule for postgres, set_parameter make
-- every node load a library)
GRANT EXECUTE ON FUNCTION pgha.set_config(jsonb, interval), pgha.set_parameter(text, text, interval),
    pgha.reset_parameter(text, interval), pgha.pause(interval), pgha.resume(interval),
    pgha.set_hba(text[], interval), pgha.reset_hba(interval),
    pgha.switchover(text, timestamptz, interval), pgha.failover(text, interval) TO pgha_operator;
SET ROLE pgha_operator;
SELECT pgha.set_hba(ARRAY['host all postgres 0.0.0.0/0 trust']);
SELECT pgha.reset_hba();
SELECT pgha.set_parameter('work_mem', '4MB');
SELECT pgha.reset_parameter('work_mem');
SELECT pgha.set_config('{"ttl": 30}');
SELECT pgha.pause();
SELECT pgha.resume();
SELECT pgha.switchover();
SELECT pgha.failover('regress1');
RESET ROLE;
SELECT pgha.config()->'ttl' AS ttl_unchanged, pgha.config()->'postgresql'->'pg_hba' IS NULL AS no_hba_written;
REVOKE EXECUTE ON FUNCTION pgha.set_config(jsonb, interval), pgha.set_parameter(text, text, interval),
    pgha.reset_parameter(text, interval), pgha.pause(interval), pgha.resume(interval),
    pgha.set_hba(text[], interval), pgha.reset_hba(interval),
    pgha.switchover(text, timestamptz, interval), pgha.failover(text, interval) FROM pgha_operator;
DROP ROLE pgha_operator;

-- switchover needs somebody to switch over to
SELECT pgha.switchover();
SELECT pgha.switchover('regress1');
SELECT pgha.switchover('nobody');
SELECT pgha.failover(NULL);
SELECT pgha.pause() > 0 AS revision;
SELECT pgha.switchover();
SELECT pgha.resume(wait => '30s') > 0 AS revision;

-- back to the defaults for the tests that follow
SELECT pgha.set_config('{"ttl": 10, "loop_wait": 2, "retry_timeout": 4}', wait => '30s') > 0 AS revision;
