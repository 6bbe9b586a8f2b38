
# A primary that starts before etcd does (a boot order, an etcd outage while
# pgha is first added to a server) never proves a lease: it fences itself
# after the fence window and comes back as a standby with no leader to
# follow.  Nothing in etcd says a cluster exists, so no other member may
# claim one; before the fix every node then waited for a primary forever.
# The fenced node leaves a marker (PGHA_FENCED_MARKER), and once etcd
# answers with no cluster in it, that node alone claims the cluster and
# promotes (rule bootstrap_fenced) after etcd has held no cluster for a
# ttl and no peer is ahead, as Patroni initializes the cluster after it
# demoted a primary for want of its DCS.  A leader that fences leaves no
# marker (pgha.has_led).

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

my $marker = 'pgha.fenced_without_leader';
my $etcd = Pgha::Etcd->new(members => 3);
$etcd->stop;

my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
$node1->safe_psql('postgres', 'SELECT 1');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
$node2->start;

# without etcd, the new primary cannot prove a lease: it fences
ok(Pgha::Node::wait_down($node1, 60), 'node1, a primary that never reached etcd, fenced itself');
ok(-f $node1->data_dir . '/standby.signal', '... and comes back read-only');
ok(-f $node1->data_dir . "/$marker", '... leaving the marker of a fence without a leader');
ok(!-f $node2->data_dir . "/$marker", 'node2 (a standby all along) has none');

$node1->start;
is($node1->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node1 restarted as a standby');

# etcd comes up: it holds no cluster
$etcd->start_all;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60),
	'node1, the fenced primary, claims the empty cluster')
  or diag(slurp_file($node1->logfile));
ok($node1->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node1 promoted');
my $sysid = $node1->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
ok($etcd->poll_key('/service/test/initialize', qr/^\Q$sysid\E$/, 30),
	'the initialize key holds node1\'s system identifier');
ok(!$etcd->get('/service/test/failover'), 'no switchover request was involved');

# the gate opens with the lease: a write commits
my $deadline = time + 30;
my ($rc, $out, $err);
while (time < $deadline)
{
	($rc, $out, $err) = $node1->psql('postgres', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1)');
	last if $rc == 0;
	usleep(200_000);
}
is($rc, 0, 'node1 accepts writes') or diag($err);

my $deadline_marker = time + 30;
usleep(100_000) while -f $node1->data_dir . "/$marker" && time < $deadline_marker;
ok(!-f $node1->data_dir . "/$marker", 'the marker is gone once the cluster exists');

ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');
ok($node2->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t'), 'node2 has the row');
is($etcd->get('/service/test/leader'), 'node1', 'node2, without the marker, never claimed anything');
ok(-f $node1->data_dir . '/pgha.has_led', 'node1 recorded that it led');

# a leader that loses etcd fences too, but it acknowledged writes: it
# leaves no marker, and would never claim an empty etcd over another node
$etcd->stop;
ok(Pgha::Node::wait_down($node1, 60), 'node1, the leader, fenced itself without etcd');
ok(!-f $node1->data_dir . "/$marker", '... and left no marker: it led');

done_testing();
