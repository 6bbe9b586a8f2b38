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

# failsafe_mode, a ttl lowered while the leader is cut off from etcd (the
# simulator's seed 1796662379, --failsafe --ttl-change).  The change reaches
# the members only.  A member promised not to race for its own ttl, 3 s,
# while the leader ran on by its own, 10 s: once the leader's worker stood
# still, the member took the key 3 s after the last ping and promoted while
# the leader still acknowledged commits.  Now a ping says the leader's ttl,
# and the member keeps its word for the longer of the two.

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => q({"ttl":10,"loop_wait":1,"retry_timeout":2,"failsafe_mode":true}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');
$node1->safe_psql('postgres', 'CREATE TABLE t (node text)');
ok($etcd->poll_key('/service/test/failsafe', qr/"node2"/, 30), 'the leader lists node2 in the /failsafe key');

# a ping whose ttl cannot be read is refused, and holds nobody back
my $offset2 = -s $node2->logfile;
$node2->psql('postgres', 'IDENTIFY_SYSTEM',
	connstr => $node2->connstr('postgres') . ' replication=true application_name=pgha_failsafe:node1:abc');
like(slurp_file($node2->logfile, $offset2), qr/pgha failsafe: invalid ping "pgha_failsafe:node1:abc"/,
	'node2 refuses a ping whose ttl is no number');

# node1 is cut off from etcd and runs on in failsafe
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '127.0.0.1:1'");
$node1->reload;
ok($node1->poll_query_until('postgres', "SELECT state = 'failsafe' FROM pgha.status()"),
	'node1 runs on in failsafe, vouched for by node2');
my $deadline = time + 60;
usleep(100_000) while time < $deadline && defined $etcd->get('/service/test/leader');
ok(!defined $etcd->get('/service/test/leader'), 'its leader key expired in etcd');

# the operator lowers the ttl meanwhile; only node2 reads it
$node2->safe_psql('postgres', q(SELECT pgha.set_config('{"ttl":3,"loop_wait":1,"retry_timeout":1}')));
ok($node2->poll_query_until('postgres', 'SELECT ttl = 3 FROM pgha.status()'), 'node2 runs by ttl 3');
is($node1->safe_psql('postgres', 'SELECT ttl FROM pgha.status()'), '10', 'node1 still runs by ttl 10');
ok($node2->poll_query_until('postgres', "SELECT last_rule = 'failsafe_leader_alive' FROM pgha.status()"),
	'node2 does not race: node1 asked it to vouch');

# node1's worker stands still: no more pings, its write gate runs out alone
my $worker = $node1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
like($worker, qr/^\d+$/, 'found the pgha worker of node1');
kill 'STOP', $worker;
my $t0 = time;

# the last commit node1 acknowledged must come before node2's first
my ($last1, $first2) = Pgha::Node::handover_times($node1, $node2, "INSERT INTO t (node) VALUES ('any')");
ok($last1 > $t0, 'node1 acknowledged commits after its worker stopped (the gate\'s deadline)');
ok($first2, 'node2 took over once the promise ran out');
cmp_ok($last1, '<', $first2, 'node1\'s last acknowledged commit came before node2\'s first: never two primaries');
note(sprintf('node1 acknowledged until %.1f s, node2 from %.1f s after the freeze', $last1 - $t0, $first2 - $t0));
like(slurp_file($node2->logfile, $offset2), qr/"node1" asked this node to vouch for it \d+ ms ago/,
	'node2 said why it held back');

kill 'CONT', $worker;
ok(Pgha::Node::wait_down($node1, 60), 'node1 fenced itself once its worker ran again');

done_testing();
