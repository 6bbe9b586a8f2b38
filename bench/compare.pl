
# bench/compare.pl: pgha against Patroni on the same machine, in the same
# run, on the same etcd and PostgreSQL 15, with the same timing settings.
# Fault -> first INSERT accepted through a libpq multi-host URL with
# target_session_attrs=read-write (one attempt every 50 ms,
# connect_timeout 1 s).  3 nodes each, never both clusters at once.
#
#   make bench-compare              (PGHA_BENCH_RUNS=N, default 3;
#                                    PGHA_BENCH_FAULTS='node loss' for one fault)
#
# Faults: "postmaster kill -9" (only the primary's postmaster dies),
# "node loss" (every process of the primary node dies at once: for Patroni
# its agent too) and "switchover" (a planned one under a writer inserting
# every 20 ms: call -> first write on the new primary, and the gap between
# the last write on the old primary and the first on the new), and "agent
# crash" (kill -9 of the HA agent alone on the primary: pgha's worker,
# Patroni's daemon): time until writes are accepted through the URL again,
# and for how long the old primary kept accepting writes on its own port
# after another node was promoted (watched for 15 s after a promotion).  Profiles: Patroni's defaults (ttl 30, loop_wait 10,
# retry_timeout 10) and pgha's defaults (ttl 10, loop_wait 2,
# retry_timeout 4).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $runs = $ENV{PGHA_BENCH_RUNS} || 3;
my @profiles = ([ 'Patroni defaults 30/10/10', 30, 10, 10 ], [ 'pgha defaults 10/2/4', 10, 2, 4 ]);
my @faults = $ENV{PGHA_BENCH_FAULTS} ? split(/,/, $ENV{PGHA_BENCH_FAULTS})
  : ('postmaster kill -9', 'node loss', 'switchover', 'agent crash');
my $bindir = `pg_config --bindir`;
chomp $bindir;
my $sock = PostgreSQL::Test::Utils::tempdir_short();
my $n = 0;

sub median { my @s = sort { $a <=> $b } @_; return $s[ int($#s / 2) ]; }

sub children_of { my ($pid) = @_; return grep { /^\d+$/ } split /\s+/, `pgrep -P $pid`; }

sub first_write
{
	my ($url, $t0) = @_;
	while (time - $t0 < 180)
	{
		return time - $t0
		  if system('psql', '-X', '-q', '-d', $url, '-c', 'INSERT INTO w DEFAULT VALUES') == 0;
		usleep(50_000);
	}
	return undef;
}

# a writer (every 20 ms) while $switch->() asks for a switchover after 1 s:
# (call -> first write on the new primary, last write on the old -> first
# on the new, acknowledged rows missing on the new primary)
sub switchover_under_writer
{
	my ($url, $old_port, $switch, $count_on) = @_;
	my ($t_call, $old_last, $new_first, @acked);
	my $start = time;
	while (time - $start < 120)
	{
		if (!defined $t_call && time - $start > 1) { $t_call = time; $switch->(); }
		my $out = `psql -X -qAt -d '$url' -c "INSERT INTO w DEFAULT VALUES RETURNING id, inet_server_port()" 2>/dev/null`;
		my $t = time;
		if ($out =~ /^(\d+)\|(\d+)/)
		{
			push @acked, $1;
			if ($2 == $old_port) { $old_last = $t; }
			elsif (defined $t_call && !defined $new_first) { $new_first = $t; }
		}
		last if defined $new_first && $t - $new_first > 0.5;
		usleep(20_000);
	}
	return (undef, undef, undef) unless defined $new_first;
	my $missing = @acked - $count_on->(join(',', @acked));
	return ($new_first - $t_call, $new_first - ($old_last // $t_call), $missing);
}

# after an agent crash: (seconds until a write is accepted through the URL,
# seconds the old primary accepted writes on its own port after another
# member was promoted; 0 if none was, or if it refused them at once)
sub after_agent_crash
{
	my ($url, $old_port, $t0, $leader_now, $old_name) = @_;
	my $first = first_write($url, $t0);
	my ($promoted_at, $last_old_write);
	# long enough for Patroni's ttl 30 plus the 15 s watch
	my $deadline = time + 90;
	while (time < $deadline)
	{
		my $leader = $leader_now->();
		$promoted_at //= time if defined $leader && $leader ne $old_name;
		if (defined $promoted_at)
		{
			$last_old_write = time
			  if system("psql -X -q -h 127.0.0.1 -p $old_port -d postgres -c 'INSERT INTO w DEFAULT VALUES' >/dev/null 2>&1") == 0
			  && `psql -X -At -h 127.0.0.1 -p $old_port -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null` =~ /^f/;
			last if time - $promoted_at > 15;
		}
		usleep(200_000);
	}
	return ($first, defined $promoted_at && defined $last_old_write ? $last_old_write - $promoted_at : 0,
		defined $promoted_at ? 1 : 0);
}

sub url_of { return 'postgresql://' . join(',', map { "127.0.0.1:$_" } @_)
	  . '/postgres?target_session_attrs=read-write&connect_timeout=1'; }

# ---- pgha
sub run_pgha
{
	my ($fault, $ttl, $loop, $retry) = @_;
	my $scope = 'cmp' . ++$n;
	my $etcd = Pgha::Etcd->new(members => 3);
	$etcd->put("/service/$scope/config", qq({"ttl":$ttl,"loop_wait":$loop,"retry_timeout":$retry}));
	# as in production (the test framework turns it off): a crashed worker restarts the instance
	my $n1 = Pgha::Node::new_node("g${n}n1", etcd => $etcd, scope => $scope,
		extra_conf => ['restart_after_crash = on']);
	$n1->start;
	$etcd->poll_key("/service/$scope/leader", qr/n1$/, 60) or die 'no leader';
	$n1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id serial PRIMARY KEY, t timestamptz DEFAULT now())');
	my @r = map { my $x = Pgha::Node::new_replica("g${n}n$_", $n1, etcd => $etcd, scope => $scope); $x->start; $x } (2, 3);
	Pgha::Node::streaming($n1, $_->name) or die for @r;
	my $url = url_of(map { $_->port } ($n1, @r));
	if ($fault eq 'switchover')
	{
		my $cand = $r[0];
		my @res = switchover_under_writer($url, $n1->port,
			sub { system('psql', '-X', '-qAt', '-d', $r[1]->connstr('postgres'), '-c',
					"SELECT pgha.switchover('" . $cand->name . "', wait => '60s')"); },
			sub { $cand->safe_psql('postgres', "SELECT count(*) FROM w WHERE id IN ($_[0])") });
		Pgha::Node::forget_if_down($n1);
		$_->stop('immediate', fail_ok => 1) for ($n1, @r);
		$etcd->stop;
		return @res;
	}
	my $t0 = time;
	if ($fault eq 'agent crash')
	{
		my $worker = $n1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
		kill 'KILL', $worker;
		my @res = after_agent_crash($url, $n1->port, $t0,
			sub { $etcd->get("/service/$scope/leader") }, $n1->name);
		$_->stop('immediate', fail_ok => 1) for ($n1, @r);
		$etcd->stop;
		return @res;
	}
	if ($fault eq 'node loss')
	{
		my $pid = $n1->{_pid};
		kill 'KILL', $pid, children_of($pid);
		$n1->{_pid} = undef;
	}
	else { $n1->kill9; }
	my $t = first_write($url, $t0);
	$_->stop('immediate') for @r;
	$etcd->stop;
	return $t;
}

# ---- Patroni
sub patroni_conf
{
	my ($dir, $name, $pgport, $apiport, $etcd, $ttl, $loop, $retry) = @_;
	my $user = getpwuid($<);
	my $f = "$dir/$name.yml";
	open my $fh, '>', $f or die;
	print $fh <<"EOY";
scope: $name-cluster
namespace: /service/
name: $name
restapi:
  listen: 127.0.0.1:$apiport
  connect_address: 127.0.0.1:$apiport
etcd3:
  hosts: @{[ $etcd->endpoints ]}
bootstrap:
  dcs:
    ttl: $ttl
    loop_wait: $loop
    retry_timeout: $retry
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_log_hints: 'on'
        wal_keep_size: 128MB
  initdb:
    - data-checksums
    - auth: trust
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$pgport
  connect_address: 127.0.0.1:$pgport
  data_dir: $dir/$name.data
  bin_dir: $bindir
  pgpass: $dir/$name.pgpass
  authentication:
    replication:
      username: $user
    superuser:
      username: $user
  parameters:
    unix_socket_directories: '$sock'
EOY
	close $fh;
	return $f;
}

sub run_patroni
{
	my ($fault, $ttl, $loop, $retry) = @_;
	my $etcd = Pgha::Etcd->new(members => 3);
	my $dir = "$PostgreSQL::Test::Utils::tmp_check/patroni" . ++$n;
	mkdir $dir;
	my (@pg, @agents);
	my $scope = "p${n}n1-cluster";
	for my $i (1 .. 3)
	{
		my $name = "p${n}n$i";
		my $pgport = PostgreSQL::Test::Cluster::get_free_port();
		my $api = PostgreSQL::Test::Cluster::get_free_port();
		push @pg, $pgport;
		# all three in one scope: patroni_conf names the scope after the first node
		my $f = patroni_conf($dir, $name, $pgport, $api, $etcd, $ttl, $loop, $retry);
		system("sed -i 's/^scope: .*/scope: $scope/' $f");
		push @agents, IPC::Run::start([ 'patroni', $f ], '>', "$dir/$name.log", '2>&1');
		# let the first one bootstrap before the others clone
		if ($i == 1)
		{
			$etcd->poll_key("/service/$scope/leader", qr/^p${n}n1$/, 120) or die 'patroni: no leader';
		}
	}
	my $deadline = time + 180;
	my $ok = 0;
	while (time < $deadline)
	{
		my $out = `psql -X -At -h 127.0.0.1 -p $pg[0] -d postgres -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null`;
		chomp $out;
		if ($out eq '2') { $ok = 1; last; }
		usleep(200_000);
	}
	die 'patroni: replicas not streaming' unless $ok;
	system('psql', '-X', '-q', '-h', '127.0.0.1', '-p', $pg[0], '-d', 'postgres', '-c',
		'CREATE TABLE w (id serial PRIMARY KEY, t timestamptz DEFAULT now())');
	if ($fault eq 'switchover')
	{
		my $conf = "$dir/p${n}n1.yml";
		my @res = switchover_under_writer(url_of(@pg), $pg[0],
			sub { system("patronictl -c $conf switchover --leader p${n}n1 --candidate p${n}n2 --force >$dir/switchover.log 2>&1"); },
			sub { my $o = `psql -X -At -h 127.0.0.1 -p $pg[1] -d postgres -c "SELECT count(*) FROM w WHERE id IN ($_[0])"`; chomp $o; $o });
		for my $a (@agents) { $a->signal('TERM'); }
		for my $a (@agents) { eval { $a->finish }; }
		system("pkill -9 -f '$dir/' 2>/dev/null");
		$etcd->stop;
		return @res;
	}
	open my $pf, '<', "$dir/p${n}n1.data/postmaster.pid" or die;
	my $pm = <$pf>;
	close $pf;
	chomp $pm;
	my $url = url_of(@pg);
	my $t0 = time;
	if ($fault eq 'agent crash')
	{
		my @agent = grep { /^\d+$/ } split /\s+/, `pgrep -f 'patroni $dir/p${n}n1.yml'`;
		die 'patroni: agent of node 1 not found' unless @agent;
		kill 'KILL', @agent;
		my @res = after_agent_crash($url, $pg[0], $t0,
			sub { $etcd->get("/service/$scope/leader") }, "p${n}n1");
		for my $a (@agents) { $a->signal('TERM'); }
		for my $a (@agents) { eval { $a->finish }; }
		system("pkill -9 -f '$dir/' 2>/dev/null");
		$etcd->stop;
		return @res;
	}
	if ($fault eq 'node loss')
	{
		# the agent and the whole instance, at once
		my @agent = grep { /^\d+$/ } split /\s+/, `pgrep -f 'patroni $dir/p${n}n1.yml'`;
		die 'patroni: agent of node 1 not found' unless @agent;
		kill 'KILL', @agent, $pm, children_of($pm);
	}
	else { kill 'KILL', $pm; }
	my $t = first_write($url, $t0);
	for my $a (@agents) { $a->signal('TERM'); }
	for my $a (@agents) { eval { $a->finish }; }
	system("pkill -9 -f '$dir/' 2>/dev/null");
	$etcd->stop;
	return $t;
}

sub mmm { my @s = sort { $a <=> $b } @_; return @s ? ($s[0], median(@s), $s[-1]) : (-1, -1, -1); }

my @table;
my %lost = (pgha => 0, Patroni => 0);
my @notes;
for my $p (@profiles)
{
	my ($plabel, $ttl, $loop, $retry) = @$p;
	for my $fault (@faults)
	{
		my (@a, @b, @ag, @bg, @ap, @bp);
		for (1 .. $runs)
		{
			my @t = run_pgha($fault, $ttl, $loop, $retry);
			ok(defined $t[0], "pgha, $fault, $plabel: a write landed");
			push @a, $t[0] if defined $t[0];
			if ($fault eq 'switchover') { push @ag, $t[1] if defined $t[1]; $lost{pgha} += $t[2] // 0; }
			if ($fault eq 'agent crash') { push @ag, $t[1] // 0; push @ap, $t[2] // 0; }
			@t = run_patroni($fault, $ttl, $loop, $retry);
			ok(defined $t[0], "Patroni, $fault, $plabel: a write landed");
			push @b, $t[0] if defined $t[0];
			if ($fault eq 'switchover') { push @bg, $t[1] if defined $t[1]; $lost{Patroni} += $t[2] // 0; }
			if ($fault eq 'agent crash') { push @bg, $t[1] // 0; push @bp, $t[2] // 0; }
		}
		my $label = $fault eq 'switchover' ? "switchover call -> new primary, $plabel" : "$fault, $plabel";
		push @table, [ $label, mmm(@a), mmm(@b) ];
		push @table, [ "switchover write gap, $plabel", mmm(@ag), mmm(@bg) ] if $fault eq 'switchover';
		if ($fault eq 'agent crash')
		{
			push @table, [ "agent crash: old primary writable after a promotion, $plabel", mmm(@ag), mmm(@bg) ];
			push @notes, sprintf('agent crash, %s: another node was promoted in %d of %d pgha runs, %d of %d Patroni runs',
				$plabel, scalar(grep { $_ } @ap), scalar(@ap), scalar(grep { $_ } @bp), scalar(@bp));
		}
	}
}
my $out = sprintf("\n%-58s %22s %22s %7s\n", "fault -> first write ($runs runs: min / median / max)",
	'pgha s', 'Patroni s', 'ratio');
$out .= sprintf("%-58s %6.2f %6.2f %6.2f   %6.2f %6.2f %6.2f %7.3f\n", @$_[0..6],
	$_->[5] > 0 ? $_->[2] / $_->[5] : 0) for @table;
$out .= "acknowledged writes lost in switchovers: pgha $lost{pgha}, Patroni $lost{Patroni}\n";
$out .= "$_\n" for @notes;
diag($out);
done_testing();
