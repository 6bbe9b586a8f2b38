
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
use IPC::Run ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils ();
use Time::HiRes qw(time usleep);

# psql reads its statement from a pipe: when the server goes down just as
# psql starts (a fence under a writer loop), psql exits before it reads,
# and IPC::Run dies of the broken pipe.  Report that as what it is, a psql
# that could not connect (exit status 2), as the callers expect.
{
	no warnings 'redefine';
	my $psql = \&PostgreSQL::Test::Cluster::psql;
	*PostgreSQL::Test::Cluster::psql = sub {
		my @args = @_;
		my $list = wantarray;
		my @ret;
		my $ok = eval { @ret = $list ? $psql->(@args) : (scalar $psql->(@args)); 1 };
		if (!$ok)
		{
			die $@ unless $@ =~ /Broken pipe/;
			@ret = (2, '', 'psql: the server went away before psql read its input');
		}
		return $list ? @ret : $ret[0];
	};
}

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
	my $allows_streaming = $opts{allows_streaming} // 1;

	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => $allows_streaming);
	_pgha_conf($node, $name, %opts);
	return $node;
}

=pod

=item Pgha::Node::new_replica($name, $primary, etcd => $etcd, ...)

A standby cloned from $primary (pg_basebackup through the framework's
backup()), configured for pgha like new_node().  The pgha worker points its
primary_conninfo and primary_slot_name at the leader by itself.  Returns
the node, not started.

=cut

sub new_replica
{
	my ($name, $primary, %opts) = @_;
	my $backup = "${name}_base";

	$primary->backup($backup);
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init_from_backup($primary, $backup, has_streaming => 1);
	_pgha_conf($node, $name, %opts);
	return $node;
}

=pod

=item Pgha::Node::multi_host_url(@nodes)

A libpq URL naming every node with target_session_attrs=read-write, as an
application would use it to find the primary.

=cut

sub multi_host_url
{
	my @nodes = @_;
	my $hosts = join ',', map { '127.0.0.1:' . $_->port } @nodes;
	return "postgresql://$hosts/postgres?target_session_attrs=read-write&connect_timeout=2";
}

=pod

=item Pgha::Node::streaming($primary, $name)

True once the standby called $name streams from $primary (polls with the
framework's deadline).

=cut

sub streaming
{
	my ($primary, $name) = @_;
	return $primary->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'");
}

=pod

=item Pgha::Node::start_cluster(etcd => $etcd, nodes => 3, config => $json, api => 1)

The usual start of a test: the config put into etcd, node1 bootstrapped as
the leader with the extension created, the others cloned from it and
started.  Returns the nodes; the caller asserts what it needs (leader,
streaming) with the helpers above.  With api => 1 each node serves the
REST API on a free port, $node->{pgha_api_port}.

=cut

sub start_cluster
{
	my (%opts) = @_;
	my $etcd = $opts{etcd} or croak "start_cluster: etcd => \$etcd is required";
	my $n = $opts{nodes} // 3;

	$etcd->put('/service/test/config', $opts{config}) if $opts{config};
	my %api = map { ("node$_" => $opts{api} ? PostgreSQL::Test::Cluster::get_free_port() : 0) } 1 .. $n;
	my $node1 = new_node('node1', etcd => $etcd, api_port => $api{node1});
	$node1->{pgha_api_port} = $api{node1};
	$node1->start;
	$etcd->poll_key('/service/test/leader', qr/^node1$/, 60)
	  or croak "start_cluster: node1 did not become the leader";
	$node1->safe_psql('postgres', 'CREATE EXTENSION pgha');
	my @nodes = ($node1);
	for my $i (2 .. $n)
	{
		my $r = new_replica("node$i", $node1, etcd => $etcd, api_port => $api{"node$i"});
		$r->{pgha_api_port} = $api{"node$i"};
		$r->start;
		push @nodes, $r;
	}
	return @nodes;
}

=pod

=item Pgha::Node::forget_if_down($node)

A node that pgha shut down (fencing) or that a test killed is not stopped
through the framework; tell the framework, so that its teardown does not
fail on it.

=cut

# alive and not a zombie (a container's pid 1 may never reap it)
sub _alive
{
	my ($pid) = @_;
	return 0 unless kill(0, $pid);
	open my $fh, '<', "/proc/$pid/stat" or return 1;
	my $stat = <$fh>;
	close $fh;
	return !(defined $stat && $stat =~ /^\d+ \(.*\) Z /);
}

=pod

=item Pgha::Node::wait_down($node [, $timeout])

Waits (60 s by default) until the node's postmaster is gone (its pid file
removed: a clean shutdown of its own, fencing, a switchover) and tells the
framework.  Returns true if it went down in time.

=cut

sub wait_down
{
	my ($node, $timeout) = @_;
	my $pidfile = $node->data_dir . '/postmaster.pid';
	my $deadline = time + ($timeout // 60);
	select(undef, undef, undef, 0.1) while -f $pidfile && time < $deadline;
	my $down = !-f $pidfile;
	forget_if_down($node) if $down;
	return $down;
}

sub forget_if_down
{
	my ($node) = @_;
	my $pidfile = $node->data_dir . '/postmaster.pid';

	# a postmaster killed with SIGKILL leaves its pid file behind; one just
	# killed may take a moment to go
	if (open my $fh, '<', $pidfile)
	{
		my $pid = <$fh>;
		close $fh;
		chomp $pid if defined $pid;
		if ($pid && $pid =~ /^\d+$/)
		{
			my $deadline = time + 2;
			select(undef, undef, undef, 0.05) while _alive($pid) && time < $deadline;
			unlink $pidfile unless _alive($pid);
		}
	}
	$node->_update_pid(-1);
	return;
}

sub _pgha_conf
{
	my ($node, $name, %opts) = @_;
	my $etcd = $opts{etcd} or croak "pgha node $name: etcd => \$etcd is required";
	my $scope = $opts{scope} // 'test';
	my $extra = $opts{extra_conf} // [];
	croak "pgha node $name: extra_conf must be an arrayref"
	  unless ref $extra eq 'ARRAY';

	my $port = $node->port;
	my $endpoints = $etcd->endpoints;
	my $user = getpwuid($<);
	$node->append_conf('postgresql.conf', join("\n",
		"",
		"# Added by Pgha::Node",
		"shared_preload_libraries = 'pgha'",
		"pgha.etcd_hosts = '$endpoints'",
		"pgha.scope = '$scope'",
		"pgha.namespace = '/service'",
		"pgha.name = '$name'",
		"pgha.connect_address = '127.0.0.1:$port'",
		# the bootstrap superuser of the test cluster is the OS user
		"pgha.replication_user = '$user'",
		# TCP for the other nodes, in addition to the framework's socket
		"listen_addresses = '127.0.0.1'",
		"wal_log_hints = on",
		"hot_standby = on",
		# replicas cloned before the leader made their slot must still
		# find the WAL written since their backup (pghactl clones with a slot)
		"wal_keep_size = '128MB'",
		# a standby whose new leader has just created its slot retries soon
		"wal_retrieve_retry_interval = '500ms'",
		# %b: tell the pgha worker's lines from client backends' ones
		"log_line_prefix = '%m [%p] %b '",
		# the REST API only where a test asks for it (api_port => N)
		"pgha.api_listen = '" . ($opts{api_port} ? "127.0.0.1:$opts{api_port}" : '') . "'",
		@$extra));
	return;
}

=pod

=item Pgha::Node::writer($conninfo, $sql)

A client writing all along: $sql (with $i for a counter from 1, which
bash expands: no double quotes in it) runs in a new psql for each $i, and
every $i acknowledged is appended to a file.
Returns a handle for wait_acked(), acked() and stop_writer().

=cut

sub writer
{
	my ($conninfo, $sql) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir() . '/acked';
	my $run = IPC::Run::start(
		[ 'bash', '-c',
		  "i=0; while true; do i=\$((i+1)); psql -X -qAt -d '$conninfo' "
		  . "-c \"$sql\" >/dev/null 2>&1 && echo \$i >> $file; done" ]);
	return { run => $run, file => $file };
}

# the counters acknowledged so far
sub acked
{
	my ($w) = @_;
	return 0 unless -f $w->{file} || wantarray;
	return () unless -f $w->{file};
	return grep { /^\d+$/ } split /\n/, PostgreSQL::Test::Utils::slurp_file($w->{file});
}

# wait up to $secs for $n acknowledgements in all; true if there were
sub wait_acked
{
	my ($w, $n, $secs) = @_;
	my $deadline = time + ($secs // 60);
	while (time < $deadline)
	{
		return 1 if acked($w) >= $n;
		usleep(50_000);
	}
	return 0;
}

sub stop_writer { my ($w) = @_; $w->{run}->kill_kill; return; }

=pod

=item Pgha::Node::handover_times($old, $new, $sql [, $timeout])

Tries $sql (a write) on $old and on $new every 100 ms, until $new runs as
a primary and took one, and $old refused one, or $timeout seconds (40).
Returns the time of $old's last acknowledged write and of $new's first (0:
none).  Never two primaries: the first comes after the last.

=cut

sub handover_times
{
	my ($old, $new, $sql, $timeout) = @_;
	my ($last_old, $first_new, $refused) = (0, 0, 0);
	my $deadline = time + ($timeout // 40);
	my $write = sub {
		my ($node) = @_;
		my ($rc) = $node->psql('postgres', $sql, timeout => 5,
			connstr => $node->connstr('postgres') . ' connect_timeout=2');
		return defined $rc && $rc == 0;
	};

	while (time < $deadline && !($first_new && $refused))
	{
		if ($write->($old)) { $last_old = time; }
		else { $refused = 1; }
		$first_new ||= time
		  if $new->safe_psql('postgres', 'SELECT pg_is_in_recovery()') eq 'f' && $write->($new);
		usleep(100_000);
	}
	return ($last_old, $first_new);
}

=pod

=back

=cut

1;
