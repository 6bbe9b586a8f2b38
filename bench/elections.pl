
# bench/elections.pl: spurious failovers at the fastest settings, where the
# margins are thinnest.  Each profile gets a fresh 3-member etcd and 3
# PostgreSQL nodes, left alone for PGHA_BENCH_IDLE seconds (1800), then
# put through PGHA_BENCH_ELECTIONS (10) etcd leader elections: kill -9 of
# the etcd leader, until the other two elect one, 2 ttl more with it down,
# then the member restarted and a ttl to settle.  Throughout the elections
# a client writes through the libpq multi-host URL every 100 ms.
#
# Counted, per phase: leader changes (the leader key deleted, or put with
# another value: an etcdctl watch started before), fences (the nodes'
# logs), the primary's timeline at the end; the etcd election time (kill ->
# a member reports itself leader in /metrics) and the longest time without
# an accepted write.  A spurious failover is any leader change or fence:
# nothing failed but etcd's leader.
#
#   make bench-elections                     (about 35 min per profile)
#   PGHA_BENCH_IDLE=60 PGHA_BENCH_PROFILES='3/1/1 failsafe' make bench-elections
#   (PGHA_BENCH_PROFILES: substrings of the labels, comma-separated)
#
# Profiles: ttl / loop_wait / retry_timeout, with and without failsafe_mode.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../t/lib", "$FindBin::RealBin/lib";

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use PghaBench;

my $idle = $ENV{PGHA_BENCH_IDLE} // 1800;
my $elections = $ENV{PGHA_BENCH_ELECTIONS} || 10;
my @profiles = (
	[ '3/1/1 failsafe_mode', [ 3, 1, 1 ], '"failsafe_mode":true' ],
	[ '3/1/1',               [ 3, 1, 1 ], '' ],
	[ '4/1/1 failsafe_mode', [ 4, 1, 1 ], '"failsafe_mode":true' ],
	[ '4/1/1',               [ 4, 1, 1 ], '' ],
);
if ($ENV{PGHA_BENCH_PROFILES})
{
	my @pick = split /,/, $ENV{PGHA_BENCH_PROFILES};
	@profiles = grep { my $l = $_->[0]; grep { index($l, $_) >= 0 } @pick } @profiles;
}

# leader changes in the watch file between two times: deletes, and puts
# of another value than the one before
sub leader_changes
{
	my ($file, $from, $to) = @_;
	my ($changes, $value, $event) = (0, undef, undef);
	open(my $fh, '<', $file) or return -1;
	while (my $line = <$fh>)
	{
		my ($t, $text) = $line =~ /^([\d.]+) (.*)$/ or next;
		if ($text eq 'PUT' || $text eq 'DELETE')
		{
			$event = [ $t, $text, 0 ];
			$changes++ if $text eq 'DELETE' && $t >= $from && $t < $to;
			next;
		}
		next unless $event;
		# etcdctl prints the event, the key, then the value
		if ($event->[2]++ == 1 && $event->[1] eq 'PUT')
		{
			$changes++ if defined $value && $text ne $value && $t >= $from && $t < $to;
			$value = $text;
		}
	}
	return $changes;
}

# "fencing this primary" lines in the nodes' logs since $since (epoch)
sub fences
{
	my ($c, $since) = @_;
	my $n = 0;
	$n += PghaBench::log_times($_, qr/fencing this primary/, $since) for @{ $c->{nodes} };
	return $n;
}

# a child that tries one INSERT through $url every 100 ms and logs
# "<epoch> ok|fail"
sub writer
{
	my ($url, $file) = @_;
	my $pid = fork() // die "fork: $!";
	return $pid if $pid;
	$SIG{$_} = 'DEFAULT' for qw(TERM INT HUP);
	setpgrp(0, 0);
	open(my $out, '>', $file) or die "$file: $!";
	$out->autoflush(1);
	while (1)
	{
		my $t = time;
		my $ok = system("psql -X -q -d '$url' -c 'INSERT INTO w DEFAULT VALUES' >/dev/null 2>&1") == 0;
		printf $out "%.3f %s\n", $t, $ok ? 'ok' : 'fail';
		usleep(100_000);
	}
}

# the longest time between accepted writes, and how many attempts failed
sub write_gaps
{
	my ($file) = @_;
	my ($last, $gap, $failed) = (undef, 0, 0);
	open(my $fh, '<', $file) or return (-1, -1);
	while (<$fh>)
	{
		my ($t, $r) = split;
		if ($r eq 'ok')
		{
			$gap = $t - $last if defined $last && $t - $last > $gap;
			$last = $t;
		}
		else { $failed++; }
	}
	return ($gap, $failed);
}

sub etcd_leader
{
	my ($c) = @_;
	my @urls = @{ $c->{etcd}->urls };
	for my $i (0 .. $#urls)
	{
		return $i + 1 if PghaBench::etcd_counters($urls[$i])->{leader};
	}
	return undef;
}

my @rows;
for my $p (@profiles)
{
	my ($label, $timing, $config) = @$p;
	my $ttl = $timing->[0];
	my $c = pgha_cluster(timing => $timing, config => $config, params => \%PghaBench::PG_PARAMS);
	my $dir = "$ENV{TESTDIR}/elections_$c->{scope}";
	mkdir $dir;
	my $watcher = PghaBench::watch_key($c->{etcd}, "/service/$c->{scope}/leader", "$dir/watch");
	usleep(300_000);    # the watch is in place
	my $tl0 = psql_at($c->{ports}[0], 'SELECT timeline_id FROM pg_control_checkpoint()');

	# left alone
	my $t0 = time;
	sleep($idle) if $idle > 0;
	my $t1 = time;
	my %idle = (changes => leader_changes("$dir/watch", $t0, $t1), fences => fences($c, $t0));
	note sprintf('%s: idle %d s, %d leader changes, %d fences', $label, $t1 - $t0, $idle{changes}, $idle{fences});

	# etcd leader elections, a writer throughout
	my $w = writer(url_of(@{ $c->{ports} }), "$dir/writes");
	my @took;
	for my $e (1 .. $elections)
	{
		my $old = etcd_leader($c) // die 'etcd: no leader';
		my $k = time;
		$c->{etcd}->kill($old);
		my $new;
		while (time - $k < 30)
		{
			$new = (grep { $_ != $old && PghaBench::etcd_counters($c->{etcd}->urls->[ $_ - 1 ])->{leader} } 1 .. 3)[0];
			last if $new;
			usleep(20_000);
		}
		push @took, time - $k if $new;
		note sprintf('election %d: etcd%d killed, etcd%s leads after %.2f s', $e, $old, $new // '?', time - $k);
		sleep(2 * $ttl);
		$c->{etcd}->restart($old);
		sleep($ttl);
	}
	my $t2 = time;
	kill 'TERM', -$w;
	waitpid($w, 0);
	kill 'TERM', -$watcher;
	waitpid($watcher, 0);
	my ($gap, $failed) = write_gaps("$dir/writes");
	my $leader = $c->{etcd}->get("/service/$c->{scope}/leader") // '';
	my ($li) = grep { $c->{names}[$_] eq $leader } 0 .. 2;
	my $tl1 = defined $li ? psql_at($c->{ports}[$li], 'SELECT timeline_id FROM pg_control_checkpoint()') : undef;
	push @rows, [ $label, sprintf('%d', $t1 - $t0), $idle{changes}, $idle{fences}, scalar(@took),
		sprintf('%.2f', median(@took) // -1), leader_changes("$dir/watch", $t1, $t2 + 1),
		fences($c, $t1), ($tl1 // '?') eq ($tl0 // '') ? 'same' : 'changed',
		sprintf('%.2f', $gap), $failed ];
	stop_cluster($c);
}

my @head = ('profile', 'idle s', 'leader changes', 'fences', 'elections', 'election s (median)',
	'leader changes', 'fences', 'timeline', 'longest write gap s', 'failed writes');
print "\n", text_table('pgha through etcd leader elections (idle | elections)', \@head, \@rows);
ok(!grep({ $_->[2] < 0 || $_->[6] < 0 } @rows), 'every watch could be read');
done_testing();
