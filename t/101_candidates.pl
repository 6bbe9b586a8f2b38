
# Who may win a failover: a replica lagging beyond maximum_lag_on_failover
# and a replica tagged nofailover never take the leader key; the eligible
# one does and the others follow it.  Then pause: with the cluster paused,
# nobody promotes when the leader dies; after resume somebody does.

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
my $config = qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"maximum_lag_on_failover":1048576});
my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', $config);

my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE big (id int, pad text)');

my $lagging = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
my $nofail = Pgha::Node::new_replica('node3', $node1, etcd => $etcd,
	extra_conf => ['pgha.nofailover = on']);
my $good = Pgha::Node::new_replica('node4', $node1, etcd => $etcd);
$_->start for ($lagging, $nofail, $good);
for my $n ($lagging, $nofail, $good)
{
	my $name = $n->name;
	ok( Pgha::Node::streaming($node1, $name),
		"$name streams");
}
like($etcd->get('/service/test/members/node3'), qr/"tags":\{"nofailover":true\}/,
	'node3 publishes its nofailover tag');

# node2 stops receiving: freeze its WAL receiver, then write 4 MB
my $walrcv = $lagging->safe_psql('postgres', 'SELECT pid FROM pg_stat_wal_receiver');
ok($walrcv > 0, 'node2 WAL receiver pid known');
kill 'STOP', $walrcv;
$node1->safe_psql('postgres',
	"INSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 4000) g");
my $target = $node1->lsn('flush');
$node1->wait_for_catchup($_, 'replay', $target) for ($nofail, $good);
# the leader publishes its position in the status key every loop
my $target_int = $node1->safe_psql('postgres', "SELECT '$target'::pg_lsn - '0/0'");
my $deadline = time + 30;
my $optime = 0;
while (time < $deadline)
{
	($optime) = ($etcd->get('/service/test/status') // '') =~ /"optime":(\d+)/;
	last if defined $optime && $optime >= $target_int;
	usleep(100_000);
}
cmp_ok($optime // 0, '>=', $target_int, 'the status key carries the leader\'s position');

$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node4$/, 60), 'node4, the only eligible replica, wins');
ok($good->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node4 is promoted');
# Each declines when it looks at the race, or finds node4's key first (node4
# can win within milliseconds of the kill, before another worker wakes)
$lagging->wait_for_log(qr/pgha decision: too_far_behind|pgha: following leader "node4"/);
ok(1, 'node2 declined (too far behind) or followed node4');
$nofail->wait_for_log(qr/pgha decision: not_candidate|pgha: following leader "node4"/);
ok(1, 'node3 declined (nofailover) or followed node4');
is($lagging->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node2 stayed a standby');
is($nofail->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node3 stayed a standby');

kill 'CONT', $walrcv;
for my $n ($lagging, $nofail)
{
	my $name = $n->name;
	ok( Pgha::Node::streaming($good, $name),
		"$name follows node4");
}
$good->safe_psql('postgres', 'INSERT INTO big VALUES (-1, \'after\')');
ok($lagging->poll_query_until('postgres', 'SELECT count(*) = 4001 FROM big'),
	'node2 caught up from the new leader');

# --- pause: no automatic failover
(my $paused = $config) =~ s/\}$/,"pause":true}/;
$etcd->put('/service/test/config', $paused);
for my $n ($good, $lagging, $nofail)
{
	ok($n->poll_query_until('postgres', 'SELECT paused FROM pgha.status()'),
		$n->name . ' sees the pause');
}
$good->kill9;
ok($etcd->poll_key('/service/test/leader', undef, 60), 'the dead leader\'s key expires');
my $gone_at = $lagging->safe_psql('postgres', 'SELECT now()');
for my $n ($lagging, $nofail)
{
	# wait for a decision made after the key was gone, then check the role
	ok( $n->poll_query_until('postgres',
			"SELECT last_decision > '$gone_at' AND coalesce(leader, '') = '' FROM pgha.status()"),
		$n->name . ' has seen the cluster without a leader')
	  or diag($n->safe_psql('postgres', 'SELECT * FROM pgha.status()', extra_params => ['-x']));
	is($n->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't',
		$n->name . ' does not promote while paused');
}

$etcd->put('/service/test/config', $config);
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'after resume, node2 takes over');
ok($lagging->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is promoted');

# --- a config that breaks the timing rules is adjusted as Patroni adjusts
# it (loop_wait first), and said
my $offset = -s $lagging->logfile;
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":4,"retry_timeout":2}');
$lagging->wait_for_log(qr/pgha: the cluster config has values pgha coerced or adjusted/, $offset);
like(slurp_file($lagging->logfile, $offset),
	qr/DETAIL:  loop_wait \+ 2 \* retry_timeout \(8\) must not exceed ttl \(6\): loop_wait adjusted to 2/,
	'the log line says which rule was broken and what was adjusted');
ok($lagging->poll_query_until('postgres', 'SELECT ttl || \'/\' || loop_wait || \'/\' || retry_timeout FROM pgha.status()',
		'6/2/2'), 'loop_wait adjusted to 2');

# --- a config pgha cannot read is refused, the last good one stays
$offset = -s $lagging->logfile;
$etcd->put('/service/test/config', '{"ttl":"soon","loop_wait":1,"retry_timeout":2}');
$lagging->wait_for_log(qr/pgha ignores the invalid config in etcd/, $offset);
like(slurp_file($lagging->logfile, $offset), qr/DETAIL:  "ttl" must be an integer/, 'the warning says why');
is($lagging->safe_psql('postgres', 'SELECT ttl || \'/\' || loop_wait || \'/\' || retry_timeout FROM pgha.status()'),
	'6/2/2', 'the last valid timing stays in force');

$lagging->stop;
$nofail->stop;
$etcd->stop;
done_testing();
