# where: kvm
# timeout: 60
# A real-mode guest on the test host's /dev/kvm writes a byte to a port and halts.
source "$(dirname "$0")/../lib.sh"
grep -qw svm /proc/cpuinfo || fail "no svm flag inside the test host"
expect_exit 0 "$build/test/kvm-realmode"
echo "$out"
expect_in "$out" "OUT 0x4b to port 0x3f8, then HLT" "kvm-realmode output"
