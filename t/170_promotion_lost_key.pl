
# Interleaving 1: a promotion still running when the node loses the leader
# key must not leave it a writable primary.  node2 wins the race after
# node1 dies, but its startup process is frozen, so the promotion it asked
# for hangs.  Its worker freezes too; its lease runs out and node3 takes
# over.  The worker thaws, sees node3 lead and lets go of the key; the
# startup process has not taken the request, so the worker withdraws it,
# and node2 stays a standby of node3.
#
# t/177 runs this file with $restart_worker set: node2's worker is not
# thawed but terminated, and the postmaster starts a new one, which
# inherits the proof from shared memory though it never held the key.  It
# withdraws the promotion its predecessor asked for, since node3 leads; the
# test then puts the request back, as the startup process would have found
# it an instant before: the promotion completes, on a primary that does not
# hold the key, whose write gate must refuse every commit, even while its
# worker sleeps (frozen again here, as a busy or swapped-out worker would
# be).  A standby carries no proof.

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

our $restart_worker //= 0;

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id int, node text)');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
# node3 may not win the first failover: node2 must
my $node3 = Pgha::Node::new_replica('node3', $node1, etcd => $etcd,
	extra_conf => ['pgha.nofailover = on']);
$_->start for ($node2, $node3);
ok(Pgha::Node::streaming($node1, $_), "$_ streams") for qw(node2 node3);

sub pid_of
{
	my ($node, $type) = @_;
	return $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = '$type'");
}

# node2's startup process freezes: the promotion it will ask for hangs
my $startup = $node2->safe_psql('postgres',
	"SELECT pid FROM pg_stat_get_activity(NULL) WHERE backend_type = 'startup'");
like($startup, qr/^\d+$/, 'found node2\'s startup process');
kill 'STOP', $startup;

$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 won the race');
ok($node2->wait_for_log(qr/pgha: this node is the leader/), 'node2 asked for its promotion');
is($node2->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node2 is still in recovery (startup frozen)');

# node2's worker freezes while it holds the key; node3 becomes eligible and
# ranks above node2, which still answers probes as a standby
my $worker = pid_of($node2, 'pgha');
kill 'STOP', $worker;
$node3->append_conf('postgresql.conf', "pgha.nofailover = off\npgha.failover_priority = 2");
$node3->reload;
ok($etcd->poll_key('/service/test/leader', qr/^node3$/, 60), 'node2\'s lease ran out and node3 took the key');
ok($node3->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node3 is promoted');

my $offset = -s $node2->logfile;
if ($restart_worker)
{
	# node2's worker is terminated while frozen; a new one starts
	kill 'TERM', $worker;
	kill 'CONT', $worker;
	ok($node2->wait_for_log(qr/pgha worker reached etcd/, $offset), 'a new worker started on node2');
	$worker = pid_of($node2, 'pgha');
}
else
{
	# node2's worker thaws: it sees node3 lead and lets go of the key
	kill 'CONT', $worker;
	ok($node2->wait_for_log(qr/pgha: this node lost the leader key/, $offset), 'node2\'s worker let go of the key');
}
# two more iterations: whatever the gate becomes, it has become it
my $seen = $node2->safe_psql('postgres', 'SELECT last_decision FROM pgha.status()');
ok($node2->poll_query_until('postgres', "SELECT last_decision > '$seen' FROM pgha.status()"), 'one iteration later');
$seen = $node2->safe_psql('postgres', 'SELECT last_decision FROM pgha.status()');
ok($node2->poll_query_until('postgres', "SELECT last_decision > '$seen' FROM pgha.status()"), 'two iterations later');

if (!$restart_worker)
{
	# the worker that asked for the promotion withdrew it when it let go of
	# the key: the startup process, thawed, finds no request and node2
	# stays a standby, which follows node3
	ok($node2->wait_for_log(qr/pgha: withdrew the promotion this node had asked for/, $offset),
		'node2\'s worker withdrew the promotion it had asked for');
	kill 'CONT', $startup;
	ok(Pgha::Node::streaming($node3, 'node2'), 'node2 stayed a standby and streams from node3');
	is($node2->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node2 is in recovery');
	my ($ret, $out, $err) = $node2->psql('postgres', "INSERT INTO w VALUES (1, 'node2')");
	isnt($ret, 0, 'node2 refused the write');
	is($node3->safe_psql('postgres', "SELECT count(*) FROM w WHERE node = 'node2'"), '0',
		'node3 has no write from node2');
	Pgha::Node::forget_if_down($node1);
	done_testing();
	exit;
}

# the new worker withdraws the request it did not make (node3 leads)
ok($node2->wait_for_log(qr/pgha: withdrew a promotion asked for before this worker started/, $offset),
	'the new worker withdrew the promotion its predecessor asked for');

# the startup process may have taken the request an instant before: the
# file again, as it would have found it, and the promotion completes
kill 'STOP', $worker;
PostgreSQL::Test::Utils::append_to_file($node2->data_dir . '/promote', '');
kill 'CONT', $startup;
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2\'s promotion completed');

my ($ret, $out, $err) = $node2->psql('postgres', "INSERT INTO w VALUES (1, 'node2')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'node2, a primary without the leader key, refused the write')
  or diag('node3 leads; node2 acknowledged a write: two primaries');
like($err, qr/25006/, '... with SQLSTATE 25006');

# thawed, the worker fences node2
$offset = -s $node2->logfile;
kill 'CONT', $worker;
ok($node2->wait_for_log(qr/fencing this primary/, $offset), 'node2 fences itself');
Pgha::Node::wait_down($node2);
is($node3->safe_psql('postgres', "SELECT count(*) FROM w WHERE node = 'node2'"), '0',
	'node3 has no write from node2');

Pgha::Node::forget_if_down($node1);
done_testing();
