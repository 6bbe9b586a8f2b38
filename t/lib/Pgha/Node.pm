
=pod

=head1 NAME

Pgha::Node - PostgreSQL::Test::Cluster helpers for pgha TAP tests

=head1 SYNOPSIS

  use Pgha::Etcd;
  use Pgha::Node;

  my $etcd = Pgha::Etcd->new(members => 3);
  my $node = Pgha::Node::new_node('node1', etcd => $etcd);
  $node->start;

=cut

package Pgha::Node;

use strict;
use warnings;

use Carp;
use PostgreSQL::Test::Cluster;

=pod

=over

=item Pgha::Node::new_node($name, etcd => $etcd, scope => 'test', extra_conf => [...], allows_streaming => 1)

Create and initdb a PostgreSQL::Test::Cluster node configured to run pgha
against $etcd (a Pgha::Etcd) as member $name of cluster $scope.  Local
connections keep using the test framework's unix socket; the node also
listens on 127.0.0.1 so that other nodes (replication, pg_rewind) can reach
it at its pgha.connect_address.  extra_conf lines are appended last, so they
override the defaults.  Returns the node, not started.

=cut

sub new_node
{
	my ($name, %opts) = @_;
	my $etcd = $opts{etcd} or croak "new_node($name): etcd => \$etcd is required";
	my $scope = $opts{scope} // 'test';
	my $allows_streaming = $opts{allows_streaming} // 1;
	my $extra = $opts{extra_conf} // [];
	croak "new_node($name): extra_conf must be an arrayref"
	  unless ref $extra eq 'ARRAY';

	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => $allows_streaming);

	my $port = $node->port;
	my $endpoints = $etcd->endpoints;
	$node->append_conf('postgresql.conf', join("\n",
		"",
		"# Added by Pgha::Node",
		"shared_preload_libraries = 'pgha'",
		"pgha.etcd_hosts = '$endpoints'",
		"pgha.scope = '$scope'",
		"pgha.namespace = '/service'",
		"pgha.name = '$name'",
		"pgha.connect_address = '127.0.0.1:$port'",
		# TCP for the other nodes, in addition to the framework's socket
		"listen_addresses = '127.0.0.1'",
		"wal_log_hints = on",
		"hot_standby = on",
		# %b: tell the pgha worker's lines from client backends' ones
		"log_line_prefix = '%m [%p] %b '",
		@$extra));
	return $node;
}

=pod

=back

=cut

1;
