--
-- pgha_hba: cluster-wide pg_hba rules
--
-- every rule is checked by PostgreSQL's own parser first; nothing is written
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 trust', 'host all all 10.0.0.0/33 md5']);
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 bogus_method']);
SELECT pgha.set_hba(ARRAY['hostx all all 127.0.0.1/32 trust']);
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 trust extra=1']);
SELECT pgha.set_hba(ARRAY['host all @/etc/passwd 127.0.0.1/32 trust']);
SELECT pgha.set_hba(ARRAY['include /etc/passwd']);
-- a trailing backslash would join the next rule to it (here: an @file)
SELECT pgha.set_hba(ARRAY['host "all\', '" @/etc/passwd 0.0.0.0/0 trust']);
-- the parser's message would quote the second secret: masked
SELECT pgha.set_hba(ARRAY['host all all 10.0.0.0/8 radius radiusservers="127.0.0.1,127.0.0.2" radiussecrets=s3cret,s4cret']);
SELECT pgha.set_hba(ARRAY['host all all 10.0.0.0/8 ldap ldapserver=l ldapbindpasswd=s3cret bogus=1']);
-- messages the parser only logs come back too (the resolver's words vary)
DO $$
DECLARE
    detail text;
BEGIN
    PERFORM pgha.set_hba(ARRAY['host all all 10.0.0.0/8 radius radiusservers=no-such-host.invalid radiussecrets=x']);
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'detail: %', left(detail, 65);
END
$$;
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 trust
host all all 0.0.0.0/0 trust']);
SELECT pgha.set_hba(ARRAY['# just a comment']);
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 trust', NULL]);
SELECT pgha.set_hba(NULL);
SELECT pgha.config()->'postgresql' ? 'pg_hba' AS managed;

-- a valid list reaches pg_hba.conf, after the protected local/replication rules
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 trust', 'host all all ::1/128 trust'],
                    wait => '30s') > 0 AS revision;
SELECT * FROM pgha.hba_rules();
SELECT type, database, user_name, address, auth_method, error
FROM pg_hba_file_rules ORDER BY line_number;

-- an empty list keeps only the protected rules
SELECT pgha.set_hba(ARRAY[]::text[], wait => '30s') > 0 AS revision;
SELECT count(*) FILTER (WHERE NOT protected) AS cluster_rules,
       count(*) FILTER (WHERE protected) AS protected_rules
FROM pgha.hba_rules();

-- reset: the node gets its own file back
SELECT pgha.reset_hba(wait => '30s') > 0 AS revision;
SELECT count(*) AS rules_in_hba_rules FROM pgha.hba_rules();
SELECT type, database, user_name, address, auth_method
FROM pg_hba_file_rules ORDER BY line_number;

-- pg_monitor reads the rules without their passwords; only superusers
-- change them (and see the passwords)
SELECT pgha.set_hba(ARRAY['host all all 127.0.0.1/32 trust',
    'host all all 10.0.0.0/8 ldap ldapserver=ldap.example.com ldapbasedn="dc=example,dc=com" ldapbinddn="cn=pgha" ldapbindpasswd=s3cret',
    'host all all 10.1.0.0/16 ldap ldapserver=ldap.example.com,ldapbindpasswd=s3cret ldapbasedn="dc=example,dc=com" ldapbinddn="cn=pgha"',
    'host all all 10.2.0.0/16 ldap ldapserver=ldap.example.com ldapbind"passwd=s3cret" ldapbasedn="dc=example,dc=com" ldapbinddn="cn=pgha"',
    'host all all 10.3.0.0/16 radius radiusservers="127.0.0.1,127.0.0.2" "radiussecrets=s3cret,s4cret"'],
    wait => '30s') > 0 AS revision;
SELECT rule FROM pgha.hba_rules() WHERE rule LIKE '%ldap%';
CREATE ROLE pgha_hba_reader IN ROLE pg_monitor;
CREATE ROLE pgha_plain;
GRANT USAGE ON SCHEMA pgha TO pgha_plain;
GRANT EXECUTE ON FUNCTION pgha.config() TO pgha_plain;
SET ROLE pgha_hba_reader;
SELECT rule FROM pgha.hba_rules() WHERE rule LIKE '%ldap%' OR rule LIKE '%radius%';
SELECT count(*) AS lines_with_a_password FROM pgha.hba_rules() WHERE rule ~ 's3cret|s4cret';
-- the node's own (protected) lines: superusers only, as pg_hba_file_rules
SELECT count(*) AS protected_lines_seen FROM pgha.hba_rules() WHERE protected;
SELECT pgha.config()->'postgresql'->'pg_hba'->>1 AS config_line;
SELECT pgha.set_hba(ARRAY['host all all 0.0.0.0/0 trust']);
RESET ROLE;
SELECT pgha.set_parameter('work_mem', '8MB', wait => '30s') > 0 AS revision;
SET ROLE pgha_hba_reader;
SELECT pgha.config()->'postgresql'->'parameters' AS parameters_for_pg_monitor;
RESET ROLE;
-- a role granted config() that may not read all settings: no values
SET ROLE pgha_plain;
SELECT pgha.config()->'postgresql'->'parameters' AS parameters_for_plain;
RESET ROLE;
SELECT pgha.reset_parameter('work_mem', wait => '30s') > 0 AS revision;
SELECT pgha.reset_hba(wait => '30s') > 0 AS revision;
REVOKE EXECUTE ON FUNCTION pgha.config() FROM pgha_plain;
REVOKE USAGE ON SCHEMA pgha FROM pgha_plain;
DROP ROLE pgha_hba_reader;
DROP ROLE pgha_plain;
