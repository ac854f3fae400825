/* One QXL display of a SpiceServer: a primary surface that is updated only
 * by DRAW_COPY drawables copied from the caller's framebuffer. The number of
 * drawables in flight is bounded; when spice releases one, the wakeup fd
 * becomes readable so that the main loop can push what is still pending. */
#ifndef BULKHEAD_GW_DISPLAY_H
#define BULKHEAD_GW_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <spice.h>

#define DISPLAY_MAX_INFLIGHT 8

struct display;

/* Adds the QXL interface to s and creates the w x h primary surface. */
struct display *display_new(SpiceServer *s, uint32_t w, uint32_t h);
/* Copies the rectangle of fb (w x h of the display, stride w*4) into a
 * drawable and queues it. false: too many in flight, try after a release. */
bool display_push(struct display *d, const uint32_t *fb, uint32_t x, uint32_t y, uint32_t w,
    uint32_t h);
/* An eventfd that is readable after releases; display_ack() clears it. */
int display_wakeup_fd(const struct display *d);
void display_ack(struct display *d);

#endif
