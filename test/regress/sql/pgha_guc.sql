--
-- pgha_guc: the local settings and their validation
--
SHOW pgha.scope;
SHOW pgha.namespace;
SHOW pgha.name;

-- node identity cannot change under a running server
SET pgha.scope = 'other';
SET pgha.name = 'other';
-- endpoints and tags are reloadable, not per session
SET pgha.etcd_hosts = '127.0.0.1:2379';
SET pgha.nofailover = on;

-- syntax is checked before anything is written
ALTER SYSTEM SET pgha.etcd_hosts = 'ftp://127.0.0.1:2379';
ALTER SYSTEM SET pgha.etcd_hosts = '127.0.0.1';
ALTER SYSTEM SET pgha.etcd_hosts = '127.0.0.1:99999';
ALTER SYSTEM SET pgha.etcd_hosts = '';
ALTER SYSTEM SET pgha.etcd_protocol = 'grpc';
ALTER SYSTEM SET pgha.namespace = '/bad namespace';
ALTER SYSTEM SET pgha.scope = 'a/b';
ALTER SYSTEM SET pgha.name = 'node 1';
ALTER SYSTEM SET pgha.connect_address = 'nohost';
ALTER SYSTEM SET pgha.etcd_timeout = '10 ms';
ALTER SYSTEM SET pgha.failover_priority = -1;

-- the pgha. prefix is reserved: typos are errors, not placeholders
ALTER SYSTEM SET pgha.etcd_host = '127.0.0.1:2379';
SET pgha.bogus = 1;

-- valid values are accepted
ALTER SYSTEM SET pgha.etcd_hosts = 'http://127.0.0.1:2379, https://[::1]:2379';
ALTER SYSTEM SET pgha.etcd_timeout = '2s';
ALTER SYSTEM RESET pgha.etcd_hosts;
ALTER SYSTEM RESET pgha.etcd_timeout;

-- peer_options: only how to secure a peer connection, never where it goes
ALTER SYSTEM SET pgha.peer_options = 'host=evil.example.com';
ALTER SYSTEM SET pgha.peer_options = 'sslmode=require passfile=/tmp/x';
ALTER SYSTEM SET pgha.peer_options = 'postgresql://evil/';
ALTER SYSTEM SET pgha.peer_options = 'sslmode';
ALTER SYSTEM SET pgha.peer_options = 'sslmode=verify-full sslrootcert=/etc/ssl/ca.crt channel_binding=require';
ALTER SYSTEM RESET pgha.peer_options;

-- credentials are superuser-only (or pg_read_all_settings), even their paths
CREATE ROLE pgha_reader;
SET ROLE pgha_reader;
SHOW pgha.etcd_password_file;
SHOW pgha.etcd_key;
SHOW pgha.etcd_user;
SHOW pgha.scope;
RESET ROLE;
DROP ROLE pgha_reader;

SELECT name, context, vartype, unit
FROM pg_settings WHERE name LIKE 'pgha.%' ORDER BY name;
