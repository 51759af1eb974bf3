# Shared by the black-box and end-to-end scripts (sourced from the top of
# the tree): one "ok - ..." / "not ok - ..." line per check, as
# scripts/run-tests.sh counts them.
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
