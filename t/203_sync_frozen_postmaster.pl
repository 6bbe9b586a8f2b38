
# Synchronous standbys are confirmed against the primary's flush position
# of the moment a new synchronous_standby_names took effect.  It takes
# effect when the postmaster relays the reload to the walsenders; with the
# postmaster frozen (SIGSTOP; the worker and the walsenders run on), the
# walsenders go on acknowledging commits under the old value, so nothing may
# be confirmed against the new one.  Here: quorum commit, ANY 1 of node2 and
# node3, and node3 leaves (sync_priority 0).  Before the relay, the key must
# keep naming node3 (it may hold commits node2 lacks); after it, the key
# names node2 alone.

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
	config => '{"ttl":20,"loop_wait":1,"retry_timeout":5,"synchronous_mode":"quorum","synchronous_node_count":1}');
ok($etcd->poll_key('/service/test/sync', qr/^\{"leader":"node1","sync_standby":"node2,node3","quorum":1\}$/, 60),
	'ANY 1 of node2 and node3: the key names both, quorum 1');

my $pm = (split /\n/, slurp_file($node1->data_dir . '/postmaster.pid'))[0];
my $offset = -s $node1->logfile;
kill 'STOP', $pm;
END { kill 'CONT', $pm if $pm; }

# node3 leaves the quorum: the leader sets ANY 1 (node2) at once
$node3->append_conf('postgresql.conf', 'pgha.sync_priority = 0');
$node3->reload;
ok($node1->wait_for_log(qr/pgha: synchronous_standby_names = 'ANY 1 \("node2"\)'/, $offset),
	'the leader set ANY 1 ("node2") with its postmaster frozen');

# not relayed: for 6 s (several iterations, past the settle time) the key
# keeps node3
my $until = time + 6;
my $key;
while (time < $until)
{
	$key = $etcd->get('/service/test/sync');
	last if $key !~ /"sync_standby":"node2,node3","quorum":1/;
	usleep(100_000);
}
like($key, qr/"sync_standby":"node2,node3","quorum":1/,
	'postmaster frozen: the key still names node3 6 s later (the walsenders apply the old value)');

kill 'CONT', $pm;
ok($etcd->poll_key('/service/test/sync', qr/^\{"leader":"node1","sync_standby":"node2","quorum":0\}$/, 30),
	'postmaster thawed: the reload is relayed, node2 confirmed, the key names node2 alone');

$_->stop for ($node1, $node2, $node3);
$etcd->stop;
done_testing();
