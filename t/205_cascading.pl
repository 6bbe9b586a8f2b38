
# Cascading replication, Patroni's replicatefrom tag (pgha.replicatefrom):
# node3 streams from node2, which keeps a slot for it, while the leader
# drops the one it kept (member_slots_ttl); node2 down: node3 streams from
# the leader; node2 back: from node2 again.  Two members naming each other
# both stream from the leader.  A failover keeps the chain working.

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
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 3,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2,"member_slots_ttl":5}');
ok(Pgha::Node::streaming($node1, $_), "$_ streams from node1") for qw(node2 node3);
$node1->safe_psql('postgres', 'CREATE TABLE t (id int)');

sub slot_active
{
	my ($n, $slot) = @_;
	return $n->safe_psql('postgres',
		"SELECT coalesce((SELECT active::text FROM pg_replication_slots WHERE slot_name = '$slot'), 'none')");
}

sub tag
{
	my ($n, $value) = @_;
	$n->append_conf('postgresql.conf', "pgha.replicatefrom = '$value'");
	$n->reload;
	return;
}

# node3 replicates from node2
tag($node3, 'node2');
ok(Pgha::Node::streaming($node2, 'node3'), 'node3 (replicatefrom node2) streams from node2');
is(slot_active($node2, 'node3'), 'true', 'through the slot node2 keeps for it');
ok($node1->poll_query_until('postgres',
		qq{SELECT tags LIKE '%"replicatefrom": "node2"%' FROM pgha.members() WHERE member = 'node3'}),
	'pgha.members() shows the tag');
like($etcd->get('/service/test/members/node3'), qr/"tags":\{[^}]*"replicatefrom":"node2"/,
	'the member key carries it, as Patroni writes it');
ok($node1->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_replication_slots WHERE slot_name = 'node3'"),
	'the leader drops the slot it kept for node3 (member_slots_ttl): it would hold WAL for nobody');
$node1->safe_psql('postgres', 'INSERT INTO t VALUES (1)');
ok($node3->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = 1'), 'node3 gets a row through node2');

# node2 down: node3 falls back to the leader, and comes back to node2 after
$node2->stop('immediate');
ok(Pgha::Node::streaming($node1, 'node3'), 'node2 down: node3 streams from the leader');
$node1->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
ok($node3->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = 2'), 'and gets the next row');
$node2->start;
ok(Pgha::Node::streaming($node2, 'node3'), 'node2 back: node3 streams from node2 again');
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from the leader');

# a loop: node2 and node3 name each other; both take the leader's WAL
tag($node2, 'node3');
ok(Pgha::Node::streaming($node1, 'node2') && Pgha::Node::streaming($node1, 'node3'),
	'node2 and node3 naming each other both stream from the leader');
tag($node2, '');

# a failover: the chain goes on from the new leader
ok(Pgha::Node::streaming($node2, 'node3'), 'node3 streams from node2 again');
$node1->safe_psql('postgres', 'INSERT INTO t VALUES (3)');
$node1->wait_for_catchup('node2');
ok($node3->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = 3'), 'node3 has every row');
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a standby took over after kill -9 of node1');
# (not at once: the killed postmaster may not be gone yet)
Pgha::Node::forget_if_down($node1);
my $leader = $etcd->get('/service/test/leader');
my ($new, $other) = $leader eq 'node2' ? ($node2, $node3) : ($node3, $node2);
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$leader runs as primary");
ok(Pgha::Node::streaming($new, $other->name), $other->name . " streams from $leader");
$new->safe_psql('postgres', 'INSERT INTO t VALUES (4)');
ok($other->poll_query_until('postgres', 'SELECT count(*) = 4 FROM t'), $other->name . ' has every row');

# every key gone while the leader runs ("pghactl remove" with the nodes
# up): the leader, a primary finding no cluster, claims it again
$etcd->_etcdctl([ 'del', '--prefix', '--', '/service/test/' ]);
ok($etcd->poll_key('/service/test/initialize', qr/^\d+$/, 60), 'etcd emptied: the running primary claims the cluster again');
is($etcd->get('/service/test/leader'), $leader, "$leader leads it");

$_->stop(undef, fail_ok => 1) for ($node2, $node3);
$etcd->stop;
done_testing();
