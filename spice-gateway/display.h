/* One QXL display of a SpiceServer: a primary surface that is updated only
 * by DRAW_COPY drawables whose pixels the caller paints. The drawables in
 * flight are bounded in number and in bytes (their buffers are reused);
 * when spice releases one, the wakeup fd becomes readable so that the main
 * loop can push what is still pending. */
#ifndef BULKHEAD_GW_DISPLAY_H
#define BULKHEAD_GW_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <spice.h>

#define DISPLAY_MAX_INFLIGHT 8
/* Pixel bytes of all drawables, in flight or kept for reuse: this many
 * screens' worth (a single larger update may still go out alone). */
#define DISPLAY_INFLIGHT_SCREENS 2
/* After a refusal, how long to wait for a release before asking
 * spice to draw what it still holds. */
#define DISPLAY_STARVED_MS 20

struct display;

/* Adds the QXL interface to s and creates the w x h primary surface. */
struct display *display_new(SpiceServer *s, uint32_t w, uint32_t h);
/* Starts a drawable for the rectangle (x, y, w, h) of the display: returns
 * its w*h pixels (stride w) for the caller to paint, then display_end()
 * queues it. NULL: too much in flight, try after a release. */
uint32_t *display_begin(struct display *d, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
void display_end(struct display *d);
/* Copies the rectangle of fb (w x h of the display, stride w*4) into a
 * drawable and queues it. false: too many in flight, try after a release. */
bool display_push(struct display *d, const uint32_t *fb, uint32_t x, uint32_t y, uint32_t w,
    uint32_t h);
/* An eventfd that is readable after releases; display_ack() clears it. */
int display_wakeup_fd(const struct display *d);
void display_ack(struct display *d);

#endif
