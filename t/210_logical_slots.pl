
# Permanent logical slots (the config's "slots", Patroni's format): the
# leader creates the slot; each replica keeps a copy in step with the
# leader's and says when it is ready; pg_recvlogical, connected through a
# host list, keeps consuming across a kill -9 of the primary's postmaster
# and receives every acknowledged row at least once.  A logical slot
# ignore_slots names is left alone; a copy ahead of the leader's slot is
# made anew.

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
# synchronous mode: an acknowledged row is on the standby that takes over
$etcd->put('/service/test/config',
	'{"ttl":6,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true,'
	  . '"slots":{"cdc":{"type":"logical","database":"postgres","plugin":"test_decoding"},'
	  . '"skipped":{"type":"logical","database":"postgres","plugin":"test_decoding"}},'
	  . '"ignore_slots":[{"name":"dba_slot"},{"name":"skipped","type":"logical"}]}');
my $dir = PostgreSQL::Test::Utils::tempdir();
open my $bs, '>', "$dir/bootstrap.sql" or die;
print $bs "CREATE EXTENSION pgha;\nCREATE TABLE t (i int PRIMARY KEY);\n";
close $bs;
my $c = Pgha::Run->new(
	etcd => $etcd,
	nodes => 3,
	conf => [ "pghactl.bootstrap_sql = '$dir/bootstrap.sql'", "wal_level = logical",
		"wal_receiver_status_interval = 1s" ]);

sub leader { return $etcd->get('/service/test/leader') // ''; }
sub state  { return $c->sql($_[0], "SELECT state FROM pgha.slots() WHERE slot_name = 'cdc'"); }

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
$c->start($_) for qw(node2 node3);
ok($c->streams_from('node1', $_), "$_ streams") for qw(node2 node3);

ok($c->poll_sql('node2', 'SHOW hot_standby_feedback', 'on', 30),
	'hot_standby_feedback is on on the replicas (forced while the config has a logical slot)');
ok($c->poll_sql('node1', "SELECT slot_type || ' ' || plugin || ' ' || database FROM pg_replication_slots WHERE slot_name = 'cdc'",
		'logical test_decoding postgres', 60),
	'the leader creates the permanent logical slot');
like(slurp_file($c->log('node1')), qr/pgha created the permanent logical replication slot "cdc"/, '... and says so');
is(state('node1'), 'kept', 'pgha.slots() on the leader: kept');
is($c->sql('node1', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'skipped'"), '0',
	'a permanent logical slot ignore_slots names is not created');
ok($etcd->poll_key('/service/test/status', qr/"slots":\{"cdc":\d+\},"pgha_logical":\{"cdc":\{"catalog_xmin":\d+,"restart_lsn":\d+\}\}/, 30),
	'the status key has its confirmed_flush_lsn in "slots" (as Patroni) and the rest in pgha_logical');

like($etcd->patronictl('show-config'), qr/slots:\n\s+cdc:\n\s+database: postgres\n\s+plugin: test_decoding\n\s+type: logical\n\s+skipped:\n/,
	"Patroni 3.0.2's patronictl show-config reads the same logical slot");

# a DBA's slot that ignore_slots names: neither copied nor dropped
$c->sql('node1', "SELECT pg_create_logical_replication_slot('dba_slot', 'test_decoding')");

# a consumer, through a host list: whichever is read-write
my $user = getpwuid($<);
my $hosts = join(' ', 'host=' . join(',', ('127.0.0.1') x 3),
	'port=' . join(',', map { $c->{port}{$_} } qw(node1 node2 node3)),
	'dbname=postgres', "user=$user", 'target_session_attrs=read-write');
my $out = "$dir/cdc.out";
my $recv = IPC::Run::start([ 'pg_recvlogical', '-d', $hosts, '-S', 'cdc', '--start', '-f', $out,
	  '-F', '0', '-s', '1' ], '>', "$dir/recv.log", '2>&1');
ok($c->poll_sql('node1', "SELECT active FROM pg_replication_slots WHERE slot_name = 'cdc'", 't'),
	'pg_recvlogical consumes "cdc" on node1');

# what pg_recvlogical wrote to file, once row last is there (or after 60 s)
sub received
{
	my ($file, $last) = @_;
	my $deadline = time + 60;
	my $got = '';
	while (time < $deadline)
	{
		$got = -f $file ? slurp_file($file) : '';
		last if $got =~ /table public\.t: INSERT: i\[integer\]:$last\b/;
		usleep(200_000);
	}
	return $got;
}

# rows, one commit each: every acknowledged one is remembered
my @acked;
sub write_rows
{
	my ($node, $from, $to) = @_;
	for my $i ($from .. $to)
	{
		push @acked, $i if $c->sql($node, "WITH x AS (INSERT INTO t VALUES ($i) RETURNING i) SELECT i FROM x") eq "$i";
	}
}
write_rows('node1', 1, 50);
is(scalar @acked, 50, '50 rows acknowledged on node1');

for my $n (qw(node2 node3))
{
	ok($c->poll_sql($n, "SELECT state FROM pgha.slots() WHERE slot_name = 'cdc'", 'copy, ready', 90),
		"$n keeps a copy, and it is ready") or diag(state($n));
	is($c->sql($n, "SELECT slot_type || ' ' || plugin || ' ' || database FROM pg_replication_slots WHERE slot_name = 'cdc'"),
		'logical test_decoding postgres', "$n: the copy is a logical slot of the same plugin and database");
	is($c->sql($n, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dba_slot'"), '0',
		"$n: no copy of the slot ignore_slots names");
}
is($c->sql('node1', "SELECT count(*) FROM pgha.slots() WHERE slot_name = 'dba_slot'"), '0',
	'the ignored slot is not one of pgha.slots()');
ok($c->poll_sql('node2', "SELECT confirmed_flush_lsn > '0/0' FROM pg_replication_slots WHERE slot_name = 'cdc'", 't'),
	'the copy carries the consumer\'s position');

# Transactions that straddle the slot's restart point.  W runs when a
# running-transactions record R0 is logged; Y starts after R0, W commits:
# the slot's restart_lsn is then R0, where W was running.  Decoding from
# R0 without a snapshot of its own would rebuild one, and miss Y (it
# started before the rebuilt snapshot was full).  Y commits after the
# consumer stopped, then the primary dies: Y must reach the consumer from
# the new primary's copy.
sub session
{
	my ($node) = @_;
	my %s = (in => '', out => '', err => '', n => 0);
	$s{h} = IPC::Run::start([ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $c->{port}{$node}, '-U', $user,
		  '-d', 'postgres', '-v', 'ON_ERROR_STOP=1' ], '<', \$s{in}, '>', \$s{out}, '2>', \$s{err});
	return \%s;
}
# run sql in session s; true once psql has done it
sub run_in
{
	my ($s, $sql) = @_;
	my $mark = 'done' . ++$s->{n};
	$s->{in} .= "$sql\n\\echo $mark\n";
	my $deadline = time + 60;
	while (time < $deadline && $s->{out} !~ /^$mark$/m)
	{
		$s->{h}->pump_nb;
		usleep(20_000);
	}
	return $s->{out} =~ /^$mark$/m;
}
my $w = session('node1');
my $y = session('node1');
ok(run_in($w, 'BEGIN; INSERT INTO t VALUES (4000);'), 'W runs');
$c->sql('node1', 'CHECKPOINT');
ok(run_in($y, 'BEGIN; INSERT INTO t VALUES (5000);'), 'Y starts after the running-transactions record');
ok(run_in($w, 'COMMIT;'), 'W commits');
push @acked, 4000;
write_rows('node1', 51, 100);
$c->sql('node1', 'CHECKPOINT');
write_rows('node1', 101, 105);
my $pos = $c->sql('node1', 'SELECT pg_current_wal_lsn()');
ok($c->poll_sql('node1', "SELECT confirmed_flush_lsn >= '$pos' FROM pg_replication_slots WHERE slot_name = 'cdc'", 't', 60),
	"the consumer confirmed past $pos on node1");
for my $n (qw(node2 node3))
{
	ok($c->poll_sql($n, "SELECT confirmed_flush_lsn >= '$pos' FROM pg_replication_slots WHERE slot_name = 'cdc'", 't', 60),
		"$n: the copy is there too");
}
$recv->signal('TERM');
$recv->finish;
ok(run_in($y, 'COMMIT;'), 'Y commits, with the consumer stopped');
push @acked, 5000;
$y->{h}->finish;
$w->{h}->finish;
is(scalar @acked, 107, '107 rows acknowledged on node1');
for my $n (qw(node2 node3))
{
	ok($c->poll_sql($n, "SELECT state FROM pgha.slots() WHERE slot_name = 'cdc'", 'copy, ready', 60),
		"$n: the copy is ready") or diag(state($n));
}
my $pid = (split /\n/, slurp_file($c->data('node1') . '/postmaster.pid'))[0];
kill 'KILL', $pid;
my $deadline = time + 90;
usleep(100_000) while time < $deadline && leader() =~ /^(node1)?$/;
my $new = leader();
like($new, qr/^node[23]$/, "$new took over");
ok($c->poll_sql($new, 'SELECT pg_is_in_recovery()', 'f'), "$new is a primary");
unlike(slurp_file($c->log($new)), qr/copy of the logical slot "cdc" that may be unsafe/,
	'it promoted with a copy that was ready (no warning)');
ok($c->poll_sql($new, "SELECT state FROM pgha.slots() WHERE slot_name = 'cdc'", 'kept', 30),
	'pgha.slots() on the new leader: kept');
is($c->sql($new, "SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('skipped', 'dba_slot')"), '0',
	'the new leader creates no slot ignore_slots names (a permanent one included)');
is($c->sql($new, "SELECT state FROM pgha.slots() WHERE slot_name = 'skipped'"), 'ignored (ignore_slots)',
	'pgha.slots(): the permanent slot ignore_slots names is shown as ignored');

# the consumer starts again, on the new primary, and goes on
my $outb = "$dir/cdc_b.out";
my $recvb = IPC::Run::start([ 'pg_recvlogical', '-d', $hosts, '-S', 'cdc', '--start', '-f', $outb,
	  '-F', '0', '-s', '1' ], '>', "$dir/recv_b.log", '2>&1');
ok($c->poll_sql($new, "SELECT active FROM pg_replication_slots WHERE slot_name = 'cdc'", 't', 60),
	'pg_recvlogical consumes "cdc" on the new primary');
write_rows($new, 106, 150);
is(scalar @acked, 152, "45 more rows acknowledged on $new");
my $got = received($outb, 150);
$recvb->signal('TERM');
$recvb->finish;
like($got, qr/table public\.t: INSERT: i\[integer\]:5000\b/,
	'Y, committed after the consumer stopped, reaches it from the new primary');
$got = slurp_file($out) . $got;
my %seen;
$seen{$1}++ while $got =~ /table public\.t: INSERT: i\[integer\]:(\d+)/g;
my @missing = grep { !$seen{$_} } @acked;
is("@missing", '', 'every acknowledged row reached the consumer, across the failover')
  or diag(slurp_file("$dir/recv.log"));
my $again = grep { $seen{$_} > 1 } keys %seen;
note("rows received more than once (at least once, as documented): $again");

# the old primary comes back as a replica; its slot, ahead of the new
# leader's (the consumer confirmed more there), must not stay: a copy is
# made from the new leader's
# (pghactl run, the supervisor, starts the killed server again)
ok($c->poll_sql('node1', 'SELECT pg_is_in_recovery()', 't', 90), 'node1 is back, as a replica');
ok($c->poll_sql('node1', "SELECT state FROM pgha.slots() WHERE slot_name = 'cdc'", 'copy, ready', 90),
	'node1 keeps a copy of the new leader\'s slot, ready') or diag(state('node1'));
my $consumer = $c->sql($new, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'cdc'");
is($c->sql('node1', "SELECT confirmed_flush_lsn <= '$consumer' FROM pg_replication_slots WHERE slot_name = 'cdc'"), 't',
	"its copy is not ahead of the new leader's slot ($consumer)");
like(slurp_file($c->log('node1')), qr/pgha made a copy of the permanent logical slot "cdc"/,
	'node1\'s slot is a copy made from the new leader\'s (its own went with pg_rewind, or was made anew)');

# a switchover with the consumer running: it goes on from the new primary
my $out2 = "$dir/cdc2.out";
my $recv2 = IPC::Run::start([ 'pg_recvlogical', '-d', $hosts, '-S', 'cdc', '--start', '-f', $out2,
	  '-F', '0', '-s', '1' ], '>', "$dir/recv2.log", '2>&1');
ok($c->poll_sql($new, "SELECT active FROM pg_replication_slots WHERE slot_name = 'cdc'", 't', 60),
	"pg_recvlogical consumes \"cdc\" on $new again");
@acked = ();
write_rows($new, 151, 200);
# (the leader names a synchronous standby again once one streams from it)
$etcd->poll_key('/service/test/sync', qr/"sync_standby":"node\d"/, 60);
my $sync = $etcd->get('/service/test/sync') // '';
my ($target) = $sync =~ /"sync_standby":"(node\d)"/;
ok($target && $c->poll_sql($target, "SELECT state FROM pgha.slots() WHERE slot_name = 'cdc'", 'copy, ready', 60),
	'the synchronous standby\'s copy is ready') or diag("sync key: $sync");
# (the call's session ends with the old primary's shutdown)
$c->sql($new, "SELECT pgha.switchover('$target')");
ok($etcd->poll_key('/service/test/leader', qr/^$target$/, 60), "switchover to $target");
ok($c->poll_sql($target, 'SELECT pg_is_in_recovery()', 'f', 60), "$target is the primary");
ok($c->poll_sql($target, "SELECT active FROM pg_replication_slots WHERE slot_name = 'cdc'", 't', 60),
	"pg_recvlogical consumes \"cdc\" on $target");
write_rows($target, 201, 250);
is(scalar @acked, 100, '100 rows acknowledged around the switchover');
$got = received($out2, 250);
$recv2->signal('TERM');
$recv2->finish;
%seen = ();
$seen{$1}++ while $got =~ /table public\.t: INSERT: i\[integer\]:(\d+)/g;
@missing = grep { !$seen{$_} } @acked;
is("@missing", '', 'every acknowledged row reached the consumer, across the switchover')
  or diag(slurp_file("$dir/recv2.log"));

# the config no longer names the slot: the replicas drop their copies, the
# leader keeps its slot (pgha drops no consumer's slot on the primary)
my @replicas = grep { $_ ne $target } qw(node1 node2 node3);
$c->sql($target, q{SELECT pgha.set_config('{"slots": null, "ignore_slots": null}')});
for my $n (@replicas)
{
	ok($c->poll_sql($n, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cdc'", '0', 30),
		"$n dropped its copy");
	ok($c->poll_log($n, qr/pgha dropped its copy of the logical slot "cdc"\n.*DETAIL:  The config's "slots" no longer names it/),
		'... and says why');
	ok($c->poll_sql($n, 'SHOW hot_standby_feedback', 'off', 30), "$n: hot_standby_feedback is no longer forced on");
}
is($c->sql($target, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cdc'"), '1',
	'the leader keeps its slot');

$c->stop($_) for qw(node1 node2 node3);
$etcd->stop;
done_testing();
