#!/usr/bin/perl
# md2man.pl: docs/pghactl.md as the manual page pghactl(1), so that the page
# and the markdown have one source.  Understands the markdown that file
# uses: the title, paragraphs, "##" sections, fenced code, tables, lists,
# `code`, **bold** and [links](file).
#
#   perl scripts/md2man.pl VERSION < docs/pghactl.md > pghactl.1
#
# The title and the first clause of the first paragraph make NAME; a code
# block right after that paragraph is the SYNOPSIS; the rest up to the
# first "##" is DESCRIPTION.  A section whose heading is a command
# ("## `pghactl run ...`") becomes a subsection of COMMANDS, any other one a
# section of its own (so command sections belong together).  Table rows become tagged paragraphs: the first cell is
# the tag, the other cells follow under their column headers.
use strict;
use warnings;

my $version = shift @ARGV or die "usage: md2man.pl VERSION < page.md > page.1\n";
my @lines = <STDIN>;
chomp @lines;

# roff escapes for running text; inline markdown to fonts
sub esc
{
	my ($s) = @_;
	$s =~ s/\\/\\e/g;
	return $s;
}

sub inline
{
	my ($s) = @_;
	$s =~ s/\\\|/|/g;
	my $out = '';
	# split off code spans first: nothing inside them is markdown
	for my $part (split /(`[^`]*`)/, $s)
	{
		if ($part =~ /^`(.*)`$/)
		{
			my $c = esc($1);
			$c =~ s/-/\\-/g;
			$out .= "\\fB$c\\fR";
			next;
		}
		$part = esc($part);
		$part =~ s/\*\*([^*]+)\*\*/\\fB$1\\fR/g;
		$part =~ s/\[([^\]]+)\]\([^)]+\)/\\fI$1\\fR/g;
		$out .= $part;
	}
	# a line may not start with a control character
	$out =~ s/^([.'])/\\&$1/;
	return $out;
}

sub cells
{
	my ($row) = @_;
	$row =~ s/^\s*\|//;
	$row =~ s/\|\s*$//;
	# "\|" is a pipe inside a cell
	my @c = map { s/^\s+|\s+$//gr } split /(?<!\\)\|/, $row;
	return @c;
}

my $title = shift @lines;
$title =~ /^# (\S+)/ or die "md2man.pl: the first line must be the \"# title\"\n";
my $name = $1;
shift @lines while @lines && $lines[0] eq '';

my @out;
push @out, ".TH " . uc($name) . " 1 \"\" \"pgha $version\" \"pgha\"";

# NAME: the title and the first paragraph's first clause
my @para;
push @para, shift @lines while @lines && $lines[0] ne '';
my $first = join(' ', @para);
my ($clause) = $first =~ /^([^:.]+)/;
$clause =~ s/`//g;
push @out, ".SH NAME", "$name \\- " . lcfirst($clause);

shift @lines while @lines && $lines[0] eq '';
if (@lines && $lines[0] =~ /^```/)
{
	shift @lines;
	push @out, ".SH SYNOPSIS", ".nf";
	push @out, inline($_) while defined($_ = shift @lines) && !/^```/;
	push @out, ".fi";
}
push @out, ".SH DESCRIPTION", inline($first);

my $in_commands = 0;
while (@lines)
{
	my $l = shift @lines;

	if ($l =~ /^## (.*)/)
	{
		my $h = $1;
		if ($h =~ /^`/)
		{
			push @out, ".SH COMMANDS" unless $in_commands++;
			push @out, ".SS \"" . ($h =~ s/`//gr) . "\"";
		}
		else
		{
			push @out, ".SH " . uc($h =~ s/`//gr);
			$in_commands = 0;
		}
	}
	elsif ($l =~ /^```/)
	{
		push @out, ".PP", ".RS 4", ".nf";
		while (defined($l = shift @lines) && $l !~ /^```/)
		{
			$l = esc($l);
			$l =~ s/^([.'])/\\&$1/;
			push @out, $l;
		}
		push @out, ".fi", ".RE";
	}
	elsif ($l =~ /^\|/)
	{
		my @head = cells($l);
		shift @lines;			# the |---| line
		while (@lines && $lines[0] =~ /^\|/)
		{
			my @c = cells(shift @lines);
			push @out, ".TP", inline($c[0]);
			for my $i (1 .. $#c)
			{
				next if $c[$i] eq '';
				my $text = inline($c[$i]);
				$text = "\\fI" . esc($head[$i]) . ":\\fR $text" if $i < $#c;
				push @out, $text;
				push @out, ".br" if $i < $#c;
			}
		}
	}
	elsif ($l =~ /^- (.*)/)
	{
		my $item = $1;
		$item .= ' ' . (shift(@lines) =~ s/^\s+//r) while @lines && $lines[0] =~ /^  \S/;
		push @out, ".IP \\(bu 2", inline($item);
	}
	elsif ($l eq '')
	{
		push @out, ".PP" if @lines && $lines[0] ne '' && $lines[0] !~ /^(```|\||- |## )/;
	}
	else
	{
		# the whole paragraph at once: a code span may go on on the next line
		$l .= ' ' . shift(@lines) while @lines && $lines[0] ne '' && $lines[0] !~ /^(```|\||- |## )/;
		push @out, inline($l);
	}
}

push @out, ".SH SEE ALSO",
  "\\fBinitdb\\fR(1), \\fBpg_basebackup\\fR(1), \\fBpg_rewind\\fR(1), \\fBpostgres\\fR(1);",
  "the pgha documentation: README.md and docs/ in its source,",
  "/usr/share/doc/postgresql-15-pgha in the Debian package.";
print join("\n", @out), "\n";
