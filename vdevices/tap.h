/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP network backend for virtio-net: a TAP interface opened with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR and a 12-byte virtio-net header (struct virtio_net_hdr_v1: flags, gso_type,
 * hdr_len, gso_size, csum_start, csum_offset, num_buffers; little-endian, as the host).
 *
 * The device moves packets itself with readv()/writev() on tap_fd(): one packet per call,
 * each starting with the 12-byte header. On a read the kernel fills the header (num_buffers
 * 0: the device sets it); a buffer too small for the packet silently truncates it (the read
 * returns the buffer's size), so read into room for the largest packet: header + 14 + MTU,
 * or 64 KiB with TSO/UFO on. On a write the kernel takes flags, gso_* and csum_* from the
 * header. The descriptor is non-blocking and close-on-exec: a read with nothing waiting
 * fails with EAGAIN (watch it with EPOLLIN); a write fails with EIO while the interface is
 * down, and a malformed header with EINVAL (drop that packet).
 *
 * Offloads start off: the kernel hands over only whole, checksummed packets until
 * tap_set_offloads() says what the guest takes.
 *
 * Threads: reads and writes on tap_fd() may come from any threads; tap_set_offloads() from
 * one thread at a time; tap_close() once nobody uses the descriptor.
 */
#ifndef KEEL_VDEVICES_TAP_H
#define KEEL_VDEVICES_TAP_H

#include <stdbool.h>
#include <stddef.h>

#define TAP_VNET_HDR_LEN 12

struct tap;

/*
 * Creates the TAP interface name (needs CAP_NET_ADMIN) or attaches to an existing one, and
 * brings its link up (only a warning if that is not allowed). A "%d" in name lets the kernel
 * number it ("keel%d"); NULL or "" means "tap%d". 0 or a negative errno, with a message in
 * err. The interface goes away on tap_close() unless it was made persistent.
 */
int tap_open(const char *name, struct tap **out, char *err, size_t errlen);
/*
 * Takes over fd, a TAP attached by someone else (a management daemon), which must have
 * been set up with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (these cannot be changed once
 * attached). Sets the header size, non-blocking, close-on-exec, offloads off; leaves the
 * link as it is. On success the tap owns fd; on failure the caller still does.
 */
int tap_adopt_fd(int fd, struct tap **out, char *err, size_t errlen);
void tap_close(struct tap *tap);

int tap_fd(const struct tap *tap);
const char *tap_name(const struct tap *tap);

/*
 * What the guest accepts, from its negotiated VIRTIO_NET_F_GUEST_CSUM, _GUEST_TSO4,
 * _GUEST_TSO6, _GUEST_ECN and _GUEST_UFO (TUNSETOFFLOAD). -EINVAL for a combination virtio
 * forbids: TSO or UFO without csum, ECN without TSO.
 */
int tap_set_offloads(struct tap *tap, bool csum, bool tso4, bool tso6, bool ecn, bool ufo);

#endif
