
# The HA keeper on a real 3-member etcd and 3 PostgreSQL nodes: bootstrap,
# replication, automatic failover after kill -9 of the primary's
# postmaster, the survivors following the new leader, patronictl reading
# the cluster, a node of another cluster refused, and fencing when the
# leader cannot reach etcd.

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
# short timings for the test; the relationship rules still hold (1 + 2*2 <= 6)
$etcd->put('/service/test/config',
	qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"maximum_lag_on_failover":1048576}));

# --- bootstrap
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
$node1->wait_for_log(qr/pgha: bootstrapped cluster "test"/);
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 holds the leader key');
my $sysid = $node1->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
is($etcd->get('/service/test/initialize'), $sysid, 'initialize holds the primary\'s system identifier');
like($etcd->get('/service/test/config'), qr/"ttl":$ttl/, 'the seeded config was kept');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha');
$node1->safe_psql('postgres', 'CREATE TABLE t (id int primary key, who text)');

my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
my $node3 = Pgha::Node::new_replica('node3', $node1, etcd => $etcd);
$node2->start;
$node3->start;

for my $n ($node2, $node3)
{
	my $name = $n->name;
	ok( Pgha::Node::streaming($node1, $name),
		"$name streams from node1 under its member name");
}
is( $node1->safe_psql('postgres',
		"SELECT string_agg(slot_name || ':' || active, ',' ORDER BY slot_name) FROM pg_replication_slots"),
	'node2:true,node3:true', 'the leader keeps an active slot per replica');

$node1->safe_psql('postgres', "INSERT INTO t VALUES (1, 'before failover')");
my $lsn = $node1->lsn('insert');
for my $n ($node2, $node3)
{
	$node1->wait_for_catchup($n, 'replay', $lsn);
	is($n->safe_psql('postgres', 'SELECT who FROM t WHERE id = 1'),
		'before failover', $n->name . ' has the row written on the primary');
}

ok( $node2->poll_query_until('postgres',
		"SELECT string_agg(member || ':' || role || ':' || state, ',' ORDER BY member) FROM pgha.members()",
		'node1:leader:running,node2:replica:streaming,node3:replica:streaming'),
	'pgha.members() on a replica shows the whole cluster');
my $m2 = $etcd->get('/service/test/members/node2');
like($m2, qr/"role":"replica"/, 'member key of node2 says replica');
like($m2, qr/"conn_url":"postgres:\/\/127\.0\.0\.1:\d+\/postgres"/, 'member key has a conn_url');
like($m2, qr/"xlog_location":\d+/, 'member key has xlog_location');

# --- patronictl reads the cluster
my $out = $etcd->patronictl('list');
note $out;
like($out, qr/node1\s*\|\s*127\.0\.0\.1:\d+\s*\|\s*Leader\s*\|\s*running\s*\|\s*1\s*\|/,
	'patronictl list: node1 is the Leader, running, timeline 1');
like($out, qr/node2\s*\|\s*127\.0\.0\.1:\d+\s*\|\s*Replica\s*\|\s*running\s*\|\s*1\s*\|\s*0\s*\|/,
	'patronictl list: node2 is a running Replica with lag 0');
like($out, qr/node3\s*\|\s*127\.0\.0\.1:\d+\s*\|\s*Replica\s*\|\s*running\s*\|\s*1\s*\|\s*0\s*\|/,
	'patronictl list: node3 is a running Replica with lag 0');

# --- a node of another cluster is refused
my $stranger = Pgha::Node::new_node('stranger', etcd => $etcd);
$stranger->start;
$stranger->wait_for_log(qr/pgha decision: sysid_mismatch/);
ok($etcd->poll_key('/service/test/members/stranger', qr/"state":"sysid mismatch"/, 30),
	'the stranger publishes that its system identifier does not match');
is($etcd->get('/service/test/leader'), 'node1', 'the stranger never touched the leader key');
$stranger->stop;

# --- kill -9 of the primary's postmaster: exactly one replica takes over
my $url = Pgha::Node::multi_host_url($node1, $node2, $node3);
my %started = map { $_->name => $_->safe_psql('postgres', 'SELECT pg_postmaster_start_time()') } ($node2, $node3);
my %log_from = map { $_->name => -s $_->logfile } ($node2, $node3);
my $t0 = time;
$node1->kill9;
my $new_leader;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a replica took the leader key');
$new_leader = $etcd->get('/service/test/leader');
my ($winner, $other) = $new_leader eq 'node2' ? ($node2, $node3) : ($node3, $node2);

my $written = 0;
my $deadline = time + 60;
while (time < $deadline)
{
	my $rc = system('psql', '-X', '-q', '-d', $url, '-c', "INSERT INTO t VALUES (2, 'after failover')");
	if ($rc == 0) { $written = 1; last; }
	usleep(100_000);
}
my $failover_s = time - $t0;
ok($written, 'a write through the multi-host URL (target_session_attrs=read-write) succeeded');
diag(sprintf('failover: kill -9 of the primary postmaster to first accepted write: %.1f s (ttl %d s)',
	$failover_s, $ttl));
is($winner->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', "$new_leader was promoted");
is($other->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', $other->name . ' is still a standby');
is($winner->safe_psql('postgres', 'SELECT timeline_id FROM pg_control_checkpoint()') >= 1 ? 1 : 0, 1,
	'the new primary has a checkpoint');

ok( $winner->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = '" . $other->name . "' AND state = 'streaming'"),
	$other->name . ' follows the new leader (streaming)');
ok( $other->poll_query_until('postgres', "SELECT who = 'after failover' FROM t WHERE id = 2"),
	$other->name . ' has the row written after the failover');
is($other->safe_psql('postgres', 'SELECT received_tli FROM pg_stat_wal_receiver'), '2',
	$other->name . ' streams on the new timeline');
like($etcd->get('/service/test/history'), qr/^\[\[1,\d+,"no recovery target specified","[^"]+","$new_leader"\]\]$/,
	'history records the timeline switch');
ok($winner->wait_for_log(qr/pgha: promoted to primary/, $log_from{ $winner->name }), 'the winner logged its promotion');
is($other->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started{ $other->name },
	$other->name . ' re-pointed to the new leader without a restart');

# one LOG line per role change, the reason in DETAIL
sub role_lines
{
	my ($node) = @_;
	my $log = slurp_file($node->logfile, $log_from{ $node->name });
	my @l;
	push @l, [ $1, $2 ] while $log =~ /LOG:\s+(pgha: [^\n]*)\n(?:[^\n]*DETAIL:\s+([^\n]*))?/g;
	return @l;
}
my @won = role_lines($winner);
is_deeply([ map { $_->[0] } @won ], [ 'pgha: this node is the leader', 'pgha: promoted to primary' ],
	"the winner's role changes: one line each (leader, promoted)") or diag explain \@won;
like($won[0][1] // '', qr/^Won the leader race; lease \d+, ttl \d+ s\. There is no leader, and this node is the best candidate/,
	'... with the reason in DETAIL');
like($won[1][1] // '', qr/^New timeline 2, \d+ ms after the request/, '... and the promotion\'s timeline and time');
my @followed = role_lines($other);
is_deeply([ map { $_->[0] } @followed ], [ "pgha: following leader \"$new_leader\"" ],
	$other->name . "'s role change: one line (following)") or diag explain \@followed;

# patronictl sees the new leader and timeline
my $after = '';
ok(poll_until(sub {
		$after = $etcd->patronictl('list');
		$after =~ /$new_leader\s*\|[^|]*\|\s*Leader\s*\|\s*running\s*\|\s*2\s*\|/
		  && $after =~ /${\ $other->name}\s*\|[^|]*\|\s*Replica\s*\|\s*running\s*\|\s*2\s*\|/;
	}), "patronictl list after the failover: $new_leader leads on timeline 2, " . $other->name . ' replicates on it')
  or diag($after);

my $losers = 0;
for my $n ($node2, $node3)
{
	$losers++ if $n->safe_psql('postgres', 'SELECT pg_is_in_recovery()') eq 't';
}
is($losers, 1, 'exactly one node is writable');

# --- fencing: the leader loses etcd and stops accepting writes before ttl
$etcd->pause($_) for 1 .. 3;
my $tf = time;
my $fenced = 0;
$deadline = time + 3 * $ttl;
while (time < $deadline)
{
	# psql reads the statement from a pipe: a server that goes down as psql
	# starts makes it exit before it reads, and IPC::Run dies of the broken
	# pipe (CI at 4735bde); that too is a write refused
	my $rc = eval {
		($winner->psql('postgres', "INSERT INTO t VALUES (3, 'must not land') ON CONFLICT DO NOTHING",
			timeout => 2))[0];
	} // 1;
	if ($rc != 0) { $fenced = 1; last; }
	usleep(100_000);
}
my $fence_s = time - $tf;
ok($fenced, "the leader stopped accepting writes without etcd");
cmp_ok($fence_s, '<', $ttl, sprintf('within the ttl (%.1f s < %d s)', $fence_s, $ttl));
$winner->wait_for_log(qr/pgha: fencing this primary/);
my ($rc2) = $winner->psql('postgres', 'SELECT 1', timeout => 2);
isnt($rc2, 0, 'the fenced node is down');
ok(-f $winner->data_dir . '/standby.signal', 'the fenced node will restart as a standby');
$etcd->resume($_) for 1 .. 3;

# etcd is back: the remaining replica takes over; still only one writable node
ok($etcd->poll_key('/service/test/leader', qr/^${\ $other->name}$/, 60),
	$other->name . ' becomes the leader once the fenced leader\'s lease is gone');
ok($other->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	$other->name . ' is promoted');

# every "pgha: " line the nodes wrote is in the vocabulary of docs/ha.md
my ($doc) = slurp_file("$FindBin::RealBin/../docs/ha.md") =~ /^## Log lines\n(.*?)(?=^## |\z)/ms;
my @vocab = map {
	my $p = quotemeta($_);
	$p =~ s/\\<[^>]*\\>|\\\.\\\.\\\.|\bN\b/.*/g;    # <name>, ..., N: anything
	qr/^$p/
} grep { /^pgha: \S/ } ($doc // '') =~ /`(?:[A-Z]+: )?(pgha: [^`]*)`/g;
ok(@vocab > 10, scalar(@vocab) . ' role-change lines documented');
my @unlisted;
for my $n ($node1, $node2, $node3)
{
	for my $line (slurp_file($n->logfile) =~ /(?:LOG|WARNING):\s+(pgha: [^\n]*)/g)
	{
		push @unlisted, $n->name . ": $line" unless grep { $line =~ $_ } @vocab;
	}
}
is_deeply(\@unlisted, [], 'every "pgha: " line in the logs is in docs/ha.md\'s list');

Pgha::Node::forget_if_down($winner);
$other->stop;
$etcd->stop;
done_testing();

sub poll_until
{
	my ($cond) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		return 1 if $cond->();
		usleep(200_000);
	}
	return 0;
}
