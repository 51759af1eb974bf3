# Shared by the end-to-end scripts that boot VMs (sourced from the top of
# the tree, after "cd"): V, the host tool; T, a scratch directory whose
# run/ is the runtime directory of every VM the script starts (so that
# "stop --all" at exit stops those and no other); and tests/tap.sh.
#   e2e_setup NAME
#   e2e_start VM AFTER_SEC RUN_ARGS...
e2e_setup() {
	V=build/vmreclaim
	T=$(mktemp -d "/tmp/vmreclaim-e2e-$1-XXXXXX")
	export VMRECLAIM_RUNTIME_DIR=$T/run
	trap '$V stop --all >/dev/null 2>&1; rm -rf "$T"' EXIT
	. tests/tap.sh
}

# "vmreclaim run -d" of VM (its output in $T/VM.run, shown when it fails;
# $started counts the VMs that started), and in the background its
# recording until AFTER_SEC after the workload's "idle" event, at most
# 240 s whatever happens ($T/VM.csv; top's messages in $T/VM.top).
e2e_start() {
	_vm=$1
	_after=$2
	shift 2
	if $V run -d --name "$_vm" "$@" >"$T/$_vm.run" 2>&1; then
		started=$((started + 1))
	else
		cat "$T/$_vm.run"
	fi
	$V top --name "$_vm" --quiet --record "$T/$_vm.csv" --until-event idle --after "$_after" \
		--duration 240 >/dev/null 2>"$T/$_vm.top" &
}
