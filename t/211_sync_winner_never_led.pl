
# A winner that never took the sync key over leaves the old key valid.  In
# synchronous mode the winner of a race takes the sync key over before it
# promotes, and every path that opens the write gate does the same, so a
# key that still names the old leader says that no later leader accepted a
# write.  Before, a standby also required the key to belong to the last
# leader it had seen; a winner that froze after taking the leader key and
# before taking the sync key (the simulator's seed 1796636067: node5, 5
# nodes, quorum mode) then stopped everyone: its key expired, the
# synchronous standby refused ("the sync key belongs to node1, not to the
# last leader"), the others were not in the key, and the cluster had no
# leader until an operator came.
#
# Here the frozen winner is played by a leader key that names the other
# standby on a lease that nobody keeps alive (its worker is frozen, as the
# winner's was); the synchronous standby must then fail over, with every
# acknowledged commit.

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
my $etcd = Pgha::Etcd->new(members => 1);
my @nodes = Pgha::Node::start_cluster(etcd => $etcd,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true}));
my %node = map { ($_->name => $_) } @nodes;
ok(Pgha::Node::streaming($node{node1}, $_), "$_ streams") for qw(node2 node3);
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node1","sync_standby":"node[23]"/, 60),
	'the sync key names one standby');
my ($sync) = ($etcd->get('/service/test/sync') =~ /"sync_standby":"(node[23])"/);
my $other = $sync eq 'node2' ? 'node3' : 'node2';
$node{node1}->safe_psql('postgres', 'CREATE TABLE w (id int); INSERT INTO w VALUES (1)');

sub worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
}
my %worker = map { ($_ => worker_pid($node{$_})) } ($sync, $other);
like($worker{$_}, qr/^\d+$/, "found ${_}'s worker") for ($sync, $other);

# both standbys' workers stand still while node1 dies and its key expires
kill 'STOP', $worker{$sync}, $worker{$other};
$node{node1}->kill9;
ok($etcd->poll_key('/service/test/leader', undef, 3 * $ttl), 'node1\'s leader key expired');

# the other standby "won the race" and froze before it took the sync key
$etcd->put_leased('/service/test/leader', $other, 3);
kill 'CONT', $worker{$sync};
ok($node{$sync}->poll_query_until('postgres', "SELECT leader = '$other' FROM pgha.status()"),
	"$sync saw $other as the leader");
like($etcd->get('/service/test/sync'), qr/"leader":"node1","sync_standby":"$sync"/,
	'the sync key is still node1\'s: the winner never took it over');
kill 'CONT', $worker{$other};

# the synchronous standby, named in the key of the last leader that wrote, fails over
ok($etcd->poll_key('/service/test/leader', qr/^$sync$/, 60), "$sync took the leader key")
  or diag("$sync: " . $node{$sync}->safe_psql('postgres', 'SELECT last_rule, last_reason FROM pgha.status()'));
ok($node{$sync}->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$sync is promoted");
is($node{$sync}->safe_psql('postgres', 'SELECT count(*) FROM w'), '1', 'with the acknowledged commit');

Pgha::Node::forget_if_down($node{node1});
done_testing();
