/* libFuzzer harness for the domd <-> netvm network configuration
 * (lib/netcfg.h): the first byte picks the side. 'M' and anything else: the
 * message netcfg_parse() reads in the netvm; 'A': the one-line answer
 * netcfg_parse_answer() reads in domd from a netvm, which is hostile.
 * Besides the sanitisers it checks that what is accepted is within the
 * documented bounds, and that a refusal is one line and leaves nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cfg(const struct netcfg *c)
{
	CHECK(c->nclients >= 0 && c->nclients <= NETCFG_CLIENTS_MAX, "%d clients", c->nclients);
	CHECK(c->nresolvers >= 0 && c->nresolvers <= 2, "%d resolvers", c->nresolvers);
	CHECK(!c->has_uplink || (c->uplink_prefix > 0 && c->uplink_prefix <= 32), "prefix %d",
	    c->uplink_prefix);
	CHECK(memchr(c->upstream, '\0', sizeof(c->upstream)) != NULL, "upstream unterminated");
	for (int i = 0; i < c->nclients; i++) {
		const struct netcfg_client *cl = &c->clients[i];
		CHECK(cl->name[0] != '\0' && memchr(cl->name, '\0', sizeof(cl->name)) != NULL,
		    "client name");
		CHECK(cl->ifname[0] != '\0' && memchr(cl->ifname, '\0', sizeof(cl->ifname)) != NULL,
		    "client link");
		CHECK(cl->policy == FWRULE_ACCEPT || cl->policy == FWRULE_DROP, "policy %d",
		    cl->policy);
		CHECK(cl->nrules >= 0 && cl->nrules <= FWRULE_SET_MAX, "%d rules", cl->nrules);
		CHECK(cl->nforwards >= 0 && cl->nforwards <= NETCFG_FORWARDS_MAX, "%d forwards",
		    cl->nforwards);
		for (int k = 0; k < cl->nforwards; k++)
			CHECK(cl->forwards[k].lo >= 1 && cl->forwards[k].lo <= cl->forwards[k].hi,
			    "forward %u-%u", cl->forwards[k].lo, cl->forwards[k].hi);
		for (int k = 0; k < i; k++)
			CHECK(c->clients[k].ip != cl->ip && strcmp(c->clients[k].name, cl->name),
			    "client %s repeated", cl->name);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], msg[NETCFG_ANSWER_MAX + 1];
	struct netcfg c;
	char *copy;
	int nrules = -7, r;

	if (size == 0)
		return 0;
	/* Exactly sized, without terminator: the parsers take a length. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] == 'A') {
		memset(msg, 'X', sizeof(msg));
		r = netcfg_parse_answer(copy, size - 1, &nrules, msg, sizeof(msg));
		CHECK(r >= -1 && r <= 1, "returned %d", r);
		CHECK(r != 1 || nrules >= 0, "ok with %d rules", nrules);
		if (r == 0) {
			CHECK(memchr(msg, '\0', sizeof(msg)) != NULL, "message unterminated");
			for (const char *p = msg; *p; p++)
				CHECK(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in message",
				    (unsigned char)*p);
		}
		free(copy);
		return 0;
	}
	memset(err, 'E', sizeof(err));
	if (netcfg_parse(copy, size - 1, &c, err, sizeof(err)) == 0) {
		check_cfg(&c);
		netcfg_free(&c);
	} else {
		size_t e = strnlen(err, sizeof(err));
		CHECK(e > 0 && e < sizeof(err), "error empty or unterminated");
		CHECK(strchr(err, '\n') == NULL, "error is not one line: %s", err);
		CHECK(c.nclients == 0 && c.clients == NULL, "output left after a refusal");
	}
	free(copy);
	return 0;
}
