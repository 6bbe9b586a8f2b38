
# pghactl run: one command per node.  On an empty data directory it runs
# initdb (taking the initialize lock) or clones from the leader; it keeps
# the postmaster running; after the node's postmaster dies and another
# member took over, it rewinds the node and brings it back as a standby of
# the new leader, with no help.  SIGTERM stops it all cleanly.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use JSON::PP;

use Pgha::Etcd;

my $user = getpwuid($<);
my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $base = $PostgreSQL::Test::Utils::tmp_check;
my $sockdir = PostgreSQL::Test::Utils::tempdir_short();

my (%port, %conf, %run);
# run once, on the node that ran initdb, at its first start
open my $bs, '>', "$base/bootstrap.sql" or die;
print $bs "CREATE ROLE app LOGIN;\nCREATE EXTENSION pgha;\nCREATE TABLE t (x int);\n";
close $bs;
for my $i (1 .. 3)
{
	my $name = "node$i";
	$port{$name} = PostgreSQL::Test::Cluster::get_free_port();
	$conf{$name} = "$base/$name.pgha.conf";
	open my $fh, '>', $conf{$name} or die;
	print $fh join("\n",
		"port = $port{$name}",
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '$sockdir'",
		"log_line_prefix = '%m [%p] %b '",
		"pgha.etcd_hosts = '" . $etcd->endpoints . "'",
		"pgha.scope = 'test'",
		"pgha.name = '$name'",
		"pgha.connect_address = '127.0.0.1:$port{$name}'",
		"pgha.replication_user = '$user'",
		"pgha.api_listen = ''",
		"pghactl.data_directory = '$base/$name.data'",
		"pghactl.superuser = '$user'",
		# the tests connect over TCP without passwords
		"pghactl.initdb_options = '--auth=trust --encoding=UTF8'",
		"pghactl.bootstrap_sql = '$base/bootstrap.sql'",
		# new replicas copy node2, not the primary
		($name eq 'node2' ? "pgha.clonefrom = on" : ''),
		"");
	close $fh;
}

sub start_pghactl
{
	my ($name) = @_;
	$run{$name} = IPC::Run::start([ 'pghactl', 'run', '-c', $conf{$name} ],
		'>', "$base/$name.pghactl.log", '2>&1');
	return;
}

sub sql
{
	my ($name, $query) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $port{$name}, '-U', $user,
		  '-d', 'postgres', '-c', $query ], '>', \$out, '2>', \$err);
	chomp $out;
	return $out;
}

sub poll_sql
{
	my ($name, $query, $want, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	while (time < $deadline)
	{
		return 1 if sql($name, $query) eq $want;
		usleep(100_000);
	}
	diag("$name: '$query' did not return '$want'; last: '" . sql($name, $query) . "'");
	return 0;
}

sub streams_from
{
	my ($leader, $name) = @_;
	return poll_sql($leader,
		"SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'",
		'1');
}

# a cluster command, run from node2's config; stdin is not a terminal
sub pghactl
{
	my ($cmd, @args) = @_;
	my ($out, $err) = ('', '');
	my $in = '';
	IPC::Run::run([ 'pghactl', $cmd, '-c', $conf{node2}, @args ], '<', \$in, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# first node: initdb under the initialize lock, bootstrap
start_pghactl('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'pghactl ran initdb and node1 leads');
ok($etcd->poll_key('/service/test/initialize', qr/^\d+$/, 30), 'initialize holds the system identifier');
is(sql('node1', "SELECT current_setting('data_checksums')"), 'on', 'initdb enabled data checksums');
ok(poll_sql('node1', "SELECT count(*) FROM pg_extension WHERE extname = 'pgha'", '1'),
	'the bootstrap SQL created the extension');
is(sql('node1', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'app'"), 't', '... and the role');
is(sql('node1', "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'postgres'"),
	'UTF8', 'initdb took pghactl.initdb_options');
sql('node1', 'INSERT INTO t VALUES (1)');

# the others: node2 cloned from the leader, node3 from node2 (clonefrom)
start_pghactl('node2');
ok(streams_from('node1', 'node2'), "pghactl cloned node2 and it streams from node1");
# what clone_source() looks for: running and streaming, in one record
ok($etcd->poll_key('/service/test/members/node2', qr/^(?=.*"state":"running")(?=.*"replication_state":"streaming")/, 30),
	'node2 is known to run and stream');
# a member key written by hand (no lease) that claims to be a clone source
# listed before node2, on a port where nothing answers: never copied from
# (a source's configuration, archive_command included, comes with the copy)
(my $fake = $etcd->get('/service/test/members/node2')) =~ s{(postgres(?:ql)?://[^:/]+:)\d+}{${1}1};
$etcd->put('/service/test/members/aaa-fake', $fake);
start_pghactl('node3');
ok(streams_from('node1', 'node3'), "pghactl cloned node3 and it streams from node1");
like(slurp_file("$base/node3.pghactl.log"), qr/cloning from "node2"/, 'node3 was cloned from node2, tagged clonefrom');
unlike(slurp_file("$base/node3.pghactl.log"), qr/aaa-fake/, '... never from a member key without a lease');
$etcd->del('/service/test/members/aaa-fake');
ok(poll_sql('node3', 'SELECT count(*) FROM t', '1'), 'node3 has the data');
is(scalar(() = slurp_file("$base/node1.pghactl.log") =~ /bootstrap SQL done/g), 1,
	'node1 ran the bootstrap SQL once');
unlike(slurp_file("$base/$_.pghactl.log"), qr/running the bootstrap SQL/, "$_, a clone, did not")
  for ('node2', 'node3');

my ($out, $err) = ('', '');
my $deadline = time + 60;
while (time < $deadline)
{
	IPC::Run::run([ 'pghactl', 'list', '-c', $conf{node2} ], '>', \$out, '2>', \$err);
	last if $out =~ /node3\s+127\.0\.0\.1:\d+\s+Replica\s+streaming/;
	usleep(100_000);
}
note $out;
like($out, qr/node1\s+127\.0\.0\.1:\d+\s+Leader\s+running/, 'pghactl list: node1 is the leader');
like($out, qr/node3\s+127\.0\.0\.1:\d+\s+Replica\s+streaming/, 'pghactl list: node3 is a streaming replica');

# ---- cluster commands ----
my ($rc, $o, $e) = pghactl('list', '-f', 'json');
my $members = eval { decode_json($o) } // [];
is_deeply([ map { "$_->{Member}:$_->{Role}" } sort { $a->{Member} cmp $b->{Member} } @$members ],
	[ 'node1:Leader', 'node2:Replica', 'node3:Replica' ], 'pghactl list -f json: members and roles');
($rc, $o, $e) = pghactl('topology');
note $o;
like($o, qr/\Anode1 .*Leader.*\n\+ node2 .*\n\+ node3 /, 'pghactl topology: node1 and its two standbys');

# edit-config with flags: a parameter reaches every node
($rc, $o, $e) = pghactl('edit-config', '-p', 'work_mem=8MB', '--force');
is($rc, 0, 'pghactl edit-config -p work_mem=8MB');
note $o;
like($o, qr/^\+\s+"work_mem": "8MB"/m, 'it shows the change as a diff');
ok(poll_sql($_, 'SHOW work_mem', '8MB'), "$_ runs with work_mem 8MB") for ('node1', 'node2', 'node3');

# refused changes change nothing
my $before = (pghactl('show-config'))[1];
($rc, $o, $e) = pghactl('edit-config', '-p', 'port=6000', '--force');
is($rc, 1, 'a node-local parameter is refused');
like($e, qr/parameter "port" cannot be set for the whole cluster/, '... with the reason');
($rc, $o, $e) = pghactl('edit-config', '-s', 'ttl=2', '--force');
is($rc, 1, 'a ttl below the minimum is refused');
like($e, qr/invalid cluster configuration: ttl/, '... with the reason');
($rc, $o, $e) = pghactl('edit-config', '-p', 'work_mem=16MB');
is($rc, 1, 'without --force and without a terminal nothing is applied');
like($e, qr/not confirmed/, '... and pghactl says so');
is((pghactl('show-config'))[1], $before, 'the config key is unchanged after the refusals');

# edit-config through $EDITOR
{
	local $ENV{EDITOR} = q{sed -i -e 's/"8MB"/"16MB"/'};
	($rc, $o, $e) = pghactl('edit-config', '--force');
}
is($rc, 0, 'pghactl edit-config through $EDITOR');
like($o, qr/^-\s+"work_mem": "8MB".*^\+\s+"work_mem": "16MB"/ms, 'the diff shows the edit');
ok(poll_sql('node3', 'SHOW work_mem', '16MB'), 'node3 runs with the edited work_mem');

# maintenance mode
($rc, $o, $e) = pghactl('pause');
is($rc, 0, 'pghactl pause');
like((pghactl('list'))[1], qr/Maintenance mode: on/, 'pghactl list shows maintenance mode');
($rc, $o, $e) = pghactl('switchover', '--candidate', 'node2', '--force');
is($rc, 1, 'no switchover while paused');
like($e, qr/the cluster is paused/, '... with the reason');
($rc, $o, $e) = pghactl('resume');
is($rc, 0, 'pghactl resume');
unlike((pghactl('list'))[1], qr/Maintenance mode/, 'maintenance mode is off');
($rc, $o, $e) = pghactl('switchover', '--candidate', 'node9', '--force');
like($e, qr/the member does not exist: member "node9"/, 'an unknown candidate is refused');

# restart: the member's worker does a fast shutdown, its pghactl starts it
sub pm_pid
{
	my ($name) = @_;
	open my $fh, '<', "$base/$name.data/postmaster.pid" or return 0;
	my $pid = <$fh>;
	close $fh;
	chomp $pid;
	return $pid;
}
($rc, $o, $e) = pghactl('restart', 'node3', '--pending', '--force');
like($o, qr/No restart pending on "node3"/, 'restart --pending with nothing pending does nothing');
($rc, $o, $e) = pghactl('edit-config', '-p', 'shared_buffers=32MB', '--force');
is($rc, 0, 'a parameter that needs a restart');
$deadline = time + 30;
while (time < $deadline)
{
	last if (pghactl('list'))[1] =~ /node3 .*\*\s*$/m;
	usleep(100_000);
}
like((pghactl('list'))[1], qr/node3 .*\*\s*$/m, 'pghactl list shows node3 pending restart');
my $before_pid = pm_pid('node3');
($rc, $o, $e) = pghactl('restart', 'node3', '--pending', '--force');
like($o, qr/Restarted "node3"/, 'pghactl restart node3 --pending') or diag($e);
isnt(pm_pid('node3'), $before_pid, 'node3 runs a new postmaster');
ok(poll_sql('node3', 'SHOW shared_buffers', '32MB'), 'with the new shared_buffers');
ok(streams_from('node1', 'node3'), 'node3 streams again');
($rc, $o, $e) = pghactl('restart', 'node1', '--force');
like($o, qr/Restarted "node1"/, 'pghactl restart of the leader') or diag($e);
is($etcd->get('/service/test/leader'), 'node1', 'the leader kept its key through the restart');
ok(poll_sql('node1', 'SELECT pg_is_in_recovery()', 'f'), 'node1 is the primary again');
ok(streams_from('node1', 'node2'), 'node2 streams from it again');

# the leader's postmaster dies: a replica takes over, pghactl brings node1
# back as its standby (pg_rewind if the timelines diverged)
sql('node1', 'INSERT INTO t VALUES (2)');
ok(poll_sql($_, 'SELECT count(*) FROM t WHERE x = 2', '1'), "$_ has row 2") for ('node2', 'node3');
# a transaction only the old primary has, so that after the failover node1
# has diverged and pg_rewind must really rewind it: the standbys' WAL
# receivers are stopped (SIGSTOP) and node1's walsenders terminated, so no
# standby can reconnect and fetch it before node1 dies (a standby whose
# last reconnect is older than wal_retrieve_retry_interval reconnects at
# once: waiting for that interval alone was a race)
my @receivers = map { sql($_, 'SELECT pid FROM pg_stat_wal_receiver') } ('node2', 'node3');
is(scalar(grep { /^\d+$/ } @receivers), 2, 'found both standbys\' WAL receivers');
kill 'STOP', @receivers;
is(sql('node1', "SELECT count(pg_terminate_backend(pid, 5000)) >= 2 FROM pg_stat_replication; "
	  . "INSERT INTO t VALUES (99)"), "t\nINSERT 0 1", 'row 99 committed on node1 alone');
open my $pf, '<', "$base/node1.data/postmaster.pid" or die;
my $pm = <$pf>;
close $pf;
chomp $pm;
kill 'KILL', $pm;
kill 'CONT', @receivers;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a replica took over');
my $leader = $etcd->get('/service/test/leader');
ok(streams_from($leader, 'node1'), "pghactl brought node1 back as a standby of $leader");
ok(poll_sql('node1', 'SELECT pg_is_in_recovery()', 't'), 'node1 runs in recovery');
sql($leader, 'INSERT INTO t VALUES (3)');
ok(poll_sql('node1', 'SELECT count(*) FROM t WHERE x = 3', '1'), 'node1 replicates from the new leader');
like(slurp_file("$base/node1.pghactl.log"), qr/running: \S+pg_rewind/, 'pghactl ran pg_rewind');
like(slurp_file("$base/node1.pghactl.log"), qr/pg_rewind: rewinding from last common checkpoint/,
	'a real rewind: the timelines had diverged');
is(sql('node1', 'SELECT count(*) FROM t WHERE x = 99'), '0', 'the row only the old primary had is gone');

# a switchover: the old leader shuts down cleanly and pghactl restarts it
# as the candidate's standby
my $other = (grep { $_ ne $leader } ('node2', 'node3'))[0];
# the leader hands over only to a standby streaming on its slot (the
# stream may come up before the slot does, right after the rejoin)
ok(poll_sql($leader, "SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid "
	  . "WHERE r.application_name = 'node1' AND s.slot_name = 'node1' AND r.state = 'streaming'", '1'),
	"node1 streams from $leader on its slot");
($rc, $o, $e) = pghactl('switchover', '--candidate', 'node1', '--force');
like($o, qr/Switched over: "node1" leads/, "pghactl switchover from $leader to node1") or diag($e);
# the new leader appends to the history key soon after its promotion
my $history = '';
$deadline = time + 30;
while (time < $deadline)
{
	$history = (pghactl('history'))[1];
	last if $history =~ /\n\s+\d+\s+\S+\s+.*\n\s+\d+\s+\S+\s+.*node1/;
	usleep(100_000);
}
note $history;
like($history, qr/\n\s+\d+\s+\S+\s+.*\n\s+\d+\s+\S+\s+.*node1/,
	'pghactl history lists the failover and the switchover');
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads again');
ok(streams_from('node1', $leader), "pghactl restarted $leader as node1's standby");
ok(streams_from('node1', $other), "$other follows node1");
my $rows = sql('node1', 'SELECT count(*) FROM t');
ok(poll_sql($leader, 'SELECT count(*) FROM t', $rows), "$leader has every row ($rows)");

# fencing under pghactl: etcd freezes, the leader fences itself; when etcd
# is back, pghactl rewinds it and starts it as the new leader's standby
$etcd->pause($_) for 1 .. 3;
my $fence_deadline = time + 30;
while (time < $fence_deadline && sql('node1', 'SELECT 1') eq '1') { usleep(100_000); }
isnt(sql('node1', 'SELECT 1'), '1', 'node1 fenced itself without etcd');
$etcd->resume($_) for 1 .. 3;
# whoever leads now (node1 itself, if its key outlived the outage and it
# came back first: it has every write), the other two stream from it
# (the key may still name node1 for a moment after the outage, until its
# lease runs out: wait for a key holder that is a primary)
my $new;
$deadline = time + 90;
while (time < $deadline)
{
	my $holder = $etcd->get('/service/test/leader');
	if (defined $holder && $holder =~ /^node[123]$/ && sql($holder, 'SELECT pg_is_in_recovery()') eq 'f')
	{
		$new = $holder;
		last;
	}
	usleep(100_000);
}
ok(defined $new, 'a leader, running as primary, once etcd was back');
$new //= 'node1';
ok(streams_from($new, $_), "pghactl runs $_ again, streaming from $new")
  for grep { $_ ne $new } ('node1', 'node2', 'node3');
is(scalar(grep { sql($_, 'SELECT pg_is_in_recovery()') eq 'f' } ('node1', 'node2', 'node3')),
	1, 'exactly one node accepts writes');

# reinit: refused on the leader and on a running node; a stopped standby
# becomes a fresh copy of the leader
my ($victim) = grep { $_ ne $new } ('node3', 'node2', 'node1');
{
	my ($out, $err, $in) = ('', '', '');
	IPC::Run::run([ 'pghactl', 'reinit', '-c', $conf{$new}, '--force' ], '<', \$in, '>', \$out, '2>', \$err);
	like($err, qr/is the leader: reinit would destroy the primary/, 'reinit refuses the leader');
	IPC::Run::run([ 'pghactl', 'reinit', '-c', $conf{$victim}, '--force' ], '<', \$in, '>', \$out, '2>', \$err);
	like($err, qr/"pghactl run" supervises/, "reinit refuses while pghactl run supervises $victim");
	$run{$victim}->signal('TERM');
	$run{$victim}->finish;
	open my $m, '>', "$base/$victim.data/marker" or die;
	close $m;
	# a promise to a failsafe leader is this node's: the copy keeps it
	# (the leader's own file, if any, is not copied over it)
	open my $p, '>', "$base/$victim.data/pgha.failsafe_promise" or die;
	print $p "12345\n";
	close $p;
	open $p, '>', "$base/$new.data/pgha.failsafe_promise" or die;
	print $p "777\n";
	close $p;
	IPC::Run::run([ 'pghactl', 'reinit', '-c', $conf{$victim}, '--force' ], '<', \$in, '>', \$out, '2>', \$err);
	is($?, 0, "pghactl reinit of $victim") or diag($err);
	ok(!-e "$base/$victim.data/marker" && -f "$base/$victim.data/standby.signal",
		"$victim is a new copy, set up as a standby");
	is(slurp_file("$base/$victim.data/pgha.failsafe_promise"), "12345\n",
		"$victim keeps its own failsafe promise through the copy, not ${new}'s");
	unlink "$base/$new.data/pgha.failsafe_promise";
	start_pghactl($victim);
	ok(streams_from($new, $victim), "$victim streams from $new again");

	# the same from any host: the member's worker and its pghactl do it
	open $m, '>', "$base/$victim.data/marker" or die;
	close $m;
	IPC::Run::run([ 'pghactl', 'reinit', $victim, '-c', $conf{$new}, '--force' ], '<', \$in, '>', \$out, '2>', \$err);
	like($out, qr/Reinitialized "$victim"/, "pghactl reinit $victim, asked on $new") or diag($err);
	ok(!-e "$base/$victim.data/marker", "$victim is a new copy");
	ok(streams_from($new, $victim), "$victim streams from $new again");
	IPC::Run::run([ 'pghactl', 'reinit', $new, '-c', $conf{$victim}, '--force' ], '<', \$in, '>', \$out, '2>', \$err);
	like($err, qr/is the leader: reinit would destroy the primary/, 'a remote reinit of the leader is refused');
}

# a placeholder history file the worker wrote for a promotion that never
# happened (docs/ha.md, timeline ids), left above every real one while
# PostgreSQL was down: recovery would target it and PostgreSQL would not
# start; pghactl removes it first
{
	$run{$victim}->signal('TERM');
	$run{$victim}->finish;
	opendir my $d, "$base/$victim.data/pg_wal" or die;
	my ($top) = sort { $b <=> $a } (1, map { /^([0-9A-F]{8})\.history$/ ? hex($1) : () } readdir $d);
	closedir $d;
	my $ph = sprintf('%s/%s.data/pg_wal/%08X.history', $base, $victim, $top + 1);
	open my $f, '>', $ph or die;
	print $f "# pgha: placeholder: timeline @{[$top + 1]} was reserved by another member's promotion\n";
	close $f;
	start_pghactl($victim);
	ok(streams_from($new, $victim), "$victim, stopped with a placeholder above its timeline, streams again");
	sql($new, 'INSERT INTO t VALUES (77)');
	ok(poll_sql($victim, 'SELECT count(*) FROM t WHERE x = 77', '1'),
		"$victim replays (before: its recovery targeted the placeholder, \"unexpected timeline ID\")");
	ok(!-e $ph, 'pghactl removed the placeholder before the start');
	# (start_pghactl begins the log anew)
	like(slurp_file("$base/$victim.pghactl.log"), qr/removed the timeline placeholder/, 'and said so');
}

# patronictl's small commands: version, dsn, flush
{
	my $leader = $etcd->get('/service/test/leader');
	my ($rc, $out, $err) = pghactl('version');
	like($out, qr/^pghactl \d+\.\d+\n/, 'pghactl version: its own');
	like($out, qr/^$leader: pgha-\d+\.\d+$/m, '... and each member\'s agent');
	($rc, $out, $err) = pghactl('dsn');
	is($out, "host=127.0.0.1 port=$port{$leader}\n", 'pghactl dsn: the leader');
	($rc, $out, $err) = pghactl('dsn', 'nosuch');
	is($rc, 1, 'pghactl dsn of an unknown member: refused');
	my ($cand) = grep { $_ ne $leader && $run{$_} } sort keys %run;
	($rc, $out, $err) = pghactl('switchover', '--candidate', $cand, '--scheduled', '2099-01-01T00:00', '--force');
	is($rc, 0, 'a switchover scheduled for 2099') or diag($err);
	ok($etcd->get('/service/test/failover'), '... is in the failover key');
	($rc, $out, $err) = pghactl('flush', 'switchover', '--force');
	like($out, qr/Cancelled the switchover to "$cand"/, 'pghactl flush switchover');
	ok($etcd->poll_key('/service/test/failover', undef, 10), '... the failover key is gone');
	is($etcd->get('/service/test/leader'), $leader, '... and nothing changed hands');
	($rc, $out, $err) = pghactl('flush', 'restart');
	is($out, "No restart request to flush.\n", 'pghactl flush restart: none pending');
	($rc, $out, $err) = pghactl('flush', 'nonsense');
	is($rc, 2, 'pghactl flush nonsense: a usage error');
}

# SIGTERM: every node stops cleanly, pghactl exits
for my $name (sort keys %run)
{
	$run{$name}->signal('TERM');
	$run{$name}->finish;
	ok(!-f "$base/$name.data/postmaster.pid", "pghactl stopped ${name}'s PostgreSQL and exited");
}

# etcd-config: members on other hosts get TLS with client certificates
# unless --insecure (which warns); loopback-only members stay plain
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pghactl', 'etcd-config', '--nodes', 'e1=10.0.0.1,e2=10.0.0.2,e3=10.0.0.3' ],
		'>', \$out, '2>', \$err);
	like($out, qr{listen-client-urls: https://10\.0\.0\.1:2379,https://127\.0\.0\.1:2379}, 'etcd-config: https off this host');
	like($out, qr{client-transport-security:\n  cert-file: /etc/etcd/tls/e1\.crt\n.*client-cert-auth: true}s,
		'... with client certificates required');
	unlike($out, qr{http://}, '... and no plain http anywhere');
	IPC::Run::run([ 'pghactl', 'etcd-config', '--insecure', '--nodes', 'e1=10.0.0.1,e2=10.0.0.2,e3=10.0.0.3' ],
		'>', \$out, '2>', \$err);
	like($out, qr{listen-client-urls: http://10\.0\.0\.1:2379}, 'etcd-config --insecure: plain http');
	like($err, qr/warning: plain http without authentication/, '... with a warning');
}

$etcd->stop;
done_testing();
