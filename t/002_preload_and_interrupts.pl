
# pgha refuses to work without shared_preload_libraries, and its etcd client
# never blocks a backend: statement_timeout and pg_terminate_backend()
# interrupt a call to an etcd that accepts connections but never answers.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use Pgha::Etcd;
use Pgha::Node;

# --- not preloaded: a clear error with a hint, nothing created
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
my ($rc, $out, $err) = $plain->psql('postgres', 'CREATE EXTENSION pgha');
isnt($rc, 0, 'CREATE EXTENSION fails without the preload');
like($err, qr/pgha must be loaded via "shared_preload_libraries"/, 'with a clear message');
like($err, qr/HINT:  Add pgha to "shared_preload_libraries"/, 'and a hint');
is($plain->safe_psql('postgres', "SELECT count(*) FROM pg_extension WHERE extname = 'pgha'"),
	'0', 'nothing was installed');
$plain->stop;

# --- preloaded, etcd frozen
my $etcd = Pgha::Etcd->new(members => 1);
my $node = Pgha::Node::new_node('node1', etcd => $etcd,
	extra_conf => ["pgha.etcd_timeout = '60s'"]);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pgha');
ok($node->poll_query_until('postgres', 'SELECT etcd_reachable FROM pgha.status()'),
	'worker reached etcd');

# This lone node leads its own cluster; without etcd it would fence itself
# after 80% of ttl.  Pause the cluster: this test is about interrupts.
$etcd->put('/service/test/config', '{"ttl":10,"loop_wait":2,"retry_timeout":4,"pause":true}');
ok($node->poll_query_until('postgres', 'SELECT paused FROM pgha.status()'), 'cluster paused');

$etcd->pause(1);    # SIGSTOP: connections are accepted, nothing answers

my $t0 = time;
($rc, $out, $err) = $node->psql('postgres',
	"SET statement_timeout = '500ms'; SELECT * FROM pgha.etcd_members()");
my $elapsed = time - $t0;
like($err, qr/canceling statement due to statement timeout/,
	'statement_timeout cancels a hung etcd call');
cmp_ok($elapsed, '<', 10, sprintf('promptly (%.1f s), not after the 60 s etcd timeout', $elapsed));

# the worker is stuck in a 60 s etcd call; SIGTERM must end it at once, and
# the postmaster starts a new one (exit 1, not a crash)
my $old_pid = $node->safe_psql('postgres', 'SELECT worker_pid FROM pgha.status()');
ok($old_pid > 0, 'worker pid known');
$t0 = time;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old_pid)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT worker_pid IS NOT NULL AND worker_pid <> $old_pid FROM pgha.status()"),
	'a terminated worker is replaced');
$elapsed = time - $t0;
cmp_ok($elapsed, '<', 15, sprintf('within %.1f s', $elapsed));

$etcd->resume(1);
ok($node->poll_query_until('postgres', 'SELECT etcd_reachable FROM pgha.status()'),
	'worker reaches etcd again once it answers');

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC:|server process .* was terminated/,
	'no process crashed, no crash restart');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server answers');

$node->stop;
$etcd->stop;
done_testing();
