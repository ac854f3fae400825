/* The console table's compact figures: sizes and uptimes. */
#ifndef BULKHEAD_TUI_FMT_H
#define BULKHEAD_TUI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* bytes in at most four characters below 1000 TiB: 999K, 999M, 9.9G, 999G, 9.9T. */
void tui_fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* s seconds, coarser as it grows: 59s, 59m, 23h59m, 1d00h. */
void tui_fmt_uptime(char *buf, size_t len, uint64_t s);

#endif
