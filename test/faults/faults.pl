
# The fault suite: real network partitions (network namespaces and
# nftables), etcd quorum loss, process kills and freezes, against a real
# 3-member etcd and 3 PostgreSQL nodes run by "pghactl run".  Writers insert
# every 50 ms on each node (Unix socket: a client that can reach that node
# whatever happens) and through a multi-host URL from a client host; the
# checker (lib/Faults/Check.pm) proves from their logs that no two
# primaries accepted writes at the same time, counts acknowledged writes
# missing after the fault, and each fault must end with one leader and
# every other node streaming from it.
#
#   make faults                        # as root: every fault, then rounds of random ones
#   PGHA_FAULTS=short make faults      # the subset "make test" runs
#   PGHA_FAULTS='frozen instance' ...  # some faults by name (comma-separated)
#   PGHA_FAULTS_ROUNDS=N               # random rounds (default 5)
#
# Needs root (ip netns, nftables); skips with the reason otherwise.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use List::Util qw(max shuffle);
use POSIX ();
use Test::More;
use Time::HiRes qw(time usleep clock_gettime CLOCK_MONOTONIC);

use Faults::Net;
use Faults::Cluster;
use Faults::Check;

my $why = Faults::Net::unavailable();
plan skip_all => "no network namespaces here: $why" if $why;

my $which = $ENV{PGHA_FAULTS} || 'full';
my $rounds = $ENV{PGHA_FAULTS_ROUNDS} // 5;
# PGHA_FAULTS_QUORUM: quorum commit (ANY 1 of the two standbys), which is
# synchronous as well: no acknowledged write may be lost
my $quorum = $ENV{PGHA_FAULTS_QUORUM} ? 1 : 0;
my $sync = $ENV{PGHA_FAULTS_SYNC} || $quorum ? 1 : 0;
my $ttl = 6;
my $converge_bound = 60;    # seconds from healing to one leader and everybody streaming
my $dir = $ENV{PGHA_FAULTS_DIR} || '/tmp/pghaf';

sub mono_ms { return clock_gettime(CLOCK_MONOTONIC) * 1000; }

# one run at a time on a machine: the namespaces, addresses and directory are fixed
open my $lock, '>', '/tmp/pghaf.lock' or die "cannot open /tmp/pghaf.lock: $!";
flock($lock, 2) or die "cannot lock /tmp/pghaf.lock: $!";

my $net = Faults::Net->new(e1 => 11, e2 => 12, e3 => 13, n1 => 21, n2 => 22, n3 => 23, c => 100);
my $cl;
my @writers;
END
{
	my $rc = $?;
	kill 'TERM', map { $_->{pid} } @writers;
	$net->teardown if $net;
	Faults::Cluster::unmount_under($dir);
	$? = $rc;
}
$SIG{INT} = $SIG{TERM} = sub { exit 1; };

$cl = Faults::Cluster->new(net => $net, dir => $dir);
my $writer_bin = "$dir/writer";
my ($pg_inc, $pg_lib) = map { `pg_config --$_` =~ s/\s+$//r } qw(includedir libdir);
system('gcc', '-O2', '-o', $writer_bin, "$FindBin::RealBin/writer.c", "-I$pg_inc", "-L$pg_lib",
	"-Wl,-rpath,$pg_lib", '-lpq') == 0
  or BAIL_OUT('cannot build the writer');
my $max_lag = 16777216;    # bytes; the WAL-disk-full replica must not be dropped for 1 MiB of lag
$cl->start(ttl => $ttl, loop_wait => 1, retry_timeout => 2, maximum_lag_on_failover => $max_lag,
	($sync ? (synchronous_mode => $quorum ? 'quorum' : 'true') : ()));
ok(1, 'cluster up: ' . $cl->converged . ' leads, 2 standbys stream; etcd e1-e3; ttl ' . $ttl . ' s'
	. ($quorum ? ', synchronous_mode quorum' : $sync ? ', synchronous_mode' : ''));

my @nodes = qw(n1 n2 n3);
my @etcd = qw(e1 e2 e3);

# ------------------------------------------------------------- writers ---
sub start_writer
{
	my ($name, $host, $conninfo) = @_;
	my $log = "$dir/w-$name.log";
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open STDOUT, '>>', "$dir/writers.out";
		open STDERR, '>&', \*STDOUT;
		my @cmd = ($writer_bin, $conninfo, $name, 50, 1000, $log);
		exec($host ? ($net->cmd($host, @cmd)) : @cmd) or POSIX::_exit(127);
	}
	push @writers, { name => $name, pid => $pid, log => $log };
	return;
}

sub stop_writers
{
	kill 'TERM', map { $_->{pid} } @writers;
	waitpid($_->{pid}, 0) for @writers;
	my %logs = map { $_->{name} => $_->{log} } @writers;
	@writers = ();
	return %logs;
}

sub acks { my ($log) = @_; return scalar grep { $_->{status} eq 'ok' } Faults::Check::read_log($log); }

my $client_url = 'postgresql://' . join(',', map { $net->addr($_) . ':5432' } @nodes)
  . '/postgres?user=' . $Faults::Cluster::USER . '&target_session_attrs=read-write&connect_timeout=2';

# ------------------------------------------------------ crash detector ---
sub log_sizes { return map { $_ => (-s "$dir/$_.pghactl.log" // 0) } @nodes; }

sub crashes_since
{
	my (%from) = @_;
	my @bad;
	for my $n (@nodes)
	{
		open my $fh, '<', "$dir/$n.pghactl.log" or next;
		seek $fh, $from{$n}, 0;
		while (<$fh>)
		{
			push @bad, "$n: $_" if /terminated by signal (?:6|11)|PANIC|was terminated by exception/;
		}
	}
	return @bad;
}

# a standby is synchronous and named in the sync key (quorum: both are,
# with quorum 1)
sub sync_standby
{
	my ($l) = @_;
	my $key = ($cl->etcdctl('get', '/service/faults/sync', '--print-value-only'))[0] // '';
	return $key =~ /"sync_standby":"n\d,n\d","quorum":1/
	  && ($cl->psql($l, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'quorum'") // '') eq '2'
	  if $quorum;
	return $key =~ /"sync_standby":"n\d/
	  && ($cl->psql($l, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") // '') eq '1';
}

# ------------------------------------------------------------ scenario ---
my @table;
my $k = 0;

# inject => sub ($leader, @replicas), hold => condition or seconds, heal => sub,
# failover => 1 (must happen) / 0 (must not) / undef (either)
sub scenario
{
	my ($name, %s) = @_;
	my $tag = 's' . ++$k;
	my $l = undef;
	$cl->poll(120, sub { $l = $cl->converged }) or BAIL_OUT("$name: the cluster is not converged before the fault");
	my @r = grep { $_ ne $l } @nodes;
	# synchronous mode: only a standby in the sync key may take over
	$cl->poll(60, sub { sync_standby($l) }) or BAIL_OUT("$name: no synchronous standby before the fault")
	  if $sync;
	if ($s{prepare})
	{
		$s{prepare}->($l, @r);
		$cl->poll(120, sub { $l = $cl->converged }) or BAIL_OUT("$name: the cluster is not converged after preparing");
		@r = grep { $_ ne $l } @nodes;
	}
	my %sizes = log_sizes();

	start_writer("$tag-$_", undef, "host=$dir/$_ port=5432 user=$Faults::Cluster::USER dbname=postgres connect_timeout=2")
	  for @nodes;
	start_writer("$tag-client", 'c', $client_url);
	my $client_log = $writers[-1]{log};
	$cl->poll(30, sub { acks($client_log) >= 5 }) or diag("$name: the client writer is slow to start");

	my $t_fault = mono_ms();
	note("$name: leader $l");
	$s{inject}->($l, @r);
	my $held;
	if (ref $s{hold})
	{
		$held = $cl->poll($s{hold_max} // 60, sub { $s{hold}->($l, @r) });
	}
	else
	{
		my $end = time + $s{hold};
		usleep(100_000) while time < $end;
		$held = 1;
	}
	my $leader_during = $cl->leader // '(none)';
	my $t_heal = mono_ms();
	$s{heal}->($l, @r) if $s{heal};
	my $new;
	my $conv = $cl->poll($converge_bound, sub { $new = $cl->converged });
	my $t_conv = mono_ms();
	# the client writer must reach the leader again
	$cl->poll(30, sub {
		grep { $_->{status} eq 'ok' && $_->{done} > $t_conv } Faults::Check::read_log($client_log) });
	my %logs = stop_writers();

	my (%final, $history);
	if ($conv)
	{
		for (split /\n/, $cl->psql($new, "SELECT writer || '/' || seq FROM faults_w WHERE writer LIKE '$tag-%'") // '')
		{
			$final{$_} = 1;
		}
		# where each earlier timeline ended: the fork a lost write is measured from
		$history = $cl->psql($new, "SELECT CASE WHEN tl > 1 THEN pg_read_file(format('pg_wal/%s.history', lpad(upper(to_hex(tl)), 8, '0'))) END "
			. "FROM (SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tl) t");
	}
	my $res = Faults::Check::analyze(logs => \%logs, final => \%final,
		switchpoints => Faults::Check::switchpoints($history));
	my $gap = Faults::Check::longest_gap($client_log, $t_fault, $t_conv);
	my @crashes = grep { !$s{allow_crash_on} || !/^\Q${\ $s{allow_crash_on}->()}\E: / } crashes_since(%sizes);

	ok($held, "$name: the fault took effect (" . ($s{what} // 'held') . ')');
	if (defined $s{failover})
	{
		if ($s{failover}) { isnt($leader_during, $l, "$name: another node took over from $l ($leader_during)"); }
		else              { is($leader_during, $l, "$name: $l kept the leadership"); }
	}
	is($res->{overlap_ms} > 0 ? $res->{overlap_ms} : 0, 0,
		sprintf('%s: never two primaries accepting writes (terms %s; possible overlap %.0f ms)',
			$name, join(' ', @{ $res->{terms} }), max(0, $res->{possible_overlap_ms})));
	ok($conv, sprintf('%s: converged to one leader (%s) with both others streaming, %.1f s after healing (bound %d s)',
			$name, $new // '-', ($t_conv - $t_heal) / 1000, $converge_bound));
	if ($sync || $s{no_loss})
	{
		is($res->{lost}, 0, "$name: no acknowledged write lost ($res->{acked} acknowledged)")
		  or diag(join "\n", @{ $res->{lost_list} });
	}
	else
	{
		# async: what a failover may cost is bounded by maximum_lag_on_failover
		ok($res->{lost_unmeasured} == 0 && $res->{lost_bytes} <= $max_lag,
			"$name: $res->{lost} of $res->{acked} acknowledged writes lost (async), $res->{lost_bytes} bytes of WAL "
			  . "past the fork, within maximum_lag_on_failover ($max_lag)")
		  or diag("lost writes not on a timeline that forked: $res->{lost_unmeasured}: @{ $res->{lost_list} }");
	}
	is(scalar @crashes, 0, "$name: no PostgreSQL process crashed (signal 6/11, PANIC)"
		. ($s{allow_crash_on} ? ' but the full replica' : '')) or diag(@crashes);
	$s{cleanup}->() if $s{cleanup};
	push @table, [ ($quorum ? 'quorum: ' : $sync ? 'sync: ' : '') . $name, "$l -> " . ($new // '-'), $res->{acked}, $res->{lost}, $res->{lost_bytes},
		max(0, $res->{overlap_ms}), $gap / 1000, ($t_conv - $t_heal) / 1000 ];
	return;
}

# --------------------------------------------------------------- faults ---
sub changed { my ($l) = @_; my $now = $cl->leader; return defined $now && $now ne '' && $now ne $l; }
my $grace = 1;    # after the takeover, keep the fault a little longer

# what a fault's inject step leaves for its heal step (pids, paths)
my %held;

my %faults = (
	'primary isolated' => {
		what => 'partitioned from every host until another node leads',
		inject => sub { my ($l) = @_; $net->partition($l, grep { $_ ne $l } $net->hosts); },
		hold => \&changed, heal => sub { sleep $grace; $net->heal; }, failover => 1,
	},
	'primary cut from etcd' => {
		what => 'partitioned from e1-e3, still sees replicas and clients',
		inject => sub { my ($l) = @_; $net->partition($l, @etcd); },
		hold => \&changed, heal => sub { sleep $grace; $net->heal; }, failover => 1,
	},
	'lossy primary link' => {
		what => 'the primary loses 30% of its packets to and from every host for 2 ttl',
		inject => sub { my ($l) = @_; $net->lossy(30, $l, grep { $_ ne $l } $net->hosts); },
		hold => 2 * $ttl, heal => sub { $net->heal; },
	},
	'primary cut from replicas' => {
		what => "partitioned from both replicas for 2 ttl, still sees etcd",
		inject => sub { my ($l, @r) = @_; $net->partition($l, @r); },
		hold => 2 * $ttl, heal => sub { $net->heal; }, failover => 0, no_loss => 1,
	},
	'etcd quorum lost' => {
		what => "e2 and e3 killed for 2 ttl",
		inject => sub { kill 'KILL', $cl->pid_of($_) for qw(e2 e3); },
		hold => 2 * $ttl,
		heal => sub { $cl->start_etcd($_) for qw(e2 e3); },
	},
	'one etcd member down' => {
		what => "e1 killed for 2 ttl",
		inject => sub { kill 'KILL', $cl->pid_of('e1'); },
		hold => 2 * $ttl, heal => sub { $cl->start_etcd('e1'); }, failover => 0, no_loss => 1,
	},
	'frozen instance' => {
		what => 'SIGSTOP of the primary\'s postmaster and all its processes until another node leads',
		inject => sub {
			my ($l) = @_;
			# the postmaster first (it forks no more), then everything it started
			my $pm = $cl->postmaster_pid($l);
			kill 'STOP', $pm;
			my @p = $cl->instance_pids($l);
			kill 'STOP', @p;
			$held{frozen} = \@p;
		},
		hold => \&changed,
		heal => sub { sleep $grace; kill 'CONT', @{ $held{frozen} }; }, failover => 1,
	},
	'primary killed' => {
		what => 'kill -9 of the primary\'s postmaster and all its processes (pghactl run starts it again)',
		inject => sub { my ($l) = @_; kill 'KILL', $cl->instance_pids($l); },
		hold => 2,
	},
	'frozen postmaster' => {
		what => 'SIGSTOP of the primary\'s postmaster alone for 2 ttl',
		inject => sub { my ($l) = @_; $held{pm} = $cl->postmaster_pid($l); kill 'STOP', $held{pm}; },
		hold => 2 * $ttl, heal => sub { kill 'CONT', $held{pm}; },
	},
	'replica WAL disk full' => {
		what => 'a replica\'s WAL volume (a tmpfs with 128 MB free) full for a ttl while the primary wrote 40 MB',
		prepare => sub {
			my ($l, @r) = @_;
			$held{full} = $r[0];
			$held{mnt} = $cl->wal_on_tmpfs($held{full}, 128);
		},
		inject => sub {
			my ($l) = @_;
			system("dd if=/dev/zero of=$held{mnt}/filler bs=1M >/dev/null 2>&1");
			$held{full_log} = -s "$dir/$held{full}.pghactl.log";
			$cl->psql($l, "INSERT INTO faults_bulk SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 10000) g")
			  for 1 .. 4;
		},
		hold => sub { slurp_from("$dir/$held{full}.pghactl.log", $held{full_log}) =~ /No space left on device/ },
		heal => sub { sleep $ttl; unlink "$held{mnt}/filler"; },
		cleanup => sub { $cl->wal_off_tmpfs($held{full}); },
		allow_crash_on => sub { $held{full} },
		failover => 0, no_loss => 1,
	},
	'worker killed' => {
		what => 'kill -9 of the primary\'s pgha worker',
		inject => sub { my ($l) = @_; kill 'KILL', $cl->worker_pid($l); },
		hold => 2, failover => 0, no_loss => 1,
	},
	'frozen worker' => {
		what => 'SIGSTOP of the primary\'s pgha worker until another node leads',
		inject => sub { my ($l) = @_; $held{w} = $cl->worker_pid($l); kill 'STOP', $held{w}; },
		hold => \&changed, heal => sub { sleep $grace; kill 'CONT', $held{w}; }, failover => 1, no_loss => 1,
	},
);
my @order = ('primary isolated', 'primary cut from etcd', 'primary cut from replicas', 'lossy primary link', 'etcd quorum lost',
	'one etcd member down', 'frozen instance', 'primary killed', 'frozen postmaster', 'worker killed', 'frozen worker',
	'replica WAL disk full');
# the random rounds: faults that leave nothing behind to undo
my @random = grep { $_ ne 'replica WAL disk full' } @order;

sub slurp_from
{
	my ($file, $from) = @_;
	open my $fh, '<', $file or return '';
	seek $fh, $from // 0, 0;
	local $/;
	return <$fh> // '';
}

my @run;
if ($which eq 'full') { @run = @order; }
elsif ($which eq 'short') { @run = ('primary cut from etcd', 'frozen instance'); $rounds = 0; }
else { @run = split /,/, $which; $rounds = 0; }
sub run_faults
{
	for my $f (@run)
	{
		BAIL_OUT("unknown fault '$f'") unless $faults{$f};
		scenario($f, %{ $faults{$f} });
	}

	# rounds of random faults, one after the other
	my $seed = $ENV{PGHA_FAULTS_SEED} // int(time);
	srand($seed);
	note("random rounds: PGHA_FAULTS_SEED=$seed") if $rounds;
	for my $round (1 .. $rounds)
	{
		my $f = (shuffle @random)[0];
		scenario("round $round: $f", %{ $faults{$f} });
	}
	return;
}

run_faults();

# the full suite again in synchronous mode: there, no acknowledged write may be lost
if ($which eq 'full' && !$sync)
{
	my ($out, $rc) = $cl->run_as('c', 'pghactl', 'edit-config', '-c', "$dir/n1/pgha.conf", '--force',
		'-s', 'synchronous_mode=true');
	is($rc, 0, 'synchronous_mode switched on') or diag($out);
	$sync = 1;
	ok($cl->poll(60, sub { my $l = $cl->converged; return $l && sync_standby($l); }), 'a standby is synchronous');
	run_faults();
}

# ---------------------------------------------------------------- table ---
my @head = ('fault', 'leader', 'acked', 'lost', 'lost WAL bytes', 'split-brain ms', 'longest client gap s', 'recovery s');
my $md = '| ' . join(' | ', @head) . " |\n|" . join('|', map { '---' } @head) . "|\n";
$md .= sprintf("| %s | %s | %d | %d | %d | %.0f | %.1f | %.1f |\n", @$_) for @table;
diag("\n" . $md);
if (open my $out, '>', "$dir/faults.md") { print $out $md; close $out; }

done_testing();
