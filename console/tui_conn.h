/* Between the console's connections (tui_conn.c) and child processes
 * (tui_proc.c) and its main loop (tui_main.c); views and actions use tui.h
 * only. */
#ifndef BULKHEAD_TUI_CONN_H
#define BULKHEAD_TUI_CONN_H

#include "tui.h"

/* Frees the connections closed during this turn. */
void tui_conns_reap(struct tui *t);
/* Closes and frees every connection (pending callbacks hear CLIENT_LOST). */
void tui_conns_free(struct tui *t);
struct tui_conn *tui_conn_first(struct tui *t);
struct tui_conn *tui_conn_next(struct tui_conn *c);

struct pollfd;

/* The children's pipes to poll this turn: fills pfd (room for
 * tui_procs_nfds()), returns the count. */
size_t tui_procs_nfds(struct tui *t);
size_t tui_procs_poll(struct tui *t, struct pollfd *pfd);
/* After poll(): reads what is there, ends the children that are done
 * (their callbacks run); every turn, pfd as filled by tui_procs_poll. */
void tui_procs_ready(struct tui *t, const struct pollfd *pfd);
/* When the loop must look again (0: no child). */
int64_t tui_procs_deadline(struct tui *t);
/* Kills and reaps every child (their callbacks hear status -1). */
void tui_procs_free(struct tui *t);

/* tui_main.c: an event line arrived; the events or query connection is gone. */
void tui_on_event(struct tui *t, json_object *ev);
void tui_connection_lost(struct tui *t, const char *why);

#endif
