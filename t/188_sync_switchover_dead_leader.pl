
# Found by the simulator (test/sim, seeds 94 and 575 in synchronous mode):
# a switchover candidate that is not a synchronous standby took over when
# the leader died before handing over, and lost the writes the leader had
# acknowledged with its synchronous standby.  node2 is node1's synchronous
# standby; node3 (nosync) is named as the switchover candidate while
# node1's worker is frozen, so node1 never hands over; node1 acknowledges a
# write, then is killed.  node3 must not take over: only the sync key's
# standbys have every acknowledged commit.  Once the request expires,
# node2 does, and has the write.

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
$etcd->put('/service/test/config',
	qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true}));
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id int)');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
my $node3 = Pgha::Node::new_replica('node3', $node1, etcd => $etcd,
	extra_conf => ['pgha.nosync = on']);
$_->start for ($node2, $node3);
ok(Pgha::Node::streaming($node1, $_), "$_ streams") for qw(node2 node3);
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":\s*"node2"/, 30), 'node2 is the synchronous standby');

# node1's worker freezes: it will not hand over; the operator asks for node3
my $worker = $node1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
kill 'STOP', $worker;
$etcd->put('/service/test/failover', '{"leader":"node1","member":"node3"}');
$node1->safe_psql('postgres', 'INSERT INTO w VALUES (1)');
my $pm1 = $node1->{_pid};
$node1->kill9;
kill 'CONT', $worker;

# while the request stands, node3 never takes the key
my $took = 0;
my $deadline = time + 3 * $ttl;
while (time < $deadline)
{
	$took = 1 if ($etcd->get('/service/test/leader') // '') eq 'node3';
	usleep(200_000);
}
is($took, 0, 'node3, the candidate but no synchronous standby, never took the key');
ok($node3->wait_for_log(qr/pgha decision: not_synchronous/), 'node3 says why: not synchronous');

# the request expires (60 s); node2, the synchronous standby, takes over
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 120), 'node2 takes over once the request expired');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
is($node2->safe_psql('postgres', 'SELECT count(*) FROM w'), '1', 'node2 has the acknowledged write');

usleep(100_000) while Pgha::Node::_alive($pm1);
Pgha::Node::forget_if_down($node1);
done_testing();
