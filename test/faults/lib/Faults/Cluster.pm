package Faults::Cluster;

# A pgha cluster on Faults::Net hosts: etcd members e1..e3, PostgreSQL
# nodes n1..n3 run by "pghactl run" (so a fenced node comes back as a
# standby, as in production), a client host c.  Every server runs as the
# unprivileged user; the harness (root) reaches the nodes through their
# Unix sockets, which no partition cuts, and etcd from host c.

use strict;
use warnings;
use Carp;
use File::Path qw(make_path remove_tree);
use POSIX ();
use Time::HiRes qw(time usleep);

our $USER = $ENV{PGHA_USER} || 'postgres';
my $bindir = `pg_config --bindir`;
chomp $bindir;

sub new
{
	my ($class, %opts) = @_;
	my $self = bless {
		net => $opts{net},
		dir => $opts{dir} // '/tmp/pghaf',
		scope => 'faults',
		etcd => [qw(e1 e2 e3)],
		nodes => [qw(n1 n2 n3)],
		pids => {},
	}, $class;
	my $dir = $self->{dir};
	unmount_under($dir);
	remove_tree($dir);
	make_path($dir);
	my (undef, undef, $uid, $gid) = getpwnam($USER) or croak "no user $USER";
	chown $uid, $gid, $dir;
	$self->{uid} = $uid;
	$self->{gid} = $gid;
	return $self;
}

sub net { return $_[0]{net}; }
sub dir { return $_[0]{dir}; }

sub etcd_endpoints
{
	my ($self) = @_;
	return join ',', map { $self->{net}->addr($_) . ':2379' } @{ $self->{etcd} };
}

# start @cmd inside host $h as the unprivileged user, output to $log
sub spawn
{
	my ($self, $h, $log, @cmd) = @_;
	my $pid = fork // croak "fork: $!";
	if ($pid == 0)
	{
		POSIX::setsid();
		open STDIN, '<', '/dev/null';
		open STDOUT, '>>', $log or POSIX::_exit(1);
		open STDERR, '>&', \*STDOUT;
		$ENV{HOME} = $self->{dir};
		$ENV{USER} = $ENV{LOGNAME} = $USER;
		$ENV{PATH} = "$bindir:$ENV{PATH}";
		exec($self->{net}->cmd($h, 'setpriv', "--reuid=$self->{uid}", "--regid=$self->{gid}",
				'--init-groups', @cmd))
		  or POSIX::_exit(127);
	}
	$self->{pids}{$h} = $pid;
	return $pid;
}

# run a command as the unprivileged user (in host $h if given); output, exit code
sub run_as
{
	my ($self, $h, @cmd) = @_;
	my @prefix = $h ? $self->{net}->cmd($h) : ();
	local $ENV{HOME} = $self->{dir};
	local $ENV{PATH} = "$bindir:$ENV{PATH}";
	# polls fail until the server is up: keep their complaints out of the TAP output
	open my $saved, '>&', \*STDERR or croak $!;
	open STDERR, '>', '/dev/null';
	open my $fh, '-|', @prefix, 'setpriv', "--reuid=$self->{uid}", "--regid=$self->{gid}",
	  '--init-groups', 'timeout', '-k', '2', $self->{timeout} // 10, @cmd
	  or croak "run: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	my $rc = $? >> 8;
	open STDERR, '>&', $saved;
	return wantarray ? ($out, $rc) : $out;
}

sub etcdctl
{
	my ($self, @args) = @_;
	return $self->run_as('c', 'etcdctl', '--endpoints=' . $self->etcd_endpoints,
		'--dial-timeout=2s', '--command-timeout=3s', @args);
}

sub leader
{
	my ($self) = @_;
	my ($out, $rc) = $self->etcdctl('get', "/service/$self->{scope}/leader", '--print-value-only');
	return undef if $rc;
	chomp $out;
	return $out;
}

# SQL on node $n through its Unix socket: (stdout, ok)
sub psql
{
	my ($self, $n, $sql) = @_;
	my ($out, $rc) = $self->run_as(undef, 'psql', '-X', '-At', '-h', "$self->{dir}/$n", '-p', '5432',
		'-d', 'dbname=postgres connect_timeout=2', '-v', 'ON_ERROR_STOP=1', '-c', $sql);
	chomp $out;
	return wantarray ? ($out, $rc == 0) : ($rc == 0 ? $out : undef);
}

sub poll
{
	my ($self, $timeout, $cond) = @_;
	my $end = time + $timeout;
	while (time < $end)
	{
		return 1 if $cond->();
		usleep(200_000);
	}
	return 0;
}

sub start_etcd
{
	my ($self, $e) = @_;
	my $net = $self->{net};
	my $a = $net->addr($e);
	my $initial = join ',', map { "$_=http://" . $net->addr($_) . ':2380' } @{ $self->{etcd} };
	my $data = "$self->{dir}/$e.etcd";
	my $state = -d $data ? 'existing' : 'new';
	$self->spawn($e, "$self->{dir}/$e.log", 'etcd', '--name', $e, '--data-dir', $data,
		'--listen-client-urls', "http://$a:2379", '--advertise-client-urls', "http://$a:2379",
		'--listen-peer-urls', "http://$a:2380", '--initial-advertise-peer-urls', "http://$a:2380",
		'--initial-cluster', $initial, '--initial-cluster-state', $state,
		'--initial-cluster-token', 'pghaf', '--heartbeat-interval', '100', '--election-timeout', '1000');
	return;
}

sub pid_of { my ($self, $h) = @_; return $self->{pids}{$h}; }

sub node_conf
{
	my ($self, $n) = @_;
	my $a = $self->{net}->addr($n);
	my $d = "$self->{dir}/$n";
	make_path($d);
	chown $self->{uid}, $self->{gid}, $d;
	open my $fh, '>', "$d/pgha.conf" or croak $!;
	print $fh <<"EOC";
port = 5432
listen_addresses = '$a'
unix_socket_directories = '$d'
pgha.etcd_hosts = '${\ $self->etcd_endpoints}'
pgha.namespace = '/service'
pgha.scope = '$self->{scope}'
pgha.name = '$n'
pgha.connect_address = '$a:5432'
pgha.api_listen = '$a:8008'
pgha.replication_user = '$USER'
pghactl.data_directory = '$d/data'
pghactl.superuser = '$USER'
pghactl.initdb_options = '--auth-local=trust --auth-host=trust'
pghactl.bootstrap_sql = '$self->{dir}/bootstrap.sql'
EOC
	close $fh;
	return "$d/pgha.conf";
}

sub stop_node
{
	my ($self, $n) = @_;
	my $pid = $self->{pids}{$n} or return;
	kill 'TERM', $pid;
	waitpid($pid, 0);
	delete $self->{pids}{$n};
	return;
}

# tmpfs mounts of an earlier run under $dir
sub unmount_under
{
	my ($dir) = @_;
	open my $fh, '<', '/proc/mounts' or return;
	my @m = grep { index($_, "$dir/") == 0 } map { (split / /)[1] } <$fh>;
	close $fh;
	system('umount', '-l', $_) for reverse @m;
	return;
}

# move node $n's pg_wal to a tmpfs with $mb MB free (a small WAL volume); returns its path
sub wal_on_tmpfs
{
	my ($self, $n, $mb) = @_;
	my $mnt = "$self->{dir}/$n.wal";
	my $wal = "$self->{dir}/$n/data/pg_wal";
	# a restartpoint first: a standby keeps old segments until one
	$self->psql($n, 'CHECKPOINT');
	$self->stop_node($n);
	my $used = (split /\s+/, `du -sm $wal`)[0] // 0;
	$mb += $used;
	make_path($mnt);
	system('mount', '-t', 'tmpfs', '-o', "size=${mb}m,mode=700", 'tmpfs', $mnt) == 0 or croak "mount tmpfs on $mnt failed";
	chown $self->{uid}, $self->{gid}, $mnt;
	system("cp -a $wal/. $mnt/ && rm -rf $wal && ln -s $mnt $wal && chown -h $self->{uid}:$self->{gid} $wal") == 0
	  or croak "moving $wal failed";
	$self->start_node($n);
	return $mnt;
}

# and back to the data directory's disk
sub wal_off_tmpfs
{
	my ($self, $n) = @_;
	my $mnt = "$self->{dir}/$n.wal";
	my $wal = "$self->{dir}/$n/data/pg_wal";
	$self->stop_node($n);
	system("rm -f $wal && mkdir $wal && cp -a $mnt/. $wal/ && chown -R $self->{uid}:$self->{gid} $wal && chmod 700 $wal") == 0
	  or croak "moving $wal back failed";
	system('umount', $mnt);
	$self->start_node($n);
	return;
}

sub start_node
{
	my ($self, $n) = @_;
	$self->spawn($n, "$self->{dir}/$n.pghactl.log", 'pghactl', 'run', '-c', "$self->{dir}/$n/pgha.conf");
	return;
}

sub postmaster_pid
{
	my ($self, $n) = @_;
	open my $fh, '<', "$self->{dir}/$n/data/postmaster.pid" or return undef;
	my $pid = <$fh>;
	close $fh;
	chomp $pid if defined $pid;
	return ($pid && $pid =~ /^\d+$/ && kill(0, $pid)) ? $pid : undef;
}

# the postmaster and every process it started
sub instance_pids
{
	my ($self, $n) = @_;
	my $pm = $self->postmaster_pid($n) or return ();
	return ($pm, grep { /^\d+$/ } split /\s+/, `pgrep -P $pm`);
}

sub worker_pid
{
	my ($self, $n) = @_;
	my $pm = $self->postmaster_pid($n) or return undef;
	for my $pid (grep { /^\d+$/ } split /\s+/, `pgrep -P $pm`)
	{
		open my $fh, '<', "/proc/$pid/cmdline" or next;
		my $cmd = <$fh> // '';
		return $pid if $cmd =~ /pgha worker/;
	}
	return undef;
}

# the member that leads, is a primary and has every other node streaming
# from it; undef until then
sub converged
{
	my ($self) = @_;
	my $l = $self->leader or return undef;
	return undef unless grep { $_ eq $l } @{ $self->{nodes} };
	my $r = $self->psql($l, "SELECT NOT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming')");
	return undef unless defined $r && $r eq 't|' . (scalar(@{ $self->{nodes} }) - 1);
	for my $n (grep { $_ ne $l } @{ $self->{nodes} })
	{
		my $s = $self->psql($n, "SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)");
		return undef unless defined $s && $s eq 't|streaming';
	}
	return $l;
}

# the whole cluster: etcd, the config, node1 bootstraps, the others clone it
sub start
{
	my ($self, %config) = @_;
	my $dir = $self->{dir};
	$self->start_etcd($_) for @{ $self->{etcd} };
	$self->poll(60, sub { (($self->etcdctl('endpoint', 'health'))[1] // 1) == 0 })
	  or croak 'etcd did not become healthy';
	open my $fh, '>', "$dir/bootstrap.sql" or croak $!;
	print $fh "CREATE EXTENSION pgha;\n"
	  . "CREATE TABLE faults_w (writer text, seq bigint, node text DEFAULT current_setting('pgha.name'),"
	  . " at timestamptz DEFAULT clock_timestamp(), PRIMARY KEY (writer, seq));\n"
	  . "CREATE TABLE faults_bulk (id int, pad text);\n";
	close $fh;
	$self->node_conf($_) for @{ $self->{nodes} };
	my $sub = $self->{net}->addr('c') =~ s/\.\d+$/.0\/24/r;
	my @set = map { ('-s', "$_=$config{$_}") } sort keys %config;
	my ($out, $rc) = $self->run_as('c', 'pghactl', 'edit-config', '-c', "$dir/n1/pgha.conf", '--force', @set,
		'-s', qq(postgresql.pg_hba=["local all all trust","host all all $sub trust","host replication all $sub trust"]));
	croak "edit-config failed: $out" if $rc;
	$self->start_node('n1');
	$self->poll(120, sub { ($self->leader // '') eq 'n1' }) or croak 'n1 did not become the leader';
	$self->poll(60, sub { ($self->psql('n1', "SELECT 1 FROM pg_tables WHERE tablename = 'faults_w'") // '') eq '1' })
	  or croak 'bootstrap SQL did not run';
	$self->start_node($_) for grep { $_ ne 'n1' } @{ $self->{nodes} };
	$self->poll(180, sub { defined $self->converged }) or croak 'the cluster did not converge';
	return;
}

1;
