/* virtio-net driver: the pure pieces (see vnet.h). */
#include "vnet.h"

size_t vnet_build_frame(uint8_t *buf, size_t cap, const uint8_t src[ETH_ALEN],
			const char *text)
{
	size_t tlen = 0;

	while (text[tlen])
		tlen++;
	size_t len = ETH_HLEN + tlen;
	if (len < ETH_ZLEN)
		len = ETH_ZLEN;
	if (len > cap || len > ETH_FRAME_MAX)
		return 0;
	for (unsigned i = 0; i < ETH_ALEN; i++) {
		buf[i] = 0xff;
		buf[ETH_ALEN + i] = src[i];
	}
	buf[12] = VNET_ETHERTYPE >> 8;
	buf[13] = VNET_ETHERTYPE & 0xff;
	for (size_t i = ETH_HLEN; i < len; i++)
		buf[i] = i - ETH_HLEN < tlen ? (uint8_t)text[i - ETH_HLEN] : 0;
	return len;
}

bool vnet_parse_frame(const uint8_t *frame, size_t len, uint8_t src[ETH_ALEN],
		      char *text, size_t n)
{
	if (len < ETH_HLEN || n == 0 ||
	    (frame[12] << 8 | frame[13]) != VNET_ETHERTYPE)
		return false;
	for (unsigned i = 0; i < ETH_ALEN; i++)
		src[i] = frame[ETH_ALEN + i];
	size_t k = 0;
	for (size_t i = ETH_HLEN; i < len && k + 1 < n; i++) {
		uint8_t c = frame[i];
		if (c < 0x20 || c > 0x7e)
			break;
		text[k++] = (char)c;
	}
	text[k] = '\0';
	return true;
}

void vnet_format_mac(const uint8_t mac[ETH_ALEN], char out[18])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < ETH_ALEN; i++) {
		out[3 * i] = hex[mac[i] >> 4];
		out[3 * i + 1] = hex[mac[i] & 15];
		out[3 * i + 2] = i + 1 < ETH_ALEN ? ':' : '\0';
	}
}

bool vnet_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}
