
# Moving the primary role to another site with Patroni 4's commands:
# cluster "test" (node1, node2) and its standby cluster "dr" (node3, made
# by pghactl run from test's primary).  pghactl demote-cluster makes test a
# standby cluster of dr: node1 stops cleanly and comes back as its standby
# leader; pghactl promote-cluster makes dr a cluster of its own.  Nothing
# written before is lost, and dr's new rows reach both of test's nodes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Run;

my $etcd = Pgha::Etcd->new(members => 1);
my $c = Pgha::Run->new(
	etcd => $etcd,
	nodes => 3,
	conf => sub { return $_[0] eq 'node3' ? ["pgha.scope = 'dr'"] : []; });
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
$etcd->put('/service/dr/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,)
	  . qq("standby_cluster":{"host":"127.0.0.1","port":$c->{port}{node1}}}));

sub ctl
{
	my ($node, @args) = @_;
	my ($out, $err, $in) = ('', '', '');
	IPC::Run::run([ 'pghactl', @args, '-c', $c->{conf}{$node} ], '<', \$in, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads test');
$c->sql('node1', 'CREATE EXTENSION pgha; CREATE TABLE t (x int)');
$c->sql('node1', 'INSERT INTO t VALUES (1)');
$c->start('node2');
ok($c->streams_from('node1', 'node2'), 'node2 streams from node1');
$c->start('node3');
ok($etcd->poll_key('/service/dr/members/node3', qr/"role":"standby_leader"/, 90),
	'node3 is the standby leader of dr');
ok($c->streams_from('node1', 'node3'), '... replicating from node1');

my ($rc, $out, $err) = ctl('node1', 'demote-cluster', '--force');
is($rc, 2, 'demote-cluster without --host: a usage error');
like($err, qr/demote-cluster needs --host/, '... saying so');
($rc, $out, $err) = ctl('node1', 'demote-cluster', '--host', '127.0.0.1', '--restore-command', 'cp x y', '--force');
is($rc, 2, '--restore-command is refused');
like($err, qr/pgha runs no command from etcd/, '... with the reason');
($rc, $out, $err) = ctl('node1', 'promote-cluster', '--force');
is($rc, 1, 'promote-cluster of a cluster that runs a primary is refused');
like($err, qr/cluster "test" is already in the required state: "node1" is its primary/, '... with the reason');

($rc, $out, $err) = ctl('node3', 'promote-cluster', '--force');
is($rc, 1, 'promote-cluster while the remote primary runs is refused');
like($err, qr/the remote primary 127\.0\.0\.1:$c->{port}{node1} still runs as a primary: promoting makes two primaries/,
	'... two primaries, it says');
is($c->sql('node3', 'SELECT pg_is_in_recovery()'), 't', '... node3 stays a standby');
($rc, $out, $err) = ctl('node1', 'demote-cluster', '--host', '127.0.0.1', '--port', $c->{port}{node2}, '--force');
is($rc, 1, 'demote-cluster to follow a member of the same cluster is refused');
like($err, qr/is member "node2" of this cluster: it cannot follow itself/, '... with the reason');
ctl('node1', 'pause');
($rc, $out, $err) = ctl('node1', 'demote-cluster', '--host', '127.0.0.1', '--port', $c->{port}{node3}, '--force');
is($rc, 1, 'demote-cluster of a paused cluster is refused');
like($err, qr/cluster "test" is paused/, '... with the reason');
ctl('node1', 'resume');
unlike($etcd->get('/service/test/config'), qr/standby_cluster/, 'the refusals changed no config');

# test becomes a standby cluster of dr
$c->sql('node1', 'INSERT INTO t VALUES (2)');
($rc, $out, $err) = ctl('node1', 'demote-cluster', '--host', '127.0.0.1', '--port', $c->{port}{node3},
	'--force', '--wait', '90');
is($rc, 0, 'pghactl demote-cluster') or diag($err);
like($out, qr/Cluster "test" demoted: "node1" is its standby leader/, '... node1 is the standby leader');
is($c->sql('node1', 'SELECT pg_is_in_recovery()'), 't', 'node1 runs as a standby');
like(slurp_file($c->log('node1')), qr/the config makes this cluster a standby cluster: this primary stops \(fast shutdown\)/,
	'it stopped cleanly for that');
ok($c->streams_from('node3', 'node1'), 'node1 streams from node3, the remote');
ok($c->streams_from('node1', 'node2'), 'node2 follows node1');
ok($c->poll_sql('node3', 'SELECT count(*) FROM t', '2'), 'node3 has every row test wrote');
($rc, $out, $err) = ctl('node1', 'switchover', '--force');
is($rc, 1, 'no switchover inside a standby cluster');
like($err, qr/the cluster is a standby cluster: switchover and failover inside it are not supported/, '... said so');
{
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $c->{port}{node2}, '-U', $c->{user},
		  '-d', 'postgres', '-c', 'SELECT pgha.switchover()' ], '>', \$o, '2>', \$e);
	like($e, qr/ERROR:  switchover and failover inside a standby cluster are not supported/,
		'pgha.switchover() refuses it too');
}
($rc, $out, $err) = ctl('node1', 'demote-cluster', '--host', '127.0.0.1', '--force');
is($rc, 1, 'demote-cluster of a standby cluster is refused');
like($err, qr/already in the required state: "node1" is its standby leader/, '... with the reason');

# dr runs on its own: its rows reach test
($rc, $out, $err) = ctl('node3', 'promote-cluster', '--force', '--wait', '90');
is($rc, 0, 'pghactl promote-cluster') or diag($err);
like($out, qr/Cluster "dr" promoted: "node3" is its primary/, '... node3 is the primary');
$c->sql('node3', 'INSERT INTO t VALUES (3)');
ok($c->poll_sql($_, 'SELECT count(*) FROM t', '3'), "$_ has dr's new row") for ('node1', 'node2');
my (undef, $list) = ctl('node1', 'list');
like($list, qr/^\s*\|?\s*node1\b.*Standby Leader/m, 'pghactl list: node1 is test\'s Standby Leader') or diag($list);

# ---- back again, unplanned: dr's primary wrote a row test never got, its
# site went down, test was promoted; dr comes back as a standby cluster of
# test, and pghactl rewinds node3 against its new remote ----
$c->stop($_) for qw(node1 node2);
$c->sql('node3', 'INSERT INTO t VALUES (5)');
$c->stop('node3');
$c->start($_) for qw(node1 node2);
my $sl;
my $deadline = time + 90;
while (time < $deadline)
{
	$sl = $etcd->get('/service/test/leader') // '';
	last if $sl ne '' && ($etcd->get("/service/test/members/$sl") // '') =~ /"role":"standby_leader"/;
	usleep(100_000);
}
like($sl, qr/^node[12]$/, "$sl is test's standby leader again");
($rc, $out, $err) = ctl($sl, 'promote-cluster', '--force', '--wait', '90');
is($rc, 0, 'promote-cluster of test, dr being down') or diag($err);
$c->sql($sl, 'INSERT INTO t VALUES (4)');
is($c->sql($sl, 'SELECT string_agg(x::text, \',\' ORDER BY x) FROM t'), '1,2,3,4', "$sl has no row 5");
$etcd->put('/service/dr/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,)
	  . qq("standby_cluster":{"host":"127.0.0.1","port":$c->{port}{$sl}}}));
$c->start('node3');
ok($c->streams_from($sl, 'node3'), "node3 comes back as dr's standby leader and streams from $sl");
like(slurp_file($c->log('node3')), qr/"the remote primary" leads: rewinding this node against it/,
	'pghactl rewound node3 against the remote');
ok($c->poll_sql('node3', 'SELECT string_agg(x::text, \',\' ORDER BY x) FROM t', '1,2,3,4'),
	'node3 has test\'s row 4, and its row 5 is gone with the rewind');

done_testing();
