/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel.h - the ABI of /dev/keel, the only header keel.ko shares with userspace.
 *
 * Shaped like the KVM API: /dev/keel -> KEEL_CREATE_VM -> VM fd -> KEEL_CREATE_VCPU ->
 * vCPU fd with an mmap-ed run structure (struct keel_run). KEEL_RUN returns to userspace
 * with an exit reason and its data in that structure. Every field is validated by the
 * module: a bad argument is -EINVAL/-EFAULT/-EBUSY, never a host oops.
 */
#ifndef _UAPI_KEEL_H
#define _UAPI_KEEL_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on every incompatible change; keel-vmm refuses a module it does not know. */
#define KEEL_API_VERSION	3

#define KEEL_IOCTL_TYPE		0xA7

/* ---- /dev/keel ---- */

/* Returns KEEL_API_VERSION; the argument must be 0. */
#define KEEL_GET_API_VERSION	_IO(KEEL_IOCTL_TYPE, 0x00)
/* Returns the value of a capability (0: absent); the argument is a KEEL_CAP_*. */
#define KEEL_CHECK_CAP		_IO(KEEL_IOCTL_TYPE, 0x01)
/* Returns a new VM fd; the argument must be 0. */
#define KEEL_CREATE_VM		_IO(KEEL_IOCTL_TYPE, 0x02)
/* Returns the size to mmap on a vCPU fd for struct keel_run. */
#define KEEL_GET_VCPU_MMAP_SIZE	_IO(KEEL_IOCTL_TYPE, 0x03)
/* The CPUID leaves keel.ko can offer a guest; nent in, entries filled, nent out. */
#define KEEL_GET_SUPPORTED_CPUID _IOWR(KEEL_IOCTL_TYPE, 0x04, struct keel_cpuid)

#define KEEL_CAP_MAX_VCPUS	1	/* vCPUs per VM */
#define KEEL_CAP_NR_MEMSLOTS	2	/* memory slots per VM */
#define KEEL_CAP_NPT_2M		3	/* 2 MiB nested pages where the backing allows */
/* 1: the CPU hands over instruction bytes; 0: keel.ko walks the guest tables for them */
#define KEEL_CAP_DECODE_ASSISTS	4
/* 1: each vCPU has a local APIC in the kernel (KEEL_SIGNAL_MSI, KEEL_GET/SET_LAPIC) */
#define KEEL_CAP_LAPIC		5
/* 1: KEEL_IRQFD and KEEL_IOEVENTFD */
#define KEEL_CAP_EVENTFD	6
/* 1: KEEL_MEM_LOG_DIRTY_PAGES and KEEL_GET_DIRTY_LOG */
#define KEEL_CAP_DIRTY_LOG	7
/* 1: KEEL_GET_CLOCK and KEEL_SET_CLOCK, and every vCPU's state saves and restores */
#define KEEL_CAP_SAVE_RESTORE	8

/* ---- VM fd ---- */

#define KEEL_MEM_READONLY	_BITUL(0)
/*
 * Log the pages the guest writes (KEEL_GET_DIRTY_LOG). The flag alone may change on a slot
 * in use, vCPUs running: that turns logging on or off.
 */
#define KEEL_MEM_LOG_DIRTY_PAGES	_BITUL(1)

/*
 * Maps guest physical [guest_phys_addr, +memory_size) to the calling process's memory at
 * userspace_addr. Page-aligned, not overlapping another slot; memory_size 0 deletes the
 * slot. A slot can only be deleted or recreated, not resized in place.
 */
struct keel_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

#define KEEL_SET_MEMORY_REGION	_IOW(KEEL_IOCTL_TYPE, 0x10, struct keel_memory_region)
/* Returns a new vCPU fd; the argument is the vCPU id (0 .. KEEL_CAP_MAX_VCPUS - 1). */
#define KEEL_CREATE_VCPU	_IO(KEEL_IOCTL_TYPE, 0x11)

/*
 * An MSI message as the IOAPIC or an MSI-X table writes it: address 0xfeeXXXXX (destination
 * ID in 19:12, logical destination mode in bit 2), data (vector 7:0, delivery mode 10:8,
 * level-triggered in bit 15). Returns how many local APICs took it (0: none matched).
 */
struct keel_msi {
	__u64 address;
	__u32 data;
	__u32 flags;	/* must be 0 */
};

#define KEEL_SIGNAL_MSI		_IOW(KEEL_IOCTL_TYPE, 0x12, struct keel_msi)

/*
 * Signalling the eventfd fd delivers the MSI (address, data) in the kernel. Assigning an fd
 * that is bound already changes its message.
 */
struct keel_irqfd {
	__s32 fd;
	__u32 flags;
	__u64 address;	/* 0xfeeXXXXX */
	__u32 data;
	__u32 pad;
};

#define KEEL_IRQFD_FLAG_DEASSIGN	_BITUL(0)

/*
 * A guest write to addr (a port with FLAG_PIO) of len bytes (0: any length), with the value
 * datamatch if FLAG_DATAMATCH, signals the eventfd fd instead of exiting to userspace.
 */
struct keel_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__s32 fd;
	__u32 len;
	__u32 flags;
	__u32 pad;
};

#define KEEL_IOEVENTFD_FLAG_DATAMATCH	_BITUL(0)
#define KEEL_IOEVENTFD_FLAG_PIO		_BITUL(1)
#define KEEL_IOEVENTFD_FLAG_DEASSIGN	_BITUL(2)

/*
 * The pages of a slot written since logging began or since the last call, one bit per
 * 4 KiB page (bit i of byte i / 8: page i of the slot); they are write-protected again.
 */
struct keel_dirty_log {
	__u32 slot;
	__u32 pad;
	__u64 bitmap;	/* user address of (pages + 63) / 64 u64s */
};

/*
 * The VM's clock: its TSC and its paravirtual system time, with the host's wall-clock time
 * they were read at. KEEL_SET_CLOCK (before any vCPU exists) makes a new VM carry on from a
 * saved clock; with KEEL_CLOCK_REALTIME both advance by the wall-clock time since.
 */
struct keel_clock {
	__u64 tsc;		/* the guest's TSC */
	__u64 ns;		/* the guest's system time (kvm-clock), ns */
	__u64 realtime_ns;	/* the host's CLOCK_REALTIME at the same moment */
	__u32 flags;
	__u32 pad;
};

#define KEEL_CLOCK_REALTIME	_BITUL(0)

#define KEEL_IRQFD		_IOW(KEEL_IOCTL_TYPE, 0x13, struct keel_irqfd)
#define KEEL_GET_CLOCK		_IOR(KEEL_IOCTL_TYPE, 0x16, struct keel_clock)
#define KEEL_SET_CLOCK		_IOW(KEEL_IOCTL_TYPE, 0x17, struct keel_clock)
#define KEEL_GET_DIRTY_LOG	_IOW(KEEL_IOCTL_TYPE, 0x15, struct keel_dirty_log)
#define KEEL_IOEVENTFD		_IOW(KEEL_IOCTL_TYPE, 0x14, struct keel_ioeventfd)

/* ---- vCPU fd ---- */

struct keel_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

struct keel_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type;
	__u8 present, dpl, db, s, l, g, avl;
	__u8 unusable;
	__u8 padding;
};

struct keel_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

struct keel_sregs {
	struct keel_segment cs, ds, es, fs, gs, ss;
	struct keel_segment tr, ldt;
	struct keel_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
};

/* The XSAVE image of the guest's FPU/SSE/AVX state (standard format, 4 KiB). */
struct keel_xsave {
	__u32 region[1024];
};

struct keel_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/* GET/SET_MSRS return the number of entries processed (stops at the first refused). */
struct keel_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct keel_msr_entry entries[];
};

#define KEEL_CPUID_FLAG_SIGNIFICANT_INDEX	_BITUL(0)

struct keel_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 padding[3];
};

#define KEEL_MAX_CPUID_ENTRIES	256

struct keel_cpuid {
	__u32 nent;
	__u32 padding;
	struct keel_cpuid_entry entries[];
};

/* The local APIC's registers, as laid out in its 4 KiB page (offsets 0x000-0x3ff). */
struct keel_lapic_state {
	__u8 regs[1024];
};

/* Where a vCPU is in the INIT/SIPI protocol (KVM's numbers). */
#define KEEL_MP_STATE_RUNNABLE		0
#define KEEL_MP_STATE_UNINITIALIZED	1	/* an AP after RESET: waits for INIT */
#define KEEL_MP_STATE_INIT_RECEIVED	2	/* waits for a SIPI */

struct keel_mp_state {
	__u32 mp_state;
};

/*
 * Events in flight, for save and restore: an event being delivered (the SVM EVENTINJ format:
 * vector 7:0, type 10:8, error code valid 11, valid 31), the PIC's ExtINT accepted but not
 * yet injected, NMI pending and NMI blocked (a handler runs), the STI/MOV SS shadow.
 */
struct keel_vcpu_events {
	__u32 event;
	__u32 event_error;
	__u8 extint_pending;
	__u8 extint_vector;
	__u8 nmi_pending;
	__u8 nmi_masked;
	__u8 interrupt_shadow;
	__u8 pad[7];
};

#define KEEL_EVENT_VALID	_BITUL(31)

/* An external interrupt (the PIC's ExtINT) to inject: vector 0..255. */
struct keel_interrupt {
	__u32 irq;
};

#define KEEL_RUN		_IO(KEEL_IOCTL_TYPE, 0x20)
#define KEEL_GET_REGS		_IOR(KEEL_IOCTL_TYPE, 0x21, struct keel_regs)
#define KEEL_SET_REGS		_IOW(KEEL_IOCTL_TYPE, 0x22, struct keel_regs)
#define KEEL_GET_SREGS		_IOR(KEEL_IOCTL_TYPE, 0x23, struct keel_sregs)
#define KEEL_SET_SREGS		_IOW(KEEL_IOCTL_TYPE, 0x24, struct keel_sregs)
#define KEEL_GET_XSAVE		_IOR(KEEL_IOCTL_TYPE, 0x25, struct keel_xsave)
#define KEEL_SET_XSAVE		_IOW(KEEL_IOCTL_TYPE, 0x26, struct keel_xsave)
#define KEEL_GET_MSRS		_IOWR(KEEL_IOCTL_TYPE, 0x27, struct keel_msrs)
#define KEEL_SET_MSRS		_IOW(KEEL_IOCTL_TYPE, 0x28, struct keel_msrs)
#define KEEL_SET_CPUID		_IOW(KEEL_IOCTL_TYPE, 0x29, struct keel_cpuid)
#define KEEL_INTERRUPT		_IOW(KEEL_IOCTL_TYPE, 0x2a, struct keel_interrupt)
#define KEEL_GET_LAPIC		_IOR(KEEL_IOCTL_TYPE, 0x2b, struct keel_lapic_state)
#define KEEL_SET_LAPIC		_IOW(KEEL_IOCTL_TYPE, 0x2c, struct keel_lapic_state)
#define KEEL_GET_MP_STATE	_IOR(KEEL_IOCTL_TYPE, 0x2d, struct keel_mp_state)
#define KEEL_SET_MP_STATE	_IOW(KEEL_IOCTL_TYPE, 0x2e, struct keel_mp_state)
#define KEEL_GET_VCPU_EVENTS	_IOR(KEEL_IOCTL_TYPE, 0x30, struct keel_vcpu_events)
#define KEEL_SET_VCPU_EVENTS	_IOW(KEEL_IOCTL_TYPE, 0x31, struct keel_vcpu_events)
/* The guest's extended control registers (XCR0: the XSAVE features it enabled). */
struct keel_xcrs {
	__u64 xcr0;
	__u64 reserved[3];
};

#define KEEL_GET_XCRS		_IOR(KEEL_IOCTL_TYPE, 0x32, struct keel_xcrs)
#define KEEL_SET_XCRS		_IOW(KEEL_IOCTL_TYPE, 0x33, struct keel_xcrs)
/* RESET: power-on registers and local APIC, no pending event; an AP waits for INIT. */
#define KEEL_RESET_VCPU		_IO(KEEL_IOCTL_TYPE, 0x2f)

/* ---- The run structure (mmap of a vCPU fd, offset 0) ---- */

#define KEEL_EXIT_UNKNOWN		0
#define KEEL_EXIT_IO			2
#define KEEL_EXIT_HLT			5
#define KEEL_EXIT_MMIO			6
#define KEEL_EXIT_IRQ_WINDOW_OPEN	7
#define KEEL_EXIT_SHUTDOWN		8
#define KEEL_EXIT_FAIL_ENTRY		9
#define KEEL_EXIT_INTR			10
#define KEEL_EXIT_INTERNAL_ERROR	17
/* The guest ended a level-triggered interrupt: the IOAPIC may deliver it again. */
#define KEEL_EXIT_IOAPIC_EOI		26

#define KEEL_EXIT_IO_IN		0
#define KEEL_EXIT_IO_OUT	1

/* internal.suberror */
#define KEEL_INTERNAL_ERROR_EMULATION	1	/* an MMIO instruction keel.ko cannot emulate */
#define KEEL_INTERNAL_ERROR_UNEXPECTED	2	/* a #VMEXIT code keel.ko does not handle */

struct keel_run {
	/* in */
	__u8 request_interrupt_window;
	__u8 immediate_exit;	/* RUN returns -EINTR at once (for kicks) */
	__u8 padding1[6];

	/* out */
	__u32 exit_reason;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u16 flags;
	__u64 cr8;
	__u64 apic_base;

	union {
		/* KEEL_EXIT_UNKNOWN */
		struct {
			__u64 hardware_exit_reason;
		} hw;
		/* KEEL_EXIT_FAIL_ENTRY */
		struct {
			__u64 hardware_entry_failure_reason;
		} fail_entry;
		/*
		 * KEEL_EXIT_IO: count items of size bytes at data_offset from the start of
		 * this structure (in: filled by userspace before the next RUN).
		 */
		struct {
			__u8 direction;
			__u8 size;
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		/* KEEL_EXIT_MMIO: a read is completed by filling data before the next RUN. */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
		} mmio;
		/* KEEL_EXIT_IOAPIC_EOI */
		struct {
			__u8 vector;
		} eoi;
		/* KEEL_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		char padding[256];
	};
};

#endif /* _UAPI_KEEL_H */
