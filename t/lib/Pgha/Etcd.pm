
=pod

=head1 NAME

Pgha::Etcd - throwaway etcd cluster for pgha TAP tests

=head1 SYNOPSIS

  use Pgha::Etcd;

  my $etcd = Pgha::Etcd->new(members => 3);
  my $hosts = $etcd->endpoints;          # "127.0.0.1:p1,127.0.0.1:p2,..."
  $etcd->put('/service/test/x', 'y');
  ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 30));
  $etcd->kill(1);
  $etcd->restart(1);
  $etcd->stop;

=head1 DESCRIPTION

A thin wrapper around scripts/etcd-cluster.sh.  The cluster lives in a
directory under tmp_check (so its logs end up next to the postgres logs)
and is stopped when the object is destroyed or the test script exits,
including when it dies.

=cut

package Pgha::Etcd;

use strict;
use warnings;

use Carp;
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);
use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use IPC::Run ();
use JSON::PP ();
use MIME::Base64 qw(decode_base64);
use Scalar::Util qw(refaddr weaken);
use Time::HiRes qw(usleep);

# scripts/etcd-cluster.sh, found relative to this file (t/lib/Pgha/Etcd.pm)
our $SCRIPT = abs_path(
	File::Spec->catfile(dirname(__FILE__), '..', '..', '..', 'scripts',
		'etcd-cluster.sh'));

# Clusters still to be stopped at exit, by refaddr (weak refs, so that a
# cluster object going out of scope is stopped right away by DESTROY).
my %live;
my $counter = 0;

# Make SIGINT/SIGTERM (e.g. prove being interrupted) exit through END
# blocks, so that neither etcd nor postgres processes are left behind.
# exit, not die: a die could be swallowed by some eval.  Only when nobody
# else installed a handler.
my %signum = (HUP => 1, INT => 2, TERM => 15);
for my $sig (sort keys %signum)
{
	next
	  unless !defined $SIG{$sig} || $SIG{$sig} eq '' || $SIG{$sig} eq 'DEFAULT';
	$SIG{$sig} = sub {
		print STDERR "Pgha::Etcd: caught SIG$sig, exiting\n";
		exit(128 + $signum{$sig});
	};
}

=pod

=head1 METHODS

=over

=item Pgha::Etcd->new(members => 3, name => 'etcd', client_ports => [...])

Create a fresh cluster directory and start the cluster; dies if it does not
become healthy within 30 s (the script prints the members' log tails).

=cut

sub new
{
	my ($class, %args) = @_;
	my $members = $args{members} // 3;
	croak "members must be a positive integer"
	  unless $members =~ /^[1-9][0-9]*$/;
	-x $SCRIPT or croak "etcd-cluster.sh not found or not executable at $SCRIPT";

	my $self = bless {
		members => $members,
		owner_pid => $$,    # forked children must not stop our cluster
		down      => {},    # members we killed/stopped/paused
		op_timeout => $args{op_timeout} // 15,
	}, $class;
	$self->{dir} = _make_dir($args{name} // 'etcd');

	$self->_script('start', $members, @{ $args{client_ports} // [] });
	$live{ refaddr $self} = $self;
	weaken($live{ refaddr $self});

	$self->{endpoints} = _slurp_line("$self->{dir}/endpoints");
	$self->{urls} = [ split /,/, _slurp_line("$self->{dir}/urls") ];
	_note("etcd cluster ($members members) at $self->{endpoints}, "
		  . "data and logs in $self->{dir}");
	return $self;
}

# A new, unique directory for one cluster, preferably under tmp_check.
sub _make_dir
{
	my ($name) = @_;
	my $base =
	    defined $PostgreSQL::Test::Utils::tmp_check
	  ? $PostgreSQL::Test::Utils::tmp_check
	  : defined $ENV{TESTDIR} ? "$ENV{TESTDIR}/tmp_check"
	  :                         undef;
	if (!defined $base)
	{
		# not under a test harness: a temp dir removed at exit
		$base = File::Temp::tempdir('pgha_etcd_XXXX', TMPDIR => 1,
			CLEANUP => 1);
	}
	make_path($base) unless -d $base;
	$base = abs_path($base);

	my $test = basename($0);
	$test =~ s/\.[^.]*$//;
	$test =~ s/[^A-Za-z0-9_-]/_/g;
	$counter++;
	return "$base/${name}_${test}_$$" . "_$counter";
}

=pod

=item $etcd->endpoints

Comma-separated C<127.0.0.1:port> list, as pgha.etcd_hosts wants it.

=item $etcd->urls

Arrayref of the members' client URLs (C<http://127.0.0.1:port>).

=item $etcd->dir, $etcd->members

Cluster directory (member I logs to dir/etcdI.log); number of members.

=cut

sub endpoints { return $_[0]->{endpoints}; }
sub urls      { return [ @{ $_[0]->{urls} } ]; }
sub dir       { return $_[0]->{dir}; }
sub members   { return $_[0]->{members}; }

=pod

=item $etcd->kill($i), term($i), pause($i), resume($i)

SIGKILL / SIGTERM (and wait until gone) / SIGSTOP / SIGCONT member $i
(1-based).

=item $etcd->restart($i, ...)

Start the given stopped member(s) again with their old identity and wait
until they report healthy.  Restart several members in one call when a
quorum is needed for any of them to become healthy.

=item $etcd->start_all

Restart every member that is not running (all in one go, so a fully
stopped cluster regains its quorum).

=item $etcd->stop

Stop all members (SIGTERM, SIGKILL after a deadline).  Idempotent.

=item $etcd->status

Hashref member index => { pid, url, alive (0/1) }.

=cut

# Members we took down are left out of the endpoints etcdctl uses here: a
# SIGSTOPped member still accepts TCP connections (kernel backlog) and would
# make requests hang until their timeout.
sub kill   { my ($self, $i) = @_; $self->_script('kill',   $i); $self->{down}{$i} = 1; return; }
sub term   { my ($self, $i) = @_; $self->_script('term',   $i); $self->{down}{$i} = 1; return; }
sub pause  { my ($self, $i) = @_; $self->_script('pause',  $i); $self->{down}{$i} = 1; return; }
sub resume { my ($self, $i) = @_; $self->_script('resume', $i); delete $self->{down}{$i}; return; }

sub restart
{
	my ($self, @i) = @_;
	croak "restart: which member?" unless @i;
	$self->_script('restart', @i);
	delete $self->{down}{$_} for @i;
	return;
}

=pod

=item $etcd->leader

The index (1-based) of the member that leads now, or undef: each running
member's /metrics says whether it is the leader.

=cut

sub leader
{
	my ($self) = @_;
	require HTTP::Tiny;
	my $http = HTTP::Tiny->new(timeout => 2);
	for my $i (1 .. $self->{members})
	{
		next if $self->{down}{$i};
		my $r = $http->get($self->{urls}[ $i - 1 ] . '/metrics');
		return $i if $r->{success} && $r->{content} =~ /^etcd_server_is_leader 1$/m;
	}
	return;
}

=pod

=item $etcd->requests

Hashref gRPC method => requests received so far, summed over the running
members (grpc_server_msg_received_total in each member's /metrics; a
request reaches one member).

=cut

sub requests
{
	my ($self) = @_;
	require HTTP::Tiny;
	my $http = HTTP::Tiny->new(timeout => 2);
	my %n;
	for my $i (1 .. $self->{members})
	{
		next if $self->{down}{$i};
		my $r = $http->get($self->{urls}[ $i - 1 ] . '/metrics');
		next unless $r->{success};
		$n{$1} += $2
		  while $r->{content} =~ /^grpc_server_msg_received_total\{[^}]*grpc_method="([^"]+)"[^}]*\} (\S+)$/mg;
	}
	return \%n;
}

sub status
{
	my ($self) = @_;
	my %st;
	for my $line (split /\n/, $self->_script('status'))
	{
		my ($name, $url, $pid, $state) = split ' ', $line;
		my ($i) = $name =~ /(\d+)$/;
		$st{$i} = { url => $url, pid => $pid, alive => $state eq 'alive' ? 1 : 0 };
	}
	return \%st;
}

sub start_all
{
	my ($self) = @_;
	my $st = $self->status;
	my @dead = sort { $a <=> $b } grep { !$st->{$_}{alive} } keys %$st;
	$self->restart(@dead) if @dead;
	return;
}

sub stop
{
	my ($self) = @_;
	$self->_script('stop');
	$self->{down}{$_} = 1 for 1 .. $self->{members};
	return;
}

=pod

=item $etcd->get($key)

Value of $key, or undef if it does not exist.

All of get, get_prefix, put and del retry failed requests (e.g. while etcd
elects a new leader) for up to op_timeout seconds (new() argument, default
15), then die with etcdctl's error.

=item $etcd->get_prefix($prefix)

Hashref key => value of all keys starting with $prefix.

=item $etcd->put($key, $value), $etcd->del($key)

Set / delete a key (del returns the number of deleted keys).

=cut

sub get
{
	my ($self, $key, $once) = @_;
	my $kvs = $self->_range($key, 0, $once);
	return exists $kvs->{$key} ? $kvs->{$key} : undef;
}

sub get_prefix
{
	my ($self, $prefix) = @_;
	return $self->_range($prefix, 1);
}

# Read one key or a prefix.  JSON output (base64 keys/values) rather than
# --print-value-only so that absent keys, empty values and values containing
# newlines are told apart reliably.
sub _range
{
	my ($self, $key, $prefix, $once) = @_;
	my $out = $self->_etcdctl([ 'get', '-w', 'json', ($prefix ? '--prefix' : ()), '--', $key ],
		undef, $once);
	my $res = JSON::PP::decode_json($out);
	my %kv;
	for my $e (@{ $res->{kvs} // [] })
	{
		$kv{ decode_base64($e->{key}) } =
		  defined $e->{value} ? decode_base64($e->{value}) : '';
	}
	return \%kv;
}

# the lease a key sits on (0: none; undef: no such key)
sub lease_of
{
	my ($self, $key) = @_;
	my $e = $self->_kv($key);
	return defined $e ? ($e->{lease} // 0) : undef;
}

# the revision of a key's last write (undef: no such key)
sub mod_revision_of
{
	my ($self, $key) = @_;
	my $e = $self->_kv($key);
	return defined $e ? $e->{mod_revision} : undef;
}

# a key as etcd keeps it (undef: no such key)
sub _kv
{
	my ($self, $key) = @_;
	my $res = JSON::PP::decode_json($self->_etcdctl([ 'get', '-w', 'json', '--', $key ]));
	my ($e) = @{ $res->{kvs} // [] };
	return $e;
}

sub put
{
	my ($self, $key, $value) = @_;
	croak "put: value for $key is undef" unless defined $value;
	# value on stdin: it may start with '-' or contain anything; etcdctl
	# refuses an empty stdin, but takes an empty argument
	if ($value eq '') { $self->_etcdctl([ 'put', '--', $key, '' ]); }
	else              { $self->_etcdctl([ 'put', '--', $key ], $value); }
	return;
}

# put $key on a new lease of $ttl seconds, as a member's worker would
# (the lease is never kept alive: the key goes $ttl seconds later)
sub put_leased
{
	my ($self, $key, $value, $ttl) = @_;
	my ($lease) = $self->_etcdctl([ 'lease', 'grant', $ttl ]) =~ /lease ([0-9a-f]+) granted/
	  or croak "put_leased: etcdctl granted no lease";
	$self->_etcdctl([ 'put', "--lease=$lease", '--', $key ], $value);
	return $lease;
}

sub del
{
	my ($self, $key) = @_;
	my $out = $self->_etcdctl([ 'del', '--', $key ]);
	return ($out =~ /^(\d+)/) ? $1 : 0;
}

=pod

=item $etcd->poll_key($key, $expected, $timeout_s)

Poll every 100 ms until $key's value matches $expected (a regex, or a
string taken as a regex), or, if $expected is undef, until $key is absent.
Errors talking to etcd (e.g. no quorum for a moment) count as "not yet".
Returns 1 on success, 0 on timeout (default 30 s), after printing the last
value seen as a diagnostic.

=cut

sub poll_key
{
	my ($self, $key, $expected, $timeout) = @_;
	$timeout //= 30;
	my $re = defined $expected ? (ref $expected ? $expected : qr/$expected/) : undef;
	my $deadline = Time::HiRes::time() + $timeout;
	my ($value, $err);
	while (1)
	{
		# one attempt per poll: our own deadline governs
		$value = eval { $self->get($key, 1) };
		$err = $@;
		if (!$err)
		{
			return 1 if !defined $re && !defined $value;
			return 1 if defined $re && defined $value && $value =~ $re;
		}
		last if Time::HiRes::time() >= $deadline;
		usleep(100_000);
	}
	_diag(sprintf("poll_key(%s, %s) timed out after %ss; last %s",
		$key, defined $re ? $re : 'absent', $timeout,
		$err ? "error: $err" : 'value: ' . ($value // '(absent)')));
	return 0;
}

# ---------------------------------------------------------------- helpers ---

# Endpoints of the members not known to be down (all if none are left,
# so that the error message says something sensible).
sub _live_endpoints
{
	my ($self) = @_;
	my @ep = split /,/, $self->{endpoints};
	my @live = grep { !$self->{down}{ $_ + 1 } } 0 .. $#ep;
	return join ',', @live ? @ep[@live] : @ep;
}

# Run etcdctl (v3 API); returns stdout.  Retries until op_timeout unless
# $once, then dies with etcdctl's stderr.
sub _etcdctl
{
	my ($self, $args, $stdin, $once) = @_;
	local $ENV{ETCDCTL_API} = 3;
	my $deadline = Time::HiRes::time() + $self->{op_timeout};
	while (1)
	{
		my @cmd = ('etcdctl', '--endpoints=' . $self->_live_endpoints,
			'--dial-timeout=2s', '--command-timeout=3s', @$args);
		my ($out, $err) = ('', '');
		my $ok = IPC::Run::run(\@cmd, '<', \($stdin // ''),
			'>', \$out, '2>', \$err);
		return $out if $ok;
		if ($once || Time::HiRes::time() >= $deadline)
		{
			$err =~ s/^\{"level".*\n//mg;    # drop client retry log noise
			croak "etcdctl @$args failed: $err";
		}
		usleep(100_000);
	}
}

# Run etcd-cluster.sh on our directory; returns stdout, dies with the
# script's messages (log tails included) on failure.
sub _script
{
	my ($self, $cmd, @args) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ $SCRIPT, $cmd, $self->{dir}, @args ],
		'<', \undef, '>', \$out, '2>', \$err);
	croak "etcd-cluster.sh $cmd @args failed (exit " . ($? >> 8) . "):\n$err"
	  unless $ok;
	_note($err) if $err ne '';
	return $out;
}

sub _slurp_line
{
	my ($file) = @_;
	open my $fh, '<', $file or croak "cannot read $file: $!";
	my $line = <$fh>;
	close $fh;
	croak "$file is empty" unless defined $line;
	chomp $line;
	return $line;
}

# Test::More's note/diag when a test is running, else STDERR.
sub _note
{
	my ($msg) = @_;
	if (defined &Test::More::note) { Test::More::note($msg); }
	else                           { print STDERR "# $msg\n"; }
	return;
}

sub _diag
{
	my ($msg) = @_;
	if (defined &Test::More::diag) { Test::More::diag($msg); }
	else                           { print STDERR "# $msg\n"; }
	return;
}

# Stop quietly (used at exit): never die, never change the exit status.
sub _cleanup
{
	my ($self) = @_;
	return if $self->{owner_pid} != $$;
	delete $live{ refaddr $self};
	local ($?, $@, $!);
	eval {
		IPC::Run::run([ $SCRIPT, 'stop', $self->{dir} ],
			'<', \undef, '>', \my $o, '2>', \my $e);
		print STDERR $e if defined $e && $e ne '';
	};
	return;
}

sub DESTROY
{
	my ($self) = @_;
	$self->_cleanup;
	return;
}

# Runs on normal exit and after die (also for the signals trapped above).
END
{
	$_->_cleanup for grep { defined } values %live;
}

=pod

=back

=cut

=pod

=item $etcd->patronictl(@args)

Runs Debian's patronictl against this etcd for the cluster "test"
(namespace /service/) and returns its standard output.  With
$etcd->{patronictl_yaml} set, those lines go into its configuration too
(restapi.authentication, say).

=cut

sub patronictl
{
	my ($self, @args) = @_;
	my $conf = "$self->{dir}/patronictl.yml";
	open my $fh, '>', $conf or die "cannot write $conf: $!";
	print $fh "scope: test\nnamespace: /service/\netcd3:\n  hosts: " . $self->endpoints . "\n"
	  . ($self->{patronictl_yaml} // '');
	close $fh;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'patronictl', '-c', $conf, @args ], '>', \$out, '2>', \$err);
	# for a test's diagnostics
	$self->{patronictl_stderr} = $err;
	return $out;
}

1;
