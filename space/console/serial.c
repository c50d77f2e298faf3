/*
 * serial: the COM1 input driver. The kernel keeps writing its log to COM1
 * (polled); this unit takes the receive side: the UART's "data ready"
 * interrupt arrives as a notification, bytes are gathered into a line, and
 * each complete line is handed to the shell with a call. One line at a
 * time: the UART's 16-byte FIFO holds what arrives meanwhile, which suits
 * scripts that wait for each command's `done` line.
 *
 * Capabilities: SVC_INIT_EP (1,1), COM1 ports (2,1), IRQ 4 (3,1).
 */
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "libaion/lib.h"
#include "common/time.h"

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

static int64_t send_line(aion_handle_t shell)
{
	memcpy(buf.payload, line, len);
	struct aion_msg m = { .tag = AION_TAG(1, len, 0) };
	return aion_call(shell, &m, 0);
}

/* Reads what the FIFO holds; each complete line goes to the shell. */
static void drain(aion_handle_t shell)
{
	while (aion_inb(COM1 + UART_LSR) & LSR_DATA) {
		char c = (char)aion_inb(COM1 + UART_RBR);
		if (c == '\r' || c == '\n') {
			int64_t err = len ? send_line(shell) : 0;
			if (err)
				aion_printf("shell call failed err=%s", aion_error_name(err));
			len = 0;
		} else if (len < LINE_MAX) {
			line[len++] = c;
		}
	}
}

int64_t aion_main(uint64_t arg)
{
	uint64_t bits;
	(void)arg;

	int64_t n = aion_notify_create();
	int64_t err = n < 0 ? n : aion_ioport_enable(COM1_PORTS);
	if (!err)
		err = aion_ipc_buffer(&buf);
	if (!err)
		err = aion_irq_set_notify(COM1_IRQ, (aion_handle_t)n, 1);
	int64_t shell = err ? err : init_lookup(SVC_INIT_EP, &buf, "shell", 10 * SEC);
	if (shell < 0) {
		aion_printf("setup failed err=%s", aion_error_name(err ? err : shell));
		return 1;
	}
	aion_outb(COM1 + UART_MCR, 0x0b);       /* OUT2: let the UART raise IRQ 4 */
	aion_outb(COM1 + UART_IER, 0x01);       /* interrupt on received data */
	aion_printf("ready port=0x%x irq=4", COM1);
	for (;;) {
		if ((err = aion_wait((aion_handle_t)n, &bits, 0)))
			break;
		/* IRQ 4 is edge-triggered and stays masked until the ack. Bytes
		 * that arrive after the drain and before the ack raise the line
		 * while the pin is masked: the IOAPIC ignores that edge, and the
		 * line then stays high, so no later byte raises another and input
		 * stops for good (seen with a host that sends the next command as
		 * soon as the shell printed `done`). So drain again after each ack
		 * until the FIFO is empty with the pin unmasked. */
		do {
			drain((aion_handle_t)shell);
			(void)aion_inb(COM1 + UART_IIR);
			aion_irq_ack(COM1_IRQ);
		} while (aion_inb(COM1 + UART_LSR) & LSR_DATA);
	}
	aion_printf("wait failed err=%s", aion_error_name(err));
	return 1;
}
