# Shared by the end-to-end scripts that boot VMs (sourced from the top of
# the tree, after "cd"): V, the host tool; T, a scratch directory whose
# run/ is the runtime directory of every VM the script starts (so that
# "stop --all" at exit stops those and no other); and tests/tap.sh.
#   e2e_setup NAME
e2e_setup() {
	V=build/vmreclaim
	T=$(mktemp -d "/tmp/vmreclaim-e2e-$1-XXXXXX")
	export VMRECLAIM_RUNTIME_DIR=$T/run
	trap '$V stop --all >/dev/null 2>&1; rm -rf "$T"' EXIT
	. tests/tap.sh
}
