
# failsafe_mode: when etcd is down, the leader stays primary while every
# member vouches for it over a direct (replication-authenticated)
# connection; once one cannot, it fences as it would without failsafe.
# Without etcd no standby ever promotes.

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
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"failsafe_mode":true}));
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);
$node1->safe_psql('postgres', 'CREATE TABLE t (x int)');

sub writable
{
	my ($node) = @_;
	my ($rc) = $node->psql('postgres', 'INSERT INTO t VALUES (1)', timeout => 5);
	return defined $rc && $rc == 0;
}

# the whole etcd cluster freezes
my $t0 = time;
$etcd->pause($_) for 1 .. 3;
ok($node1->poll_query_until('postgres', "SELECT state = 'failsafe' FROM pgha.status()"),
	'node1 is in failsafe once its lease could not be renewed');
# writable throughout, well past the point where it would have fenced
my ($writes, $failed) = (0, 0);
while (time - $t0 < 2 * $ttl)
{
	writable($node1) ? $writes++ : $failed++;
	usleep(200_000);
}
is($failed, 0, sprintf('node1 accepted all %d writes during %.1f s without etcd (ttl %d)', $writes, time - $t0, $ttl));
like(slurp_file($node1->logfile), qr/pgha failsafe: etcd is unreachable; all 2 members vouched/,
	'node1 logged that both members vouched');
is($node2->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node2 stayed a standby');
is($node3->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node3 stayed a standby');

# a member goes away: node1 can no longer prove nobody else leads
$node3->stop;
my $t1 = time;
my $deadline = time + 30;
while (time < $deadline && writable($node1)) { usleep(100_000); }
ok(!writable($node1), sprintf('node1 fenced %.1f s after node3 could no longer vouch', time - $t1));
like(slurp_file($node1->logfile), qr/pgha failsafe: "node3" did not vouch for this leader/,
	'node1 logged which member did not vouch');
Pgha::Node::forget_if_down($node1);

# etcd comes back: node2, the only member left, takes over
$etcd->resume($_) for 1 .. 3;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 90), 'node2 leads once etcd is back');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 runs as primary');

$node2->stop;
$etcd->stop;
done_testing();
