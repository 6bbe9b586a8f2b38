#!/usr/bin/env bash
# etcd-tls.sh start|stop DIR: a single-member etcd that speaks only TLS and
# demands client certificates, with certificates made here by openssl
# (etcd-tls.sh certs DIR makes only the certificates):
#   DIR/ca.crt              the CA that signed the server and client certs
#   DIR/other-ca.crt        an unrelated CA (must be refused)
#   DIR/client.crt/.key     a client certificate (CN=pgha)
#   DIR/client-nocn.crt/.key  one without a Common Name (for etcd with auth on)
#   DIR/other-client.crt/.key  a client certificate of the unrelated CA
#   DIR/url                 https://127.0.0.1:PORT
# The server certificate carries both serverAuth and clientAuth: etcd 3.4's
# gateway dials its own gRPC port with it (reference/etcd-v3-json.md s. 8).
set -euo pipefail
cmd=$1
dir=$2

# Ports above the kernel's ephemeral range (an outgoing connection can hold
# any port inside it without listening) and outside PostgreSQL::Test's
# range, as scripts/etcd-cluster.sh picks them; a port with any socket on
# it, listening or not, is skipped.
free_port() {
	local p lo hi eph_hi
	read -r _ eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph_hi=60999
	lo=$((eph_hi + 1)); hi=65535
	if ((hi - lo < 500)); then lo=3000; hi=10199; fi
	for _ in $(seq 1 200); do
		p=$((lo + RANDOM % (hi - lo)))
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
	echo "no free port" >&2
	exit 1
}

# a test CA, another CA, a server certificate for 127.0.0.1 and client certificates
make_certs() {
	mkdir -p "$dir"
	cd "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pgha test CA" \
		-keyout ca.key -out ca.crt 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" \
		-keyout other-ca.key -out other-ca.crt 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > server.ext
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile server.ext -out server.crt 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' > client.ext
	openssl req -newkey rsa:2048 -nodes -subj "/CN=pgha" -keyout client.key -out client.csr 2>/dev/null
	openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile client.ext -out client.crt 2>/dev/null
	# etcd 3.4's JSON gateway refuses every request from a certificate with
	# a Common Name once auth is on ("CommonName of client sending a request
	# against gateway will be ignored"): with auth, use one without
	openssl req -newkey rsa:2048 -nodes -subj "/O=pgha client" -keyout client-nocn.key \
		-out client-nocn.csr 2>/dev/null
	openssl x509 -req -in client-nocn.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile client.ext -out client-nocn.crt 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=stranger" -keyout other-client.key \
		-out other-client.csr 2>/dev/null
	openssl x509 -req -in other-client.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -days 2 \
		-extfile client.ext -out other-client.crt 2>/dev/null
}

case "$cmd" in
certs)
	make_certs
	;;
start)
	make_certs
	cport=$(free_port)
	pport=$(free_port)
	nohup etcd --name tls1 --data-dir "$dir/data" \
		--listen-client-urls "https://127.0.0.1:$cport" --advertise-client-urls "https://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "tls1=http://127.0.0.1:$pport" \
		--cert-file server.crt --key-file server.key --trusted-ca-file ca.crt --client-cert-auth \
		> "$dir/etcd.log" 2>&1 &
	echo $! > "$dir/etcd.pid"
	echo "https://127.0.0.1:$cport" > "$dir/url"
	for _ in $(seq 1 150); do
		if curl -s --cacert ca.crt --cert client.crt --key client.key "https://127.0.0.1:$cport/health" 2>/dev/null | grep -q '"health":"true"'; then
			exit 0
		fi
		sleep 0.1
	done
	echo "TLS etcd did not become healthy:" >&2
	tail -20 "$dir/etcd.log" >&2
	exit 1
	;;
stop)
	if [ -f "$dir/etcd.pid" ]; then
		kill "$(cat "$dir/etcd.pid")" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$(cat "$dir/etcd.pid")" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$(cat "$dir/etcd.pid")" 2>/dev/null || true
	fi
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
