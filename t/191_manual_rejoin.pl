
# A fenced primary rejoined by hand, without pghactl, exactly as docs/ha.md
# and the fence's HINT say:
#
#   rm $PGDATA/standby.signal
#   pg_rewind -D $PGDATA -R --source-server='host=<new leader> ...'
#   pg_ctl -D $PGDATA start
#
# pg_rewind finishes the fence's crash recovery in single-user mode, which a
# standby.signal forbids; it copies the new leader's postgresql.auto.conf,
# which must not name an upstream or a slot of the new leader's past as a
# standby (the leader drops both when it is promoted), or the rewound node
# would never reach a consistent state, and have no worker to re-point it.

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
sub copy_file { my ($from, $to) = @_; PostgreSQL::Test::Utils::append_to_file("$to.tmp", slurp_file($from)); rename("$to.tmp", $to) or die "rename: $!"; }

my %node = (node1 => $node1, node2 => $node2, node3 => $node3);
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);
$node1->safe_psql('postgres', 'CREATE TABLE t (id int, note text)');
$node1->safe_psql('postgres', "INSERT INTO t VALUES (1, 'everywhere')");
ok($_->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t'), $_->name . ' has the first row')
  for ($node2, $node3);

# node1 gets WAL the standbys never see: its WAL senders are frozen (the
# fence's immediate shutdown kills them)
my @walsnd = split /\n/, $node1->safe_psql('postgres', 'SELECT pid FROM pg_stat_replication');
is(scalar(@walsnd), 2, 'node1 has two WAL senders');
kill 'STOP', @walsnd;
$node1->safe_psql('postgres', "INSERT INTO t VALUES (2, 'only on node1')");

# then it loses etcd and fences itself
$etcd->pause($_) for 1 .. 3;
ok($node1->wait_for_log(qr/pgha: fencing this primary: immediate shutdown\n.*\n.*HINT:  .*rm \$PGDATA\/standby.signal, pg_rewind -D \$PGDATA -R --source-server=/),
	'node1 fenced itself, and its HINT gives the manual rejoin');
ok(Pgha::Node::wait_down($node1), 'node1 is down');
$etcd->resume($_) for 1 .. 3;

my $new;
my $deadline = time + 60;
while (time < $deadline)
{
	my $l = $etcd->get('/service/test/leader') // '';
	if ($l =~ /^node[23]$/) { $new = $node{$l}; last; }
	usleep(100_000);
}
ok(defined $new, 'another node took over') or BAIL_OUT('no new leader');
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), $new->name . ' is a primary');
ok($new->poll_query_until('postgres', "SELECT setting = '' FROM pg_settings WHERE name = 'primary_slot_name'"),
	'the new primary names no slot of its own past as a standby');
unlike(slurp_file($new->data_dir . '/postgresql.auto.conf'), qr/^primary_(conninfo|slot_name)/m,
	'nor does its postgresql.auto.conf, which pg_rewind copies');
is($new->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id = 2'), '0',
	$new->name . ' never got the row node1 wrote alone');
$new->safe_psql('postgres', "INSERT INTO t VALUES (3, 'after the failover')");

# the manual rejoin, word for word
my $pgdata = $node1->data_dir;
my $source = 'host=' . $new->host . ' port=' . $new->port . ' user=postgres dbname=postgres';
unlink("$pgdata/standby.signal") or die "no standby.signal: $!";
# this node's own settings (port, pgha.name) live in PGDATA/postgresql.conf
copy_file("$pgdata/postgresql.conf", "$pgdata/../postgresql.conf.node1");
my ($stdout, $stderr);
my $ok = IPC::Run::run([ 'pg_rewind', '-D', $pgdata, '-R', "--source-server=$source" ],
	'>', \$stdout, '2>', \$stderr);
copy_file("$pgdata/../postgresql.conf.node1", "$pgdata/postgresql.conf");
ok($ok, 'pg_rewind -R succeeded') or diag($stderr);
like($stderr, qr/Done!/, 'pg_rewind rewound node1');
ok(-f "$pgdata/standby.signal", 'pg_rewind -R wrote standby.signal');
note($stderr);
Pgha::Node::forget_if_down($node1);
my $offset = -s $node1->logfile;
$node1->start;

ok(Pgha::Node::streaming($new, 'node1'), 'node1 streams from ' . $new->name);
ok($new->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_replication_slots WHERE slot_name = 'node1' AND active"),
	'on its own slot, once its worker pointed it there');
ok($node1->poll_query_until('postgres', "SELECT count(*) = 1 FROM t WHERE id = 3"), 'node1 has the new row');
is($node1->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id = 2'), '0',
	'and not the one it had alone');
my $leader_slot = $new->name;
unlike(slurp_file($node1->logfile, $offset), qr/replication slot "$leader_slot" does not exist/,
	"it never asked for the slot $leader_slot (the new leader's own, from its past as a standby)");
$_->stop for values %node;
$etcd->stop;
done_testing();
