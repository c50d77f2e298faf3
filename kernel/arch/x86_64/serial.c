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

/*
 * A character takes ~87 us at 115200 baud. Under QEMU the wait is for the
 * host side of the console: when its reader lags, QEMU holds the byte and
 * THRE stays clear; writing anyway would overrun the FIFO and garble the
 * log, so wait long enough (~50 ms at 2 GHz, counted in TSC cycles, which
 * run from the first line of boot; the old limit of 50,000 LSR reads took
 * ~46 ms under QEMU TCG) for a reader to drain.
 *
 * Bounded per write, not per character: all the waits of one write on one
 * port together stop at TX_WAIT_CYCLES after the first; after that the
 * port gets one look per character, and a character it is not ready for is
 * dropped. A missing UART, or a host side that
 * stopped reading, so costs at most one wait per port for a whole line:
 * DEBUG_LOG, which any unit may call and which runs with interrupts off,
 * used to cost up to ~290 characters * 2 ports * 50,000 port reads.
 */
#define TX_WAIT_CYCLES  100000000ull

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

/*
 * One deadline per port per write (*deadline, set by the first wait): a
 * port that is slow, not stuck, cannot take nearly the whole wait for each
 * character. Once past it the port gets one look per character.
 */
static void uart_putc(uint16_t port, uint64_t *deadline, char c)
{
	while (!(inb(port + COM_LSR) & LSR_THRE)) {
		uint64_t now = rdtsc();
		if (!*deadline)
			*deadline = now + TX_WAIT_CYCLES;
		if (now >= *deadline)
			return;
		cpu_relax();
	}
	outb(port + COM_DATA, (uint8_t)c);
}

static void serial_putc(uint64_t deadline[2], char c)
{
	uart_putc(COM2, &deadline[0], c);
	uart_putc(COM1, &deadline[1], c);
}

void arch_console_write(const char *s, unsigned long n)
{
	uint64_t deadline[2] = { 0, 0 };

	for (unsigned long i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc(deadline, '\r');
		serial_putc(deadline, s[i]);
	}
}
