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

# The replicas take the cluster from the cache their watch keeps, not from
# a read of etcd every loop; the leader keeps its read (it proves the
# lease), and it alone asks etcd's members for their health
# (src/shared/cluster_cache.h).  What a user sees: fewer requests to etcd,
# and failovers as before, also after the etcd member the replicas'
# watches ran on stops answering.

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => q({"ttl":10,"loop_wait":1,"retry_timeout":2}));
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);

# etcd's health: the leader's look, not every member's
ok($node1->poll_query_until('postgres', 'SELECT etcd_failures_tolerated = 1 FROM pgha.status()'),
	'the leader knows how many etcd failures are tolerated');
is($_->safe_psql('postgres', 'SELECT etcd_failures_tolerated IS NULL AND etcd_reachable FROM pgha.status()'),
	't', $_->name . ' (a replica) does not ask etcd for its health: unknown')
  for ($node2, $node3);

# A measurement window: no test call touches etcd meanwhile.  A read every
# loop on each member was 3 per second here; now the leader's 1 per
# second and a replica's every two ttl (20 s).
my $window = 20;
my $before = $etcd->requests;
sleep $window;
my $after = $etcd->requests;
my %delta = map { $_ => ($after->{$_} // 0) - ($before->{$_} // 0) } keys %$after;
note(join ', ', map { "$_ $delta{$_}" } sort keys %delta);
cmp_ok($delta{Range} // 0, '<=', 1.5 * $window,
	"etcd served at most 1.5 reads of the cluster per second in $window s (3 members, loop_wait 1)");
cmp_ok($delta{Range} // 0, '>=', 0.8 * $window, '... and the leader still reads every loop');
cmp_ok($delta{LeaseKeepAlive} // 0, '>=', 2 * $window, 'every member still sends its keepalive every loop');
cmp_ok($delta{MemberList} // 0, '<=', 1, 'only the leader asked for the etcd member list (every 30 s)');

# The etcd member whose watch the replicas use stops answering (SIGSTOP:
# its connections stay open, nothing comes through them).  Their unary
# calls move to another member; the watch must move with them, or their
# cache would stand still.
my $endpoint = $node2->safe_psql('postgres', 'SELECT etcd_endpoint FROM pgha.status()');
my ($member) = grep { $etcd->urls->[ $_ - 1 ] eq $endpoint } 1 .. $etcd->members;
ok(defined $member, "node2 talks to etcd member $endpoint");
my $paused_at = $node2->safe_psql('postgres', 'SELECT now()');
$etcd->pause($member);
for my $n ($node2, $node3)
{
	ok($n->poll_query_until('postgres',
			"SELECT etcd_reachable AND etcd_endpoint <> '$endpoint' AND etcd_last_contact > '$paused_at' FROM pgha.status()"),
		$n->name . ' reaches etcd through another member');
}
ok($node1->poll_query_until('postgres', 'SELECT etcd_reachable AND is_leader FROM pgha.status()'),
	'node1 leads on');
$node1->safe_psql('postgres', 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams again before the failover')
  for ($node2, $node3);

# The leader's node is lost: its worker revokes the lease at once; the
# replicas learn it from their watches, read etcd, and one takes over.
my $killed = time;
$node1->kill9;
Pgha::Node::forget_if_down($node1);
my ($new, $deadline) = (undef, time + 60);
while (time < $deadline)
{
	my $l = $etcd->get('/service/test/leader');
	if (defined $l && $l =~ /^node[23]$/)
	{
		$new = $l;
		last;
	}
	usleep(100_000);
}
ok(defined $new, 'a replica took the leader key');
my $took = time - $killed;
note(sprintf 'the leader key moved %.1f s after the kill', $took);
cmp_ok($took, '<', 8, 'within 8 s of the kill (a replica whose watch stood still would wait up to two ttl, 20 s)');
my ($leader, $other) = $new eq 'node2' ? ($node2, $node3) : ($node3, $node2);
ok($leader->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$new runs as primary");
is($leader->safe_psql('postgres', 'SELECT count(*) FROM t'), '1', "$new has the table and its row");
ok(Pgha::Node::streaming($leader, $other->name), $other->name . " follows $new");
ok($leader->poll_query_until('postgres', 'SELECT etcd_failures_tolerated = 0 FROM pgha.status()'),
	"$new, now the leader, asks etcd for its health: one member paused, none more may fail");

$etcd->resume($member);
done_testing();
