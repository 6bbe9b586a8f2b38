
# Found by the simulator (test/sim, seed 1150 in synchronous mode): an old
# primary that comes back after a failover etcd never heard the end of
# took the free leader key and lost the new leader's acknowledged writes.
# node1 is killed; node2 promotes (the sync key becomes {leader: node2}),
# acknowledges a write, and goes away before its history and status keys
# reach etcd (here: they are deleted, as a partition after the promotion
# leaves them).  node1 returns as a primary on timeline 1: in synchronous
# mode the sync key names node2, whose commits node1 may lack, so node1
# must not take the key.

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
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');
ok($etcd->poll_key('/service/test/sync', qr/"node2"/, 30), 'node2 is node1\'s synchronous standby');
$node1->safe_psql('postgres', 'CREATE TABLE w (id int, node text)');

my $pm1 = $node1->{_pid};
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 took over');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
ok($etcd->poll_key('/service/test/sync', qr/"leader":\s*"node2"/, 30), 'the sync key belongs to node2');
$node2->safe_psql('postgres', "INSERT INTO w VALUES (1, 'node2')");

# node2 goes away; etcd keeps no trace of its timeline
$node2->stop('immediate');
my $deadline = time + 60;
usleep(100_000) while time < $deadline
  && (defined $etcd->get('/service/test/leader') || defined $etcd->get('/service/test/members/node2'));
ok(!defined $etcd->get('/service/test/leader'), 'the leader key expired');
$etcd->del('/service/test/history');
$etcd->del('/service/test/status');
ok(!defined $etcd->get('/service/test/history'), 'no history key');

usleep(100_000) while Pgha::Node::_alive($pm1);
Pgha::Node::forget_if_down($node1);

# node1 returns as a primary on timeline 1 with nobody else around
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
is($took, 0, 'node1 never took the leader key');
is($wrote, 0, "node1 acknowledged none of $tries writes");
ok($node1->wait_for_log(qr/pgha decision: stale_primary .*\n.*sync key belongs to "node2"/, $offset),
	'node1 says why: the sync key belongs to node2');
ok(Pgha::Node::wait_down($node1), 'node1 fenced itself');

# node2 returns: it takes its key back and has its write
$node2->start;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 leads again');
is($node2->safe_psql('postgres', "SELECT count(*) FROM w WHERE node = 'node2'"), '1', 'node2\'s write is there');

done_testing();
