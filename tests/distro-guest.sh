#!/bin/sh
# The guest half of tests/e2e/distro.sh, run once by a oneshot unit in the
# Debian 12 guest (scripts/mkdistro.sh puts it there), its output on the
# serial console.  Installs the package as a user would, checks the unit
# and vmreclaimctl, runs the workload the host measures, removes the
# package and powers off.
#   vrtest: ok - ... / not ok - ... / # ...   results, read by the host
#   vmreclaim-event: NAME                     phases, timed by the host
# Not itself a test: tests/e2e/*.sh are, and this is not among them.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "vrtest: $*"; }
ev() { echo "vmreclaim-event: $1"; }
check() { # check DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then say "ok - $_d"; else say "not ok - $_d"; fi
}
quote() { sed 's/^/vrtest: #   /' "$1"; }
# reclaim and dropcache runs so far, from the text status.
actions() {
	vmreclaimctl status 2>/dev/null |
		awk '($1 == "reclaim" || $1 == "dropcache") && $3 ~ /^runs/ { n += $2 } END { print n + 0 }'
}

ev booted
say "# guest kernel $(uname -r), $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"

# The package, as on any Debian system (no network: its one library,
# libinih1, is in the image).
if apt-get install -y -q /root/vmreclaimd.deb >/tmp/apt.log 2>&1; then
	say "ok - apt-get install of the .deb"
else
	say "not ok - apt-get install of the .deb"
	quote /tmp/apt.log
fi
check "the unit is enabled on installation" systemctl -q is-enabled vmreclaimd
check "the unit is active on installation" systemctl -q is-active vmreclaimd
check "the binaries are where Debian expects them" test -x /usr/sbin/vmreclaimd -a -x /usr/bin/vmreclaimctl
check "/etc/vmreclaim.conf is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" vmreclaimd | grep -q " /etc/vmreclaim.conf "'
check "the man pages are installed" test -e /usr/share/man/man8/vmreclaimd.8.gz -a -e /usr/share/man/man5/vmreclaim.conf.5.gz
if vmreclaimctl status >/tmp/status 2>&1; then
	say "ok - vmreclaimctl status works (root)"
else
	say "not ok - vmreclaimctl status works (root)"
fi
quote /tmp/status
# The hardened unit on a stock Debian kernel: nothing the daemon needs is
# missing (status shows "degraded" otherwise).
check "nothing degraded under the hardened unit" sh -c '! grep -qi degraded /tmp/status'
check "the service logged no error" sh -c '[ -z "$(journalctl -q -u vmreclaimd -p err --no-pager)" ]'
# Status is open to every user; actions are root's.
if setpriv --reuid=nobody --regid=nogroup --clear-groups vmreclaimctl status >/dev/null 2>/tmp/user; then
	say "ok - vmreclaimctl status works as a user who is not root"
else
	say "not ok - vmreclaimctl status works as a user who is not root: $(head -n 1 /tmp/user)"
fi
check "a user who is not root cannot ask for a compaction" \
	sh -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups vmreclaimctl compact >/dev/null 2>&1'

# A reload with settings the daemon rejects fails, and the service keeps
# running on the settings it had; a good one succeeds.
cp /etc/vmreclaim.conf /tmp/good.conf
printf '[experimental]\nautoMemoryReclaim = sometimes\n' >/etc/vmreclaim.conf
check "systemctl reload fails on settings the daemon rejects" sh -c '! systemctl reload vmreclaimd 2>/dev/null'
check "and the service is still running" systemctl -q is-active vmreclaimd
check "and the error is in the journal at err priority" \
	sh -c 'journalctl -q -u vmreclaimd -p err --no-pager | grep -q "autoMemoryReclaim"'
cp /tmp/good.conf /etc/vmreclaim.conf
check "systemctl reload succeeds on good settings" systemctl reload vmreclaimd

# Anonymous memory taken and freed: free page reporting returns it.
sleep 5
ev anon-start
vrload anon 512M 2
ev anon-freed
sleep 30

# Files read into the page cache, then left alone: at the shipped
# defaults the service reclaims the cold cache once it has not grown for
# idleSeconds (120 s).  Waited for here, up to 300 s, then 30 s more for
# free page reporting to hand the pages back.
mkdir -p /mnt/data
mount -o ro /dev/vdb /mnt/data || say "not ok - the data disk mounts"
before=$(actions)
ev read-start
vrload read /mnt/data
ev read-end
i=0
while [ "$(actions)" -le "$before" ] && [ $i -lt 300 ]; do
	sleep 5
	i=$((i + 5))
done
if [ "$(actions)" -gt "$before" ]; then
	say "ok - the service reclaimed the cold cache (after about $i s)"
else
	say "not ok - the service reclaimed the cold cache within 300 s"
fi
sleep 30
ev cold
vmreclaimctl status >/tmp/status 2>&1
quote /tmp/status
umount /mnt/data

# Removal stops the service and leaves no link behind.
if apt-get remove -y -q vmreclaimd >/tmp/apt.log 2>&1; then
	say "ok - apt-get remove vmreclaimd"
else
	say "not ok - apt-get remove vmreclaimd"
	quote /tmp/apt.log
fi
check "the service is stopped on removal" sh -c '! systemctl -q is-active vmreclaimd && ! pidof vmreclaimd >/dev/null'
# Debian keeps a removed package's enablement with its configuration
# (deb-systemd-helper), so the link goes with purge.
check "the conffile stays until purge" test -e /etc/vmreclaim.conf
apt-get purge -y -q vmreclaimd >/dev/null 2>&1
check "purge removes /etc/vmreclaim.conf" test ! -e /etc/vmreclaim.conf
check "no multi-user.target.wants link is left after purge" \
	test ! -e /etc/systemd/system/multi-user.target.wants/vmreclaimd.service -a \
	! -L /etc/systemd/system/multi-user.target.wants/vmreclaimd.service

# From source, as the README says: "make install-guest" (staged on the
# host), enable --now, then "make uninstall" with the service running.
cp -a /root/from-source/. /
systemctl daemon-reload
systemctl enable --now vmreclaimd >/dev/null 2>&1
check "from source: the service runs after enable --now" systemctl -q is-active vmreclaimd
make -s -C /root/src uninstall PREFIX=/usr/local >/tmp/make.log 2>&1 || quote /tmp/make.log
check "make uninstall stops the running service" sh -c '! systemctl -q is-active vmreclaimd && ! pidof vmreclaimd >/dev/null'
check "make uninstall leaves no multi-user.target.wants link" \
	test ! -e /etc/systemd/system/multi-user.target.wants/vmreclaimd.service -a \
	! -L /etc/systemd/system/multi-user.target.wants/vmreclaimd.service
check "make uninstall removes the binaries and the unit" \
	test ! -e /usr/local/sbin/vmreclaimd -a ! -e /usr/local/bin/vmreclaimctl -a \
	! -e /usr/local/lib/systemd/system/vmreclaimd.service
rm -f /etc/vmreclaim.conf
ev finished
systemctl poweroff
