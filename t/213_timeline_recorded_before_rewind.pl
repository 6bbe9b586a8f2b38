
# A timeline etcd does not know of is recorded there before pg_rewind
# erases it.
#
# A node can end up on a timeline no reservation covers: a promotion
# taken late (its node frozen) picks its id after the newest history file
# it finds, which the walreceiver or restore_command may have brought in
# meanwhile (the simulator found that one), or a DBA promoted a standby by
# hand.  pghactl run rewinds such a node against the leader, and pg_rewind
# removes the history file of that timeline.  Nothing would then remember
# the id, and the next promotion elsewhere would take it again: two
# timelines with one id, which pg_rewind and streaming cannot tell apart
# ("source and target cluster are on the same timeline", no rewind, and a
# standby replaying another fork's WAL on top of its own).
#
# node2 is promoted by hand while its worker is not loaded (timeline 2,
# which nobody reserved), gets a write of its own, stops; pghactl run
# rewinds it against node1.  A switchover to node3 must then take
# timeline 3.  Then node1 is promoted by hand while down and a switchover
# to node2 takes the same id before node1 could record it: pghactl run
# must refuse node1, which only a new copy can bring back.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Run;

my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $c = Pgha::Run->new(etcd => $etcd, nodes => 3);

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
ok($c->poll_sql('node1', 'SELECT pg_is_in_recovery()', 'f'), 'node1 runs');
$c->sql('node1', 'CREATE EXTENSION pgha; CREATE TABLE w (id int, node text)');
$c->start($_) for qw(node2 node3);
ok($c->streams_from('node1', $_), "$_ streams from node1") for qw(node2 node3);
$c->sql('node1', "INSERT INTO w VALUES (1, 'node1')");
ok($c->poll_sql('node2', 'SELECT count(*) FROM w', '1'), 'node2 has node1\'s write');
is($etcd->get('/service/test/timeline'), undef, 'no timeline id is reserved yet');

# node2 leaves pghactl run's hands and is promoted by hand, without pgha
$c->stop('node2');
my $data2 = $c->data('node2');
my $pglog = "$c->{base}/node2.by_hand.log";
my $nopgha = "-c shared_preload_libraries=''";
# the timeline of the WAL a primary writes
my $tli = 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)';
command_ok([ 'pg_ctl', '-D', $data2, '-l', $pglog, '-o', $nopgha, '-w', 'start' ],
	'node2 starts by hand without pgha');
command_ok([ 'pg_ctl', '-D', $data2, '-w', 'promote' ], 'node2 is promoted by hand');
ok($c->poll_sql('node2', 'SELECT pg_is_in_recovery()', 'f'), 'node2 runs as a primary');
is($c->sql('node2', $tli), '00000002',
	'node2 took timeline 2, which nobody reserved');
$c->sql('node2', "INSERT INTO w VALUES (2, 'node2')");
command_ok([ 'pg_ctl', '-D', $data2, '-m', 'fast', '-w', 'stop' ], 'node2 stops');
ok(-e "$data2/pg_wal/00000002.history", 'node2\'s pg_wal has the history file of timeline 2');

# pghactl run rewinds it; timeline 2 is recorded first
my $from = -s $c->log('node2');
$c->start('node2');
ok($c->poll_log('node2', qr/"node1" leads: rewinding this node/, 90),
	'pghactl run rewound node2 against node1');
ok($c->streams_from('node1', 'node2'), 'node2 streams from node1 again');
ok($c->poll_sql('node2', "SELECT count(*) FROM w WHERE node = 'node2'", '0'),
	'node2\'s own write is gone with its timeline');
ok(!-e "$data2/pg_wal/00000002.history", 'pg_rewind removed the history file of timeline 2');
like($etcd->get('/service/test/timeline') // '', qr/"timeline":2,"member":"node2"/,
	'timeline 2 is recorded in etcd (before: nothing)');
like(slurp_file($c->log('node2'), $from), qr/recorded timeline 2 in etcd.*\n(.*\n)*.*leads: rewinding this node/,
	'pghactl says so, before it rewinds');

# the next promotion counts past it
my ($rc, $out, $err) = $c->pghactl('switchover', '--candidate', 'node3', '--force');
is($rc, 0, 'pghactl switchover to node3') or diag($out . $err);
ok($etcd->poll_key('/service/test/leader', qr/^node3$/, 60), 'node3 leads');
ok($c->poll_sql('node3', 'SELECT pg_is_in_recovery()', 'f'), 'node3 runs as a primary');
is($c->sql('node3', $tli), '00000003',
	'node3 took timeline 3, not 2 again (before: 2, the id of node2\'s erased fork)');
$c->sql('node3', "INSERT INTO w VALUES (3, 'node3')");
ok($c->streams_from('node3', $_), "$_ streams from node3") for qw(node1 node2);
ok($c->poll_sql('node2', 'SELECT count(*) FROM w', '2'), 'node2 has node3\'s write');

# --- a promotion elsewhere took the id first (the node was down, or cut
# off from etcd, and could not record it): the same id, two timelines.
# pghactl run must not rewind such a node (pg_rewind finds "no rewind
# required") nor start it as a standby: it would replay the cluster's WAL
# on top of its own.  It refuses, and pghactl reinit copies it anew.
$c->stop('node1');
my $data1 = $c->data('node1');
$pglog = "$c->{base}/node1.by_hand.log";
command_ok([ 'pg_ctl', '-D', $data1, '-l', $pglog, '-o', $nopgha, '-w', 'start' ],
	'node1 starts by hand without pgha');
command_ok([ 'pg_ctl', '-D', $data1, '-w', 'promote' ], 'node1 is promoted by hand');
ok($c->poll_sql('node1', 'SELECT pg_is_in_recovery()', 'f'), 'node1 runs as a primary');
is($c->sql('node1', $tli), '00000004', 'node1 took timeline 4, which nobody reserved');
$c->sql('node1', "INSERT INTO w VALUES (4, 'node1')");
command_ok([ 'pg_ctl', '-D', $data1, '-m', 'fast', '-w', 'stop' ], 'node1 stops, before pghactl could record timeline 4');

($rc, $out, $err) = $c->pghactl('switchover', '--candidate', 'node2', '--force');
is($rc, 0, 'pghactl switchover to node2, node1 down') or diag($out . $err);
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 leads');
ok($c->poll_sql('node2', $tli, '00000004'), 'node2 took timeline 4 too: the same id, another timeline');
$c->sql('node2', "INSERT INTO w VALUES (5, 'node2')");

$from = -s $c->log('node1');
$c->start('node1');
my $refusal = qr/timeline 4 of this node is not the cluster's timeline 4: they began at different points/;
# the refusal twice: the second round came, and nothing started in between
sub refusals { my @r = slurp_file($c->log('node1'), $from) =~ /$refusal/g; return scalar @r; }
my $deadline = time + 60;
usleep(100_000) while time < $deadline && refusals() < 2;
my $log1 = slurp_file($c->log('node1'), $from);
cmp_ok(refusals(), '>=', 2,
	'pghactl run refuses to rewind or start node1, round after round (before: pg_rewind, "no rewind required", started)');
unlike($log1, qr/started PostgreSQL|running: \S+pg_rewind/, 'node1 was neither rewound nor started');
like($log1, qr/pghactl reinit -c/, 'the hint names pghactl reinit');
$c->stop('node1');

($rc, $out, $err) = $c->pghactl('reinit', '--force');
is($rc, 0, 'pghactl reinit copies node1 anew') or diag($out . $err);
$c->start('node1');
ok($c->streams_from('node2', 'node1'), 'node1 streams from node2');
ok($c->poll_sql('node1', 'SELECT string_agg(node, \',\' ORDER BY id) FROM w', 'node1,node3,node2'),
	'node1 has the cluster\'s rows and nothing of its own timeline 4');

$c->stop($_) for qw(node1 node2 node3);
done_testing();
