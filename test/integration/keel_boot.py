# where: kmod
# timeout: 500
# keel-vmm --accel keel boots the Debian kernel and busybox initramfs on keel.ko, one vCPU:
# - with the local APIC in keel.ko and the IOAPIC in keel-vmm: the APIC timer is the clock
#   event device and ticks, the guest's kernel logs no warning (XSAVE, MSRs), exit 0;
# - with the PIC only (nolapic): banner, power off, exit 0;
# - with its root on virtio-blk, twice with MSI-X through the APIC, once with INTx through
#   the slave PIC (nolapic pci=nomsi): 4 MiB written, the image passes e2fsck and holds it.
# Then keel-vmm is killed with SIGKILL at random moments during boot 20 times; rmmod keel
# succeeds and the kernel log holds no warning or oops.
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import GUEST, TOP, Vmm, check_disktest_image, fail, run  # noqa: E402

KILLS = 20


def kernel_log_clean():
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    bad = [l for l in log.splitlines()
           if any(k in l for k in ("WARNING:", "BUG:", "Oops", "general protection fault"))]
    if bad:
        fail("the kernel log has warnings: %s" % bad[:5])


def guest_log_clean(vm):
    bad = [l for l in vm.text().splitlines()
           if any(k in l for k in ("WARNING:", "XSAVE consistency", "unchecked MSR access",
                                   "BUG:", "Call Trace"))]
    if bad:
        fail("the guest's kernel logs problems: %s" % bad[:5])


def main():
    subprocess.run(["insmod", TOP + "/kmod/keel.ko"], check=True)
    vm = Vmm("apictest", memory=384, append_extra="keel.busy=3", extra=["--accel", "keel"])
    took = vm.wait_for("APICTEST done", 180)
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm --accel keel exited %d after the APIC test, want 0" % code)
    guest_log_clean(vm)
    text = vm.text()
    m = re.search(r"APICTEST clockevent=(\S+)", text)
    if not m or not m.group(1).startswith("lapic"):
        fail("the guest's clock event device is %s, want the local APIC" %
             (m.group(1) if m else "unknown"))
    m = re.search(r"APICTEST irq LOC: (\d+)", text)
    if not m or int(m.group(1)) < 100:
        fail("the local APIC timer interrupted the guest %s times, want >= 100" %
             (m.group(1) if m else "no"))
    if not re.search(r"APICTEST cpu0=[1-9]", text):
        fail("the guest's busy loop made no progress")
    print("\nkeel.ko, local APIC: clock event device %s, %s local timer interrupts, done "
          "after %.1f s, exit 0" % (re.search(r"clockevent=(\S+)", text).group(1),
                                     m.group(1) if m else "?", took))

    vm = Vmm("poweroff", append_extra="nolapic", extra=["--accel", "keel"])
    took = vm.wait_for("=== Welcome to Keel ===", 180)
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm --accel keel exited %d after poweroff, want 0" % code)
    if "cpus: 1" not in vm.text():
        fail("the guest does not report its one CPU")
    guest_log_clean(vm)
    print("\nkeel.ko, PIC only: banner after %.1f s, powered off with exit 0" % took)

    image = os.path.join(tempfile.mkdtemp(prefix="keel-kblk-"), "root.ext4")
    for i, how in enumerate(("", "", "nolapic pci=nomsi")):
        shutil.copy(os.path.join(GUEST, "root.ext4"), image)
        vm = Vmm("disktest", memory=384, append_extra=how + " root=/dev/vda",
                 extra=["--accel", "keel", "--disk", image])
        took = vm.wait_for("DISKTEST sha256=", 120)
        code = vm.wait_exit(60)
        if code != 0:
            fail("keel-vmm --accel keel exited %d after the disk test, want 0" % code)
        want = check_disktest_image(vm, image)
        print("\nkeel.ko, root on virtio-blk (%s), run %d: 4 MiB written in %.1f s, sha256 %s, "
              "e2fsck clean, same data on the image" %
              (how or "MSI-X", i + 1, took, want))

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
