package Faults::Net;

# Test hosts in network namespaces on a private bridge, and partitions as
# dropped packets (nftables in each host's namespace).  Only addresses in
# 10.231.0.0/24, inside these namespaces, are ever used.
#
#   my $net = Faults::Net->new(e1 => 11, n1 => 21, c => 100);
#   $net->run('n1', @cmd);              # a command inside host n1
#   $net->partition('n1', 'e1', 'e2');  # n1 and e1, n1 and e2 drop each other's packets
#   $net->lossy(30, 'n1', 'e1');        # n1 and e1 lose 30% of their packets
#   $net->heal;                         # every link works again
#   $net->teardown;                     # kill what runs inside, delete the namespaces
#
# The bridge lives in a namespace of its own: the host's network is never
# touched.  A run that died leaves namespaces behind; new() removes them.

use strict;
use warnings;
use Carp;

our $PREFIX = 'pghaf';
our $SUBNET = '10.231.0';

sub _sh
{
	my @cmd = @_;
	system(@cmd) == 0 or croak "failed: @cmd";
	return;
}

# namespaces of an earlier run: their processes first, then the namespaces
sub cleanup_stale
{
	for my $ns (grep { /^\Q$PREFIX\E-/ } map { (split /\s+/)[0] } `ip netns list 2>/dev/null`)
	{
		my @pids = grep { /^\d+$/ } split /\s+/, `ip netns pids $ns 2>/dev/null`;
		kill 'CONT', @pids if @pids;
		kill 'KILL', @pids if @pids;
		system('ip', 'netns', 'del', $ns);
	}
	return;
}

# can this machine make namespaces?  '' if so, else why not
sub unavailable
{
	return 'not root (ip netns needs root)' if $> != 0;
	for my $tool ('ip', 'nft')
	{
		return "$tool not installed" unless grep { -x "$_/$tool" } split /:/, "$ENV{PATH}:/usr/sbin:/sbin";
	}
	my $probe = "$PREFIX-probe$$";
	my $err = `ip netns add $probe 2>&1`;
	return "ip netns add failed: $err" if $?;
	$err = `ip netns exec $probe nft add table inet probe 2>&1`;
	my $nft_ok = $? == 0;
	system('ip', 'netns', 'del', $probe);
	return "nft failed in a namespace: $err" unless $nft_ok;
	return '';
}

sub new
{
	my ($class, %hosts) = @_;
	my $self = bless { hosts => {%hosts} }, $class;

	cleanup_stale();
	my $sw = "$PREFIX-sw";
	_sh('ip', 'netns', 'add', $sw);
	$self->{namespaces} = [$sw];
	_sh('ip', '-n', $sw, 'link', 'add', 'br0', 'type', 'bridge');
	_sh('ip', '-n', $sw, 'link', 'set', 'br0', 'up');
	for my $h (sort keys %hosts)
	{
		my $ns = $self->ns($h);
		_sh('ip', 'netns', 'add', $ns);
		push @{ $self->{namespaces} }, $ns;
		_sh('ip', 'link', 'add', 'eth0', 'netns', $ns, 'type', 'veth', 'peer', 'name', "v-$h", 'netns', $sw);
		_sh('ip', '-n', $sw, 'link', 'set', "v-$h", 'master', 'br0', 'up');
		_sh('ip', '-n', $ns, 'addr', 'add', $self->addr($h) . '/24', 'dev', 'eth0');
		_sh('ip', '-n', $ns, 'link', 'set', 'eth0', 'up');
		_sh('ip', '-n', $ns, 'link', 'set', 'lo', 'up');
		open my $nft, '|-', 'ip', 'netns', 'exec', $ns, 'nft', '-f', '-' or croak "nft: $!";
		print $nft "table inet $PREFIX {\n"
		  . "  chain in { type filter hook input priority 0; }\n"
		  . "  chain out { type filter hook output priority 0; }\n}\n";
		close $nft or croak "nft setup failed in $ns";
	}
	return $self;
}

sub ns { my ($self, $h) = @_; return "$PREFIX-$h"; }

sub addr
{
	my ($self, $h) = @_;
	croak "unknown host $h" unless exists $self->{hosts}{$h};
	return "$SUBNET.$self->{hosts}{$h}";
}

sub hosts { my ($self) = @_; return sort keys %{ $self->{hosts} }; }

# the command line that runs @cmd inside host $h
sub cmd { my ($self, $h, @cmd) = @_; return ('ip', 'netns', 'exec', $self->ns($h), @cmd); }

sub _drop
{
	my ($self, $h, $peer) = @_;
	my $a = $self->addr($peer);
	_sh($self->cmd($h, 'nft', 'add', 'rule', 'inet', $PREFIX, 'in', 'ip', 'saddr', $a, 'drop'));
	_sh($self->cmd($h, 'nft', 'add', 'rule', 'inet', $PREFIX, 'out', 'ip', 'daddr', $a, 'drop'));
	return;
}

# $h and each of @peers drop every packet between them (both directions,
# both ends: established connections hang as on a real network)
sub partition
{
	my ($self, $h, @peers) = @_;
	for my $p (@peers)
	{
		next if $p eq $h;
		$self->_drop($h, $p);
		$self->_drop($p, $h);
	}
	return;
}

# $h and each of @peers lose $pct% of the packets between them, at random
# (a flaky link: TCP retransmits, nothing is cut; tc netem is often not
# available in containers, nftables' numgen is)
sub lossy
{
	my ($self, $pct, $h, @peers) = @_;
	for my $p (@peers)
	{
		next if $p eq $h;
		for my $pair ([ $h, $p ], [ $p, $h ])
		{
			my ($at, $other) = @$pair;
			my $a = $self->addr($other);
			_sh($self->cmd($at, 'nft', 'add', 'rule', 'inet', $PREFIX, 'out', 'ip', 'daddr', $a,
					'numgen', 'random', 'mod', '100', '<', $pct, 'drop'));
		}
	}
	return;
}

sub heal
{
	my ($self) = @_;
	for my $h ($self->hosts)
	{
		_sh($self->cmd($h, 'nft', 'flush', 'chain', 'inet', $PREFIX, $_)) for ('in', 'out');
	}
	return;
}

sub teardown
{
	my ($self) = @_;
	return if $self->{down}++;
	for my $ns (reverse @{ $self->{namespaces} // [] })
	{
		my @pids = grep { /^\d+$/ } split /\s+/, `ip netns pids $ns 2>/dev/null`;
		kill 'CONT', @pids if @pids;
		kill 'KILL', @pids if @pids;
	}
	# killed processes must be gone before their namespace can go
	for (1 .. 50)
	{
		last unless grep { `ip netns pids $_ 2>/dev/null` =~ /\d/ } @{ $self->{namespaces} };
		select(undef, undef, undef, 0.1);
	}
	system('ip', 'netns', 'del', $_) for reverse @{ $self->{namespaces} // [] };
	return;
}

1;
