/*
 * NET_PING (aion/net.h): ICMP echo through a raw pcb. One ping at a time;
 * its caller's reply is saved (REPLY_SAVE) and answered from the server
 * loop once every echo came back or timed out. Echo requests go one after
 * the other, each as soon as the previous one is settled. An echo reply
 * counts when it comes from the address pinged and carries our id and the
 * sequence number in flight; the raw pcb eats it. Everything else ICMP is
 * left to lwIP (which answers echo requests to us itself).
 */
#include "common/ipv4.h"
#include "aion/net.h"
#include "libaion/serve.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "netd.h"

#define PING_DATA       32              /* bytes after the ICMP header */

static struct {
	struct raw_pcb *pcb;
	bool active;
	aion_handle_t reply;
	ip_addr_t dst;
	unsigned count, sent, received;
	uint64_t timeout_ns;
	uint16_t id, seq;               /* seq: of the echo in flight */
	bool in_flight;
	uint64_t sent_at, deadline;
	uint64_t last_rtt_ns;
	int64_t error;                  /* a send that failed */
} pg;

/* Strict a.b.c.d (common/ipv4.h); false for anything else. */
static bool parse_addr(const char *s, unsigned len, ip_addr_t *out)
{
	uint32_t a;

	if (!ipv4_parse(s, len, &a))
		return false;
	ip_addr_set_ip4_u32(out, lwip_htonl(a));
	return true;
}

static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct icmp_echo_hdr echo;
	(void)arg;
	(void)pcb;

	if (!pg.in_flight || !ip_addr_cmp(addr, &pg.dst) || p->len < IP_HLEN)
		return 0;
	u16_t hlen = IPH_HL_BYTES((struct ip_hdr *)p->payload);
	if (pbuf_copy_partial(p, &echo, sizeof(echo), hlen) != sizeof(echo) ||
	    echo.type != ICMP_ER || echo.id != lwip_htons(pg.id) ||
	    echo.seqno != lwip_htons(pg.seq))
		return 0;
	/* Ours: check the checksum over the ICMP message, then eat it. */
	bool good = pbuf_remove_header(p, hlen) == 0 && inet_chksum_pbuf(p) == 0;
	pbuf_free(p);
	if (good) {
		pg.in_flight = false;
		pg.received++;
		pg.last_rtt_ns = aion_clock_ns() - pg.sent_at;
	}
	return 1;
}

bool ping_init(void)
{
	pg.pcb = raw_new(IP_PROTO_ICMP);
	if (!pg.pcb)
		return false;
	raw_recv(pg.pcb, ping_recv, NULL);
	pg.id = (uint16_t)LWIP_RAND();
	return true;
}

bool ping_busy(void)
{
	return pg.active;
}

static int64_t lwip_error(err_t err)
{
	switch (err) {
	case ERR_RTE:
		return -AION_ENOENT;
	case ERR_MEM:
	case ERR_BUF:
		return -AION_ENOMEM;
	default:
		return -AION_EINVAL;
	}
}

static int64_t send_echo(void)
{
	struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
	if (!p)
		return -AION_ENOMEM;
	struct icmp_echo_hdr *echo = p->payload;
	uint8_t *data = (uint8_t *)(echo + 1);
	pg.seq++;
	ICMPH_TYPE_SET(echo, ICMP_ECHO);
	ICMPH_CODE_SET(echo, 0);
	echo->chksum = 0;
	echo->id = lwip_htons(pg.id);
	echo->seqno = lwip_htons(pg.seq);
	for (unsigned i = 0; i < PING_DATA; i++)
		data[i] = (uint8_t)('a' + i % 26);
	echo->chksum = inet_chksum(echo, p->len);
	pg.sent_at = aion_clock_ns();
	pg.deadline = pg.sent_at + pg.timeout_ns;
	pg.in_flight = true;
	err_t err = raw_sendto(pg.pcb, p, &pg.dst);
	pbuf_free(p);
	if (err != ERR_OK) {
		pg.in_flight = false;
		return lwip_error(err);
	}
	pg.sent++;
	return 0;
}

int64_t ping_check(const char *addr, unsigned len, uint64_t count, uint64_t timeout_ms)
{
	ip_addr_t dst;

	if (!parse_addr(addr, len, &dst) || ip_addr_isany(&dst) || ip_addr_ismulticast(&dst) ||
	    ip4_addr_cmp(ip_2_ip4(&dst), IP4_ADDR_BROADCAST))
		return -AION_EINVAL;
	if (count < 1 || count > NET_PING_COUNT_MAX || timeout_ms > NET_PING_TIMEOUT_MAX_MS)
		return -AION_EINVAL;
	return 0;
}

int64_t ping_start(const char *addr, unsigned len, uint64_t count, uint64_t timeout_ms,
		   aion_handle_t reply)
{
	int64_t err = ping_check(addr, len, count, timeout_ms);
	if (err)
		return err;
	if (pg.active)
		return -AION_EBUSY;
	parse_addr(addr, len, &pg.dst);
	pg.count = (unsigned)count;
	pg.timeout_ns = (timeout_ms ? timeout_ms : NET_PING_TIMEOUT_DEF_MS) * MS;
	pg.sent = pg.received = 0;
	pg.last_rtt_ns = 0;
	pg.error = 0;
	if ((err = send_echo()))
		return err;             /* nothing went out: the caller answers */
	pg.reply = reply;
	pg.active = true;
	return 0;
}

static void finish(void)
{
	int64_t status = pg.received ? 0 : pg.error ? pg.error : -AION_ETIMEDOUT;
	struct aion_msg m = {
		.tag = AION_TAG(NET_PING, 0, 0),
		.w = { (uint64_t)status, pg.received, pg.last_rtt_ns / US },
	};
	pg.active = false;
	pg.in_flight = false;
	aion_printf("ping addr=%s sent=%u received=%u rtt_us=%lu%s%s", ipaddr_ntoa(&pg.dst),
		    pg.sent, pg.received, (unsigned long)(pg.last_rtt_ns / US),
		    status ? " err=" : "", status ? aion_error_name(status) : "");
	int64_t err = aion_serve_answer(pg.reply, &m);
	if (err)
		aion_printf("ping reply failed err=%s", aion_error_name(err));
	pg.reply = 0;
}

uint64_t ping_poll(uint64_t now)
{
	if (!pg.active)
		return 0;
	if (pg.in_flight && now < pg.deadline)
		return pg.deadline;
	pg.in_flight = false;           /* came back, or lost */
	while (pg.sent < pg.count) {
		int64_t err = send_echo();
		if (!err)
			return pg.deadline;
		pg.error = err;         /* counts as lost; the next one may go */
		pg.sent++;
	}
	finish();
	return 0;
}
