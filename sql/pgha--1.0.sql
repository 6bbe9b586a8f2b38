/* pgha--1.0.sql: install script of the pgha extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgha" to load this file. \quit

CREATE FUNCTION pgha.version()
RETURNS text
AS 'MODULE_PATHNAME', 'pgha_version'
LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION pgha.version() IS 'version of the loaded pgha library';

CREATE FUNCTION pgha.status(
    OUT member text,
    OUT scope text,
    OUT key_prefix text,
    OUT worker_pid integer,
    OUT worker_started timestamptz,
    OUT etcd_endpoint text,
    OUT etcd_reachable boolean,
    OUT etcd_last_contact timestamptz,
    OUT etcd_error text,
    OUT etcd_version text,
    OUT etcd_failures_tolerated integer,
    OUT etcd_warning text,
    OUT role text,
    OUT state text,
    OUT leader text,
    OUT is_leader boolean,
    OUT lease_deadline timestamptz,
    OUT timeline integer,
    OUT lsn pg_lsn,
    OUT paused boolean,
    OUT last_action text,
    OUT last_rule text,
    OUT last_reason text,
    OUT last_decision timestamptz,
    OUT config_revision bigint,
    OUT ttl integer,
    OUT loop_wait integer,
    OUT retry_timeout integer,
    OUT config_warnings text)
RETURNS record
AS 'MODULE_PATHNAME', 'pgha_status'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.status() IS 'this node''s pgha worker and its view of etcd';

CREATE FUNCTION pgha.members(
    OUT member text,
    OUT host text,
    OUT port integer,
    OUT role text,
    OUT state text,
    OUT timeline integer,
    OUT lsn pg_lsn,
    OUT receive_lsn pg_lsn,
    OUT receive_lag bigint,
    OUT replay_lsn pg_lsn,
    OUT replay_lag bigint,
    OUT lag_bytes bigint,
    OUT tags text,
    OUT pending_restart boolean,
    OUT pending_restart_reason text,
    OUT config_revision bigint,
    OUT stale boolean,
    OUT age interval,
    OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgha_members'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.members() IS 'the cluster''s members, like patronictl list';

CREATE FUNCTION pgha.etcd_members(
    OUT name text,
    OUT endpoint text,
    OUT id text,
    OUT reachable boolean,
    OUT version text,
    OUT db_size bigint,
    OUT is_leader boolean,
    OUT raft_term bigint,
    OUT raft_index bigint,
    OUT errors text,
    OUT error text,
    OUT quorum integer,
    OUT failures_tolerated integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgha_etcd_members'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.etcd_members() IS 'the etcd cluster, as etcdctl endpoint status shows it';

CREATE FUNCTION pgha.decision_rules(
    OUT step integer,
    OUT rule text,
    OUT role text,
    OUT action text,
    OUT condition text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgha_decision_rules'
LANGUAGE C STRICT IMMUTABLE;

COMMENT ON FUNCTION pgha.decision_rules() IS 'the HA state machine, rule by rule, in the order tried';

-- The cluster-wide configuration (etcd's config key).  Changes are
-- validated, then compare-and-swapped; they return the new revision, and
-- with wait => interval return only once every running member applied it.
CREATE FUNCTION pgha.config()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pgha_config'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.config() IS 'the cluster-wide configuration stored in etcd';

CREATE FUNCTION pgha.set_config(patch jsonb, wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_set_config'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.set_config(jsonb, interval) IS 'merge a patch into the cluster configuration (ttl, loop_wait, ...)';

CREATE FUNCTION pgha.set_parameter(name text, value text, wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_set_parameter'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.set_parameter(text, text, interval) IS 'set a PostgreSQL parameter on every node';

CREATE FUNCTION pgha.reset_parameter(name text, wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_reset_parameter'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.reset_parameter(text, interval) IS 'remove a cluster-wide PostgreSQL parameter';

CREATE FUNCTION pgha.pause(wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_pause'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.pause(interval) IS 'stop automatic failover and fencing for maintenance';

CREATE FUNCTION pgha.resume(wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_resume'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.resume(interval) IS 'resume automatic failover';

CREATE FUNCTION pgha.set_hba(rules text[], wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_set_hba'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.set_hba(text[], interval) IS 'replace the cluster-wide pg_hba rules on every node';

CREATE FUNCTION pgha.reset_hba(wait interval DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pgha_reset_hba'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.reset_hba(interval) IS 'stop managing pg_hba.conf; every node gets its own file back';

CREATE FUNCTION pgha.hba_rules(OUT line integer, OUT rule text, OUT protected boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgha_hba_rules'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.hba_rules() IS 'this node''s pg_hba rules as pgha builds them';

CREATE FUNCTION pgha.switchover(candidate text DEFAULT NULL,
                                scheduled_at timestamptz DEFAULT NULL,
                                wait interval DEFAULT '60 seconds')
RETURNS text
AS 'MODULE_PATHNAME', 'pgha_switchover'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.switchover(text, timestamptz, interval) IS 'planned handover of the leader role to a streaming replica';

CREATE FUNCTION pgha.failover(candidate text, wait interval DEFAULT '60 seconds')
RETURNS text
AS 'MODULE_PATHNAME', 'pgha_failover'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION pgha.failover(text, interval) IS 'make candidate the next leader, with or without a leader now';

CREATE FUNCTION pgha.slots(
    OUT slot_name text,
    OUT slot_type text,
    OUT here boolean,
    OUT active boolean,
    OUT restart_lsn pg_lsn,
    OUT leader_lsn pg_lsn,
    OUT state text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgha_slots'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.slots() IS 'the config''s permanent slots on this node, and whether a copy is in step with its consumer';

-- Security: nothing is executable by PUBLIC; reading is for pg_monitor.
GRANT USAGE ON SCHEMA pgha TO pg_monitor;
REVOKE ALL ON FUNCTION pgha.version() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.status() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.etcd_members() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.members() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.slots() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.decision_rules() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.config() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.set_config(jsonb, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.set_parameter(text, text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.reset_parameter(text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.pause(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.resume(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.set_hba(text[], interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.reset_hba(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.hba_rules() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.switchover(text, timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.failover(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgha.version() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.status() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.etcd_members() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.members() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.slots() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.decision_rules() TO pg_monitor;
-- config() and hba_rules() show pg_monitor no secret: the values of
-- ldapbindpasswd and radiussecrets are masked for everybody but superusers,
-- parameter values for those who may not read all settings anyway
GRANT EXECUTE ON FUNCTION pgha.config() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.hba_rules() TO pg_monitor;
-- set_config, set_parameter, reset_parameter, pause, resume: superusers only
