#include "rootgen.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "domd.h"
#include "events.h"
#include "log.h"
#include "readfile.h"
#include "store.h"

#define GEN_FILE "root-generation"
#define TRASH ".del-root-"

struct vm *
rootgen_template_of(const struct vm *vm)
{
	struct vm *base;

	if (vm->q.cls == QUBE_APP)
		return vm_find(vm->q.template_name);
	if (vm->q.cls == QUBE_DISP && (base = vm_find(vm->q.template_name)) != NULL)
		return vm_find(base->q.template_name);
	return NULL;
}

const char *
rootgen_path(const char *owner, const char *tag)
{
	static char buf[4][4200];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/root%s%s%s", vm_dir(owner), *tag ? "." : "", tag,
	    domd.backend->root_is_image ? ".img" : "");
	return buf[i];
}

static const char *
gen_tag(unsigned gen)
{
	static char buf[2][16];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%u", gen);
	return buf[i];
}

static bool
exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Deletes a root in the background under a name of its own, so that a new
 * root.new cannot be made while the old one is still being deleted. */
static void
discard(const struct vm *t, const char *path)
{
	static unsigned seq;
	char trash[4300];
	char *argv[] = { "/bin/rm", "-rf", "--one-file-system", "--", trash, NULL };

	snprintf(trash, sizeof(trash), "%s/" TRASH "%ld-%u", vm_dir(t->q.name), (long)getpid(),
	    seq++);
	if (rename(path, trash) < 0) {
		if (errno != ENOENT)
			log_warn("%s: cannot delete %s", t->q.name, path);
		return;
	}
	job_spawn(argv, NULL, NULL);
}

static int
write_gen(const struct vm *t, unsigned gen)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%u\n", gen);

	return atomic_write_file(vm_dir(t->q.name), GEN_FILE, text, (size_t)n, 0644);
}

void
rootgen_load(struct vm *t)
{
	char text[32], *end, path[4200];
	const char *root, *retired;
	unsigned long n;

	t->root_gen = 0;
	snprintf(path, sizeof(path), "%s/" GEN_FILE, vm_dir(t->q.name));
	if (read_text_file(path, text, sizeof(text)) == 0) {
		n = strtoul(text, &end, 10);
		if (end == text || (*end != '\n' && *end != '\0') || n > 999999999)
			log_warnx("%s: not a generation number; taken as 0", path);
		else
			t->root_gen = (unsigned)n;
	}
	/* root.N with N current exists only between a commit's first rename
	 * and the new number (rootgen_end). */
	root = rootgen_path(t->q.name, "");
	retired = rootgen_path(t->q.name, gen_tag(t->root_gen));
	if (!exists(retired))
		return;
	if (exists(root)) {
		if (write_gen(t, t->root_gen + 1) < 0) {
			log_warn("%s: cannot finish the commit of its root", t->q.name);
			return;
		}
		t->root_gen++;
		log_info("%s: finished an interrupted commit: its root is generation %u",
		    t->q.name, t->root_gen);
	} else if (rename(retired, root) < 0)
		log_warn("%s: cannot roll back an interrupted commit of its root", t->q.name);
	else
		log_info("%s: rolled back an interrupted commit: its root stays generation %u",
		    t->q.name, t->root_gen);
}

int
rootgen_begin(struct vm *t, job_done_fn done, void *arg, char *err, size_t errlen)
{
	const char *root = rootgen_path(t->q.name, ""), *next = rootgen_path(t->q.name, "new");
	char *argv[] = { "/bin/cp", "-a", "--reflink=auto", "--sparse=always", "--",
		(char *)root, (char *)next, NULL };

	/* A leftover root.new would take the copy inside it. */
	discard(t, next);
	if (!exists(root)) {
		if (domd.backend->root_is_image)
			return 1;
		snprintf(err, errlen, "template %s: no root at %s: %s", t->q.name, root,
		    strerror(errno));
		return -1;
	}
	log_info("%s: copying its root (generation %u) to run from", t->q.name, t->root_gen);
	job_spawn(argv, done, arg);
	return 0;
}

/* Whether a qube other than the template runs from its generation gen. */
static bool
gen_in_use(const struct vm *t, unsigned gen)
{
	for (struct vm *o = domd.vms; o != NULL; o = o->next)
		if (o->state != VM_HALTED && o->root_gen == gen && rootgen_template_of(o) == t)
			return true;
	return false;
}

/* Deletes the template's older generations that no qube runs from. */
static void
collect(const struct vm *t)
{
	const char *suffix = domd.backend->root_is_image ? ".img" : "";
	DIR *d = opendir(vm_dir(t->q.name));
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *end, path[4400];
		unsigned long gen;

		if (strncmp(e->d_name, "root.", 5) != 0 || e->d_name[5] < '0' ||
		    e->d_name[5] > '9')
			continue;
		gen = strtoul(e->d_name + 5, &end, 10);
		if (strcmp(end, suffix) != 0 || gen >= t->root_gen || gen_in_use(t, (unsigned)gen))
			continue;
		snprintf(path, sizeof(path), "%s/%s", vm_dir(t->q.name), e->d_name);
		log_info("%s: deleting root generation %lu, which no qube runs from", t->q.name,
		    gen);
		discard(t, path);
	}
	closedir(d);
}

void
rootgen_end(struct vm *t, bool commit)
{
	char root[4200], next[4200], retired[4200];

	snprintf(root, sizeof(root), "%s", rootgen_path(t->q.name, ""));
	snprintf(next, sizeof(next), "%s", rootgen_path(t->q.name, "new"));
	snprintf(retired, sizeof(retired), "%s", rootgen_path(t->q.name, gen_tag(t->root_gen)));
	if (!exists(next))
		return;
	if (!commit) {
		log_info("%s: its changes of this run are discarded; its root stays generation %u",
		    t->q.name, t->root_gen);
		discard(t, next);
		return;
	}
	if (exists(root) && rename(root, retired) < 0) {
		log_warn("%s: cannot retire its root; its changes of this run are discarded",
		    t->q.name);
		discard(t, next);
		return;
	}
	if (rename(next, root) < 0) {
		log_warn("%s: cannot commit its root; its changes of this run are discarded",
		    t->q.name);
		if (rename(retired, root) < 0)
			log_warn("%s: cannot restore %s", t->q.name, root);
		discard(t, next);
		return;
	}
	if (write_gen(t, t->root_gen + 1) < 0) {
		/* rootgen_load finishes it: root.N and root both exist. */
		log_warn("%s: cannot record its root generation", t->q.name);
		return;
	}
	t->root_gen++;
	log_info("%s: its root is now generation %u", t->q.name, t->root_gen);
	for (struct vm *o = domd.vms; o != NULL; o = o->next)
		if (rootgen_outdated(o))
			event_outdated(o);
	collect(t);
}

/* RUN/qubes/NAME.rootgen: the generation a running qube started from, for
 * a domd started again. */
static const char *
rec_name(const struct vm *vm)
{
	static char buf[200];
	snprintf(buf, sizeof(buf), "%s.rootgen", vm->q.name);
	return buf;
}

void
rootgen_started(struct vm *vm)
{
	const struct vm *t = rootgen_template_of(vm);
	char text[16];
	int n;

	if (t == NULL)
		return;
	vm->root_gen = t->root_gen;
	n = snprintf(text, sizeof(text), "%u\n", vm->root_gen);
	if (atomic_write_file(domd.paths.rt_dir, rec_name(vm), text, (size_t)n, 0600) < 0)
		log_warn("%s: cannot record its root generation", vm->q.name);
}

void
rootgen_adopted(struct vm *vm)
{
	const struct vm *t = rootgen_template_of(vm);
	char path[4300], text[32], *end;
	unsigned long n;

	if (t == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", domd.paths.rt_dir, rec_name(vm));
	vm->root_gen = t->root_gen;
	if (read_text_file(path, text, sizeof(text)) == 0) {
		n = strtoul(text, &end, 10);
		if (end != text && n <= t->root_gen)
			vm->root_gen = (unsigned)n;
	}
}

void
rootgen_halted(struct vm *vm)
{
	struct vm *t = rootgen_template_of(vm);
	char path[4300];

	if (t == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", domd.paths.rt_dir, rec_name(vm));
	unlink(path);
	collect(t);
}

/* Roots whose deletion a dom0 crash cut short. */
static void
remove_trash(const struct vm *t)
{
	DIR *d = opendir(vm_dir(t->q.name));
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4400];
		char *argv[] = { "/bin/rm", "-rf", "--one-file-system", "--", path, NULL };

		if (strncmp(e->d_name, TRASH, strlen(TRASH)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", vm_dir(t->q.name), e->d_name);
		job_spawn(argv, NULL, NULL);
	}
	closedir(d);
}

void
rootgen_collect_all(void)
{
	for (struct vm *t = domd.vms; t != NULL; t = t->next) {
		if (t->q.cls != QUBE_TEMPLATE)
			continue;
		remove_trash(t);
		if (t->state == VM_HALTED && exists(rootgen_path(t->q.name, "new"))) {
			log_info("%s: discarding the root of a run that did not end cleanly",
			    t->q.name);
			discard(t, rootgen_path(t->q.name, "new"));
		}
		collect(t);
	}
}

bool
rootgen_outdated(const struct vm *vm)
{
	const struct vm *t;

	return vm->state != VM_HALTED && (t = rootgen_template_of(vm)) != NULL &&
	    vm->root_gen != t->root_gen;
}
