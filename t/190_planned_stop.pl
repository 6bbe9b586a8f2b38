
# A planned stop of the leader (pg_ctl stop -m fast, as systemctl stop does)
# hands the leader key over to a streaming standby instead of leaving it to
# expire a ttl later: writes resume on the new leader at once, nothing
# acknowledged is lost, and the old primary restarts as a standby without
# pg_rewind.  In synchronous_mode the synchronous standby takes over.  No
# handover when paused, for pg_terminate_backend() of the worker, or when
# no standby streams (the last node of a cluster stopped member by member).

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
# ttl 10: a key left to expire would cost seconds, a handover much less
my ($node1, $node2, $node3) = Pgha::Node::start_cluster(etcd => $etcd,
	config => '{"ttl":10,"loop_wait":1,"retry_timeout":2}');
my %node = (node1 => $node1, node2 => $node2, node3 => $node3);
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);
$node1->safe_psql('postgres', 'CREATE TABLE t (id serial, note text)');
my $url = Pgha::Node::multi_host_url($node1, $node2, $node3);

sub count_lines { my ($f) = @_; return -f $f ? (() = slurp_file($f) =~ /\n/g) : 0; }

# A writer through the multi-host URL: one row per psql, each acknowledged
# row logged with the time of its acknowledgement.
sub start_writer
{
	my ($tag) = @_;
	my $acked = PostgreSQL::Test::Utils::tempdir() . "/acked-$tag";
	my $writer = IPC::Run::start(
		[ 'bash', '-c',
		  "i=0; while true; do i=\$((i+1)); psql -X -qAt -d '$url' "
		  . "-c \"INSERT INTO t (note) VALUES ('$tag' || \$i)\" >/dev/null 2>&1 "
		  . "&& echo \$i \$EPOCHREALTIME >> $acked; done" ]);
	my $deadline = time + 60;
	usleep(50_000) while time < $deadline && count_lines($acked) < 20;
	return ($writer, $acked);
}

# Stop the writer once it got $more rows past $from; every acknowledged row
# must be on $leader.  Returns the longest gap between acknowledgements.
sub finish_writer
{
	my ($writer, $acked, $from, $more, $leader, $what) = @_;
	my $deadline = time + 60;
	usleep(50_000) while time < $deadline && count_lines($acked) < $from + $more;
	$writer->kill_kill;
	my @rows = map { [ split / / ] } grep { /^\d+ [\d.]+$/ } split /\n/, slurp_file($acked);
	my ($tag) = $acked =~ /acked-(\w+)$/;
	is($leader->safe_psql('postgres',
			"SELECT count(*) FROM t WHERE note IN (" . join(',', map { "'$tag$_->[0]'" } @rows) . ")"),
		scalar(@rows), scalar(@rows) . " rows acknowledged to the writer ($what), all on " . $leader->name);
	my $gap = 0;
	for my $i (1 .. $#rows)
	{
		my $g = $rows[$i][1] - $rows[ $i - 1 ][1];
		$gap = $g if $g > $gap;
	}
	return $gap;
}

sub leader_node
{
	my ($old) = @_;
	my $deadline = time + 60;
	my $l;
	while (time < $deadline)
	{
		$l = $etcd->get('/service/test/leader');
		last if defined $l && $l ne $old;
		usleep(20_000);
	}
	return defined $l && $l ne $old ? $node{$l} : undef;
}

# --- 1. asynchronous: pg_ctl stop -m fast of the leader
my ($writer, $acked) = start_writer('a');
my $n = count_lines($acked);
my $offset = -s $node1->logfile;
$node1->stop('fast');
my $new = leader_node('node1');
ok(defined $new, 'another node took the leader key after the stop') or BAIL_OUT('no new leader');
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), $new->name . ' is a primary');
my $gap = finish_writer($writer, $acked, $n, 20, $new, 'async');
ok($gap < 5, sprintf('writes resumed well within ttl (longest gap %.2f s)', $gap));
diag(sprintf('async planned stop: longest gap between acknowledged writes %.2f s', $gap));
like(slurp_file($node1->logfile, $offset),
	qr/pgha: switching over to "${\ $new->name}"\n.*DETAIL:  The server is shutting down \(a planned stop\)/,
	'node1 logged the handover');
ok(-f $node1->data_dir . '/standby.signal', 'node1 left itself a standby.signal');

# the old primary comes back as the new leader's standby, without pg_rewind
Pgha::Node::forget_if_down($node1);
$node1->start;
ok(Pgha::Node::streaming($new, 'node1'), 'node1 streams from ' . $new->name . ' after a plain start');
my $total = $new->safe_psql('postgres', 'SELECT count(*) FROM t');
ok($node1->poll_query_until('postgres', "SELECT count(*) >= $total FROM t"), "node1 has every row ($total)");
unlike(slurp_file($node1->logfile), qr/is not a child of this server's history|forked off from/,
	'no timeline divergence: no pg_rewind needed');

# --- 2. synchronous_mode: the synchronous standby takes over
$new->safe_psql('postgres', q{SELECT pgha.set_config('{"synchronous_mode": true}')});
my $sync;
my $deadline = time + 60;
while (time < $deadline)
{
	my $v = $etcd->get('/service/test/sync') // '';
	if ($v =~ /"sync_standby":"(node\d)"/) { $sync = $1; last; }
	usleep(100_000);
}
ok(defined $sync, 'a synchronous standby is named: ' . ($sync // 'none')) or BAIL_OUT('no sync standby');
my $old = $new;
($writer, $acked) = start_writer('s');
$n = count_lines($acked);
$old->stop('fast');
$new = leader_node($old->name);
is(defined $new ? $new->name : undef, $sync, "the synchronous standby $sync took over");
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), "$sync is a primary");
$gap = finish_writer($writer, $acked, $n, 20, $new, 'sync');
ok($gap < 5, sprintf('writes resumed well within ttl (longest gap %.2f s)', $gap));
diag(sprintf('sync planned stop: longest gap between acknowledged writes %.2f s', $gap));
Pgha::Node::forget_if_down($old);
$old->start;
ok(Pgha::Node::streaming($new, $old->name), $old->name . ' streams again');

# --- 3. paused: the leader keeps its key (as Patroni does)
$new->safe_psql('postgres', q{SELECT pgha.set_config('{"synchronous_mode": false}')});
$new->safe_psql('postgres', 'SELECT pgha.pause()');
ok($etcd->poll_key('/service/test/config', qr/"pause":true/, 30), 'the cluster is paused');
$offset = -s $new->logfile;
$new->stop('fast');
is($etcd->get('/service/test/leader'), $new->name, 'paused: the stopped leader still holds the key');
like(slurp_file($new->logfile, $offset),
	qr/pgha: the leader stops without handing over\n.*DETAIL:  At shutdown: the cluster is paused/,
	'and said why');
Pgha::Node::forget_if_down($new);
$new->start;
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), $new->name . ' is the primary again');
$new->safe_psql('postgres', 'SELECT pgha.resume()');
ok($etcd->poll_key('/service/test/config', qr/^(?!.*"pause":true)/, 30), 'the cluster is resumed');

# --- 4. pg_terminate_backend() of the leader's worker: no handover
my $pid = $new->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgha'");
$new->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok($new->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pgha' AND pid <> $pid"),
	'the worker came back');
is($etcd->get('/service/test/leader'), $new->name, 'the leader still holds the key');
is($etcd->get('/service/test/failover'), undef, 'no handover was written');

# --- 5. no standby streams: the last node stopped keeps the key
my @others = grep { $_ != $new } values %node;
$_->stop('fast') for @others;
$offset = -s $new->logfile;
$new->stop('fast');
is($etcd->get('/service/test/leader'), $new->name, 'the last node stopped still holds the key');
like(slurp_file($new->logfile, $offset),
	qr/pgha: the leader stops without handing over\n.*DETAIL:  At shutdown: /,
	'and said why');
$_->start for ($new, @others);
ok($new->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), $new->name . ' leads again after the restart');
ok(Pgha::Node::streaming($new, $_->name), $_->name . ' streams from ' . $new->name) for @others;
$_->stop for (@others, $new);
$etcd->stop;
done_testing();
