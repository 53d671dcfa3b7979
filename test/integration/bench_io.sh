# where: host
# timeout: 1500
# suite: full
# The I/O bench (test/bench/io): keel-vmm beside QEMU on virtio-blk and virtio-net.
source "$(dirname "$0")/../lib.sh"
"$top/test/bench/io" 5 || fail "a VMM failed in the I/O bench"
