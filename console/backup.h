/* bulkhead backup: create, verify and restore encrypted backups of qubes
 * (lib/backup_format.h). The CLI does the work itself, as root in dom0:
 * it reads the store's files (domd tells it where they are) and hands
 * restored qubes to domd (vm.restore), which checks and commits them. */
#ifndef BULKHEAD_BACKUP_H
#define BULKHEAD_BACKUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "backup_archive.h"
#include "backup_layout.h"
#include "backup_stream.h"
#include "cmd.h"

#define BK_PASS_MAX 1024
/* Argon2id cost of new backups: libsodium's "moderate" (256 MiB, 3 passes). */
#define BK_OPS_NEW 3u
#define BK_MEM_NEW (256ULL << 20)
#define BK_ZSTD_LEVEL 3

/* backup_pass.c: the passphrase from file's first line, or asked on the
 * terminal without echo (twice when confirm). Its length, or -1. */
int bk_passphrase(const char *file, bool confirm, char *buf, size_t len, char *err,
    size_t errlen);

/* backup_io.c: where a backup goes or comes from: FILE, or VM:PATH (a file
 * in a qube, written and read by a command run there through vm.run). */
struct bk_end {
	int fd;
	pid_t pid;        /* VM: the child that relays through vm.run */
	char vm[64];      /* "" for a file */
	char path[4096];
	char tmp[4200];   /* FILE: the temporary name written; VM: PATH.part */
	uint64_t size;    /* a source file's size, 0 if unknown */
};
int bk_dest_open(struct cmd_ctx *ctx, const char *spec, struct bk_end *e, char *err,
    size_t errlen);
/* Puts the finished backup in place (a rename); -1 with the reason. */
int bk_dest_commit(struct cmd_ctx *ctx, struct bk_end *e, char *err, size_t errlen);
/* Removes what was written. */
void bk_dest_abort(struct cmd_ctx *ctx, struct bk_end *e);
int bk_src_open(struct cmd_ctx *ctx, const char *spec, struct bk_end *e, char *err,
    size_t errlen);
/* -1 when the qube's side failed (after the stream read well). */
int bk_src_close(struct bk_end *e, bool complete, char *err, size_t errlen);
int bk_fd_write(void *arg, const void *buf, size_t len); /* arg: int * */
/* SIGINT, SIGTERM and SIGHUP make reads and writes fail (EINTR), so that
 * an interrupted command removes what it wrote. */
void bk_catch_signals(void);
bool bk_interrupted(void);

/* Progress on a terminal: bytes, rate, ETA, rewritten in place; with
 * --progress-lines (bk_progress_lines) one line each time, on stderr
 * whatever it is (the console reads them). */
extern bool bk_progress_lines;
struct bk_progress {
	bool on, lines;
	const char *verb;
	uint64_t done, total;
	double start, last;
};
void bk_progress_init(struct bk_progress *p, const char *verb, uint64_t total, bool on);
void bk_progress_add(struct bk_progress *p, uint64_t n);
void bk_progress_end(struct bk_progress *p);
/* Ends the terminal's progress line before a message. */
void bk_progress_break(struct bk_progress *p);
/* "1.5 GiB" */
const char *bk_size_text(uint64_t n, char *buf, size_t len);

/* backup_source.c: an opened, authenticated source. */
struct bk_source {
	struct bk_end end;
	struct bk_header h;
	struct bk_in *in;
	struct bk_ar ar;
	struct bk_progress prog;
	char err[512];
};
int bk_source_open(struct cmd_ctx *ctx, struct bk_source *s, const char *spec,
    const char *passfile, const char *verb);
/* After END: the stream must end there, authenticated. */
int bk_source_end(struct bk_source *s);
void bk_source_close(struct bk_source *s, bool complete);

struct bk_create_opts {
	char **qubes;
	int nqubes;
	bool all, with_templates, allow_running;
	char **exclude;
	int nexclude;
	const char *to, *passfile;
};
int bk_create(struct cmd_ctx *ctx, const struct bk_create_opts *o);
int bk_verify(struct cmd_ctx *ctx, const char *src, const char *passfile);

struct bk_restore_opts {
	const char *src, *passfile, *template_name;
	char **qubes;
	int nqubes;
	bool rename, skip, dry_run;
};
int bk_restore(struct cmd_ctx *ctx, const struct bk_restore_opts *o);

/* The store's folder of qubes (daemon.info's state_dir + "/qubes"). */
int bk_qubes_dir(struct cmd_ctx *ctx, char *buf, size_t len);

#endif
