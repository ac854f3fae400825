/* libFuzzer harness for fwrule_parse: firewall rules are written in dom0 and
 * parsed again in the netvm, so the parser sees hostile text. Besides the
 * sanitisers, it checks that an accepted rule is well formed, formats to a
 * canonical text that fits FWRULE_TEXT_MAX and parses back to the very same
 * struct (and the same text), that Qubes' form (fwrule_format_qubes) fits
 * and parses back to it too, and that a refused one gets a one-line error.
 * The input (cut at a little over FWRULE_TEXT_MAX) is parsed from an exactly
 * sized heap copy, so ASan catches any read past its terminator. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwrule.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_rule(const struct fwrule *r)
{
	CHECK(r->action == FWRULE_ACCEPT || r->action == FWRULE_DROP, "action %d", r->action);
	CHECK(r->dst <= FWRULE_DSTHOST && r->proto <= FWRULE_ICMP, "dst %d proto %d", r->dst,
	    r->proto);
	CHECK(r->dst != FWRULE_DST4 || r->prefix <= 32, "dst4 prefix %d", r->prefix);
	CHECK(r->dst != FWRULE_DST6 || r->prefix <= 128, "dst6 prefix %d", r->prefix);
	CHECK((r->port_min == 0) == (r->port_max == 0) && r->port_min <= r->port_max,
	    "ports %u-%u", r->port_min, r->port_max);
	CHECK(r->port_min == 0 || r->proto == FWRULE_TCP || r->proto == FWRULE_UDP,
	    "ports without tcp/udp");
	CHECK(!r->has_icmptype || r->proto == FWRULE_ICMP, "icmptype without icmp");
	CHECK(!r->dns || r->dst == FWRULE_DST_ANY, "specialtarget with a destination");
	CHECK(r->expire >= 0 && r->expire <= FWRULE_EXPIRE_MAX, "expire %lld",
	    (long long)r->expire);
	CHECK(memchr(r->host, '\0', sizeof(r->host)) != NULL, "host unterminated");
	CHECK(memchr(r->comment, '\0', sizeof(r->comment)) != NULL, "comment unterminated");
	CHECK((r->dst == FWRULE_DSTHOST) == (r->host[0] != '\0'), "host '%s' for dst %d",
	    r->host, r->dst);
	for (const char *c = r->comment; *c != '\0'; c++)
		CHECK(*c >= 0x20 && *c < 0x7f && *c != '"', "comment byte 0x%02x",
		    (unsigned char)*c);
	for (const char *c = r->host; *c != '\0'; c++)
		CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		    *c == '_' || *c == '.', "host byte 0x%02x", (unsigned char)*c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwrule r, back;
	char err[256], text[FWRULE_TEXT_MAX], again[FWRULE_TEXT_MAX], *copy;
	size_t n = size < FWRULE_TEXT_MAX + 8 ? size : FWRULE_TEXT_MAX + 8;
	int len;

	/* NUL-terminated (the API takes a C string), sized exactly. */
	copy = malloc(n + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, n);
	copy[n] = '\0';
	memset(err, 'E', sizeof(err));
	memset(&r, 0x5a, sizeof(r));
	if (fwrule_parse(copy, &r, err, sizeof(err)) != 0) {
		size_t e = strnlen(err, sizeof(err));
		CHECK(e > 0 && e < sizeof(err), "error empty or unterminated");
		CHECK(strchr(err, '\n') == NULL, "error is not one line: %s", err);
		for (size_t i = 0; i < sizeof(r); i++)
			CHECK(((unsigned char *)&r)[i] == 0x5a, "output written although refused");
		free(copy);
		return 0;
	}
	CHECK(strnlen(copy, FWRULE_TEXT_MAX) < FWRULE_TEXT_MAX, "overlong rule accepted");
	check_rule(&r);

	len = fwrule_format(&r, text, sizeof(text));
	CHECK(len > 0 && len < FWRULE_TEXT_MAX && (size_t)len == strlen(text),
	    "canonical length %d", len);
	CHECK(fwrule_parse(text, &back, err, sizeof(err)) == 0,
	    "canonical form does not parse: %s: %s", err, text);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0, "canonical form parses to another rule: %s",
	    text);
	fwrule_format(&back, again, sizeof(again));
	CHECK(strcmp(text, again) == 0, "format not stable: '%s' then '%s'", text, again);

	len = fwrule_format_qubes(&r, text, sizeof(text));
	CHECK(len > 0 && len < FWRULE_TEXT_MAX && (size_t)len == strlen(text),
	    "Qubes form length %d", len);
	CHECK(fwrule_parse(text, &back, err, sizeof(err)) == 0,
	    "Qubes form does not parse: %s: %s", err, text);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0, "Qubes form parses to another rule: %s", text);
	free(copy);
	return 0;
}
