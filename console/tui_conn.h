/* Between the console's connections (tui_conn.c) and its main loop
 * (tui_main.c); views and actions use tui.h only. */
#ifndef BULKHEAD_TUI_CONN_H
#define BULKHEAD_TUI_CONN_H

#include "tui.h"

/* Frees the connections closed during this turn. */
void tui_conns_reap(struct tui *t);
/* Closes and frees every connection (pending callbacks hear CLIENT_LOST). */
void tui_conns_free(struct tui *t);
struct tui_conn *tui_conn_first(struct tui *t);
struct tui_conn *tui_conn_next(struct tui_conn *c);

/* tui_main.c: an event line arrived; the events or query connection is gone. */
void tui_on_event(struct tui *t, json_object *ev);
void tui_connection_lost(struct tui *t, const char *why);

#endif
