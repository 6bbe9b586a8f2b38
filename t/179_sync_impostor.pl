
# A synchronous standby cannot be impersonated.  synchronous_standby_names
# matches on application_name, so any replication client calling itself
# "node2" (pg_receivewal --synchronous here) could confirm commits and keep
# node2 in the sync key while node2 itself is down: node2 would then be
# promoted without them.  Now only a stream on the member's own slot counts,
# and the leader ends a stream that uses the name without the slot.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true}));
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":"node2"/, 60), 'node2 is the synchronous standby');

# node2 goes down; an impostor streams under its name
$node2->stop('fast');
my $dir = PostgreSQL::Test::Utils::tempdir;
my $impostor = IPC::Run::start(
	[ 'pg_receivewal', '-D', $dir, '--synchronous', '--no-loop', '-d',
	  $node1->connstr('postgres') . ' application_name=node2' ],
	'>', \my $out, '2>', \my $err);
my $offset = -s $node1->logfile;
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":null/, 30),
	'with node2 down, the sync key drops node2 although a stream calls itself node2')
  or diag('sync key: ' . ($etcd->get('/service/test/sync') // '(none)'));
ok($node1->wait_for_log(qr/ending a replication connection that calls itself "node2" but does not stream on its slot/, $offset),
	'node1 ended the impostor\'s stream');
$impostor->kill_kill;

# node2 back: it is synchronous again
$node2->start;
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":"node2"/, 60), 'node2, back on its slot, is synchronous again');

done_testing();
