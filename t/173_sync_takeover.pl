
# Interleaving 3: in synchronous mode the winner of a failover takes the
# sync key over ({leader: itself, no standby}) BEFORE it promotes, as
# Patroni does, and standbys trust the key only as far as it belongs to the
# last leader.  Otherwise: node2 wins with synchronous_node_count 2 (node2
# and node3 both in the key), promotes, acknowledges writes before it has
# confirmed any synchronous standby, dies, and node3, still named in the
# stale key, promotes without them: acknowledged writes lost.  Here node2's
# promotion hangs (startup process frozen) so the key can be read at the
# moment that matters; then node2 dies and node3 must not promote.

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
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true,"synchronous_node_count":2}));
ok(Pgha::Node::streaming($node1, $_), "$_ streams") for qw(node2 node3);
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node1".*"sync_standby":"node2,node3"/, 60),
	'the sync key names node2 and node3');
$node1->safe_psql('postgres', 'CREATE TABLE w (id int)');

my $startup = $node2->safe_psql('postgres',
	"SELECT pid FROM pg_stat_get_activity(NULL) WHERE backend_type = 'startup'");
like($startup, qr/^\d+$/, 'found node2\'s startup process');
kill 'STOP', $startup;

my $pm1 = $node1->{_pid};
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 won the race');
ok($node2->wait_for_log(qr/pgha: this node is the leader/), 'node2 asked for its promotion');
# the promotion hangs: a key that names node2 now was written before it
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node2"/, 10),
	'before its promotion completes, node2 has taken the sync key over')
  or diag('sync key: ' . ($etcd->get('/service/test/sync') // '(none)'));
unlike($etcd->get('/service/test/sync') // '', qr/node3/, '... and it names no synchronous standby');

# node2 dies before it confirmed any standby
my $pm2 = $node2->{_pid};
$node2->kill9;
kill 'CONT', $startup;
my $deadline = time + 60;
usleep(100_000) while time < $deadline && ($etcd->get('/service/test/leader') // '') eq 'node2';
isnt($etcd->get('/service/test/leader') // '', 'node2', 'node2\'s leader key went');

# node3 watches for two ttl: it must not promote on a key that is not its
my $promoted = 0;
$deadline = time + 2 * $ttl;
while (time < $deadline)
{
	$promoted = 1, last if $node3->safe_psql('postgres', 'SELECT pg_is_in_recovery()') ne 't';
	usleep(250_000);
}
is($promoted, 0, 'node3 did not promote: the sync key does not name it');
ok($node3->wait_for_log(qr/pgha decision: not_synchronous/), 'node3 says why');

# a node that was never confirmed by node2 (only the DBA knows) stays a standby
usleep(100_000) while Pgha::Node::_alive($pm1) || Pgha::Node::_alive($pm2);
Pgha::Node::forget_if_down($_) for ($node1, $node2);
done_testing();
