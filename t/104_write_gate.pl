
# The write gate: a primary whose worker cannot act (stopped with SIGSTOP,
# starved, the whole instance frozen) must not go on committing once its
# lease may have run out.  Backends check the fence deadline the worker
# publishes before every writing commit, so writes stop at 80% of the ttl,
# before the lease expires in etcd and a replica is promoted: never two
# primaries accepting writes, even with the HA agent frozen.  (Patroni
# frozen the same way leaves its primary writable: bench/compare.pl.)

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

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2) = Pgha::Node::start_cluster(
	etcd => $etcd, nodes => 2,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":1}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams from node1');
$node1->safe_psql('postgres', 'CREATE TABLE w (id int PRIMARY KEY, node text)');

# one write attempt on a node: 'ok', or the error text
sub write_on
{
	my ($node, $id) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"INSERT INTO w VALUES ($id, '" . $node->name . "')",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return $ret == 0 ? 'ok' : $err;
}

is(write_on($node1, 0), 'ok', 'node1 accepts writes');

# freeze node1's worker: nothing on node1 renews the lease any more
my $worker = $node1->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
like($worker, qr/^\d+$/, 'found the pgha worker of node1');
kill 'STOP', $worker;
my $t0 = time;

# write to node1 every 100 ms and watch etcd until node2 is the leader
my ($id, $last_ok, $first_refused, $refusal, $leader_moved, @acked) = (1);
my $late_ok = 0;
while (time - $t0 < 6 * $ttl)
{
	my $r = write_on($node1, $id);
	my $now = time;
	if ($r eq 'ok')
	{
		push @acked, $id;
		$last_ok = $now;
		$late_ok++ if defined $first_refused;
	}
	elsif (!defined $first_refused)
	{
		($first_refused, $refusal) = ($now, $r);
	}
	$id++;
	my $leader = $etcd->get('/service/test/leader') // '';
	if ($leader eq 'node2')
	{
		$leader_moved = $now;
		last;
	}
	usleep(100_000);
}
ok(defined $first_refused, sprintf('node1 refused writes %.1f s after its worker froze (ttl %d s)',
	($first_refused // $t0) - $t0, $ttl));
like($refusal // '', qr/25006.*leader lease of this primary may have expired/s,
	'the refusal says why, with SQLSTATE 25006 (read-only transaction)');
ok(defined $leader_moved, sprintf('node2 took the leader key %.1f s after the freeze',
	($leader_moved // $t0) - $t0));
ok(defined $first_refused && defined $leader_moved && $first_refused < $leader_moved,
	sprintf('node1 stopped writing %.1f s before node2 took over',
		($leader_moved // 0) - ($first_refused // 0)));
is($late_ok, 0, 'no write was acknowledged on node1 after the first refusal');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 was promoted');

# node1 keeps refusing while its worker is still frozen; it still reads
like(write_on($node1, $id++), qr/leader lease of this primary may have expired/, 'node1 still refuses writes after the promotion');
is($node1->safe_psql('postgres', 'SELECT count(*) > 0 FROM w'), 't', 'node1 still answers reads');

# nothing node1 acknowledged is lost: node2 had streamed all of it
is($node2->safe_psql('postgres', "SELECT count(*) FROM w WHERE node = 'node1'"),
	scalar(@acked) + 1, 'every write node1 acknowledged is on node2 (' . (scalar(@acked) + 1) . ' rows)');
is(write_on($node2, 100000), 'ok', 'node2 accepts writes');

# thawed, the worker sees its deadline passed and fences node1
my $offset = -s $node1->logfile;
kill 'CONT', $worker;
ok($node1->wait_for_log(qr/fencing this primary/, $offset), 'thawed, the worker fences node1');
my $pm = $node1->{_pid};
my $deadline = time + 30;
usleep(100_000) while time < $deadline && Pgha::Node::_alive($pm);
ok(!Pgha::Node::_alive($pm), 'node1 is down');
Pgha::Node::forget_if_down($node1);

# A clean start closes the gate too, until the worker holds the key: the
# leader restarted, a write sent the moment it accepts connections waits
# for the key (a fraction of a second) and commits.
$node2->restart;
my $t_start = time;
is(write_on($node2, $id++), 'ok', sprintf('node2 restarted: a write right after the start commits (%.2f s)', time - $t_start));
is($etcd->get('/service/test/leader'), 'node2', 'node2 holds the leader key again');

# node1, the fenced former primary, started by hand as a primary (its
# standby.signal removed) while node2 leads: it must never acknowledge a
# write; its worker finds node2 in the key and fences it again.
sub start_by_hand_as_primary
{
	my ($node) = @_;
	unlink $node->data_dir . '/standby.signal';
	my $offset = -s $node->logfile;
	$node->start(fail_ok => 1);
	my %r = (ok => 0, refused => 0, tries => 0, first_id => $id);
	my $deadline = time + 30;
	while (time < $deadline && $node->{_pid} && Pgha::Node::_alive($node->{_pid}))
	{
		my $w = write_on($node, $id++);
		$r{tries}++;
		$r{ok}++ if $w eq 'ok';
		$r{refused}++, $r{refusal} //= $w if $w =~ /25006/;
	}
	$r{fenced} = $node->wait_for_log(qr/fencing this primary/, $offset);
	$r{down} = !($node->{_pid} && Pgha::Node::_alive($node->{_pid}));
	Pgha::Node::forget_if_down($node);
	$r{on_node2} = $node2->safe_psql('postgres', "SELECT count(*) FROM w WHERE id >= $r{first_id} AND node = 'node1'");
	return \%r;
}
my $r = start_by_hand_as_primary($node1);
is($r->{ok}, 0, "node1, started by hand as a primary while node2 leads, acknowledged no write ($r->{tries} tried)");
ok($r->{fenced} && $r->{down}, 'node1 fenced itself again');
# it knew who leads: the next start follows node2
my $auto = slurp_file($node1->data_dir . '/postgresql.auto.conf');
my $node2_port = $node2->port;
like($auto, qr/^primary_conninfo = '[^\n]*port=''$node2_port''[^\n]*'$/m, 'fencing pointed primary_conninfo at node2');
like($auto, qr/^primary_slot_name = 'node1'$/m, '... with node1\'s slot');
ok(-f $node1->data_dir . '/standby.signal', '... and left standby.signal');

# the same with node1 unable to reach etcd (its worker cannot learn who
# leads): the gate holds every commit, and fencing follows at 80% of ttl
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '127.0.0.1:1'");
# without the config saved in its data directory the node works with the
# defaults, whose fence window (8 s) outlasts a commit's 5 s wait for a
# proof: the gate's refusal shows (with the cluster's ttl 6 the fence comes
# first and ends the waiting commit's connection)
unlink($node1->data_dir . '/pgha.dynamic.json');
$r = start_by_hand_as_primary($node1);
ok($r->{tries} > 0, "node1 cut off from etcd, started by hand as a primary: up for $r->{tries} write attempts");
is($r->{ok}, 0, 'node1 acknowledged none of them');
like($r->{refusal} // '', qr/25006.*has not proven that it holds the leader lease/s,
	'refused by the gate: the worker has not proven the lease since the start');
ok($r->{fenced} && $r->{down}, 'node1 fenced itself');
is($r->{on_node2}, '0', 'none of node1\'s attempts reached node2');

# paused (maintenance mode), the DBA runs the show, but only while the node
# knows the cluster is paused: a worker frozen for longer than the fence
# window cannot see a resume (after which a standby may take the expired
# key), so the gate closes as unpaused; thawed, it opens again.
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":1,"pause":true}));
ok($node2->poll_query_until('postgres', "SELECT paused FROM pgha.status()"), 'node2 sees the pause')
  or diag($node2->safe_psql('postgres', 'SELECT * FROM pgha.status()'));
$worker = $node2->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
kill 'STOP', $worker;
my $paused_t0 = time;
my ($paused_first, $paused_refused, $paused_late_ok) = (write_on($node2, $id++), undef, 0);
while (time - $paused_t0 < $ttl + 1)
{
	my $r = write_on($node2, $id++);
	$paused_refused //= time - $paused_t0 if $r ne 'ok';
	$paused_late_ok++ if $r eq 'ok' && defined $paused_refused;
	usleep(200_000);
}
kill 'CONT', $worker;
is($paused_first, 'ok', 'paused, node2 accepts writes');
ok(defined $paused_refused && $paused_refused < $ttl,
	sprintf('paused with its worker frozen, node2 refused writes after %.1f s (fence window %.1f s)',
		$paused_refused // -1, 0.8 * $ttl));
is($paused_late_ok, 0, '... and none after that while the worker stayed frozen');
my $paused_deadline = time + 30;
my $paused_back = '';
while (time < $paused_deadline)
{
	$paused_back = write_on($node2, $id++);
	last if $paused_back eq 'ok';
	usleep(100_000);
}
is($paused_back, 'ok', 'thawed, still paused, node2 accepts writes again');

# A crash restart starts shared memory afresh: a primary cut off from etcd
# must not get a fresh window from it (the gate waits 5 s for a proof).  etcd goes away, a process dies on
# a signal, the instance restarts: no commit until a renewal is proven
# (paused or not: the pause lived in the shared memory that is gone).
$node2->append_conf('postgresql.conf', 'restart_after_crash = on');
$node2->reload;
$etcd->kill($_) for 1 .. $etcd->members;
my $victim = $node2->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
$offset = -s $node2->logfile;
kill 'KILL', $victim;
ok($node2->wait_for_log(qr/database system is ready to accept connections/, $offset),
	'node2 restarted after the crash');
my $after = '';
$deadline = time + 10;
while (time < $deadline)
{
	$after = write_on($node2, $id++);
	last if $after ne 'ok' && $after !~ /connection|starting up|recovery/;
	usleep(100_000);
}
like($after, qr/25006.*has not proven that it holds the leader lease/s,
	'after the crash restart, without etcd, node2 refuses writes (nothing proven)');

done_testing();
