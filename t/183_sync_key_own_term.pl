
# A promotion rewrites a sync key of its own from an earlier term.  node1
# led with the key {node1, [node2]}, lost etcd and fenced; node2 (tagged
# nofailover) does not race.  node1 comes back as a standby and wins the
# race: the key already names node1 as its leader, but the standbys it
# lists were confirmed for node1's last term, not for the promotion, which
# starts with none confirmed.  Before, the takeover skipped a key that
# named this node as leader, so node2 stayed "synchronous" without having
# confirmed anything; now the winner writes {node1, null} before it
# promotes (node1's promotion hangs here, its startup process frozen, so
# the key can be read at that moment).

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
my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true}));
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd, extra_conf => ['pgha.nofailover = on']);
$node2->start;
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node1","sync_standby":"node2"/, 60), 'the sync key is {node1, [node2]}');

# node1 loses etcd and fences
my $offset = -s $node1->logfile;
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '127.0.0.1:1'");
$node1->reload;
ok($node1->wait_for_log(qr/fencing this primary/, $offset), 'node1 fenced itself');
ok(Pgha::Node::wait_down($node1), 'node1 is down');
my $deadline = time + 60;
usleep(100_000) while time < $deadline && defined $etcd->get('/service/test/leader');
ok(!defined $etcd->get('/service/test/leader'), 'node1\'s key expired; node2 (nofailover) did not race');

# node1 returns as a standby (fencing left standby.signal); its promotion will hang
$node1->append_conf('postgresql.conf', "pgha.etcd_hosts = '" . $etcd->endpoints . "'");
$node1->start;
my $startup = $node1->safe_psql('postgres',
	"SELECT pid FROM pg_stat_get_activity(NULL) WHERE backend_type = 'startup'");
like($startup, qr/^\d+$/, 'found node1\'s startup process');
kill 'STOP', $startup;

# a standby now, but the sync key's leader: it may race on the key's word
# alone, so a fresh copy under its name (which would lack what only it may
# have) is refused
ok($etcd->poll_key('/service/test/members/node1', qr/"role":"replica"/, 30), 'node1 is a member again, a replica');
my $ctlconf = PostgreSQL::Test::Utils::tempdir() . '/pghactl.conf';
PostgreSQL::Test::Utils::append_to_file($ctlconf,
	"pgha.etcd_hosts = '" . $etcd->endpoints . "'\npgha.scope = 'test'\npgha.name = 'node2'\n");
my ($out, $err, $in) = ('', '', '');
IPC::Run::run([ 'pghactl', 'reinit', 'node1', '-c', $ctlconf, '--force' ], '<', \$in, '>', \$out, '2>', \$err);
like($err, qr/the sync key names "node1" as its leader: its WAL may hold commits no other member has/,
	'pghactl reinit of the sync key\'s leader is refused');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 won the race (after waiting a ttl for a leader)');
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node1","sync_standby":null/, 10),
	'before its promotion completes, node1 rewrote its old key: no standby is confirmed')
  or diag('sync key: ' . ($etcd->get('/service/test/sync') // '(none)'));
kill 'CONT', $startup;
ok($node1->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node1 is promoted');

done_testing();
