
# Planned switchover: the leader checks the candidate streams from it,
# releases the key and shuts down cleanly (all WAL reaches the candidate);
# the candidate waits until the old primary is gone, takes the key and
# promotes; the old primary restarts as the candidate's standby without
# pg_rewind.  No acknowledged write is lost.

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

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);
$node1->safe_psql('postgres', 'CREATE TABLE t (id serial, note text)');

# bad requests change nothing
my ($rc, $out, $err) = $node3->psql('postgres', "SELECT pgha.switchover('node9')");
like($err, qr/member "node9" does not exist/, 'an unknown candidate is refused');
($rc, $out, $err) = $node3->psql('postgres', "SELECT pgha.switchover('node1')");
like($err, qr/member "node1" is already the leader/, 'the leader is no candidate');
is($etcd->get('/service/test/failover'), undef, 'no switchover request was written');

# acknowledged writes right up to the switchover
$node1->safe_psql('postgres', "INSERT INTO t (note) SELECT 'before ' || g FROM generate_series(1, 1000) g");

# a writer through the multi-host URL all along: a new row every few ms
my $url = Pgha::Node::multi_host_url($node1, $node2, $node3);
my $writer = Pgha::Node::writer($url, "INSERT INTO t (note) VALUES ('w' || \$i)");
Pgha::Node::wait_acked($writer, 20);

my $t0 = time;
my $chosen = $node3->safe_psql('postgres', "SELECT pgha.switchover('node2', wait => '60s')");
my $took = time - $t0;
# until the writer got a few rows into the new primary
my $w_before = () = Pgha::Node::acked($writer);
Pgha::Node::wait_acked($writer, $w_before + 10);
Pgha::Node::stop_writer($writer);
my @acked = Pgha::Node::acked($writer);
is($node2->safe_psql('postgres',
		"SELECT count(*) FROM t WHERE note IN (" . join(',', map { "'w$_'" } @acked) . ")"),
	scalar(@acked), scalar(@acked) . ' rows acknowledged to a writer during the switchover, all on node2');
is($chosen, 'node2', 'switchover requested from a replica, node2 chosen');
is($etcd->get('/service/test/leader'), 'node2', 'node2 holds the leader key');
is($node2->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', 'node2 is promoted');
diag(sprintf('switchover call to the candidate leading as primary: %.2f s', $took));
ok($etcd->poll_key('/service/test/failover', undef, 30), 'the request key is gone');
is($node2->safe_psql('postgres', "SELECT count(*) FROM t WHERE note LIKE 'before %'"), '1000',
	'the 1000 rows written before are there');
$node2->safe_psql('postgres', "INSERT INTO t (note) VALUES ('after')");

# the old primary stopped cleanly and comes back as node2's standby
ok(-f $node1->data_dir . '/standby.signal', 'node1 left itself a standby.signal');
Pgha::Node::forget_if_down($node1);
$node1->start;
ok( $node2->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = 'node1' AND state = 'streaming'"),
	'node1 streams from node2 after a plain restart');
my $total = $node2->safe_psql('postgres', 'SELECT count(*) FROM t');
ok($node1->poll_query_until('postgres', "SELECT count(*) = $total FROM t"), "node1 has every row ($total)");
unlike(slurp_file($node1->logfile), qr/is not a child of this server's history|forked off from/,
	'no timeline divergence: no pg_rewind needed');
ok( $node2->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = 'node3' AND state = 'streaming'"),
	'node3 follows node2');

# and back, choosing the candidate automatically (asked on a replica: on the
# leader itself the session would end with the leader's shutdown)
$chosen = $node3->safe_psql('postgres', "SELECT pgha.switchover(wait => '60s')");
like($chosen, qr/^node[13]$/, "switchover with no candidate chose $chosen");
is($etcd->get('/service/test/leader'), $chosen, "$chosen leads");

# the old leader of the second switchover shut itself down
ok(Pgha::Node::wait_down($node2), 'node2 shut down cleanly for the second switchover');
$node2->start;
# the candidate was chosen by the cluster (node1 and node3 are equally
# good), so the test follows whichever it was
my %node = (node1 => $node1, node2 => $node2, node3 => $node3);
my $lead = $node{$chosen};
my $next = $chosen eq 'node1' ? $node3 : $node1;
ok( $lead->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_replication WHERE state = 'streaming'"),
	"node2 rejoined as $chosen\'s standby");

# a scheduled switchover waits for its time, to the fraction of a second
# (a time kept to whole seconds would hand over up to 0.9 s early here)
my $target = $next->name;
my $at = $node2->safe_psql('postgres', "SELECT date_trunc('second', now()) + interval '3.9 seconds'");
is($node2->safe_psql('postgres', "SELECT pgha.switchover('$target', scheduled_at => '$at')"),
	$target, "switchover to $target scheduled");
like($etcd->get('/service/test/failover'), qr/"scheduled_at":"/, 'the request carries its schedule');
ok($etcd->poll_key('/service/test/leader', qr/^$target$/, 60), "$target took over");
my ($switched) = slurp_file($lead->logfile) =~ /^(\S+ \S+ UTC) \[\d+\] pgha LOG:  pgha: switching over to "$target"/m;
ok(defined $switched, "$chosen logged the handover at " . ($switched // '?'));
is($node2->safe_psql('postgres', "SELECT '$switched'::timestamptz >= '$at'::timestamptz"), 't',
	'not before the scheduled time');

ok(Pgha::Node::wait_down($lead), "$chosen handed over and shut down");

# pgha.failover(candidate): the DBA names the next leader (here while a
# leader runs: a handover to exactly that member)
ok(Pgha::Node::streaming($next, 'node2'), "node2 streams from $target");
is($node2->safe_psql('postgres', "SELECT pgha.failover('node2', wait => '60s')"), 'node2',
	'pgha.failover(\'node2\') returned once node2 leads');
is($etcd->get('/service/test/leader'), 'node2', 'node2 holds the leader key');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 is a primary');
ok(Pgha::Node::wait_down($next), "$target handed over and shut down");

# a request written by hand with a schedule nobody can read is cancelled
# by the leader, never run at once
my $offset = -s $node2->logfile;
$etcd->put('/service/test/failover', q({"leader":"node2","member":"node1","scheduled_at":"tomorrow at noon"}));
my $gone_by = time + 30;
usleep(100_000) while time < $gone_by && defined $etcd->get('/service/test/failover');
ok(!defined $etcd->get('/service/test/failover'), 'the leader deleted the request with an unreadable schedule');
ok($node2->wait_for_log(qr/pgha refused the switchover to "node1"\n.*DETAIL:  Its scheduled_at "tomorrow at noon" is no time this leader can read/, $offset),
	'and said why');
is($etcd->get('/service/test/leader'), 'node2', 'node2 still leads');
$node2->stop;
$etcd->stop;
done_testing();
