
# Backups in the lifecycle, with the real pgBackRest (a repository on local
# disk): WAL archiving from pgha.conf on every node, a replica created from
# the backup and the archive (pghactl.create_replica_methods, tried in
# order), one created while its cluster has no leader (no_leader), a new
# cluster restored to a point in time (pghactl.bootstrap_method), a
# restore whose target lies beyond the archive, archiving across a
# failover, a failed pg_rewind that falls back to a new copy
# (pghactl.remove_data_directory_on_rewind_failure), and a standby cluster
# whose standby leader pghactl makes from the backup.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use Pgha::Etcd;
use Pgha::Run;

my $etcd = Pgha::Etcd->new(members => 1);
$etcd->put("/service/$_/config", '{"ttl":6,"loop_wait":1,"retry_timeout":2}')
  for ('test', 'lone', 'restored', 'beyond');

my $base = "$PostgreSQL::Test::Utils::tmp_check/run_207_pgbackrest";
my $cfg = "$base/pgbackrest.conf";
my $pgbin = `pg_config --bindir`;
chomp $pgbin;

# node1 runs its programs from a directory of links, so that pg_rewind can
# be made to fail later
mkdir $base;
mkdir "$base/bin1";
for my $prog (glob "$pgbin/*")
{
	symlink($prog, "$base/bin1/" . ($prog =~ s{.*/}{}r)) or die;
}

# a method that records its arguments and fails: the next one is tried
open my $rec, '>', "$base/record.sh" or die;
print $rec "#!/bin/sh\nprintf '%s\\n' \"\$@\" > $base/record.args\nexit 3\n";
close $rec;
chmod 0755, "$base/record.sh";

sub pgbackrest_cmd
{
	my ($name, $what) = @_;
	return "pgbackrest --config=$cfg --stanza=main --pg1-path=$base/$name.data $what";
}

my $c = Pgha::Run->new(
	etcd => $etcd,
	nodes => 12,
	conf => sub {
		my ($name) = @_;
		my @conf = (
			"wal_level = replica",
			"archive_mode = on",
			"archive_command = '" . pgbackrest_cmd($name, 'archive-push %p') . "'");
		push @conf, "pghactl.bin_dir = '$base/bin1'",
		  "pghactl.remove_data_directory_on_rewind_failure = on"
		  if $name eq 'node1';
		push @conf,
		  "pghactl.create_replica_methods = 'record, pgbackrest, basebackup'",
		  "pghactl.record_command = '$base/record.sh'",
		  "pghactl.record_stuff = 'on'",
		  "pghactl.pgbackrest_command = '" . pgbackrest_cmd($name, 'restore') . "'",
		  "pghactl.pgbackrest_no_params = on"
		  if $name eq 'node3';
		# another cluster: its promotion must not archive into this one's
		push @conf, "pgha.scope = 'lone'", "archive_mode = off",
		  "pghactl.create_replica_methods = 'pgbackrest'",
		  "pghactl.pgbackrest_command = '" . pgbackrest_cmd($name, 'restore') . "'",
		  "pghactl.pgbackrest_no_params = on"
		  if $name eq 'node4';
		# a new cluster from the backup, restored to a point in time (the
		# time comes later, in the node's own file): with the settings
		# pgBackRest writes (node5), or recovery_conf (node6, node9, whose
		# restore_command waits while the file "hold" exists)
		push @conf, "pgha.scope = '" . { node5 => 'restored', node6 => 'beyond', node9 => 'resumed' }->{$name} . "'",
		  "archive_mode = off",
		  "pghactl.bootstrap_method = 'pitr'",
		  "pghactl.pitr_no_params = on"
		  if $name eq 'node5' || $name eq 'node6' || $name eq 'node9';
		push @conf, "pghactl.pitr_command = '" . pgbackrest_cmd($name, 'restore') . "'",
		  "pghactl.pitr_recovery_conf_restore_command = '"
		  . ($name eq 'node9' ? "$base/held-restore.sh" : pgbackrest_cmd($name, 'archive-get')) . " %f \"%p\"'"
		  if $name eq 'node6' || $name eq 'node9';
		# a standby cluster: its standby leader from the backup and the
		# archive, as the section's create_replica_methods says
		push @conf, "pgha.scope = 'dr'", "archive_mode = off",
		  "pghactl.pgbackrest_command = '" . pgbackrest_cmd($name, 'restore') . "'",
		  "pghactl.pgbackrest_no_params = on"
		  if $name eq 'node7' || $name eq 'node8';
		# a standby cluster of the archive alone
		push @conf, "pgha.scope = 'arch'", "archive_mode = off",
		  "pghactl.pgbackrest_command = '" . pgbackrest_cmd($name, 'restore') . "'",
		  "pghactl.pgbackrest_no_params = on",
		  "pghactl.pgbackrest_no_leader = on"
		  if $name eq 'node10';
		# a standby cluster whose initialize lock a node that died holds
		push @conf, "pgha.scope = 'dr2'", "archive_mode = off" if $name eq 'node11';
		push @conf, "pgha.scope = 'dr3'", "archive_mode = off" if $name eq 'node12';
		return \@conf;
	});

sub pgbackrest
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pgbackrest', "--config=$cfg", '--stanza=main', @args ], '>', \$out, '2>', \$err);
	note "pgbackrest @args: $out$err" if $? != 0;
	return $? >> 8;
}

sub append_conf
{
	my ($name, @lines) = @_;
	open my $f, '>>', $c->{conf}{$name} or die;
	print $f map { "$_\n" } @lines;
	close $f;
	return;
}

sub wait_archived
{
	my ($name) = @_;
	my $wal = $c->sql($name, 'SELECT pg_walfile_name(pg_switch_wal())');
	return $c->poll_sql($name,
		"SELECT last_archived_wal >= '$wal' FROM pg_stat_archiver", 't');
}

sub pm_pid
{
	my ($name) = @_;
	open my $f, '<', $c->data($name) . '/postmaster.pid' or return 0;
	my $pid = <$f>;
	close $f;
	chomp $pid;
	return $pid;
}

# ---- a cluster that archives, and a backup of it ----
$c->start('node1');
ok($etcd->poll_key('/service/test/leader', qr/^node1$/, 90), 'node1 leads');
# pgBackRest connects to the primary over the socket the nodes use
my $sockdir = $c->sql('node1', "SHOW unix_socket_directories");
mkdir "$base/pgbackrest-log";
open my $fh, '>', $cfg or die;
print $fh <<"EOF";
[global]
repo1-path=$base/repo
log-path=$base/pgbackrest-log
lock-path=$base/pgbackrest-lock
log-level-console=warn
start-fast=y

[main]
pg1-path=@{[ $c->data('node1') ]}
pg1-port=$c->{port}{node1}
pg1-user=$c->{user}
pg1-socket-path=$sockdir
EOF
close $fh;

$c->sql('node1', 'CREATE TABLE t (x int)');
$c->sql('node1', 'INSERT INTO t VALUES (1)');
$c->start('node2');
ok($c->streams_from('node1', 'node2'), 'node2, a pg_basebackup copy, streams');
is(pgbackrest('stanza-create'), 0, 'pgbackrest stanza-create');
is(pgbackrest('backup', '--type=full'), 0, 'pgbackrest backup of the primary');
# pgBackRest picks a backup that stopped before the target, to the second
my $backup_done = $c->sql('node1', 'SELECT now()');
ok($c->poll_sql('node1', "SELECT now() >= timestamptz '$backup_done' + interval '1.1 s'", 't'),
	'a second later');

# after the backup: row 2, a point in time, row 3, all in the archive
$c->sql('node1', 'INSERT INTO t VALUES (2)');
my $target = $c->sql('node1', 'SELECT now()');
$c->sql('node1', 'INSERT INTO t VALUES (3)');
ok(wait_archived('node1'), "node1's WAL up to row 3 is in the archive");

# ---- a replica from the backup, the first method failing ----
$c->start('node3');
ok($c->streams_from('node1', 'node3'), 'node3 streams from node1');
ok($c->poll_sql('node3', 'SELECT count(*) FROM t', '3'), 'node3 has every row');
my $log3 = slurp_file($c->log('node3'));
like($log3, qr/creating this replica with method "record" failed \(exit status 3\)/,
	'the first method failed...');
like($log3, qr/replica created with method "pgbackrest"/, '... and the second, pgbackrest, made node3');
unlike($log3, qr/cloning from/, 'no pg_basebackup ran');
like($log3, qr/restored log file "[0-9A-F]{24}" from archive/, 'node3 replayed WAL from the archive');
my $args = slurp_file("$base/record.args");
like($args, qr/\A--stuff=on\n--scope=test\n--role=replica\n--datadir=\Q@{[ $c->data('node3') ]}\E\n--connstring=host=127\.0\.0\.1 port=$c->{port}{node1} /,
	"a method gets its options, then --scope, --role, --datadir and --connstring, as Patroni's");
ok(!-e $c->data('node3') . '/recovery.signal' && -e $c->data('node3') . '/standby.signal',
	'node3 runs as a standby');

# pghactl reinit uses the same methods
$c->stop('node3');
unlink "$base/record.args";
{
	my ($out, $in) = ('', '');
	IPC::Run::run([ 'pghactl', 'reinit', '--force', '-c', $c->{conf}{node3} ], '<', \$in, '>', \$out, '2>&1');
	is($? >> 8, 0, 'pghactl reinit of node3') or diag($out);
	like($out, qr/method "record" failed.*replica created with method "pgbackrest"/s,
		'... tried the methods in order: pgbackrest made the copy');
	ok(-e "$base/record.args", '... the first method ran again');
}
$c->start('node3');
ok($c->streams_from('node1', 'node3'), 'node3, reinitialized from the backup, streams from node1');

# ---- no leader: only a method tagged no_leader may run ----
# another node bootstraps the cluster (its lock): no copy from the backups
$etcd->put('/service/lone/initialize', '');
append_conf('node4', "pghactl.pgbackrest_no_leader = on");
$c->start('node4');
my $deadline = time + 30;
usleep(100_000) while time < $deadline && slurp_file($c->log('node4')) !~ /another node bootstraps cluster "lone"/;
like(slurp_file($c->log('node4')), qr/another node bootstraps cluster "lone" \(its initialize key is empty\): waiting/,
	'while another node bootstraps the cluster, node4 restores nothing, no_leader or not');
ok(!-e $c->data('node4') . '/PG_VERSION', '... its data directory stays empty');
$c->stop('node4');
append_conf('node4', "pghactl.pgbackrest_no_leader = off");
$etcd->put('/service/lone/initialize', $etcd->get('/service/test/initialize'));
$c->start('node4');
$deadline = time + 30;
usleep(100_000) while time < $deadline && slurp_file($c->log('node4')) !~ /waiting for a leader to clone from/;
like(slurp_file($c->log('node4')), qr/waiting for a leader to clone from/,
	'without a leader and without no_leader, node4 waits');
ok(!-e $c->data('node4') . '/PG_VERSION', '... with nothing restored');
$c->stop('node4');
append_conf('node4', "pghactl.pgbackrest_no_leader = on");
$c->start('node4');
ok($c->poll_sql('node4', 'SELECT count(*) FROM t', '3', 90), 'with no_leader, node4 is restored from the backup and the archive');
like(slurp_file($c->log('node4')), qr/replica created with method "pgbackrest"/, '... by pgbackrest');
$c->stop('node4');

# ---- a new cluster, restored to a point in time ----
# with pgBackRest's own recovery settings: its target, in postgresql.auto.conf
append_conf('node5',
	"pghactl.pitr_command = '" . pgbackrest_cmd('node5', qq(--type=time "--target=$target" restore)) . "'",
	"pghactl.pitr_keep_existing_recovery_conf = on");
$c->start('node5');
ok($etcd->poll_key('/service/restored/leader', qr/^node5$/, 120), 'node5 leads the restored cluster');
ok($c->poll_sql('node5', 'SELECT pg_is_in_recovery()', 'f'), 'node5 is a primary');
is($c->sql('node5', 'SELECT string_agg(x::text, \',\' ORDER BY x) FROM t'), '1,2',
	'it has what was committed by the target time, not after');
is($etcd->get('/service/restored/initialize'), $etcd->get('/service/test/initialize'),
	'initialize holds the restored system identifier');
unlike(slurp_file($c->data('node5') . '/postgresql.auto.conf'), qr/^\s*recovery_target/m,
	'no recovery target is left in its configuration (pgBackRest wrote one)');
my ($recovery) = slurp_file($c->log('node5')) =~ /(recovery of the restored backup runs.*?recovery ended with a promotion)/s;
ok(defined $recovery && $recovery =~ /recovery stopping before commit/, 'the recovery stopped at the target...');
unlike($recovery // '', qr/pgha decision|\[\d+\] pgha /, '... without the pgha worker');
$c->sql('node5', 'INSERT INTO t VALUES (50)');
is($c->sql('node5', 'SELECT count(*) FROM t WHERE x = 50'), '1', 'node5 takes writes');
$c->stop('node5');

# ---- a target beyond the archive: the bootstrap fails and gives back ----
append_conf('node6', "pghactl.pitr_recovery_conf_recovery_target_time = '2099-01-01 00:00:00+00'");
{
	my $out = '';
	IPC::Run::run([ 'pghactl', 'run', '-c', $c->{conf}{node6} ], '>', \$out, '2>&1',
		IPC::Run::timeout(180));
	my $rc = $? >> 8;
	is($rc, 4, 'pghactl run ends with status 4 when the bootstrap fails (the unit does not restart it)');
	like($out, qr/recovery ended before configured recovery target was reached/, "PostgreSQL's reason is in its output");
	like($out, qr/the bootstrap of cluster "beyond" with method "pitr" failed; pghactl run stops/, '... and pghactl says so');
	is($etcd->get('/service/beyond/initialize'), undef, 'the initialize lock was given back');
	opendir(my $d, $c->data('node6')) or die;
	is(scalar(grep { !/^\.\.?$/ } readdir $d), 0, 'the data directory is empty...');
	closedir $d;
	my @aside = glob($c->data('node6') . '_failed_*');
	ok(@aside == 1 && -e "$aside[0]/PG_VERSION", '... what the restore made is set aside, as Patroni does');
}

# ---- pghactl killed during the recovery: the next one resumes it ----
open my $held, '>', "$base/held-restore.sh" or die;
print $held "#!/bin/sh\nwhile [ -e $base/hold ]; do sleep 0.1; done\nexec "
  . pgbackrest_cmd('node9', 'archive-get') . " \"\$1\" \"\$2\"\n";
close $held;
chmod 0755, "$base/held-restore.sh";
open my $hold, '>', "$base/hold" or die;
close $hold;
append_conf('node9', "pghactl.pitr_recovery_conf_recovery_target_time = '$target'");
$c->start('node9');
$deadline = time + 60;
usleep(100_000) while time < $deadline && slurp_file($c->log('node9')) !~ /recovery of the restored backup runs/;
like(slurp_file($c->log('node9')), qr/recovery of the restored backup runs/, 'node9 restored the backup and recovers');
$c->{run}{node9}->signal('KILL');
eval { $c->{run}{node9}->finish };
delete $c->{run}{node9};
$deadline = time + 60;
usleep(100_000) while time < $deadline && -e $c->data('node9') . '/postmaster.pid';
ok(!-e $c->data('node9') . '/postmaster.pid', 'pghactl killed: the recovering server shut down');
is($etcd->get('/service/resumed/leader'), undef, 'nobody leads the cluster being restored');
unlink "$base/hold";
$c->start('node9');
ok($etcd->poll_key('/service/resumed/leader', qr/^node9$/, 120), 'the next pghactl run resumed it: node9 leads');
like(slurp_file($c->log('node9')), qr/resuming the bootstrap of cluster "resumed"/, '... saying so');
is($c->sql('node9', 'SELECT string_agg(x::text, \',\' ORDER BY x) FROM t'), '1,2',
	'it has what was committed by the target time');
$c->stop('node9');

# ---- archiving across a failover ----
# the host dies: pghactl run first (it would start the server again)
my $pm1 = pm_pid('node1');
$c->{run}{node1}->signal('KILL');
eval { $c->{run}{node1}->finish };
delete $c->{run}{node1};
kill 'KILL', $pm1;
ok($etcd->poll_key('/service/test/leader', qr/^node[23]$/, 60), 'a standby took over');
my $leader = $etcd->get('/service/test/leader');
ok($c->poll_sql($leader, 'SELECT pg_is_in_recovery()', 'f'), "$leader is the primary");
$c->sql($leader, 'INSERT INTO t VALUES (4)');
ok(wait_archived($leader), "$leader archives");
like($c->sql($leader, 'SELECT last_archived_wal FROM pg_stat_archiver'), qr/^00000002/,
	'... WAL of its new timeline');

# ---- a failed pg_rewind: node1 is cloned again ----
unlink "$base/bin1/pg_rewind";
open my $rw, '>', "$base/bin1/pg_rewind" or die;
print $rw "#!/bin/sh\necho 'pg_rewind: error: (test) could not rewind' >&2\nexit 1\n";
close $rw;
chmod 0755, "$base/bin1/pg_rewind";
# a segment still waiting for the archive: the data directory stays
my $ready = $c->data('node1') . '/pg_wal/archive_status/0000000100000000000000AA.ready';
open my $rf, '>', $ready or die;
close $rf;
$c->start('node1');
$deadline = time + 60;
usleep(100_000) while time < $deadline && slurp_file($c->log('node1')) !~ /not archived yet/;
like(slurp_file($c->log('node1')), qr/pg_rewind against "$leader" failed.*1 WAL segments of this node are not archived yet: keeping the data directory/s,
	'pg_rewind failed, and with a segment not archived node1 keeps its data directory');
ok(-e $ready, '... the segment with it');
# the other name of the option (Patroni's remove_data_directory_on_diverged_timelines) does the same
$c->stop('node1');
my $conf1 = slurp_file($c->{conf}{node1});
$conf1 =~ s/remove_data_directory_on_rewind_failure/remove_data_directory_on_diverged_timelines/ or die;
open my $cf, '>', $c->{conf}{node1} or die;
print $cf $conf1;
close $cf;
unlink $ready;
$c->start('node1');
ok($c->streams_from($leader, 'node1'), "once it is archived, node1 is cloned again and streams from $leader");
ok($c->poll_sql('node1', 'SELECT count(*) FROM t WHERE x = 4', '1'), 'node1 has the row written after the failover');
like(slurp_file($c->log('node1')), qr/not archived yet.*remove_data_directory_on_diverged_timelines is on: this node is cloned again/s,
	'pg_rewind failed, and with the option (remove_data_directory_on_diverged_timelines) node1 was cloned again');

# ---- a standby cluster, its standby leader made from the backup ----
$etcd->put('/service/dr/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,)
	  . qq("standby_cluster":{"host":"127.0.0.1","port":$c->{port}{$leader},"create_replica_methods":["pgbackrest"]}}));
$c->start('node7');
ok($etcd->poll_key('/service/dr/leader', qr/^node7$/, 90), 'node7 leads the standby cluster');
ok($etcd->poll_key('/service/dr/members/node7', qr/"role":"standby_leader"/, 30), '... as its standby leader');
is($etcd->get('/service/dr/initialize'), $etcd->get('/service/test/initialize'),
	"initialize holds the remote's system identifier");
my $log7 = slurp_file($c->log('node7'));
like($log7, qr/cluster "dr" is a new standby cluster: copying the remote primary 127\.0\.0\.1:$c->{port}{$leader}/,
	'pghactl copied the remote primary...');
like($log7, qr/replica created with method "pgbackrest"/, '... with the method the section names');
unlike($log7, qr/running initdb/, 'no initdb');
ok($c->streams_from($leader, 'node7'), "node7 streams from $leader, the remote primary");
$c->start('node8');
ok($etcd->poll_key('/service/dr/members/node8', qr/"replication_state":"streaming"/, 90),
	'node8 streams from the standby leader');
like(slurp_file($c->log('node8')), qr/cloning from "node7"/, '... a pg_basebackup copy of it (its own methods: basebackup)');
$c->sql($leader, 'INSERT INTO t VALUES (5)');
ok($c->poll_sql($_, 'SELECT count(*) FROM t WHERE x = 5', '1'), "$_ in the standby cluster has the new row")
  for ('node7', 'node8');

# ---- a new standby cluster whose lock is held by a node that died ----
$etcd->put('/service/dr2/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,)
	  . qq("standby_cluster":{"host":"127.0.0.1","port":$c->{port}{$leader}}}));
$etcd->put('/service/dr2/initialize', '');
$c->start('node11');
ok($etcd->poll_key('/service/dr2/members/node11', qr/"role":"standby_leader"/, 90),
	'node11 copies the remote and leads dr2 anyway: copies of the remote are all alike');
is($etcd->get('/service/dr2/initialize'), $etcd->get('/service/test/initialize'),
	"... and initialize holds the remote's system identifier");
ok(!-e $c->data('node11') . '/pghactl.standby_copy', '... the copy marker is gone once it did');
$c->stop('node11');

# ... and one whose first member was copied by hand under such a lock: it
# is checked against the remote (IDENTIFY_SYSTEM), marked, and claims
$etcd->put('/service/dr3/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,)
	  . qq("standby_cluster":{"host":"127.0.0.1","port":$c->{port}{$leader}}}));
$etcd->put('/service/dr3/initialize', '');
system('pg_basebackup', '-D', $c->data('node12'), '-h', '127.0.0.1', '-p', $c->{port}{$leader},
	'-U', $c->{user}, '-X', 'stream', '-R') == 0 or die 'pg_basebackup';
$c->start('node12');
ok($etcd->poll_key('/service/dr3/members/node12', qr/"role":"standby_leader"/, 90),
	'node12, copied by hand, leads dr3 once pghactl checked it against the remote');
unlike(slurp_file($c->log('node12')), qr/copying the remote primary/, '... without copying it again');
$c->stop('node12');

# ---- a standby cluster that follows the archive alone ----
$etcd->put('/service/arch/config', qq({"ttl":6,"loop_wait":1,"retry_timeout":2,)
	  . qq("standby_cluster":{"restore_command":"cp /x/%f %p","create_replica_methods":["pgbackrest"]}}));
$c->start('node10');
ok($etcd->poll_key('/service/arch/members/node10', qr/"role":"standby_leader"/, 90),
	'node10, restored from the backup, is the standby leader of a cluster that follows the archive');
like(slurp_file($c->log('node10')), qr/cluster "arch" is a new standby cluster: copying from the backups/,
	'pghactl made it from the backups (no remote to copy)');
is($c->sql('node10', "SELECT current_setting('primary_conninfo') || '|' || count(*) FROM pg_stat_wal_receiver"),
	'|0', 'it streams from nobody');
$c->sql($leader, 'INSERT INTO t VALUES (6)');
ok(wait_archived($leader), "$leader archived the row");
ok($c->poll_sql('node10', 'SELECT count(*) FROM t WHERE x = 6', '1'), 'node10 has it, from the archive');

done_testing();
