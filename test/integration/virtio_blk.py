# where: kvm
# timeout: 400
# The guest's root is an ext4 image on virtio-blk (root=/dev/vda): it writes 4 MiB of random
# data and its checksum, syncs and powers off; the image passes e2fsck -fn and holds the same
# data. The same image offered read-only refuses writes in the guest and is left unchanged.
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import GUEST, Vmm, fail, run  # noqa: E402


def debugfs_cat(image, path):
    out = subprocess.run(["debugfs", "-R", "cat " + path, image], capture_output=True,
                         check=True)
    return out.stdout


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
    line = [l for l in vm.text().splitlines() if l.startswith("DISKTEST sha256=")][0]
    want = line.split("=", 1)[1].strip()
    fsck = subprocess.run(["e2fsck", "-fn", image], capture_output=True, text=True)
    if fsck.returncode != 0:
        fail("e2fsck -fn found problems (exit %d):\n%s" % (fsck.returncode, fsck.stdout))
    data = debugfs_cat(image, "/data.bin")
    if len(data) != 4 << 20:
        fail("/data.bin holds %d bytes, want 4 MiB" % len(data))
    if hashlib.sha256(data).hexdigest() != want:
        bad = []
        for i in range(4):
            m = re.search(r"DISKTEST mib%d=(\w+)" % i, vm.text())
            if m and hashlib.sha256(data[i << 20:(i + 1) << 20]).hexdigest() != m.group(1):
                bad.append(i)
        fail("/data.bin on the image does not match the checksum the guest printed "
             "(MiB that differ: %s)" % bad)
    if debugfs_cat(image, "/data.sha256").decode().split()[0] != want:
        fail("/data.sha256 on the image differs from what the guest printed")
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
