
# The worker's SQL cannot be hijacked through search_path.
#
# The worker runs its queries as the bootstrap superuser in pgha.database.
# That database's owner need not be a superuser, yet may set its
# search_path and create operators: an operator that shadows one the
# worker uses (text || text, pg_lsn - pg_lsn) would run the owner's code
# with the worker's rights.  Here the owner plants "||" in a schema ahead
# of pg_catalog; a postmaster parameter set cluster-wide makes the worker
# run its pending-restart query, which concatenates.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', '{"ttl":10,"loop_wait":1,"retry_timeout":3}');
my $node = Pgha::Node::new_node('node1', etcd => $etcd);
$node->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 leads');

# the database belongs to an ordinary role, which plants the operator
$node->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE ROLE mallory LOGIN; ALTER DATABASE postgres OWNER TO mallory');
$node->safe_psql(
	'postgres', q{
	CREATE SCHEMA evil;
	CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		RAISE WARNING 'hijacked: running as %', current_user;
		RETURN pg_catalog.textcat($1, $2);
	END $$;
	CREATE OPERATOR evil.|| (leftarg = text, rightarg = text, function = evil.cat);
	CREATE FUNCTION evil.lsn_mi(pg_lsn, pg_lsn) RETURNS numeric LANGUAGE plpgsql AS $$
	BEGIN
		RAISE WARNING 'hijacked: running as %', current_user;
		RETURN pg_catalog.pg_lsn_mi($1, $2);
	END $$;
	CREATE OPERATOR evil.- (leftarg = pg_lsn, rightarg = pg_lsn, function = evil.lsn_mi);
	ALTER DATABASE postgres SET search_path = evil, pg_catalog;},
	extra_params => [ '-U', 'mallory' ]);
is($node->safe_psql('postgres', "SELECT 'a' || 'b'", extra_params => [ '-U', 'mallory' ]), 'ab',
	'the planted operator is in force for new sessions');

# a new worker connects with the database's settings
my $old = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old)");
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pgha' AND pid <> $old"),
	'the worker restarted');

my $offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT pgha.set_parameter('max_connections', '110', wait => '30s')");
ok($node->poll_query_until('postgres', 'SELECT pending_restart FROM pgha.members()'),
	'the worker ran its pending-restart query (max_connections awaits a restart)');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/hijacked/, 'the planted operator did not run in the worker')
  or diag(join "\n", grep { /hijacked/ } split /\n/, $log);

$node->safe_psql('postgres', "SELECT pgha.reset_parameter('max_connections', wait => '30s')");
$node->stop;
$etcd->stop;
done_testing();
