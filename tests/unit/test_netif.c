/*
 * Host tests for netd's netif glue (netstack/netd/netif_glue.c) with lwIP's
 * core built natively: two netifs, A (10.77.0.1) and B (10.77.0.2), on two
 * in-memory rings cross-connected (A's tx is B's rx and the other way).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "netif_glue.h"

#define PORT_B  7777

static u32_t now_ms;

/* lwIP's clock (NO_SYS): advanced by the test. */
u32_t sys_now(void)
{
	return now_ms;
}

static struct netring *ab, *ba;         /* A -> B, B -> A */
static struct netif nif_a, nif_b;
static struct netif_glue glue_a, glue_b;
static unsigned kicks_a;
static struct udp_pcb *pcb_a, *pcb_b;
static uint8_t got[2048];
static int got_len = -1;
static ip_addr_t got_from;

static void kick_a(void *arg)
{
	(void)arg;
	kicks_a++;
}

static void udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		   u16_t port)
{
	(void)arg;
	(void)pcb;
	(void)port;
	got_len = pbuf_copy_partial(p, got, sizeof(got), 0);
	ip_addr_copy(got_from, *addr);
	pbuf_free(p);
}

/* Runs both netifs and lwIP's timers until nothing is left on either ring. */
static void pump(unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++) {
		netif_glue_rx(&nif_b, NETRING_SLOTS);
		netif_glue_rx(&nif_a, NETRING_SLOTS);
		netif_glue_flush(&glue_a);      /* the end of a turn, as netd's nic_kick */
		netif_glue_flush(&glue_b);
		now_ms += 10;
		sys_check_timeouts();
	}
}

static void add(struct netif *nif, struct netif_glue *g, struct netring *tx,
		struct netring *rx, uint8_t last, u8_t host)
{
	ip4_addr_t addr, mask, gw;

	g->tx = tx;
	g->rx = rx;
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, last };
	memcpy(g->mac, mac, sizeof(mac));
	IP4_ADDR(&addr, 10, 77, 0, host);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_zero(&gw);
	assert_non_null(netif_add(nif, &addr, &mask, &gw, g, netif_glue_init, ethernet_input));
	netif_set_up(nif);
}

static int setup(void **state)
{
	(void)state;
	ab = calloc(1, sizeof(*ab));
	ba = calloc(1, sizeof(*ba));
	if (!ab || !ba)
		return -1;
	lwip_init();
	glue_a.kick = kick_a;
	add(&nif_a, &glue_a, ab, ba, 1, 1);
	add(&nif_b, &glue_b, ba, ab, 2, 2);
	pump(5);        /* the gratuitous ARPs */
	pcb_b = udp_new();
	pcb_a = udp_new();
	if (!pcb_a || !pcb_b || udp_bind(pcb_b, IP4_ADDR_ANY, PORT_B) != ERR_OK)
		return -1;
	udp_recv(pcb_b, udp_in, NULL);
	udp_bind_netif(pcb_a, &nif_a);  /* both are on 10.77.0.0/24: leave by A's ring */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udp_remove(pcb_a);
	udp_remove(pcb_b);
	netif_remove(&nif_a);
	netif_remove(&nif_b);
	free(ab);
	free(ba);
	return 0;
}

/* ---- pure ACKs held within a turn (netif_glue_output, netif_glue_flush) ---- */

#define ACK_PORT_A      5001
#define ACK_PORT_B      5002
#define TCP_ACK         0x10
#define TCP_FIN         0x01

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An Ethernet frame with an IPv4 TCP segment from sport to 5002 on
 * 10.77.0.2: ack, window, flags and `data` bytes of payload. */
static struct pbuf *segment(uint16_t sport, uint32_t ack, uint16_t wnd, uint8_t flags,
			    uint16_t data)
{
	uint16_t len = (uint16_t)(14 + 20 + 20 + data);
	struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
	assert_non_null(p);
	uint8_t *f = p->payload;
	memset(f, 0, len);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(40 + data));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0x0a4d0001);
	put32(ip + 16, 0x0a4d0002);
	put16(tcp, sport);
	put16(tcp + 2, ACK_PORT_B);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, wnd);
	return p;
}

static void out(struct pbuf *p)
{
	bool kick;
	assert_int_equal(netif_glue_output(&glue_a, p, &kick), ERR_OK);
	pbuf_free(p);
}

/* The next frame on A's ring: its source port, ack, window and length. */
static bool next_frame(uint16_t *sport, uint32_t *ack, uint16_t *wnd, uint32_t *len)
{
	static uint8_t f[NETRING_SLOT_SIZE];
	*len = netring_pop(ab, f, sizeof(f));
	if (!*len)
		return false;
	const uint8_t *tcp = f + 14 + 20;
	*sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	*ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
	*wnd = (uint16_t)(tcp[14] << 8 | tcp[15]);
	return true;
}

static void expect_frame(uint16_t sport, uint32_t ack, uint16_t wnd)
{
	uint16_t sp, w;
	uint32_t a, len;
	assert_true(next_frame(&sp, &a, &w, &len));
	assert_int_equal(sp, sport);
	assert_int_equal(a, ack);
	assert_int_equal(w, wnd);
}

static void expect_empty(void)
{
	uint16_t sp, w;
	uint32_t a, len;
	assert_false(next_frame(&sp, &a, &w, &len));
}

static void drain_a(void)
{
	netif_glue_flush(&glue_a);
	uint16_t sp, w;
	uint32_t a, len;
	while (next_frame(&sp, &a, &w, &len))
		;
}

static void test_acks_merged(void **state)
{
	(void)state;
	drain_a();
	uint64_t merged = glue_a.acks_merged;
	out(segment(ACK_PORT_A, 1000, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 3920, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 6840, 500, TCP_ACK, 0));
	expect_empty();                         /* held until the turn ends */
	netif_glue_flush(&glue_a);
	expect_frame(ACK_PORT_A, 6840, 500);    /* only the last: cumulative */
	expect_empty();
	assert_int_equal(glue_a.acks_merged - merged, 2);

	/* The same number with another window: a window update, merged too. */
	out(segment(ACK_PORT_A, 6840, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 6840, 900, TCP_ACK, 0));
	netif_glue_flush(&glue_a);
	expect_frame(ACK_PORT_A, 6840, 900);
	expect_empty();
}

static void test_acks_duplicate(void **state)
{
	(void)state;
	drain_a();
	/* Duplicates (same number, same window) all go: fast retransmit counts them. */
	out(segment(ACK_PORT_A, 7000, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 7000, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 7000, 500, TCP_ACK, 0));
	netif_glue_flush(&glue_a);
	expect_frame(ACK_PORT_A, 7000, 500);
	expect_frame(ACK_PORT_A, 7000, 500);
	expect_frame(ACK_PORT_A, 7000, 500);
	expect_empty();
	/* An older number (reordered) is not merged into a newer one either. */
	out(segment(ACK_PORT_A, 9000, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 8000, 500, TCP_ACK, 0));
	netif_glue_flush(&glue_a);
	expect_frame(ACK_PORT_A, 9000, 500);
	expect_frame(ACK_PORT_A, 8000, 500);
	expect_empty();
}

static void test_acks_order(void **state)
{
	(void)state;
	drain_a();
	/* Two connections: each keeps its place; a data segment or a FIN goes
	 * after what was held, and nothing is held after it. */
	out(segment(ACK_PORT_A, 10, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A + 1, 20, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 30, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A + 1, 40, 500, TCP_ACK, 100));   /* data */
	expect_frame(ACK_PORT_A, 30, 500);
	expect_frame(ACK_PORT_A + 1, 20, 500);
	expect_frame(ACK_PORT_A + 1, 40, 500);
	expect_empty();
	out(segment(ACK_PORT_A, 50, 500, TCP_ACK, 0));
	out(segment(ACK_PORT_A, 60, 500, TCP_ACK | TCP_FIN, 0));
	expect_frame(ACK_PORT_A, 50, 500);
	expect_frame(ACK_PORT_A, 60, 500);
	netif_glue_flush(&glue_a);
	expect_empty();
	/* More connections than places: the first held go out, none is lost. */
	for (uint16_t i = 0; i < NETIF_GLUE_HELD + 1; i++)
		out(segment((uint16_t)(6000 + i), 100u + i, 500, TCP_ACK, 0));
	netif_glue_flush(&glue_a);
	for (uint16_t i = 0; i < NETIF_GLUE_HELD + 1; i++)
		expect_frame((uint16_t)(6000 + i), 100u + i, 500);
	expect_empty();
}

static void send_udp(const uint8_t *data, u16_t len)
{
	ip_addr_t dst;
	IP_ADDR4(&dst, 10, 77, 0, 2);
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, len, PBUF_RAM);
	assert_non_null(p);
	assert_int_equal(pbuf_take(p, data, len), ERR_OK);
	assert_int_equal(udp_sendto(pcb_a, p, &dst, PORT_B), ERR_OK);
	pbuf_free(p);
}

static void expect_udp(const uint8_t *data, u16_t len)
{
	got_len = -1;
	send_udp(data, len);
	pump(20);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
	ip_addr_t a;
	IP_ADDR4(&a, 10, 77, 0, 1);
	assert_true(ip_addr_cmp(&got_from, &a));
}

/* ARP both ways, then the datagram: small (padded) and large. */
static void test_udp_a_to_b(void **state)
{
	(void)state;
	uint8_t small[5] = { 'h', 'e', 'l', 'l', 'o' }, big[1400];
	uint64_t tx_before = glue_a.tx_frames, rx_before = glue_b.rx_frames;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	expect_udp(small, sizeof(small));
	expect_udp(big, sizeof(big));
	assert_true(glue_a.tx_frames >= tx_before + 2);
	assert_true(glue_b.rx_frames >= rx_before + 2);
	assert_true(glue_b.tx_frames >= 1);     /* B's ARP reply at least */
	assert_true(kicks_a >= 1 || glue_a.kick_pending);
	assert_int_equal(glue_a.tx_full, 0);
	assert_int_equal(glue_b.rx_nobuf, 0);
}

/* A frame shorter than 60 bytes goes on the ring zero-padded to 60. */
static void test_pad(void **state)
{
	(void)state;
	uint8_t out[NETRING_FRAME_MAX];
	struct pbuf *p = pbuf_alloc(PBUF_RAW, 20, PBUF_RAM);

	assert_non_null(p);
	memset(p->payload, 0xab, 20);
	assert_int_equal(nif_a.linkoutput(&nif_a, p), ERR_OK);
	pbuf_free(p);
	assert_int_equal(netring_pop(ab, out, sizeof(out)), NETIF_GLUE_MIN_FRAME);
	for (unsigned i = 0; i < NETIF_GLUE_MIN_FRAME; i++)
		assert_int_equal(out[i], i < 20 ? 0xab : 0);

	/* 60 and more: as it is. */
	p = pbuf_alloc(PBUF_RAW, 61, PBUF_RAM);
	assert_non_null(p);
	memset(p->payload, 0xcd, 61);
	assert_int_equal(nif_a.linkoutput(&nif_a, p), ERR_OK);
	pbuf_free(p);
	assert_int_equal(netring_pop(ab, out, sizeof(out)), 61);
	assert_int_equal(out[60], 0xcd);
	assert_int_equal(netring_pop(ab, out, sizeof(out)), 0);
}

/* A full tx ring: ERR_MEM, counted by the ring and the glue, a kick. */
static void test_full(void **state)
{
	(void)state;
	uint8_t out[NETRING_FRAME_MAX];
	struct pbuf *p = pbuf_alloc(PBUF_RAW, 100, PBUF_RAM);
	uint64_t full = glue_a.tx_full, dropped = ab->dropped;

	assert_non_null(p);
	memset(p->payload, 0x11, 100);
	for (unsigned i = 0; i < NETRING_SLOTS; i++)
		assert_int_equal(nif_a.linkoutput(&nif_a, p), ERR_OK);
	unsigned kicks = kicks_a;
	assert_int_equal(nif_a.linkoutput(&nif_a, p), ERR_MEM);
	assert_int_equal(kicks_a, kicks + 1);
	assert_false(glue_a.kick_pending);
	assert_int_equal(glue_a.tx_full, full + 1);
	assert_int_equal(ab->dropped, dropped + 1);

	/* Too long for a slot: ERR_VAL. */
	struct pbuf *big = pbuf_alloc(PBUF_RAW, NETRING_FRAME_MAX + 1, PBUF_RAM);
	assert_non_null(big);
	assert_int_equal(nif_a.linkoutput(&nif_a, big), ERR_VAL);
	assert_int_equal(glue_a.tx_lenerr, 1);
	pbuf_free(big);
	pbuf_free(p);

	/* Link down (no tx ring): ERR_IF. */
	glue_a.tx = NULL;
	p = pbuf_alloc(PBUF_RAW, 10, PBUF_RAM);
	assert_non_null(p);
	assert_int_equal(nif_a.linkoutput(&nif_a, p), ERR_IF);
	pbuf_free(p);
	glue_a.tx = ab;

	for (unsigned i = 0; i < NETRING_SLOTS; i++)
		assert_int_equal(netring_pop(ab, out, sizeof(out)), 100);
	assert_int_equal(netring_pop(ab, out, sizeof(out)), 0);

	/* Still working. */
	uint8_t data[3] = { 1, 2, 3 };
	expect_udp(data, sizeof(data));
}

/* rx in batches: true when a whole batch was taken. */
static void test_rx_batch(void **state)
{
	(void)state;
	uint8_t junk[60] = { 0 };       /* to a MAC nobody has: dropped */

	junk[0] = 0x02;
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(netring_push(ab, junk, sizeof(junk)), 0);
	assert_true(netif_glue_rx(&nif_b, 2));
	assert_true(netif_glue_rx(&nif_b, 2));
	assert_false(netif_glue_rx(&nif_b, 2));
	assert_false(netif_glue_rx(&nif_b, 2));
}

static uint32_t rng = 12345;

static uint8_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

/* Random frames on rx (some made to look like IPv4 or ARP): dropped, no crash. */
static void test_corrupt(void **state)
{
	(void)state;
	static const uint32_t lens[] = { 1, 13, 14, 15, 34, 42, 60, 61, 100, 576, 1514,
					 NETRING_FRAME_MAX };
	uint8_t f[NETRING_FRAME_MAX];

	for (unsigned round = 0; round < 40; round++) {
		for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			uint32_t len = lens[k];
			for (uint32_t i = 0; i < len; i++)
				f[i] = rnd();
			if (len >= 14 && round % 4 != 0) {
				memcpy(f, glue_b.mac, 6);       /* to B */
				f[12] = 0x08;
				f[13] = round % 4 == 3 ? 0x06 : 0x00;   /* ARP or IPv4 */
				if (round % 4 == 2 && len >= 34) {
					f[14] = 0x45;           /* a plausible IPv4 header */
					f[26] = 10; f[27] = 77; f[28] = 0; f[29] = 1;
					f[30] = 10; f[31] = 77; f[32] = 0; f[33] = 2;
				}
			}
			assert_int_equal(netring_push(ab, f, len), 0);
			if (ab->head - ab->tail >= NETRING_SLOTS / 2)
				pump(1);
		}
		pump(2);
	}
	pump(5);
	assert_int_equal(glue_b.rx_nobuf, 0);
	/* Still working. */
	uint8_t data[4] = { 9, 8, 7, 6 };
	expect_udp(data, sizeof(data));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_a_to_b),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_rx_batch),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_acks_merged),
		cmocka_unit_test(test_acks_duplicate),
		cmocka_unit_test(test_acks_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
