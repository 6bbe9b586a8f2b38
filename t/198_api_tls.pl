
# The REST API over HTTPS (pgha.api_certfile/keyfile) with client
# certificates (pgha.api_cafile, pgha.api_verify_client), as Patroni's
# restapi.certfile/keyfile/cafile/verify_client: the member's api_url says
# https; "optional" lets health checks in without a certificate but wants
# one for actions; "required" wants one on every request; a certificate of
# another CA is refused; patronictl 3.0.2 drives an action with its client
# certificate; a reload that brings a broken key keeps the API serving as
# before, one that brings a new certificate serves with it.

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

my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
my $dir = PostgreSQL::Test::Utils::tempdir();
my $tls = "$dir/tls";
system('bash', "$FindBin::RealBin/../scripts/etcd-tls.sh", 'certs', $tls) == 0 or die 'certificates';
chmod 0600, "$tls/server.key";
my $password = 'tls-api-secret';
open my $pw, '>', "$dir/api.password" or die;
print $pw "$password\n";
close $pw;
chmod 0600, "$dir/api.password";
my $admin = "admin:$password";

my $api = PostgreSQL::Test::Cluster::get_free_port();
my $c = Pgha::Run->new(etcd => $etcd, nodes => 1, conf => [
	"pgha.api_listen = '127.0.0.1:$api'",
	"pgha.api_user = 'admin'",
	"pgha.api_password_file = '$dir/api.password'",
	"pgha.api_certfile = '$tls/server.crt'",
	"pgha.api_keyfile = '$tls/server.key'",
	"pgha.api_cafile = '$tls/ca.crt'",
	"pgha.api_verify_client = 'optional'" ]);

# curl over HTTPS, trusting the test CA: (status, body); 0 if no HTTP answer
sub https
{
	my ($method, $path, %o) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'curl', '-s', '-m', '30', '--cacert', "$tls/ca.crt", '-X', $method,
		  '-w', '\n%{http_code}',
		  ($o{cert} ? ('--cert', "$tls/$o{cert}.crt", '--key', "$tls/$o{cert}.key") : ()),
		  ($o{auth} ? ('-u', $o{auth}) : ()),
		  "https://127.0.0.1:$api$path" ], '>', \$out, '2>', \$err);
	my ($body, $code) = $out =~ /^(.*)\n(\d+)$/s;
	return ($code // 0, $body // '');
}

$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
ok($etcd->poll_key('/service/test/members/node1', qr/"api_url":"https:\/\/127\.0\.0\.1:$api\/patroni"/, 30),
	'the member\'s api_url says https');

my ($code, $body) = https('GET', '/primary');
is($code, 200, 'verify_client optional: a health check without a certificate, 200');
my ($plain, $perr) = ('', '');
IPC::Run::run([ 'curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}',
	  "http://127.0.0.1:$api/primary" ], '>', \$plain, '2>', \$perr);
isnt($plain, '200', "plain HTTP gets no health answer ($plain)");
($code, $body) = https('POST', '/reload', auth => $admin);
is($code, 403, 'an action without a client certificate: 403');
is($body, 'client certificate required', "... $body");
($code, $body) = https('POST', '/reload', auth => $admin, cert => 'other-client');
is($code, 403, 'with a certificate of another CA: 403');
is($body, 'client certificate not valid', "... $body");
($code, $body) = https('POST', '/reload', cert => 'client');
is($code, 401, 'with a valid certificate but no password: 401');
($code, $body) = https('POST', '/reload', auth => $admin, cert => 'client');
is($code, 202, 'with a valid certificate and the password: 202');

# patronictl with its client certificate (ctl.certfile/keyfile, ctl.cacert)
$etcd->{patronictl_yaml} = "restapi:\n  authentication:\n    username: admin\n    password: $password\n"
  . "ctl:\n  certfile: $tls/client.crt\n  keyfile: $tls/client.key\n  cacert: $tls/ca.crt\n";
my $out = $etcd->patronictl('reload', 'test', 'node1', '--force');
like($out, qr/Reload request received for member node1/, 'patronictl reload over HTTPS with a client certificate')
  or diag($out . $etcd->{patronictl_stderr});

# required: every request needs one
$c->sql('node1', "ALTER SYSTEM SET pgha.api_verify_client = 'required'");
$c->sql('node1', 'SELECT pg_reload_conf()');
my $deadline = time + 30;
do { ($code, $body) = https('GET', '/primary'); usleep(100_000) } while ($code != 403 && time < $deadline);
is($code, 403, 'verify_client required: a health check without a certificate, 403');
($code, $body) = https('GET', '/primary', cert => 'client');
is($code, 200, '... with one, 200');

# a reload that brings a key that is not the certificate's: logged, served as before
$c->sql('node1', "ALTER SYSTEM SET pgha.api_keyfile = '$tls/client.key'");
chmod 0600, "$tls/client.key";
my $log_size = -s $c->log('node1');
$c->sql('node1', 'SELECT pg_reload_conf()');
$deadline = time + 30;
usleep(100_000) while time < $deadline
  && substr(slurp_file($c->log('node1')), $log_size) !~ /the new TLS settings are not used/;
like(substr(slurp_file($c->log('node1')), $log_size),
	qr/pgha\.api_certfile and pgha\.api_keyfile are not a PEM certificate and its key/,
	'a key that does not match the certificate is logged');
($code, $body) = https('GET', '/primary', cert => 'client');
is($code, 200, '... and the API serves as before');

# back to the right key, and no client certificates: served with the new settings
$c->sql('node1', 'ALTER SYSTEM RESET pgha.api_keyfile');
$c->sql('node1', "ALTER SYSTEM SET pgha.api_verify_client = 'none'");
$c->sql('node1', 'SELECT pg_reload_conf()');
$deadline = time + 30;
do { ($code, $body) = https('GET', '/primary'); usleep(100_000) } while ($code != 200 && time < $deadline);
is($code, 200, 'verify_client none after a reload: a health check without a certificate, 200');

$c->stop('node1');
$etcd->stop;
done_testing();
