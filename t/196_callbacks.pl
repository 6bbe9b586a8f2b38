
# Patroni's callbacks, run by pghactl run: on_start, on_role_change,
# on_restart, on_stop, called as "<command> <action> <role> <scope>".  A
# callback that hangs delays neither a promotion nor pghactl itself, and
# the next callback kills it (with its children), as Patroni does.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Run;

my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $dir = PostgreSQL::Test::Utils::tempdir();
# the script records its arguments and runs docs/examples/move-vip.sh (the
# virtual IP of docs/operations.md) with a sudo that records what it would
# run; with a "hang" file it then sleeps, in a child of its own (what a
# stuck VIP tool would do)
my $vip_script = "$FindBin::RealBin/../docs/examples/move-vip.sh";
mkdir "$dir/bin" or die;
open my $sudo, '>', "$dir/bin/sudo" or die;
print $sudo "#!/bin/sh\necho \"\$*\" >> \$VIP_LOG\n";
close $sudo;
chmod 0755, "$dir/bin/sudo";
my $script = "$dir/cb.sh";
open my $fh, '>', $script or die;
print $fh <<"EOS";
#!/bin/sh
node=\$1; shift
echo "\$*" >> $dir/\$node.calls
PATH=$dir/bin:\$PATH VIP_LOG=$dir/\$node.vip PGHA_VIP=10.0.0.100/24 PGHA_VIP_DEV=vip0 $vip_script "\$@"
if [ -f $dir/\$node.hang ]; then sleep 300 & echo \$! > $dir/\$node.sleeper; wait; fi
EOS
close $fh;
chmod 0755, $script;

# where the virtual IP is as far as the node's calls go: the last ip command
sub vip_is
{
	my ($node, $want, $what) = @_;
	my $deadline = time + 60;
	my $last = '';
	while (time < $deadline)
	{
		my @ip = -f "$dir/$node.vip" ? grep { m{/usr/sbin/ip addr} } split /\n/, slurp_file("$dir/$node.vip") : ();
		$last = @ip ? $ip[-1] : '';
		last if $last eq "-n /usr/sbin/ip addr $want 10.0.0.100/24 dev vip0";
		usleep(100_000);
	}
	is($last, "-n /usr/sbin/ip addr $want 10.0.0.100/24 dev vip0", $what);
	return;
}
my $c = Pgha::Run->new(etcd => $etcd, nodes => 2, conf => sub {
	my ($name) = @_;
	return [ map { "pghactl.$_ = '$script $name'" } qw(on_start on_stop on_restart on_role_change) ];
});

# streaming on its slot: what a switchover asks of its candidate
sub on_slot
{
	my ($leader, $name) = @_;
	return $c->poll_sql($leader, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$name' AND active", '1')
	  && $etcd->poll_key("/service/test/members/$name", qr/"replication_state":"streaming"/, 30);
}

# a switchover, asked again while the leader refuses it: a candidate just
# streaming may still report a flush position from before (its first
# feedback), more than maximum_lag_on_failover behind
sub switchover_to
{
	my ($cand) = @_;
	my ($rc, $out, $err);
	my $deadline = time + 30;
	do
	{
		($rc, $out, $err) = $c->pghactl('switchover', '--candidate', $cand, '--force');
		usleep(500_000) if $rc != 0;
	} while ($rc != 0 && $err =~ /refused/ && time < $deadline);
	return ($rc, $out, $err);
}

sub calls { my ($n) = @_; return -f "$dir/$n.calls" ? [ split /\n/, slurp_file("$dir/$n.calls") ] : []; }

# until $node's calls end with @want
sub calls_are
{
	my ($node, $want, $what) = @_;
	my $deadline = time + 60;
	my $got;
	while (time < $deadline)
	{
		$got = calls($node);
		last if "@$got" eq "@$want";
		usleep(100_000);
	}
	is_deeply($got, $want, $what);
	return;
}

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
calls_are('node1', ['on_start primary test'], 'node1: on_start primary test');
$c->start('node2');
ok($c->streams_from('node1', 'node2'), 'node2 streams');
calls_are('node2', ['on_start replica test'], 'node2: on_start replica test');
vip_is('node1', 'add', 'docs/examples/move-vip.sh: the primary takes the virtual IP');
like(slurp_file("$dir/node1.vip"), qr{^-n /usr/sbin/arping -q -c 3 -U -I vip0 10\.0\.0\.100$}m,
	'... and announces it (gratuitous ARP)');
vip_is('node2', 'del', '... a replica drops it');

ok(on_slot('node1', 'node2'), 'node2 streams on its slot');
my ($rc, $out, $err) = switchover_to('node2');
is($rc, 0, 'switchover to node2') or diag($err);
calls_are('node2', ['on_start replica test', 'on_role_change primary test'], 'node2 promoted: on_role_change primary');
calls_are('node1', ['on_start primary test', 'on_role_change replica test'],
	'node1 back as a standby: on_role_change replica');
ok($c->streams_from('node2', 'node1'), 'node1 streams from node2');
vip_is('node2', 'add', 'after the switchover the virtual IP is on node2');
vip_is('node1', 'del', '... and off node1');

($rc, $out, $err) = $c->pghactl('restart', 'node1', '--force');
is($rc, 0, 'pghactl restart node1') or diag($err);
calls_are('node1', ['on_start primary test', 'on_role_change replica test', 'on_restart replica test'],
	'node1 restarted on request: on_restart replica');
ok($c->streams_from('node2', 'node1'), 'node1 streams again');

# a callback that hangs: node1's promotion and writes go on meanwhile
open my $h, '>', "$dir/node1.hang" or die;
close $h;
ok(on_slot('node2', 'node1'), 'node1 streams on its slot');
my $t0 = time;
($rc, $out, $err) = switchover_to('node1');
is($rc, 0, 'switchover back to node1') or diag($err);
ok($c->poll_sql('node1', 'SELECT pg_is_in_recovery()', 'f'), 'node1 is promoted');
$c->sql('node1', 'CREATE TABLE t (x int)');
$c->sql('node1', 'INSERT INTO t VALUES (1)');
is($c->sql('node1', 'SELECT count(*) FROM t'), '1', 'node1 takes writes');
calls_are('node1', ['on_start primary test', 'on_role_change replica test', 'on_restart replica test',
	'on_role_change primary test'], 'node1: on_role_change primary, still running');
# the script writes the sleeper's pid after it recorded its call
my $until = time + 10;
usleep(50_000) while !-s "$dir/node1.sleeper" && time < $until;
ok(-s "$dir/node1.sleeper", 'the hanging callback sleeps');
my $sleeper = slurp_file("$dir/node1.sleeper");
chomp $sleeper;
ok(kill(0, $sleeper), 'and still runs');
note(sprintf('switchover to node1 with a hanging callback: %.1f s', time - $t0));

# the stop: a planned stop hands over; on_stop kills the hanging callback
ok(on_slot('node1', 'node2'), 'node2 streams from node1 on its slot');
unlink "$dir/node1.hang";
$c->stop('node1');
calls_are('node1', ['on_start primary test', 'on_role_change replica test', 'on_restart replica test',
	'on_role_change primary test', 'on_stop primary test'], 'node1: on_stop primary');
my $deadline = time + 10;
usleep(100_000) while time < $deadline && kill(0, $sleeper);
ok(!kill(0, $sleeper), 'the hanging callback was killed with its children');
like(slurp_file($c->log('node1')), qr/killing the previous callback/, 'pghactl says so');
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 30), 'node2 took over');
vip_is('node1', 'del', 'on_stop: the stopped node drops the virtual IP');
vip_is('node2', 'add', '... and node2 took it again as it took over');

$c->stop('node2');
$etcd->stop;
done_testing();
