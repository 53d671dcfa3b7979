# where: kvm
# timeout: 400
# virtio-net on a TAP that keel-vmm creates: the guest gets a static address and the
# configured MAC; the test host sends it 64 MiB over TCP and gets the same bytes back.
# Queue kicks must arrive as doorbells (ioeventfd), not as vCPU exits. Then the same with a
# TAP fd handed to keel-vmm (--net fd=N), as a management daemon does.
import fcntl
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import Vmm, fail, run  # noqa: E402

TAP = "keeltap0"
MAC = "52:54:00:ab:cd:ef"
HOST_IP, GUEST_IP = "10.0.2.2", "10.0.2.15"
SIZE = 64 << 20


def echo_round_trip(size=SIZE):
    payload = os.urandom(1 << 20)
    want = hashlib.sha256()
    got = hashlib.sha256()
    received = [0]
    s = socket.create_connection((GUEST_IP, 5001), timeout=30)
    s.settimeout(60)

    def reader():
        while received[0] < size:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got.update(chunk)
            received[0] += len(chunk)

    t = threading.Thread(target=reader)
    t.start()
    start = time.monotonic()
    for _ in range(size // len(payload)):
        s.sendall(payload)
        want.update(payload)
    s.shutdown(socket.SHUT_WR)
    t.join(120)
    took = time.monotonic() - start
    s.close()
    if received[0] != size:
        fail("got %d bytes back of %d" % (received[0], size))
    if got.hexdigest() != want.hexdigest():
        fail("the bytes echoed back differ from the ones sent")
    return took


def open_tap(name):
    """A TAP with virtio-net headers, as a management daemon would hand it over."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    iff_tap, iff_no_pi, iff_vnet_hdr = 0x0002, 0x1000, 0x4000
    fcntl.ioctl(fd, 0x400454ca,  # TUNSETIFF
                struct.pack("16sH", name.encode(), iff_tap | iff_no_pi | iff_vnet_hdr))
    return fd


def inherited_fd():
    name = "keeltap1"
    fd = open_tap(name)
    vm = Vmm("nettest", memory=384, append_extra="keel.ip=%s/24" % GUEST_IP,
             extra=["--net", "fd=%d" % fd], pass_fds=(fd,))
    os.close(fd)
    vm.wait_for("NETTEST ready", 180)
    subprocess.run(["ip", "addr", "add", HOST_IP + "/24", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)
    if "NETTEST mac=52:54:00:12:34:56" not in vm.text():
        fail("the guest does not see the default MAC 52:54:00:12:34:56")
    echo_round_trip(4 << 20)
    vm.command("powerdown")
    if vm.wait_exit(60) != 0:
        fail("keel-vmm with an inherited TAP fd did not exit 0")
    print("inherited TAP fd: 4 MiB echoed, default MAC")


def main():
    vm = Vmm("nettest", memory=384, append_extra="keel.ip=%s/24" % GUEST_IP,
             extra=["--net", "tap=%s,mac=%s" % (TAP, MAC)])
    vm.wait_for("NETTEST ready", 180)
    subprocess.run(["ip", "addr", "add", HOST_IP + "/24", "dev", TAP], check=True)
    subprocess.run(["ip", "link", "set", TAP, "up"], check=True)
    if "NETTEST mac=%s" % MAC not in vm.text():
        fail("the guest does not see MAC %s" % MAC)
    took = echo_round_trip()
    print("\nvirtio-net: 64 MiB echoed through the guest in %.1f s (%.1f MiB/s each way)" %
          (took, SIZE / took / (1 << 20)))
    stats = vm.command("query-virtio")["return"]
    net = [d for d in stats if d["device"] == "virtio-net"][0]
    print("virtio-net counters: %s" % net)
    if net["kicks"] == 0:
        fail("no queue kicks were counted")
    if net["kick-exits"] != 0:
        fail("%d kicks came as vCPU exits, want 0 (doorbells)" % net["kick-exits"])
    vm.command("powerdown")
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm exited %d after the power button, want 0" % code)
    inherited_fd()


run(main)
