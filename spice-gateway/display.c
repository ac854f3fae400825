#include "display.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "xalloc.h"

/* A drawable with its image and pixels; on release it goes back to the
 * display's spares for the next update that fits. */
struct update {
	QXLDrawable drawable;
	QXLImage image;
	struct QXLCommandExt ext;
	struct update *next;
	size_t cap; /* bytes of pixels */
	uint8_t pixels[];
};

struct display {
	QXLInstance qxl;
	uint32_t width, height;
	uint8_t *surface; /* owned by spice's canvas once created */
	pthread_mutex_t lock;
	struct update *head, **tail; /* queued, not yet taken by the worker */
	struct update *spare;        /* released, kept for reuse */
	size_t held;                 /* pixel bytes of all updates, spare or not */
	size_t held_max;
	atomic_int inflight;
	atomic_bool drawing; /* an update_area for all the surface is on its way */
	atomic_bool starved; /* refused, nothing released since */
	SpiceTimer *starved_timer;
	struct update *open; /* begun, not yet queued */
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
	struct update *u = (struct update *)(uintptr_t)info.info->id;
	uint64_t one = 1;

	pthread_mutex_lock(&d->lock);
	u->next = d->spare;
	d->spare = u;
	pthread_mutex_unlock(&d->lock);
	atomic_fetch_sub(&d->inflight, 1);
	atomic_store(&d->starved, false);
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
	struct display *d = of(qin);
	uint64_t one = 1;

	atomic_store(&d->drawing, false);
	if (write(d->wakefd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the loop is already due to run. */
	}
}

/* spice keeps a drawable that later ones cover only in part until it
 * draws it, and draws lazily: when nothing was released for a while after
 * a refusal, drawing the whole surface lets go of them all, so that the
 * drawables and bytes they hold cannot keep new updates out for good. */
static void
starved_check(void *opaque)
{
	struct display *d = opaque;
	QXLRect all = { .top = 0, .left = 0, .bottom = (int32_t)d->height,
		.right = (int32_t)d->width };

	if (atomic_load(&d->starved) && !atomic_exchange(&d->drawing, true))
		spice_qxl_update_area_async(&d->qxl, 0, &all, 0, 0);
}

static void
update_area_complete(QXLInstance *qin, uint32_t surface_id, struct QXLRect *updated_rects,
    uint32_t num_updated_rects)
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
	.update_area_complete = update_area_complete,
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
	d->held_max = (size_t)w * h * 4 * DISPLAY_INFLIGHT_SCREENS;
	pthread_mutex_init(&d->lock, NULL);
	d->starved_timer = loop_timer_add(starved_check, d);
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

/* An update with room for need bytes: the smallest spare that fits, or a
 * new one when the bytes held allow it (spares that do not fit are freed to
 * make room). NULL: the bytes in flight are at the bound. */
static struct update *
take_update(struct display *d, size_t need)
{
	struct update **best = NULL, *u;

	pthread_mutex_lock(&d->lock);
	for (struct update **p = &d->spare; *p; p = &(*p)->next)
		if ((*p)->cap >= need && (best == NULL || (*p)->cap < (*best)->cap))
			best = p;
	if (best != NULL) {
		u = *best;
		*best = u->next;
		pthread_mutex_unlock(&d->lock);
		return u;
	}
	while (d->held + need > d->held_max && d->spare != NULL) {
		u = d->spare;
		d->spare = u->next;
		d->held -= u->cap;
		free(u);
	}
	/* One update larger than the bound may go out alone. */
	if (d->held + need > d->held_max && d->held > 0) {
		pthread_mutex_unlock(&d->lock);
		return NULL;
	}
	d->held += need;
	pthread_mutex_unlock(&d->lock);
	u = xmalloc(sizeof(*u) + need);
	u->cap = need;
	return u;
}

uint32_t *
display_begin(struct display *d, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct update *u;
	size_t cap;

	if (atomic_load(&d->inflight) >= DISPLAY_MAX_INFLIGHT ||
	    (u = take_update(d, (size_t)w * h * 4)) == NULL) {
		if (!atomic_exchange(&d->starved, true))
			loop_timer_start(d->starved_timer, DISPLAY_STARVED_MS);
		return NULL;
	}
	cap = u->cap;
	memset(u, 0, sizeof(*u));
	u->cap = cap;
	u->drawable.bbox.left = x;
	u->drawable.bbox.top = y;
	u->drawable.bbox.right = x + w;
	u->drawable.bbox.bottom = y + h;
	d->open = u;
	return (uint32_t *)u->pixels;
}

void
display_end(struct display *d)
{
	struct update *u = d->open;
	uint32_t w = (uint32_t)(u->drawable.bbox.right - u->drawable.bbox.left);
	uint32_t h = (uint32_t)(u->drawable.bbox.bottom - u->drawable.bbox.top);
	struct timespec ts;

	d->open = NULL;
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
}

bool
display_push(struct display *d, const uint32_t *fb, uint32_t x, uint32_t y, uint32_t w,
    uint32_t h)
{
	uint32_t *pix = display_begin(d, x, y, w, h);

	if (pix == NULL)
		return false;
	for (uint32_t row = 0; row < h; row++)
		memcpy(pix + (size_t)row * w, fb + (size_t)(y + row) * d->width + x, (size_t)w * 4);
	display_end(d);
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
