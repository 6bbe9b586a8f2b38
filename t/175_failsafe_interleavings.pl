
# Interleaving 4: failsafe_mode must not vouch with a local snapshot.  The
# leader used to ask the members of its last read: a member whose key had
# expired (down for more than a ttl) was neither asked nor barred, and no
# member at all counted as "all vouched".  node2 down, node1 cut from etcd:
# node1 stayed writable, node2 came back, found no leader key and promoted:
# two primaries.  Now the leader keeps Patroni's /failsafe key, the list of
# members that must vouch; a member not in it never races while failsafe
# mode is on.  Also: a failsafe ping is a physical replication connection of
# a role with REPLICATION, for the leader this node last saw; any other
# login could forge one and hold every standby back from a failover.

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
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"failsafe_mode":true}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');
$node1->safe_psql('postgres', 'CREATE TABLE t (x int); CREATE ROLE mallory LOGIN');
$node1->wait_for_catchup('node2');

sub writable
{
	my ($node) = @_;
	my ($rc) = $node->psql('postgres', 'INSERT INTO t VALUES (1)', timeout => 10);
	return defined $rc && $rc == 0;
}

# a login without REPLICATION forges a failsafe ping on node2 for "ghost"
my $offset2 = -s $node2->logfile;
$node2->psql('postgres', 'SELECT 1',
	connstr => $node2->connstr('postgres') . ' user=mallory replication=true application_name=pgha_failsafe:ghost');
$node2->psql('postgres', 'SELECT 1',
	connstr => $node2->connstr('postgres') . ' replication=database application_name=pgha_failsafe:ghost');
ok($etcd->poll_key('/service/test/failsafe', qr/"node2"/, 30), 'the leader lists node2 in the /failsafe key');

# node2 goes away for longer than a ttl: its key expires
$node2->stop('fast');
my $deadline = time + 60;
usleep(100_000) while time < $deadline && defined $etcd->get('/service/test/members/node2');
ok(!defined $etcd->get('/service/test/members/node2'), 'node2\'s member key expired');
ok($etcd->poll_key('/service/test/failsafe', qr/^\{"node1":[^,]*\}$/, 30), 'the /failsafe key no longer lists node2, only node1');

# node1 is cut from etcd (its endpoints now lead nowhere)
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '127.0.0.1:1'");
$node1->reload;
ok($node1->poll_query_until('postgres', "SELECT NOT etcd_reachable FROM pgha.status()"), 'node1 lost etcd');

# node2 returns; etcd works for it.  It must not promote while node1 may write.
$node2->start;
my ($both, $n2primary) = (0, 0);
$deadline = time + 3 * $ttl;
while (time < $deadline)
{
	my $n2 = $node2->safe_psql('postgres', 'SELECT NOT pg_is_in_recovery()') eq 't';
	$n2primary = 1 if $n2;
	$both = 1 if $n2 && writable($node1) && writable($node2);
	usleep(250_000);
}
is($n2primary, 0, 'node2, not in the /failsafe key, did not promote');
is($both, 0, 'never two writable primaries');
ok($node2->wait_for_log(qr/pgha decision: failsafe_not_listed/), 'node2 says why');

# a forged ping never held anybody back
unlike(slurp_file($node2->logfile, $offset2), qr/"ghost" asked this node to vouch/,
	'the forged failsafe pings were not taken');
like(slurp_file($node2->logfile, $offset2), qr/pgha failsafe: role "mallory" has no REPLICATION/,
	'node2 refused the one from a role without REPLICATION');
like(slurp_file($node2->logfile, $offset2), qr/pgha failsafe: a ping must use a physical replication connection/,
	'... and the one over a database replication connection');

# etcd back for node1: it leads on, node2 follows
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '" . $etcd->endpoints . "'");
$node1->reload;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 holds the leader key again');
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');

done_testing();
