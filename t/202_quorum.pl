
# Quorum commit: synchronous_mode "quorum", synchronous_node_count 2, one
# primary and three standbys.  Commits wait for ANY 2 of the three, so one
# stopped standby does not hold them up; two do, until the leader drops
# them (after retry_timeout, not in strict mode: there commits wait while
# fewer than synchronous_node_count standbys are eligible).  The sync key says how
# many members a candidate must see: after a kill -9 of the primary while
# one standby is stopped, the new leader holds every acknowledged row.

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

my $etcd = Pgha::Etcd->new(members => 3);
my @nodes = Pgha::Node::start_cluster(etcd => $etcd, nodes => 4, api => 1,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2,"synchronous_mode":"quorum","synchronous_node_count":2}');
my %node = map { $_->name => $_ } @nodes;
my $node1 = $node{node1};
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_), "$_ streams") for qw(node2 node3 node4);

# the steady state: ANY 2 of the three, and a key any two of whom (with the
# leader) include one with every commit
ok($node1->poll_query_until('postgres',
		q{SELECT current_setting('synchronous_standby_names') = 'ANY 2 ("node2","node3","node4")'}),
	'synchronous_standby_names is ANY 2 of the three standbys');
ok($etcd->poll_key('/service/test/sync',
		qr/^\{"leader":"node1","sync_standby":"node2,node3,node4","quorum":1\}$/, 30),
	'the sync key names the three, quorum 1 (Patroni 4\'s shape)');
is($node1->safe_psql('postgres',
		"SELECT string_agg(application_name || ':' || sync_state, ',' ORDER BY application_name) FROM pg_stat_replication"),
	'node2:quorum,node3:quorum,node4:quorum', 'PostgreSQL treats all three as quorum standbys');
ok($node1->poll_query_until('postgres',
		"SELECT count(*) = 3 FROM pgha.members() WHERE role = 'quorum_standby'"),
	'pgha.members() shows three quorum_standby members');
my $ctlconf = PostgreSQL::Test::Utils::tempdir() . '/pghactl.conf';
PostgreSQL::Test::Utils::append_to_file($ctlconf,
	"pgha.etcd_hosts = '" . $etcd->endpoints . "'\npgha.scope = 'test'\npgha.name = 'node1'\n");
my ($list, $list_err) = ('', '');
IPC::Run::run([ 'pghactl', 'list', '-c', $ctlconf ], '>', \$list, '2>', \$list_err);
like($list, qr/^node2\s+\S+\s+Quorum Standby\s+streaming/m, 'pghactl list: Quorum Standby') or diag($list_err);
# the REST API for load balancers: GET /quorum on a quorum standby
sub http_status
{
	my ($n, $path) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'curl', '-s', '-o', '/dev/null', '-m', '5', '-w', '%{http_code}',
			'http://127.0.0.1:' . $n->{pgha_api_port} . $path ], '>', \$out, '2>', \$err);
	return $out;
}
is(join(' ', map { http_status($node{node2}, $_) } qw(/quorum /read-only-quorum /sync /async)), '200 200 503 503',
	'node2: GET /quorum and /read-only-quorum 200, /sync and /async 503 (Patroni 4)');
is(http_status($node1, '/quorum') . ' ' . http_status($node1, '/read-only-quorum'), '503 200',
	'the leader: /quorum 503, /read-only-quorum 200');
like($etcd->patronictl('list'), qr/node2\s*\|[^|]+\|\s*Sync Standby\s*\|/,
	"Patroni 3.0.2's patronictl reads the key too (it knows no quorum: Sync Standby)");

$node1->safe_psql('postgres', 'CREATE TABLE t (id int PRIMARY KEY)');

# stop a standby's WAL receiver
sub walreceiver
{
	my ($n) = @_;
	my $pid;
	$n->poll_query_until('postgres', "SELECT count(*) = 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'");
	$pid = $n->safe_psql('postgres', 'SELECT pid FROM pg_stat_wal_receiver');
	return $pid;
}
my %stopped;
sub stop_receiver { my ($name) = @_; $stopped{$name} = walreceiver($node{$name}); kill 'STOP', $stopped{$name}; }
sub cont_receiver { my ($name) = @_; kill 'CONT', delete $stopped{$name}; }
END { kill 'CONT', $_ for values %stopped; }

# one stopped: the other two acknowledge
stop_receiver('node4');
my ($rc, $out, $err) = $node1->psql('postgres', 'INSERT INTO t VALUES (1)', timeout => 10);
is($rc, 0, 'node4 stopped: a commit goes through on node2 and node3');

# two stopped: commits wait, until the leader drops the silent ones
stop_receiver('node3');
my ($in, $wout, $werr) = ('', '', '');
my $waiting = IPC::Run::start([ 'psql', '-X', '-d', $node1->connstr('postgres'), '-c', 'INSERT INTO t VALUES (2)' ],
	'<', \$in, '>', \$wout, '2>', \$werr);
ok( $node1->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'INSERT INTO t VALUES (2)%'"),
	'node3 and node4 stopped: a commit waits (SyncRep)');
$waiting->finish;
is($? >> 8, 0, 'and completes once the leader drops the silent standbys (retry_timeout, non-strict)')
  or diag("$wout / $werr");
is($node1->safe_psql('postgres', 'SHOW synchronous_standby_names'), 'ANY 1 ("node2")',
	'synchronous_standby_names: ANY 1 of the one left');
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":"node2","quorum":0\}$/, 30),
	'and the key names node2 alone, quorum 0 (it has every commit)');
ok($node1->wait_for_log(qr/pgha: sync key names "node2", "node3", "node4", quorum 2/),
	'on the way the key first rose to quorum 2, before the setting fell to ANY 1');

# both back: the key and the setting grow again, the key first
cont_receiver('node3');
cont_receiver('node4');
ok($etcd->poll_key('/service/test/sync',
		qr/^\{"leader":"node1","sync_standby":"node2,node3,node4","quorum":1\}$/, 60),
	'both back: ANY 2 of three and quorum 1 again');

# kill -9 of the primary under a writer while one standby is stopped
stop_receiver('node4');
my $writer = Pgha::Node::writer('host=127.0.0.1 port=' . $node1->port . ' dbname=postgres',
	'INSERT INTO t VALUES (100 + $i)');
Pgha::Node::wait_acked($writer, 50);
my $pid = (split /\n/, slurp_file($node1->data_dir . '/postmaster.pid'))[0];
kill 'KILL', $pid;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'node2 or node3 took over');
Pgha::Node::stop_writer($writer);
Pgha::Node::forget_if_down($node1);
my $leader = $etcd->get('/service/test/leader');
my $new = $node{$leader};
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$leader runs as primary");
my @acked = map { 100 + $_ } Pgha::Node::acked($writer);
my $present = $new->safe_psql('postgres',
	'SELECT count(*) FROM t WHERE id IN (' . join(',', @acked) . ')');
is($present, scalar(@acked), scalar(@acked) . " acknowledged rows before the kill, all on $leader");

# node4's receiver resumes: it follows the new leader, which makes the two
# standbys its quorum
cont_receiver('node4');
my $other = $leader eq 'node2' ? 'node3' : 'node2';
ok(Pgha::Node::streaming($new, $_), "$_ streams from $leader") for ($other, 'node4');
ok($etcd->poll_key('/service/test/sync',
		qr/^\{"leader":"$leader","sync_standby":"$other,node4","quorum":0\}$/, 60),
	"$leader: ANY 2 of its two standbys, quorum 0");

# Patroni 4's sync_priority tag: 0 is never a quorum standby
$node{node4}->append_conf('postgresql.conf', 'pgha.sync_priority = 0');
$node{node4}->reload;
ok($etcd->poll_key('/service/test/sync', qr/^\{"leader":"$leader","sync_standby":"$other","quorum":0\}$/, 60),
	'node4 with sync_priority 0: the key names only the other standby');
ok($new->poll_query_until('postgres',
		qq{SELECT current_setting('synchronous_standby_names') = 'ANY 1 ("$other")'}),
	"and synchronous_standby_names is ANY 1 (\"$other\")");
like($new->safe_psql('postgres', "SELECT tags FROM pgha.members() WHERE member = 'node4'"),
	qr/"sync_priority": 0/, "pgha.members() shows node4's sync_priority tag");

# a value set by hand is noticed: the key first stops trusting the standby
# it named (quorum 1 of one: only the leader counts), then pgha's value
# comes back
my $offset = -s $new->logfile;
$new->safe_psql('postgres', "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (node9)'; SELECT pg_reload_conf()");
ok($new->wait_for_log(qr/pgha: synchronous_standby_names is 'ANY 1 \(node9\)', not the 'ANY 1 \("$other"\)' pgha set/,
		$offset), 'synchronous_standby_names set by hand: pgha notices');
ok($new->wait_for_log(qr/pgha: sync key names "$other", quorum 1/, $offset),
	'the key stops counting on a standby the hand-set value does not wait for');
ok($new->poll_query_until('postgres',
		qq{SELECT current_setting('synchronous_standby_names') = 'ANY 1 ("$other")'}),
	"pgha's value is back");
ok($etcd->poll_key('/service/test/sync', qr/^\{"leader":"$leader","sync_standby":"$other","quorum":0\}$/, 60),
	'and the key, once confirmed again');

# synchronous_mode_strict: synchronous_node_count standbys acknowledge
# every commit; with fewer eligible (node4 has sync_priority 0), commits wait
$new->safe_psql('postgres',
	q{SELECT pgha.set_config('{"synchronous_mode_strict":true,"synchronous_node_count":2}')});
ok($new->poll_query_until('postgres',
		qq{SELECT current_setting('synchronous_standby_names') = 'ANY 2 ("$other")'}),
	"strict, one eligible standby of two wanted: ANY 2 (\"$other\")");
($in, $wout, $werr) = ('', '', '');
$waiting = IPC::Run::start([ 'psql', '-X', '-d', $new->connstr('postgres'), '-c', 'INSERT INTO t VALUES (500)' ],
	'<', \$in, '>', \$wout, '2>', \$werr);
ok( $new->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'INSERT INTO t VALUES (500)%'"),
	'and a commit waits (SyncRep), though that standby streams');
# still waiting after several loops of the leader: it does not weaken the setting
my $t0 = $new->safe_psql('postgres', 'SELECT now()');
ok($new->poll_query_until('postgres',
		"SELECT last_decision > '$t0'::timestamptz + interval '3 s' FROM pgha.status()"),
	'the leader decided again for 3 s (loop_wait 1)');
is($new->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'INSERT INTO t VALUES (500)%'"),
	'1', 'the commit still waits');
$node{node4}->append_conf('postgresql.conf', 'pgha.sync_priority = 1');
$node{node4}->reload;
$waiting->finish;
is($? >> 8, 0, 'node4 eligible again: the commit completes') or diag("$wout / $werr");
ok($new->poll_query_until('postgres',
		qq{SELECT current_setting('synchronous_standby_names') = 'ANY 2 ("$other","node4")'}),
	'on ANY 2 of both');
ok($etcd->poll_key('/service/test/sync', qr/^\{"leader":"$leader","sync_standby":"$other,node4","quorum":0\}$/, 60),
	'the key names both, quorum 0');
$new->safe_psql('postgres', q{SELECT pgha.set_config('{"synchronous_mode_strict":false}')});

# synchronous mode first-n again: the quorum key names nobody first
$new->safe_psql('postgres', q{SELECT pgha.set_config('{"synchronous_mode":true,"synchronous_node_count":1}')});
ok($new->poll_query_until('postgres',
		q{SELECT current_setting('synchronous_standby_names') LIKE 'FIRST 1 (%'}),
	'synchronous_mode true: FIRST 1 again');
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":"node\d","quorum":0\}$/, 30),
	'and the key names one synchronous standby');

$_->stop(undef, fail_ok => 1) for ($new, $node{$other}, $node{node4});
$etcd->stop;
done_testing();
