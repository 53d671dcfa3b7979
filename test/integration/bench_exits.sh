# where: host
# timeout: 3000
# suite: full
# The exit bench (test/bench/exits): ns per exit on keel.ko and on KVM.
source "$(dirname "$0")/../lib.sh"
"$top/test/bench/exits" 1000000 || fail "the exit bench failed"
