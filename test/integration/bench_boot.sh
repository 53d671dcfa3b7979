# where: host
# timeout: 1500
# suite: full
# The boot bench (test/bench/boot): keel-vmm beside QEMU (and kvmtool with KVMTOOL=path).
source "$(dirname "$0")/../lib.sh"
"$top/test/bench/boot" 3 || fail "a VMM did not boot in the bench"
