
# bench/scenarios.pl: pgha against Patroni 3.0.2 beyond failover times, on
# the same machine, in the same run, each cluster with a fresh 3-member
# etcd and 3 PostgreSQL 15 nodes, never two clusters at once:
#
#   cold start     the three nodes (a primary and two clones, stopped
#                  cleanly, no leader key left) started at once -> a leader
#                  key, the first write through the multi-host URL, both
#                  standbys streaming
#   steady state   a healthy cluster left alone for PGHA_BENCH_WINDOW
#                  seconds (60): etcd proposals/s and requests/s, the
#                  agents' CPU seconds and memory
#   pgbench        TPC-B-like, scale 10, -c 4 -j 2 -T 30 on the primary:
#                  plain streaming replication (no agent), pgha, Patroni
#   chart          one write attempt every 50 ms through the URL around a
#                  kill -9 of the primary's postmaster, logged per attempt;
#                  both systems on one PNG (gnuplot)
#
#   make bench-scenarios     (PGHA_BENCH_RUNS=N, default 3;
#                             PGHA_BENCH_SCENARIOS='steady state,pgbench')
#   PGHA_BENCH_SMOKE=1: pgha only, 1 run, fastest settings, 5 s window, no
#                       pgbench (what "make test" runs, under a minute)
#
# Writes, under $TESTDIR (tmp_bench): scenarios.md (the tables as
# markdown), failover-writes.png, writes/*.log (one line per attempt).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib", "$FindBin::RealBin/lib";

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use PghaBench;

my $smoke = $ENV{PGHA_BENCH_SMOKE};
my $runs = $smoke ? 1 : ($ENV{PGHA_BENCH_RUNS} || 3);
my $window = $ENV{PGHA_BENCH_WINDOW} || ($smoke ? 5 : 60);
my %want = map { $_ => 1 } split /,/,
  ($ENV{PGHA_BENCH_SCENARIOS} || ($smoke ? 'cold start,steady state,chart' : 'cold start,steady state,pgbench,chart'));
my @systems = $smoke ? ('pgha') : ('pgha', 'Patroni');
# [label, {system => [ttl, loop_wait, retry_timeout, extra config]}]: the
# same settings for both (Patroni's defaults), then each one's fastest safe
# settings (docs/benchmarks.md says why they are safe)
my @profiles = (
	[ 'Patroni defaults 30/10/10', { pgha => [ 30, 10, 10 ], Patroni => [ 30, 10, 10 ] } ],
	[ 'fastest safe: pgha 3/1/1 failsafe, Patroni 20/1/3', { pgha => [ 3, 1, 1, '"failsafe_mode":true' ], Patroni => [ 20, 1, 3 ] } ],
);
@profiles = ($profiles[1]) if $smoke;
if ($ENV{PGHA_BENCH_PROFILES})
{
	# a substring of the labels, comma-separated: 'fastest'
	my @pick = split /,/, $ENV{PGHA_BENCH_PROFILES};
	@profiles = grep { my $l = $_->[0]; grep { index($l, $_) >= 0 } @pick } @profiles;
}
my $chart_fault = $ENV{PGHA_BENCH_CHART_FAULT} || 'postmaster kill -9';
my $out_dir = $ENV{TESTDIR} || '.';
mkdir "$out_dir/writes";

my $build = sub {
	my ($system, $timing) = @_;
	# the REST API on for pgha too: Patroni always serves one
	return $system eq 'pgha'
	  ? pgha_cluster(timing => [ @$timing[ 0 .. 2 ] ], config => $timing->[3],
		params => \%PghaBench::PG_PARAMS, api => 1)
	  : patroni_cluster(timing => $timing, params => \%PghaBench::PG_PARAMS);
};

my (%cold, %cold_outcome, %steady, %tps, %chart);
for my $run (1 .. $runs)
{
	for my $pi (0 .. $#profiles)
	{
		my ($plabel, $timing) = @{ $profiles[$pi] };
		# pgbench and the chart run on the first profile's clusters only
		my $first = $pi == 0;
		next unless $want{'cold start'} || $want{'steady state'} || ($first && ($want{pgbench} || $want{chart}));
		# the baseline for pgbench: the same 3 nodes and settings, no HA
		# agent.  The order turns with every run, so that a slow spell of
		# the machine does not always fall on the same system.
		my @units = (@systems, ($first && $want{pgbench} && !$smoke ? ('plain') : ()));
		push @units, shift @units for 2 .. $run;
		for my $system (@units)
		{
			if ($system eq 'plain')
			{
				my $c = plain_cluster(params => \%PghaBench::PG_PARAMS);
				push @{ $tps{plain} }, pgbench_tps($c->{ports}[0]);
				note "run $run, no agent: $tps{plain}[-1] tps";
				stop_cluster($c);
				next;
			}
			my $c = $build->($system, $timing->{$system});
			# a scenario that dies (a cluster that did not come up) costs
			# its cell, not the tables of the whole run
			eval {
				$c = run_scenarios($c, $system, $plabel, $timing->{$system}, $run, $first);
				1;
			} or fail("$system, $plabel, run $run: $@");
			stop_cluster($c);
		}
	}
}

# One cluster through the scenarios wanted; returns the cluster to stop
# (a new one if the cold start left a node down)
sub run_scenarios
{
	my ($c, $system, $plabel, $timing, $run, $first) = @_;
	if ($want{'cold start'})
	{
		my ($leader, $write, $streaming, $holder, $down) = cold_start($c);
		# what an application sees: a leader that takes writes
		ok(defined $write, "$system, $plabel, run $run: cold start, a write accepted");
		push @{ $cold{$plabel}{$system}[0] }, $leader // ();
		push @{ $cold{$plabel}{$system}[1] }, $write // ();
		push @{ $cold{$plabel}{$system}[2] }, $streaming // ();
		my $outcome = !defined $holder ? 'no leader'
		  : $holder eq $c->{names}[0] ? 'the former primary leads'
		  : "standby $holder took the key";
		$outcome .= ', ' . join(', ', @$down) . ' down (fenced itself)' if @$down;
		$outcome .= ', both standbys streaming' if defined $streaming;
		push @{ $cold_outcome{$plabel}{$system} }, $outcome;
		note "cold start, $system, $plabel, run $run: $outcome";
		if (!defined $streaming)
		{
			# the other scenarios need a healthy cluster
			stop_cluster($c);
			$c = $build->($system, $timing);
		}
	}
	if ($want{'steady state'})
	{
		my $s = steady_state($c, $window);
		note explain $s;
		push @{ $steady{$plabel}{$system}{$_} }, $s->{$_} for keys %$s;
	}
	if ($first && $want{pgbench})
	{
		push @{ $tps{$system} }, pgbench_tps($c->{ports}[ primary_index($c) ]);
		note "run $run, $system: $tps{$system}[-1] tps";
	}
	if ($first && $want{chart} && $run == 1)
	{
		my $i = primary_index($c);
		my $log = "$out_dir/writes/$system.log";
		my $back = write_log(url_of(@{ $c->{ports} }), $log, sub { kill_primary($c, $i, $chart_fault) });
		ok(defined $back, "$system, $chart_fault: writes came back");
		$chart{$system} = [ $log, $back, $plabel ];
	}
	return $c;
}

# ---- tables: terminal text (diag) and markdown (scenarios.md)
my @tables;
my @mmm_head = ('', map { ("$_ min", "$_ median", "$_ max") } @systems);
if (%cold)
{
	my @rows;
	for my $p (@profiles)
	{
		my ($plabel) = @$p;
		my @what = ('a leader key', 'first write through the URL', 'both standbys streaming');
		push @rows, map { my $k = $_; [ "$plabel: $what[$k]", map { mmm(@{ $cold{$plabel}{$_}[$k] // [] }) } @systems ] } 0 .. 2;
	}
	push @tables, [ "Cold start: all 3 nodes started at once -> (s, $runs runs)", \@mmm_head, \@rows ];
	my @outcomes;
	for my $p (@profiles)
	{
		my ($plabel) = @$p;
		for my $system (@systems)
		{
			my %count;
			$count{$_}++ for @{ $cold_outcome{$plabel}{$system} // [] };
			push @outcomes, [ "$plabel, $system", join('; ', map { "$count{$_}x $_" } sort keys %count) ];
		}
	}
	push @tables, [ 'Cold start: who led afterwards', [ '', 'runs' ], \@outcomes ];
}
if (%steady)
{
	my @metrics = (
		[ proposals => 'etcd proposals committed /s (etcd leader)' ],
		[ requests => 'etcd request messages received /s (3 members)' ],
		[ agent_cpu => "agent CPU s in $window s (3 nodes)" ],
		[ node_cpu => "all CPU s in $window s (PostgreSQL + agent, 3 nodes)" ],
		[ mem_Rss => 'agent RSS MiB per node' ],
		[ mem_Pss => 'agent PSS MiB per node' ],
		[ mem_Private => 'agent private MiB per node' ],
	);
	my @rows;
	for my $p (@profiles)
	{
		my ($plabel) = @$p;
		push @rows, map { my ($k, $l) = @$_; [ "$plabel: $l", map { median(@{ $steady{$plabel}{$_}{$k} // [] }) } @systems ] } @metrics;
		# where the requests go: every method either system sent
		my %methods;
		for my $system (@systems)
		{
			$methods{$_} = 1 for grep { /^req_/ } keys %{ $steady{$plabel}{$system} // {} };
		}
		for my $k (sort keys %methods)
		{
			my @v = map { my @r = @{ $steady{$plabel}{$_}{$k} // [] }; @r ? median(@r) : 0 } @systems;
			next unless grep { $_ > 0.0005 } @v;
			push @rows, [ "$plabel: requests /s, " . ($k =~ s/^req_//r), @v ];
		}
	}
	push @tables, [ "Steady state, healthy 3-node cluster, ${window}-s window (median of $runs runs)", [ '', @systems ], \@rows ];
}
if (%tps)
{
	my $base = median(@{ $tps{plain} // [] });
	my @rows = map {
		my @m = mmm(@{ $tps{$_} // [] });
		[ $_ eq 'plain' ? 'no HA agent (plain streaming replication)' : $_, @m,
			$base && $_ ne 'plain' ? sprintf('%+.1f%%', 100 * ($m[1] - $base) / $base) : '' ]
	} ('plain', @systems);
	push @tables, [ "pgbench -c 4 -j 2 -T 30, scale 10, on the primary of 3 nodes (tps, $runs runs, $profiles[0][0])",
		[ '', 'min', 'median', 'max', 'median vs no agent' ], \@rows ];
}

# ---- the chart: cumulative acknowledged writes, failed attempts marked
my $png = "$out_dir/failover-writes.png";
if (%chart)
{
	my @plots;
	my %color = (pgha => '#1f77b4', Patroni => '#d62728');
	for my $system (@systems)
	{
		next unless $chart{$system};
		my ($log, $back, $plabel) = @{ $chart{$system} };
		open my $in, '<', $log or die;
		open my $dat, '>', "$log.dat" or die;
		my $acked = 0;
		while (<$in>)
		{
			my ($t, $ok) = split;
			$acked += $ok;
			print $dat "$t $acked $ok\n";
		}
		close $in;
		close $dat;
		my $title = sprintf('%s (writes back after %.2f s)', $system, $back // -1);
		push @plots, qq("$log.dat" using 1:2 with steps lw 2 lc rgb "$color{$system}" title "$title"),
		  qq("$log.dat" using 1:(\$3 == 0 ? \$2 : 1/0) with points pt 2 ps 1 lc rgb "$color{$system}" title "$system: failed attempt");
	}
	my $plabel = (values %chart)[0][2];
	open my $gp, '|-', 'gnuplot' or die 'gnuplot: not found (scripts/install-deps.sh installs gnuplot-nox)';
	print $gp <<"EOG";
set terminal pngcairo size 900,500 font "sans,10"
set output "$png"
set title "Writes acknowledged around a $chart_fault of the primary ($plabel)"
set xlabel "seconds since the fault (one INSERT attempt every 50 ms through the multi-host URL)"
set ylabel "acknowledged writes (cumulative)"
set key right bottom
set grid
set xrange [-3:*]
set arrow from 0, graph 0 to 0, graph 1 nohead dt 2
set label "fault" at 0, graph 0.95 offset 0.5,0
plot @{[ join(", \\\n  ", @plots) ]}
EOG
	close $gp or die "gnuplot failed: $?";
	push @tables, [ "Writes around a $chart_fault ($plabel, 1 run)", [ '', 'fault -> first accepted write, s', 'chart' ],
		[ map { [ $_, $chart{$_}[1], 'failover-writes.png' ] } grep { $chart{$_} } @systems ] ];
}

my $text = join '', map { text_table(@$_) } @tables;
diag($text);
my $md = "<!-- bench/scenarios.pl, " . scalar(gmtime) . " UTC -->\n\n" . join('', map { md_table(@$_) } @tables);
open my $fh, '>', "$out_dir/scenarios.md" or die;
print $fh $md;
close $fh;
note("markdown in $out_dir/scenarios.md");

# what the smoke run in "make test" checks: real numbers came out
ok(scalar(@tables) > 0 && !grep({ !@{ $_->[2] } } @tables), 'every table has rows');
my @cells = map { @$_[ 1 .. $#$_ ] } grep { $_->[0] !~ /standbys streaming/ } map { @{ $_->[2] } } grep { $_->[0] !~ /^(Writes around|Cold start: who)/ } @tables;
# a cold start may end with a node fenced (see cold_start): no streaming time
@cells = grep { defined $_ } @cells;
ok(@cells && !grep({ !defined $_ || ($_ ne '' && $_ !~ /^[-+]?\d+(\.\d+)?(e[-+]?\d+)?%?$/i) } @cells),
	'every cell is a number') or diag explain \@cells;
ok(!grep({ defined $_ && /^-1$/ } @cells), 'no scenario came out empty (-1)');
if (%chart)
{
	open my $p, '<:raw', $png or die "no $png";
	read $p, my $magic, 8;
	close $p;
	is($magic, "\x89PNG\r\n\x1a\n", 'the chart is a PNG');
}
like($md, qr/^\| .+ \|$/m, 'the markdown has table rows');
done_testing();
