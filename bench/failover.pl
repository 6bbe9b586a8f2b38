
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
#   node loss            every process of the primary dies at once (kill -9
#                        of the postmaster and all its children): nobody
#                        releases anything, the lease has to expire
#
#   make bench-failover            # or: PGHA_BENCH_RUNS=5 make bench-failover
#
# Profiles: pgha's defaults (ttl 10, loop_wait 2, retry_timeout 4) and the
# minimum ttl pgha accepts (ttl 4, loop_wait 1, retry_timeout 1).

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

my $runs = $ENV{PGHA_BENCH_RUNS} // 3;
my @profiles = (
	[ 'defaults (ttl 10, loop_wait 2, retry_timeout 4)', 10, 2, 4 ],
	[ 'minimum ttl (ttl 4, loop_wait 1, retry_timeout 1)', 4, 1, 1 ],
);

sub median { my @s = sort { $a <=> $b } @_; return $s[ int($#s / 2) ]; }

sub kill_node
{
	my ($node) = @_;
	my $pid = $node->{_pid};
	my @children = split /\s+/, `pgrep -P $pid`;
	kill 'KILL', $pid, grep { /^\d+$/ } @children;
	$node->{_pid} = undef;
	return;
}

my @table;
my $scope_n = 0;
for my $fault ('postmaster kill -9', 'node loss')
{
for my $p (@profiles)
{
	my ($plabel, $ttl, $loop, $retry) = @$p;
	my $label = "$fault, $plabel";
	my @times;
	for my $run (1 .. $runs)
	{
		my $scope = 'bench' . ++$scope_n;
		my $etcd = Pgha::Etcd->new(members => 3);
		$etcd->put("/service/$scope/config",
			qq({"ttl":$ttl,"loop_wait":$loop,"retry_timeout":$retry}));
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
		$_->stop('immediate') for @rep;
		$etcd->stop;
	}
	push @table, [ $label, scalar(@times), @times ? (sort { $a <=> $b } @times)[0] : 0,
		@times ? median(@times) : 0, @times ? (sort { $a <=> $b } @times)[-1] : 0 ];
}
}

my $out = sprintf("\n%-70s %4s %8s %8s %8s\n", 'pgha failover: fault -> first accepted write', 'runs', 'min s', 'median s', 'max s');
$out .= sprintf("%-70s %4d %8.2f %8.2f %8.2f\n", @$_) for @table;
diag($out);
done_testing();
