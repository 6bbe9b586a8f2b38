
# bench/failover.pl: failover time of pgha on this machine, measured end to
# end: the fault -> first INSERT accepted through a libpq multi-host URL with
# target_session_attrs=read-write (one attempt every 50 ms, connect_timeout
# 1 s).  Real etcd (3 members), 3 PostgreSQL nodes.  Prints a table (min /
# median / max over the runs) for each fault and timing profile.
#
# Faults:
#   postmaster kill -9   only the postmaster dies (OOM killer, kill -9): the
#                        pgha worker survives it for a moment, stops the
#                        orphans and releases the leader key at once
#   node loss            every process of the primary dies at once (all
#                        stopped, then kill -9 of the postmaster and all its
#                        children): nobody releases anything, the lease has
#                        to expire; a second table gives the path step by
#                        step (etcd's expiry, the winner's log lines)
#   switchover           pgha.switchover() under a writer (every 20 ms):
#                        call -> first write on the new primary, and the gap
#                        between the last write on the old and the first on
#                        the new; no acknowledged write may be lost
#
#   make bench-failover            # or: PGHA_BENCH_RUNS=5 make bench-failover
#   PGHA_BENCH_FAULTS=switchover make bench-failover
#
# Profiles: pgha's defaults (ttl 10, loop_wait 2, retry_timeout 4) and the
# minimum ttl pgha accepts (ttl 3, loop_wait 1, retry_timeout 1), with
# failsafe_mode, without which an etcd leader election fails the primary
# over at that ttl (bench/elections.pl).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib", "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use POSIX ();

use Pgha::Etcd;
use Pgha::Node;
use PghaBench;

my $runs = $ENV{PGHA_BENCH_RUNS} || 3;
# PGHA_BENCH_FAULTS=switchover (comma-separated) runs only some faults
my %want = map { $_ => 1 } split /,/, ($ENV{PGHA_BENCH_FAULTS} || 'postmaster kill -9,node loss,switchover');
my @profiles = (
	[ 'defaults (ttl 10, loop_wait 2, retry_timeout 4)', 10, 2, 4 ],
	[ 'minimum ttl (ttl 3, loop_wait 1, retry_timeout 1, failsafe_mode)', 3, 1, 1, '"failsafe_mode":true' ],
);
# PGHA_BENCH_PROFILES='minimum' (substrings of the labels, comma-separated)
if ($ENV{PGHA_BENCH_PROFILES})
{
	my @pick = split /,/, $ENV{PGHA_BENCH_PROFILES};
	@profiles = grep { my $l = $_->[0]; grep { index($l, $_) >= 0 } @pick } @profiles;
}


# The node-loss path, step by step: when etcd let the leader key go (a
# watch started before the fault, its events stamped as they arrive), then
# what the winner's log says it did, then the first write a client got in.
my @steps = (
	[ 'fault -> leader key expired in etcd',   'expired' ],
	[ '-> winner decides (no leader)',         qr/pgha decision: / ],
	[ '-> winner holds the leader key',        qr/pgha: this node is the leader/ ],
	[ '-> recovery ended, read-write',         qr/database system is ready to accept connections/ ],
	[ '-> first write through the URL',        'write' ],
);
my %step_times;    # profile label -> step index -> [seconds]

# one run's steps (seconds from the previous one), or () when one is missing
sub node_loss_steps
{
	my ($watch_file, $t0, $t1, @standbys) = @_;
	my $expired;
	if (open(my $fh, '<', $watch_file))
	{
		while (<$fh>) { $expired = $1, last if /^([\d.]+) DELETE/; }
	}
	return () unless defined $expired && defined $t1;
	my ($winner) = grep { defined PghaBench::log_time($_, $steps[2][1], $t0) } @standbys;
	return () unless $winner;
	my @at = ($expired);
	push @at, PghaBench::log_time($winner, $steps[$_][1], $expired) for 1 .. $#steps - 1;
	push @at, $t1;
	return () if grep { !defined } @at;
	my @d = ($at[0] - $t0);
	push @d, $at[$_] - $at[ $_ - 1 ] for 1 .. $#at;
	return @d;
}

sub kill_node
{
	my ($node) = @_;
	my $pid = $node->{_pid};
	PghaBench::kill_at_once($pid, PghaBench::children_of($pid));
	$node->{_pid} = undef;
	return;
}

my @table;
my $scope_n = 0;
for my $fault (grep { $want{$_} } ('postmaster kill -9', 'node loss'))
{
for my $p (@profiles)
{
	my ($plabel, $ttl, $loop, $retry, $more) = @$p;
	my $label = "$fault, $plabel";
	my @times;
	for my $run (1 .. $runs)
	{
		my $scope = 'bench' . ++$scope_n;
		my $etcd = Pgha::Etcd->new(members => 3);
		$etcd->put("/service/$scope/config",
			qq({"ttl":$ttl,"loop_wait":$loop,"retry_timeout":$retry) . ($more ? ",$more" : '') . '}');
		my $n1 = Pgha::Node::new_node("b${scope_n}n1", etcd => $etcd, scope => $scope);
		$n1->start;
		$etcd->poll_key("/service/$scope/leader", qr/n1$/, 60) or die "no leader";
		$n1->safe_psql('postgres', 'CREATE TABLE w (t timestamptz default now())');
		my @rep = map {
			my $r = Pgha::Node::new_replica("b${scope_n}n$_", $n1, etcd => $etcd, scope => $scope);
			$r->start;
			$r
		} (2, 3);
		for my $r (@rep)
		{
			my $name = $r->name;
			$n1->poll_query_until('postgres',
				"SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'")
			  or die "$name not streaming";
		}
		my $url = Pgha::Node::multi_host_url($n1, @rep);
		$url =~ s/connect_timeout=2/connect_timeout=1/;

		my $watch_file = "$ENV{TESTDIR}/watch_$scope";
		my $watcher = PghaBench::watch_key($etcd, "/service/$scope/leader", $watch_file);
		usleep(300_000);    # the watch is in place
		my $t0 = time;
		if ($fault eq 'node loss') { kill_node($n1); } else { $n1->kill9; }
		my $t1;
		while (time - $t0 < 120)
		{
			if (system('psql', '-X', '-q', '-d', $url, '-c', 'INSERT INTO w DEFAULT VALUES') == 0)
			{
				$t1 = time;
				last;
			}
			usleep(50_000);
		}
		ok(defined $t1, "$label run $run: a new primary accepted a write");
		push @times, $t1 - $t0 if defined $t1;
		kill 'TERM', -$watcher;
		waitpid($watcher, 0);
		if ($fault eq 'node loss')
		{
			my @d = node_loss_steps($watch_file, $t0, $t1, @rep);
			if (@d) { push @{ $step_times{$plabel}[$_] }, $d[$_] for 0 .. $#d; }
			else    { diag("$label run $run: a step of the path is missing from the logs"); }
		}
		$_->stop('immediate') for @rep;
		$etcd->stop;
	}
	push @table, [ $label, scalar(@times), @times ? (sort { $a <=> $b } @times)[0] : 0,
		@times ? median(@times) : 0, @times ? (sort { $a <=> $b } @times)[-1] : 0 ];
}
}

# Planned switchover under a writer: a new INSERT every 20 ms through the
# multi-host URL; pgha.switchover() called on a replica after 1 s.  Two
# numbers per run: the call -> the first write on the new primary, and the
# write gap (last write acknowledged by the old primary -> first by the new).
# Every acknowledged row is checked on the new primary.
my (@sw_call, @sw_gap);
my $lost = 0;
for my $run (1 .. ($want{switchover} ? $runs : 0))
{
	my $scope = 'bench' . ++$scope_n;
	my $etcd = Pgha::Etcd->new(members => 3);
	$etcd->put("/service/$scope/config", '{"ttl":10,"loop_wait":2,"retry_timeout":4}');
	my $n1 = Pgha::Node::new_node("b${scope_n}n1", etcd => $etcd, scope => $scope);
	$n1->start;
	$etcd->poll_key("/service/$scope/leader", qr/n1$/, 60) or die "no leader";
	$n1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id serial PRIMARY KEY, t timestamptz default now())');
	my @rep = map {
		my $r = Pgha::Node::new_replica("b${scope_n}n$_", $n1, etcd => $etcd, scope => $scope);
		$r->start;
		$r
	} (2, 3);
	Pgha::Node::streaming($n1, $_->name) or die $_->name . ' not streaming' for @rep;
	my $url = Pgha::Node::multi_host_url($n1, @rep);
	$url =~ s/connect_timeout=2/connect_timeout=1/;
	my $cand = $rep[0];
	my ($sw, $t_call, $sw_out, $sw_err);
	my (@acked, $old_last, $new_first);
	my $start = time;
	while (time - $start < 60)
	{
		if (!$sw && time - $start > 1)
		{
			$t_call = time;
			$sw = IPC::Run::start([ 'psql', '-X', '-qAt', '-d', $rep[1]->connstr('postgres'), '-c',
				"SELECT pgha.switchover('" . $cand->name . "', wait => '30s')" ], '>', \$sw_out, '2>', \$sw_err);
		}
		my $out = `psql -X -qAt -d '$url' -c "INSERT INTO w DEFAULT VALUES RETURNING id, inet_server_port()" 2>/dev/null`;
		my $t = time;
		if ($out =~ /^(\d+)\|(\d+)/)
		{
			push @acked, $1;
			if ($2 == $n1->port) { $old_last = $t; }
			elsif (!defined $new_first && $2 == $cand->port) { $new_first = $t; }
		}
		last if defined $new_first && $t - $new_first > 0.5;
		usleep(20_000);
	}
	$sw->finish if $sw;
	ok(defined $new_first, "switchover run $run: the candidate accepted writes");
	if (defined $new_first)
	{
		push @sw_call, $new_first - $t_call;
		push @sw_gap, $new_first - ($old_last // $t_call);
		my $present = $cand->safe_psql('postgres',
			'SELECT count(*) FROM w WHERE id IN (' . join(',', @acked) . ')');
		$lost += @acked - $present;
		note sprintf('run %d: %d writes acknowledged, %d on the new primary', $run, scalar(@acked), $present);
	}
	Pgha::Node::forget_if_down($n1);
	$_->stop('immediate') for @rep;
	$etcd->stop;
}
is($lost, 0, 'no acknowledged write was lost in a switchover') if $want{switchover};
for ([ 'switchover: call -> first write on the new primary', \@sw_call ],
	[ 'switchover: last write on the old -> first on the new', \@sw_gap ])
{
	my ($label, $v) = @$_;
	my @sorted = sort { $a <=> $b } @$v;
	push @table, [ $label, scalar(@sorted), @sorted ? ($sorted[0], median(@sorted), $sorted[-1]) : (0, 0, 0) ]
	  if $want{switchover};
}

my $out = sprintf("\n%-70s %4s %8s %8s %8s\n", 'pgha failover: fault -> first accepted write', 'runs', 'min s', 'median s', 'max s');
$out .= sprintf("%-70s %4d %8.2f %8.2f %8.2f\n", @$_) for @table;
$out .= "acknowledged writes lost in switchovers: $lost\n";
for my $p (grep { $step_times{ $_->[0] } } @profiles)
{
	$out .= sprintf("\n%-70s %4s %8s %8s %8s\n", "node loss, $p->[0], step by step", 'runs', 'min s', 'median s', 'max s');
	for my $i (0 .. $#steps)
	{
		my @v = sort { $a <=> $b } @{ $step_times{ $p->[0] }[$i] // [] };
		$out .= sprintf("%-70s %4d %8.2f %8.2f %8.2f\n", $steps[$i][0], scalar(@v), $v[0], median(@v), $v[-1]);
	}
}
diag($out);
done_testing();
