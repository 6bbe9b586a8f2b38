
# A cluster restart: every node is stopped long enough for the leader key to
# expire, then started again, the standbys first.  A standby that has not
# seen a leader since it started waits up to ttl before racing (rule
# startup_wait), so the former primary, up a moment later, takes the key
# again instead of being beaten by a standby and fencing itself.  Without
# the former primary, a standby takes over once the ttl has passed.

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
my @nodes = Pgha::Node::start_cluster(
	etcd => $etcd, nodes => 3,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":1}));
my ($node1, $node2, $node3) = @nodes;
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams from node1') for ($node2, $node3);
$node1->safe_psql('postgres', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1)');
$node1->wait_for_catchup($_) for ($node2, $node3);

sub stop_all_until_key_expires
{
	$_->stop('fast') for reverse @_;
	my $deadline = time + 3 * $ttl;
	usleep(200_000) while time < $deadline && defined $etcd->get('/service/test/leader');
	return !defined $etcd->get('/service/test/leader');
}

# a switchover the DBA scheduled for later survives the restart
my $at = $node1->safe_psql('postgres',
	"SELECT to_char((now() + interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')");
$etcd->put('/service/test/failover', qq({"leader":"node1","member":"node2","scheduled_at":"$at"}));

ok(stop_all_until_key_expires(@nodes), 'all stopped; the leader key expired');

# the standbys come up first and find no leader
$node2->start;
$node3->start;
for my $n ($node2, $node3)
{
	ok($n->poll_query_until('postgres', "SELECT last_rule = 'startup_wait' FROM pgha.status()"),
		$n->name . ' waits for the former primary (startup_wait)')
	  or diag($n->safe_psql('postgres', 'SELECT last_rule, last_reason FROM pgha.status()'));
}
# then the former primary, a moment later
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 3 * $ttl), 'the former primary took the key again');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' follows node1') for ($node2, $node3);
is($node1->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', 'node1 runs as primary');
like($etcd->get('/service/test/failover') // '', qr/"scheduled_at":"\Q$at\E"/,
	'the switchover scheduled for later is still there (before: deleted as one of an earlier term)');
$etcd->del('/service/test/failover');
$node1->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
$node1->wait_for_catchup($_) for ($node2, $node3);

# without the former primary, the wait is bounded: a standby takes over
ok(stop_all_until_key_expires(@nodes), 'all stopped again');
my $t0 = time;
$node2->start;
$node3->start;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 4 * $ttl), 'a standby took the key without node1');
my $took = time - $t0;
my $leader = $etcd->get('/service/test/leader');
ok($took >= $ttl - 1, sprintf('... after waiting for the former primary: %.1f s (ttl %d s)', $took, $ttl));
my ($new) = grep { $_->name eq $leader } ($node2, $node3);
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$leader was promoted");
is($new->safe_psql('postgres', 'SELECT count(*) FROM t'), '2', "$leader has every row");

done_testing();
