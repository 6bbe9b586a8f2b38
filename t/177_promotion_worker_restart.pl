
# Interleaving 1 with a worker restart: t/170's scenario, but node2's
# worker is terminated instead of thawed (see there).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

# loaded here, at compile time: their INIT blocks must run
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our $restart_worker = 1;
do "$FindBin::RealBin/170_promotion_lost_key.pl";
die $@ if $@;
