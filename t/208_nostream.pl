
# Patroni's nostream tag (pgha.nostream): a standby that replays WAL from
# the archive only.  Its worker points primary_conninfo nowhere, the leader
# keeps no slot for it, the member key carries the tag; it gets rows
# through the archive, and after a failover it follows the new timeline
# there too.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $archive = PostgreSQL::Test::Utils::tempdir();

# every node archives as primary, and can restore
my @archiving = (
	"archive_mode = on",
	"archive_command = 'test ! -f $archive/%f && cp %p $archive/%f'",
	"restore_command = 'cp $archive/%f %p'");
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd, extra_conf => \@archiving);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE t (id int)');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd, extra_conf => \@archiving);
$node2->start;
# node3 replays the archive only; nofailover keeps the failover below on node2
my $node3 = Pgha::Node::new_replica('node3', $node1, etcd => $etcd,
	extra_conf => [ @archiving, "pgha.nostream = on", "pgha.nofailover = on" ]);
$node3->start;
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');

ok($etcd->poll_key('/service/test/members/node3', qr/"tags":\{[^}]*"nostream":true/, 30),
	'the member key of node3 carries the tag, as Patroni writes it');
ok($node3->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_wal_receiver"),
	'node3 streams from nobody');
is($node3->safe_psql('postgres', "SELECT current_setting('primary_conninfo')"), '',
	'its primary_conninfo is empty');
ok($node1->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_replication_slots WHERE slot_name = 'node3'"),
	'the leader keeps no slot for it');
is($node1->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'node2'"),
	'1', '... and one for node2');

$node1->safe_psql('postgres', 'INSERT INTO t VALUES (1)');
my $wal = $node1->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
ok($node1->poll_query_until('postgres', "SELECT last_archived_wal >= '$wal' FROM pg_stat_archiver"),
	'node1 archived the segment with row 1');
ok($node3->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = 1'),
	'node3 has row 1, from the archive');
ok($node3->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_wal_receiver"),
	'... still streaming from nobody');

# a failover: node2 leads on timeline 2, node3 follows it through the archive
$node1->stop('immediate');
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 took over');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is the primary');
$node2->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
$wal = $node2->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
ok($node2->poll_query_until('postgres', "SELECT last_archived_wal >= '$wal' FROM pg_stat_archiver"),
	'node2 archived its segment with row 2');
ok($node3->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = 2'),
	'node3 has row 2, from the new timeline in the archive');
ok($node2->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_replication_slots WHERE slot_name = 'node3'"),
	'the new leader keeps no slot for node3 either');

Pgha::Node::forget_if_down($node1);
done_testing();
