#include "display.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

/* A drawable with its image and pixels, freed on release. */
struct update {
	QXLDrawable drawable;
	QXLImage image;
	struct QXLCommandExt ext;
	struct update *next;
	uint8_t pixels[];
};

struct display {
	QXLInstance qxl;
	uint32_t width, height;
	uint8_t *surface; /* owned by spice's canvas once created */
	pthread_mutex_t lock;
	struct update *head, **tail; /* queued, not yet taken by the worker */
	atomic_int inflight;
	atomic_uint_fast64_t image_id;
	int wakefd;
};

static struct display *
of(QXLInstance *qin)
{
	return (struct display *)((char *)qin - offsetof(struct display, qxl));
}

static void
attached_worker(QXLInstance *qin)
{
	/* One slot over the whole address space: QXL addresses are pointers. */
	QXLDevMemSlot slot = {
		.slot_group_id = 0, .slot_id = 0, .generation = 0,
		.virt_start = 0, .virt_end = ~(uint64_t)0, .addr_delta = 0, .qxl_ram_size = ~0u,
	};

	spice_qxl_add_memslot(qin, &slot);
}

static void
set_compression_level(QXLInstance *qin, int level)
{
}

static void
get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->num_memslots_groups = 1;
	info->num_memslots = 1;
	info->memslot_id_bits = 1;
	info->memslot_gen_bits = 1;
	info->n_surfaces = 1;
}

static int
get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
	struct display *d = of(qin);
	struct update *u;

	pthread_mutex_lock(&d->lock);
	u = d->head;
	if (u) {
		d->head = u->next;
		if (d->head == NULL)
			d->tail = &d->head;
	}
	pthread_mutex_unlock(&d->lock);
	if (u == NULL)
		return 0;
	*cmd = u->ext;
	return 1;
}

static int
req_cmd_notification(QXLInstance *qin)
{
	struct display *d = of(qin);
	int empty;

	pthread_mutex_lock(&d->lock);
	empty = d->head == NULL;
	pthread_mutex_unlock(&d->lock);
	return empty;
}

static void
release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info)
{
	struct display *d = of(qin);
	uint64_t one = 1;

	free((struct update *)(uintptr_t)info.info->id);
	atomic_fetch_sub(&d->inflight, 1);
	if (write(d->wakefd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the loop is already due to run. */
	}
}

static int
get_cursor_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
	return 0;
}

static int
req_cursor_notification(QXLInstance *qin)
{
	return 1;
}

static void
notify_update(QXLInstance *qin, uint32_t update_id)
{
}

static int
flush_resources(QXLInstance *qin)
{
	return 0;
}

static void
async_complete(QXLInstance *qin, uint64_t cookie)
{
}

static int
client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
	return 0; /* the display size is the gateway's, not the viewer's */
}

static const QXLInterface qxl_iface = {
	.base = {
		.type = SPICE_INTERFACE_QXL,
		.description = "bulkhead gateway display",
		.major_version = SPICE_INTERFACE_QXL_MAJOR,
		.minor_version = SPICE_INTERFACE_QXL_MINOR,
	},
	.attached_worker = attached_worker,
	.set_compression_level = set_compression_level,
	.get_init_info = get_init_info,
	.get_command = get_command,
	.req_cmd_notification = req_cmd_notification,
	.release_resource = release_resource,
	.get_cursor_command = get_cursor_command,
	.req_cursor_notification = req_cursor_notification,
	.notify_update = notify_update,
	.flush_resources = flush_resources,
	.async_complete = async_complete,
	.client_monitors_config = client_monitors_config,
};

struct display *
display_new(SpiceServer *s, uint32_t w, uint32_t h)
{
	struct display *d = xcalloc(1, sizeof(*d));
	QXLDevSurfaceCreate surf = { 0 };

	d->width = w;
	d->height = h;
	d->tail = &d->head;
	pthread_mutex_init(&d->lock, NULL);
	d->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->wakefd < 0)
		fatal("eventfd");
	d->qxl.base.sif = &qxl_iface.base;
	d->qxl.id = 0;
	if (spice_server_add_interface(s, &d->qxl.base) != 0)
		fatalx("%s: cannot add the QXL interface", __func__);

	d->surface = xcalloc((size_t)w * h, 4);
	surf.format = SPICE_SURFACE_FMT_32_xRGB;
	surf.width = w;
	surf.height = h;
	surf.stride = -(int32_t)(w * 4); /* negative: top-down */
	surf.mouse_mode = 1;             /* client mouse: the tablet gets positions */
	surf.flags = QXL_SURF_FLAG_KEEP_DATA;
	surf.type = QXL_SURF_TYPE_PRIMARY;
	surf.mem = (uintptr_t)d->surface;
	surf.group_id = 0;
	spice_qxl_create_primary_surface(&d->qxl, 0, &surf);
	return d;
}

bool
display_push(struct display *d, const uint32_t *fb, uint32_t x, uint32_t y, uint32_t w,
    uint32_t h)
{
	struct update *u;
	struct timespec ts;

	if (atomic_load(&d->inflight) >= DISPLAY_MAX_INFLIGHT)
		return false;
	u = xcalloc(1, sizeof(*u) + (size_t)w * h * 4);
	for (uint32_t row = 0; row < h; row++)
		memcpy(u->pixels + (size_t)row * w * 4, fb + (size_t)(y + row) * d->width + x,
		    (size_t)w * 4);

	u->drawable.bbox.left = x;
	u->drawable.bbox.top = y;
	u->drawable.bbox.right = x + w;
	u->drawable.bbox.bottom = y + h;
	u->drawable.clip.type = SPICE_CLIP_TYPE_NONE;
	u->drawable.effect = QXL_EFFECT_OPAQUE;
	u->drawable.release_info.id = (uintptr_t)u;
	u->drawable.type = QXL_DRAW_COPY;
	u->drawable.surfaces_dest[0] = u->drawable.surfaces_dest[1] =
	    u->drawable.surfaces_dest[2] = -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	u->drawable.mm_time = (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	u->drawable.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	u->drawable.u.copy.src_bitmap = (uintptr_t)&u->image;
	u->drawable.u.copy.src_area.right = w;
	u->drawable.u.copy.src_area.bottom = h;

	QXL_SET_IMAGE_ID(&u->image, QXL_IMAGE_GROUP_DEVICE, atomic_fetch_add(&d->image_id, 1));
	u->image.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
	u->image.descriptor.width = w;
	u->image.descriptor.height = h;
	u->image.bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
	u->image.bitmap.format = SPICE_BITMAP_FMT_32BIT;
	u->image.bitmap.x = w;
	u->image.bitmap.y = h;
	u->image.bitmap.stride = w * 4;
	u->image.bitmap.data = (uintptr_t)u->pixels;

	u->ext.cmd.type = QXL_CMD_DRAW;
	u->ext.cmd.data = (uintptr_t)&u->drawable;
	u->ext.group_id = 0;

	atomic_fetch_add(&d->inflight, 1);
	pthread_mutex_lock(&d->lock);
	*d->tail = u;
	d->tail = &u->next;
	pthread_mutex_unlock(&d->lock);
	spice_qxl_wakeup(&d->qxl);
	return true;
}

int
display_wakeup_fd(const struct display *d)
{
	return d->wakefd;
}

void
display_ack(struct display *d)
{
	uint64_t v;

	if (read(d->wakefd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending. */
	}
}
