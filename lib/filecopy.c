/*
 * File copy: the rules both ends share (names, symlink targets, source qube
 * names), and removal of a tree without following symlinks. The sender is in
 * filecopy_pack.c, the receiver in filecopy_unpack.c; the format is described
 * in filecopy.h.
 */
#include "filecopy.h"
#include "qube.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
filecopy_limits_init(struct filecopy_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_file = FILECOPY_MAX_FILE;
}

char *
filecopy_printable(char *buf, size_t bufsize, const char *s, size_t len)
{
	size_t room, n, i;
	bool cut = false;

	if (bufsize == 0)
		return buf;
	room = bufsize - 1;
	n = len;
	if (len > room) {
		cut = true;
		n = room >= 3 ? room - 3 : room;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (cut && room >= 3) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

int
filecopy_name_check(const char *untrusted_name, size_t untrusted_len, char *err, size_t errlen)
{
	char shown[80];
	size_t i, start = 0;

	if (untrusted_len == 0) {
		seterr(err, errlen, "empty name");
		return -1;
	}
	if (untrusted_len > FILECOPY_MAX_PATH) {
		seterr(err, errlen, "name of %zu bytes (at most %d)", untrusted_len, FILECOPY_MAX_PATH);
		return -1;
	}
	filecopy_printable(shown, sizeof(shown), untrusted_name, untrusted_len);
	if (untrusted_name[0] == '/') {
		seterr(err, errlen, "absolute name '%s'", shown);
		return -1;
	}
	for (i = 0; i <= untrusted_len; i++) {
		const char *comp;
		size_t clen;

		if (i < untrusted_len) {
			unsigned char c = (unsigned char)untrusted_name[i];

			if (c == '\0') {
				seterr(err, errlen, "name '%s' contains a NUL byte", shown);
				return -1;
			}
			if (c < 0x20 || c == 0x7f) {
				seterr(err, errlen, "name '%s' contains a control character", shown);
				return -1;
			}
			if (c != '/')
				continue;
		}
		comp = untrusted_name + start;
		clen = i - start;
		if (clen == 0) {
			seterr(err, errlen, "name '%s' has an empty component", shown);
			return -1;
		}
		if (clen > FILECOPY_MAX_COMPONENT) {
			seterr(err, errlen, "name '%s' has a component of %zu bytes (at most %d)", shown,
			    clen, FILECOPY_MAX_COMPONENT);
			return -1;
		}
		if ((clen == 1 && comp[0] == '.') || (clen == 2 && comp[0] == '.' && comp[1] == '.')) {
			seterr(err, errlen, "name '%s' has a '%.*s' component", shown, (int)clen, comp);
			return -1;
		}
		start = i + 1;
	}
	return 0;
}

int
filecopy_link_check(const char *name, const char *untrusted_target, size_t untrusted_len,
    char *err, size_t errlen)
{
	char shown[80], tshown[80];
	size_t depth = 0, ups = 0, i, start = 0;
	bool named = false;
	const char *p;

	filecopy_printable(shown, sizeof(shown), name, strlen(name));
	for (p = name; *p; p++)
		if (*p == '/')
			depth++;
	if (untrusted_len == 0) {
		seterr(err, errlen, "symlink '%s' has an empty target", shown);
		return -1;
	}
	if (untrusted_len > FILECOPY_MAX_LINK) {
		seterr(err, errlen, "symlink '%s' has a target of %zu bytes (at most %d)", shown,
		    untrusted_len, FILECOPY_MAX_LINK);
		return -1;
	}
	if (memchr(untrusted_target, '\0', untrusted_len) != NULL) {
		seterr(err, errlen, "symlink '%s' has a target with a NUL byte", shown);
		return -1;
	}
	filecopy_printable(tshown, sizeof(tshown), untrusted_target, untrusted_len);
	if (untrusted_target[0] == '/') {
		seterr(err, errlen, "symlink '%s' has an absolute target '%s'", shown, tshown);
		return -1;
	}
	for (i = 0; i <= untrusted_len; i++) {
		const char *comp;
		size_t clen;

		if (i < untrusted_len && untrusted_target[i] != '/')
			continue;
		comp = untrusted_target + start;
		clen = i - start;
		start = i + 1;
		if (clen == 0 || (clen == 1 && comp[0] == '.'))
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			/* After a name, ".." would start from whatever that name
			 * resolves to, maybe another symlink: not allowed. */
			if (named) {
				seterr(err, errlen, "symlink '%s' -> '%s': '..' after a name", shown, tshown);
				return -1;
			}
			if (++ups > depth) {
				seterr(err, errlen, "symlink '%s' -> '%s' points outside the copied files",
				    shown, tshown);
				return -1;
			}
			continue;
		}
		named = true;
	}
	return 0;
}

bool
filecopy_source_name_valid(const char *name)
{
	/* The one rule for qube names (lib/qubename.c, also in the agent). */
	return name != NULL && qube_name_valid(name);
}

/* Removes the entries of the directory open as fd (closed here). */
static int
remove_contents(int fd, const char *shown, char *err, size_t errlen)
{
	int pass, rc = 0;

	for (pass = 0; pass < 3; pass++) {
		int dfd = dup(fd);
		struct dirent *de;
		DIR *d;
		bool any = false;

		if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
			seterr(err, errlen, "cannot read directory '%s': %s", shown, strerror(errno));
			if (dfd != -1)
				close(dfd);
			rc = -1;
			break;
		}
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			any = true;
			if (filecopy_remove_at(fd, de->d_name, err, errlen) == -1) {
				rc = -1;
				break;
			}
		}
		closedir(d);
		if (rc == -1 || !any)
			break;
	}
	close(fd);
	return rc;
}

int
filecopy_remove_at(int dirfd, const char *name, char *err, size_t errlen)
{
	char shown[80];
	struct stat st;
	int fd;

	filecopy_printable(shown, sizeof(shown), name, strlen(name));
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "cannot remove '%s': %s", shown, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT) {
			seterr(err, errlen, "cannot remove '%s': %s", shown, strerror(errno));
			return -1;
		}
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		seterr(err, errlen, "cannot open directory '%s': %s", shown, strerror(errno));
		return -1;
	}
	if (remove_contents(fd, shown, err, errlen) == -1)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT) {
		seterr(err, errlen, "cannot remove directory '%s': %s", shown, strerror(errno));
		return -1;
	}
	return 0;
}

int
filecopy_remove_path(const char *path, char *err, size_t errlen)
{
	char buf[FILECOPY_MAX_PATH + 1], shown[80];
	const char *parent, *base;
	size_t len = strlen(path);
	char *slash;
	int dirfd, rc;

	filecopy_printable(shown, sizeof(shown), path, len);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(buf)) {
		seterr(err, errlen, "cannot remove '%s': bad path", shown);
		return -1;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL) {
		parent = ".";
		base = buf;
	} else if (slash == buf) {
		parent = "/";
		base = buf + 1;
	} else {
		*slash = '\0';
		parent = buf;
		base = slash + 1;
	}
	if (*base == '\0' || !strcmp(base, ".") || !strcmp(base, "..")) {
		seterr(err, errlen, "refusing to remove '%s'", shown);
		return -1;
	}
	dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		seterr(err, errlen, "cannot remove '%s': %s", shown, strerror(errno));
		return -1;
	}
	rc = filecopy_remove_at(dirfd, base, err, errlen);
	close(dirfd);
	return rc;
}
