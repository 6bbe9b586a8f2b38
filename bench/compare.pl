
# bench/compare.pl: pgha against Patroni on the same machine, in the same
# run, on the same etcd and PostgreSQL 15, with the same timing settings
# (or, in the last profile, each one's fastest safe settings).
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
# the last write on the old primary and the first on the new), "planned
# stop" (the same under a writer for a clean stop of the primary: pgha's
# pg_ctl stop -m fast, SIGTERM to Patroni's agent), and "agent
# crash" (kill -9 of the HA agent alone on the primary: pgha's worker,
# Patroni's daemon): time until writes are accepted through the URL again,
# and for how long the old primary kept accepting writes on its own port
# after another node was promoted (watched for 15 s after a promotion).
# Profiles: Patroni's defaults (ttl 30, loop_wait 10, retry_timeout 10)
# and pgha's defaults (ttl 10, loop_wait 2, retry_timeout 4) for both, then
# each system's fastest safe settings (pgha 3/1/1 with failsafe_mode,
# Patroni 20/1/3: see
# docs/benchmarks.md).  PGHA_BENCH_PROFILES='fastest' (a substring of the
# labels, comma-separated) picks profiles.
#
# The table also goes, as markdown, to $TESTDIR/compare.md.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib", "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;
use PghaBench;

my $runs = $ENV{PGHA_BENCH_RUNS} || 3;
# [label, {system => [ttl, loop_wait, retry_timeout]}]
my @profiles = (
	[ 'Patroni defaults 30/10/10', { pgha => [ 30, 10, 10 ], Patroni => [ 30, 10, 10 ] } ],
	[ 'pgha defaults 10/2/4', { pgha => [ 10, 2, 4 ], Patroni => [ 10, 2, 4 ] } ],
	[ 'fastest safe: pgha 3/1/1 failsafe, Patroni 20/1/3', { pgha => [ 3, 1, 1, '"failsafe_mode":true' ], Patroni => [ 20, 1, 3 ] } ],
	# only when named: the same short ttl for both, where only what
	# follows the lease can tell them apart
	[ 'equal ttl 5/1/2', { pgha => [ 5, 1, 2 ], Patroni => [ 5, 1, 2 ] }, 'named' ],
);
if ($ENV{PGHA_BENCH_PROFILES})
{
	my @pick = split /,/, $ENV{PGHA_BENCH_PROFILES};
	@profiles = grep { my $l = $_->[0]; grep { index($l, $_) >= 0 } @pick } @profiles;
}
else
{
	@profiles = grep { !$_->[2] } @profiles;
}
my @faults = $ENV{PGHA_BENCH_FAULTS} ? split(/,/, $ENV{PGHA_BENCH_FAULTS})
  : ('postmaster kill -9', 'node loss', 'switchover', 'planned stop', 'agent crash');
# a writer (every 20 ms) while $switch->() asks for a switchover after 1 s:
# (call -> first write on the new primary, last write on the old -> first
# on the new, acknowledged rows missing on the new primary)
sub switchover_under_writer
{
	my ($url, $old_port, $switch, $count_on) = @_;
	my ($t_call, $old_last, $new_first, $new_port, @acked);
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
			elsif (defined $t_call && !defined $new_first) { ($new_first, $new_port) = ($t, $2); }
		}
		last if defined $new_first && $t - $new_first > 0.5;
		usleep(20_000);
	}
	return (undef, undef, undef) unless defined $new_first;
	my $missing = @acked - $count_on->(join(',', @acked), $new_port);
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

# a planned stop of the primary, in the background (the writer goes on):
# pgha: pg_ctl stop -m fast, as systemctl stop does; Patroni: SIGTERM to
# its agent, which stops PostgreSQL itself
sub planned_stop
{
	my ($cmd) = @_;
	system("$cmd >/dev/null 2>&1 &");
	return;
}

# ---- pgha
sub run_pgha
{
	my ($fault, $timing) = @_;
	# [ttl, loop_wait, retry_timeout, more of the config key]
	my $c = pgha_cluster(timing => [ @$timing[ 0 .. 2 ] ], config => $timing->[3]);
	my ($n1, @r) = @{ $c->{nodes} };
	my $url = url_of(@{ $c->{ports} });
	my @res;
	if ($fault eq 'switchover')
	{
		my $cand = $r[0];
		@res = switchover_under_writer($url, $n1->port,
			sub { system('psql', '-X', '-qAt', '-d', $r[1]->connstr('postgres'), '-c',
					"SELECT pgha.switchover('" . $cand->name . "', wait => '60s')"); },
			sub { $cand->safe_psql('postgres', "SELECT count(*) FROM w WHERE id IN ($_[0])") });
	}
	elsif ($fault eq 'planned stop')
	{
		my $datadir = $n1->data_dir;
		@res = switchover_under_writer($url, $n1->port,
			sub { planned_stop("pg_ctl -D '$datadir' stop -m fast"); },
			sub { psql_at($_[1], "SELECT count(*) FROM w WHERE id IN ($_[0])") });
	}
	elsif ($fault eq 'agent crash')
	{
		my $t0 = time;
		my $worker = $n1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
		kill 'KILL', $worker;
		@res = after_agent_crash($url, $n1->port, $t0,
			sub { $c->{etcd}->get("/service/$c->{scope}/leader") }, $n1->name);
	}
	else
	{
		my $t0 = time;
		kill_primary($c, 0, $fault);
		@res = (first_write($url, $t0));
	}
	stop_cluster($c);
	return @res;
}

# ---- Patroni
sub run_patroni
{
	my ($fault, $timing) = @_;
	my $c = patroni_cluster(timing => $timing);
	my @pg = @{ $c->{ports} };
	my ($name1, $name2) = @{ $c->{names} };
	my $url = url_of(@pg);
	my @res;
	if ($fault eq 'switchover')
	{
		@res = switchover_under_writer($url, $pg[0],
			sub { system("patronictl -c $c->{confs}[0] switchover --leader $name1 --candidate $name2 --force >$c->{dir}/switchover.log 2>&1"); },
			sub { psql_at($pg[1], "SELECT count(*) FROM w WHERE id IN ($_[0])") });
	}
	elsif ($fault eq 'planned stop')
	{
		my @agent = PghaBench::agent_pids($c, 0);
		die 'patroni: agent of node 1 not found' unless @agent;
		@res = switchover_under_writer($url, $pg[0],
			sub { kill 'TERM', @agent; },
			sub { psql_at($_[1], "SELECT count(*) FROM w WHERE id IN ($_[0])") });
	}
	elsif ($fault eq 'agent crash')
	{
		my $t0 = time;
		my @agent = PghaBench::agent_pids($c, 0);
		die 'patroni: agent of node 1 not found' unless @agent;
		kill 'KILL', @agent;
		@res = after_agent_crash($url, $pg[0], $t0,
			sub { $c->{etcd}->get("/service/$c->{scope}/leader") }, $name1);
	}
	else
	{
		# node loss: the agent and the whole instance, at once
		my $t0 = time;
		kill_primary($c, 0, $fault);
		@res = (first_write($url, $t0));
	}
	stop_cluster($c);
	return @res;
}

my @table;
my %lost = (pgha => 0, Patroni => 0);
my @notes;
for my $p (@profiles)
{
	my ($plabel, $timing) = @$p;
	for my $fault (@faults)
	{
		my (@a, @b, @ag, @bg, @ap, @bp);
		for (1 .. $runs)
		{
			my @t = run_pgha($fault, $timing->{pgha});
			ok(defined $t[0], "pgha, $fault, $plabel: a write landed");
			push @a, $t[0] if defined $t[0];
			if ($fault eq 'switchover' || $fault eq 'planned stop') { push @ag, $t[1] if defined $t[1]; $lost{pgha} += $t[2] // 0; }
			if ($fault eq 'agent crash') { push @ag, $t[1] // 0; push @ap, $t[2] // 0; }
			@t = run_patroni($fault, $timing->{Patroni});
			ok(defined $t[0], "Patroni, $fault, $plabel: a write landed");
			push @b, $t[0] if defined $t[0];
			if ($fault eq 'switchover' || $fault eq 'planned stop') { push @bg, $t[1] if defined $t[1]; $lost{Patroni} += $t[2] // 0; }
			if ($fault eq 'agent crash') { push @bg, $t[1] // 0; push @bp, $t[2] // 0; }
		}
		my $label = $fault eq 'switchover' ? "switchover call -> new primary, $plabel"
		  : $fault eq 'planned stop' ? "planned stop of the primary -> new primary, $plabel" : "$fault, $plabel";
		push @table, [ $label, mmm(@a), mmm(@b) ];
		push @table, [ "switchover write gap, $plabel", mmm(@ag), mmm(@bg) ] if $fault eq 'switchover';
		push @table, [ "planned stop write gap, $plabel", mmm(@ag), mmm(@bg) ] if $fault eq 'planned stop';
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

# the same table as markdown, ready for docs/benchmarks.md
my $md = md_table("fault -> first write, s ($runs runs: min / median / max)",
	[ '', 'pgha min', 'pgha median', 'pgha max', 'Patroni min', 'Patroni median', 'Patroni max', 'ratio' ],
	[ map { [ $_->[0], (map { $_ < 0 ? 'failed' : $_ } @$_[ 1 .. 6 ]), $_->[5] > 0 ? sprintf('%.3f', $_->[2] / $_->[5]) : '-' ] } @table ]);
$md .= "acknowledged writes lost in switchovers: pgha $lost{pgha}, Patroni $lost{Patroni}\n\n";
$md .= "- $_\n" for @notes;
open my $fh, '>', ($ENV{TESTDIR} || '.') . '/compare.md' or die "compare.md: $!";
print $fh "<!-- bench/compare.pl, " . scalar(gmtime) . " UTC -->\n\n$md";
close $fh;
done_testing();
