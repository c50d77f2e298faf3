/*
 * IPv4 addresses as text: the one parser libaion (sock_parse_ipv4) and
 * netd (NET_PING) share. Pure: common/ipv4.c, also built by the host
 * tests (tests/unit/test_ipv4.c).
 */
#ifndef AION_IPV4_H
#define AION_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Exactly len bytes of text (no NUL needed, none allowed) as "a.b.c.d":
 * four decimal octets 0..255 of one to three digits, separated by single
 * dots, nothing before or after. A leading zero is refused in an octet of
 * more than one digit ("010"), which C's inet_aton would read as octal:
 * the text means one thing or is refused. On success *addr gets the
 * address in host order (a << 24 | b << 16 | c << 8 | d) and the result is
 * true; otherwise *addr is untouched. text NULL: false.
 */
bool ipv4_parse(const char *text, size_t len, uint32_t *addr);

#endif /* AION_IPV4_H */
