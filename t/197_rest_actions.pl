
# The REST API's actions, driven by Debian's patronictl 3.0.2 and by curl
# against a 3-node cluster run by pghactl run: switchover (now and
# scheduled, and its cancel), failover, restart, reload, reinit, pause
# through PATCH /config, GET/PATCH/PUT /config.  Every action needs HTTP
# basic authentication; a request without it or with a wrong password is
# refused (401) and logged; a node without credentials configured refuses
# every action (403).

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
use Pgha::Run;

my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $dir = PostgreSQL::Test::Utils::tempdir();
my $password = 'api-secret-4711';
open my $pw, '>', "$dir/api.password" or die;
print $pw "$password\n";
close $pw;
chmod 0600, "$dir/api.password";
$etcd->{patronictl_yaml} = "restapi:\n  authentication:\n    username: admin\n    password: $password\n";

# on_reload records its calls
open my $cb, '>', "$dir/reloaded.sh" or die;
print $cb "#!/bin/sh\nnode=\$1; shift\necho \"\$*\" >> $dir/\$node.reloads\n";
close $cb;
chmod 0755, "$dir/reloaded.sh";

open my $bs, '>', "$dir/bootstrap.sql" or die;
print $bs "CREATE EXTENSION pgha;\n";
close $bs;

my %api;
my $c = Pgha::Run->new(etcd => $etcd, nodes => 3, conf => sub {
	my ($name) = @_;
	$api{$name} = PostgreSQL::Test::Cluster::get_free_port();
	return [ "pgha.api_listen = '127.0.0.1:$api{$name}'",
		"pghactl.bootstrap_sql = '$dir/bootstrap.sql'",
		"pghactl.on_reload = '$dir/reloaded.sh $name'",
		"pgha.api_user = 'admin'",
		"pgha.api_password_file = '$dir/api.password'" ];
});

# curl: (status, body); -u USER:PASSWORD with $auth, a body with $data
sub http
{
	my ($name, $method, $path, $auth, $data) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'curl', '-s', '-m', '60', '-X', $method, '-w', '\n%{http_code}',
		  (defined $auth ? ('-u', $auth) : ()),
		  (defined $data ? ('-H', 'Content-Type: application/json', '--data-binary', $data) : ()),
		  "http://127.0.0.1:$api{$name}$path" ], '>', \$out, '2>', \$err);
	my ($body, $code) = $out =~ /^(.*)\n(\d+)$/s;
	return ($code // 0, $body // '');
}
my $admin = "admin:$password";

sub leader { return $etcd->get('/service/test/leader') // ''; }

# streaming on its slot, as a switchover asks of a candidate
sub on_slot
{
	my ($leader, $name) = @_;
	return $c->poll_sql($leader, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$name' AND active", '1')
	  && $etcd->poll_key("/service/test/members/$name", qr/"replication_state":"streaming"/, 30);
}

# does the node's log say it (by now, without waiting)?
sub log_says
{
	my ($name, $re) = @_;
	for my $f (glob($c->data($name) . '/log/*'), $c->log($name))
	{
		return 1 if -f $f && slurp_file($f) =~ $re;
	}
	return 0;
}

# ... within 30 s
sub log_has
{
	my ($name, $re) = @_;
	my $deadline = time + 30;
	while (time < $deadline)
	{
		return 1 if log_says($name, $re);
		usleep(100_000);
	}
	return 0;
}

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
$c->start($_) for qw(node2 node3);
ok($c->streams_from('node1', $_), "$_ streams") for qw(node2 node3);
ok($etcd->poll_key("/service/test/members/$_", qr/"api_url":"http:\/\/127\.0\.0\.1:$api{$_}\/patroni"/, 30),
	"$_ publishes its api_url") for qw(node1 node2 node3);

# --- authentication
my ($code, $body) = http('node1', 'POST', '/switchover', undef, '{"leader":"node1"}');
is($code, 401, 'POST /switchover without credentials: 401');
($code, $body) = http('node1', 'POST', '/switchover', 'admin:wrong', '{"leader":"node1"}');
is($code, 401, 'with a wrong password: 401');
my ($hdr_out, $hdr_err) = ('', '');
IPC::Run::run([ 'curl', '-s', '-D', '-', '-o', '/dev/null', '-X', 'POST', "http://127.0.0.1:$api{node1}/reload" ],
	'>', \$hdr_out, '2>', \$hdr_err);
like($hdr_out, qr/^WWW-Authenticate: Basic realm="pgha"/mi, 'the 401 asks for basic authentication');
ok(log_has('node1', qr/pgha api: refused POST \/switchover from 127\.0\.0\.1: no credentials/),
	'the refusal is logged');
ok(log_has('node1', qr/pgha api: refused POST \/switchover from 127\.0\.0\.1: wrong user or password/),
	'... and the wrong password');
# the lines about the refusals are there (above): what they say is all there is
ok(!log_says('node1', qr/wrong"|admin:wrong/), 'the password is not');
my ($o_out, $o_err) = ('', '');
IPC::Run::run([ 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', "admin:$password", '-H',
	  'Origin: https://evil.example', '-X', 'POST', "http://127.0.0.1:$api{node1}/reload" ], '>', \$o_out, '2>', \$o_err);
is($o_out, '403', 'an action with an Origin header (a browser made to post it): 403');
is(leader(), 'node1', 'nothing happened');

# --- GET /config: without credentials, parameter values and pg_hba secrets are hidden
$c->sql('node1', "SELECT pgha.set_parameter('work_mem', '6MB')");
ok($etcd->poll_key('/service/test/config', qr/"work_mem":"6MB"/, 30), 'a parameter in the config key');
my $deadline = time + 30;
do { ($code, $body) = http('node2', 'GET', '/config'); usleep(100_000) }
  while ($body !~ /work_mem/ && time < $deadline);
is($code, 200, 'GET /config: 200');
my $doc = eval { decode_json($body) } // {};
is($doc->{ttl}, 6, 'GET /config: the config key (ttl 6)');
isnt($doc->{postgresql}{parameters}{work_mem}, '6MB', 'without credentials: the parameter value hidden');
($code, $body) = http('node2', 'GET', '/config', $admin);
$doc = eval { decode_json($body) } // {};
is($doc->{postgresql}{parameters}{work_mem}, '6MB', 'with credentials: shown');
($code, $body) = http('node2', 'GET', '/config', 'admin:wrong');
is($code, 401, 'with wrong credentials: 401');

# --- PATCH /config and PUT /config: validated as pgha.set_parameter() validates
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":{"parameters":{"work_mem":"lots"}}}');
is($code, 400, 'PATCH /config with an invalid value: 400');
like($body, qr/work_mem/, "... naming the parameter: $body");
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":{"parameters":{"port":"5433"}}}');
is($code, 400, 'PATCH /config setting a per-node parameter: 400');
like($body, qr/cannot be set cluster-wide/, "... $body");
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":{"pg_hba":["host all all 0.0.0.0/0 trustme"]}}');
is($code, 400, 'PATCH /config with a bad pg_hba rule: 400');
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"ttl": "soon"}');
is($code, 400, 'PATCH /config with a bad ttl: 400');
($code, $body) = http('node2', 'PATCH', '/config', $admin, 'not json');
is($code, 400, 'PATCH /config with a body that is not JSON: 400');
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":"none"}');
is($code, 400, 'PATCH /config with postgresql that is no object: 400');
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":{"parameters":{"work_mem":"7MB","WORK_MEM":"5MB"}}}');
is($code, 400, 'PATCH /config naming a parameter twice (in two spellings): 400');
like($etcd->get('/service/test/config'), qr/"work_mem":"6MB"/, 'none of them changed the config key');
unlike($etcd->get('/service/test/config'), qr/lots|5433|trustme|soon/, '... not even partly');
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":{"parameters":{"work_mem":"8MB"}},"maximum_lag_on_failover":2097152}');
is($code, 200, 'PATCH /config: 200');
$doc = eval { decode_json($body) } // {};
is($doc->{postgresql}{parameters}{work_mem}, '8MB', '... answering the stored document');
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"postgresql":{"parameters":{"Work_Mem":"8MB"}}}');
unlike($etcd->get('/service/test/config'), qr/Work_Mem/, 'a parameter name is stored in lower case, as set_parameter() stores it');
is($doc->{ttl}, 6, '... merged with what was there');
ok($c->poll_sql('node3', 'SHOW work_mem', '8MB'), 'every node applies it (node3: work_mem 8MB)');
my $whole = '{"ttl":6,"loop_wait":1,"retry_timeout":2,"postgresql":{"parameters":{"work_mem":"9MB"}}}';
($code, $body) = http('node2', 'PUT', '/config', $admin, $whole);
is($code, 200, 'PUT /config: 200');
$doc = eval { decode_json($etcd->get('/service/test/config')) } // {};
ok(!exists $doc->{maximum_lag_on_failover} && $doc->{postgresql}{parameters}{work_mem} eq '9MB',
	'PUT /config replaced the whole document');
ok($c->poll_sql('node1', 'SHOW work_mem', '9MB'), 'node1: work_mem 9MB');

# --- pause and resume: patronictl sends PATCH /config {"pause": true}
my $out = $etcd->patronictl('pause', 'test');
like($out, qr/Success: cluster management is paused/, 'patronictl pause') or diag($out);
ok($c->poll_sql('node2', 'SELECT paused FROM pgha.status()', 't'), 'the cluster is paused');
$out = $etcd->patronictl('resume', 'test');
like($out, qr/Success: cluster management is resumed/, 'patronictl resume') or diag($out);
ok($c->poll_sql('node2', 'SELECT paused FROM pgha.status()', 'f'), 'the cluster runs again');

# --- switchover: patronictl posts to the leader and waits for the outcome
ok(on_slot('node1', 'node2'), 'node2 streams on its slot');
$out = $etcd->patronictl('switchover', 'test', '--leader', 'node1', '--candidate', 'node2', '--force');
# the leader answers once it let go of the key: it stops then, its API with it
like($out, qr/Switching over to "node2": "node1" let go of the leader key at [0-9A-F]+\/[0-9A-F]+ and stops/,
	'patronictl switchover: the leader answers 200 when it hands over') or diag($out);
unlike($out, qr/falling back to DCS/, '... patronictl needed no fallback');
ok($etcd->poll_key('/service/test/leader', qr/^node2$/, 30), 'node2 leads');
ok($c->poll_sql('node2', 'SELECT pg_is_in_recovery()', 'f'), 'node2 is a primary');
ok($c->streams_from('node2', 'node1'), 'node1 follows node2');

# bad requests: Patroni's status codes
($code, $body) = http('node2', 'POST', '/switchover', $admin, '{"candidate":"node1"}');
is($code, 400, 'POST /switchover without a leader: 400');
($code, $body) = http('node2', 'POST', '/switchover', $admin, '{"leader":"node1","candidate":"node3"}');
is($code, 412, 'POST /switchover from a member that does not lead: 412');
like($body, qr/not the leader/, "... $body");
($code, $body) = http('node2', 'POST', '/switchover', $admin, '{"leader":"node2","candidate":"nobody"}');
is($code, 412, 'POST /switchover to a member that does not exist: 412');
($code, $body) = http('node2', 'POST', '/failover', $admin, '{}');
is($code, 400, 'POST /failover with an empty body: 400');
($code, $body) = http('node2', 'POST', '/switchover', $admin,
	'{"leader":"node2","candidate":"node3","scheduled_at":"2099-01-01T00:00:00"}');
is($code, 400, 'a scheduled switchover without a time zone: 400');
($code, $body) = http('node2', 'POST', '/switchover', $admin,
	'{"leader":"node2","candidate":"node3","scheduled_at":"2001-01-01T00:00:00+00:00"}');
is($code, 422, 'one in the past: 422');
($code, $body) = http('node2', 'POST', '/switchover', $admin,
	'{"leader":"node2","candidate":"node3","scheduled_at":"2099-12-31"}');
is($code, 400, 'a date without a time or zone: 400');
is($etcd->get('/service/test/failover'), undef, 'no request was written');

# scheduled, then cancelled with patronictl flush (DELETE /switchover)
$out = $etcd->patronictl('switchover', 'test', '--leader', 'node2', '--candidate', 'node3',
	'--scheduled', '2099-01-01T00:00+00:00', '--force');
like($out, qr/Switchover scheduled/, 'patronictl switchover --scheduled: 202') or diag($out);
like($etcd->get('/service/test/failover') // '', qr/"scheduled_at":"2099-01-01T00:00:00/, 'the request waits in etcd');
$out = $etcd->patronictl('flush', 'test', 'switchover', '--force');
like($out, qr/Success: scheduled switchover deleted/, 'patronictl flush switchover') or diag($out);
is($etcd->get('/service/test/failover'), undef, 'the request is gone');
($code, $body) = http('node1', 'DELETE', '/switchover', $admin);
is($code, 404, 'DELETE /switchover with none scheduled: 404');
is(leader(), 'node2', 'node2 still leads');

# failover: patronictl fills in the leader, so Patroni makes it a switchover
ok(on_slot('node2', 'node3'), 'node3 streams on its slot');
$out = $etcd->patronictl('failover', 'test', '--candidate', 'node3', '--force');
like($out, qr/over to "node3"/, 'patronictl failover --candidate node3') or diag($out);
unlike($out, qr/falling back to DCS/, '... patronictl needed no fallback');
ok($etcd->poll_key('/service/test/leader', qr/^node3$/, 30), 'node3 leads');
ok($c->streams_from('node3', $_), "$_ follows node3") for qw(node1 node2);

# --- reload: POST /reload on each member
$c->sql('node1', "ALTER SYSTEM SET log_min_duration_statement = '4711ms'");
$out = $etcd->patronictl('reload', 'test', 'node1', '--force');
like($out, qr/Reload request received for member node1/, 'patronictl reload node1: 202') or diag($out);
ok($c->poll_sql('node1', 'SHOW log_min_duration_statement', '4711ms'), 'node1 read its configuration again');
$deadline = time + 30;
usleep(100_000) while !-s "$dir/node1.reloads" && time < $deadline;
is(-f "$dir/node1.reloads" ? slurp_file("$dir/node1.reloads") : '', "on_reload replica test\n",
	'through pghactl run, which ran on_reload with Patroni\'s arguments');

# pghactl reload: POST /reload on every member, as patronictl reload
my ($rc, $err);
($rc, $out, $err) = $c->pghactl('reload');
is($rc, 0, 'pghactl reload') or diag($err);
like($out, qr/Reload request received for member node1\nReload request received for member node2\nReload request received for member node3/,
	"... every member: $out");
$deadline = time + 30;
usleep(100_000) while time < $deadline && grep { !-f "$dir/$_.reloads" } qw(node2 node3);
ok(-f "$dir/node2.reloads" && -f "$dir/node3.reloads", 'on_reload ran on node2 and node3 too');
like(slurp_file("$dir/node3.reloads"), qr/^on_reload primary test$/m, '... with node3\'s role, primary');

# pghactl query: SQL on the leader, or on a member
($rc, $out, $err) = $c->pghactl('query', '--command', 'SELECT 1 AS one, pg_is_in_recovery() AS standby');
is($rc, 0, 'pghactl query') or diag($err);
is($out, "one\tstandby\n1\tf\n", 'on the leader, tab-separated with a header');
($rc, $out, $err) = $c->pghactl('query', 'node2', '--command', 'SELECT pg_is_in_recovery() AS standby', '-f', 'json');
is($out, qq([{"standby":"t"}]\n), 'on node2, as JSON');
($rc, $out, $err) = $c->pghactl('query', '--command', 'SELECT nonsense');
is($rc, 1, 'a query that fails: exit 1');
like($err, qr/column "nonsense" does not exist/, '... with the server\'s message');

# --- restart: POST /restart; pghactl run starts the server again
my $started = $c->sql('node1', 'SELECT pg_postmaster_start_time()');
$out = $etcd->patronictl('restart', 'test', 'node1', '--pending', '--force');
like($out, qr/Failed: restart for member node1, status code=503, \(restart conditions are not satisfied\)/,
	'patronictl restart --pending with no restart pending: 503') or diag($out);
$out = $etcd->patronictl('restart', 'test', 'node1', '--force');
like($out, qr/Success: restart on member node1/, 'patronictl restart node1') or diag($out);
$deadline = time + 60;
my $now = $started;
while (time < $deadline)
{
	$now = $c->sql('node1', 'SELECT pg_postmaster_start_time()');
	last if $now ne '' && $now ne $started;
	usleep(200_000);
}
isnt($now, $started, "node1 was restarted ($started -> $now)");
ok($c->streams_from('node3', 'node1'), 'node1 streams again');
($code, $body) = http('node1', 'POST', '/restart', $admin, '{"timeout": 30}');
is($code, 400, 'POST /restart with a timeout pgha does not take: 400');
($code, $body) = http('node1', 'POST', '/restart', $admin, '{"role": "leader"}');
is($code, 400, 'with a role that is none: 400');
($code, $body) = http('node1', 'POST', '/restart', $admin, '{"role": "primary"}');
is($code, 503, 'restart only if primary, on a replica: 503 (not done)');
($code, $body) = http('node1', 'POST', '/restart', $admin, '{"postgres_version": "9.6"}');
is($code, 503, 'restart only if older than 9.6: 503 (not done)');
($code, $body) = http('node1', 'DELETE', '/restart', $admin);
is($code, 404, 'DELETE /restart with none requested: 404');

# scheduled restarts: shown in the member key as Patroni shows them, flushed
$out = $etcd->patronictl('restart', 'test', 'node1', '--scheduled', '2099-01-01T00:00+00:00', '--force');
like($out, qr/Success: restart scheduled on member node1/, 'patronictl restart --scheduled: 202') or diag($out);
ok($etcd->poll_key('/service/test/members/node1', qr/"scheduled_restart":\{"schedule":"2099-01-01T00:00:00/, 30),
	'node1\'s member key shows the scheduled restart');
like($etcd->patronictl('list'), qr/Scheduled restart/, 'patronictl list shows it');
($code, $body) = http('node1', 'POST', '/restart', $admin, '{"schedule":"2099-02-01T00:00:00Z"}');
is($code, 409, 'a second scheduled restart: 409');
$out = $etcd->patronictl('flush', 'test', 'restart', '--force');
like($out, qr/Success: flush scheduled restart for member node1/, 'patronictl flush restart') or diag($out);
ok($etcd->poll_key('/service/test/members/node1', qr/^(?!.*scheduled_restart)/, 30),
	'the member key no longer shows it');
($rc, $out, $err) = $c->pghactl('restart', 'node1', '--scheduled', '2099-01-01T00:00Z', '--force');
is($rc, 0, 'pghactl restart --scheduled') or diag($err);
like($out, qr/Restart of "node1" scheduled at 2099-01-01T00:00:00/, "... $out");
($code, $body) = http('node1', 'DELETE', '/restart', $admin);
is($code, 200, 'DELETE /restart: 200');
is($body, 'scheduled restart deleted', "... $body");
is($etcd->get('/service/test/restart/node1'), undef, 'the request is gone');
# one due in 3 s: done then, not before
$started = $c->sql('node1', 'SELECT pg_postmaster_start_time()');
my $at = $c->sql('node1', "SELECT to_char((now() + interval '3 s') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
($code, $body) = http('node1', 'POST', '/restart', $admin, "{\"schedule\":\"$at\"}");
is($code, 202, "POST /restart scheduled at $at: 202");
$deadline = time + 60;
$now = $started;
while (time < $deadline)
{
	$now = $c->sql('node1', 'SELECT pg_postmaster_start_time()');
	last if $now ne '' && $now ne $started;
	usleep(200_000);
}
isnt($now, $started, "node1 restarted ($now)");
is($c->sql('node1', "SELECT pg_postmaster_start_time() >= '$at'::timestamptz"), 't', '... not before its time');
ok($c->streams_from('node3', 'node1'), 'node1 streams again');

# --- reinit: POST /reinitialize; pghactl run clones the leader again
ok(on_slot('node3', 'node2'), 'node2 streams on its slot');
open my $m, '>', $c->data('node2') . '/marker' or die;
close $m;
($code, $body) = http('node3', 'POST', '/reinitialize', $admin, '{}');
is($code, 503, 'POST /reinitialize on the leader: 503');
like($body, qr/I am the leader/, "... $body");
$out = $etcd->patronictl('reinit', 'test', 'node2', '--force');
like($out, qr/Success: reinitialize for member node2/, 'patronictl reinit node2') or diag($out);
$deadline = time + 120;
usleep(200_000) while -e $c->data('node2') . '/marker' && time < $deadline;
ok(!-e $c->data('node2') . '/marker', 'node2\'s data directory was replaced');
ok($c->streams_from('node3', 'node2'), 'node2 streams from node3 again');

# --- a switchover asked of a replica, which sees it through: Patroni's answer
ok(on_slot('node3', 'node1'), 'node1 streams on its slot');
($code, $body) = http('node2', 'POST', '/switchover', $admin, '{"leader":"node3","candidate":"node1"}');
is($code, 200, 'POST /switchover to a replica: 200 once done');
is($body, 'Successfully switched over to "node1"', "... $body");
is(leader(), 'node1', 'node1 leads');

# --- a node without credentials configured refuses every action
$c->sql('node1', "ALTER SYSTEM SET pgha.api_user = ''");
$c->sql('node1', 'SELECT pg_reload_conf()');
$deadline = time + 30;
do { ($code, $body) = http('node1', 'POST', '/reload', $admin); usleep(100_000) }
  while ($code != 403 && time < $deadline);
is($code, 403, 'no pgha.api_user: actions refused (403)');
like($body, qr/pgha\.api_user and pgha\.api_password_file/, "... saying what to set: $body");

# --- a body larger than 16 kB
($code, $body) = http('node2', 'PATCH', '/config', $admin, '{"x":"' . ('y' x 20000) . '"}');
is($code, 413, 'a body larger than 16 kB: 413');

# --- the server stops while an action waits for etcd: the client hears so,
# and the API worker ends cleanly (libmicrohttpd aborts the process when a
# daemon stops with a connection still suspended: a postmaster crash-restart)
my $log2 = -s $c->log('node2');
$etcd->pause($_) for 1 .. 3;
my ($w_out, $w_err) = ('', '');
my $waiter = IPC::Run::start([ 'curl', '-s', '-m', '60', '-u', $admin, '-X', 'POST', '-w', '\n%{http_code}',
	  '--data-binary', '{"leader":"node1","candidate":"node3"}', "http://127.0.0.1:$api{node2}/switchover" ],
	'>', \$w_out, '2>', \$w_err);
$deadline = time + 30;
usleep(50_000) while time < $deadline && substr(slurp_file($c->log('node2')), $log2) !~ m{POST /switchover from};
$c->stop('node2');
$waiter->finish;
$etcd->resume($_) for 1 .. 3;
like($w_out, qr/^the REST API stopped before the action answered; see the server log\n503$/,
	'an action waiting on etcd when its server stops: 503, from the API worker as it stops');
my $tail2 = substr(slurp_file($c->log('node2')), $log2);
unlike($tail2, qr/terminated by signal|reinitializing/, '... and no server process crashed') or diag($tail2);

$c->stop($_) for qw(node1 node2 node3);

# pghactl remove: the typed confirmations patronictl remove asks for
sub remove_with
{
	my ($answers) = @_;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'pghactl', 'remove', '-c', $c->{conf}{node1} ], '<', \$answers, '>', \$o, '2>', \$e);
	return ($? >> 8, $o, $e);
}
($rc, $out, $err) = remove_with("test\nYes I am\n");
is($rc, 1, 'pghactl remove without "Yes I am aware": refused');
ok(defined $etcd->get('/service/test/config'), '... the keys are still there');
my $leader_now = leader();
($rc, $out, $err) = remove_with("test\nYes I am aware\n" . ($leader_now ? "$leader_now\n" : ''));
is($rc, 0, 'pghactl remove with the confirmations') or diag($out . $err);
is($etcd->get('/service/test/config'), undef, 'the config key is gone');
is(scalar(keys %{ $etcd->get_prefix('/service/test/') // {} }), 0, 'and every other key of the cluster');
$etcd->stop;
done_testing();
