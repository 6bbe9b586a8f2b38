
# A backend that was still starting when the postmaster died must not
# commit after the worker released the leader key.
#
# When the postmaster dies, the primary's worker SIGKILLs every process in
# the proc array, then revokes its lease so that a replica takes over at
# once.  A backend forked just before the death but still reading its
# startup packet has no proc array entry yet.  Here it is frozen right
# after the fork, the client's startup packet and an INSERT wait in its
# socket.  Two guards: the worker closes the write gate before anything
# else (a commit would wait on it and see the postmaster gone), and it
# finds such a process by the instance's shared memory segment in its
# memory map and kills it too.  This test reaches the second: without it,
# the frozen backend kept the segment attached and no postmaster could
# start on node1's data directory ("pre-existing shared memory block is
# still in use"), and, resumed, it ran the INSERT up to the closed gate.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use IO::Socket::UNIX;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $ttl = 30;    # the old gate deadline would stay open for up to 24 s
my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":2,"retry_timeout":4}));
# no autovacuum worker forked meanwhile: the next child is our backend
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd, extra_conf => ['autovacuum = off']);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE TABLE t (id int)');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
$node2->start;
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');
$node1->safe_psql('postgres', 'INSERT INTO t VALUES (0)');

my $pm = $node1->{_pid};

# the pids whose parent is $ppid
sub children
{
	my ($ppid) = @_;
	my @pids;
	for my $dir (glob '/proc/[0-9]*')
	{
		open my $fh, '<', "$dir/stat" or next;
		my $stat = <$fh>;
		close $fh;
		push @pids, ($dir =~ m{(\d+)$})[0] if defined $stat && $stat =~ /\) \S (\d+) / && $1 == $ppid;
	}
	return @pids;
}

# connect, and freeze the backend the postmaster forks for us
my %before = map { $_ => 1 } children($pm);
my $sock = IO::Socket::UNIX->new(Peer => $node1->host . '/.s.PGSQL.' . $node1->port)
  or die "connect: $!";
my $late;
my $deadline = time + 10;
while (!$late && time < $deadline)
{
	($late) = grep { !$before{$_} } children($pm);
	usleep(1000) unless $late;
}
ok($late, 'the postmaster forked a backend for the new connection');

# Freeze it once it waits for the startup packet (in epoll: the kernel
# names that wait do_epoll_wait or ep_poll).  Earlier, it still holds
# the postmaster's end of the pipe that tells every process of the death:
# frozen there, it would hide the death from the worker altogether.
my $wchan = '';
$deadline = time + 10;
while ($wchan !~ /epoll|ep_poll/ && time < $deadline)
{
	$wchan = slurp_file("/proc/$late/wchan");
	usleep(1000) unless $wchan =~ /epoll|ep_poll/;
}
kill 'STOP', $late;
like($wchan, qr/epoll|ep_poll/, 'it waits for the startup packet; frozen there');

# the startup packet and the INSERT wait in the socket
my $params = "user\0" . TestLib_user() . "\0database\0postgres\0\0";
my $startup = pack('NN', 8 + length($params), 196608) . $params;
my $query = "INSERT INTO t VALUES (1)\0";
syswrite($sock, $startup . 'Q' . pack('N', 4 + length($query)) . $query);

my $offset = -s $node1->logfile;
kill 'KILL', $pm;
usleep(10_000) while Pgha::Node::_alive($pm);
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 3 * $ttl), 'node2 took the leader key');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');
like(slurp_file($node1->logfile, $offset), qr/released the leader key after the postmaster died/,
	'node1\'s worker released the key after the postmaster died');
$deadline = time + 10;
usleep(10_000) while time < $deadline && Pgha::Node::_alive($late);
ok(!Pgha::Node::_alive($late),
	'the frozen backend (no proc array entry) was killed: found by the shared memory segment it is attached to');

# nothing of the dead instance holds its shared memory: node1 starts at once
# (as a primary on the old timeline, which pgha fences)
$deadline = time + 10;
usleep(10_000) while time < $deadline && kill(0, $pm);
Pgha::Node::forget_if_down($node1);
my $offset2 = -s $node1->logfile;
$node1->start(fail_ok => 1);
unlike(slurp_file($node1->logfile, $offset2), qr/pre-existing shared memory block .* is still in use/,
	'node1 starts again on its data directory: nothing of the dead instance holds its shared memory');
$deadline = time + 20;
usleep(100_000)
  while time < $deadline
  && slurp_file($node1->logfile, $offset2) !~ /database system is ready to accept connections/;
like(slurp_file($node1->logfile, $offset2), qr/database system is ready to accept connections/, '... it runs');
ok(Pgha::Node::wait_down($node1, 30), '... and pgha fences it: node2 leads');

close $sock;

# (if the scan missed it above: the frozen backend, while still ours, goes now)
kill 'KILL', $late
  if Pgha::Node::_alive($late) && -r "/proc/$late/cmdline" && slurp_file("/proc/$late/cmdline") =~ /postgres/;
Pgha::Node::forget_if_down($node1);
$node2->stop;
$etcd->stop;
done_testing();

# the role the test framework's initdb made: the operating system user
sub TestLib_user
{
	return scalar getpwuid($<);
}
