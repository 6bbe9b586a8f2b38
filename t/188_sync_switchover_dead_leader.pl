
# Found by the simulator (test/sim, seeds 94 and 575 in synchronous mode):
# a switchover candidate that is not a synchronous standby took over when
# the leader died before handing over, and lost the writes the leader had
# acknowledged with its synchronous standby.  node2 is node1's synchronous
# standby; node3 (nosync) is named as the switchover candidate while
# node1's worker is frozen, so node1 never hands over; node1 acknowledges a
# write, then is killed.  node3 must not take over: only the sync key's
# standbys have every acknowledged commit.  node2 does not wait for a
# candidate that cannot take over (nor for the request to expire): it takes
# over, and has the write.

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

# node1's worker freezes, so that it will not hand over; the operator asks for node3
my $worker = $node1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
kill 'STOP', $worker;
$etcd->put('/service/test/failover', '{"leader":"node1","member":"node3"}');
$node1->safe_psql('postgres', 'INSERT INTO w VALUES (1)');
# the worker dies frozen: it never hands over (a thawed one might, its last
# request racing the postmaster's death, and a handover is a clean switch)
kill 'KILL', $worker;
my $pm1 = $node1->{_pid};
$node1->kill9;

# node3 never takes the key; node2, the synchronous standby, does
my $took = 0;
my $deadline = time + 40;
my $leader = '';
while (time < $deadline && $leader ne 'node2')
{
	$leader = $etcd->get('/service/test/leader') // '';
	$took = 1 if $leader eq 'node3';
	usleep(100_000);
}
is($took, 0, 'node3, the candidate but no synchronous standby, never took the key');
is($leader, 'node2', 'node2, the synchronous standby, took over without waiting for the request to expire');
ok($node3->wait_for_log(qr/pgha decision: not_synchronous/), 'node3 says why: not synchronous');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
is($node2->safe_psql('postgres', 'SELECT count(*) FROM w'), '1', 'node2 has the acknowledged write');

usleep(100_000) while Pgha::Node::_alive($pm1);
Pgha::Node::forget_if_down($node1);
done_testing();
