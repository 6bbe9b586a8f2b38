
# A standby cluster (Patroni's standby_cluster section): cluster "dr" on the
# same etcd follows cluster "test".  Its leader is a standby leader that
# replicates from test's primary, the other member follows it; kill the
# standby leader and the other one takes over as standby leader (also with
# synchronous_mode in the config, which a standby cluster ignores); a
# deleted config key changes nothing; remove the section and the standby
# leader promotes, with every row test wrote.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 3);
my ($a1, $a2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
ok(Pgha::Node::streaming($a1, 'node2'), 'cluster test: node2 streams from node1');
$a1->safe_psql('postgres', 'CREATE TABLE t (id int)');
$a1->safe_psql('postgres', 'INSERT INTO t VALUES (1)');

# cluster dr: two copies of test's primary, a config naming it
my $remote = '"standby_cluster":{"host":"127.0.0.1","port":' . $a1->port . '}';
# synchronous_mode copied from the primary cluster's config: off in a
# standby cluster, as in Patroni (nothing is acknowledged there)
$etcd->put('/service/dr/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true,$remote}));
my @dr = map { Pgha::Node::new_replica($_, $a1, etcd => $etcd, scope => 'dr') } qw(dr1 dr2);
$_->start for @dr;
my %dr = map { $_->name => $_ } @dr;

ok($etcd->poll_key('/service/dr/leader', qr/^dr[12]$/, 60), 'a member of dr claims it');
my $sl = $etcd->get('/service/dr/leader');
my $other = $sl eq 'dr1' ? 'dr2' : 'dr1';
my $sysid = $a1->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
is($etcd->get('/service/dr/initialize'), $sysid, 'dr\'s initialize is test\'s system identifier');
ok(Pgha::Node::streaming($a1, $sl), "the standby leader $sl replicates from test's primary");
ok(Pgha::Node::streaming($dr{$sl}, $other), "$other follows the standby leader");
is($dr{$sl}->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', "$sl stays a standby");
like($etcd->get("/service/dr/members/$sl"), qr/"role":"standby_leader"/, 'its member key says standby_leader');
ok($dr{$sl}->poll_query_until('postgres', "SELECT role = 'standby_leader' FROM pgha.members() WHERE member = '$sl'"),
	'pgha.members() shows the standby_leader');
my ($list, $err) = ('', '');
my $ctlconf = PostgreSQL::Test::Utils::tempdir() . '/pghactl.conf';
PostgreSQL::Test::Utils::append_to_file($ctlconf,
	"pgha.etcd_hosts = '" . $etcd->endpoints . "'\npgha.scope = 'dr'\npgha.name = '$sl'\n");
IPC::Run::run([ 'pghactl', 'list', '-c', $ctlconf ], '>', \$list, '2>', \$err);
like($list, qr/^\Q$sl\E\s+\S+\s+Standby Leader\s/m, 'pghactl list: Standby Leader') or diag($list . $err);
like($etcd->patronictl('list', 'dr'), qr/\Q$sl\E\s*\|[^|]+\|\s*Standby Leader\s*\|/,
	"Patroni 3.0.2's patronictl reads it as a Standby Leader");

$a1->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
ok($dr{$_}->poll_query_until('postgres', 'SELECT count(*) = 2 FROM t'), "$_ has test's rows") for qw(dr1 dr2);

# the standby leader dies: the other member becomes standby leader
$dr{$sl}->kill9;
ok($etcd->poll_key('/service/dr/leader', qr/^\Q$other\E$/, 60), "$sl killed: $other is the standby leader");
Pgha::Node::forget_if_down($dr{$sl});
ok(Pgha::Node::streaming($a1, $other), "$other replicates from test's primary");
is($dr{$other}->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', "$other stays a standby");
$a1->safe_psql('postgres', 'INSERT INTO t VALUES (3)');
ok($dr{$other}->poll_query_until('postgres', 'SELECT count(*) = 3 FROM t'), "$other gets test's next row");
$dr{$sl}->start;
ok(Pgha::Node::streaming($dr{$other}, $sl), "$sl back: it follows $other");

# the config key deleted by mistake: dr stays a standby cluster
my $t0 = $dr{$other}->safe_psql('postgres', 'SELECT now()');
$etcd->del('/service/dr/config');
ok($dr{$other}->poll_query_until('postgres',
		"SELECT last_decision > '$t0'::timestamptz + interval '3 s' FROM pgha.status()"),
	'config key deleted: the standby leader decided for 3 s more');
is($dr{$other}->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', '... and is still a standby');
is($etcd->get('/service/dr/leader'), $other, '... and the standby leader');

# the section's recovery_min_apply_delay: the standby leader's, nobody else's
my $delayed = '"standby_cluster":{"host":"127.0.0.1","port":' . $a1->port . ',"recovery_min_apply_delay":"5min"}';
$etcd->put('/service/dr/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,$delayed}));
ok($dr{$other}->poll_query_until('postgres', "SELECT current_setting('recovery_min_apply_delay') = '5min'"),
	"the standby leader $other replays with the section's recovery_min_apply_delay");
is($dr{$sl}->safe_psql('postgres', "SELECT current_setting('recovery_min_apply_delay')"), '0',
	"$sl, which follows it, with none");
$etcd->put('/service/dr/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,$remote}));
ok($dr{$other}->poll_query_until('postgres', "SELECT current_setting('recovery_min_apply_delay') = '0'"),
	'the delay taken out of the section: none');

# promote dr: the section goes
$a1->safe_psql('postgres', 'INSERT INTO t VALUES (4)');
ok($dr{$other}->poll_query_until('postgres', 'SELECT count(*) = 4 FROM t'), "$other has the last row test wrote");
$etcd->put('/service/dr/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
ok($dr{$other}->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "standby_cluster removed: $other promotes");
is($etcd->get('/service/dr/leader'), $other, "$other leads dr");
# the write gate opens with the lease the standby leader already proved
my ($rc, $out, $err2) = $dr{$other}->psql('postgres', 'INSERT INTO t VALUES (5)');
is($rc, 0, 'and takes writes') or diag($err2);
ok($dr{$sl}->poll_query_until('postgres', 'SELECT count(*) = 5 FROM t'), "$sl follows dr's new primary");
is($a1->safe_psql('postgres', 'SELECT count(*) FROM t'), '4', 'test goes on, without dr\'s write');
ok(Pgha::Node::streaming($a1, 'node2'), 'and its own standby still streams');

$_->stop(undef, fail_ok => 1) for ($a1, $a2, @dr);
$etcd->stop;
done_testing();
