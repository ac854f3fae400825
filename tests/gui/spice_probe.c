/* A SPICE viewer for tests, on spice-client-glib: connects with a ticket,
 * waits for the primary surface, then runs its commands in order and exits
 * 0 if all held (1 otherwise, saying which and why).
 *
 *   spice_probe (--unix PATH | --uri URI) --ticket-file FILE CMD...
 *
 *   rect X Y W H RRGGBB           every pixel of the rectangle has the colour
 *   pattern X Y W H SEED          the rectangle shows pattern.h's pixels of SEED
 *                                 (window-relative pixel (i,j) at X+i, Y+j)
 *   nopattern X Y W H SEED        ... and does not (not a single row matches)
 *   count X Y W H RRGGBB MIN      at least MIN pixels have the colour
 *   text X Y TEXT RRGGBB          TEXT in the gateway's font (font.c) at X,Y:
 *                                 exactly the glyphs' pixels have the colour
 *   click X Y                     left click there
 *   key CODE                      press and release a set-1 scancode (hex)
 *   keys CODE,CODE,...            press them in order, release in reverse (a
 *                                 combination: keys 1d,2a,2e is Ctrl+Shift+C)
 *   sleep MS
 *   dump FILE                     the screen as a PPM
 *   paste TEXT                    the viewer's clipboard takes TEXT (grab, and
 *                                 answer the agent's request); "SIZE:N" is N
 *                                 bytes of 'x', "BAD" bytes that are not UTF-8
 *   copy TEXT                     the agent offers text; it reads exactly TEXT
 *   nocopy MS                     the agent offers nothing for MS
 *   fps SECONDS W H               prints the updates of W x H per second
 *                                 the display gets, and the median age of
 *                                 their pixels when the first two carry a
 *                                 time stamp (tests/bench/gui_feed.c)
 *
 * PROBE_DISPLAY_ONLY=1: do not wait for the inputs channel (a display
 * without a tablet).
 *
 * rect, pattern and count wait up to PROBE_TIMEOUT_MS (default 5000) for
 * the display to get there. */
#include <spice-client.h>
#include <spice/vd_agent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "pattern.h"

static GMainLoop *loop;
static SpiceChannel *display;
static SpiceInputsChannel *inputs;
static SpiceMainChannel *main_ch;
static gboolean inputs_open, started, in_cmd;
static char **cmds;
static int ncmds, pc;
static gint64 cmd_start;
static int rc = 1;
static int timeout_ms = 5000;
static char why[256];
static gboolean clip_grabbed, clip_requested, clip_got;
static GString *clip_in;
static guint64 updates;
static int upd_w, upd_h;
static GArray *lat_us;
static char *paste_buf;
static gboolean paste_grabbed;
static gint64 paste_answered;
static size_t paste_len;

static gint
cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

static gboolean
primary(SpiceDisplayPrimary *p)
{
	return display != NULL && spice_display_channel_get_primary(display, 0, p) && p->data;
}

static uint32_t
pixel(const SpiceDisplayPrimary *p, int x, int y)
{
	uint32_t v;

	memcpy(&v, p->data + (size_t)y * p->stride + (size_t)x * 4, 4);
	return v & 0xffffff;
}

static gboolean
in_bounds(const SpiceDisplayPrimary *p, int x, int y, int w, int h)
{
	return x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= p->width && y + h <= p->height;
}

/* 1: holds; 0: not yet; -1: cannot hold. */
static int
check_rect(char **a)
{
	SpiceDisplayPrimary p;
	int x = atoi(a[1]), y = atoi(a[2]), w = atoi(a[3]), h = atoi(a[4]);
	uint32_t want = (uint32_t)strtoul(a[5], NULL, 16);

	if (!primary(&p) || !in_bounds(&p, x, y, w, h))
		return 0;
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			if (pixel(&p, x + i, y + j) != want) {
				snprintf(why, sizeof(why), "pixel (%d,%d) is %06x, want %06x", x + i, y + j,
				    pixel(&p, x + i, y + j), want);
				return 0;
			}
	return 1;
}

static int
check_pattern(char **a, gboolean want_match)
{
	SpiceDisplayPrimary p;
	int x = atoi(a[1]), y = atoi(a[2]), w = atoi(a[3]), h = atoi(a[4]);
	uint32_t seed = (uint32_t)atoi(a[5]);

	if (!primary(&p) || !in_bounds(&p, x, y, w, h))
		return 0;
	for (int j = 0; j < h; j++) {
		gboolean row_ok = TRUE;
		for (int i = 0; i < w; i++) {
			uint32_t got = pixel(&p, x + i, y + j), want = pattern_pixel(seed, i, j);
			if (got != want) {
				if (want_match) {
					snprintf(why, sizeof(why), "pixel (%d,%d) is %06x, want %06x",
					    x + i, y + j, got, want);
					return 0;
				}
				row_ok = FALSE;
				break;
			}
		}
		if (!want_match && row_ok) {
			snprintf(why, sizeof(why), "row %d shows pattern %u", y + j, seed);
			return -1;
		}
	}
	return 1;
}

static int
check_count(char **a)
{
	SpiceDisplayPrimary p;
	int x = atoi(a[1]), y = atoi(a[2]), w = atoi(a[3]), h = atoi(a[4]), n = 0;
	uint32_t want = (uint32_t)strtoul(a[5], NULL, 16);
	int min = atoi(a[6]);

	if (!primary(&p) || !in_bounds(&p, x, y, w, h))
		return 0;
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			n += pixel(&p, x + i, y + j) == want;
	snprintf(why, sizeof(why), "%d pixels of %06x, want at least %d", n, want, min);
	return n >= min;
}

/* The gateway's title text, pixel for pixel (ASCII only). */
static int
check_text(char **a)
{
	SpiceDisplayPrimary p;
	int x = atoi(a[1]), y = atoi(a[2]), n = (int)strlen(a[3]);
	uint32_t want = (uint32_t)strtoul(a[4], NULL, 16);

	if (!primary(&p) || !in_bounds(&p, x, y, n * FONT_ADVANCE, FONT_H))
		return 0;
	for (int k = 0; k < n; k++) {
		const uint8_t *g = font_glyph((unsigned char)a[3][k]);
		for (int col = 0; col < FONT_W; col++)
			for (int row = 0; row < FONT_H; row++) {
				int on = g[col] >> row & 1;
				uint32_t v = pixel(&p, x + k * FONT_ADVANCE + col, y + row);
				if (on != (v == want)) {
					snprintf(why, sizeof(why), "character %d ('%c'), pixel (%d,%d) is %06x",
					    k, a[3][k], col, row, v);
					return 0;
				}
			}
	}
	return 1;
}

static void
dump(const char *file)
{
	SpiceDisplayPrimary p;
	FILE *f;

	if (!primary(&p) || (f = fopen(file, "w")) == NULL)
		return;
	fprintf(f, "P6\n%d %d\n255\n", p.width, p.height);
	for (int y = 0; y < p.height; y++)
		for (int x = 0; x < p.width; x++) {
			uint32_t v = pixel(&p, x, y);
			fputc(v >> 16 & 0xff, f);
			fputc(v >> 8 & 0xff, f);
			fputc(v & 0xff, f);
		}
	fclose(f);
}

static int
nargs(const char *c)
{
	if (!strcmp(c, "rect") || !strcmp(c, "pattern") || !strcmp(c, "nopattern"))
		return 5;
	if (!strcmp(c, "count"))
		return 6;
	if (!strcmp(c, "fps"))
		return 3;
	if (!strcmp(c, "text"))
		return 4;
	if (!strcmp(c, "click"))
		return 2;
	if (!strcmp(c, "key") || !strcmp(c, "keys") || !strcmp(c, "sleep") || !strcmp(c, "dump") || !strcmp(c, "paste") ||
	    !strcmp(c, "copy") || !strcmp(c, "nocopy"))
		return 1;
	return -1;
}

static gboolean
agent_connected(void)
{
	gboolean on = FALSE;

	if (main_ch)
		g_object_get(main_ch, "agent-connected", &on, NULL);
	return on;
}

/* paste: 1 once the agent took the text. */
static int
do_paste(char **a, gboolean first)
{
	guint32 type = VD_AGENT_CLIPBOARD_UTF8_TEXT;

	/* The agent's capabilities must be in before a grab is allowed. */
	if (!agent_connected() ||
	    !spice_main_channel_agent_test_capability(main_ch, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
		snprintf(why, sizeof(why), "the agent is not there");
		return 0;
	}
	if (!paste_grabbed) {
		paste_grabbed = TRUE;
		g_free(paste_buf);
		if (!strncmp(a[1], "SIZE:", 5)) {
			paste_len = strtoul(a[1] + 5, NULL, 10);
			paste_buf = g_malloc(paste_len + 1);
			memset(paste_buf, 'x', paste_len);
		} else if (!strcmp(a[1], "BAD")) {
			paste_buf = g_strdup("\xff\xfe\xc3(");
			paste_len = 4;
		} else {
			paste_buf = g_strdup(a[1]);
			paste_len = strlen(a[1]);
		}
		clip_requested = FALSE;
		spice_main_channel_clipboard_selection_grab(main_ch, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD,
		    &type, 1);
	}
	snprintf(why, sizeof(why), "the agent did not ask for the text");
	/* Give the answer time to leave before the next command (or exit). */
	return clip_requested && g_get_monotonic_time() / 1000 - paste_answered >= 300;
}

static int
do_copy(char **a, gboolean first)
{
	if (!clip_grabbed) {
		snprintf(why, sizeof(why), "the agent offered no text");
		return 0;
	}
	if (!clip_requested) {
		clip_requested = TRUE;
		clip_got = FALSE;
		spice_main_channel_clipboard_selection_request(main_ch,
		    VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, VD_AGENT_CLIPBOARD_UTF8_TEXT);
	}
	if (!clip_got) {
		snprintf(why, sizeof(why), "no text came");
		return 0;
	}
	if (strcmp(clip_in->str, a[1]) != 0) {
		snprintf(why, sizeof(why), "got \"%.200s\"", clip_in->str);
		return -1;
	}
	return 1;
}

static gboolean
on_clip_grab(SpiceMainChannel *m, guint sel, gpointer types, guint ntypes, gpointer unused)
{
	clip_grabbed = TRUE;
	return TRUE;
}

static gboolean
on_clip_request(SpiceMainChannel *m, guint sel, guint type, gpointer unused)
{
	spice_main_channel_clipboard_selection_notify(m, sel, type, (const guchar *)paste_buf,
	    paste_len);
	clip_requested = TRUE;
	paste_answered = g_get_monotonic_time() / 1000;
	return TRUE;
}

static void
on_clip_data(SpiceMainChannel *m, guint sel, guint type, gpointer data, guint size, gpointer u)
{
	g_string_truncate(clip_in, 0);
	g_string_append_len(clip_in, data, size);
	clip_got = TRUE;
}

static gboolean
ready(void)
{
	SpiceDisplayPrimary p;
	int mode = 0;

	if (main_ch)
		g_object_get(main_ch, "mouse-mode", &mode, NULL);
	if (getenv("PROBE_DISPLAY_ONLY"))
		return primary(&p);
	return primary(&p) && inputs_open && mode == SPICE_MOUSE_MODE_CLIENT;
}

static gboolean
step(gpointer unused)
{
	gint64 now = g_get_monotonic_time() / 1000;

	if (!ready()) {
		if (now - cmd_start > 10000) {
			fprintf(stderr, "spice_probe: not ready after 10 s (display %s, inputs %s)\n",
			    display ? "yes" : "no", inputs_open ? "open" : "not open");
			g_main_loop_quit(loop);
			return G_SOURCE_REMOVE;
		}
		return G_SOURCE_CONTINUE;
	}
	if (!started) {
		started = TRUE;
		cmd_start = now;
	}
	while (pc < ncmds) {
		char **a = cmds + pc;
		const char *c = a[0];
		int r = 1;

		if (!strcmp(c, "rect"))
			r = check_rect(a);
		else if (!strcmp(c, "pattern"))
			r = check_pattern(a, TRUE);
		else if (!strcmp(c, "nopattern"))
			r = check_pattern(a, FALSE);
		else if (!strcmp(c, "count"))
			r = check_count(a);
		else if (!strcmp(c, "text"))
			r = check_text(a);
		else if (!strcmp(c, "click")) {
			spice_inputs_channel_position(inputs, atoi(a[1]), atoi(a[2]), 0, 0);
			spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_LEFT,
			    SPICE_MOUSE_BUTTON_MASK_LEFT);
			spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_LEFT, 0);
		} else if (!strcmp(c, "key")) {
			spice_inputs_channel_key_press_and_release(inputs, (guint)strtoul(a[1], NULL, 16));
		} else if (!strcmp(c, "keys")) {
			gchar **k = g_strsplit(a[1], ",", 0);
			int n = (int)g_strv_length(k);

			for (int i = 0; i < n; i++)
				spice_inputs_channel_key_press(inputs, (guint)strtoul(k[i], NULL, 16));
			for (int i = n - 1; i >= 0; i--)
				spice_inputs_channel_key_release(inputs, (guint)strtoul(k[i], NULL, 16));
			g_strfreev(k);
		} else if (!strcmp(c, "sleep")) {
			r = now - cmd_start >= atoi(a[1]);
		} else if (!strcmp(c, "dump")) {
			dump(a[1]);
		} else if (!strcmp(c, "paste")) {
			if (!in_cmd)
				paste_grabbed = FALSE;
			r = do_paste(a, !in_cmd);
		} else if (!strcmp(c, "copy")) {
			r = do_copy(a, !in_cmd);
		} else if (!strcmp(c, "fps")) {
			if (!in_cmd) {
				upd_w = atoi(a[2]);
				upd_h = atoi(a[3]);
				updates = 0;
				lat_us = g_array_new(FALSE, FALSE, sizeof(gint64));
			}
			r = now - cmd_start >= atoi(a[1]) * 1000;
			if (r) {
				printf("fps %.1f\n", (double)updates * 1000 / (double)(now - cmd_start));
				if (lat_us->len > 0) {
					g_array_sort(lat_us, cmp_i64);
					printf("latency_ms %.2f\n",
					    g_array_index(lat_us, gint64, lat_us->len / 2) / 1000.0);
				}
				g_array_free(lat_us, TRUE);
				lat_us = NULL;
			}
		} else if (!strcmp(c, "nocopy")) {
			if (clip_grabbed) {
				snprintf(why, sizeof(why), "the agent offered text");
				r = -1;
			} else {
				r = now - cmd_start >= atoi(a[1]);
			}
		}
		in_cmd = TRUE;
		if (r == 0 && now - cmd_start < timeout_ms && strcmp(c, "sleep") != 0)
			return G_SOURCE_CONTINUE;
		if (r == 0 && (!strcmp(c, "sleep") || !strcmp(c, "nocopy") || !strcmp(c, "fps")))
			return G_SOURCE_CONTINUE;
		if (r != 1) {
			fprintf(stderr, "spice_probe: %s", c);
			for (int i = 1; i <= nargs(c); i++)
				fprintf(stderr, " %s", a[i]);
			fprintf(stderr, ": failed: %s\n", why);
			g_main_loop_quit(loop);
			return G_SOURCE_REMOVE;
		}
		pc += 1 + nargs(c);
		cmd_start = now;
		in_cmd = FALSE;
	}
	rc = 0;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void
inputs_event(SpiceChannel *ch, SpiceChannelEvent ev, gpointer unused)
{
	if (ev == SPICE_CHANNEL_OPENED)
		inputs_open = TRUE;
	else if (ev != SPICE_CHANNEL_NONE)
		inputs_open = FALSE;
}

static void
on_invalidate(SpiceChannel *ch, gint x, gint y, gint w, gint h, gpointer unused)
{
	SpiceDisplayPrimary p;

	if (w != upd_w || h != upd_h)
		return;
	updates++;
	if (lat_us && primary(&p) && in_bounds(&p, x, y, 2, 1)) {
		guint64 now = (guint64)g_get_monotonic_time() & 0xffffffffffffull;
		guint64 sent = (guint64)pixel(&p, x, y) << 24 | pixel(&p, x + 1, y);
		gint64 age = (gint64)((now - sent) & 0xffffffffffffull);

		if (age < 10 * G_USEC_PER_SEC)
			g_array_append_val(lat_us, age);
	}
}

static void
main_event(SpiceChannel *ch, SpiceChannelEvent ev, gpointer unused)
{
	if (ev == SPICE_CHANNEL_ERROR_AUTH || ev == SPICE_CHANNEL_ERROR_CONNECT ||
	    ev == SPICE_CHANNEL_ERROR_LINK || ev == SPICE_CHANNEL_ERROR_IO ||
	    ev == SPICE_CHANNEL_CLOSED) {
		fprintf(stderr, "spice_probe: main channel event %d\n", ev);
		g_main_loop_quit(loop);
	}
}

static void
channel_new(SpiceSession *s, SpiceChannel *ch, gpointer unused)
{
	if (SPICE_IS_MAIN_CHANNEL(ch)) {
		main_ch = SPICE_MAIN_CHANNEL(ch);
		g_signal_connect(ch, "channel-event", G_CALLBACK(main_event), NULL);
		g_signal_connect(ch, "main-clipboard-selection-grab", G_CALLBACK(on_clip_grab), NULL);
		g_signal_connect(ch, "main-clipboard-selection-request", G_CALLBACK(on_clip_request),
		    NULL);
		g_signal_connect(ch, "main-clipboard-selection", G_CALLBACK(on_clip_data), NULL);
	} else if (SPICE_IS_DISPLAY_CHANNEL(ch)) {
		display = ch;
		g_signal_connect(ch, "display-invalidate", G_CALLBACK(on_invalidate), NULL);
		spice_channel_connect(ch);
	} else if (SPICE_IS_INPUTS_CHANNEL(ch)) {
		inputs = SPICE_INPUTS_CHANNEL(ch);
		g_signal_connect(ch, "channel-event", G_CALLBACK(inputs_event), NULL);
		spice_channel_connect(ch);
	}
}

int
main(int argc, char **argv)
{
	const char *unix_path = NULL, *uri = NULL, *ticket_file = NULL;
	char ticket[128] = "";
	SpiceSession *session;
	FILE *f;
	int i;

	for (i = 1; i < argc - 1 && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--unix"))
			unix_path = argv[i + 1];
		else if (!strcmp(argv[i], "--uri"))
			uri = argv[i + 1];
		else if (!strcmp(argv[i], "--ticket-file"))
			ticket_file = argv[i + 1];
		else
			break;
	}
	cmds = argv + i;
	ncmds = argc - i;
	for (int k = 0; k < ncmds; k += 1 + nargs(cmds[k])) {
		if (nargs(cmds[k]) < 0 || k + nargs(cmds[k]) >= ncmds) {
			fprintf(stderr, "spice_probe: bad command %s\n", cmds[k]);
			return 2;
		}
	}
	if ((unix_path == NULL) == (uri == NULL) || ticket_file == NULL) {
		fprintf(stderr, "usage: spice_probe (--unix PATH | --uri URI) --ticket-file FILE CMD...\n");
		return 2;
	}
	if ((f = fopen(ticket_file, "r")) == NULL || fgets(ticket, sizeof(ticket), f) == NULL) {
		perror(ticket_file);
		return 2;
	}
	fclose(f);
	ticket[strcspn(ticket, "\n")] = '\0';
	if (getenv("PROBE_TIMEOUT_MS"))
		timeout_ms = atoi(getenv("PROBE_TIMEOUT_MS"));

	clip_in = g_string_new(NULL);
	loop = g_main_loop_new(NULL, FALSE);
	session = spice_session_new();
	if (unix_path)
		g_object_set(session, "unix-path", unix_path, NULL);
	else
		g_object_set(session, "uri", uri, NULL);
	g_object_set(session, "password", ticket, NULL);
	g_signal_connect(session, "channel-new", G_CALLBACK(channel_new), NULL);
	if (!spice_session_connect(session)) {
		fprintf(stderr, "spice_probe: cannot connect\n");
		return 1;
	}
	cmd_start = g_get_monotonic_time() / 1000;
	g_timeout_add(10, step, NULL);
	g_main_loop_run(loop);
	spice_session_disconnect(session);
	g_object_unref(session);
	g_main_loop_unref(loop);
	return rc;
}
