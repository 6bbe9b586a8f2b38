
# A running Patroni 3.0.2 cluster (3 nodes, async, a writer throughout)
# migrated to pgha and back, following docs/migrating-from-patroni.md
# step by step.  Both ways: the cluster is paused, then node by node,
# replicas first, the old agent stops, PostgreSQL restarts under the new
# one; the leader's restart is the only time writes stop.  The leader key
# named after the restarted leader is taken over at once (ha.md, "The
# leader key of an earlier agent"), not after its lease expires.
#
# Checked at every step: patronictl list; at the end of each way: the same
# system identifier, the timeline history continued, replicas never
# re-cloned (a file left in each data directory is still there), every
# acknowledged row on the leader, and the longest time without an
# acknowledged write.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Patroni;

my $etcd = Pgha::Etcd->new(members => 3);
my $dir = "$PostgreSQL::Test::Utils::tmp_check/migrate";
File::Path::make_path($dir);
my $user = getpwuid($<);
my @names = qw(node1 node2 node3);
my (%pgport, %apiport, %yml, %patroni, %pgha_conf, %run);
for my $name (@names)
{
	$pgport{$name} = PostgreSQL::Test::Cluster::get_free_port();
	$apiport{$name} = PostgreSQL::Test::Cluster::get_free_port();
	$yml{$name} = Pgha::Patroni::conf(dir => $dir, name => $name, scope => 'test',
		pgport => $pgport{$name}, apiport => $apiport{$name}, etcd => $etcd, timing => [ 10, 2, 4 ]);
}
sub data { return "$dir/$_[0].data"; }
sub log_of { return "$dir/$_[0].log"; }

sub sql
{
	my ($name, $query) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $pgport{$name}, '-d', 'postgres',
		  '-c', $query ], '>', \$out, '2>', \$err);
	chomp $out;
	return $out;
}

sub poll
{
	my ($what, $cond, $timeout) = @_;
	my $deadline = time + ($timeout // 90);
	while (time < $deadline)
	{
		return 1 if $cond->();
		usleep(100_000);
	}
	diag("timed out: $what");
	return 0;
}

sub streams_from
{
	my ($leader, $name) = @_;
	return poll("$name streams from $leader", sub {
		sql($leader, "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'") eq '1';
	});
}

# patronictl list as rows: name => "role state"
sub patronictl_list
{
	my %rows;
	for (split /\n/, $etcd->patronictl('list'))
	{
		$rows{$1} = "$2 $3" if /^\|\s*(node\d)\s*\|[^|]*\|\s*(\S+)\s*\|\s*([^|]*?)\s*\|/;
	}
	return \%rows;
}

sub list_is
{
	my ($want, $what) = @_;
	my $got;
	poll("patronictl list: $what", sub { $got = patronictl_list(); join(',', map { "$_=$got->{$_}" } sort keys %$got) eq
			join(',', map { "$_=$want->{$_}" } sort keys %$want) });
	is_deeply($got, $want, "patronictl list $what");
	return;
}

# ---- a Patroni cluster: node1 bootstraps, node2 and node3 clone it
for my $name (@names)
{
	$patroni{$name} = Pgha::Patroni::start($yml{$name}, log_of($name));
	ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 120), 'Patroni: node1 leads') if $name eq 'node1';
}
ok(streams_from('node1', $_), "Patroni: $_ streams from node1") for qw(node2 node3);
sql('node1', 'CREATE TABLE t (id serial, note text)');
my $sysid = sql('node1', 'SELECT system_identifier FROM pg_control_system()');
# 1, or 2 when Patroni's bootstrap ended with a promotion of its own
sql('node1', 'CHECKPOINT');
my $tl0 = sql('node1', 'SELECT timeline_id FROM pg_control_checkpoint()');
# gone if a node were ever cloned again
for my $name (@names)
{
	open my $fh, '>', data($name) . '/migration.marker' or die;
	close $fh;
}
list_is({ node1 => 'Leader running', node2 => 'Replica running', node3 => 'Replica running' },
	'under Patroni');

# ---- the writer: one row per psql through a multi-host URL
my $url = 'postgresql://' . join(',', map { "127.0.0.1:$pgport{$_}" } @names)
  . '/postgres?target_session_attrs=read-write&connect_timeout=1';
my $acked = "$dir/acked";
sub count_lines { return -f $acked ? (() = slurp_file($acked) =~ /\n/g) : 0; }
my $writer = IPC::Run::start(
	[ 'bash', '-c',
	  "i=0; while true; do i=\$((i+1)); psql -X -qAt -d '$url' "
	  . "-c \"INSERT INTO t (note) VALUES ('w' || \$i)\" >/dev/null 2>&1 "
	  . "&& echo \$i \$EPOCHREALTIME >> $acked; done" ]);
ok(poll('the writer writes', sub { count_lines() >= 20 }), 'the writer writes');

# the longest time without an acknowledged write between $from and now
sub longest_gap
{
	my ($from) = @_;
	my @t = map { (split / /)[1] } grep { /^\d+ [\d.]+$/ } split /\n/, slurp_file($acked);
	my $gap = 0;
	for my $i (1 .. $#t)
	{
		next if $t[$i] < $from;
		$gap = $t[$i] - $t[ $i - 1 ] if $t[$i] - $t[ $i - 1 ] > $gap;
	}
	return $gap;
}

# rows acknowledged from now on: the writer must go on past a step
sub writes_after
{
	my ($what) = @_;
	note(sprintf('%.6f %s', time, $what));
	my $n = count_lines();
	ok(poll("writes after $what", sub { count_lines() >= $n + 10 }), "writes go on after $what");
	return;
}

sub pghactl
{
	my ($cmd, @args) = @_;
	my ($out, $err, $in) = ('', '', '');
	IPC::Run::run([ 'pghactl', $cmd, '-c', $pgha_conf{node1}, @args ], '<', \$in, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# ---- Patroni to pgha
my $t_forward = time;
my $out = $etcd->patronictl('pause', '--wait');
like($out, qr/paused/i, 'patronictl pause');
note("patronictl pause --wait:\n$out");

# what docs/migrating-from-patroni.md puts in pgha.conf
for my $name (@names)
{
	$pgha_conf{$name} = "$dir/$name.pgha.conf";
	open my $fh, '>', $pgha_conf{$name} or die;
	print $fh join("\n",
		"shared_preload_libraries = 'pgha'",
		# as pghactl's initdb sets: standbys reconnect soon after their
		# primary restarted (PostgreSQL's default waits 5 s)
		"wal_retrieve_retry_interval = '500ms'",
		"pgha.etcd_hosts = '" . $etcd->endpoints . "'",
		"pgha.scope = 'test'",
		"pgha.name = '$name'",
		"pgha.connect_address = '127.0.0.1:$pgport{$name}'",
		"pgha.api_listen = '127.0.0.1:$apiport{$name}'",
		"pgha.replication_user = '$user'",
		"pghactl.data_directory = '" . data($name) . "'",
		"pghactl.superuser = '$user'",
		"");
	close $fh;
}

# node by node, replicas first: Patroni stops (PostgreSQL runs on while
# paused), PostgreSQL restarts under pghactl run
for my $name (qw(node3 node2 node1))
{
	my $h = delete $patroni{$name};
	$h->signal('TERM');
	$h->finish;
	is(sql($name, 'SELECT 1'), '1', "$name: PostgreSQL runs on after Patroni stopped");
	my $run = sub {
		$run{$name} = IPC::Run::start([ 'pghactl', 'run', '-c', $pgha_conf{$name} ],
			'>>', "$dir/$name.pghactl.log", '2>&1');
	};
	if ($name eq 'node3')
	{
		# started too early: a server pghactl did not start is left alone
		my $conf_before = slurp_file(data($name) . '/postgresql.conf');
		$run->();
		ok(poll("$name: pghactl run waits", sub { -f "$dir/$name.pghactl.log"
				&& slurp_file("$dir/$name.pghactl.log") =~ /already runs on/ }),
			"$name: pghactl run waits while Patroni's server runs");
		is(slurp_file(data($name) . '/postgresql.conf'), $conf_before, "$name: ... without touching postgresql.conf");
	}
	system('pg_ctl', '-D', data($name), '-m', 'fast', '-w', 'stop') == 0 or die;
	$run->() unless $run{$name};
	if ($name eq 'node1')
	{
		ok(poll('node1 holds the key on its own lease', sub {
			(sql('node1', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgha'") eq '1')
			  && ($etcd->get('/service/test/leader') // '') eq 'node1'
			  && $etcd->lease_of('/service/test/leader') eq $etcd->lease_of('/service/test/members/node1') }),
			'node1 leads under pgha');
	}
	else
	{
		ok(streams_from('node1', $name), "$name streams from node1 under pgha");
	}
	writes_after("$name moved");
	list_is({ node1 => 'Leader running', node2 => 'Replica running', node3 => 'Replica running' },
		"after $name moved to pgha");
}
list_is({ node1 => 'Leader running', node2 => 'Replica running', node3 => 'Replica running' },
	'under pgha, paused');
note("patronictl list:\n" . $etcd->patronictl('list'));
note("node1's pghactl run:\n" . join("\n", grep { /pghactl:|pgha: this node|Re-attached/ } split /\n/,
	slurp_file("$dir/node1.pghactl.log")));
ok(streams_from('node1', $_), "$_ streams from node1 again after its restart") for qw(node2 node3);
my ($rc, $o, $e) = pghactl('resume');
is($rc, 0, 'pghactl resume') or diag($e);
sql('node1', 'CREATE EXTENSION pgha');
# the config key as Patroni's bootstrap wrote it, read without a remark
is(sql('node1', "SELECT coalesce(config_warnings, 'none') FROM pgha.status()"), 'none',
	"the config key of Patroni's bootstrap: nothing pgha cannot honour")
  or diag($etcd->get('/service/test/config'));
my $gap = longest_gap($t_forward);
cmp_ok($gap, '<', 3, sprintf('Patroni to pgha: at most %.2f s without an acknowledged write', $gap));
note(sprintf('forward: longest write gap %.3f s', $gap));


# ---- pgha runs the cluster: a switchover, a new timeline
($rc, $o, $e) = pghactl('switchover', '--candidate', 'node2', '--force');
is($rc, 0, 'pghactl switchover to node2') or diag($o . $e);
ok(poll('node2 leads', sub { sql('node2', 'SELECT pg_is_in_recovery()') eq 'f'
			&& ($etcd->get('/service/test/leader') // '') eq 'node2' }), 'node2 leads under pgha');
ok(streams_from('node2', $_), "$_ streams from node2") for qw(node1 node3);
writes_after('the switchover');
list_is({ node1 => 'Replica running', node2 => 'Leader running', node3 => 'Replica running' },
	'under pgha after a switchover');

# ---- pgha back to Patroni
my $t_back = time;
($rc, $o, $e) = pghactl('pause');
is($rc, 0, 'pghactl pause') or diag($e);
like($etcd->patronictl('list'), qr/Maintenance mode: on/, 'patronictl list: maintenance mode');
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pghactl', 'detach', '-c', $pgha_conf{node3} ], '>', \$out, '2>', \$err);
	is($? >> 8, 1, 'pghactl detach refuses while pghactl run supervises the node');
	like($err, qr/"pghactl run" supervises .*\n.*nothing was changed/, "... and says so");
	like(slurp_file(data('node3') . '/postgresql.conf'), qr/node3\.pgha\.conf/, '... and changed nothing');
}
for my $name (qw(node3 node1 node2))
{
	my $h = delete $run{$name};
	$h->signal('TERM');
	$h->finish;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pghactl', 'detach', '-c', $pgha_conf{$name} ], '>', \$out, '2>', \$err);
	is($? >> 8, 0, "$name: pghactl detach") or diag($err);
	note("pghactl detach -c $name.pgha.conf:\n$out$err");
	unlike(slurp_file(data($name) . '/postgresql.conf'), qr/pgha\.conf/, "$name: postgresql.conf no longer includes pgha.conf");
	unlike(slurp_file(data($name) . '/postgresql.auto.conf'), qr/^(wal_keep_size|wal_log_hints)/m,
		"$name: pgha's parameters left postgresql.auto.conf");
	# Patroni starts no server while paused: by hand, with Patroni's own
	# postgresql.conf, then Patroni, which adopts it
	system('pg_ctl', '-D', data($name), '-l', "$dir/$name.pg.log", '-w', 'start') == 0 or die;
	if ($name eq 'node3')
	{
		IPC::Run::run([ 'pghactl', 'detach', '-c', $pgha_conf{$name} ], '>', \$out, '2>', \$err);
		like($err, qr/PostgreSQL is running on/, 'pghactl detach refuses while PostgreSQL runs');
	}
	$patroni{$name} = Pgha::Patroni::start($yml{$name}, log_of($name));
	ok(poll("$name: Patroni writes its member key", sub {
		($etcd->get("/service/test/members/$name") // '') =~ /"version":\s*"3\.0\.2"/ }), "$name: Patroni runs it");
	if ($name eq 'node2')
	{
		ok(poll('node2 holds the key on Patroni\'s lease', sub {
			($etcd->get('/service/test/leader') // '') eq 'node2'
			  && $etcd->lease_of('/service/test/leader') eq $etcd->lease_of('/service/test/members/node2') }),
			'node2 leads under Patroni');
		is(sql('node2', "SELECT count(*) FROM pg_settings WHERE name = 'shared_preload_libraries' AND setting LIKE '%pgha%'"),
			'0', 'node2: pgha is not loaded');
	}
	else
	{
		ok(streams_from('node2', $name), "$name streams from node2 under Patroni");
	}
	writes_after("$name moved back");
	list_is({ node1 => 'Replica running', node2 => 'Leader running', node3 => 'Replica running' },
		"after $name moved back to Patroni");
}
# the replicas lost node2 at its restart and reconnect on their own (after
# wal_retrieve_retry_interval, 5 s by default): a switchover before that
# would find no candidate that has all of node2's WAL
ok(streams_from('node2', $_), "$_ streams from node2 again after its restart") for qw(node1 node3);
$out = $etcd->patronictl('resume', '--wait');
like($out, qr/resumed/i, 'patronictl resume');
$gap = longest_gap($t_back);
cmp_ok($gap, '<', 3, sprintf('pgha to Patroni: at most %.2f s without an acknowledged write', $gap));
note(sprintf('rollback: longest write gap %.3f s', $gap));
list_is({ node1 => 'Replica running', node2 => 'Leader running', node3 => 'Replica running' },
	'under Patroni again');
note("patronictl list:\n" . $etcd->patronictl('list'));

# ---- Patroni runs the cluster again: its own switchover back to node1
$out = $etcd->patronictl('switchover', '--leader', 'node2', '--candidate', 'node1', '--force');
ok(poll('node1 leads', sub { sql('node1', 'SELECT pg_is_in_recovery()') eq 'f'
			&& ($etcd->get('/service/test/leader') // '') eq 'node1' }, 120), 'Patroni switchover to node1')
  or diag($out);
ok(streams_from('node1', $_), "$_ streams from node1 under Patroni") for qw(node2 node3);
writes_after('the Patroni switchover');
$writer->kill_kill;

# ---- what both migrations kept
my @rows = map { (split / /)[0] } grep { /^\d+ [\d.]+$/ } split /\n/, slurp_file($acked);
my %have = map { $_ => 1 } split /\n/, sql('node1', "SELECT substr(note, 2) FROM t");
my @lost = grep { !$have{$_} } @rows;
is(scalar(@lost), 0, scalar(@rows) . ' acknowledged rows, all on node1')
  or diag('lost: ' . join(' ', map { my $r = $_; (grep { /^$r / } split /\n/, slurp_file($acked))[0] } @lost[0, -1]));
for my $name (@names)
{
	is(sql($name, 'SELECT system_identifier FROM pg_control_system()'), $sysid, "$name: the same system identifier");
	ok(-f data($name) . '/migration.marker', "$name: never cloned again");
}
sql('node1', 'CHECKPOINT');
is(sql('node1', 'SELECT timeline_id FROM pg_control_checkpoint()'), $tl0 + 2,
	'two timelines later: Patroni\'s switchover continued the history of pgha\'s');
my $hist = $etcd->patronictl('history');
like($hist, qr/\|\s+$tl0\s+\|.*\n.*\|\s+@{[ $tl0 + 1 ]}\s+\|/, 'patronictl history lists both switchovers')
  or diag($hist);
# Patroni stops its PostgreSQL with it (the cluster is no longer paused)
$_->signal('TERM') for values %patroni;
$_->finish for values %patroni;
$etcd->stop;
done_testing();

# whatever happened above: no agent or server of this test outlives it (a
# Patroni or pghactl left running would join the next test's etcd when
# its ports are reused)
END
{
	local $?;    # the test's exit status
	system("pkill -9 -f '$dir/' 2>/dev/null") if defined $dir;
}
