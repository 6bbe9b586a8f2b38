#!/bin/sh
# move-vip.sh: a virtual IP that follows the primary, as pghactl run's
# callbacks (pghactl.on_start, on_role_change, on_stop; docs/operations.md).
# pghactl calls it as: move-vip.sh <action> <role> <scope>
#
# PGHA_VIP (address/prefix) and PGHA_VIP_DEV (interface) say which address
# on which interface; they can be set in the command itself:
#   pghactl.on_role_change = 'env PGHA_VIP=10.0.0.100/24 PGHA_VIP_DEV=eth0 /usr/local/bin/move-vip.sh'
# The postgres user runs it: sudo lets it change the address, nothing else
# (/etc/sudoers.d/pgha-vip):
#   postgres ALL=(root) NOPASSWD: /usr/sbin/ip addr add *, /usr/sbin/ip addr del *, /usr/sbin/arping *
set -u
vip=${PGHA_VIP:?set PGHA_VIP, e.g. 10.0.0.100/24}
dev=${PGHA_VIP_DEV:?set PGHA_VIP_DEV, e.g. eth0}
action=$1
role=$2

case "$action:$role" in
on_stop:*)
	# the server stopped: the address goes with it
	sudo -n /usr/sbin/ip addr del "$vip" dev "$dev" 2>/dev/null
	;;
*:primary | *:master)
	# promoted, or started as the primary: take the address and tell the
	# network (gratuitous ARP), so clients and switches learn the new host
	sudo -n /usr/sbin/ip addr add "$vip" dev "$dev" 2>/dev/null
	sudo -n /usr/sbin/arping -q -c 3 -U -I "$dev" "${vip%/*}" 2>/dev/null
	;;
*)
	# a replica never holds it
	sudo -n /usr/sbin/ip addr del "$vip" dev "$dev" 2>/dev/null
	;;
esac
# a callback's exit status is only logged; the address is what counts
exit 0
