/* The operations every backend provides, with the same verbs (htop's
 * Platform.h model). domd owns the event loop: start() returns at once and
 * domd watches vm->rt.ready_fd (launch messages) and vm->rt.pidfd (exit). */
#ifndef BULKHEAD_DOMD_BACKEND_H
#define BULKHEAD_DOMD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "vm.h"

struct domd_paths;

struct start_spec {
	/* The root it runs from (rootgen.h): a tree on ns, an image on xen;
	 * a template's or standalone's own, or its template's, read-only. */
	const char *root;
	const char *root_tree;   /* xen: the tree a missing root image is made from */
	bool root_writable;      /* template/standalone: root used directly */
	/* The private volume (disk_image.h): the qube's own image, or for a
	 * DispVM its base's, read-only under a volatile layer. */
	const char *private_img;
	const char *private_tree; /* the image's first contents, when made */
	long private_mib;         /* its size when made */
	bool private_volatile;    /* a DispVM's: changes are gone at its end */
	const char *ctl_dir;     /* bound at /dev/bulkhead: the control socket */
	const char *log_path;    /* console output */
	long uid_base;           /* ns: host id of the qube's root (qube.uid_base) */
	long pids_max;           /* ns: processes at most */
	bool usb;                /* ns: gets the host's USB device nodes */
	int guest_ready_fd;      /* ns: the write end of the pipe the qube's agent
	                          * says "R" on (its guard reads it); -1: none */
};

struct vm_stats {
	uint64_t memory_bytes;
	uint64_t memory_limit_bytes;
	uint64_t cpu_ns;
	uint64_t pids;
};

struct backend_ops {
	const char *name;
	bool weak_isolation;
	bool root_is_image;      /* a template's root is root.img, not root/ */
	/* Reads the backend's own keys of domd.conf (c NULL: there is none). */
	void (*configure)(const struct domd_conf *c);
	int (*init)(const struct domd_paths *paths, char *err, size_t errlen);
	int (*start)(struct vm *vm, const struct start_spec *spec, char *err, size_t errlen);
	int (*shutdown)(struct vm *vm);
	int (*kill)(struct vm *vm);
	int (*pause)(struct vm *vm, char *err, size_t errlen);
	int (*unpause)(struct vm *vm, char *err, size_t errlen);
	int (*stats)(struct vm *vm, struct vm_stats *st);
	/* At domd start: 1 and rt filled when the qube still runs (paused set
	 * when frozen); 0 when not, with reason set if it stopped meanwhile. */
	int (*adopt)(struct vm *vm, bool *paused, char *reason, size_t reasonlen);
	/* The monitor exited: say why, free what the qube held. */
	void (*reap)(struct vm *vm, char *reason, size_t reasonlen);
	/* Network links (NULL: this backend has none yet). net_attach links a
	 * running client to its running netvm and sets the client's address and
	 * routes (a link already there is kept); net_detach removes it.
	 * uplink_attach gives a netvm without a netvm its uplink (again after a
	 * domd restart: what is there already is kept) and says what it is. */
	int (*net_attach)(struct vm *client, struct vm *netvm, char *err, size_t errlen);
	int (*net_detach)(struct vm *client, char *err, size_t errlen);
	int (*uplink_attach)(struct vm *netvm, struct net_uplink *up, char *err, size_t errlen);
	void (*uplink_detach)(struct vm *netvm);
};

extern const struct backend_ops backend_ns;
extern const struct backend_ops backend_xen;

/* Picks a backend by name ("ns", "xen", "auto"); NULL with err set. */
const struct backend_ops *backend_select(const char *name, char *err, size_t errlen);

#endif
