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

# failsafe_mode, a member restarts after vouching for a leader (the
# simulator's seed 1796663030, --failsafe --ttl-change).  Its promise lived
# in shared memory; after a restart it waited a ttl, the one it read then:
# 3 s, lowered while the leader, on 10 s, was cut off from etcd.  It took
# the key and promoted while the leader still acknowledged commits.  Now
# the data directory keeps how long the last promise runs
# (pgha.failsafe_promise), and a restarted member waits that long.

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => q({"ttl":10,"loop_wait":1,"retry_timeout":2,"failsafe_mode":true}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');
$node1->safe_psql('postgres', 'CREATE TABLE t (node text)');
ok($etcd->poll_key('/service/test/failsafe', qr/"node2"/, 30), 'the leader lists node2 in the /failsafe key');
my $kept = $node2->data_dir . '/pgha.failsafe_promise';
ok(!-e $kept, 'no promise kept before any ping');

sub kept { return -e $kept ? slurp_file($kept) : 'no file'; }

# node1 is cut off from etcd and runs on in failsafe
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '127.0.0.1:1'");
$node1->reload;
ok($node1->poll_query_until('postgres', "SELECT state = 'failsafe' FROM pgha.status()"),
	'node1 runs on in failsafe, vouched for by node2');
is(kept(), "10000\n", 'node2 keeps its promise in the data directory: 10 s');
my $deadline = time + 60;
usleep(100_000) while time < $deadline && defined $etcd->get('/service/test/leader');
ok(!defined $etcd->get('/service/test/leader'), 'node1\'s leader key expired in etcd');

# the operator lowers the ttl; only node2 reads it
$node2->safe_psql('postgres', q(SELECT pgha.set_config('{"ttl":3,"loop_wait":1,"retry_timeout":1}')));
ok($node2->poll_query_until('postgres', 'SELECT ttl = 3 FROM pgha.status()'), 'node2 runs by ttl 3');
is(kept(), "10000\n", 'a shorter promise does not replace the longer one still running');

# node2 restarts: a fast stop and a start, as a package upgrade would
my $offset2 = -s $node2->logfile;
$node2->stop('fast');
my $t0 = time;
$node2->start;

# the last commit node1 acknowledged must come before node2's first
my ($last1, $first2) = Pgha::Node::handover_times($node1, $node2, "INSERT INTO t (node) VALUES ('any')");
ok($last1 > $t0, 'node1 acknowledged commits after node2\'s restart (the gate\'s deadline)');
ok($first2, 'node2 took over once the promise ran out');
cmp_ok($last1, '<', $first2, 'node1\'s last acknowledged commit came before node2\'s first: never two primaries');
note(sprintf('node1 acknowledged until %.1f s, node2 from %.1f s after the restart', $last1 - $t0, $first2 - $t0));
like(slurp_file($node2->logfile, $offset2), qr/this node started \d+ ms ago and may have vouched for a leader before/,
	'node2 said why it held back after its restart');
ok(Pgha::Node::wait_down($node1, 60), 'node1 fenced itself');

# once every promise it kept ran out, the file goes: later restarts do not wait
$deadline = time + 60;
usleep(100_000) while time < $deadline && -e $kept;
ok(!-e $kept, 'node2 removed pgha.failsafe_promise once the promise ran out');

done_testing();
