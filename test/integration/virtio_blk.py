# where: kvm
# timeout: 400
# The guest's root is an ext4 image on virtio-blk (root=/dev/vda): it writes 4 MiB of random
# data and its checksum, syncs and powers off; the image passes e2fsck -fn and holds the same
# data. The same image offered read-only refuses writes in the guest and is left unchanged.
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import GUEST, Vmm, check_disktest_image, fail, run  # noqa: E402


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    work = tempfile.mkdtemp(prefix="keel-blk-")
    image = os.path.join(work, "root.ext4")
    shutil.copy(os.path.join(GUEST, "root.ext4"), image)

    vm = Vmm("disktest", memory=384, append_extra="root=/dev/vda",
             extra=["--disk", image + ",serial=KEEL-DISK-0"])
    vm.wait_for("DISKTEST sha256=", 180)
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm exited %d after the disk test, want 0" % code)
    if "DISKTEST serial=KEEL-DISK-0" not in vm.text():
        fail("the guest does not see the disk's serial KEEL-DISK-0")
    want = check_disktest_image(vm, image)
    print("\nroot disk: the guest wrote 4 MiB, sha256 %s; e2fsck clean, same data" % want)

    before = sha256_file(image)
    vm = Vmm("rotest", memory=384, append_extra="root=/dev/vda keel.rootro=1",
             extra=["--disk", image + ",readonly"])
    vm.wait_for("ROTEST write-", 180)
    code = vm.wait_exit(60)
    if "ROTEST write-refused" not in vm.text():
        fail("a write to the read-only disk succeeded in the guest")
    if "device_ro=1" not in vm.text():
        fail("the guest does not see /dev/vda as read-only")
    if code != 0:
        fail("keel-vmm exited %d after the read-only test, want 0" % code)
    if sha256_file(image) != before:
        fail("the read-only image changed")
    print("read-only disk: writes refused in the guest, image unchanged")

    # A machine reset while the disk is busy: the devices stop, the guest boots again from it.
    vm = Vmm("counter", memory=384, append_extra="root=/dev/vda",
             extra=["--disk", image, "--rng"])
    vm.wait_for("tick 2", 180)
    vm.command("reset")
    vm.wait_for("=== Welcome to Keel ===", 180, count=2)
    vm.wait_for("tick 2", 60, count=2)
    status = vm.command("query-status")["return"]
    if status["resets"] != 1:
        fail("query-status reports %s resets, want 1" % status["resets"])
    vm.command("quit")
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm exited %d after quit, want 0" % code)
    print("reset with the root disk in use: the guest booted again from it")
    shutil.rmtree(work)


run(main)
