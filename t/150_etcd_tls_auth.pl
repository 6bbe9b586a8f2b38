
# The pgha worker against an etcd that speaks only TLS, demands client
# certificates and has authentication on, with a role limited to the
# cluster's prefix (certificates made by openssl in scripts/etcd-tls.sh).
# A wrong CA and a wrong password are refused and leave no trace in etcd;
# the password shows up in no log line, no etcd value and no setting an
# ordinary role can read.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Node;

my $dir = PostgreSQL::Test::Utils::tempdir();
PostgreSQL::Test::Utils::system_or_bail('bash', "$FindBin::RealBin/../scripts/etcd-tls.sh", 'start', $dir);
END { system('bash', "$FindBin::RealBin/../scripts/etcd-tls.sh", 'stop', $dir) if $dir; }
my $url = slurp_file("$dir/url");
chomp $url;

# etcdctl over TLS, as root or as the pgha user
sub etcdctl
{
	my ($user, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'etcdctl', "--endpoints=$url", "--cacert=$dir/ca.crt", "--cert=$dir/client-nocn.crt",
		  "--key=$dir/client-nocn.key", ($user ? ("--user=$user") : ()), @args ],
		'>', \$out, '2>', \$err);
	return ($? >> 8, $out . $err);
}
$ENV{ETCDCTL_API} = 3;
my $password = 'Secr3t-pgha-' . int(rand(1_000_000));
for my $cmd ([ 'user', 'add', 'root', '--new-user-password=rootpw' ],
	[ 'role', 'add', 'pgha_test' ],
	[ 'role', 'grant-permission', 'pgha_test', '--prefix=true', 'readwrite', '/service/test/' ],
	[ 'user', 'add', 'pgha', "--new-user-password=$password" ],
	[ 'user', 'grant-role', 'pgha', 'pgha_test' ],
	[ 'auth', 'enable' ])
{
	my ($rc, $out) = etcdctl(undef, @$cmd);
	is($rc, 0, "etcdctl @$cmd[0..1]") or diag($out);
}

open my $pf, '>', "$dir/password" or die;
print $pf "$password\n";
close $pf;
chmod 0600, "$dir/password";
open $pf, '>', "$dir/wrong-password" or die;
print $pf "not-the-password\n";
close $pf;
chmod 0600, "$dir/wrong-password";
# the right password in a file others may read: refused before it is used
open $pf, '>', "$dir/open-password" or die;
print $pf "$password\n";
close $pf;
chmod 0644, "$dir/open-password";

# a stand-in for Pgha::Etcd: Pgha::Node only asks it for the endpoints
{
	package TlsEtcd;
	sub new { my ($class, $url) = @_; return bless { url => $url }, $class; }
	sub endpoints { return $_[0]{url}; }
}
my $etcd = TlsEtcd->new($url);

sub tls_node
{
	my ($name, $ca, $pwfile) = @_;
	my $node = Pgha::Node::new_node($name, etcd => $etcd, extra_conf => [
		"pgha.etcd_cacert = '$dir/$ca'",
		# etcd 3.4's gateway refuses certificates with a CN once auth is on
		"pgha.etcd_cert = '$dir/client-nocn.crt'",
		"pgha.etcd_key = '$dir/client-nocn.key'",
		"pgha.etcd_user = 'pgha'",
		"pgha.etcd_password_file = '$dir/$pwfile'" ]);
	$node->start;
	return $node;
}

sub poll_etcd
{
	my ($key, $re) = @_;
	my $deadline = time + 60;
	while (time < $deadline)
	{
		my ($rc, $out) = etcdctl('root:rootpw', 'get', $key, '--print-value-only');
		return 1 if $rc == 0 && $out =~ $re;
		usleep(100_000);
	}
	return 0;
}

my $node1 = tls_node('node1', 'ca.crt', 'password');
ok(poll_etcd('/service/test/leader', qr/^node1$/m), 'node1 leads through TLS and etcd authentication');
$node1->safe_psql('postgres', 'CREATE EXTENSION pgha');
is($node1->safe_psql('postgres', 'SELECT etcd_reachable FROM pgha.status()'), 't', 'pgha.status(): etcd reachable');

# the role the pgha user has reaches its own prefix only
my ($rc, $out) = etcdctl("pgha:$password", 'get', '/service/test/leader', '--print-value-only');
like($out, qr/^node1$/m, 'the pgha user reads its cluster');
($rc, $out) = etcdctl("pgha:$password", 'put', '/service/other/leader', 'x');
like($out, qr/permission denied/, 'and nothing outside its prefix');

# a wrong CA: nothing reaches etcd
my $badca = tls_node('badca', 'other-ca.crt', 'password');
# (told by the log: a primary that never reached etcd commits nothing, not
# even CREATE EXTENSION, until it fences itself; t/104 shows the refusal)
ok($badca->wait_for_log(qr/cannot reach etcd[^\n]*\n[^\n]*DETAIL:[^\n]*certificate/i),
	'a wrong CA: etcd is unreachable, the error names the certificate');
# a wrong password: refused by etcd
my $badpw = tls_node('badpw', 'ca.crt', 'wrong-password');
ok($badpw->wait_for_log(qr/cannot reach etcd[^\n]*\n[^\n]*DETAIL:[^\n]*auth/i),
	'a wrong password: refused, the error says authentication');
($rc, $out) = etcdctl('root:rootpw', 'get', '/service/test/members/', '--prefix', '--keys-only');
unlike($out, qr/badca|badpw/, 'neither left a member key');
# and, primaries that cannot prove a lease, both fence themselves
for my $n ($badca, $badpw)
{
	ok(Pgha::Node::wait_down($n), $n->name . ', a primary without etcd, fenced itself');
}
like($out, qr{/service/test/members/node1}, 'node1 did');

# the password: in no log, no etcd value, no setting a non-superuser reads
for my $n ($node1, $badca, $badpw)
{
	unlike(slurp_file($n->logfile), qr/\Q$password\E/, $n->name . "'s log has no password");
}
($rc, $out) = etcdctl('root:rootpw', 'get', '', '--prefix=true');
unlike($out, qr/\Q$password\E/, 'no etcd value has the password');
$node1->safe_psql('postgres', 'CREATE ROLE plain LOGIN; CREATE ROLE watcher LOGIN IN ROLE pg_monitor');
my ($prc, $pout, $perr) = $node1->psql('postgres', 'SHOW pgha.etcd_password_file', extra_params => [ '-U', 'plain' ]);
like($perr, qr/must be superuser or have privileges of pg_read_all_settings/,
	'an ordinary role cannot even see where the password lives');
# pg_monitor includes pg_read_all_settings: it sees the path, never the password
($prc, $pout, $perr) = $node1->psql('postgres', 'SELECT string_agg(setting, \' \') FROM pg_settings WHERE name LIKE \'pgha.%\'',
	extra_params => [ '-U', 'watcher' ]);
unlike($pout, qr/\Q$password\E/, 'no setting a monitoring role reads holds the password');
unlike($node1->safe_psql('postgres', 'SELECT pgha.members()::text', extra_params => [ '-U', 'watcher' ]),
	qr/\Q$password\E/, 'pgha.members() has no password');

# a session asking pgha.config() over and over authenticates once (each
# authentication costs etcd a bcrypt and a TLS handshake): etcd counts them
sub authentications
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'curl', '-s', '--cacert', "$dir/ca.crt", '--cert', "$dir/client-nocn.crt",
		  '--key', "$dir/client-nocn.key", "$url/metrics" ], '>', \$out, '2>', \$err);
	return $out =~ /^grpc_server_handled_total\{grpc_code="OK",grpc_method="Authenticate"[^}]*\} (\d+)/m ? $1 : -1;
}
my $before = authentications();
$node1->safe_psql('postgres', 'SELECT pgha.config() FROM generate_series(1, 30)');
my $auths = authentications() - $before;
ok($before >= 0 && $auths >= 1 && $auths <= 3,
	"30 calls of pgha.config() in one session authenticated $auths time(s) with etcd, not 30");

# a password file that others may read is refused (as libpq refuses such a
# .pgpass); on a reload the worker keeps the client it has and says why
my $offset = -s $node1->logfile;
$node1->safe_psql('postgres', "ALTER SYSTEM SET pgha.etcd_password_file = '$dir/open-password'; SELECT pg_reload_conf()");
ok($node1->wait_for_log(qr/password file "[^"]*open-password" has group or world access/, $offset),
	'a group- or world-readable password file is refused');
ok($node1->poll_query_until('postgres', "SELECT last_rule <> 'not_leader' AND is_leader FROM pgha.status()"),
	'node1 leads on with the client it had');
$node1->safe_psql('postgres', "ALTER SYSTEM RESET pgha.etcd_password_file; SELECT pg_reload_conf()");

$node1->stop;
PostgreSQL::Test::Utils::system_or_bail('bash', "$FindBin::RealBin/../scripts/etcd-tls.sh", 'stop', $dir);
done_testing();
