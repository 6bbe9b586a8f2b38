
# A synchronous standby cannot be impersonated.  synchronous_standby_names
# matches on application_name, so any replication client calling itself
# "node2" (pg_receivewal --synchronous here) could confirm commits and keep
# node2 in the sync key while node2 itself receives nothing: node2 would
# then be promoted without them.  Now only a stream on the member's own slot counts,
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

# node2 stops receiving (its WAL receiver frozen: its member key stays, it
# is still a member); an impostor streams under its name
$node1->safe_psql('postgres', 'CREATE TABLE w (x int)');
my $walrcv = $node2->safe_psql('postgres', 'SELECT pid FROM pg_stat_wal_receiver');
like($walrcv, qr/^\d+$/, 'found node2\'s WAL receiver');
kill 'STOP', $walrcv;
my $dir = PostgreSQL::Test::Utils::tempdir;
my ($out, $err) = ('', '');
my $impostor = IPC::Run::start(
	[ 'pg_receivewal', '-D', $dir, '--synchronous', '--no-loop', '-d',
	  $node1->connstr('postgres') . ' application_name=node2' ],
	'>', \$out, '2>', \$err);
my $offset = -s $node1->logfile;
# the impostor streams (synchronously) under node2's name, or is ended for it
ok($node1->poll_query_until('postgres',
	"SELECT count(*) > 1 FROM pg_stat_replication WHERE application_name = 'node2'")
	|| slurp_file($node1->logfile, $offset) =~ /ending a replication connection that calls itself "node2"/,
	'pg_receivewal streamed as node2')
  or diag("pg_receivewal: $err");
# the primary writes on; node2 has none of it
my $deadline = time + 30;
my $dropped = 0;
while (time < $deadline)
{
	$node1->safe_psql('postgres', 'SET synchronous_commit = local; INSERT INTO w VALUES (1)');
	$dropped = 1, last if ($etcd->get('/service/test/sync') // '') =~ /"sync_standby":null/;
	usleep(200_000);
}
ok($dropped, 'node2, which receives nothing, left the sync key although a stream calls itself node2')
  or diag('sync key: ' . ($etcd->get('/service/test/sync') // '(none)'));
ok($node1->wait_for_log(qr/ending a replication connection that calls itself "node2" but does not stream on its slot/, $offset),
	'node1 ended the impostor\'s stream');
$impostor->kill_kill;

# node2 receives again: it is synchronous again
kill 'CONT', $walrcv;
ok($etcd->poll_key('/service/test/sync', qr/"sync_standby":"node2"/, 60), 'node2, streaming on its slot, is synchronous again');

done_testing();
