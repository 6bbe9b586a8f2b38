
# The Patroni tutorial's pg_hba scenario with pgha on 3 nodes: the rule for
# the superuser over TCP is missing, so a connection from one node to a
# replica is rejected by pg_hba; pgha.set_hba() on the primary adds it, and
# after the wait the same connection succeeds on every node.  Replication
# never stops meanwhile: its rules are in the protected layer.  Then the
# tutorial's replication check: create database foobar on the primary, see
# it on a replica.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Pgha::Etcd;
use Pgha::Node;

my $user = getpwuid($<);
my $etcd = Pgha::Etcd->new(members => 3);
my @nodes = Pgha::Node::start_cluster(etcd => $etcd,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $node1 = $nodes[0];
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for @nodes[1, 2];

# pgha manages pg_hba from now on, with no cluster-wide rule yet
$node1->safe_psql('postgres', "SELECT pgha.set_hba(ARRAY[]::text[], wait => '60s')");

sub tcp_connect
{
	my ($from, $to) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $to->port, '-U', $user,
		  '-d', 'postgres', '-c', 'SELECT 1' ],
		'>', \$out, '2>', \$err);
	return ($ok, $err);
}

my ($ok, $err) = tcp_connect($node1, $nodes[1]);
ok(!$ok, 'psql -h from node1 to the replica node2 is refused');
like($err, qr/no pg_hba.conf entry for host "127.0.0.1", user "$user"/, 'by pg_hba');

# replication survives a rule list without any host rule
$node1->safe_psql('postgres', 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
ok($nodes[2]->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t'),
	'replication still works: its rules are protected');

my $rev = $node1->safe_psql('postgres',
	"SELECT pgha.set_hba(ARRAY['host all $user 127.0.0.1/32 trust'], wait => '60s')");
ok($rev > 0, "set_hba on the primary returned revision $rev");
for my $n (@nodes)
{
	my ($ok2, $err2) = tcp_connect($node1, $n);
	ok($ok2, 'psql -h to ' . $n->name . ' now succeeds') or diag($err2);
	like(slurp_file($n->data_dir . '/pg_hba.conf'), qr/^host all \Q$user\E 127\.0\.0\.1\/32 trust$/m,
		$n->name . '\'s pg_hba.conf carries the rule');
}
is( $nodes[1]->safe_psql('postgres', 'SELECT count(*) FROM pgha.hba_rules() WHERE NOT protected'),
	'1', 'pgha.hba_rules() on a replica lists the cluster-wide rule');

# the tutorial's replication check
$node1->safe_psql('postgres', 'CREATE DATABASE foobar');
ok( $nodes[1]->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_database WHERE datname = 'foobar'"),
	'create database foobar on the primary shows up on a replica');

# a bad rule written straight into etcd (not through set_hba) is never applied
my $cfg = $etcd->get('/service/test/config');
(my $bad = $cfg) =~ s/"pg_hba":\[[^\]]*\]/"pg_hba":["host all all 127.0.0.1\/33 trust"]/;
my $offset = -s $nodes[1]->logfile;
$etcd->put('/service/test/config', $bad);
$nodes[1]->wait_for_log(qr/pgha did not write pg_hba.conf because a rule would not load/, $offset);
like(slurp_file($nodes[1]->data_dir . '/pg_hba.conf'), qr/^host all \Q$user\E 127\.0\.0\.1\/32 trust$/m,
	'node2 kept its last good pg_hba.conf');
my ($ok3) = tcp_connect($node1, $nodes[1]);
ok($ok3, 'and still accepts the connection');

$_->stop for @nodes;
$etcd->stop;
done_testing();
