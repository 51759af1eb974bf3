# Shared by the benchmark scenarios (sourced, not run).
# vrinit.size=F on the kernel command line scales the sizes.
size=1
BURN_SEC=60
for w in $(cat /proc/cmdline); do
	case $w in
	vrinit.size=*) size=${w#*=} ;;
	vrinit.burn=*) BURN_SEC=${w#*=} ;;
	esac
done
mib() { echo $(($1 * size)); }
ev() { echo "vmreclaim-event: $1"; }
# KiB read from the data disk (sectors are 512 bytes).
disk_read_kib() { read -r _ _ sectors _ </sys/block/vda/stat; echo $((sectors / 2)); }
start() {
	sleep 3
	# Refaults and disk reads every 10 s, from a program that does not
	# fork (a shell loop would make the guest look busy).
	vrload metrics 10 &
	ev work-start
}
# The build scenario's work (bench-build.sh, buildprobe.sh): three rounds
# of allocating, reading sources, and CPU work.
build_rounds() {
	for i in 1 2 3; do
		vrload anon "$(mib 256)M" 1 >/dev/null &
		anon=$!
		vrload read /data/hot >/dev/null
		vrload burn 5 >/dev/null
		# Only this round's allocation: a bare "wait" would also wait
		# for start's metrics printer, which never ends.
		wait "$anon"
	done
}
finish() {
	ev work-end
	ev idle
}
