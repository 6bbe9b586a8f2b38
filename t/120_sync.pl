
# Synchronous mode: the leader picks a synchronous standby, names it in
# synchronous_standby_names and, once PostgreSQL confirms it, in the sync
# key.  Only that standby may be promoted, so a kill -9 of the primary under
# a writer loses no acknowledged commit.  Without a standby the primary
# replicates asynchronously; in strict mode its commits wait instead.

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

# The asynchronous standby may have received WAL the synchronous one had
# not flushed yet (not acknowledged to any client): then it is past the
# fork and pgha stops it for pg_rewind, which the test does as pghactl
# would (keeping the node's own configuration files).
sub rejoin
{
	my ($leader, $standby) = @_;
	my $deadline = time + 90;
	while (time < $deadline)
	{
		return 1
		  if $leader->safe_psql('postgres',
			"SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
			  . $standby->name . "' AND state = 'streaming'") eq '1';
		if (slurp_file($standby->logfile) =~ /this standby diverged from the leader/
			&& !-f $standby->data_dir . '/postmaster.pid')
		{
			note $standby->name . ' diverged: pg_rewind';
			my $dir = $standby->data_dir;
			PostgreSQL::Test::Utils::system_or_bail('cp', "$dir/postgresql.conf", "$dir/../postgresql.conf.keep");
			PostgreSQL::Test::Utils::system_or_bail('pg_rewind', '-D', $dir, '--source-server',
				$leader->connstr('postgres'), '-R');
			PostgreSQL::Test::Utils::system_or_bail('cp', "$dir/../postgresql.conf.keep", "$dir/postgresql.conf");
			Pgha::Node::forget_if_down($standby);
			$standby->start;
			return Pgha::Node::streaming($leader, $standby->name);
		}
		usleep(100_000);
	}
	return 0;
}

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2,"synchronous_mode":true}');
my %node = (node1 => $node1, node2 => $node2, node3 => $node3);
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);

# the leader picks a synchronous standby and publishes it once confirmed
ok($etcd->poll_key('/service/test/sync', qr/"leader":"node1","sync_standby":"node[23]"/, 30),
	'the sync key names a synchronous standby of node1');
my ($sync) = $etcd->get('/service/test/sync') =~ /"sync_standby":"(node[23])"/;
my $other = $sync eq 'node2' ? 'node3' : 'node2';
is($node1->safe_psql('postgres', 'SHOW synchronous_standby_names'), qq{FIRST 1 ("$sync")},
	"synchronous_standby_names names $sync");
is($node1->safe_psql('postgres', "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$sync'"),
	'sync', "PostgreSQL treats $sync as synchronous");
like($etcd->patronictl('list'), qr/$sync\s*\|[^|]+\|\s*Sync Standby\s*\|/, 'patronictl list shows the Sync Standby');
ok($node1->poll_query_until('postgres', "SELECT role = 'sync_standby' FROM pgha.members() WHERE member = '$sync'"),
	'pgha.members() shows the sync_standby role');
my ($rc, $out, $err);

# a switchover to the standby that is not synchronous: it could not take
# over (only a synchronous standby may), so it is refused when asked, and
# by the leader when the request comes another way (written by another tool)
($rc, $out, $err) = $node1->psql('postgres', "SELECT pgha.switchover('$other', wait => '30s')");
like($err, qr/member "$other" is not a synchronous standby/, "pgha.switchover('$other') (asynchronous) is refused");
my $offset1 = -s $node1->logfile;
$etcd->put('/service/test/failover', qq({"leader":"node1","member":"$other"}));
my $gone = time + 30;
usleep(100_000) while time < $gone && defined $etcd->get('/service/test/failover');
ok(!defined $etcd->get('/service/test/failover'), "the leader deleted a request for $other written by hand");
ok($node1->wait_for_log(qr/pgha refused the switchover to "$other"\n.*DETAIL:  .*synchronous_mode is on and the sync key does not name it/, $offset1),
	'and said why');
is($etcd->get('/service/test/leader'), 'node1', 'node1 still leads');

# kill -9 of the primary under a writer: the synchronous standby takes over
# with every acknowledged row
$node1->safe_psql('postgres', 'CREATE TABLE t (id int PRIMARY KEY)');
my $writer = Pgha::Node::writer('host=127.0.0.1 port=' . $node1->port . ' dbname=postgres',
	'INSERT INTO t VALUES ($i)');
Pgha::Node::wait_acked($writer, 50);
my $pid = (split /\n/, slurp_file($node1->data_dir . '/postmaster.pid'))[0];
kill 'KILL', $pid;
ok($etcd->poll_key('/service/test/leader', qr/^(?!node1$)node\d$/, 60), 'a standby took over');
Pgha::Node::stop_writer($writer);
Pgha::Node::forget_if_down($node1);
my $leader = $etcd->get('/service/test/leader');
is($leader, $sync, "the new leader is $sync, the synchronous standby");
my $new = $node{$leader};
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$leader runs as primary");
my @acked = Pgha::Node::acked($writer);
my $present = $new->safe_psql('postgres',
	'SELECT count(*) FROM t WHERE id IN (' . join(',', @acked) . ')');
is($present, scalar(@acked), scalar(@acked) . " acknowledged rows before the kill, all on $leader");
ok(rejoin($new, $node{$other}), "$other follows $leader");

# the new leader makes the remaining standby synchronous
ok($etcd->poll_key('/service/test/sync', qr/"leader":"$leader","sync_standby":"$other"/, 30),
	"$leader confirmed $other as its synchronous standby");

# no standby left: non-strict mode replicates asynchronously, commits go on
$node{$other}->stop;
ok($etcd->poll_key('/service/test/sync', qr/"leader":"$leader","sync_standby":null/, 30),
	'the standby stopped: the sync key names none');
ok($new->poll_query_until('postgres', "SELECT current_setting('synchronous_standby_names') = ''"),
	'synchronous_standby_names is empty');
($rc, $out, $err) = $new->psql('postgres', 'INSERT INTO t VALUES (-1)', timeout => 10);
is($rc, 0, 'a commit without a synchronous standby succeeds in non-strict mode');

# strict: commits wait for a standby rather than go asynchronous
$new->safe_psql('postgres', q{SELECT pgha.set_config('{"synchronous_mode_strict":true}')});
ok($new->poll_query_until('postgres', "SELECT current_setting('synchronous_standby_names') = '*'"),
	"strict mode: synchronous_standby_names is '*'");
my ($in, $wout, $werr) = ('', '', '');
my $waiting = IPC::Run::start([ 'psql', '-X', '-d', $new->connstr('postgres'), '-c', 'INSERT INTO t VALUES (-2)' ],
	'<', \$in, '>', \$wout, '2>', \$werr);
ok( $new->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'INSERT INTO t VALUES (-2)%'"),
	'strict mode: a commit without a standby waits (SyncRep)');
$node{$other}->start;
ok($etcd->poll_key('/service/test/sync', qr/"leader":"$leader","sync_standby":"$other"/, 30),
	"$other is back and synchronous");
$waiting->finish;
is($? >> 8, 0, 'the waiting commit completed once the standby was back') or diag("$wout / $werr");
($rc, $out, $err) = $new->psql('postgres', 'INSERT INTO t VALUES (-3)', timeout => 10);
is($rc, 0, 'with a synchronous standby the commit goes through');
ok($node{$other}->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE id = -3'),
	"$other has the row");

# synchronous mode off: the key goes, replication is asynchronous again
$new->safe_psql('postgres',
	q{SELECT pgha.set_config('{"synchronous_mode":null,"synchronous_mode_strict":null}')});
ok($etcd->poll_key('/service/test/sync', undef, 30), 'synchronous mode off: the sync key is gone');
ok($new->poll_query_until('postgres', "SELECT current_setting('synchronous_standby_names') = ''"),
	'and synchronous_standby_names is empty');

$_->stop(undef, fail_ok => 1) for ($new, $node{$other});
$etcd->stop;
done_testing();
