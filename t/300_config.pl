
# Cluster-wide parameters on 3 nodes: set from a replica (writes go to etcd,
# not to the local database), applied by every node with ALTER SYSTEM +
# reload; a postmaster parameter shows pending_restart on every node, in
# pgha.members() and in patronictl list; reset removes it everywhere.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 3);
my @nodes = Pgha::Node::start_cluster(etcd => $etcd,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $node1 = $nodes[0];
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for @nodes[1, 2];

# set from a replica; the wait returns once every member applied it
my $rev = $nodes[2]->safe_psql('postgres', "SELECT pgha.set_parameter('work_mem', '12MB', wait => '60s')");
ok($rev > 0, "set_parameter on a replica returned revision $rev");
for my $n (@nodes)
{
	ok($n->poll_query_until('postgres', "SELECT current_setting('work_mem') = '12MB'"),
		$n->name . ' runs with work_mem = 12MB');
}
like($etcd->get('/service/test/config'), qr/"parameters":\{"work_mem":"12MB"\}/,
	'the config key holds the parameter in Patroni\'s format');

# a postmaster parameter: pending restart everywhere, with old and new value
$node1->safe_psql('postgres', "SELECT pgha.set_parameter('max_connections', '120', wait => '60s')");
for my $n (@nodes)
{
	ok( $n->poll_query_until('postgres',
			"SELECT pending_restart FROM pg_settings WHERE name = 'max_connections'"),
		$n->name . ' has max_connections pending a restart');
}
ok( $node1->poll_query_until('postgres',
		"SELECT count(*) = 3 FROM pgha.members() WHERE pending_restart"),
	'pgha.members() shows the pending restart on all three');
is( $node1->safe_psql('postgres',
		"SELECT pending_restart_reason::jsonb->'max_connections'->>'new_value' FROM pgha.members() WHERE member = 'node3'"),
	'120', 'with the reason: max_connections, new value 120');
ok( $node1->poll_query_until('postgres',
		"SELECT bool_and(receive_lag IS NOT NULL AND replay_lag IS NOT NULL) FROM pgha.members() WHERE role = 'replica'"),
	'pgha.members() shows receive and replay lag of the replicas');
like($etcd->get('/service/test/members/node2'),
	qr/"pending_restart_reason":\{"max_connections":\{"old_value":"10","new_value":"120"\}\}/,
	'member keys carry the old and the new value');

my $out = $etcd->patronictl('list');
note $out;
like($out, qr/Pending restart/, 'patronictl list shows the Pending restart column');
like($out, qr/node3\s*\|.*\|\s*\*\s*\|/, 'and a * for node3');

# reset: gone everywhere, nothing pending
$nodes[1]->safe_psql('postgres', "SELECT pgha.reset_parameter('max_connections', wait => '60s')");
$nodes[1]->safe_psql('postgres', "SELECT pgha.reset_parameter('work_mem', wait => '60s')");
for my $n (@nodes)
{
	ok( $n->poll_query_until('postgres',
			"SELECT NOT pending_restart AND current_setting('work_mem') = '4MB' FROM pg_settings WHERE name = 'max_connections'"),
		$n->name . ' is back to the defaults');
}

# two changes from two nodes, one after the other: both land
$node1->safe_psql('postgres', "SELECT pgha.set_parameter('work_mem', '5MB')");
$nodes[2]->safe_psql('postgres', "SELECT pgha.set_parameter('maintenance_work_mem', '70MB')");
like($etcd->get('/service/test/config'), qr/"maintenance_work_mem":"70MB","work_mem":"5MB"/,
	'two changes from two nodes both landed');

# a real race: node1's change reads the config, then (pgha.debug_config_delay)
# node3 changes it before node1 writes back.  The compare-and-swap refuses
# node1's write with 40001; node3's change stays, nothing is merged blindly.
my ($race_out, $race_err) = ('', '');
my $racer = IPC::Run::start(
	[ 'psql', '-X', '-qAt', '-v', 'VERBOSITY=verbose', '-d', $node1->connstr('postgres'),
	  '-c', "SET pgha.debug_config_delay = '5s'; SELECT pgha.set_parameter('work_mem', '7MB')" ],
	'>', \$race_out, '2>', \$race_err);
ok( $node1->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%debug_config_delay%' AND wait_event_type = 'Extension' AND pid <> pg_backend_pid()"),
	'node1\'s change has read the config and waits before writing it back');
$nodes[2]->safe_psql('postgres', "SELECT pgha.set_parameter('work_mem', '9MB')");
$racer->finish;
like($race_err, qr/40001: could not update the cluster configuration because it changed concurrently/,
	'the loser of the race gets SQLSTATE 40001 and says why');
like($race_err, qr/HINT:\s+Retry the command/, '... with a hint to retry');
like($etcd->get('/service/test/config'), qr/"work_mem":"9MB"/, 'the winner\'s value stands');
unlike($etcd->get('/service/test/config'), qr/7MB/, 'the loser wrote nothing');
is($node1->safe_psql('postgres', "SELECT pgha.set_parameter('work_mem', '7MB') > 0"), 't',
	'a retry succeeds');

# wait => interval when a member does not apply it in time: node2's worker
# is stopped; the call fails and names the member, the change is kept
my $w2 = $nodes[1]->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
kill 'STOP', $w2;
my ($rc, $wout, $werr) = $node1->psql('postgres', "SELECT pgha.set_parameter('work_mem', '11MB', wait => '2s')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
kill 'CONT', $w2;
isnt($rc, 0, 'wait => 2s with node2\'s worker stopped: the call fails');
like($werr, qr/not every member applied/i, '... saying not every member applied it') or diag($werr);
like($werr, qr/node2/, '... naming node2');
unlike($werr, qr/node3/, '... and not node3, which did');
like($etcd->get('/service/test/config'), qr/"work_mem":"11MB"/, 'the change itself is kept (committed in etcd)');
ok($nodes[1]->poll_query_until('postgres', "SELECT current_setting('work_mem') = '11MB'"),
	'node2 applies it once its worker runs again');

# A change that fails after the merge (here: validation) raises an ERROR
# while the merged document is a malloc'd buffer outside any memory
# context: it must be freed on that path too.  With a 256 kB config, 100
# failed calls in one backend would keep 25 MB; the backend's private
# memory must stay flat.
my $blob = 'x' x 262144;
$node1->safe_psql('postgres', "SELECT pgha.set_config('{\"pgha_test_blob\": \"$blob\"}')");
my $rss_sql = "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\\s+(\\d+) kB'))[1]::bigint";
my $growth = $node1->safe_psql(
	'postgres', qq{
	CREATE TEMP TABLE rss AS $rss_sql AS kb;
	DO \$\$
	BEGIN
		FOR i IN 1..100 LOOP
			BEGIN
				PERFORM pgha.set_config('{"ttl": 1}');
			EXCEPTION WHEN invalid_parameter_value THEN NULL;
			END;
		END LOOP;
	END \$\$;
	SELECT ($rss_sql) - kb FROM rss;});
cmp_ok($growth, '<', 8192,
	"100 rejected changes of a 256 kB config: the backend grew ${growth} kB (the merged document is freed on ERROR)");
$node1->safe_psql('postgres', "SELECT pgha.set_config('{\"pgha_test_blob\": null}')");

$_->stop for @nodes;
$etcd->stop;
done_testing();
