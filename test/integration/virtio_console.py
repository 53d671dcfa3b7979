# where: kvm
# timeout: 300
# virtio-console: the guest console on hvc0 (keel-vmm --console hvc0:unix:PATH) answers
# typed commands, and a named virtio-serial port (--channel) carries bytes both ways.
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import Vmm, fail, run  # noqa: E402

CHANNEL = "org.keel.agent.0"


def connect(path, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.settimeout(5)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                fail("cannot connect to %s" % path)
            time.sleep(0.1)


def read_until(s, needle, timeout):
    deadline = time.monotonic() + timeout
    data = b""
    while needle not in data:
        if time.monotonic() > deadline:
            fail("'%s' did not arrive within %ds; got %r" % (needle.decode(), timeout,
                                                             data[-300:]))
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            fail("the socket closed before '%s'; got %r" % (needle.decode(), data[-300:]))
        data += chunk
    return data


def hvc_console():
    work = tempfile.mkdtemp(prefix="keel-hvc-")
    path = os.path.join(work, "console.sock")
    vm = Vmm("shell", append_extra="console=hvc0",
             extra=["--console", "hvc0:unix:" + path])
    s = connect(path)
    read_until(s, b"=== Welcome to Keel ===", 180)
    time.sleep(1)
    s.sendall(b"echo hvc-$((40 + 2))-ok; cat /sys/class/tty/console/active\n")
    out = read_until(s, b"hvc-42-ok", 60)
    out += read_until(s, b"hvc0", 30)
    s.sendall(b"poweroff\n")
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm exited %d after poweroff on hvc0, want 0" % code)
    print("\nhvc0: a typed command ran and answered on the virtio console")


def channel():
    work = tempfile.mkdtemp(prefix="keel-chan-")
    path = os.path.join(work, "agent.sock")
    vm = Vmm("chantest", append_extra="keel.channel=" + CHANNEL,
             extra=["--channel", "name=%s,unix:%s" % (CHANNEL, path)])
    s = connect(path)
    read_until(s, b"hello from the guest\n", 180)
    s.sendall(b"pong from the host\n")
    vm.wait_for("CHANTEST got=pong from the host", 60)
    code = vm.wait_exit(60)
    if code != 0:
        fail("keel-vmm exited %d, want 0" % code)
    print("channel %s: a line each way" % CHANNEL)


def main():
    hvc_console()
    channel()


run(main)
