# where: kvm
# timeout: 200
# virtio-rng: the guest's hw_random core picks the virtio source and reads 1 MiB from
# /dev/hwrng, with MSI-X and again with INTx only (pci=nomsi).
import sys

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import Vmm, fail, run  # noqa: E402


def read_hwrng(append_extra):
    vm = Vmm("rngtest", extra=["--rng"], append_extra=append_extra)
    vm.wait_for("RNGTEST current=", 180)
    code = vm.wait_exit(60)
    out = vm.text()
    if "RNGTEST bytes=1048576 " not in out:
        fail("the guest did not read 1 MiB from /dev/hwrng")
    if "RNGTEST current=virtio_rng" not in out:
        fail("the guest's hwrng is not the virtio device")
    if code != 0:
        fail("keel-vmm exited %d, want 0" % code)


def main():
    read_hwrng("")
    print("\nvirtio-rng: 1 MiB read from /dev/hwrng (MSI-X)")
    # Without MSI the device interrupts through INTA# on the IOAPIC, as routed by the _PRT.
    read_hwrng("pci=nomsi")
    print("virtio-rng: 1 MiB read from /dev/hwrng (INTx, pci=nomsi)")


run(main)
