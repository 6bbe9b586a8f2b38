
# Interleaving 2: a free leader key is taken only by a node on the
# cluster's latest timeline, within maximum_lag_on_failover of the last
# position the leader published.  node1 is killed (no standby.signal), node2
# promotes to timeline 2 and takes writes, then node2 goes away too and its
# keys expire.  node1 comes back on timeline 1 with nobody else around: it
# must not take the key and write (node2's writes would be thrown away by
# the rewind when node2 returns); the history key says the cluster moved on.

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

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2) = Pgha::Node::start_cluster(
	etcd => $etcd, nodes => 2,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');
$node1->safe_psql('postgres', 'CREATE TABLE w (id int, node text)');
$node1->wait_for_catchup('node2');

my $pm1 = $node1->{_pid};
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 took over');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
ok($etcd->poll_key('/service/test/history', qr/^\[\[1,/, 30), 'node2 recorded timeline 1\'s end in the history key');
$node2->safe_psql('postgres', "INSERT INTO w VALUES (1, 'node2')");

# node2 goes away; its keys expire with its lease
$node2->stop('immediate');
my $deadline = time + 60;
usleep(100_000) while time < $deadline
  && (defined $etcd->get('/service/test/leader') || defined $etcd->get('/service/test/members/node2'));
ok(!defined $etcd->get('/service/test/leader'), 'the leader key expired');
ok(!defined $etcd->get('/service/test/members/node2'), 'node2\'s member key expired');

# node1's postmaster is long gone: let the framework start it again
usleep(100_000) while Pgha::Node::_alive($pm1);
Pgha::Node::forget_if_down($node1);

# node1 returns as a primary on timeline 1: nobody else is around
my $offset = -s $node1->logfile;
$node1->start(fail_ok => 1);
my ($took, $wrote, $tries) = (0, 0, 0);
$deadline = time + 3 * $ttl;
while (time < $deadline && $node1->{_pid} && Pgha::Node::_alive($node1->{_pid}))
{
	$took = 1 if ($etcd->get('/service/test/leader') // '') eq 'node1';
	my ($ret) = $node1->psql('postgres', "INSERT INTO w VALUES (2, 'node1')");
	$tries++;
	$wrote++ if defined $ret && $ret == 0;
	usleep(200_000);
}
is($took, 0, 'node1, on timeline 1, never took the leader key');
is($wrote, 0, "node1 acknowledged none of $tries writes");
ok($node1->wait_for_log(qr/pgha decision: stale_primary .*\n.*timeline 2 \(the history key\), newer than this primary's 1/, $offset),
	'node1 says why: the history key shows timeline 2');
ok($node1->wait_for_log(qr/fencing this primary/, $offset), 'node1 fenced itself');
ok(Pgha::Node::wait_down($node1), 'node1 is down');

# node2 returns: it takes its key back and has its write
$node2->start;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 leads again');
is($node2->safe_psql('postgres', "SELECT count(*) FROM w WHERE node = 'node2'"), '1', 'node2\'s write is there');

done_testing();
