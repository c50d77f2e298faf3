/*
 * shell: commands for people and for the cluster scripts. Lines arrive from
 * the serial driver as calls; each output line is a log line
 * `[time] nodeN shell: <text>`. A line prefixed `@K ` (a sequence number
 * from scripts/cluster/exec) ends with `done seq=K status=S`, S 0 or 1, so
 * a script knows where the output stops. A wrong command gets one line
 * starting `error:`.
 *
 * Capabilities: SVC_INIT_EP (1,1) for names, init with the admin badge (2,1).
 */
#include "libaion/initclient.h"
#include <stdbool.h>
#include "aion/initproto.h"
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "aion/net.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "kvcmd.h"
#include "posixsh.h"
#include "common/time.h"

#define INIT_ADMIN      AION_HANDLE(2, 1)
#define ARGS_MAX        12

static struct aion_ipc_buffer buf __attribute__((aligned(4096)));
static char text[AION_IPC_PAYLOAD_MAX + 1];

/* Prints a multi-line reply one log line per line; returns how many. */
static unsigned print_lines(const char *t)
{
	unsigned lines = 0;
	while (*t) {
		const char *end = t;
		while (*end && *end != '\n')
			end++;
		char line[AION_LOG_MAX];
		unsigned n = (unsigned)(end - t) < sizeof(line) - 1 ? (unsigned)(end - t) : sizeof(line) - 1;
		memcpy(line, t, n);
		line[n] = '\0';
		aion_printf("%s", line);
		lines++;
		t = *end ? end + 1 : end;
	}
	return lines;
}

static int admin(uint32_t label, const char *arg)
{
	int64_t err = init_text_call(INIT_ADMIN, &buf, label, arg, text, sizeof(text));
	if (err) {
		aion_printf("error: %s", aion_error_name(err));
		return 1;
	}
	print_lines(text);
	return 0;
}

/* `ps` comes in answers of whole lines; "more=K" asks for the rest. */
static int cmd_ps(void)
{
	char from[12] = "";
	for (unsigned page = 0; page < 64; page++) {
		int64_t err = init_text_call(INIT_ADMIN, &buf, INIT_ADMIN_PS, from, text, sizeof(text));
		if (err) {
			aion_printf("error: %s", aion_error_name(err));
			return 1;
		}
		char *more = text;      /* the start of the last line */
		for (char *p = text; *p; p++)
			if (*p == '\n' && p[1])
				more = p + 1;
		if (strncmp(more, "more=", 5)) {
			print_lines(text);
			return 0;
		}
		*more = '\0';
		print_lines(text);
		fmt_snprintf(from, sizeof(from), "%lu", (unsigned long)cmdline_decimal(more + 5));
	}
	return 0;
}

static int cmd_help(void)
{
	aion_printf("commands: help ps caps UNIT mem svc services names nodes mesh stats|refs "
		    "mesh key add HEX|use|retire "
		    "call NAME [TEXT] kill UNIT net ping ADDR uptime top jobs "
		    "spawn PROGRAM [--replicas K] [--node A,B] [--spread] stop PROGRAM "
		    "members [remove NODE] "
		    "kv get|put|cas|add ... sh shutdown");
	return 0;
}

/* Asks init to stop everything and power off; this shell is stopped too,
 * so the `done` line may not come. */
static int cmd_shutdown(void)
{
	int64_t err = init_text_call(INIT_ADMIN, &buf, INIT_ADMIN_SHUTDOWN, NULL, text, sizeof(text));
	if (err == -AION_EBUSY) {
		aion_printf("error: shutdown: already under way");
		return 1;
	}
	if (err) {
		aion_printf("error: shutdown: %s", aion_error_name(err));
		return 1;
	}
	aion_printf("shutdown: under way");
	return 0;
}

static int cmd_mem(void)
{
	struct aion_system_info si;
	aion_system_info(&si);
	aion_printf("mem free_kib=%lu total_kib=%lu kernel_objects=%lu",
		    (unsigned long)si.free_frames * 4, (unsigned long)si.total_frames * 4,
		    (unsigned long)si.kernel_objects);
	return 0;
}

static int cmd_uptime(void)
{
	struct aion_system_info si;
	uint64_t ns = aion_clock_ns();
	int64_t err = aion_system_info(&si);
	if (err) {
		aion_printf("error: %s", aion_error_name(err));
		return 1;
	}
	/* idle_entries: the CPUs' halts since boot, the wake-ups that cost
	 * an idle node's host (bench/idle reads it twice). */
	aion_printf("uptime s=%lu.%03lu idle_ms=%lu idle_entries=%u", (unsigned long)(ns / SEC),
		    (unsigned long)(ns / MS % 1000), (unsigned long)(si.idle_ns / MS),
		    si.idle_entries);
	return 0;
}

static int cmd_names(void)
{
	int64_t err = init_text_call(SVC_INIT_EP, &buf, INIT_NS_LIST, NULL, text, sizeof(text));
	if (err) {
		aion_printf("error: %s", aion_error_name(err));
		return 1;
	}
	aion_printf("names %s", text);
	return 0;
}

#define PING_COUNT      3
#define PING_TIMEOUT_MS 1000

/* netd's endpoint, looked up once (netd registers "net" when it starts). */
static int64_t net_ep(void)
{
	static int64_t ep = -AION_ENOENT;
	if (ep < 0)
		ep = init_lookup(SVC_INIT_EP, &buf, "net", 0);
	return ep;
}

/* Puts text in the payload and calls netd (the lookup uses the buffer too). */
static int64_t net_send(int64_t ep, struct aion_msg *m, const char *payload,
			uint64_t timeout_ns)
{
	unsigned len = payload ? (unsigned)strlen(payload) : 0;
	if (ep < 0)
		return ep;
	memcpy(buf.payload, payload, len);
	m->tag = AION_TAG(AION_TAG_LABEL(m->tag), len, 0);
	return aion_call((aion_handle_t)ep, m, timeout_ns);
}

/* One call to netd; a dead handle (netd restarted) is looked up again once. */
static int64_t net_call(struct aion_msg *m, const char *payload, uint64_t timeout_ns)
{
	struct aion_msg keep = *m;
	int64_t ep = net_ep();
	int64_t err = net_send(ep, m, payload, timeout_ns);

	if (err == -AION_EDEAD || err == -AION_ECAP) {
		aion_handle_close((aion_handle_t)ep);
		*m = keep;
		ep = init_lookup(SVC_INIT_EP, &buf, "net", SEC);
		err = net_send(ep, m, payload, timeout_ns);
	}
	return err ? err : (int64_t)m->w[0];
}

static int cmd_net(void)
{
	struct aion_msg m = { .tag = AION_TAG(NET_INFO, 0, 0) };
	int64_t err = net_call(&m, NULL, 2 * SEC);
	if (err) {
		aion_printf("error: net: %s", aion_error_name(err));
		return 1;
	}
	unsigned n = AION_TAG_LEN(m.tag) < sizeof(text) - 1 ? AION_TAG_LEN(m.tag) : sizeof(text) - 1;
	memcpy(text, buf.payload, n);
	text[n] = '\0';
	aion_printf("net %s", text);
	return 0;
}

static int cmd_ping(const char *addr)
{
	struct aion_msg m = { .tag = AION_TAG(NET_PING, 0, 0), .w = { PING_COUNT, PING_TIMEOUT_MS } };
	int64_t err = net_call(&m, addr, (PING_COUNT * PING_TIMEOUT_MS + 2000) * MS);
	if (err) {
		aion_printf("error: ping %s: %s", addr, aion_error_name(err));
		return 1;
	}
	aion_printf("ping %s received=%lu/%u rtt_us=%lu", addr, (unsigned long)m.w[1],
		    PING_COUNT, (unsigned long)m.w[2]);
	return 0;
}

#define MESH_WAIT_NS    (2 * SEC)

/* meshd's endpoint, looked up once (meshd registers "mesh" when it starts). */
static aion_handle_t mesh_h;

/* "mesh", looked up once and kept. */
static int64_t mesh_ep(aion_handle_t *ep)
{
	aion_handle_t h = mesh_h;
	if (!h) {
		int64_t err = mesh_connect(&buf, MESH_WAIT_NS, &h);
		if (err)
			return err;
		mesh_h = h;
	}
	*ep = h;
	return 0;
}

/* After err from a call on "mesh": true when meshd was restarted (the
 * kept endpoint is dead, the call did not run), so the caller asks again
 * once on a fresh lookup. */
static bool mesh_ep_stale(int64_t err)
{
	if (err != -AION_EDEAD && err != -AION_ECAP)
		return false;
	aion_handle_close(mesh_h);
	mesh_h = 0;
	return true;
}

/* A text request to meshd, answered in pages: w1 is where the next starts.
 * An answer without a line prints `WHAT: none`, so silence never means
 * success. */
static int mesh_text(const char *what, uint32_t label, const char *none)
{
	aion_handle_t ep = 0;
	uint64_t from = 0;
	unsigned lines = 0;
	int64_t err = mesh_ep(&ep);
	for (unsigned page = 0; !err && page < 16; page++) {
		uint64_t next = 0;
		err = mesh_text_call(ep, &buf, label, from, NULL, text, sizeof(text), &next);
		if (page == 0 && mesh_ep_stale(err) && !(err = mesh_ep(&ep)))
			err = mesh_text_call(ep, &buf, label, from, NULL, text, sizeof(text), &next);
		if (!err)
			lines += print_lines(text);
		if (err || !next)
			break;
		from = next;
	}
	if (err) {
		aion_printf("error: %s: %s", what, aion_error_name(err));
		return 1;
	}
	if (!lines)
		aion_printf("%s: %s", what, none);
	return 0;
}

/* Joins argv[from..argc) with spaces into out. */
static void join(unsigned argc, char **argv, unsigned from, char *out, unsigned size)
{
	unsigned n = 0;
	out[0] = '\0';
	for (unsigned i = from; i < argc; i++) {
		size_t len = strlen(argv[i]);
		if (n + len + 2 > size)
			break;
		if (n)
			out[n++] = ' ';
		memcpy(out + n, argv[i], len + 1);
		n += (unsigned)len;
	}
}

/* spawn PROGRAM [--replicas K] [--node A,B] [--spread] | stop PROGRAM:
 * meshd's answer is a line of text, also when it refuses (it says why). */
static int cmd_sched(uint32_t label, unsigned argc, char **argv)
{
	char req[AION_IPC_PAYLOAD_MAX];
	aion_handle_t ep = 0;
	int64_t err = mesh_ep(&ep);
	join(argc, argv, 1, req, sizeof(req));
	struct aion_msg m = { .tag = AION_TAG(label, ipc_put_text(&buf, req), 0) };
	if (!err)
		err = aion_call(ep, &m, 0);
	if (mesh_ep_stale(err) && !(err = mesh_ep(&ep))) {
		m = (struct aion_msg){ .tag = AION_TAG(label, ipc_put_text(&buf, req), 0) };
		err = aion_call(ep, &m, 0);
	}
	if (!err) {
		unsigned n = AION_TAG_LEN(m.tag) < sizeof(text) - 1 ? AION_TAG_LEN(m.tag) : sizeof(text) - 1;
		memcpy(text, buf.payload, n);
		text[n] = '\0';
		err = (int64_t)m.w[0];
	}
	if (err) {
		aion_printf("error: %s %s: %s%s%s", argv[0], argc > 1 ? argv[1] : "",
			    aion_error_name(err), text[0] ? ": " : "", text);
		return 1;
	}
	aion_printf("%s", text);
	return 0;
}

/* mesh key add HEX | use | retire: the cluster key's rotation on this
 * node, through meshd's "admin.meshd" (init gives it through the admin
 * capability only: aion/initproto.h). The key is never printed. */
static int cmd_mesh_key(unsigned argc, char **argv)
{
	char req[AION_IPC_PAYLOAD_MAX];
	join(argc, argv, 2, req, sizeof(req));
	int64_t h = init_lookup(INIT_ADMIN, &buf, INIT_ADMIN_NAME_PREFIX "meshd", MESH_WAIT_NS);
	int64_t err = h < 0 ? h : 0;
	if (!err) {
		struct aion_msg m = { .tag = AION_TAG(MESHD_KEY, ipc_put_text(&buf, req), 0) };
		err = aion_call((aion_handle_t)h, &m, 0);
		if (!err)
			err = (int64_t)m.w[0];
		aion_handle_close((aion_handle_t)h);
	}
	memset(req, 0, sizeof(req));
	memset(buf.payload, 0, sizeof(buf.payload));
	if (err) {
		aion_printf("error: mesh key %s: %s", argv[2], aion_error_name(err));
		return 1;
	}
	aion_printf("mesh key %s: ok", argv[2]);
	return 0;
}

/* call NAME [TEXT...]: a MESH_TEXT_CALL to a service found by name. */
static int cmd_call(unsigned argc, char **argv)
{
	char req[AION_IPC_PAYLOAD_MAX];
	aion_handle_t ep = 0, svc;
	unsigned node = 0;
	int64_t err = mesh_ep(&ep);

	join(argc, argv, 2, req, sizeof(req));
	if (!err)
		err = mesh_lookup(ep, &buf, argv[1], &svc, &node);
	if (mesh_ep_stale(err) && !(err = mesh_ep(&ep)))
		err = mesh_lookup(ep, &buf, argv[1], &svc, &node);
	if (err) {
		aion_printf("error: call %s: lookup: %s", argv[1], aion_error_name(err));
		return 1;
	}
	uint64_t t0 = aion_clock_ns();
	err = mesh_text_call(svc, &buf, MESH_TEXT_CALL, 0, req, text, sizeof(text), NULL);
	uint64_t us = (aion_clock_ns() - t0) / 1000;
	aion_handle_close(svc);
	if (err) {
		aion_printf("error: call %s: %s", argv[1], aion_error_name(err));
		return 1;
	}
	aion_printf("reply node=%u us=%lu: %s", node, (unsigned long)us, text);
	return 0;
}

/* Splits line in place; returns the word count (at most ARGS_MAX). */
static unsigned split(char *line, char **argv)
{
	unsigned n = 0;
	for (char *p = line; *p && n < ARGS_MAX;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		argv[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return n;
}

static int run(char *line)
{
	char *argv[ARGS_MAX];
	unsigned argc = split(line, argv);

	if (argc == 0)
		return 0;
	const char *c = argv[0];
	if (!strcmp(c, "help") && argc == 1) return cmd_help();
	if (!strcmp(c, "ps") && argc == 1) return cmd_ps();
	if (!strcmp(c, "svc") && argc == 1) return admin(INIT_ADMIN_SERVICES, NULL);
	if (!strcmp(c, "services") && argc == 1)
		return mesh_text("services", MESHD_SERVICES, "none registered");
	if (!strcmp(c, "nodes") && argc == 1) return mesh_text("nodes", MESHD_NODES, "none");
	if (!strcmp(c, "mesh") && argc == 2 && !strcmp(argv[1], "stats"))
		return mesh_text("mesh stats", MESHD_STATS, "none");
	if (!strcmp(c, "mesh") && argc >= 3 && !strcmp(argv[1], "key") &&
	    ((argc == 4 && !strcmp(argv[2], "add")) ||
	     (argc == 3 && (!strcmp(argv[2], "use") || !strcmp(argv[2], "retire")))))
		return cmd_mesh_key(argc, argv);
	if (!strcmp(c, "mesh") && argc == 2 && !strcmp(argv[1], "refs"))
		return mesh_text("mesh refs", MESHD_REFS, "none");
	if (!strcmp(c, "mesh") && argc == 5 && !strcmp(argv[1], "forge"))
		return cmd_sched(MESHD_FORGE, argc, argv);
	if (!strcmp(c, "call") && argc >= 2) return cmd_call(argc, argv);
	if (!strcmp(c, "spawn") && argc >= 2) return cmd_sched(MESHD_SPAWN, argc, argv);
	if (!strcmp(c, "stop") && argc == 2) return cmd_sched(MESHD_STOP, argc, argv);
	if (!strcmp(c, "jobs") && argc == 1) return mesh_text("jobs", MESHD_JOBS, "none");
	if (!strcmp(c, "top") && argc == 1) return mesh_text("top", MESHD_TOP, "none");
	if (!strcmp(c, "members") && argc == 1) return mesh_text("members", MESHD_MEMBERS, "none");
	if (!strcmp(c, "members") && argc == 3 && !strcmp(argv[1], "remove"))
		return cmd_sched(MESHD_MEMBERS, argc, argv);
	if (!strcmp(c, "kv") && argc >= 2) return cmd_kv(&buf, argc, argv);
	if (!strcmp(c, "caps") && argc == 2) return admin(INIT_ADMIN_CAPS, argv[1]);
	if (!strcmp(c, "kill") && argc == 2) return admin(INIT_ADMIN_KILL, argv[1]);
	if (!strcmp(c, "shutdown") && argc == 1) return cmd_shutdown();
	if (!strcmp(c, "mem") && argc == 1) return cmd_mem();
	if (!strcmp(c, "uptime") && argc == 1) return cmd_uptime();
	if (!strcmp(c, "names") && argc == 1) return cmd_names();
	if (!strcmp(c, "net") && argc == 1) return cmd_net();
	if (!strcmp(c, "ping") && argc == 2) return cmd_ping(argv[1]);
	if (!strcmp(c, "sh") && argc == 1) return cmd_sh(&buf);
	aion_printf("error: unknown command or arguments: %s (try help)", c);
	return 1;
}

/* "@17 ps" -> seq 17, command "ps"; no prefix -> seq -1. */
static long take_seq(char **line)
{
	char *p = *line;
	long seq = 0;

	if (*p != '@')
		return -1;
	for (p++; *p >= '0' && *p <= '9' && seq < 1000000000; p++)
		seq = seq * 10 + (*p - '0');
	while (*p == ' ')
		p++;
	*line = p;
	return seq;
}

int64_t aion_main(uint64_t arg)
{
	char line[AION_IPC_PAYLOAD_MAX + 1];
	struct aion_msg m;
	(void)arg;

	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : aion_ipc_buffer(&buf);
	if (!err)
		err = init_register(SVC_INIT_EP, &buf, "shell", (aion_handle_t)ep, AION_RIGHT_SEND);
	if (err) {
		aion_printf("setup failed err=%s", aion_error_name(err));
		return 1;
	}
	aion_printf("ready");
	err = aion_recv((aion_handle_t)ep, &m, 0);
	while (!err) {
		unsigned n = AION_TAG_LEN(m.tag);
		memcpy(line, buf.payload, n);
		line[n] = '\0';
		char *cmd = line;
		long seq = take_seq(&cmd);
		/* `sh` opens the terminal, which the serial unit serves: it must
		 * not wait for our reply meanwhile (posixsh.c). */
		bool early = !strcmp(cmd, "sh");
		m = (struct aion_msg){ 0 };
		if (early)
			aion_reply(&m);
		int status = run(cmd);
		if (seq >= 0)
			aion_printf("done seq=%ld status=%d", seq, status);
		m = (struct aion_msg){ 0 };
		err = early ? aion_recv((aion_handle_t)ep, &m, 0) :
		      aion_reply_recv((aion_handle_t)ep, &m, 0);
	}
	aion_printf("recv failed err=%s", aion_error_name(err));
	return 1;
}
