# where: host
# timeout: 180
# virtkeeld with Debian's virsh and python3-libvirt as clients, nothing started (no guest
# runs on this machine): version, nodeinfo, capabilities; define, list, dominfo, dumpxml
# (generated uuid and MAC filled in, metadata verbatim); definitions Keel cannot run are
# refused naming the element and leave nothing behind; the read-only socket lists but
# refuses changes; a malformed or oversized packet closes that client only; 20 clients at
# once; a slow start holds up neither a later call on its connection (answered out of
# order) nor another client; unknown procedures answer "not supported"; definitions survive a restart; the
# python API receives the defined/undefined lifecycle events; undefine; make install
# installs the daemon, keel-vmm and the systemd units.
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from keeltest import fail, run  # noqa: E402
from virtkeeld import Virtkeeld, domain_xml  # noqa: E402


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def check_refusals(d, tmp):
    base = domain_xml("refused", disk="/tmp/none.img", bridge="br0")
    cases = [
        (base.replace("bus='virtio'", "bus='ide'"), "unsupported disk bus 'ide'"),
        (base.replace("type='raw'", "type='qcow2'"), "unsupported disk format 'qcow2'"),
        (base.replace("<input type='mouse' bus='ps2'/>", "<graphics type='vnc'/>"),
         "unsupported device <graphics>"),
        (base.replace("<interface type='bridge'><source bridge='br0'/>",
                      "<interface type='network'><source network='default'/>"),
         "unsupported interface type 'network'"),
        (base.replace("<domain type='keel'>", "<domain type='kvm'>"),
         "domain type 'kvm' is not supported"),
        (base.replace("<name>refused</name>", "<name>refused</name><uuid>xyz</uuid>"),
         "invalid UUID 'xyz'"),
        (base.replace("<memory unit='MiB'>256</memory>", ""), "<memory> is missing"),
        (base.replace("<model type='virtio'/>", "<model type='e1000'/>"),
         "unsupported interface model 'e1000'"),
        ("<domain type='keel'><name>x</name", "not well-formed"),
    ]
    for xml, want in cases:
        code, out, err = d.virsh("define", write(os.path.join(tmp, "bad.xml"), xml), ok=False)
        if code == 0 or want not in err:
            fail("defining %r: exit %d, message %r; want a failure naming %r" %
                 (want, code, err.strip(), want))
    if "refused" in d.virsh("list", "--all", "--name")[1]:
        fail("a refused definition was stored")
    print("refused, naming what is wrong: %s" % "; ".join(w for _, w in cases))


def check_bad_packets(d):
    """A client sending garbage is closed; the others do not notice."""
    for payload in (struct.pack(">I", 0xffffffff) + b"x" * 64,
                    struct.pack(">I", 8) + b"abcd",
                    struct.pack(">IIIIIII", 28, 0x20008086, 1, 66, 0, 0, 0)[:20]):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(d.sock)
        s.sendall(payload)
        if payload[:4] != struct.pack(">I", 28):
            if s.recv(100) != b"":
                fail("virtkeeld answered a malformed packet instead of closing")
        s.close()
    # A slow client that never reads must not hold up anyone.
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(d.sock)
    idle.sendall(struct.pack(">IIIIII", 28, 0x20008086, 1, 66, 0, 0)[:16])
    if "Running hypervisor: KEEL" not in d.virsh("version")[1]:
        fail("virtkeeld stopped answering after malformed packets")
    idle.close()
    print("malformed, oversized and half packets: that client closed, others served")


def check_many_clients(d):
    results = []

    def one():
        results.append(d.virsh("list", "--all", ok=False)[0])
    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if results != [0] * 20:
        fail("20 concurrent virsh list: exit codes %s" % results)
    print("20 clients at once: all answered")


PY_EVENTS = r'''
import libvirt, sys, threading, time
uri, xml_path = sys.argv[1], sys.argv[2]
libvirt.virEventRegisterDefaultImpl()
events = []
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
conn = libvirt.open(uri)
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, e, det, o: events.append((d.name(), e, det)), None)
dom = conn.defineXML(open(xml_path).read())
assert dom.name() == "pyapi", dom.name()
assert not dom.isActive() and dom.isPersistent()
assert conn.lookupByUUIDString(dom.UUIDString()).name() == "pyapi"
assert "<name>pyapi</name>" in dom.XMLDesc(0)
state, reason = dom.state()
assert state == libvirt.VIR_DOMAIN_SHUTOFF, state
assert [d.name() for d in conn.listAllDomains()].count("pyapi") == 1
dom.undefine()
deadline = time.time() + 10
while len(events) < 2 and time.time() < deadline:
    time.sleep(0.05)
want = [("pyapi", libvirt.VIR_DOMAIN_EVENT_DEFINED, libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED),
        ("pyapi", libvirt.VIR_DOMAIN_EVENT_UNDEFINED, libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)]
assert events == want, events
print("PYAPI ok", events)
'''


def check_install(tmp):
    """make install puts the daemon, keel-vmm and the systemd units where the units say."""
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    root = os.path.join(tmp, "root")
    r = subprocess.run(["make", "-s", "-C", top, "install", "DESTDIR=" + root,
                        "PREFIX=/usr/local"], capture_output=True, text=True, timeout=120)
    if r.returncode:
        fail("make install failed: %s" % r.stderr)
    for f in ("usr/local/sbin/virtkeeld", "usr/local/libexec/keel/keel-vmm",
              "etc/systemd/system/virtkeeld.service", "etc/systemd/system/virtkeeld.socket",
              "etc/systemd/system/virtkeeld-ro.socket"):
        if not os.path.exists(os.path.join(root, f)):
            fail("make install did not install /%s" % f)
    unit = open(os.path.join(root, "etc/systemd/system/virtkeeld.service")).read()
    if "ExecStart=/usr/local/sbin/virtkeeld --vmm /usr/local/libexec/keel/keel-vmm" not in unit \
            or "KillMode=process" not in unit:
        fail("virtkeeld.service: %s" % unit)
    sock = open(os.path.join(root, "etc/systemd/system/virtkeeld-ro.socket")).read()
    if "ListenStream=/run/libvirt/virtkeeld-sock-ro" not in sock or "SocketMode=0666" not in sock:
        fail("virtkeeld-ro.socket: %s" % sock)
    print("make install: virtkeeld, keel-vmm and the three units in place")


PY_SLOW = r'''
import libvirt, sys, threading, time
uri = sys.argv[1]
conn = libvirt.open(uri)
dom = conn.lookupByName("slow")
result = {}
def start():
    t = time.time()
    try:
        dom.create()
        result["start"] = "it started"
    except libvirt.libvirtError as e:
        result["start"] = str(e)
    result["start_s"] = round(time.time() - t, 2)
th = threading.Thread(target=start)
th.start()
time.sleep(0.5)
t = time.time()
conn.getVersion()
result["same_conn_s"] = round(time.time() - t, 2)
other = libvirt.open(uri)
t = time.time()
other.listAllDomains()
result["other_conn_s"] = round(time.time() - t, 2)
th.join(30)
print("SLOW", result)
assert result["start_s"] > 2 and result["same_conn_s"] < 1 and result["other_conn_s"] < 1, result
assert "no guest here" in result["start"], result
'''


def check_slow_call(tmp):
    """A start that takes seconds (a keel-vmm that never answers, then fails) holds up
    neither a later call on the same connection (answered first) nor another client; its
    error names why keel-vmm failed."""
    fake = write(os.path.join(tmp, "slow-vmm"),
                 "#!/bin/sh\necho 'keel-vmm: error: no guest here' >&2\nsleep 3\nexit 1\n")
    os.chmod(fake, 0o755)
    d = Virtkeeld(listen=os.path.join(tmp, "sock-slow"), vmm=fake)
    try:
        d.virsh("define", write(os.path.join(tmp, "slow.xml"), domain_xml("slow")))
        r = subprocess.run(["/usr/bin/python3", "-c", PY_SLOW, d.uri], capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            fail("a slow call held up others: %s %s" % (r.stdout, r.stderr))
        print(r.stdout.strip())
        if d.virsh("domstate", "slow")[1].strip() != "shut off":
            fail("the domain whose keel-vmm failed is not shut off")
    finally:
        d.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="virtkeeld-virsh-")
    check_install(tmp)
    d = Virtkeeld(listen=os.path.join(tmp, "sock"))
    try:
        out = d.virsh("version")[1]
        if "Running hypervisor: KEEL 1.0.0" not in out:
            fail("virsh version: %r" % out)
        out = d.virsh("nodeinfo")[1]
        if "CPU(s):              %d" % os.cpu_count() not in out:
            fail("virsh nodeinfo does not report %d CPUs: %r" % (os.cpu_count(), out))
        caps = d.virsh("capabilities")[1]
        for want in ("<os_type>hvm</os_type>", "<arch name='x86_64'>", "<domain type='keel'/>"):
            if want not in caps:
                fail("capabilities lack %s" % want)
        if d.virsh("hostname")[1].strip() != socket.gethostname():
            fail("virsh hostname differs from the host's")
        if not d.virsh("uri")[1].startswith("keel:///system"):
            fail("virsh uri: %r" % d.virsh("uri")[1])
        print("version, nodeinfo, capabilities, hostname, uri: ok")

        xml = domain_xml("demo", disk="/var/lib/keel/demo.img", bridge="br0")
        d.virsh("define", write(os.path.join(tmp, "demo.xml"), xml))
        out = d.virsh("list", "--all")[1]
        if "demo" not in out or "shut off" not in out:
            fail("list --all: %r" % out)
        info = d.virsh("dominfo", "demo")[1]
        for want in ("State:          shut off", "CPU(s):         2",
                     "Max memory:     262144 KiB", "Persistent:     yes"):
            if want not in info:
                fail("dominfo lacks %r:\n%s" % (want, info))
        dump = d.virsh("dumpxml", "demo")[1]
        for want in ("<uuid>", "<mac address='52:54:00:",
                     '<t:test xmlns:t="http://keel.example/test">kept as is</t:test>',
                     "<target dev='vda' bus='virtio'/>", "<source bridge='br0'/>"):
            if want not in dump:
                fail("dumpxml lacks %r:\n%s" % (want, dump))
        if " id=" in dump:
            fail("the inactive XML has an id")
        # Defining the dumped XML again keeps the same domain (same uuid, updated).
        d.virsh("define", write(os.path.join(tmp, "again.xml"), dump))
        if d.virsh("dumpxml", "demo")[1] != dump:
            fail("define of dumpxml's output changed the definition")
        print("define, list, dominfo, dumpxml: ok")

        check_refusals(d, tmp)

        code, out, err = d.virsh("list", "--all", ro=True, ok=False)
        if code or "demo" not in out:
            fail("virsh -r list: %d %r %r" % (code, out, err))
        for args in (("start", "demo"), ("destroy", "demo"), ("undefine", "demo"),
                     ("define", os.path.join(tmp, "demo.xml"))):
            code, out, err = d.virsh(*args, ro=True, ok=False)
            if code == 0 or "read only" not in err:
                fail("virsh -r %s: exit %d %r; want the read-only error" %
                     (" ".join(args), code, err.strip()))
        print("read-only socket: list works; start, destroy, undefine, define refused")

        code, out, err = d.virsh("domifaddr", "demo", ok=False)
        if code == 0 or "not supported" not in err:
            fail("an unimplemented procedure: %d %r" % (code, err))

        d.virsh("autostart", "demo")
        if "Autostart:      enable" not in d.virsh("dominfo", "demo")[1]:
            fail("autostart did not stick")
        d.virsh("autostart", "--disable", "demo")

        check_bad_packets(d)
        check_many_clients(d)
        check_slow_call(tmp)

        uuid = d.virsh("domuuid", "demo")[1].strip()
        d.stop()
        d.start()
        if d.virsh("domuuid", "demo")[1].strip() != uuid:
            fail("after a restart the domain is gone or has another uuid")
        print("restart: the definition is still there with uuid %s" % uuid)

        r = subprocess.run(["/usr/bin/python3", "-c", PY_EVENTS, d.uri,
                            write(os.path.join(tmp, "py.xml"), domain_xml("pyapi"))],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or "PYAPI ok" not in r.stdout:
            fail("python3-libvirt: %s %s" % (r.stdout, r.stderr))
        print(r.stdout.strip())

        d.virsh("undefine", "demo")
        if d.virsh("list", "--all", "--name")[1].strip():
            fail("undefine left a domain behind")
        if os.listdir(d.state):
            fail("undefine left files in the state directory: %s" % os.listdir(d.state))
        print("undefine: no domain, no file left")
    finally:
        d.stop()
        if "ERROR" in d.log().upper() and "error:" in d.log():
            print(d.log())


run(main)
