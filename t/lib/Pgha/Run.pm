
# Pgha::Run: a cluster of nodes each run by "pghactl run" (initdb, clone,
# rewind and restarts by pghactl itself), for tests of what the supervisor
# does.  Nodes node1..nodeN, TCP on 127.0.0.1, trust authentication.
#
#   my $c = Pgha::Run->new(etcd => $etcd, nodes => 3);
#   $c->start('node1'); $c->sql('node1', 'SELECT 1'); $c->pghactl('list');

package Pgha::Run;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Path ();
use Time::HiRes qw(time usleep);

# every cluster made here, for the END block
my @clusters;

sub new
{
	my ($class, %opt) = @_;
	# a directory of the test's own: data directories and logs of another
	# test in the same run (node1.data, ...) must not be found here
	my $base = "$PostgreSQL::Test::Utils::tmp_check/run_" . ($0 =~ s{.*/|\.pl$}{}gr);
	File::Path::make_path($base);
	my $self = bless {
		etcd => $opt{etcd},
		base => $base,
		user => scalar(getpwuid($<)),
		port => {}, conf => {}, run => {},
	}, $class;
	push @clusters, $self;
	my $sockdir = PostgreSQL::Test::Utils::tempdir_short();
	for my $i (1 .. ($opt{nodes} // 3))
	{
		my $name = "node$i";
		my $port = $self->{port}{$name} = PostgreSQL::Test::Cluster::get_free_port();
		$self->{conf}{$name} = "$self->{base}/$name.pgha.conf";
		open my $fh, '>', $self->{conf}{$name} or die;
		print $fh join("\n",
			"port = $port",
			"listen_addresses = '127.0.0.1'",
			"unix_socket_directories = '$sockdir'",
			"log_line_prefix = '%m [%p] %b '",
			"pgha.etcd_hosts = '" . $opt{etcd}->endpoints . "'",
			"pgha.scope = 'test'",
			"pgha.name = '$name'",
			"pgha.connect_address = '127.0.0.1:$port'",
			"pgha.replication_user = '$self->{user}'",
			"pgha.api_listen = ''",
			"pghactl.data_directory = '$self->{base}/$name.data'",
			"pghactl.superuser = '$self->{user}'",
			# the tests connect over TCP without passwords
			"pghactl.initdb_options = '--auth=trust --encoding=UTF8'",
			# conf: more lines for every node, or a sub giving a node's own
			@{ ref $opt{conf} eq 'CODE' ? $opt{conf}->($name) : $opt{conf} // [] },
			"");
		close $fh;
	}
	return $self;
}

sub names { return sort keys %{ $_[0]->{port} }; }
sub log   { return "$_[0]->{base}/$_[1].pghactl.log"; }
sub data  { return "$_[0]->{base}/$_[1].data"; }

# pghactl run for one node, its output in log($name)
sub start
{
	my ($self, $name) = @_;
	$self->{run}{$name} = IPC::Run::start([ 'pghactl', 'run', '-c', $self->{conf}{$name} ],
		'>>', $self->log($name), '2>&1');
	return;
}

# SIGTERM to pghactl run (a fast shutdown), and wait for it: 90 s at the
# most, then SIGKILL (a shutdown that hangs fails its checks later; it must
# not hang the suite)
sub stop
{
	my ($self, $name) = @_;
	my $h = delete $self->{run}{$name} or return;
	_end($h, $name);
	return;
}

sub _end
{
	my ($h, $name) = @_;
	$h->signal('TERM');
	my $ok = eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm 90;
		$h->finish;
		alarm 0;
		1;
	};
	alarm 0;
	return if $ok;
	diag("pghactl run of $name did not stop within 90 s of SIGTERM: killed");
	eval { $h->kill_kill(grace => 5); };
	return;
}

sub sql
{
	my ($self, $name, $query) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-At', '-h', '127.0.0.1', '-p', $self->{port}{$name},
		  '-U', $self->{user}, '-d', 'postgres', '-c', $query ], '>', \$out, '2>', \$err);
	chomp $out;
	return $out;
}

sub poll_sql
{
	my ($self, $name, $query, $want, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	while (time < $deadline)
	{
		return 1 if $self->sql($name, $query) eq $want;
		usleep(100_000);
	}
	diag("$name: '$query' did not return '$want'; last: '" . $self->sql($name, $query) . "'");
	return 0;
}

# wait until the node's log matches $re (a LOG line is written after the
# change it reports: a poll of the change alone may come first)
sub poll_log
{
	my ($self, $name, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 30);
	while (time < $deadline)
	{
		return 1 if slurp_file($self->log($name)) =~ $re;
		usleep(100_000);
	}
	diag("$name: the log does not match $re");
	return 0;
}

sub streams_from
{
	my ($self, $leader, $name) = @_;
	return $self->poll_sql($leader,
		"SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'",
		'1');
}

# a cluster command, run with node1's config; stdin is not a terminal
sub pghactl
{
	my ($self, $cmd, @args) = @_;
	my ($out, $err, $in) = ('', '', '');
	IPC::Run::run([ 'pghactl', $cmd, '-c', $self->{conf}{node1}, @args ],
		'<', \$in, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub DESTROY
{
	my ($self) = @_;
	for my $name (keys %{ $self->{run} })
	{
		eval { _end($self->{run}{$name}, $name); };
	}
	return;
}

# a test that died: no pghactl run (or its server) outlives it, or it
# would join the next test's etcd when the ports are reused
END
{
	local $?;    # the test's exit status
	for my $self (@clusters)
	{
		for my $h (values %{ $self->{run} })
		{
			eval { $h->signal('TERM'); $h->finish; };
		}
		$self->{run} = {};
	}
}

1;
