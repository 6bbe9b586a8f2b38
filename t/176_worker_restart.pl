
# A restarted worker (same postmaster: pg_terminate_backend, an ERROR it
# could not recover from) carries on with the cluster's config, not the
# defaults: with ttl 20 in etcd, a successor that started from the default
# 10 s computed its fence window and its write gate from 10 s and swapped
# its lease twice (to a 10 s one, then back).  The leader keeps its lease
# and its ttl across the restart, and its renewals write nothing to etcd.

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
my ($node1) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 1,
	config => '{"ttl":20,"loop_wait":2,"retry_timeout":5}');
ok($node1->poll_query_until('postgres', 'SELECT ttl = 20 FROM pgha.status()'), 'node1 runs with ttl 20');
my $lease_before = $etcd->lease_of('/service/test/leader');
ok($lease_before, "the leader key sits on lease $lease_before");

my $offset = -s $node1->logfile;
my $worker = $node1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
$node1->safe_psql('postgres', "SELECT pg_terminate_backend($worker)");
ok($node1->wait_for_log(qr/pgha: this node is the leader/, $offset), 'the restarted worker holds the key again');
my ($ttl_after) = slurp_file($node1->logfile, $offset) =~ /lease \d+, ttl (\d+) s/;
is($ttl_after, 20, 'the restarted worker works with the cluster\'s ttl (20 s), not the default');
# two more iterations: a lease swap would have happened by now
my $seen = $node1->safe_psql('postgres', 'SELECT last_decision FROM pgha.status()');
ok($node1->poll_query_until('postgres', "SELECT last_decision > '$seen' FROM pgha.status()"), 'one iteration later');
$seen = $node1->safe_psql('postgres', 'SELECT last_decision FROM pgha.status()');
ok($node1->poll_query_until('postgres', "SELECT last_decision > '$seen' FROM pgha.status()"), 'two iterations later');
is($etcd->lease_of('/service/test/leader'), $lease_before, 'the leader key still sits on the same lease');
is($node1->safe_psql('postgres', 'SELECT ttl FROM pgha.status()'), '20', 'pgha.status() says ttl 20');

# A renewal writes nothing when the iteration's quorum read, after the
# keepalive, found the key ours on the live lease: the leader key is not
# rewritten (a write etcd replicates and syncs every loop of every cluster)
# while the lease deadline moves on.
my $rev = $etcd->mod_revision_of('/service/test/leader');
my $deadline = $node1->safe_psql('postgres', 'SELECT lease_deadline FROM pgha.status()');
ok($node1->poll_query_until('postgres', "SELECT lease_deadline > '$deadline' FROM pgha.status()"), 'a renewal');
$deadline = $node1->safe_psql('postgres', 'SELECT lease_deadline FROM pgha.status()');
ok($node1->poll_query_until('postgres', "SELECT lease_deadline > '$deadline' FROM pgha.status()"), 'another renewal');
is($etcd->mod_revision_of('/service/test/leader'), $rev, 'the renewals did not rewrite the leader key');
is($node1->safe_psql('postgres', 'SELECT last_rule FROM pgha.status()'), 'renew', 'the leader renews');

# Nor is the member key rewritten while nothing in it changed: the lease
# keeps it.  But when it is gone (removed behind the worker's back), the
# next iteration's read shows it, and the worker puts it back within a loop
# (it used to wait for its 30-s re-put).
my $member_rev = $etcd->mod_revision_of('/service/test/members/node1');
$deadline = $node1->safe_psql('postgres', 'SELECT lease_deadline FROM pgha.status()');
ok($node1->poll_query_until('postgres', "SELECT lease_deadline > '$deadline' FROM pgha.status()"), 'one more renewal');
$etcd->del('/service/test/members/node1');
my $t0 = time;
ok($etcd->poll_key('/service/test/members/node1', qr/"role":"primary"/, 6), 'the member key removed by hand is back');
note(sprintf('back after %.1f s (loop_wait 2 s)', time - $t0));
cmp_ok($etcd->mod_revision_of('/service/test/members/node1'), '>', $member_rev, '... written again');

done_testing();
