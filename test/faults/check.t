
# The invariant checker itself, on canned writer logs: it must see a split
# brain where there is one, and only there.  (The fault suite relies on it
# to say "never two primaries".)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use File::Temp qw(tempdir);
use Test::More;

use Faults::Check;

my $dir = tempdir(CLEANUP => 1);

sub log_file
{
	my ($name, @lines) = @_;
	open my $fh, '>', "$dir/$name" or die $!;
	print $fh "$_\n" for @lines;
	close $fh;
	return "$dir/$name";
}

# n1 acknowledges until 1000 ms, n2 from 1500 ms: a clean handover
my $clean = Faults::Check::analyze(
	logs => {
		a => log_file('a', '900.0 905.0 1 ok n1 00000001 7', '1000.0 1004.0 2 ok n1 00000001 7',
			'1100.0 2100.0 3 timeout', '2100.0 2101.0 4 err 25006 read-only'),
		b => log_file('b', '1500.0 1503.0 1 ok n2 00000002 7', '1600.0 1602.0 2 ok n2 00000002 7'),
	},
	final => { map { $_ => 1 } qw(a/1 a/2 b/1 b/2) });
is($clean->{overlap_ms}, 0, 'a handover: no overlap');
is($clean->{acked}, 4, 'four writes acknowledged');
is($clean->{timeouts}, 1, 'one timeout');
is($clean->{errors}, 1, 'one error');
is($clean->{lost}, 0, 'none lost');
is_deeply($clean->{terms}, [ 'n1/tl00000001:2', 'n2/tl00000002:2' ], 'two terms, in order');

# n1 still acknowledges a write sent at 1700 ms, after n2 acknowledged one at 1503 ms
my $split = Faults::Check::analyze(
	logs => {
		a => log_file('c', '900.0 905.0 1 ok n1 00000001 7', '1700.0 1702.0 2 ok n1 00000001 7'),
		b => log_file('d', '1500.0 1503.0 1 ok n2 00000002 7'),
	},
	final => { map { $_ => 1 } qw(b/1) });
is($split->{overlap_ms}, 1700 - 1503, 'split brain: n1 committed 197 ms after n2 had acknowledged');
is($split->{lost}, 2, 'both of n1\'s writes are missing from the final primary');
like($split->{lost_list}[0], qr{^a/1 \(n1/tl00000001\)$}, 'lost writes are named with their term');

# the same node again on a later timeline is a new term, not an overlap
my $back = Faults::Check::analyze(
	logs => { a => log_file('e', '100.0 101.0 1 ok n1 00000001 7', '900.0 901.0 2 ok n1 00000003 7'),
		b => log_file('f', '500.0 501.0 1 ok n2 00000002 7') },
	final => {});
is($back->{overlap_ms}, 0, 'n1, n2, n1 again on a new timeline: three terms, no overlap');

# lost bytes: a lost write's WAL position past the end of its timeline in
# the final primary's history file
my $sp = Faults::Check::switchpoints("1\t0/3000158\tno recovery target specified\n\n2\t0/5000000\tno recovery target specified\n");
is_deeply($sp, { 1 => 0x3000158, 2 => 0x5000000 }, 'a history file gives where each timeline ended');
is(Faults::Check::lsn_bytes('1/0000000A'), 2**32 + 10, 'an LSN in bytes');
my $bytes = Faults::Check::analyze(
	logs => {
		a => log_file('h', '100.0 101.0 1 ok n1 00000001 7 ' . (0x3000158 - 500), '200.0 201.0 2 ok n1 00000001 7 ' . (0x3000158 + 1000)),
		b => log_file('i', '300.0 301.0 1 ok n2 00000002 7 ' . (0x5000000 + 200), '400.0 401.0 2 ok n3 00000003 7 ' . 0x6000000),
	},
	final => { map { $_ => 1 } qw(a/1) },
	switchpoints => $sp);
is($bytes->{lost}, 3, 'three writes lost');
is($bytes->{lost_bytes}, 1000, 'the costliest lost write was 1000 bytes past its fork');
is($bytes->{lost_unmeasured}, 1, 'a write lost on the final timeline cannot be measured, and is counted');

is(Faults::Check::longest_gap(log_file('g', '0 10 1 ok n1 1 7', '0 510 2 ok n1 1 7', '0 600 3 ok n2 2 7'), 0, 1000),
	500, 'longest gap between acknowledgements (or to the end)');

done_testing();
