
# The config key as Patroni reads it.  Debian's patronictl 3.0.2 writes it
# (edit-config): pgha reads every value Patroni would, notes what it coerced,
# adjusted or does not implement (pgha.status().config_warnings, a LOG line),
# keeps the keys it does not own when it writes the key itself, and never
# lifts a pause because of a config it cannot read: the last valid config
# stays, and a node that read no valid config since it started acts as
# paused.  A standby_cluster section turns automatic failover off.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use JSON::PP;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 3);
my ($node1, $node2) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 2,
	config => '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
is($etcd->get('/service/test/leader'), 'node1', 'node1 leads');
my $status = q{SELECT ttl || '/' || loop_wait || '/' || retry_timeout || CASE WHEN paused THEN ' t' ELSE ' f' END FROM pgha.status()};

sub patronictl_edit
{
	my @set = map { ('-s', $_) } @_;
	my $conf = $etcd->dir . '/patronictl.yml';
	$etcd->patronictl('list');    # writes $conf
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'patronictl', '-c', $conf, 'edit-config', '--force', @set ], '>', \$out, '2>', \$err);
	return $? == 0;
}

# --- Patroni's own tool writes the config, with values as a DBA types them
my $offset = -s $node1->logfile;
ok(patronictl_edit('ttl=8', 'loop_wait=1', 'retry_timeout=2', 'maximum_lag_on_failover=16MB',
		'synchronous_mode=off', 'check_timeline=true', 'slots.keep.type=physical',
		'postgresql.use_slots=true', 'postgresql.parameters.work_mem=8MB'),
	'patronictl 3.0.2 edit-config wrote the config key');
my $stored = decode_json($etcd->get('/service/test/config'));
note('as patronictl wrote it: ' . $etcd->get('/service/test/config'));
is($stored->{maximum_lag_on_failover}, '16MB', 'patronictl keeps maximum_lag_on_failover a string "16MB"');
ok($node1->poll_query_until('postgres', "SELECT ttl = 8 FROM pgha.status()"), 'node1 reads it: ttl 8');
is($node1->safe_psql('postgres', $status), '8/1/2 f', 'the timings are in force');
my $warn = $node1->safe_psql('postgres', 'SELECT config_warnings FROM pgha.status()');
like($warn, qr/"maximum_lag_on_failover": "16MB" is no number of bytes: read as the default 1048576, as Patroni reads it/,
	'config_warnings: "16MB" read as Patroni 4 reads it, the default');
unlike($warn, qr/slots/, 'config_warnings: nothing on the permanent slot, which pgha keeps');
ok($node1->poll_query_until('postgres', "SELECT count(*) = 1 FROM pg_replication_slots WHERE slot_name = 'keep' AND slot_type = 'physical'"),
	'the leader made the permanent slot "keep"');
unlike(slurp_file($node1->logfile, $offset), qr/pgha ignores the invalid config/, 'nothing of it was refused');
ok($node1->wait_for_log(qr/LOG:  pgha: the cluster config has values pgha coerced or adjusted, or settings it does not implement\n.*DETAIL:  .*"16MB" is no number of bytes/, $offset),
	'a LOG line says so, once');
is($node1->safe_psql('postgres', "SELECT current_setting('work_mem')"), '8MB', 'the parameter Patroni set is applied');

# --- pgha writes the key: the keys it does not own stay
$node1->safe_psql('postgres', q{SELECT pgha.set_config('{"loop_wait": 2}', wait => '30s')});
$stored = decode_json($etcd->get('/service/test/config'));
is($stored->{loop_wait}, 2, 'pgha.set_config() changed loop_wait');
is_deeply([ $stored->{slots}, $stored->{check_timeline}, $stored->{maximum_lag_on_failover} ],
	[ { keep => { type => 'physical' } }, JSON::PP::true, '16MB' ],
	'and kept slots, check_timeline and "16MB" as they were');

# --- a writer refuses what a reader adjusts
my ($rc, $out, $err) = $node1->psql('postgres', q{SELECT pgha.set_config('{"ttl": 2}')});
like($err, qr/invalid cluster configuration\nDETAIL:  ttl must be between 3 and 3600 seconds, not 2/,
	'pgha.set_config refuses ttl 2');
$etcd->put('/service/test/config', '{"ttl":2,"loop_wait":1,"retry_timeout":1,"slots":{"keep":{"type":"physical"}}}');
ok($node1->poll_query_until('postgres', "SELECT ttl = 3 FROM pgha.status()"), 'a ttl of 2 in etcd is read as 3, pgha\'s minimum');
like($node1->safe_psql('postgres', 'SELECT config_warnings FROM pgha.status()'),
	qr/ttl must be between 3 and 3600 seconds, not 2: ttl adjusted to 3/, 'and says so');

# --- an invalid config never lifts a pause
$node1->safe_psql('postgres', q{SELECT pgha.set_config('{"ttl": 6, "loop_wait": 1, "retry_timeout": 2}', wait => '30s')});
$node1->safe_psql('postgres', q{SELECT pgha.pause(wait => '30s')});
ok($node2->poll_query_until('postgres', 'SELECT paused FROM pgha.status()'), 'paused');
like($etcd->get('/service/test/members/node2'), qr/"state":"running"/,
	'the member key says running while paused, as Patroni\'s does (pgha.status() says paused)');
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2,"pause":"maybe"}');
ok($node2->poll_query_until('postgres', "SELECT config_warnings LIKE 'the config key is invalid: %' FROM pgha.status()"),
	'node2 finds the config invalid');
is($node2->safe_psql('postgres', 'SELECT paused FROM pgha.status()'), 't', 'the last valid config, paused, stays in force');
# a node with no valid config at all (none read since it started, none
# saved in its data directory): acts as paused
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2,"synchronous_mode":"perhaps"}');
$node2->stop;
unlink($node2->data_dir . '/pgha.dynamic.json') or die "no pgha.dynamic.json on node2: $!";
$node2->start;
ok($node2->poll_query_until('postgres', "SELECT config_warnings LIKE '%no valid config since this server started: acting as paused' FROM pgha.status()"),
	'node2, started with an invalid config and none saved, says it acts as paused');
is($node2->safe_psql('postgres', 'SELECT paused FROM pgha.status()'), 't', 'and is paused');
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
ok($node2->poll_query_until('postgres', 'SELECT NOT paused AND config_warnings IS NULL FROM pgha.status()'),
	'a valid config, not paused: node2 follows it');

# --- the last valid config survives a restart of the server while etcd is
# away (pgha.dynamic.json, as Patroni's patroni.dynamic.json): a paused
# primary restarted then stays paused, with the cluster's ttl, and is not
# fenced as a primary on the defaults would be (after 8 s)
$node1->safe_psql('postgres', q{SELECT pgha.pause(wait => '30s')});
ok($node1->poll_query_until('postgres', 'SELECT paused FROM pgha.status()'), 'paused again');
like(slurp_file($node1->data_dir . '/pgha.dynamic.json'), qr/"pause":\s*true/, 'pgha.dynamic.json holds the config');
$etcd->pause($_) for 1 .. 3;
$node1->restart;
ok($node1->poll_query_until('postgres', q{SELECT paused AND ttl = 6 FROM pgha.status()}),
	'node1, restarted without etcd, works with the saved config: paused, ttl 6');
ok($node1->poll_query_until('postgres', q{SELECT now() - pg_postmaster_start_time() > interval '9 s'}),
	'node1 has run without etcd for longer than a fence window on the defaults');
unlike(slurp_file($node1->logfile), qr/fencing this primary/, 'and was never fenced');
$etcd->resume($_) for 1 .. 3;
# still paused: node1 takes the key (again) before the resume, or the
# resume would find a primary that proved nothing for longer than its
# fence window, and fence it
ok($node1->poll_query_until('postgres', q{SELECT is_leader AND paused FROM pgha.status()}),
	'etcd back: node1, paused, holds the key again');
$node1->safe_psql('postgres', q{SELECT pgha.resume(wait => '30s')});
ok($node2->poll_query_until('postgres', 'SELECT NOT paused FROM pgha.status()'), 'resumed');

# --- a standby_cluster section pgha cannot follow (neither a host nor a
# restore_command): as paused
$etcd->put('/service/test/config',
	'{"ttl":6,"loop_wait":1,"retry_timeout":2,"standby_cluster":{"port":5433}}');
ok($node2->poll_query_until('postgres', "SELECT paused AND config_warnings LIKE '%standby_cluster%' FROM pgha.status()"),
	'a standby_cluster section without a host: node2 acts as paused and says why');

# --- paused, with a standby_cluster section: the primary is not demoted
# (paused) but acknowledges nothing, as nothing is in a standby cluster
$node1->safe_psql('postgres', 'CREATE TABLE standby_gate (x int)');
$etcd->put('/service/test/config',
	'{"ttl":6,"loop_wait":1,"retry_timeout":2,"pause":true,"standby_cluster":{"host":"10.0.0.9","port":5432}}');
ok($node1->poll_query_until('postgres', "SELECT paused FROM pgha.status()"), 'paused with the section');
{
	my ($ret, $out, $err) = $node1->psql('postgres', 'INSERT INTO standby_gate VALUES (1)',
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/25006/, 'the primary refuses the commit (the write gate)');
}
is($node1->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', '... and stays a primary while paused');

# --- with a host: a standby cluster (docs/ha.md); the primary leading it
# demotes (Patroni's demote-cluster: a fast shutdown, to start again as a
# standby; nothing starts it here), and node2 becomes the standby leader
# of 10.0.0.9 instead of promoting
$etcd->put('/service/test/config',
	'{"ttl":6,"loop_wait":1,"retry_timeout":2,"standby_cluster":{"host":"10.0.0.9","port":5432}}');
ok($node2->poll_query_until('postgres', "SELECT NOT paused AND coalesce(config_warnings, '') = '' FROM pgha.status()"),
	'a standby_cluster section with a host: not paused, nothing to warn of');
ok(Pgha::Node::wait_down($node1, 60), 'node1, the primary, stops to become a standby');
like(slurp_file($node1->logfile), qr/the config makes this cluster a standby cluster: this primary stops/,
	'... saying so');
ok(-e $node1->data_dir . '/standby.signal', '... with standby.signal for its next start');
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 60), 'node1 gone: node2 takes the key');
ok($node2->poll_query_until('postgres', "SELECT role = 'standby_leader' FROM pgha.members() WHERE member = 'node2'"),
	'as the standby leader');
is($node2->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'node2 does not promote');
$node2->stop;
$etcd->stop;
done_testing();
