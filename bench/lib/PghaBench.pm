
# bench/lib/PghaBench.pm: what bench/compare.pl and bench/scenarios.pl
# share: statistics, the write probes, 3-node clusters of each kind (pgha,
# Patroni, plain streaming replication without an HA agent) behind one
# interface, /proc and etcd /metrics readers, and the table writers
# (terminal text and markdown).
#
# A cluster here is a hash: kind ('pgha', 'patroni', 'plain'), etcd (a
# Pgha::Etcd, not for 'plain'), ports (PostgreSQL ports, node 1 first),
# names, plus what each kind needs to stop and start its nodes.  Node 1
# is the first primary.

package PghaBench;

use strict;
use warnings;

use Exporter 'import';
use File::Path qw(make_path);
use IPC::Run ();
use MIME::Base64 ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use POSIX ();
use Test::More;
use Time::HiRes qw(time usleep);
use Time::Local ();

use Pgha::Etcd;
use Pgha::Node;
use Pgha::Patroni;

our @EXPORT = qw(median mmm children_of url_of first_write psql_at
  pgha_cluster patroni_cluster plain_cluster stop_cluster primary_index kill_primary
  cold_start steady_state pgbench_tps write_log
  text_table md_table);

my $n = 0;    # makes every cluster's names, scope and directories unique
my $clk_tck = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

# Settings every node of the new scenarios runs with, whatever its kind,
# so that the agents are the only difference.  The test framework's own
# (shared_buffers 1MB, max_connections 10, log_statement = all) would make
# pgbench measure the logging, and logging every statement of pgha's worker
# would charge pgha for it.  fsync stays off as everywhere in the test
# framework: pgbench then measures CPU (where an agent's overhead shows)
# rather than this VM's disk flushes.
our %PG_PARAMS = (
	shared_buffers => '128MB',
	max_connections => 100,
	log_statement => 'none',
	log_replication_commands => 'off',
	max_wal_size => '1GB',
	fsync => 'off',
	synchronous_commit => 'on',
);

sub median { my @s = sort { $a <=> $b } @_; return @s ? $s[ int($#s / 2) ] : undef; }

# (min, median, max); -1s when no run gave a value
sub mmm { my @s = sort { $a <=> $b } @_; return @s ? ($s[0], median(@s), $s[-1]) : (-1, -1, -1); }

sub children_of { my ($pid) = @_; return grep { /^\d+$/ } split /\s+/, `pgrep -P $pid`; }

sub url_of
{
	return 'postgresql://' . join(',', map { "127.0.0.1:$_" } @_)
	  . '/postgres?target_session_attrs=read-write&connect_timeout=1';
}

# one query on one port; undef if it failed
sub psql_at
{
	my ($port, $sql) = @_;
	my $out = `psql -X -qAt -h 127.0.0.1 -p $port -d postgres -c "$sql" 2>/dev/null`;
	return undef if $?;
	chomp $out;
	return $out;
}

# seconds from $t0 until an INSERT is accepted through $url (one attempt
# every 50 ms, 180 s at most); undef if none was
sub first_write
{
	my ($url, $t0) = @_;
	while (time - $t0 < 180)
	{
		return time - $t0
		  if system('psql', '-X', '-q', '-d', $url, '-c', 'INSERT INTO w DEFAULT VALUES') == 0;
		usleep(50_000);
	}
	return undef;
}

# ---------------------------------------------------------------- clusters

# pgha: node 1 bootstraps, the other two are cloned from it; returns once
# both stream.  $params: extra settings (hashref), $api: start pgha's REST
# API too (Patroni always has one).
sub pgha_cluster
{
	my (%o) = @_;
	my ($ttl, $loop, $retry) = @{ $o{timing} };
	my $id = ++$n;
	my $scope = "pgha$id";
	my $etcd = Pgha::Etcd->new(members => 3);
	# $o{config}: more of the config key, as JSON members ('"synchronous_mode":true')
	$etcd->put("/service/$scope/config",
		qq({"ttl":$ttl,"loop_wait":$loop,"retry_timeout":$retry) . ($o{config} ? ",$o{config}" : '') . '}');
	# as in production (the test framework turns it off): a crashed worker
	# restarts the instance
	my @extra = ('restart_after_crash = on', map { "$_ = '$o{params}{$_}'" } sort keys %{ $o{params} // {} });
	my @api = $o{api} ? map { PostgreSQL::Test::Cluster::get_free_port() } 1 .. 3 : ();
	my $n1 = Pgha::Node::new_node("g${id}n1", etcd => $etcd, scope => $scope, extra_conf => \@extra,
		@api ? (api_port => $api[0]) : ());
	$n1->start;
	$etcd->poll_key("/service/$scope/leader", qr/n1$/, 60) or die 'pgha: no leader';
	$n1->safe_psql('postgres', 'CREATE EXTENSION pgha; CREATE TABLE w (id serial PRIMARY KEY, t timestamptz DEFAULT now())');
	my @r = map {
		my $x = Pgha::Node::new_replica("g${id}n$_", $n1, etcd => $etcd, scope => $scope, extra_conf => \@extra,
			@api ? (api_port => $api[ $_ - 1 ]) : ());
		$x->start;
		$x
	} (2, 3);
	Pgha::Node::streaming($n1, $_->name) or die 'pgha: ' . $_->name . ' not streaming' for @r;
	my @nodes = ($n1, @r);
	return { kind => 'pgha', etcd => $etcd, scope => $scope, nodes => \@nodes,
		ports => [ map { $_->port } @nodes ], names => [ map { $_->name } @nodes ] };
}

# plain streaming replication, no HA agent: the baseline for pgbench
sub plain_cluster
{
	my (%o) = @_;
	my $id = ++$n;
	my @conf = ("listen_addresses = '127.0.0.1'", map { "$_ = '$o{params}{$_}'" } sort keys %{ $o{params} // {} });
	my $n1 = PostgreSQL::Test::Cluster->new("plain${id}n1");
	$n1->init(allows_streaming => 1);
	$n1->append_conf('postgresql.conf', join("\n", @conf));
	$n1->start;
	$n1->safe_psql('postgres', 'CREATE TABLE w (id serial PRIMARY KEY, t timestamptz DEFAULT now())');
	$n1->backup('plainbase');
	my $user = getpwuid($<);
	my @r = map {
		my $name = "plain${id}n$_";
		my $x = PostgreSQL::Test::Cluster->new($name);
		# the settings come with the backup; init_from_backup sets the port.
		# Streaming as pgha and Patroni set it up: over TCP, each standby
		# with its own physical slot on the primary
		$x->init_from_backup($n1, 'plainbase', has_streaming => 1);
		$n1->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('$name')");
		$x->append_conf('postgresql.conf', "primary_conninfo = 'host=127.0.0.1 port=" . $n1->port
			  . " user=$user application_name=$name'\nprimary_slot_name = '$name'");
		$x->start;
		$x
	} (2, 3);
	$n1->poll_query_until('postgres', "SELECT count(*) = 2 FROM pg_stat_replication WHERE state = 'streaming'")
	  or die 'plain: replicas not streaming';
	my @nodes = ($n1, @r);
	return { kind => 'plain', nodes => \@nodes, ports => [ map { $_->port } @nodes ],
		names => [ map { $_->name } @nodes ] };
}

# Patroni 3.0.2 (Debian's): node 1 bootstraps, then the other two clone
# from it; returns once both stream and table w exists.
sub patroni_cluster
{
	my (%o) = @_;
	my $id = ++$n;
	my $etcd = Pgha::Etcd->new(members => 3);
	my $dir = "$PostgreSQL::Test::Utils::tmp_check/patroni$id";
	make_path($dir);
	my $scope = "p${id}n1-cluster";
	my $c = { kind => 'patroni', etcd => $etcd, scope => $scope, dir => $dir, ports => [], names => [],
		confs => [], agents => [] };
	for my $i (1 .. 3)
	{
		my $name = "p${id}n$i";
		my $pgport = PostgreSQL::Test::Cluster::get_free_port();
		my $api = PostgreSQL::Test::Cluster::get_free_port();
		push @{ $c->{ports} }, $pgport;
		push @{ $c->{names} }, $name;
		push @{ $c->{confs} }, Pgha::Patroni::conf(dir => $dir, name => $name, scope => $scope, pgport => $pgport,
			apiport => $api, etcd => $etcd, timing => $o{timing}, params => $o{params});
		start_patroni_agent($c, $i - 1);
		# let the first one bootstrap before the others clone
		if ($i == 1)
		{
			$etcd->poll_key("/service/$scope/leader", qr/^$name$/, 120) or die 'patroni: no leader';
		}
	}
	wait_streaming($c->{ports}[0], 180, @{ $c->{names} }[ 1, 2 ]) or die 'patroni: replicas not streaming';
	psql_at($c->{ports}[0], 'CREATE TABLE w (id serial PRIMARY KEY, t timestamptz DEFAULT now())');
	return $c;
}

sub start_patroni_agent
{
	my ($c, $i) = @_;
	my $name = $c->{names}[$i];
	$c->{agents}[$i] = Pgha::Patroni::start($c->{confs}[$i], "$c->{dir}/$name.log");
	return;
}

sub patroni_agent_pids { my ($c, $i) = @_; return Pgha::Patroni::agent_pids($c->{confs}[$i]); }

# true once the standbys @names stream from the server at $port.  By name:
# while Patroni clones a replica, pg_basebackup's own WAL stream shows in
# pg_stat_replication as 'streaming' too (application_name pg_basebackup)
sub wait_streaming
{
	my ($port, $timeout, @names) = @_;
	my $in = join ',', map { "'$_'" } @names;
	my $deadline = time + $timeout;
	while (time < $deadline)
	{
		my $out = psql_at($port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name IN ($in)");
		return 1 if defined $out && $out eq '2';
		usleep(200_000);
	}
	return 0;
}

# the postmaster pid of node $i, from its pid file (undef if it is down)
sub postmaster_pid
{
	my ($c, $i) = @_;
	my $data = $c->{kind} eq 'patroni' ? "$c->{dir}/$c->{names}[$i].data" : $c->{nodes}[$i]->data_dir;
	open my $fh, '<', "$data/postmaster.pid" or return undef;
	my $pid = <$fh>;
	close $fh;
	chomp $pid if defined $pid;
	# a postmaster killed with SIGKILL may stay a zombie: not running
	return $pid && $pid =~ /^\d+$/ && Pgha::Node::_alive($pid) ? $pid : undef;
}

# the HA agent's own processes on node $i: pgha's worker and API worker,
# Patroni's daemon
sub agent_pids
{
	my ($c, $i) = @_;
	return patroni_agent_pids($c, $i) if $c->{kind} eq 'patroni';
	return () if $c->{kind} eq 'plain';
	my $out = psql_at($c->{ports}[$i], "SELECT pid FROM pg_stat_activity WHERE backend_type IN ('pgha', 'pgha api')");
	return grep { /^\d+$/ } split /\s+/, $out // '';
}

# index of the node that is the primary now (after a cold start it need
# not be node 1)
sub primary_index
{
	my ($c) = @_;
	for my $i (0 .. 2) { return $i if (psql_at($c->{ports}[$i], 'SELECT pg_is_in_recovery()') // '') eq 'f'; }
	die "$c->{kind}: no primary";
}

# The faults of bench/compare.pl on the current primary: 'postmaster kill
# -9' (only the postmaster) or 'node loss' (the postmaster, all its
# children and a Patroni agent, at once)
sub kill_primary
{
	my ($c, $i, $fault) = @_;
	my $pm = postmaster_pid($c, $i) or die "$c->{kind}: node $i is not running";
	my @victims = ($pm);
	push @victims, children_of($pm), ($c->{kind} eq 'patroni' ? agent_pids($c, $i) : ()) if $fault eq 'node loss';
	kill_at_once(@victims);
	return;
}

# SIGKILL for every process of @pids as one event, as a power loss would:
# all are stopped first.  Killed one after the other, a child woken by the
# postmaster's death could act before its own SIGKILL came (on 2 busy
# cores, pgha's worker released the leader key in 17 ms that way).
sub kill_at_once
{
	my (@pids) = @_;
	kill 'STOP', reverse @pids;    # the postmaster, listed first, last
	kill 'KILL', @pids;
	return;
}

# Stop everything, quietly: for the end of a run, whatever state it is in.
sub stop_cluster
{
	my ($c) = @_;
	if ($c->{kind} eq 'patroni')
	{
		for my $a (grep { defined } @{ $c->{agents} }) { eval { $a->signal('TERM') }; }
		for my $a (grep { defined } @{ $c->{agents} }) { eval { $a->finish }; }
		# a postmaster the agent could not stop (killed agent): only ours,
		# by the data directory on its command line
		system("pkill -9 -f '$c->{dir}/' 2>/dev/null");
	}
	else
	{
		for my $i (0 .. 2)
		{
			my $node = $c->{nodes}[$i];
			if (postmaster_pid($c, $i)) { $node->_update_pid(1); $node->stop('immediate', fail_ok => 1); }
			else { Pgha::Node::forget_if_down($node); }
		}
	}
	$c->{etcd}->stop if $c->{etcd};
	return;
}

# ---------------------------------------------------------------- cold start

# Does $key exist?  One range request to etcd's JSON gateway with curl:
# a few ms, where an etcdctl process takes tens, so that the cold start's
# poll loop sees the key soon after it appears.
sub leader_key_exists
{
	my ($etcd, $key) = @_;
	my $b64 = MIME::Base64::encode_base64($key, '');
	for my $url (@{ $etcd->urls })
	{
		my $out = `curl -s --max-time 1 -X POST -d '{"key":"$b64","keys_only":true}' $url/v3/kv/range`;
		next if $? || $out !~ /^\{/;
		return $out =~ /"kvs"/ ? 1 : 0;
	}
	return 0;
}

# Stop all three nodes cleanly, wait until no leader key is left, then
# start all three at once (their data directories initialized: a primary
# and two clones).  Returns seconds from the start to (a leader key, the
# first write accepted through the multi-host URL, 2 standbys streaming
# from the new primary; undef for what did not happen within 120 s), then
# the name in the leader key and the nodes that are down at the end.
#
# With pgha, all three race for the free key at once: a standby may win
# it, and the former primary, which PostgreSQL started writable (no
# standby.signal), then fences itself (fence_other_leader) and stays down
# without "pghactl run": never 2 standbys, so the wait stops once a node
# is down for good.
sub cold_start
{
	my ($c) = @_;
	my $key = "/service/$c->{scope}/leader";
	if ($c->{kind} eq 'patroni')
	{
		# Patroni stops PostgreSQL and deletes its leader key on SIGTERM
		for my $a (@{ $c->{agents} }) { $a->signal('TERM'); }
		for my $a (@{ $c->{agents} }) { $a->finish; }
	}
	else
	{
		# standbys first, so that none races for the key of the primary
		# still stopping
		$_->stop('fast') for reverse @{ $c->{nodes} };
	}
	# pgha's key, if not released, goes with its lease: at most ttl
	$c->{etcd}->poll_key($key, undef, 60) or die "$c->{kind}: the leader key stayed after the stop";

	my $t0 = time;
	if ($c->{kind} eq 'patroni') { start_patroni_agent($c, $_) for 0 .. 2; }
	else
	{
		# pg_ctl -W: do not wait, so that the three start together
		for my $node (@{ $c->{nodes} })
		{
			system('pg_ctl', '-W', '-D', $node->data_dir, '-l', $node->logfile, '-o', '--cluster-name=' . $node->name,
				'start') == 0 or die 'pg_ctl start failed for ' . $node->name;
		}
	}
	my $url = url_of(@{ $c->{ports} });
	my ($leader, $write, $streaming);
	my @down;
	# until both standbys stream and the key was seen (the write gate
	# keeps writes for the key, but a poll may miss the moment between)
	while (time - $t0 < 120 && !(defined $streaming && defined $leader))
	{
		# pg_ctl -W returns before the pid files exist: judge after 5 s
		@down = grep { !postmaster_pid($c, $_) } 0 .. 2 if $c->{kind} ne 'patroni' && time - $t0 > 5;
		last if @down && defined $write;
		# not clamped to the first write: were a former primary restarted
		# without standby.signal to accept writes before its agent holds
		# the key, the table should show it (pgha's write gate and
		# Patroni's start as a standby both prevent it)
		$leader //= time - $t0 if !defined $leader && leader_key_exists($c->{etcd}, $key);
		$write //= time - $t0
		  if !defined $write && system("psql -X -q -d '$url' -c 'INSERT INTO w DEFAULT VALUES' >/dev/null 2>&1") == 0;
		if (defined $write && !defined $streaming)
		{
			my $s = `psql -X -qAt -d '$url' -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name <> 'pg_basebackup'" 2>/dev/null`;
			$streaming = time - $t0 if $s =~ /^2$/m;
		}
		usleep(50_000) unless defined $streaming && defined $leader;
	}
	# the framework's bookkeeping: the nodes run again (or not)
	if ($c->{kind} ne 'patroni')
	{
		for my $i (0 .. 2)
		{
			if (postmaster_pid($c, $i)) { $c->{nodes}[$i]->_update_pid(1); }
			else { Pgha::Node::forget_if_down($c->{nodes}[$i]); }
		}
	}
	my $holder = eval { $c->{etcd}->get($key, 1) };
	return ($leader, $write, $streaming, $holder, [ map { $c->{names}[$_] } @down ]);
}

# ---------------------------------------------------------------- steady state

# utime + stime (+ cutime + cstime: reaped children, e.g. the pg_controldata
# Patroni runs) of a process, in seconds; 0 for a process that is gone
sub cpu_seconds
{
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	my $stat = <$fh>;
	close $fh;
	# the fields after "(comm)": state is field 3, utime 14 ... cstime 17
	$stat =~ s/^.*\) //s;
	my @f = split ' ', $stat;
	return ($f[11] + $f[12] + $f[13] + $f[14]) / $clk_tck;
}

# kB from /proc/PID/smaps_rollup: Rss, Pss, Private_Clean + Private_Dirty
sub memory_kb
{
	my ($pid) = @_;
	my %m = (Rss => 0, Pss => 0, Private => 0);
	open my $fh, '<', "/proc/$pid/smaps_rollup" or return \%m;
	while (<$fh>)
	{
		$m{$1} += $2 if /^(Rss|Pss):\s+(\d+) kB/;
		$m{Private} += $2 if /^Private_(Clean|Dirty):\s+(\d+) kB/;
	}
	close $fh;
	return \%m;
}

# CPU of every process of node $i: the postmaster and its children (for
# pgha that includes the worker), counting children reaped meanwhile
# through the postmaster's cutime, plus the agent if it is not a child
sub node_cpu
{
	my ($c, $i) = @_;
	my $pm = postmaster_pid($c, $i) or return 0;
	my $s = cpu_seconds($pm);
	$s += cpu_seconds($_) for children_of($pm);
	$s += cpu_seconds($_) for ($c->{kind} eq 'patroni' ? agent_pids($c, $i) : ());
	return $s;
}

# counters of one etcd member's /metrics that we use
sub etcd_counters
{
	my ($url) = @_;
	my %m = (proposals => 0, leader => 0, requests => 0);
	for (split /\n/, `curl -s --max-time 5 $url/metrics`)
	{
		$m{proposals} = $1 if /^etcd_server_proposals_committed_total (\S+)/;
		$m{leader} = $1 if /^etcd_server_is_leader (\S+)/;
		# every request message a member received: one per unary call
		# (Range, Txn, Put, LeaseGrant ...), one per message of a stream
		# (LeaseKeepAlive, Watch)
		$m{requests} += $1 if /^grpc_server_msg_received_total\{.*\} (\S+)/;
		# ... and by method (Range, Txn, LeaseKeepAlive, ...)
		$m{"method:$1"} += $2 if /^grpc_server_msg_received_total\{.*grpc_method="([^"]+)".*\} (\S+)/;
	}
	return \%m;
}

# A healthy cluster left alone for $window seconds.  Returns a hashref:
# proposals/s committed (on the etcd leader: every member commits every
# proposal, a sum would count each 3 times), etcd request messages/s
# (summed over the members: each request reaches one), agent CPU seconds
# (summed over the 3 nodes), all CPU of the 3 nodes (PostgreSQL + agent),
# and the agent's memory per node (mean of the 3 nodes, MiB).
sub steady_state
{
	my ($c, $window) = @_;
	my @urls = @{ $c->{etcd}->urls };
	my @agents = map { [ agent_pids($c, $_) ] } 0 .. 2;
	die "$c->{kind}: no agent process found on a node" if grep { !@$_ } @agents;
	my $agent_cpu = sub { my $s = 0; $s += cpu_seconds($_) for map { @$_ } @agents; $s };
	my $all_cpu = sub { my $s = 0; $s += node_cpu($c, $_) for 0 .. 2; $s };
	my @e0 = map { etcd_counters($_) } @urls;
	my ($a0, $n0, $t0) = ($agent_cpu->(), $all_cpu->(), time);
	sleep $window;    # the measurement window itself: nothing to wait for
	my @e1 = map { etcd_counters($_) } @urls;
	my ($a1, $n1, $t1) = ($agent_cpu->(), $all_cpu->(), time);
	my $dt = $t1 - $t0;
	my ($lead) = grep { $e1[$_]{leader} } 0 .. $#e1;
	die 'etcd: no leader in /metrics' unless defined $lead;
	my $req = 0;
	$req += $e1[$_]{requests} - $e0[$_]{requests} for 0 .. $#e1;
	# request messages /s by method, summed over the members
	my %by_method;
	for my $i (0 .. $#e1)
	{
		for my $k (grep { /^method:/ } keys %{ $e1[$i] })
		{
			(my $method = $k) =~ s/^method://;
			$by_method{"req_$method"} += ($e1[$i]{$k} - ($e0[$i]{$k} // 0)) / $dt;
		}
	}
	my %mem = (Rss => 0, Pss => 0, Private => 0);
	for my $m (map { memory_kb($_) } map { @$_ } @agents) { $mem{$_} += $m->{$_} for keys %mem; }
	return {
		proposals => ($e1[$lead]{proposals} - $e0[$lead]{proposals}) / $dt,
		requests => $req / $dt,
		agent_cpu => $a1 - $a0,
		node_cpu => $n1 - $n0,
		(map { ("mem_$_" => $mem{$_} / 3 / 1024) } keys %mem),
		%by_method,
	};
}

# ---------------------------------------------------------------- pgbench

# pgbench (TPC-B-like) on the primary at $port once the standbys have
# replayed everything the initialization wrote; returns tps
sub pgbench_tps
{
	my ($port, %o) = @_;
	my $scale = $o{scale} // 10;
	my $secs = $o{seconds} // 30;
	my @conn = ('-h', '127.0.0.1', '-p', $port);
	system('pgbench', '-i', '-q', '-s', $scale, @conn, 'postgres') == 0 or die 'pgbench -i failed';
	psql_at($port, 'CHECKPOINT');
	my $deadline = time + 120;
	until ((psql_at($port, 'SELECT count(*) FROM pg_stat_replication WHERE replay_lsn = pg_current_wal_lsn()') // '') eq '2')
	{
		die 'pgbench: the standbys did not catch up' if time > $deadline;
		usleep(200_000);
	}
	my $out = `pgbench -c 4 -j 2 -T $secs -h 127.0.0.1 -p $port postgres 2>&1`;
	die "pgbench failed: $out" if $?;
	return $out =~ /tps = ([\d.]+) \(without initial connection time\)/ ? $1 : die "pgbench: no tps in $out";
}

# ---------------------------------------------------------------- write log

# A writer around a fault: one INSERT through $url every 50 ms; $fault->()
# is called after $before seconds.  Every attempt goes to $file as
# "<seconds since the fault, monotonic clock> <1|0> <server port or ->".
# Stops $after seconds after the first write accepted after the fault (or
# 120 s after the fault).  Returns seconds from the fault to that write.
sub write_log
{
	my ($url, $file, $fault, %o) = @_;
	my ($before, $after) = ($o{before} // 3, $o{after} // 3);
	my $mono = sub { Time::HiRes::clock_gettime(Time::HiRes::CLOCK_MONOTONIC()) };
	open my $fh, '>', $file or die "cannot write $file: $!";
	my $start = $mono->();
	my ($tf, $back);
	while (1)
	{
		if (!defined $tf && $mono->() - $start >= $before) { $tf = $mono->(); $fault->(); }
		my $t = $mono->();
		my $out = `psql -X -qAt -d '$url' -c "INSERT INTO w DEFAULT VALUES RETURNING inet_server_port()" 2>/dev/null`;
		my $ok = $out =~ /^(\d+)$/m ? $1 : undef;
		printf $fh "%.3f %d %s\n", $t - ($tf // $start + $before), defined $ok ? 1 : 0, $ok // '-';
		$back //= $t - $tf if defined $tf && defined $ok && $t > $tf;
		last if defined $back && $t - $tf > $back + $after;
		last if defined $tf && $t - $tf > 120;
		usleep(50_000);
	}
	close $fh;
	return $back;
}

# ---------------------------------------------------------------- events

# The events of $key, stamped: a child process (its pid returned; stop it
# with kill TERM => -pid) writes "<epoch> <line>" for each line of etcdctl
# watch into $file
sub watch_key
{
	my ($etcd, $key, $file) = @_;
	my $pid = fork() // die "fork: $!";
	return $pid if $pid;
	# the test's handlers (they stop its servers) are not the child's
	$SIG{$_} = 'DEFAULT' for qw(TERM INT HUP);
	setpgrp(0, 0);
	$ENV{ETCDCTL_API} = 3;
	open(my $out, '>', $file) or die "$file: $!";
	$out->autoflush(1);
	open(my $w, '-|', 'etcdctl', '--endpoints=' . $etcd->endpoints, 'watch', $key) or die "etcdctl: $!";
	while (my $line = <$w>) { printf $out "%.6f %s", time, $line; }
	POSIX::_exit(0);    # no END block, no destructor of the test's objects
}

# the times (epoch) of a node's log lines at or after $since that match $re
sub log_times
{
	my ($node, $re, $since) = @_;
	my @t;
	open(my $fh, '<', $node->logfile) or return ();
	while (my $line = <$fh>)
	{
		next unless $line =~ /^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+\.\d+) UTC/;
		my $t = Time::Local::timegm(0, $5, $4, $3, $2 - 1, $1) + $6;
		push @t, $t if $t >= $since && $line =~ $re;
	}
	return @t;
}

# the first of them, undef if none
sub log_time { return (log_times(@_))[0]; }

# ---------------------------------------------------------------- tables

# $rows: arrayrefs of cells; numbers with 2 decimals, 3 below 1 (CPU
# seconds of an idle agent, sub-second times)
sub _cell
{
	my ($v) = @_;
	return '-' unless defined $v;
	# a count stays a count
	return $v if $v =~ /^-?\d+$/;
	return $v unless $v =~ /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;
	return sprintf(abs($v) < 1 ? '%.3f' : '%.2f', $v);
}

sub text_table
{
	my ($title, $head, $rows) = @_;
	my @all = ($head, map { [ map { _cell($_) } @$_ ] } @$rows);
	my @w = map { my $i = $_; (sort { $b <=> $a } map { length($_->[$i] // '') } @all)[0] } 0 .. $#$head;
	my $out = "\n$title\n";
	for my $r (@all)
	{
		$out .= join('  ', map { $_ == 0 ? sprintf("%-*s", $w[$_], $r->[$_]) : sprintf("%*s", $w[$_], $r->[$_]) } 0 .. $#$r) . "\n";
	}
	return $out;
}

sub md_table
{
	my ($title, $head, $rows) = @_;
	my $out = "### $title\n\n| " . join(' | ', @$head) . " |\n|" . join('|', map { $_ == 0 ? '---' : '---:' } 0 .. $#$head) . "|\n";
	$out .= '| ' . join(' | ', map { _cell($_) } @$_) . " |\n" for @$rows;
	return "$out\n";
}

1;
