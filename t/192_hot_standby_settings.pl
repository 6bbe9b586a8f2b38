
# The settings a hot standby needs at least as high as its primary
# (max_connections, max_worker_processes, max_wal_senders,
# max_prepared_transactions, max_locks_per_transaction) changed
# cluster-wide with pgha.set_parameter(), across a fence and a failover.
#
# Lowered: the primary is pending a restart, the standbys keep the
# primary's value (the worker writes the higher of the two).  The primary
# fences before any restart; pghactl run starts it as a standby with the
# value the new leader runs with (pg_control's), not the lower one it
# wrote, or recovery would stop at once.  Once the leader restarted with
# the lower value, the standbys take it on their next restart.
# Raised: every node is pending at once; standbys restarted first, then a
# switchover to one of them; the old primary comes back as a standby.
# A node whose server cannot start (a bad setting) shows in
# pgha.members(), pghactl list and patronictl list with the server's
# reason, until it runs again.

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
my $mc = "SELECT setting || CASE WHEN pending_restart THEN ' t' ELSE ' f' END FROM pg_settings WHERE name = 'max_connections'";

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
ok($c->poll_sql('node1', 'SELECT pg_is_in_recovery()', 'f'), 'node1 runs');
$c->sql('node1', 'CREATE EXTENSION pgha');
$c->start($_) for qw(node2 node3);
ok($c->streams_from('node1', $_), "$_ streams from node1") for qw(node2 node3);
is($c->sql('node2', $mc), '100 f', 'max_connections is 100 everywhere');

sub leader
{
	my ($not) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		my $l = $etcd->get('/service/test/leader') // '';
		return $l if $l ne '' && $l ne $not;
		usleep(100_000);
	}
	return undef;
}

sub log_has
{
	my ($name, $re, $from) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		return 1 if slurp_file($c->log($name), $from // 0) =~ $re;
		usleep(100_000);
	}
	return 0;
}

# --- lowered cluster-wide: pending on the primary, not on the standbys
$c->sql('node1', "SELECT pgha.set_parameter('max_connections', '60')");
ok($c->poll_sql('node1', $mc, '100 t'), 'node1 (primary): 60 pending a restart');
ok(log_has('node2', qr/pgha: max_connections = 100 on this standby, not 60\n.*DETAIL:  Its primary runs with 100 \(pg_control\)/),
	'node2 (standby) wrote the primary\'s 100, and said why');
is($c->sql('node2', $mc), '100 f', 'node2: 100, no restart pending');

# --- the primary fences before it was restarted; etcd stays away longer
# than the ttl, so its key is gone; node1 is tagged nofailover, so that
# another node takes over (node1 restarts as a standby at once, and with
# its key still there or the race won it would simply lead again)
$c->sql('node1', 'ALTER SYSTEM SET pgha.nofailover = on');
$c->sql('node1', 'SELECT pg_reload_conf()');
ok($etcd->poll_key('/service/test/members/node1', qr/"nofailover":true/, 30), 'node1 is tagged nofailover');
my $off = -s $c->log('node1');
$etcd->pause($_) for 1 .. 3;
ok(log_has('node1', qr/pgha: fencing this primary/, $off), 'node1 fenced itself without etcd');
# the partition lasts past the ttl (6 s): the lease must run out
usleep(7_000_000);
$etcd->resume($_) for 1 .. 3;
my $new = leader('node1');
ok(defined $new, 'another node leads: ' . ($new // 'none')) or BAIL_OUT('no new leader');
ok(log_has('node1', qr/starting this standby with max_connections = 100, not 60: its primary ran with 100/, $off),
	'pghactl run starts node1 as a standby with the primary\'s 100, not its own 60');
ok($c->streams_from($new, 'node1'), "node1 streams from $new");
ok($c->poll_sql('node1', 'SHOW max_connections', '100'), 'node1 runs with 100 (it streams before it accepts connections)');
unlike(slurp_file($c->log('node1'), $off), qr/recovery aborted because of insufficient parameter settings/,
	'recovery never stopped for insufficient parameter settings');

# --- the leader restarts with 60; then the standbys take 60 on their restart
my ($rc, $out, $err) = $c->pghactl('restart', $new, '--pending', '--force');
like($out, qr/Restarted "$new"/, "pghactl restart $new --pending") or diag($err);
ok($c->poll_sql($new, $mc, '60 f'), "$new (leader) runs with 60");
ok($c->poll_sql('node1', $mc, '100 t'), 'node1 (standby) is now pending 60: its primary runs with it');
($rc, $out, $err) = $c->pghactl('restart', 'node1', '--pending', '--force');
like($out, qr/Restarted "node1"/, 'pghactl restart node1 --pending') or diag($err);
ok($c->poll_sql('node1', $mc, '60 f'), 'node1 runs with 60');
ok($c->streams_from($new, 'node1'), "node1 streams from $new again");

# --- raised: pending everywhere; standbys restarted first, then a switchover
$c->sql($new, "SELECT pgha.set_parameter('max_connections', '200')");
my @standbys = grep { $_ ne $new } $c->names;
ok($c->poll_sql($_, "SELECT pending_restart FROM pg_settings WHERE name = 'max_connections'", 't'),
	"$_: 200 pending a restart") for ($new, @standbys);
for my $s (@standbys)
{
	($rc, $out, $err) = $c->pghactl('restart', $s, '--pending', '--force');
	like($out, qr/Restarted "$s"/, "pghactl restart $s --pending") or diag($err);
	ok($c->poll_sql($s, $mc, '200 f'), "$s runs with 200 while its primary runs with 60");
	ok($c->streams_from($new, $s), "$s streams from $new");
}
my ($cand) = grep { $_ ne 'node1' } @standbys;
($rc, $out, $err) = $c->pghactl('switchover', '--candidate', $cand, '--force');
is($rc, 0, "pghactl switchover to $cand") or diag($err);
ok($etcd->poll_key('/service/test/leader', qr/^$cand$/, 60), "$cand leads");
ok($c->poll_sql($cand, 'SELECT pg_is_in_recovery()', 'f'), "$cand is a primary");
ok($c->streams_from($cand, $new), "the old primary $new came back as a standby");
ok($c->poll_sql($new, $mc, '200 f'), "$new runs with 200");

# SIGTERM to the leader's pghactl run is a planned stop: it hands over
ok($c->streams_from($cand, $_), "$_ streams from $cand") for grep { $_ ne $cand } $c->names;
$off = -s $c->log($cand);
$c->stop($cand);
my $next = leader($cand);
ok(defined $next, "SIGTERM to $cand\'s pghactl run: " . ($next // 'nobody') . ' took over');
like(slurp_file($c->log($cand), $off), qr/pgha: switching over to "$next"\n.*DETAIL:  The server is shutting down \(a planned stop\)/,
	"$cand handed the key over at its planned stop");

# A node that cannot start shows in pgha.members(), pghactl list and
# patronictl list, with the server's own reason; pghactl run keeps trying,
# and once the cause is gone the node runs again and the reason goes.
my $conf = $c->data($cand) . '/postgresql.conf';
my $good = slurp_file($conf);
append_to_file($conf, "work_mem = 'lots'\n");
$c->start($cand);
my $row = "SELECT state || ' | ' || coalesce(error, '') FROM pgha.members() WHERE member = '$cand'";
my $got = '';
my $deadline = time + 60;
while (time < $deadline)
{
	$got = $c->sql($next, $row);
	last if $got =~ /^start failed \| FATAL:/;
	usleep(200_000);
}
like($got, qr/^start failed \| FATAL:  configuration file ".*postgresql\.conf" contains errors/,
	"pgha.members() on $next: $cand failed to start, and why");
($rc, $out, $err) = $c->pghactl('list');
like($out, qr/^$cand: FATAL:  configuration file/m, 'pghactl list shows the reason under the table');
like($etcd->patronictl('list'), qr/\|\s*$cand\s*\|[^\n]*\|\s*start failed\s*\|/, 'patronictl list: start failed');
open my $fh, '>', $conf or die;
print $fh $good;
close $fh;
ok($c->streams_from($next, $cand), "$cand runs again once its postgresql.conf is fixed");
ok($c->poll_sql($next, "SELECT count(*) FROM pgha.members() WHERE member = '$cand' AND error IS NULL AND state = 'streaming'", '1'),
	'... and pgha.members() shows it streaming, without a reason');

$c->stop($_) for $c->names;
$etcd->stop;
done_testing();
