# Shared by the black-box and end-to-end scripts (sourced from the top of
# the tree): one "ok - ..." / "not ok - ..." line per check, as
# scripts/run-tests.sh counts them; "skip - ..." for a case left out on
# purpose (counted apart, never as a pass).
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }
# no_vm: true when the caller asked for no real VM (VR_TEST_NO_VM=1, as
# `make test` does): the cases that boot a real QEMU then skip.
no_vm() { [ "${VR_TEST_NO_VM:-0}" = 1 ]; }
check() { # check DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
