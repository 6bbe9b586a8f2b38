
# A promotion the startup process has already taken cannot be withdrawn.
# If its node loses the leader key before recovery ends (its worker frozen,
# the startup process stalled on a slow disk), the promotion completes
# after the new leader's.  PostgreSQL numbers a new timeline after the
# newest history file it has, so both would be "timeline 2", and pg_rewind
# and streaming tell timelines apart by id only: the late node could never
# be rewound ("no rewind required"), and could stream the new leader's WAL
# on top of its own.
#
# The startup process is stalled exactly there by its restore_command:
# PostgreSQL asks it for 00000002.history when it picks the new timeline,
# after it took the request (the file "promote" is gone by then).
#
# node2 wins after node1 dies and reserves timeline 2; its startup process
# takes the request and stalls; its worker freezes and the key expires.
# node3 takes over: it skips the reserved id (a placeholder history file)
# and promotes to timeline 3.  node2's promotion then completes on
# timeline 2, which node3's history key entry marks as skipped (a standby
# left on it knows it must be rewound: unit cases and the simulator): node2
# fences, and pg_rewind rewinds it for real.

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
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id int, node text)');

# node2's restore_command stalls when asked for a history file while the
# file "hold" exists, or "block" exists and the promotion was taken
my $dir = PostgreSQL::Test::Utils::tempdir();
my $script = "$dir/restore.sh";
PostgreSQL::Test::Utils::append_to_file($script, <<"EOS");
#!/bin/sh
case "\$1" in *.history) ;; *) exit 1 ;; esac
while [ -e "$dir/hold" ]; do sleep 0.05; done
if [ -e "$dir/block" ] && [ ! -e promote ]; then
	touch "$dir/stalled"
	while [ -e "$dir/block" ]; do sleep 0.05; done
fi
exit 1
EOS
chmod 0755, $script;

my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd,
	extra_conf => ["restore_command = '$script %f %p'"]);
# node3 may not win the first failover: node2 must
my $node3 = Pgha::Node::new_replica('node3', $node1, etcd => $etcd,
	extra_conf => ['pgha.nofailover = on']);
$_->start for ($node2, $node3);
ok(Pgha::Node::streaming($node1, $_), "$_ streams") for qw(node2 node3);
$node1->safe_psql('postgres', "INSERT INTO w VALUES (1, 'node1')");
$node1->wait_for_catchup($_) for ('node2', 'node3');

# node1 dies; node2's startup process holds in restore_command when the
# stream ends, so that node2's worker wins and asks before it looks
PostgreSQL::Test::Utils::append_to_file("$dir/hold", '');
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node2 won the race');
my $deadline = time + 60;
usleep(50_000) while time < $deadline && !-e $node2->data_dir . '/promote';
ok(-e $node2->data_dir . '/promote', 'node2 asked for its promotion');
like($etcd->get('/service/test/timeline') // '', qr/"timeline":2,"member":"node2"/,
	'node2 reserved timeline 2 before it asked');

# the startup process takes the request, then stalls where PostgreSQL
# picks the new timeline's id
PostgreSQL::Test::Utils::append_to_file("$dir/block", '');
unlink "$dir/hold";
$deadline = time + 60;
usleep(50_000) while time < $deadline && !-e "$dir/stalled";
ok(-e "$dir/stalled", 'node2\'s startup process took the request and stalls before it picks the timeline');
ok(!-e $node2->data_dir . '/promote', 'the request is gone: it cannot be withdrawn');

# node2's worker freezes; its lease runs out and node3 takes over
my $worker = $node2->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
like($worker, qr/^\d+$/, 'found node2\'s worker');
kill 'STOP', $worker;
my $offset3 = -s $node3->logfile;
$node3->append_conf('postgresql.conf', "pgha.nofailover = off");
$node3->reload;
ok($etcd->poll_key('/service/test/leader', qr/^node3$/, 60), 'node2\'s lease ran out and node3 took the key');
ok($node3->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node3 is promoted');
ok($node3->wait_for_log(qr/selected new timeline ID: \d+/, $offset3), 'node3 selected its timeline');
my $log3 = slurp_file($node3->logfile, $offset3);
my ($tli3) = $log3 =~ /selected new timeline ID: (\d+)/;
is($tli3, 3, 'node3 is on timeline 3, not on 2, which node2\'s promotion takes (before: 2)');
like($log3, qr/pgha: this promotion skips timeline ids 2 to 2/, 'node3 says it skipped the id node2 reserved');
$node3->safe_psql('postgres', "INSERT INTO w VALUES (2, 'node3')");

# node2's promotion completes: on timeline 2, an id nobody else took
my $offset2 = -s $node2->logfile;
unlink "$dir/block";
ok($node2->wait_for_log(qr/selected new timeline ID: (\d+)/, $offset2), 'node2\'s promotion completed');
my ($tli2) = slurp_file($node2->logfile, $offset2) =~ /selected new timeline ID: (\d+)/;
is($tli2, 2, 'node2 took timeline 2, the id it reserved, not node3\'s');
my ($ret) = $node2->psql('postgres', "INSERT INTO w VALUES (3, 'node2')");
isnt($ret, 0, 'node2, a primary without the key, refused a write');

# the worker thaws: node2 fences
kill 'CONT', $worker;
ok($node2->wait_for_log(qr/fencing this primary/, $offset2), 'node2 fences itself');
ok(Pgha::Node::wait_down($node2), 'node2 is down');
like($etcd->get('/service/test/history') // '', qr/\[2,0,"skipped/,
	'node3\'s history key marks timeline 2 as skipped');

# pghactl run's next step, as it does it: pg_rewind (without
# standby.signal, which its crash recovery in single-user mode refuses),
# then a start as a standby, with its own settings (pg_rewind copies
# node3's, which pghactl keeps outside the data directory)
my $signal = $node2->data_dir . '/standby.signal';
unlink $signal;
my %conf = map { $_ => slurp_file($node2->data_dir . "/$_") } ('postgresql.conf', 'postgresql.auto.conf');
my ($stdout, $stderr) = run_command([ 'pg_rewind', '-D', $node2->data_dir,
	'--source-server', $node3->connstr('postgres') ]);
like($stdout . $stderr, qr/servers diverged at WAL location \S+ on timeline 1/,
	'pg_rewind tells the timelines apart (with one id for both: "no rewind required")');
like($stdout . $stderr, qr/rewinding from last common checkpoint/, 'pg_rewind rewinds node2 for real');
PostgreSQL::Test::Utils::append_to_file($signal, '');
for my $f (keys %conf)
{
	unlink $node2->data_dir . "/$f";
	PostgreSQL::Test::Utils::append_to_file($node2->data_dir . "/$f", $conf{$f});
}
$node2->start;
ok(Pgha::Node::streaming($node3, 'node2'), 'node2 streams from node3');
ok($node2->poll_query_until('postgres', "SELECT count(*) = 2 FROM w"), 'node2 has node3\'s write');
is($node2->safe_psql('postgres', "SELECT count(*) FROM w WHERE node = 'node2'"), '0',
	'and nothing of its own timeline');

Pgha::Node::forget_if_down($node1);
done_testing();
