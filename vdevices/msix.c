// SPDX-License-Identifier: GPL-2.0
/* MSI-X capability, vector table and PBA (PCI Local Bus 3.0 section 6.8.2). */
#include "vdevices/msix.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/bytes.h"

#define MSIX_CAP_LEN 12
#define MSIX_CONTROL 2
#define MSIX_CONTROL_ENABLE 0x8000
#define MSIX_CONTROL_FUNCTION_MASK 0x4000
#define MSIX_VECTOR_MASKED 1

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, control;
	bool pending;
	int fd;     /* eventfd bound in the accelerator, or -1 */
	int handle; /* its binding, -1 while unbound */
	uint64_t bound_addr;
	uint32_t bound_data;
};

struct msix {
	pthread_mutex_t lock;
	struct pci_dev *pdev;
	struct msi_target msi;
	unsigned nvec, cap;
	bool enabled, function_masked;
	bool no_irqfd; /* the accelerator said -ENOSYS once */
	struct msix_vector vec[MSIX_MAX_VECTORS];
};

static uint64_t vector_address(const struct msix_vector *v)
{
	return (uint64_t)v->addr_hi << 32 | v->addr_lo;
}

static bool vector_masked(const struct msix *msix, const struct msix_vector *v)
{
	return !msix->enabled || msix->function_masked || (v->control & MSIX_VECTOR_MASKED);
}

/* Keeps the vector's eventfd bound to its current message (lock held). */
static void vector_bind(struct msix *msix, struct msix_vector *v)
{
	if (msix->no_irqfd || !msix->msi.ops->irqfd_bind)
		return;
	if (v->fd < 0) {
		v->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->fd < 0)
			return;
	}
	if (v->handle >= 0 && v->bound_addr == vector_address(v) && v->bound_data == v->data)
		return;
	if (msix->msi.ops->irqfd_bind(msix->msi.opaque, v->fd, vector_address(v), v->data,
				      &v->handle)) {
		msix->no_irqfd = true;
		return;
	}
	v->bound_addr = vector_address(v);
	v->bound_data = v->data;
}

static void vector_unbind(struct msix *msix, struct msix_vector *v)
{
	if (v->handle >= 0 && msix->msi.ops->irqfd_unbind)
		msix->msi.ops->irqfd_unbind(msix->msi.opaque, v->fd, v->handle);
	v->handle = -1;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

static void vector_fire(struct msix *msix, struct msix_vector *v)
{
	static const uint64_t one = 1;

	vector_bind(msix, v);
	if (v->handle >= 0 && write(v->fd, &one, sizeof(one)) == sizeof(one))
		return;
	msix->msi.ops->signal(msix->msi.opaque, vector_address(v), v->data);
}

/* After an unmask: pending vectors fire now (lock held). */
static void deliver_pending(struct msix *msix)
{
	for (unsigned i = 0; i < msix->nvec; i++) {
		struct msix_vector *v = &msix->vec[i];

		if (v->pending && !vector_masked(msix, v)) {
			v->pending = false;
			vector_fire(msix, v);
		}
	}
}

int msix_create(struct pci_dev *pdev, unsigned nvec, unsigned bar, uint32_t table_offset,
		uint32_t pba_offset, const struct msi_target *msi, struct msix **out)
{
	uint8_t body[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX };
	uint8_t mask[MSIX_CAP_LEN] = { 0 };
	struct msix *msix;
	int cap;

	if (!nvec || nvec > MSIX_MAX_VECTORS || bar >= PCI_NUM_BARS || (table_offset & 7) ||
	    (pba_offset & 7) || !msi || !msi->ops || !msi->ops->signal)
		return -EINVAL;
	msix = calloc(1, sizeof(*msix));
	if (!msix)
		return -ENOMEM;
	put_le16(body + MSIX_CONTROL, nvec - 1);
	put_le32(body + 4, table_offset | bar);
	put_le32(body + 8, pba_offset | bar);
	put_le16(mask + MSIX_CONTROL, MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK);
	cap = pci_dev_add_cap(pdev, body, mask, sizeof(body));
	if (cap < 0) {
		free(msix);
		return cap;
	}
	pthread_mutex_init(&msix->lock, NULL);
	msix->pdev = pdev;
	msix->msi = *msi;
	msix->nvec = nvec;
	msix->cap = cap;
	for (unsigned i = 0; i < MSIX_MAX_VECTORS; i++) {
		msix->vec[i].fd = -1;
		msix->vec[i].handle = -1;
		msix->vec[i].control = MSIX_VECTOR_MASKED;
	}
	*out = msix;
	return 0;
}

void msix_reset(struct msix *msix)
{
	pthread_mutex_lock(&msix->lock);
	msix->enabled = false;
	msix->function_masked = false;
	for (unsigned i = 0; i < msix->nvec; i++) {
		struct msix_vector *v = &msix->vec[i];

		vector_unbind(msix, v);
		v->addr_lo = v->addr_hi = v->data = 0;
		v->control = MSIX_VECTOR_MASKED;
		v->pending = false;
	}
	pthread_mutex_unlock(&msix->lock);
}

void msix_destroy(struct msix *msix)
{
	if (!msix)
		return;
	for (unsigned i = 0; i < msix->nvec; i++)
		vector_unbind(msix, &msix->vec[i]);
	pthread_mutex_destroy(&msix->lock);
	free(msix);
}

/* Table accesses: dword or qword, naturally aligned; anything else reads 0 / is dropped. */
static bool table_access_ok(const struct msix *msix, uint64_t offset, unsigned size)
{
	return (size == 4 || size == 8) && !(offset & (size - 1)) &&
	       offset < (uint64_t)msix->nvec * MSIX_ENTRY_SIZE;
}

static uint32_t *entry_dword(struct msix_vector *v, unsigned dword)
{
	switch (dword) {
	case 0:
		return &v->addr_lo;
	case 1:
		return &v->addr_hi;
	case 2:
		return &v->data;
	default:
		return &v->control;
	}
}

uint64_t msix_table_read(struct msix *msix, uint64_t offset, unsigned size)
{
	uint64_t value = 0;

	if (!table_access_ok(msix, offset, size))
		return 0;
	pthread_mutex_lock(&msix->lock);
	for (unsigned i = 0; i < size / 4; i++) {
		uint64_t at = offset + 4 * i;
		struct msix_vector *v = &msix->vec[at / MSIX_ENTRY_SIZE];

		value |= (uint64_t)*entry_dword(v, (at % MSIX_ENTRY_SIZE) / 4) << (32 * i);
	}
	pthread_mutex_unlock(&msix->lock);
	return value;
}

void msix_table_write(struct msix *msix, uint64_t offset, unsigned size, uint64_t value)
{
	if (!table_access_ok(msix, offset, size))
		return;
	pthread_mutex_lock(&msix->lock);
	for (unsigned i = 0; i < size / 4; i++) {
		uint64_t at = offset + 4 * i;
		struct msix_vector *v = &msix->vec[at / MSIX_ENTRY_SIZE];
		unsigned dword = (at % MSIX_ENTRY_SIZE) / 4;
		uint32_t part = value >> (32 * i);

		*entry_dword(v, dword) = dword == 3 ? part & MSIX_VECTOR_MASKED : part;
	}
	deliver_pending(msix);
	pthread_mutex_unlock(&msix->lock);
}

uint64_t msix_pba_read(struct msix *msix, uint64_t offset, unsigned size)
{
	uint64_t value = 0;

	if ((size != 4 && size != 8) || (offset & (size - 1)) || offset >= 8)
		return 0;
	pthread_mutex_lock(&msix->lock);
	for (unsigned bit = 0; bit < 8 * size; bit++) {
		unsigned n = offset * 8 + bit;

		if (n < msix->nvec && msix->vec[n].pending)
			value |= 1ull << bit;
	}
	pthread_mutex_unlock(&msix->lock);
	return value;
}

void msix_config_written(struct msix *msix, unsigned offset, unsigned size)
{
	uint16_t control;

	if (offset + size <= msix->cap || offset >= msix->cap + MSIX_CAP_LEN)
		return;
	control = pci_dev_config_get(msix->pdev, msix->cap + MSIX_CONTROL, 2);
	pthread_mutex_lock(&msix->lock);
	msix->enabled = control & MSIX_CONTROL_ENABLE;
	msix->function_masked = control & MSIX_CONTROL_FUNCTION_MASK;
	deliver_pending(msix);
	pthread_mutex_unlock(&msix->lock);
}

bool msix_enabled(struct msix *msix)
{
	bool enabled;

	pthread_mutex_lock(&msix->lock);
	enabled = msix->enabled;
	pthread_mutex_unlock(&msix->lock);
	return enabled;
}

bool msix_notify(struct msix *msix, unsigned vector)
{
	struct msix_vector *v;

	pthread_mutex_lock(&msix->lock);
	if (!msix->enabled) {
		pthread_mutex_unlock(&msix->lock);
		return false;
	}
	if (vector < msix->nvec) {
		v = &msix->vec[vector];
		if (vector_masked(msix, v))
			v->pending = true;
		else
			vector_fire(msix, v);
	}
	pthread_mutex_unlock(&msix->lock);
	return true;
}
