package Faults::Check;

# The invariant checker: reads the writers' logs (writer.c) and proves,
# or refutes, that no two primaries accepted writes at the same time, and
# counts acknowledged writes missing from the final primary.
#
# A term is one primary's reign: (system identifier, timeline, node), as
# each acknowledged row was tagged by the server that took it.  Two terms
# overlap when the older one acknowledged a write that was *sent* after
# the newer one had already *acknowledged* one: that write was committed
# while the other node was a writable primary (proven split brain).  The
# "possible" overlap compares ack to send the other way round and bounds
# what the client could not tell apart.
#
# How much a lost write cost: its WAL position (logged by the writer)
# minus the point where its timeline ended in the final primary's history
# (the fork).  That is what maximum_lag_on_failover bounds in async mode.

use strict;
use warnings;
use List::Util qw(max min);

sub read_log
{
	my ($file) = @_;
	my @w;
	open my $fh, '<', $file or return ();
	while (my $line = <$fh>)
	{
		chomp $line;
		my ($sent, $done, $seq, $status, @rest) = split / /, $line;
		next unless defined $status;
		my %w = (sent => $sent, done => $done, seq => $seq, status => $status);
		@w{qw(node tli sysid lsn)} = @rest if $status eq 'ok';
		$w{error} = join ' ', @rest if $status eq 'err';
		push @w, \%w;
	}
	close $fh;
	return @w;
}

# "16/B374D848" -> bytes
sub lsn_bytes
{
	my ($lsn) = @_;
	my ($hi, $lo) = $lsn =~ m{^([0-9A-Fa-f]+)/([0-9A-Fa-f]+)$} or return undef;
	return hex($hi) * 2**32 + hex($lo);
}

# A timeline history file (pg_wal/<tli>.history) -> { timeline => the
# byte position where it ended }
sub switchpoints
{
	my ($history) = @_;
	my %end;
	for (split /\n/, $history // '')
	{
		$end{$1} = lsn_bytes($2) if /^\s*(\d+)\s+([0-9A-Fa-f]+\/[0-9A-Fa-f]+)/;
	}
	return \%end;
}

# logs: { writer name => file }; final: { "writer/seq" => 1 } on the last primary;
# switchpoints: { timeline => end byte } of the last primary (switchpoints())
sub analyze
{
	my (%a) = @_;
	my (%terms, @lost, $acked);
	my ($lost_bytes, $unmeasured) = (0, 0);
	my %r = (acked => 0, errors => 0, timeouts => 0);
	for my $writer (sort keys %{ $a{logs} })
	{
		for my $w (read_log($a{logs}{$writer}))
		{
			if ($w->{status} ne 'ok')
			{
				$r{ $w->{status} eq 'timeout' ? 'timeouts' : 'errors' }++;
				next;
			}
			$r{acked}++;
			# a term: one system, one timeline, one node
			my $t = "$w->{node}/tl$w->{tli}";
			$t .= "/sys$w->{sysid}" if defined $r{sysid} && $r{sysid} ne $w->{sysid};
			$r{sysid} //= $w->{sysid};
			my $term = $terms{$t} //= { name => $t, first_done => $w->{done}, first_sent => $w->{sent},
				last_done => $w->{done}, last_sent => $w->{sent}, n => 0 };
			$term->{n}++;
			$term->{first_done} = min($term->{first_done}, $w->{done});
			$term->{first_sent} = min($term->{first_sent}, $w->{sent});
			$term->{last_done} = max($term->{last_done}, $w->{done});
			$term->{last_sent} = max($term->{last_sent}, $w->{sent});
			next if $a{final}{"$writer/$w->{seq}"};
			push @lost, "$writer/$w->{seq} ($t)";
			# a write lost on a timeline that did not end in a fork (or
			# with no position logged) cannot be measured: say so
			my $end = $a{switchpoints} ? $a{switchpoints}{ hex($w->{tli}) } : undef;
			if (defined $end && defined $w->{lsn} && $w->{lsn} =~ /^\d+$/) { $lost_bytes = max($lost_bytes, $w->{lsn} - $end); }
			else { $unmeasured++; }
		}
	}
	my @t = sort { $a->{first_done} <=> $b->{first_done} } values %terms;
	my ($proven, $possible) = (0, 0);
	for my $i (0 .. $#t)
	{
		for my $j ($i + 1 .. $#t)
		{
			my ($old, $new) = ($t[$i], $t[$j]);
			$proven = max($proven, $old->{last_sent} - $new->{first_done});
			$possible = max($possible, $old->{last_done} - $new->{first_sent});
		}
	}
	$r{terms} = [ map { "$_->{name}:$_->{n}" } @t ];
	$r{overlap_ms} = $proven;
	$r{possible_overlap_ms} = $possible;
	$r{lost} = scalar @lost;
	$r{lost_list} = \@lost;
	$r{lost_bytes} = $lost_bytes;
	$r{lost_unmeasured} = $unmeasured;
	return \%r;
}

# the longest time without an acknowledged write in one writer's log, from $from on
sub longest_gap
{
	my ($file, $from, $to) = @_;
	my $prev = $from;
	my $gap = 0;
	for my $w (grep { $_->{status} eq 'ok' && $_->{done} >= $from } read_log($file))
	{
		$gap = max($gap, $w->{done} - $prev);
		$prev = $w->{done};
	}
	$gap = max($gap, $to - $prev) if defined $to;
	return $gap;
}

1;
