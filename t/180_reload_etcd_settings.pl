
# A reload with pgha.etcd_* settings that do not make a client (here
# pgha.etcd_user without a password file) used to leave the worker without
# an etcd client: the keeper stopped, the leader neither renewed nor fenced,
# and its key expired under it.  Now the worker keeps the client it had,
# says so, and the leader leads on.

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

my $ttl = 6;
my $etcd = Pgha::Etcd->new(members => 1);
my ($node1) = Pgha::Node::start_cluster(etcd => $etcd, nodes => 1,
	config => qq({"ttl":$ttl,"loop_wait":1,"retry_timeout":2}));
$node1->safe_psql('postgres', 'CREATE TABLE t (x int)');

my $offset = -s $node1->logfile;
$node1->append_conf('postgresql.conf', "pgha.etcd_user = 'nobody'");
$node1->reload;
ok($node1->wait_for_log(qr/pgha worker cannot configure its etcd client/, $offset), 'the worker refuses the new settings');
like(slurp_file($node1->logfile, $offset), qr/keeps the previous settings/, '... and says it keeps the previous ones');

# two ttl later node1 still leads and writes
my $deadline = time + 2 * $ttl;
my ($lost, $refused) = (0, 0);
while (time < $deadline)
{
	$lost++ if ($etcd->get('/service/test/leader') // '') ne 'node1';
	my ($rc) = $node1->psql('postgres', 'INSERT INTO t VALUES (1)', timeout => 10);
	$refused++ unless defined $rc && $rc == 0;
	usleep(500_000);
}
is($lost, 0, 'node1 kept the leader key for two ttl');
is($refused, 0, 'node1 accepted every write');

done_testing();
