
# Postmaster death is an instant failover: when the primary's postmaster is
# killed, its pgha worker kills what is left of the instance (a backend busy
# in a long query would otherwise go on committing), then revokes its lease
# so a replica takes over at once instead of after the ttl.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $ttl = 20;    # long, so that a takeover well before it proves the release
my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":2,"retry_timeout":4}));

# the test framework turns restart_after_crash off; production has it on
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd, extra_conf => ['restart_after_crash = on']);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE TABLE t (id int)');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
$node2->start;
ok( Pgha::Node::streaming($node1, 'node2'),
	'node2 streams');

# A crash the postmaster recovers from by itself (a backend dies on a
# signal): every process restarts, the pgha worker too, and the new worker
# re-attaches to the leader key, which it still holds, well within the ttl:
# no failover.
my ($cin, $cout, $cerr) = ('', '', '');
my $victim = IPC::Run::start([ 'psql', '-X', '-d', $node1->connstr('postgres'), '-c', 'SELECT pg_sleep(600)' ],
	'<', \$cin, '>', \$cout, '2>', \$cerr);
ok($node1->poll_query_until('postgres', "SELECT count(*) = 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'"),
	'a backend is busy');
my $vpid = $node1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'");
my $log_pos = -s $node1->logfile;
kill 'SEGV', $vpid;
$victim->finish;
my $crash_t0 = time;
my $deadline = time + 3 * $ttl;
my $reattached = 0;
while (time < $deadline)
{
	my $log = substr(slurp_file($node1->logfile), $log_pos);
	if ($log =~ /all server processes terminated; reinitializing/ && $log =~ /Re-attached to the leader key/)
	{
		$reattached = 1;
		last;
	}
	usleep(100_000);
}
ok($reattached, sprintf('after the crash restart the new worker re-attached to the leader key (%.1f s, ttl %d s)',
	time - $crash_t0, $ttl));
is($etcd->get('/service/test/leader'), 'node1', 'node1 still holds the leader key');
ok($node1->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node1 runs as primary again');
$node1->safe_psql('postgres', 'INSERT INTO t VALUES (0)');
is($node2->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node2 was never promoted');

# a backend busy in a query that never looks at the postmaster
my ($in, $out, $err) = ('', '', '');
my $busy = IPC::Run::start(
	[ 'psql', '-X', '-d', $node1->connstr('postgres'), '-c',
	  'SELECT count(*) FROM generate_series(1, 10000000000)' ],
	'<', \$in, '>', \$out, '2>', \$err);
ok( $node1->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM generate_series%' AND state = 'active'"),
	'a long query runs on node1');
my $busy_pid = $node1->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM generate_series%'");

my $offset = -s $node1->logfile;
my $t0 = time;
$node1->kill9;    # the postmaster only
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 3 * $ttl), 'node2 took the leader key');
my $took = time - $t0;
cmp_ok($took, '<', $ttl / 2, sprintf('long before the ttl of %d s ran out (%.1f s)', $ttl, $took));
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');

my $log = slurp_file($node1->logfile, $offset);
like($log, qr/pgha: the postmaster died/, 'the worker saw the postmaster die');
like($log, qr/pgha: released the leader key after the postmaster died/, 'and released the leader key');
my $state = '';
if (open my $fh, '<', "/proc/$busy_pid/stat")
{
	my $stat = <$fh>;
	close $fh;
	($state) = $stat =~ /\) (\S)/;
}
ok($state eq '' || $state eq 'Z', "the busy backend ($busy_pid) was stopped (state '" . ($state // '') . "')");
$busy->finish;
diag(sprintf('postmaster kill -9 to new leader: %.1f s (ttl %d s)', $took, $ttl));

$node2->stop;
$etcd->stop;
done_testing();
