
# Interleaving 5: the write gate must cover every commit a client can take
# as acknowledged, however late it completes.  The gate was checked once,
# at PRE_COMMIT, for transactions with an xid: a NOTIFY-only transaction
# (its xid comes after that check), COMMIT PREPARED (no callback before its
# commit record) and a commit that passed the check and then stalled (here:
# waiting for a synchronous standby that never answers, released after the
# fence deadline) were all acknowledged by a primary whose lease may have
# run out.  Now NOTIFY and COMMIT PREPARED are refused, and a commit that
# completes past the deadline ends its connection instead of reporting
# success: the client sees an unknown outcome, never an acknowledgement.
# Last, fencing signals the postmaster before it writes anything to disk:
# a data directory whose writes hang (standby.signal is a FIFO here) no
# longer keeps the fenced primary up.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use Fcntl ();
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Node;

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
my $node1 = Pgha::Node::new_node('node1', etcd => $etcd, extra_conf => ['max_prepared_transactions = 4']);
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 60), 'node1 leads');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id int)');
my $node2 = Pgha::Node::new_replica('node2', $node1, etcd => $etcd);
$node2->start;
ok(Pgha::Node::streaming($node1, 'node2'), 'node2 streams');

sub try_sql
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node1->psql('postgres', $sql, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return ($ret, $err);
}

# a prepared transaction, and a commit that will wait for a standby that
# never confirms: it passes the gate now and completes later
$node1->safe_psql('postgres', "BEGIN; INSERT INTO w VALUES (1); PREPARE TRANSACTION 'p1'");
$node1->safe_psql('postgres', "ALTER SYSTEM SET synchronous_standby_names = 'nobody'; SELECT pg_reload_conf()");
my ($wout, $werr) = ('', '');
my $waiter = IPC::Run::start(
	[ 'psql', '-X', '-d', $node1->connstr('postgres'), '-c', 'INSERT INTO w VALUES (2)' ],
	'>', \$wout, '2>', \$werr);
ok($node1->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'"),
	'a commit waits for the synchronous standby "nobody"');

# every other session commits without waiting for "nobody"
$ENV{PGOPTIONS} = '-c synchronous_commit=local';

# node1's worker freezes; the fence deadline passes
my $worker = $node1->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
kill 'STOP', $worker;
my $deadline = time + 3 * $ttl;
my ($ret, $err) = (0, '');
while (time < $deadline)
{
	($ret, $err) = try_sql('INSERT INTO w VALUES (0)');
	last if $ret != 0;
	usleep(100_000);
}
like($err, qr/leader lease of this primary may have expired/, 'past the fence deadline, a plain INSERT is refused');

($ret, $err) = try_sql('NOTIFY c');
isnt($ret, 0, 'NOTIFY is refused past the deadline');
like($err, qr/25006/, '... with SQLSTATE 25006');

($ret, $err) = try_sql("SELECT pg_notify('c', 'x')");
isnt($ret, 0, 'a pg_notify() transaction is not acknowledged past the deadline');

($ret, $err) = try_sql("COMMIT PREPARED 'p1'");
isnt($ret, 0, 'COMMIT PREPARED is refused past the deadline');
like($err, qr/25006/, '... with SQLSTATE 25006');
is($node1->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '1', 'p1 is still prepared');

# release the waiting commit: it completes locally, past the deadline
$node1->safe_psql('postgres', "ALTER SYSTEM RESET synchronous_standby_names; SELECT pg_reload_conf()");
$waiter->finish;
unlike($wout, qr/INSERT 0 1/, 'the commit that completed past the deadline was not acknowledged');
like($werr, qr/server closed the connection|connection to server .* lost/, '... its connection ended instead (unknown outcome)')
  or diag("stdout: $wout\nstderr: $werr");

# thawed, the worker fences node1 (node2 took over meanwhile)
my $offset = -s $node1->logfile;
kill 'CONT', $worker;
ok($node1->wait_for_log(qr/fencing this primary/, $offset), 'node1 fences itself');
ok(Pgha::Node::wait_down($node1), 'node1 is down');
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'node2 leads');

# fencing with a data directory whose writes hang: standby.signal is a FIFO,
# so writing it blocks until somebody reads.  node2 leads; node2 is fenced by
# a leader key naming node1 (as if node1 had taken over).
my $fifo = $node2->data_dir . '/standby.signal';
unlink $fifo;
system('mkfifo', $fifo) == 0 or die "mkfifo: $!";
my $pm2 = $node2->{_pid};
$etcd->put('/service/test/leader', 'node1');
$deadline = time + 20;
usleep(100_000) while time < $deadline && Pgha::Node::_alive($pm2);
ok(!Pgha::Node::_alive($pm2), 'the fenced node2 went down although its data directory hangs on a write');
# let a worker stuck on the FIFO go, whatever the outcome
if (sysopen my $r, $fifo, Fcntl::O_RDONLY | Fcntl::O_NONBLOCK) { usleep(500_000); close $r; }
unlink $fifo;
Pgha::Node::forget_if_down($node2);

done_testing();
