# where: kmod
# timeout: 600
# keel-vmm --accel keel boots the Debian kernel and busybox initramfs on keel.ko (one vCPU,
# the PIC only: nolapic until the local APIC moves into the kernel) to its banner and
# powers off with exit 0; the same guest with its root on virtio-blk writes a file whose
# checksum the host finds on the image. Then keel-vmm is killed with SIGKILL at random
# moments during boot 20 times; rmmod keel succeeds and the kernel log holds no warning
# or oops.
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import GUEST, TOP, Vmm, fail, run  # noqa: E402

KILLS = 20


def kernel_log_clean():
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    bad = [l for l in log.splitlines()
           if any(k in l for k in ("WARNING:", "BUG:", "Oops", "general protection fault"))]
    if bad:
        fail("the kernel log has warnings: %s" % bad[:5])


def main():
    subprocess.run(["insmod", TOP + "/kmod/keel.ko"], check=True)
    vm = Vmm("poweroff", append_extra="nolapic", extra=["--accel", "keel"])
    took = vm.wait_for("=== Welcome to Keel ===", 180)
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm --accel keel exited %d after poweroff, want 0" % code)
    if "cpus: 1" not in vm.text():
        fail("the guest does not report its one CPU")
    print("\nkeel.ko: banner after %.1f s, powered off with exit 0" % took)

    # The same guest with its root on virtio-blk (INTx through the PIC, kicks as MMIO exits
    # that keel.ko decodes).
    work = tempfile.mkdtemp(prefix="keel-kblk-")
    image = os.path.join(work, "root.ext4")
    shutil.copy(os.path.join(GUEST, "root.ext4"), image)
    vm = Vmm("disktest", memory=384, append_extra="nolapic pci=nomsi root=/dev/vda",
             extra=["--accel", "keel", "--disk", image])
    vm.wait_for("DISKTEST sha256=", 240)
    code = vm.wait_exit(60)
    line = [l for l in vm.text().splitlines() if l.startswith("DISKTEST sha256=")][0]
    want = line.split("=", 1)[1].strip()
    data = subprocess.run(["debugfs", "-R", "cat /data.bin", image], capture_output=True,
                          check=True).stdout
    if code != 0 or hashlib.sha256(data).hexdigest() != want:
        fail("root on virtio-blk under keel.ko: exit %d, data %s" %
             (code, "matches" if hashlib.sha256(data).hexdigest() == want else "differs"))
    if subprocess.run(["e2fsck", "-fn", image], capture_output=True).returncode != 0:
        fail("the image written under keel.ko does not pass e2fsck -fn")
    shutil.rmtree(work)
    print("keel.ko: root on virtio-blk, 4 MiB written and read back by checksum, e2fsck clean")

    rng = random.Random(int(time.time()))
    for i in range(KILLS):
        vm = Vmm("poweroff", append_extra="nolapic", extra=["--accel", "keel"],
                 control=False)
        delay = rng.uniform(0.05, 6.0)
        time.sleep(delay)
        vm.kill()
        print("kill %d after %.2f s" % (i + 1, delay))
    r = subprocess.run(["rmmod", "keel"], capture_output=True, text=True)
    if r.returncode != 0:
        fail("rmmod keel after %d kills: %s" % (KILLS, r.stderr.strip()))
    kernel_log_clean()
    print("%d SIGKILLs during boot: rmmod keel succeeded, kernel log clean" % KILLS)


run(main)
