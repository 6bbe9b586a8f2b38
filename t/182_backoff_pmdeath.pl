
# A postmaster death while the worker backs off after a failed iteration
# takes the same path as in its loop: the orphans of the dead instance are
# stopped (and a leader's key released).  The back-off used to exit at once
# (WL_EXIT_ON_PM_DEATH), leaving the orphaned backends running.  Here
# node2's iterations fail (ALTER SYSTEM cannot write: a directory stands
# where its temporary file goes), so its worker spends nearly all its time
# in the back-off when the postmaster is killed.

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

my $etcd = Pgha::Etcd->new(members => 1);
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');

# node2 cannot run ALTER SYSTEM any more; node1 moves its address, so node2
# must re-point primary_conninfo in every iteration, and fails
mkdir $node2->data_dir . '/postgresql.auto.conf.tmp' or die "mkdir: $!";
my $offset = -s $node2->logfile;
$node1->append_conf('postgresql.conf', "pgha.connect_address = 'localhost:" . $node1->port . "'");
$node1->reload;
ok($node2->wait_for_log(qr/pgha worker iteration failed/, $offset), 'node2\'s iterations fail');

# a backend of node2 that will outlive its postmaster
my $orphan = $node2->background_psql('postgres');
my $orphan_pid = $orphan->query_safe('SELECT pg_backend_pid()');
like($orphan_pid, qr/^\d+$/, "a client backend ($orphan_pid) on node2");

$offset = -s $node2->logfile;
my $pm2 = $node2->{_pid};
kill 'KILL', $pm2;
ok($node2->wait_for_log(qr/pgha: the postmaster died/, $offset), 'the worker took the postmaster-death path');
my $deadline = time + 10;
usleep(100_000) while time < $deadline && Pgha::Node::_alive($orphan_pid);
ok(!Pgha::Node::_alive($orphan_pid), 'the orphaned backend was stopped');
eval { $orphan->quit; };

usleep(100_000) while Pgha::Node::_alive($pm2);
Pgha::Node::forget_if_down($node2);
done_testing();
