# where: kmod
# timeout: 600
# keel-vmm --accel keel boots the Debian kernel and busybox initramfs on keel.ko:
# - 4 vCPUs, 1 GiB, local APICs in keel.ko and the IOAPIC in keel-vmm: 4 CPUs online, the
#   APIC timer is the clock event device and ticks on every CPU, the clock source is keel.ko's
#   paravirtual clock (kvm-clock), a busy loop pinned on each
#   CPU makes progress, the guest's kernel logs no warning (XSAVE, MSRs), exit 0;
# - the guest's clock is within 2.5 s of the host's after a 5 s pause;
# - save and restore: a paused 2-vCPU guest's vCPU, local APIC and clock state is restored
#   into a new keel.ko VM in the same process 3 times (reload-accel); its counter carries on
#   and its clock stays within 2.5 s; a disk guest finishes its disk test across a restore;
# - one vCPU with the PIC only (nolapic): banner, power off, exit 0;
# - its root on virtio-blk, with 2 vCPUs and MSI-X through the APICs twice, once with INTx
#   through the slave PIC (nolapic pci=nomsi): 4 MiB written, e2fsck clean, same data.
# Then keel-vmm (4 vCPUs, a virtio disk) is killed with SIGKILL at random moments during
# boot 20 times; rmmod keel succeeds and the kernel log holds no warning or oops.
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


TICK = re.compile(r"tick (\d+) at=(\d+)\r?\n")


def next_tick(vm):
    """Waits for the next whole 'tick N at=EPOCH' line: (N, EPOCH, the host's time then)."""
    seen = len(TICK.findall(vm.text()))
    deadline = time.monotonic() + 30
    while len(TICK.findall(vm.text())) <= seen:
        if time.monotonic() > deadline or vm.proc.poll() is not None:
            fail("the guest's counter stopped at %d ticks" % seen)
        time.sleep(0.02)
    host = time.time()
    n, at = TICK.findall(vm.text())[-1]
    return int(n), int(at), host


def clock_across_pause():
    """The guest's clock (kvm-clock) follows the host's through a 5 s pause."""
    vm = Vmm("counter", cpus=2, extra=["--accel", "keel"])
    vm.wait_for("tick 3 ", 120)
    vm.command("pause")
    time.sleep(5)
    vm.command("resume")
    next_tick(vm)
    _, guest, host = next_tick(vm)
    vm.command("quit")
    vm.wait_exit(30)
    if abs(host - guest) > 2.5:
        fail("after a 5 s pause the guest's clock is %.1f s off the host's" % (guest - host))
    print("\nkeel.ko: after a 5 s pause the guest's clock is %.1f s off the host's" %
          (guest - host))


def restore_into_new_vm():
    """vCPU, APIC and clock state saved from a paused guest and restored into a new VM."""
    vm = Vmm("counter", cpus=2, extra=["--accel", "keel"])
    vm.wait_for("tick 3 ", 120)
    for i in range(3):
        vm.command("pause")
        r = vm.command("reload-accel", timeout=60)
        if "return" not in r:
            fail("reload-accel: %s" % r)
        vm.command("resume")
        for _ in range(3):
            _, guest, host = next_tick(vm)
    status = vm.command("query-status")["return"]
    vm.command("quit")
    vm.wait_exit(30)
    numbers = [int(n) for n, _ in TICK.findall(vm.text())]
    if numbers != list(range(1, len(numbers) + 1)):
        fail("the guest's counter did not carry on across the restores: %s" % numbers)
    if vm.text().count("=== Welcome to Keel ===") != 1:
        fail("the guest booted again instead of carrying on")
    if status.get("accel-reloads") != 3:
        fail("query-status reports %s reloads, want 3" % status.get("accel-reloads"))
    if abs(host - guest) > 2.5:
        fail("after 3 restores the guest's clock is %.1f s off the host's" % (guest - host))
    guest_log_clean(vm)
    print("\nkeel.ko: 2 vCPUs saved and restored into a new VM 3 times; the counter carried "
          "on to %d, the clock %.1f s off the host's" % (numbers[-1], guest - host))

    # With devices: the disk's interrupt eventfds and doorbells move to the new VM too.
    image = os.path.join(tempfile.mkdtemp(prefix="keel-restore-"), "root.ext4")
    shutil.copy(os.path.join(GUEST, "root.ext4"), image)
    vm = Vmm("disktest", cpus=2, memory=384, append_extra="root=/dev/vda",
             extra=["--accel", "keel", "--disk", image])
    vm.wait_for("virtio_blk virtio0: [vda]", 120)
    r = vm.command("reload-accel", timeout=60)
    if "return" not in r:
        fail("reload-accel with a disk: %s" % r)
    vm.wait_for("DISKTEST sha256=", 120)
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm exited %d after the disk test across a restore, want 0" % code)
    want = check_disktest_image(vm, image)
    print("keel.ko: root on virtio-blk across a restore into a new VM: sha256 %s, e2fsck "
          "clean" % want)


def main():
    subprocess.run(["insmod", TOP + "/kmod/keel.ko"], check=True)
    vm = Vmm("apictest", cpus=4, memory=1024, append_extra="keel.busy=5",
             extra=["--accel", "keel"])
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
    m = re.search(r"APICTEST clocksource=(\S+)", text)
    if not m or m.group(1) != "kvm-clock":
        fail("the guest's clock source is %s, want keel.ko's paravirtual clock (kvm-clock)" %
             (m.group(1) if m else "unknown"))
    if "APICTEST cpus=4" not in text:
        fail("the guest does not have 4 CPUs online")
    m = re.search(r"APICTEST irq LOC: ([\d ]+) Local", text)
    ticks = [int(t) for t in m.group(1).split()] if m else []
    if len(ticks) != 4 or min(ticks) < 100:
        fail("local timer interrupts per CPU: %s, want >= 100 on each of 4" % ticks)
    loops = [int(n) for n in re.findall(r"APICTEST cpu\d=(\d+)", text)]
    if len(loops) != 4 or min(loops) == 0:
        fail("busy loops per CPU: %s, want progress on each of 4" % loops)
    print("\nkeel.ko, 4 vCPUs: clock event device %s, clock source %s, local timer interrupts "
          "%s, busy-loop iterations %s, done after %.1f s, exit 0" %
          (re.search(r"clockevent=(\S+)", text).group(1),
           re.search(r"clocksource=(\S+)", text).group(1), ticks, loops, took))

    clock_across_pause()
    restore_into_new_vm()

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
        vm = Vmm("disktest", cpus=1 if how else 2, memory=384,
                 append_extra=how + " root=/dev/vda", extra=["--accel", "keel", "--disk", image])
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
        vm = Vmm("disktest", cpus=4, memory=512, append_extra="root=/dev/vda",
                 extra=["--accel", "keel", "--disk", image], control=False)
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
