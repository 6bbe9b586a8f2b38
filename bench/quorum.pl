
# bench/quorum.pl: commit latency with one standby slowed, synchronous
# first-n against quorum commit: three nodes, each a primary and two
# standbys on this machine.
#
#   pgha FIRST 1          synchronous_mode: true (one synchronous standby)
#   pgha ANY 1 of 2       synchronous_mode: "quorum", synchronous_node_count 1
#   Patroni FIRST 1       Debian's Patroni 3.0.2, synchronous_mode: true
#
# For each, pgbench inserts rows (4 clients, PGHA_BENCH_SECONDS, default 20)
# twice: with both standbys well, and with one standby's WAL receiver
# stopped (SIGSTOP) for 200 ms of every second, which is how a standby with
# a slow disk or a congested link looks to the primary (tc is not
# available here).  In first-n mode the slowed standby is the synchronous
# one: the case quorum commit is for.  The pauses are shorter than
# retry_timeout, so neither agent drops the standby.
#
#   make bench-quorum
#
# Prints a table: transactions per second, commit latency p50/p99/max (ms),
# and how many commits took longer than 50 ms (a stall shows there: with
# thousands of commits a second, the few that wait hide from p99).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib", "$FindBin::RealBin/lib";

use JSON::PP;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;
use PghaBench;

my $secs = $ENV{PGHA_BENCH_SECONDS} || 20;
my @timing = (30, 10, 10);    # Patroni's defaults: the pauses stay well under retry_timeout
my $dir = PostgreSQL::Test::Utils::tempdir();

# the standby (index) whose WAL receiver gets slowed: the synchronous one
sub sync_standby
{
	my ($c) = @_;
	my $deadline = time + 120;
	while (time < $deadline)
	{
		my $name = psql_at($c->{ports}[0],
			"SELECT application_name FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum') "
			  . 'ORDER BY application_name LIMIT 1');
		my $key = $c->{etcd}->get("/service/$c->{scope}/sync") // '';
		if ($name && $key =~ /"sync_standby":\s*"[^"]*\Q$name\E/)
		{
			for my $i (1, 2) { return $i if $c->{names}[$i] eq $name; }
		}
		usleep(200_000);
	}
	die "$c->{kind}: no synchronous standby in the sync key";
}

# stop the WAL receiver of node $i for 200 ms of every second, until killed
sub slow_down
{
	my ($c, $i) = @_;
	my $pid = psql_at($c->{ports}[$i], 'SELECT pid FROM pg_stat_wal_receiver') or die 'no WAL receiver';
	my $child = fork() // die "fork: $!";
	if ($child == 0)
	{
		$SIG{TERM} = sub { kill 'CONT', $pid; POSIX::_exit(0); };
		for (;;)
		{
			kill 'STOP', $pid;
			usleep(200_000);
			kill 'CONT', $pid;
			usleep(800_000);
		}
	}
	return $child;
}

# pgbench inserting rows; per-transaction latencies from its log
sub run_pgbench
{
	my ($c, $tag) = @_;
	my $script = "$dir/insert.sql";
	PostgreSQL::Test::Utils::append_to_file($script, "INSERT INTO w DEFAULT VALUES;\n") unless -f $script;
	my $prefix = "$dir/$tag";
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pgbench', '-n', '-c', '4', '-j', '2', '-T', $secs, '-f', $script, '-l',
			'--log-prefix', $prefix, '-h', '127.0.0.1', '-p', $c->{ports}[0], 'postgres' ],
		'>', \$out, '2>', \$err) or die "pgbench failed: $err";
	my ($tps) = $out =~ /tps = ([\d.]+)/;
	my @lat;
	for my $f (glob("$prefix.*"))
	{
		open my $fh, '<', $f or die "$f: $!";
		while (<$fh>) { my @col = split; push @lat, $col[2] / 1000 if @col > 2; }
		close $fh;
	}
	@lat = sort { $a <=> $b } @lat;
	my $pct = sub { $lat[ int($_[0] * $#lat) ] };
	my $slow = grep { $_ > 50 } @lat;
	return [ sprintf('%.0f', $tps), sprintf('%.1f', $pct->(0.5)), sprintf('%.1f', $pct->(0.99)),
		sprintf('%.0f', $lat[-1]), $slow ];
}

sub measure
{
	my ($label, $c) = @_;
	my @rows;
	my $slow = sync_standby($c);
	push @rows, [ $label, 'both standbys well', @{ run_pgbench($c, "$c->{scope}-well") } ];
	my $child = slow_down($c, $slow);
	push @rows, [ $label, "$c->{names}[$slow] stopped 200 ms/s", @{ run_pgbench($c, "$c->{scope}-slow") } ];
	kill 'TERM', $child;
	waitpid($child, 0);
	return @rows;
}

my @rows;
my $c = pgha_cluster(timing => \@timing, params => \%PghaBench::PG_PARAMS, config => '"synchronous_mode":true');
push @rows, measure('pgha FIRST 1', $c);
stop_cluster($c);

$c = pgha_cluster(timing => \@timing, params => \%PghaBench::PG_PARAMS,
	config => '"synchronous_mode":"quorum","synchronous_node_count":1');
push @rows, measure('pgha ANY 1 of 2', $c);
stop_cluster($c);

$c = patroni_cluster(timing => \@timing, params => \%PghaBench::PG_PARAMS);
{
	# synchronous mode on, as patronictl edit-config would: the config key
	my $key = "/service/$c->{scope}/config";
	my $cfg = decode_json($c->{etcd}->get($key));
	$cfg->{synchronous_mode} = JSON::PP::true;
	$c->{etcd}->put($key, encode_json($cfg));
}
push @rows, measure('Patroni 3.0.2 FIRST 1', $c);
stop_cluster($c);

my @head = ('system', 'standbys', 'tps', 'p50 ms', 'p99 ms', 'max ms', 'commits > 50 ms');
my $title = "Commit latency, pgbench INSERT, 4 clients, $secs s";
diag(text_table($title, \@head, \@rows));
PostgreSQL::Test::Utils::append_to_file("$ENV{TESTDIR}/quorum.md", md_table($title, \@head, \@rows));
ok(1, 'measured');
done_testing();
