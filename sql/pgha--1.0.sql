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
    OUT etcd_version text)
RETURNS record
AS 'MODULE_PATHNAME', 'pgha_status'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.status() IS 'this node''s pgha worker and its view of etcd';

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
    OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgha_etcd_members'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION pgha.etcd_members() IS 'the etcd cluster, as etcdctl endpoint status shows it';

-- Security: nothing is executable by PUBLIC; reading is for pg_monitor.
GRANT USAGE ON SCHEMA pgha TO pg_monitor;
REVOKE ALL ON FUNCTION pgha.version() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.status() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgha.etcd_members() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgha.version() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.status() TO pg_monitor;
GRANT EXECUTE ON FUNCTION pgha.etcd_members() TO pg_monitor;
