/* Parsing of the gateway's display information (viewer_info.h). */
#include "viewer_info.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
viewer_info_parse(char *untrusted, const char *qube_root, struct viewer_info *v)
{
	char *nl = strchr(untrusted, '\n'), *pw, *p, *end;
	size_t n;
	long port;
	int r;

	memset(v, 0, sizeof(*v));
	if (nl == NULL)
		return -1;
	*nl = '\0';
	pw = nl + 1;
	if ((nl = strchr(pw, '\n')) != NULL)
		*nl = '\0';
	n = strlen(pw);
	if (n < 8 || n > 60)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)pw[i]))
			return -1;
	snprintf(v->password, sizeof(v->password), "%s", pw);
	if (!strncmp(untrusted, "spice+unix:///home/", 19)) {
		p = untrusted + 13;
		if (strlen(p) > 100 || strstr(p, "/..") != NULL || qube_root == NULL)
			return -1;
		for (const char *c = p; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("/._-", *c))
				return -1;
		r = snprintf(v->path, sizeof(v->path), "%s%s", qube_root, p);
		if (r < 0 || (size_t)r >= sizeof(v->path)) {
			v->path[0] = '\0';
			return -1;
		}
		return 0;
	}
	if (strncmp(untrusted, "spice://127.0.0.1:", 18) != 0 ||
	    !isdigit((unsigned char)untrusted[18]))
		return -1;
	port = strtol(untrusted + 18, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	v->port = (int)port;
	snprintf(v->host, sizeof(v->host), "127.0.0.1");
	return 0;
}
