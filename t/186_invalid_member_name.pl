
# A member name taken from cluster_name (pgha.name empty) is checked as
# pgha.name is: it goes into etcd keys, slot names and the connection
# strings the worker builds.  A name with a character outside letters,
# digits, "_", "-" and "." makes the worker say why and stay idle: no
# member key, no leader key, no writes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Pgha::Etcd;
use Pgha::Node;

my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put('/service/test/config', '{"ttl":10,"loop_wait":1,"retry_timeout":3}');

# the framework starts every node with --cluster-name=<its name>
my $name = 'bad+name';
my $node = Pgha::Node::new_node($name, etcd => $etcd, extra_conf => ["pgha.name = ''"]);
$node->start;
ok($node->wait_for_log(qr/pgha: "bad\+name" cannot be this node's member name/),
	'the worker refuses the name it would take from cluster_name');
my ($rc, $out, $err) = $node->psql('postgres', 'CREATE TABLE t (id int)');
like($err, qr/has not proven that it holds the leader lease/, 'writes are refused: the write gate stays closed');
my $keys = join ',', sort keys %{ $etcd->get_prefix('/service/test/') };
unlike($keys, qr/members|leader/, "no member key and no leader key in etcd ($keys)");

$node->stop;
$etcd->stop;
done_testing();
