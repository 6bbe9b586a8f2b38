
# Permanent physical slots (the config's "slots", Patroni's format): the
# leader keeps them, every replica keeps a copy advanced to the leader's
# published position, so an external consumer (pg_receivewal here) resumes
# on the new primary after a kill -9 of the old one's postmaster, without a
# gap.  A slot ignore_slots names is not made; pgha.slots() shows each
# copy's state.  Logical slots: t/210.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use File::Path ();

use Pgha::Etcd;
use Pgha::Run;

my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config',
	'{"ttl":6,"loop_wait":1,"retry_timeout":2,"slots":{"backup":{"type":"physical"},"skipme":null,"spare":0,"node3":{}},'
	  . '"ignore_slots":[{"name":"skipme"}]}');
my $dir = PostgreSQL::Test::Utils::tempdir();
open my $bs, '>', "$dir/bootstrap.sql" or die;
print $bs "CREATE EXTENSION pgha;\n";
close $bs;
my $c = Pgha::Run->new(etcd => $etcd, nodes => 3, conf => [ "pghactl.bootstrap_sql = '$dir/bootstrap.sql'" ]);

sub leader { return $etcd->get('/service/test/leader') // ''; }
sub slot_lsn
{
	my ($node, $slot) = @_;
	return $c->sql($node, "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '$slot'");
}

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
$c->start($_) for qw(node2 node3);
ok($c->streams_from('node1', $_), "$_ streams") for qw(node2 node3);

for my $n (qw(node1 node2 node3))
{
	ok($c->poll_sql($n, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'backup' AND slot_type = 'physical'", '1'),
		"$n keeps the permanent slot \"backup\"");
}
is($c->sql('node2', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'skipme'"), '0',
	'a slot ignore_slots names is not made');
like($etcd->get('/service/test/status'), qr/"slots":\{"backup":\d+,/, 'the status key has the slot\'s position');

# a consumer on the leader; WAL flows (--synchronous: it reports each
# position it flushed at once, which is what moves a physical slot)
my $wal = "$dir/wal";
File::Path::make_path($wal);
my $user = getpwuid($<);
my $recv = IPC::Run::start([ 'pg_receivewal', '-h', '127.0.0.1', '-p', $c->{port}{node1}, '-U', $user,
	  '-S', 'backup', '-D', $wal, '-n', '--synchronous' ], '>', "$dir/recv1.log", '2>&1');
ok($c->poll_sql('node1', "SELECT active FROM pg_replication_slots WHERE slot_name = 'backup'", 't'),
	'pg_receivewal streams from "backup" on node1');
my $before = slot_lsn('node1', 'backup');
$c->sql('node1', 'CREATE TABLE t AS SELECT g FROM generate_series(1, 100000) g');
$c->sql('node1', 'SELECT pg_switch_wal()');
$c->sql('node1', 'INSERT INTO t SELECT g FROM generate_series(1, 100000) g');
# (past where the replicas' copies began, their redo points: a copy is
# advanced to the consumer's position, never back)
my @copies = map { slot_lsn($_, 'backup') } qw(node2 node3);
ok($c->poll_sql('node1', "SELECT restart_lsn > '$before' AND restart_lsn >= '$copies[0]' AND restart_lsn >= '$copies[1]' "
		  . "FROM pg_replication_slots WHERE slot_name = 'backup'", 't'),
	'the consumer moves the leader\'s slot, past where the replicas\' copies began');
# the consumer stops; the leader's slot stays where it was
$recv->signal('TERM');
$recv->finish;
# pg_receivewal pads a new segment file with zeros before it writes WAL
# there; stopped during that, it leaves a file of another size, which
# PostgreSQL 15's pg_receivewal refuses to reopen ("should be 0 or
# 16777216").  It holds no WAL (the slot did not move into it): it goes.
for my $partial (glob "$wal/*.partial")
{
	my $size = -s $partial;
	next if $size == 0 || $size == 16 * 1024 * 1024;
	note "removing $partial: $size bytes, a pre-padding cut short";
	unlink $partial;
}
my $consumer = slot_lsn('node1', 'backup');
$c->sql('node1', 'INSERT INTO t SELECT g FROM generate_series(1, 100000) g');
my $end = $c->sql('node1', 'SELECT pg_current_wal_lsn()');
for my $n (qw(node2 node3))
{
	ok($c->poll_sql($n, "SELECT pg_last_wal_replay_lsn() >= '$end'", 't'), "$n replayed everything");
	ok($c->poll_sql($n, "SELECT restart_lsn = '$consumer' FROM pg_replication_slots WHERE slot_name = 'backup'", 't', 30),
		"$n\'s copy advanced to the consumer's position ($consumer)");
	is($c->sql($n, "SELECT state FROM pgha.slots() WHERE slot_name = 'backup'"), 'copy, in step',
		"pgha.slots() on $n: copy, in step");
}
is($c->sql('node1', "SELECT state FROM pgha.slots() WHERE slot_name = 'backup'"), 'kept', 'pgha.slots() on the leader: kept');
is($c->sql('node1', "SELECT state FROM pgha.slots() WHERE slot_name = 'node3'"),
	"a member's slot (the member's, not kept as permanent)", 'a permanent slot named after a member is the member\'s');

# a copy that reserves no WAL (made by hand without reserving) is made anew
$c->sql('node3', "SELECT pg_drop_replication_slot('spare'); SELECT pg_create_physical_replication_slot('spare', false)");
ok($c->poll_sql('node3', "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'spare'", 't', 30),
	'node3\'s copy of "spare" that reserved no WAL was made anew');
like(slurp_file($c->log('node3')), qr/pgha made the permanent replication slot "spare" anew/, '... and says so');

# kill -9 of the leader's postmaster: another member takes over, with the slot
my $pid = (split /\n/, slurp_file($c->data('node1') . '/postmaster.pid'))[0];
kill 'KILL', $pid;
my $deadline = time + 60;
usleep(100_000) while time < $deadline && leader() =~ /^(node1)?$/;
my $new = leader();
like($new, qr/^node[23]$/, "$new took over");
ok($c->poll_sql($new, 'SELECT pg_is_in_recovery()', 'f'), "$new is a primary");
my $kept = slot_lsn($new, 'backup');
is($c->sql($new, "SELECT '$kept' <= '$consumer'::pg_lsn"), 't',
	"the new primary's slot ($kept) holds WAL from the consumer's position ($consumer) on");

# pg_receivewal resumes on the primary $node from where it stopped: WAL is
# written, it streams past it, and its log shows no WAL missing
sub resume_on
{
	my ($node, $log, $what) = @_;
	$c->sql($node, 'INSERT INTO t SELECT g FROM generate_series(1, 1000) g');
	$c->sql($node, 'SELECT pg_switch_wal()');
	my $recv = IPC::Run::start([ 'pg_receivewal', '-h', '127.0.0.1', '-p', $c->{port}{$node}, '-U', $user,
		  '-S', 'backup', '-D', $wal, '-n', '--synchronous' ], '>', "$dir/$log.log", '2>&1');
	ok($c->poll_sql($node, "SELECT active FROM pg_replication_slots WHERE slot_name = 'backup'", 't'),
		"pg_receivewal streams from \"backup\" on $node");
	my $after = $c->sql($node, 'SELECT pg_current_wal_lsn()');
	ok($c->poll_sql($node, "SELECT restart_lsn >= '$after' FROM pg_replication_slots WHERE slot_name = 'backup'", 't', 30),
		"and gets past $what");
	$recv->signal('TERM');
	$recv->finish;
	unlike(slurp_file("$dir/$log.log"), qr/removed|not in this server's history|error/i, 'no WAL was missing')
	  or diag(slurp_file("$dir/$log.log"));
	return;
}

# the consumer resumes on the new primary where it stopped, without a gap
resume_on($new, 'recv2', 'the failover');
ok(-f "$wal/00000002.history", 'it followed the new timeline');

# a switchover: the consumer stopped; the candidate's copy is in step with
# its position; it resumes on the new primary without a gap
my ($to) = grep { $_ ne $new } qw(node2 node3);
my $stopped = slot_lsn($new, 'backup');
ok($c->poll_sql($to, "SELECT state FROM pgha.slots() WHERE slot_name = 'backup'", 'copy, in step', 30),
	"$to: its copy is in step with the consumer ($stopped)");
# (the call's session ends with the old primary's shutdown)
$c->sql($new, "SELECT pgha.switchover('$to')");
ok($etcd->poll_key('/service/test/leader', qr/^$to$/, 60), "switchover to $to");
ok($c->poll_sql($to, 'SELECT pg_is_in_recovery()', 'f'), "$to is the primary");
is($c->sql($to, "SELECT restart_lsn <= '$stopped' FROM pg_replication_slots WHERE slot_name = 'backup'"), 't',
	"its slot holds WAL from the consumer's position on");
resume_on($to, 'recv3', 'the switchover');
ok(-f "$wal/00000003.history", 'it followed the timeline of the switchover');

$c->stop($_) for qw(node1 node2 node3);
$etcd->stop;
done_testing();
