/*
 * COM1 console: 115200 8N1, polled. Polling keeps it usable from the first
 * line of kmain and inside fault handlers; the serial driver unit takes the
 * port over for input later.
 *
 * COM2 gets the same bytes: the log port. The host connects it to a plain
 * file (serial.log), which takes every byte at once, so the log is exact
 * whoever reads the console; COM1 goes to a socket whose reader may lag.
 * A machine without COM2 reads 0xff from its LSR (THRE set): no wait.
 */
#include "arch.h"
#include "arch/cpu.h"

#define COM1            0x3f8
#define COM2            0x2f8
#define COM_DATA        0
#define COM_IER         1
#define COM_FCR         2
#define COM_LCR         3
#define COM_MCR         4
#define COM_LSR         5
#define LSR_THRE        0x20

/* Bounded wait: a missing UART, or a host side that stopped reading, must
 * cost little time with interrupts off: then characters are dropped. */
/*
 * A character takes ~87 us at 115200 baud. Under QEMU the wait is for the
 * host side of the console: when its reader lags, QEMU holds the byte and
 * THRE stays clear; writing anyway would overrun the FIFO and garble the
 * log, so wait long enough (bounded: ~tens of ms) for a reader to drain.
 */
#define TX_SPIN_LIMIT   50000

static void uart_init(uint16_t port)
{
	outb(port + COM_IER, 0x00);
	outb(port + COM_LCR, 0x80);     /* DLAB on: divisor follows */
	outb(port + COM_DATA, 0x01);    /* 115200 baud */
	outb(port + COM_IER, 0x00);
	outb(port + COM_LCR, 0x03);     /* 8N1, DLAB off */
	outb(port + COM_FCR, 0xc7);     /* FIFO on, cleared */
	outb(port + COM_MCR, 0x03);     /* DTR, RTS */
}

void arch_console_init(void)
{
	uart_init(COM1);
	uart_init(COM2);
}

static void uart_putc(uint16_t port, char c)
{
	for (int i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(port + COM_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(port + COM_DATA, (uint8_t)c);
}

static void serial_putc(char c)
{
	uart_putc(COM2, c);
	uart_putc(COM1, c);
}

void arch_console_write(const char *s, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
