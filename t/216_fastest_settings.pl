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

# The fastest settings pgha accepts, ttl 3, loop_wait 1, retry_timeout 1,
# with failsafe_mode (docs/ha.md says why it belongs with them): etcd
# leader elections pass without a failover, because the members vouch for
# the primary while etcd has no leader; the loss of the primary's node
# still fails over.  How fast is bench/'s business (make bench-failover,
# make bench-elections); this test asserts what happens.

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => q({"ttl":3,"loop_wait":1,"retry_timeout":1,"failsafe_mode":true}));
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);
is($node1->safe_psql('postgres', 'SELECT ttl FROM pgha.status()'), '3', 'node1 runs by ttl 3');
$node1->safe_psql('postgres', 'CREATE TABLE t (x int)');
ok($etcd->poll_key('/service/test/failsafe', qr/"node3"/, 30), 'the /failsafe key lists every member');
my $offset1 = -s $node1->logfile;

# three etcd leader elections: kill -9 of the leader, a new one elected,
# the old one back
for my $e (1 .. 3)
{
	my $old = $etcd->leader;
	ok(defined $old, "election $e: etcd$old leads");
	$etcd->kill($old);
	my ($new, $deadline) = (undef, time + 30);
	usleep(50_000) while time < $deadline && !defined($new = $etcd->leader);
	ok(defined $new, "election $e: another etcd member leads");

	# two ttls with the old leader down (a keepalive sent to it hangs): a
	# write on node1 every 100 ms, each acknowledged
	my ($tried, $failed, $until) = (0, 0, time + 6);
	while (time < $until)
	{
		$tried++;
		$failed++ if $node1->psql('postgres', 'INSERT INTO t VALUES (0)', timeout => 5) != 0;
		usleep(100_000);
	}
	is($failed, 0, "election $e: node1 acknowledged all $tried writes with etcd$old down");
	$etcd->restart($old);
	ok($node1->poll_query_until('postgres', 'SELECT etcd_reachable AND is_leader FROM pgha.status()'),
		"election $e: node1 leads on, etcd reachable");
}
is($etcd->get('/service/test/leader'), 'node1', 'node1 still holds the leader key');
is($node1->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', 'node1 still runs as primary');
unlike(slurp_file($node1->logfile, $offset1), qr/pgha: fencing this primary/, 'node1 never fenced');
is($node1->psql('postgres', 'INSERT INTO t VALUES (1)'), 0, 'node1 takes writes');

# node1's whole node is lost: every process killed at once
$node1->kill9;
Pgha::Node::forget_if_down($node1);
my $t0 = time;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a standby took the leader key');
my $leader = $etcd->get('/service/test/leader');
my ($new) = grep { $_->name eq $leader } ($node2, $node3);
my ($other) = grep { $_->name ne $leader } ($node2, $node3);
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$leader runs as primary");
note(sprintf('%s primary %.1f s after the kill (bench/ measures it)', $leader, time - $t0));
$new->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
ok(Pgha::Node::streaming($new, $other->name), $other->name . " streams from $leader");
is($new->safe_psql('postgres', 'SELECT count(*) FROM t WHERE x > 0'), '2', 'both writes are there');

done_testing();
