
# Pgha::Patroni: nodes run by Debian's Patroni 3.0.2, for the tests and
# benchmarks that compare with it or migrate from and back to it.
#
#   my $yml = Pgha::Patroni::conf(dir => $dir, name => 'node1', scope => 'test',
#       pgport => $p, apiport => $a, etcd => $etcd, timing => [10, 2, 4]);
#   my $agent = Pgha::Patroni::start($yml, "$dir/node1.log");
#
# The data directory is "$dir/$name.data"; PostgreSQL listens on
# 127.0.0.1, with its unix socket in a short directory of its own.

package Pgha::Patroni;

use strict;
use warnings;

use IPC::Run ();
use PostgreSQL::Test::Utils;

my $bindir = `pg_config --bindir`;
chomp $bindir;
my $sock;

# Patroni's YAML for one node; returns its path.  params: PostgreSQL
# settings (hashref) in the bootstrap DCS config, where Patroni wants
# max_connections and friends.  initdb as the test framework's for pgha's
# nodes: no data checksums (wal_log_hints for pg_rewind instead).
sub conf
{
	my (%o) = @_;
	my ($ttl, $loop, $retry) = @{ $o{timing} };
	$sock //= PostgreSQL::Test::Utils::tempdir_short();
	my $user = getpwuid($<);
	my $extra = join '', map { "        $_: '$o{params}{$_}'\n" } sort keys %{ $o{params} // {} };
	my $f = "$o{dir}/$o{name}.yml";
	open my $fh, '>', $f or die "cannot write $f: $!";
	print $fh <<"EOY";
scope: $o{scope}
namespace: /service/
name: $o{name}
restapi:
  listen: 127.0.0.1:$o{apiport}
  connect_address: 127.0.0.1:$o{apiport}
etcd3:
  hosts: @{[ $o{etcd}->endpoints ]}
bootstrap:
  dcs:
    ttl: $ttl
    loop_wait: $loop
    retry_timeout: $retry
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_log_hints: 'on'
        wal_keep_size: 128MB
$extra  initdb:
    - auth: trust
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$o{pgport}
  connect_address: 127.0.0.1:$o{pgport}
  data_dir: $o{dir}/$o{name}.data
  bin_dir: $bindir
  pgpass: $o{dir}/$o{name}.pgpass
  authentication:
    replication:
      username: $user
    superuser:
      username: $user
  parameters:
    unix_socket_directories: '$sock'
EOY
	close $fh;
	return $f;
}

# the Patroni daemon for $yml, its output appended to $log
sub start
{
	my ($yml, $log) = @_;
	return IPC::Run::start([ 'patroni', $yml ], '>>', $log, '2>&1');
}

# the pids of a node's agent (the daemon and any helper process of its
# own: they all carry the YAML path on their command line)
sub agent_pids
{
	my ($yml) = @_;
	return grep { /^\d+$/ } split /\s+/, `pgrep -f 'patroni $yml'`;
}

1;
