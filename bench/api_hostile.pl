
# bench/api_hostile.pl: how long a load balancer's health check (GET /health
# from 127.0.0.1) takes while hostile clients hold the REST API's
# connections: one node, one etcd member, one check every 250 ms.
#
#   quiet        nobody else
#   slow drip    64 connections from 127.0.0.2-5 (16 each, the per-address
#                cap) that send a request line and then one header byte a
#                second, reconnecting when cut
#   /history     64 keep-alive clients from 127.0.0.2-5 asking /history in
#                a loop
#
#   make bench-api     (PGHA_BENCH_CHECKS=N checks per scenario, default 40)
#
# Prints a table: median and worst check latency, and the checks that got
# no answer within 5 s.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib", "$FindBin::RealBin/lib";

use IO::Socket::INET;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;
use PghaBench;

my $checks = $ENV{PGHA_BENCH_CHECKS} || 40;
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', '{"ttl":10,"loop_wait":1,"retry_timeout":3}');
my $node = Pgha::Node::new_node('node1', etcd => $etcd, extra_conf => ["pgha.api_listen = '0.0.0.0:$port'"]);
$node->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 leads');

# one health check: seconds, or undef without an answer in 5 s
sub check
{
	my $t0 = time;
	my $code = `curl -s -o /dev/null -m 5 -w '%{http_code}' http://127.0.0.1:$port/health`;
	return $code eq '200' ? time - $t0 : undef;
}

sub measure
{
	my @lat;
	my $lost = 0;
	for (1 .. $checks)
	{
		my $t = check();
		defined $t ? push(@lat, $t) : $lost++;
		usleep(250_000);
	}
	my ($min, $med, $max) = PghaBench::mmm(@lat);
	return [ $med < 0 ? undef : $med, $max < 0 ? undef : $max, "$lost/$checks" ];
}

# n child processes, each running $code->($address) until killed
sub hostile
{
	my ($code) = @_;
	my @pids;
	for my $i (0 .. 63)
	{
		my $addr = '127.0.0.' . (2 + $i % 4);
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0)
		{
			$code->($addr);
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	sleep 2;    # let them take their places
	return @pids;
}

sub stop_all
{
	kill 'KILL', @_;
	waitpid($_, 0) for @_;
}

my @rows;
push @rows, [ 'quiet', @{ measure() } ];

my @pids = hostile(
	sub {
		my ($addr) = @_;
		for (;;)
		{
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", LocalAddr => $addr, Timeout => 5)
			  or do { sleep 1; next };
			$s->syswrite("GET /health HTTP/1.1\r\nHost: x\r\n") or next;
			while ($s->syswrite('X')) { sleep 1; }
		}
	});
push @rows, [ 'slow drip (64 connections, a byte a second)', @{ measure() } ];
stop_all(@pids);

@pids = hostile(
	sub {
		my ($addr) = @_;
		my @urls = ("http://127.0.0.1:$port/history") x 200;
		exec('sh', '-c', "while :; do curl -s -o /dev/null --interface $addr @urls; done");
	});
push @rows, [ '/history (64 keep-alive clients in a loop)', @{ measure() } ];
stop_all(@pids);

my @head = ('hostile clients', 'median s', 'worst s', 'no answer in 5 s');
diag(PghaBench::text_table('GET /health from 127.0.0.1 while others hold the REST API', \@head, \@rows));
ok(1, 'measured');

$node->stop;
$etcd->stop;
done_testing();
