
# The REST API: Patroni's health endpoints with Patroni's status codes, the
# /patroni, /cluster and /history documents, api_url in the member key, and
# a real HAProxy (option httpchk OPTIONS /primary) sending a client to the
# new primary after a failover.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use IO::Socket::INET;
use JSON::PP;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my %api;
my @nodes;
for my $i (1 .. 3)
{
	my $name = "node$i";
	$api{$name} = PostgreSQL::Test::Cluster::get_free_port();
	my $node = $i == 1
	  ? Pgha::Node::new_node($name, etcd => $etcd, api_port => $api{$name})
	  : Pgha::Node::new_replica($name, $nodes[0], etcd => $etcd, api_port => $api{$name});
	$node->start;
	if ($i == 1)
	{
		$etcd->poll_key('/service/test/leader', qr/^node1$/, 60) or BAIL_OUT('no leader');
		$node->safe_psql('postgres', 'CREATE EXTENSION pgha');
	}
	push @nodes, $node;
}
my ($node1, $node2, $node3) = @nodes;
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams') for ($node2, $node3);

# one HTTP request: (status, body)
sub http
{
	my ($name, $path, $method) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'curl', '-s', '-m', '5', '-X', $method // 'GET', '-w', '\n%{http_code}',
		  "http://127.0.0.1:$api{$name}$path" ], '>', \$out, '2>', \$err);
	my ($body, $code) = $out =~ /\A(.*)\n(\d+)\z/s;
	return ($code // 0, $body // '');
}

sub poll_http
{
	my ($name, $path, $want) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		return 1 if (http($name, $path))[0] == $want;
		usleep(100_000);
	}
	return 0;
}

# the replicas' lag is known once the leader published its position
ok(poll_http('node2', '/replica?lag=1MB', 200), 'node2: /replica?lag=1MB 200');
is((http('node1', '/primary'))[0], 200, 'node1: /primary 200');
is((http('node1', '/primary', 'OPTIONS'))[0], 200, 'node1: OPTIONS /primary 200 (HAProxy httpchk)');
is((http('node1', '/read-write', 'HEAD'))[0], 200, 'node1: HEAD /read-write 200');
is((http('node1', '/leader'))[0], 200, 'node1: /leader 200');
is((http('node2', '/primary'))[0], 503, 'node2: /primary 503');
is((http('node1', '/replica'))[0], 503, 'node1: /replica 503');
is((http('node2', '/replica'))[0], 200, 'node2: /replica 200');
is((http('node3', '/read-only'))[0], 200, 'node3: /read-only 200');
is((http('node1', '/read-only'))[0], 200, 'node1: /read-only 200');
is((http('node2', '/async'))[0], 200, 'node2: /async 200 (no synchronous mode)');
is((http('node2', '/sync'))[0], 503, 'node2: /sync 503');
is((http('node1', '/read-only-sync'))[0], 200, 'node1: /read-only-sync 200 (the primary)');
is((http('node2', '/read-only-sync'))[0], 503, 'node2: /read-only-sync 503 (no synchronous mode)');
is((http('node2', '/quorum'))[0], 503, 'node2: /quorum 503 (no quorum commit)');
is((http('node1', '/read-only-quorum'))[0], 200, 'node1: /read-only-quorum 200 (the primary)');
is((http('node2', '/replica?tag_nofailover=true'))[0], 503, 'node2: a tag it does not have: 503');
is((http('node2', '/replica?tag_nofailover=false'))[0], 200, 'node2: an absent boolean tag reads as false');
is((http('node2', '/replica?lag=abc'))[0], 400, 'a bad lag is a 400');
is((http('node1', '/health'))[0], 200, 'node1: /health 200');
is((http('node2', '/liveness'))[0], 200, 'node2: /liveness 200');
is((http('node2', '/readiness'))[0], 200, 'node2: /readiness 200');
is((http('node1', '/nonsense'))[0], 404, 'an unknown path is a 404');
is((http('node1', '/primary', 'POST'))[0], 405, 'POST is refused with 405');

my ($code, $body) = http('node1', '/patroni');
my $doc = eval { decode_json($body) } // {};
is($code, 200, 'GET /patroni 200');
is($doc->{role}, 'primary', '/patroni: role primary (Patroni 4 spelling)');
is($doc->{patroni}{name}, 'node1', '/patroni: patroni.name');
like($doc->{database_system_identifier} // '', qr/^\d+$/, '/patroni: the system identifier');
($code, $body) = http('node2', '/patroni');
$doc = eval { decode_json($body) } // {};
ok(defined $doc->{xlog}{replayed_location}, '/patroni on a replica: xlog.replayed_location');

# GET /metrics: Prometheus' text format with Patroni's names; promtool (the
# Prometheus project's own parser and linter) accepts it
sub metrics
{
	my ($name) = @_;
	my ($c, $text) = http($name, '/metrics');
	my %m;
	for (split /\n/, $text)
	{
		$m{$1} = $2 if /^(\w+)\{[^}]*\} (\S+)$/ && !exists $m{$1};
	}
	return ($c, $text, \%m);
}
my ($mcode, $mtext, $m1) = metrics('node1');
is($mcode, 200, 'GET /metrics 200');
my ($promout, $promerr) = ('', '');
IPC::Run::run([ 'promtool', 'check', 'metrics' ], '<', \$mtext, '>', \$promout, '2>', \$promerr);
# promtool's parser accepts it; its linter's only remarks are on Patroni's
# own names, kept for Patroni's dashboards (counters without "_total")
my @remarks = grep { /\S/ } split /\n/, $promout . $promerr;
is_deeply([ grep { !/^patroni_xlog_(received_|replayed_)?location counter metrics should have "_total" suffix$/ } @remarks ],
	[], 'promtool check metrics: parsed, no remark but on Patroni\'s counter names') or diag($promout . $promerr);
unlike($promout . $promerr, qr/error/i, '... and no parse error');
like($mtext, qr/^patroni_primary\{scope="test",name="node1"\} 1$/m, '/metrics on node1: patroni_primary 1, Patroni\'s labels');
is($m1->{patroni_replica}, 0, '... patroni_replica 0');
cmp_ok($m1->{patroni_xlog_location}, '>', 0, '... patroni_xlog_location');
is($m1->{patroni_postgres_timeline}, 1, '... patroni_postgres_timeline 1');
is($m1->{patroni_cluster_unlocked}, 0, '... patroni_cluster_unlocked 0');
is($m1->{patroni_is_paused}, 0, '... patroni_is_paused 0');
is($m1->{patroni_postgres_state}, 5, '... patroni_postgres_state 5 (running)');
is($m1->{pgha_write_gate_open}, 1, '... pgha_write_gate_open 1 on the leader');
cmp_ok($m1->{pgha_fence_deadline_seconds}, '>', 0, '... pgha_fence_deadline_seconds');
like($mtext, qr/^pgha_last_decision\{scope="test",name="node1",rule="renew",action="renew"\} 1$/m,
	'... pgha_last_decision with its rule');
my (undef, undef, $m2) = metrics('node2');
is($m2->{patroni_replica}, 1, '/metrics on node2: patroni_replica 1');
is($m2->{patroni_primary}, 0, '... patroni_primary 0');
is($m2->{patroni_postgres_streaming}, 1, '... patroni_postgres_streaming 1');
cmp_ok($m2->{patroni_xlog_replayed_location}, '>', 0, '... patroni_xlog_replayed_location');
is($m2->{pgha_write_gate_open}, 0, '... pgha_write_gate_open 0 on a standby');
is($m2->{pgha_fence_deadline_seconds}, 0, '... no fence deadline');

($code, $body) = http('node3', '/cluster');
$doc = eval { decode_json($body) } // {};
is_deeply([ sort map { "$_->{name}:$_->{role}" } @{ $doc->{members} // [] } ],
	[ 'node1:leader', 'node2:replica', 'node3:replica' ], '/cluster lists the members and roles');
# one state vocabulary, Patroni 4's: a standby's replication_state, the leader's state
my $states = '';
my $until = time + 30;
while (time < $until)
{
	$doc = eval { decode_json((http('node3', '/cluster'))[1]) } // {};
	$states = join ' ', sort map { "$_->{name}:$_->{state}" } @{ $doc->{members} // [] };
	last if $states eq 'node1:running node2:streaming node3:streaming';
	usleep(100_000);
}
is($states, 'node1:running node2:streaming node3:streaming', '/cluster: states as patronictl list shows them');
ok($node1->poll_query_until('postgres', "SELECT string_agg(member || ':' || role || ':' || state, ' ' ORDER BY member) FROM pgha.members()",
		'node1:leader:running node2:replica:streaming node3:replica:streaming'), 'pgha.members(): the same vocabulary');
like($etcd->get('/service/test/members/node1'), qr/"role":"primary"/, 'the leader\'s member key: role primary');

# pgha.patroni_compat = 3: "master", as Patroni 3 writes it; pgha reads both
$node1->append_conf('postgresql.conf', 'pgha.patroni_compat = 3');
$node1->reload;
ok($etcd->poll_key('/service/test/members/node1', qr/"role":"master"/, 30),
	'pgha.patroni_compat = 3: the member key says role master');
$doc = eval { decode_json((http('node1', '/patroni'))[1]) } // {};
is($doc->{role}, 'master', 'and GET /patroni too');
like($etcd->patronictl('list'), qr/node1\s+\|\s+127\.0\.0\.1:\d+\s+\|\s+Leader\s+\|\s+running/,
	'patronictl 3.0.2 list: node1 is the running leader');
is($node2->safe_psql('postgres', "SELECT role FROM pgha.members() WHERE member = 'node1'"), 'leader',
	'a pgha node reads the leader\'s "master" record');
is((http('node1', '/primary'))[0], 200, 'node1: /primary still 200');
$node1->append_conf('postgresql.conf', 'pgha.patroni_compat = 4');
$node1->reload;
ok($etcd->poll_key('/service/test/members/node1', qr/"role":"primary"/, 30), 'back to 4: role primary');
like($etcd->get('/service/test/members/node2'), qr{"api_url":"http://127\.0\.0\.1:$api{node2}/patroni"},
	'the member key carries api_url');
is((http('node1', '/history'))[0], 200, 'GET /history 200');
# /history serves the history key as the keeper last read it, never asking
# etcd itself: no failover yet, so an empty list
is((http('node2', '/history'))[1], $etcd->get('/service/test/history') // '[]',
	'/history: the history key (none yet: [])');

# a client that drips its request a byte a second is cut off: a request
# must arrive whole within 3 s (the idle timeout alone would wait for ever)
{
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$api{node1}") or die "connect: $!";
	$s->syswrite("GET /health HTTP/1.1\r\nHost: x\r\n");
	my $t0 = time;
	my $cut = 0;
	while (time - $t0 < 15)
	{
		my $rin = '';
		vec($rin, fileno($s), 1) = 1;
		if (select($rin, undef, undef, 1) > 0)
		{
			my $buf;
			my $n = sysread($s, $buf, 1024);
			if (!$n)
			{
				$cut = 1;
				last;
			}
		}
		local $SIG{PIPE} = 'IGNORE';
		$s->syswrite('X') or do { $cut = 1; last };
	}
	ok($cut, sprintf('a request dripped a byte a second is cut off (after %.1f s)', time - $t0));
	close $s;
}

# HAProxy in front of the three nodes, checking OPTIONS /primary
my $haport = PostgreSQL::Test::Cluster::get_free_port();
my $hadir = PostgreSQL::Test::Utils::tempdir();
open my $cfg, '>', "$hadir/haproxy.cfg" or die;
print $cfg <<"EOC";
global
    maxconn 100
defaults
    mode tcp
    timeout connect 2s
    timeout client 30m
    timeout server 30m
    timeout check 1s
listen primary
    bind 127.0.0.1:$haport
    option httpchk OPTIONS /primary
    http-check expect status 200
    default-server inter 300ms fall 2 rise 1 on-marked-down shutdown-sessions
EOC
printf $cfg "    server %s 127.0.0.1:%d check port %d\n", $_->name, $_->port, $api{ $_->name } for @nodes;
close $cfg;
my ($hin, $hout, $herr) = ('', '', '');
my $haproxy = IPC::Run::start([ 'haproxy', '-db', '-f', "$hadir/haproxy.cfg" ],
	'<', \$hin, '>', \$hout, '2>', \$herr);

sub through_haproxy
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $haport, '-d', 'postgres',
		  '-c', 'SELECT inet_server_port() FROM pg_catalog.pg_stat_activity WHERE NOT pg_is_in_recovery() LIMIT 1' ],
		'>', \$out, '2>', \$err);
	chomp $out;
	return $out;
}

sub poll_haproxy
{
	my ($want) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		return 1 if through_haproxy() eq $want;
		usleep(100_000);
	}
	diag("HAProxy: last answer '" . through_haproxy() . "'; $herr");
	return 0;
}

ok(poll_haproxy($node1->port), 'through HAProxy a client reaches node1, the primary');
my $t0 = time;
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a replica took over');
Pgha::Node::forget_if_down($node1);
my $new = $etcd->get('/service/test/leader') eq 'node2' ? $node2 : $node3;
ok(poll_haproxy($new->port), sprintf('through HAProxy the client reaches %s, the new primary (%.1f s after the kill)',
	$new->name, time - $t0));
$haproxy->kill_kill;

$_->stop(undef, fail_ok => 1) for grep { $_ != $node1 } @nodes;
$etcd->stop;
done_testing();
