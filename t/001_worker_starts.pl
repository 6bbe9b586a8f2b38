
# The pgha background worker starts, reaches etcd, and survives losing and
# regaining one etcd member.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 3);
my @endpoints = split /,/, $etcd->endpoints;
is(scalar @endpoints, 3, 'etcd cluster has 3 endpoints');

my $node = Pgha::Node::new_node('node1', etcd => $etcd);
$node->start;

# The worker logs this once it has talked to etcd.
my $offset = $node->wait_for_log(qr/pgha worker reached etcd/, 0);
my ($line) = grep { /pgha worker reached etcd/ }
  split /\n/, slurp_file($node->logfile);
ok(defined $line, 'worker logged that it reached etcd');
my $ep_re = join '|', map { quotemeta } @endpoints;
like($line, qr/(?:$ep_re)/, 'log line names one of the etcd endpoints');

# The worker shows up in pg_stat_activity with its bgw_type.
my $worker_count_sql =
  "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgha'";
is($node->safe_psql('postgres', $worker_count_sql),
	'1', 'one pgha worker is running');

$node->safe_psql('postgres', 'CREATE EXTENSION pgha');
ok($node->poll_query_until('postgres',
		'SELECT etcd_reachable FROM pgha.status()'),
	'pgha.status() says etcd is reachable');

is( $node->safe_psql('postgres',
		'SELECT DISTINCT quorum || \'/\' || failures_tolerated FROM pgha.etcd_members()'),
	'2/1', 'pgha.etcd_members(): 3 members, quorum 2, one failure tolerated');

# Lose etcd member 1: the cluster keeps its quorum, postgres keeps serving.
my $before_kill = $node->safe_psql('postgres', 'SELECT now()');
ok($node->poll_query_until('postgres', 'SELECT etcd_failures_tolerated = 1 AND etcd_warning IS NULL FROM pgha.status()'),
	'pgha.status(): etcd tolerates one failure, no warning');
$etcd->kill(1);
ok(!$etcd->status->{1}{alive}, 'etcd member 1 is down');
$etcd->put('/pgha-test/quorum', 'yes');
is($etcd->get('/pgha-test/quorum'), 'yes', 'etcd still serves with 2 of 3 members');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'node answers with etcd member 1 down');
is( $node->safe_psql('postgres',
		'SELECT DISTINCT failures_tolerated FROM pgha.etcd_members()'),
	'0', 'with one member down, no further failure is tolerated');
# the worker notices too (it checks every 30 s, or at start after a restart)
$node->safe_psql('postgres', "SELECT pg_terminate_backend(worker_pid) FROM pgha.status()");
$node->wait_for_log(qr/WARNING:  pgha: the etcd cluster tolerates no further member failure/, $offset);
ok($node->poll_query_until('postgres', 'SELECT etcd_failures_tolerated = 0 FROM pgha.status()'),
	'pgha.status() shows that etcd tolerates no further failure');
is($node->safe_psql('postgres', 'SELECT etcd_warning FROM pgha.status()'),
	'WARNING: the etcd cluster tolerates no further member failure (2 of 3 members answered, quorum 2)',
	'... with a WARNING note in its etcd_warning column');
# The worker's client fails over to a surviving member (whichever it used).
ok( $node->poll_query_until(
		'postgres',
		"SELECT etcd_reachable AND etcd_last_contact > '$before_kill' FROM pgha.status()"),
	'the worker keeps reaching etcd through the surviving members');

# Bring it back.
$etcd->restart(1);
ok($etcd->status->{1}{alive}, 'etcd member 1 is back');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'node answers after etcd member 1 returned');

# Nothing crashed: the worker is (still or again) there and no process died
# of a signal.  Poll: a worker that exited on an etcd error may be restarted
# by the postmaster.
ok($node->poll_query_until('postgres', $worker_count_sql, '1'),
	'pgha worker is running after the etcd member restart');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/terminated by signal|PANIC:/,
	'no server process crashed');

# pgha.etcd_health_interval = 0: the worker stops asking every etcd member
# (thousands of clusters on one etcd); its numbers become unknown, and
# pgha.etcd_members() still asks when called
ok($node->poll_query_until('postgres', 'SELECT etcd_failures_tolerated IS NOT NULL FROM pgha.status()'),
	'the worker knows how many etcd failures are tolerated');
$node->safe_psql('postgres', "ALTER SYSTEM SET pgha.etcd_health_interval = 0; SELECT pg_reload_conf()");
ok($node->poll_query_until('postgres',
		'SELECT etcd_failures_tolerated IS NULL AND etcd_warning IS NULL FROM pgha.status()'),
	'with pgha.etcd_health_interval = 0 the worker no longer checks: unknown');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgha.etcd_members() WHERE reachable'), '3',
	'pgha.etcd_members() still asks every member');
$node->safe_psql('postgres', "ALTER SYSTEM RESET pgha.etcd_health_interval; SELECT pg_reload_conf()");
ok($node->poll_query_until('postgres', 'SELECT etcd_failures_tolerated = 1 FROM pgha.status()'),
	'reset to 30 s: the next iteration checks again');

# Two members down: each is listed with its own error (naming its URL),
# the one that answers with none
$etcd->kill(1);
$etcd->kill(2);
is( $node->safe_psql('postgres',
		'SELECT count(*) FROM pgha.etcd_members() WHERE NOT reachable AND strpos(error, endpoint) > 0'),
	'2', 'pgha.etcd_members(): both members that are down show their own error');
is( $node->safe_psql('postgres',
		'SELECT count(*) FROM pgha.etcd_members() WHERE reachable AND error IS NULL'),
	'1', '... and the one that answers none');

$node->stop;
$etcd->stop;

done_testing();
