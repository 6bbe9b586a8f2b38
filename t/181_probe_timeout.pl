
# A peer that answers the connection and then hangs must not hold a
# failover forever.  The candidate asks the other members how far they got
# (IDENTIFY_SYSTEM over a replication connection); the query had no time
# limit, and a member frozen after accepting the connection (SIGSTOP, a
# stalled disk: the kernel still acknowledges TCP, so neither the connect
# timeout nor tcp_user_timeout ends the wait) stopped the candidate's worker
# for good: no failover.  Here "node3" is a fake server that completes the
# startup handshake as a hot standby and never answers a query.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use IO::Socket::INET;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 1);
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');

# the fake member: accepts, says "standby", never answers a query
my $listen = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1', LocalPort => 0, ReuseAddr => 1)
  or die "listen: $!";
my $port = $listen->sockport;
my $fake = fork // die "fork: $!";
if ($fake == 0)
{
	# its own process group, and not prove's output: the test's end kills it all
	POSIX::setpgid(0, 0);
	open STDOUT, '>', '/dev/null';
	open STDERR, '>', '/dev/null';
	while (my $c = $listen->accept)
	{
		next if fork;
		my $msg = sub { my ($type, $body) = @_; print $c $type . pack('N', 4 + length $body) . $body; };
		for (;;)
		{
			my $len;
			last unless read($c, $len, 4) == 4;
			my $n = unpack('N', $len) - 4;
			my $body = '';
			read($c, $body, $n) if $n > 0;
			my $code = unpack('N', substr($body, 0, 4));
			# SSL or GSS encryption requested: no
			if ($n == 4 && ($code == 80877103 || $code == 80877104)) { print $c 'N'; next; }
			$msg->('R', pack('N', 0));
			$msg->('S', "in_hot_standby\0on\0");
			$msg->('Z', 'I');
			last;
		}
		sleep 3600;    # the query is never answered
		exit 0;
	}
	exit 0;
}
close $listen;
END { kill 'KILL', -$fake if $fake; }

my $sysid = $node1->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
$etcd->put('/service/test/members/node3',
	qq({"conn_url":"postgres://127.0.0.1:$port/postgres","state":"running","role":"replica","timeline":1,)
	  . qq("xlog_location":0,"pgha":{"sysid":"$sysid"}}));

# node1 dies: node2 must fail over although node3 never answers its probe
my $t0 = time;
my $pm1 = $node1->{_pid};
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 took over');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
note(sprintf('failover took %.1f s with a peer that never answers', time - $t0));

usleep(100_000) while Pgha::Node::_alive($pm1);
Pgha::Node::forget_if_down($node1);

done_testing();
