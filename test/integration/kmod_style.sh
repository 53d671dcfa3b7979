# where: host
# timeout: 120
# kmod/ passes the kernel's checkpatch.pl --no-tree (--strict), every file.
source "$(dirname "$0")/../lib.sh"
cd "$top"
scripts/checkpatch || fail "checkpatch found problems in kmod/"
echo "checkpatch: kmod/ is clean"
