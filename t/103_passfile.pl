
# Replication with a password: standbys and peer probes authenticate as
# pgha.replication_user with scram-sha-256, the password coming from the
# libpq password file named by pgha.passfile.  The password never shows up
# in primary_conninfo, in etcd or in the server logs.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Pgha::Etcd;
use Pgha::Node;

my $secret = 'Rep1-s3cret-pw';
my $passfile = "$PostgreSQL::Test::Utils::tmp_check/pgpass";
open my $fh, '>', $passfile or die;
print $fh "127.0.0.1:*:*:replicator:$secret\n";
close $fh;
chmod 0600, $passfile;

my $etcd = Pgha::Etcd->new(members => 3);
$etcd->put('/service/test/config', '{"ttl":6,"loop_wait":1,"retry_timeout":2}');
# pgha.peer_options secures every connection to a peer (no SSL here: the
# test's servers have none; channel binding needs SSL)
my @conf = ("pgha.replication_user = 'replicator'", "pgha.passfile = '$passfile'",
	"pgha.peer_options = 'sslmode=disable channel_binding=disable'");

my $node1 = Pgha::Node::new_node('node1', etcd => $etcd, extra_conf => \@conf);
# TCP replication needs the password; local connections stay trusted
open my $hba, '>', $node1->data_dir . '/pg_hba.conf' or die;
print $hba "local all all trust\n"
  . "local replication all trust\n"
  . "host all all 127.0.0.1/32 trust\n"
  . "host replication replicator 127.0.0.1/32 scram-sha-256\n";
close $hba;
$node1->start;
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30), 'node1 leads');
$node1->safe_psql('postgres', "CREATE ROLE replicator LOGIN REPLICATION PASSWORD '$secret'");

my @replicas = map {
	my $r = Pgha::Node::new_replica("node$_", $node1, etcd => $etcd, extra_conf => \@conf);
	$r->start;
	$r
} (2, 3);
ok(Pgha::Node::streaming($node1, $_->name), $_->name . ' streams as replicator with the passfile')
  for @replicas;
is( $node1->safe_psql('postgres',
		"SELECT string_agg(usename, ',') FROM pg_stat_replication"),
	'replicator,replicator', 'both streams authenticated as replicator');
like($replicas[0]->safe_psql('postgres', 'SHOW primary_conninfo'),
	qr/user='replicator'.*passfile='\Q$passfile\E'/, 'primary_conninfo names the user and the passfile');
like($replicas[0]->safe_psql('postgres', 'SHOW primary_conninfo'),
	qr/ sslmode=disable channel_binding=disable$/, 'and pgha.peer_options');

# failover: the peer probes authenticate the same way
$node1->kill9;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a replica took over');
my $leader = $etcd->get('/service/test/leader');
my ($new, $other) = $leader eq 'node2' ? @replicas : reverse @replicas;
ok(Pgha::Node::streaming($new, $other->name), $other->name . " follows $leader with the password");

# the password is nowhere
# (the test framework logs every statement: leave out the test's own CREATE ROLE)
my $all = join("\n", grep { !/CREATE ROLE replicator/ }
	  map { split /\n/, slurp_file($_->logfile) } ($node1, @replicas));
unlike($all, qr/\Q$secret\E/, 'the password is in no server log line written by pgha or PostgreSQL');
my @keys = values %{ $etcd->get_prefix('/service/test/') };
is(scalar(grep { /\Q$secret\E/ } @keys), 0, 'the password is in no etcd key');
my $auto = slurp_file($new->data_dir . '/postgresql.auto.conf') . slurp_file($other->data_dir . '/postgresql.auto.conf');
unlike($auto, qr/\Q$secret\E/, 'the password is in no postgresql.auto.conf');

$_->stop for @replicas;
$etcd->stop;
done_testing();
