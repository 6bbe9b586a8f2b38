
# A paused cluster resumed while its primary is cut off from etcd.  Paused,
# the leader does not fence for want of etcd, and its write gate stood open
# for as long as it believed the cluster paused.  Cut off, it cannot see the
# resume; its key expires, node2 takes it and promotes: two writable
# primaries.  Now a pause holds the gate open only for a fence window after
# each read that showed it.

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
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');
$node1->safe_psql('postgres', 'CREATE TABLE t (x int)');

sub writable
{
	my ($node) = @_;
	my ($rc) = $node->psql('postgres', 'INSERT INTO t VALUES (1)', timeout => 10);
	return defined $rc && $rc == 0;
}

$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"pause":true}));
ok($node1->poll_query_until('postgres', 'SELECT paused FROM pgha.status()'), 'node1 sees the pause');
ok($node2->poll_query_until('postgres', 'SELECT paused FROM pgha.status()'), 'node2 sees the pause');

# node1 is cut from etcd; the DBA resumes the cluster
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '127.0.0.1:1'");
$node1->reload;
ok($node1->poll_query_until('postgres', 'SELECT NOT etcd_reachable FROM pgha.status()'), 'node1 lost etcd');
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node1\'s key expired and node2 took it');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
ok(writable($node2), 'node2 accepts writes');
ok(!writable($node1), 'node1, still believing the cluster paused, refuses writes');

# etcd back for node1: it learns of the resume and of node2, and fences
my $offset = -s $node1->logfile;
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '" . $etcd->endpoints . "'");
$node1->reload;
ok($node1->wait_for_log(qr/fencing this primary/, $offset), 'node1 fences once it reaches etcd');
Pgha::Node::wait_down($node1);

done_testing();
