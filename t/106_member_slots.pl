
# Replication slots of members: the leader keeps one per member, and drops
# the slot of a member whose key has been gone for member_slots_ttl (as
# Patroni 4 does), so a decommissioned node cannot fill the primary's disk
# with retained WAL.  A former leader, now a standby, drops the member
# slots it kept when it led (on a standby they hold WAL too).  A slot a DBA
# made for another tool is never touched.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2,"member_slots_ttl":3}');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams from node1') for ($node2, $node3);

my $slots = "SELECT (SELECT coalesce(string_agg(slot_name, ',' ORDER BY slot_name), '') FROM pg_replication_slots)";
ok($node1->poll_query_until('postgres', "$slots = 'node2,node3'"), 'node1 keeps a slot per member');

# a member key written without a lease never expires: no slot for it (it
# would hold WAL back until the disk is full)
$etcd->put('/service/test/members/ghost', $etcd->get('/service/test/members/node3'));
ok($node1->poll_query_until('postgres', "SELECT count(*) = 1 FROM pgha.members() WHERE member = 'ghost'"),
	'node1 has read a member key without a lease');
is($node1->safe_psql('postgres', $slots), 'node2,node3', '... and keeps no slot for it');
$etcd->del('/service/test/members/ghost');
$node1->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('backup_tool')");
ok($etcd->poll_key('/service/test/status', qr/"retain_slots":\["node[23]","node[23]"\]/, 30),
	'the status key lists the retained members (Patroni\'s retain_slots)');

# node3 leaves for good: its key expires, its slot goes member_slots_ttl later
my $offset = -s $node1->logfile;
$node3->stop;
ok($etcd->poll_key('/service/test/members/node3', undef, 60), "node3's member key is gone");
my $t_gone = time;
ok($node1->poll_query_until('postgres', "$slots = 'backup_tool,node2'"),
	'node1 dropped node3\'s slot; node2\'s and the DBA\'s backup_tool slot stay');
my $after = time - $t_gone;
cmp_ok($after, '>=', 1.5, sprintf('not at once: %.1f s after the key went (member_slots_ttl 3 s)', $after));
ok($node1->wait_for_log(qr/pgha dropped the replication slot "node3"\n[^\n]*DETAIL:  Member "node3" left: its key has been gone for more than member_slots_ttl \(3 s\)\. It held WAL from/, $offset),
	'the leader says which slot it dropped and why');
ok($etcd->poll_key('/service/test/status', qr/"retain_slots":\["node2"\]/, 30), 'retain_slots: node2 only');

# node3 comes back: a slot again, streaming
$node3->start;
ok(Pgha::Node::streaming($node1, 'node3'), 'node3 is back and streams');
ok($node1->poll_query_until('postgres', "$slots = 'backup_tool,node2,node3'"), 'with a new slot');

# switchover to node2: node1 rejoins as a standby and drops the member
# slots it kept as the leader (backup_tool is not pgha's: it stays)
is($node2->safe_psql('postgres', "SELECT pgha.switchover('node2')"), 'node2', 'switchover to node2');
ok(Pgha::Node::wait_down($node1), 'node1 handed over and shut down');
$node1->start;
ok(Pgha::Node::streaming($node2, 'node1'), 'node1 rejoined as node2\'s standby');
ok($node1->poll_query_until('postgres', "$slots = 'backup_tool'"),
	'node1, now a standby, dropped the member slots of its time as leader');
ok($node2->poll_query_until('postgres', "$slots = 'node1,node3'"), 'node2 keeps slots for node1 and node3');

$_->stop for ($node1, $node2, $node3);
$etcd->stop;
done_testing();
