# where: kvm
# timeout: 60
# The micro guests of keel_micro run on KVM too (kvm-micro): the test program itself is
# checked against the reference hypervisor.
source "$(dirname "$0")/../lib.sh"
expect_exit 0 timeout 50 "$build/test/kvm-micro"
echo "$out"
