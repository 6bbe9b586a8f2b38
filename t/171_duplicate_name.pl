
# Interleaving 6: the leader key is owned by value AND lease.  A clone of
# the leader that kept its member name (pg_basebackup copies
# postgresql.conf, pgha.name and cluster_name with it) must not believe it
# holds the key: before, its guarded renewal (value only) succeeded, it
# promoted, and both renewed one key.  Now it finds the key and the member
# record on a lease it does not hold, written by another instance, says so
# loudly and takes no part.  A leader restarted in place still re-attaches
# to its own key at once (same instance: its data directory).

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
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');
$node1->safe_psql('postgres', 'CREATE TABLE w (id int)');
my $member_before = $etcd->get('/service/test/members/node1');
my $port1 = $node1->port;
like($member_before, qr/:$port1\//, 'node1\'s member record points at node1');

# the clone: a copy of node1 that still calls itself node1
my $clone = Pgha::Node::new_replica('clone', $node1, etcd => $etcd,
	extra_conf => ["pgha.name = 'node1'"]);
my $offset = 0;
$clone->start;
ok($clone->wait_for_log(qr/another running member is also named "node1"/, $offset),
	'the clone says that another member runs under its name');

# give it a few iterations to do harm, watching for any
my ($promoted, $stolen, $harm_deadline) = (0, 0, time + 2 * $ttl);
while (time < $harm_deadline)
{
	$promoted = 1 if $clone->safe_psql('postgres', 'SELECT pg_is_in_recovery()') ne 't';
	my $m = $etcd->get('/service/test/members/node1') // '';
	$stolen = 1 if $m ne '' && $m !~ /:$port1\//;
	last if $promoted;
	usleep(250_000);
}
is($promoted, 0, 'the clone never promoted');
is($stolen, 0, 'node1\'s member record was never overwritten by the clone');
is($etcd->get('/service/test/leader'), 'node1', 'node1 still holds the leader key');
is($node1->safe_psql('postgres', 'INSERT INTO w VALUES (1) RETURNING id'), '1', 'node1 still accepts writes');
like($clone->safe_psql('postgres', 'SELECT state FROM pgha.status()'), qr/duplicate name/,
	'pgha.status() on the clone says why it does nothing');
$clone->stop('immediate');

# the leader restarted in place re-attaches at once: same instance (an
# immediate stop: a clean one would hand the key over to node2)
$node1->stop('immediate');
$node1->start;
is($node1->safe_psql('postgres', 'INSERT INTO w VALUES (2) RETURNING id'), '2',
	'node1, restarted, re-attached to its key and writes');
is($etcd->get('/service/test/leader'), 'node1', 'node1 holds the leader key');

done_testing();
