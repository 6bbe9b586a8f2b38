
# synchronous_mode turned off and on again, with the leader gone between.
#
# The bootstrap writes the key in the transaction that claims the cluster
# (found by review: it opened the gate without it).
#
# Part 1: the mode is off, the leader deletes the sync key, then dies; the
# mode comes back on before anybody leads.  With no key, no leader took it
# since the mode came back, so none acknowledged a commit under it: the
# usual failover rules apply, as in Patroni.  Before, nobody raced without
# a key, and the cluster waited for an operator (the simulator's seed 43
# --sync-toggle).
#
# Part 2: the mode is on, the leader dies leaving its key, and the mode goes
# off before anybody leads.  The winner removes the key before it promotes
# (pgha: removed the sync key), so the key can never again name a leader
# older than the one that acknowledged commits last (seed 1294).

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
my $on = qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true});
my $off = qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":false});
my $etcd = Pgha::Etcd->new(members => 1);
my @nodes = Pgha::Node::start_cluster(etcd => $etcd, config => $on);
my %node = map { ($_->name => $_) } @nodes;
ok(Pgha::Node::streaming($node{node1}, $_), "$_ streams") for qw(node2 node3);
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node1","sync_standby":"node[23]"/, 60),
	'the sync key names node1 and a standby');
# the bootstrap opened node1's gate: the key was written in its transaction
is($etcd->_kv('/service/test/sync')->{create_revision}, $etcd->_kv('/service/test/initialize')->{create_revision},
	'the bootstrap wrote the sync key with the initialize key, in one transaction');

sub worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
}

# the standbys' workers stand still while the leader dies; the config changes meanwhile
sub leader_dies_while_standbys_stand_still
{
	my ($leader, $config, @standbys) = @_;
	my @workers = map { worker_pid($node{$_}) } @standbys;
	like($_, qr/^\d+$/, 'found a standby\'s worker') for @workers;
	kill 'STOP', @workers;
	$node{$leader}->kill9;
	ok($etcd->poll_key('/service/test/leader', undef, 3 * $ttl), "${leader}'s leader key went");
	$etcd->put('/service/test/config', $config);
	kill 'CONT', @workers;
	return;
}

# part 1
$etcd->put('/service/test/config', $off);
ok($etcd->poll_key('/service/test/sync', undef, 30), 'synchronous_mode off: node1 deleted the sync key');
$node{node1}->safe_psql('postgres', 'CREATE TABLE w (id int); INSERT INTO w VALUES (1)');
$node{node1}->wait_for_catchup($node{$_}) for qw(node2 node3);
leader_dies_while_standbys_stand_still('node1', $on, qw(node2 node3));
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'with no sync key, a standby took the leader key')
  or diag(join "\n", map { "$_: " . $node{$_}->safe_psql('postgres', 'SELECT last_rule, last_reason FROM pgha.status()') } qw(node2 node3));
my $first = $etcd->get('/service/test/leader') // 'none';
my $second = $first eq 'node2' ? 'node3' : 'node2';
ok($node{$first}->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$first is promoted");
is($node{$first}->safe_psql('postgres', 'SELECT count(*) FROM w'), '1', '... with the commit');
ok($etcd->poll_key('/service/test/sync', qr/"leader":"$first","sync_standby":"$second"/, 60),
	"$first took the sync key and confirmed $second");
Pgha::Node::forget_if_down($node{node1});

# part 2: $first leads with a key naming $second; the mode goes off while nobody leads
my $offset = -s $node{$second}->logfile;
leader_dies_while_standbys_stand_still($first, $off, $second);
ok($etcd->poll_key('/service/test/leader', qr/^$second$/, 60), "$second took the leader key");
ok($node{$second}->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$second is promoted");
ok($etcd->poll_key('/service/test/sync', undef, 30), 'the sync key is gone');
my $log = slurp_file($node{$second}->logfile, $offset);
my $removed = index($log, 'pgha: removed the sync key');
my $promoted = index($log, 'selected new timeline ID');
ok($removed >= 0 && $promoted >= 0 && $removed < $promoted,
	"$second removed ${first}'s key before its promotion")
  or diag("removed at $removed, promoted at $promoted");

Pgha::Node::forget_if_down($node{$first});
done_testing();
