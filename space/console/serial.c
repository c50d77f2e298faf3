/*
 * serial: the COM1 input driver and the console's terminal. The kernel
 * keeps writing its log to COM1 (polled); this unit takes the receive
 * side: the UART's "data ready" interrupt arrives as a notification bound
 * to the one serving thread, which also serves the terminal (tty.c, the
 * name "tty"). While a terminal record is open (a POSIX session holds
 * it) every byte goes to its line discipline; otherwise bytes are
 * gathered into a line and each complete line is handed to the built-in
 * shell with a call. One line at a time: the UART's 16-byte FIFO holds
 * what arrives meanwhile, which suits scripts that wait for each
 * command's `done` line.
 *
 * Capabilities: SVC_INIT_EP (1,1), COM1 ports (2,1), IRQ 4 (3,1).
 */
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "aion/tty.h"
#include "libaion/lib.h"
#include "common/time.h"
#include "tty.h"

#define COM1_PORTS      AION_HANDLE(2, 1)
#define COM1_IRQ        AION_HANDLE(3, 1)
#define COM1            0x3f8
#define UART_RBR        0
#define UART_IER        1
#define UART_IIR        2
#define UART_MCR        4
#define UART_LSR        5
#define LSR_DATA        0x01
#define LINE_MAX        255

static struct aion_ipc_buffer buf __attribute__((aligned(4096)));

static char line[LINE_MAX + 1];
static unsigned len;

static int64_t shell = -AION_ENOENT;
static aion_handle_t irq_notify;

/* The shell is looked up at its first line: the unit also runs where no
 * shell does (utest's POSIX tests use the terminal alone). */
static int64_t send_line(void)
{
	if (shell < 0)
		shell = init_lookup(SVC_INIT_EP, &buf, "shell", 10 * SEC);
	if (shell < 0)
		return shell;
	memcpy(buf.payload, line, len);
	struct aion_msg m = { .tag = AION_TAG(1, len, 0) };
	int64_t err = aion_call((aion_handle_t)shell, &m, 0);
	if (err == -AION_EDEAD || err == -AION_ECAP) {
		/* The shell was restarted: find the new one at the next line. */
		aion_handle_close((aion_handle_t)shell);
		shell = -AION_ENOENT;
	}
	return err;
}

/* Reads what the FIFO holds: to the terminal, or lines to the shell. */
static void drain(void)
{
	while (aion_inb(COM1 + UART_LSR) & LSR_DATA) {
		char c = (char)aion_inb(COM1 + UART_RBR);
		if (tty_active()) {
			len = 0;
			tty_input((uint8_t)c);
		} else if (c == '\r' || c == '\n') {
			int64_t err = len ? send_line() : 0;
			if (err)
				aion_printf("shell call failed err=%s", aion_error_name(err));
			len = 0;
		} else if (len < LINE_MAX) {
			line[len++] = c;
		}
	}
}

static void on_irq(void)
{
	/* IRQ 4 is edge-triggered and stays masked until the ack. Bytes that
	 * arrive after the drain and before the ack raise the line while the
	 * pin is masked: the IOAPIC ignores that edge, and the line then stays
	 * high, so no later byte raises another and input stops for good
	 * (seen with a host that sends the next command as soon as the shell
	 * printed `done`). So drain again after each ack until the FIFO is
	 * empty with the pin unmasked. */
	do {
		drain();
		(void)aion_inb(COM1 + UART_IIR);
		aion_irq_ack(COM1_IRQ);
	} while (aion_inb(COM1 + UART_LSR) & LSR_DATA);
}

static aion_handle_t serve_ep;

/* The one serving thread: the UART's notification and the terminal's calls. */
static int64_t serve_loop(uint64_t arg)
{
	struct aion_msg m;
	int64_t err;
	(void)arg;

	if ((err = aion_ipc_buffer(&buf)))
		goto fail;
	tty_init(serve_ep, &buf);
	int64_t opener = aion_cap_mint(serve_ep, AION_RIGHT_SEND, TTY_BADGE_OPEN);
	if (opener < 0 || (err = init_register(SVC_INIT_EP, &buf, TTY_NAME,
					       (aion_handle_t)opener, AION_RIGHT_SEND))) {
		err = opener < 0 ? opener : err;
		goto fail;
	}
	aion_outb(COM1 + UART_MCR, 0x0b);       /* OUT2: let the UART raise IRQ 4 */
	aion_outb(COM1 + UART_IER, 0x01);       /* interrupt on received data */
	aion_printf("ready port=0x%x irq=4 tty=%s", COM1, TTY_NAME);
	for (;;) {
		if ((err = aion_recv(serve_ep, &m, AION_FOREVER)))
			break;
		if (m.tag & AION_TAG_NOTIFY)
			on_irq();
		else
			tty_serve(&m);
	}
fail:
	aion_printf("serve failed err=%s", aion_error_name(err));
	aion_unit_exit(1);
	return 1;
}

extern char aion_thread_trampoline[];   /* space/lib/crt0.S */

int64_t aion_main(uint64_t arg)
{
	int64_t t, err;
	(void)arg;

	int64_t n = aion_notify_create();
	int64_t ep = n < 0 ? n : aion_endpoint_create();
	err = ep < 0 ? ep : aion_ioport_enable(COM1_PORTS);
	if (!err)
		err = aion_irq_set_notify(COM1_IRQ, (aion_handle_t)n, 1);
	uint64_t top = err ? 0 : aion_stack_alloc(16);
	if (!err && !top)
		err = -AION_ENOMEM;
	if (err) {
		aion_printf("setup failed err=%s", aion_error_name(err));
		return 1;
	}
	irq_notify = (aion_handle_t)n;
	serve_ep = (aion_handle_t)ep;
	uint64_t *sp = (uint64_t *)top;
	sp[-1] = (uint64_t)serve_loop;  /* read by aion_thread_trampoline */
	sp[-2] = 0;
	/* Bound before it starts: a bind does not deliver bits already
	 * pending to a thread blocked in RECV. */
	t = aion_thread_create(AION_HANDLE_SELF, (uint64_t)aion_thread_trampoline, top - 16, 0, 130);
	err = t < 0 ? t : aion_notify_bind(irq_notify, (aion_handle_t)t);
	if (!err)
		err = aion_thread_start((aion_handle_t)t);
	if (err) {
		aion_printf("setup failed err=%s", aion_error_name(err));
		return 1;
	}
	/* This thread has nothing more to do; the unit lives while one runs. */
	for (;;)
		aion_sleep_ns(3600 * SEC);
}
