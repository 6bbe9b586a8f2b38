
# docs/tutorial.sh, the tutorial's every command, end to end: the docs
# cannot rot.  A 5-member etcd on 127.0.0.11-15, 3 nodes run by pghactl.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my @ports = map { PostgreSQL::Test::Cluster::get_free_port() } 1 .. 3;
my $dir = "$PostgreSQL::Test::Utils::tmp_check/tutorial";
my $out = '';
local $ENV{TUTORIAL_DIR} = $dir;
local $ENV{TUTORIAL_PORTS} = "@ports";
IPC::Run::run([ 'bash', "$FindBin::RealBin/../docs/tutorial.sh" ], '>&', \$out);
my $rc = $? >> 8;
note $out;
is($rc, 0, 'docs/tutorial.sh ran to the end') or diag(substr($out, -3000));
like($out, qr/# 5 members: quorum 3, tolerates 2 failures/, 'etcd-config sized the quorum');
like($out, qr/no pg_hba.conf entry for host "127\.0\.0\.1"/, 'a replica refused the superuser before set_hba');
like($out, qr/^\s*foobar\s*$/m, 'the database created on the primary showed up on a replica');
like($out, qr/new leader: node[23]/, 'a failover happened');
like($out, qr/Switched over: "node1" leads/, 'the switchover went back to node1');
like($out, qr/Maintenance mode: on/, 'maintenance mode showed in the list');
like($out, qr/tutorial: all steps passed/, 'every step checked its outcome');
done_testing();
