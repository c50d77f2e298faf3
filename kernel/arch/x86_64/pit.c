/*
 * The legacy timers: the 8254 PIT, used only as a known-rate reference
 * (1.193182 MHz) to calibrate the LAPIC timer and the TSC, and the 8259
 * PICs, remapped out of the exception range and masked for good.
 * Channel 2 is used because its output can be polled through port 0x61
 * without an interrupt.
 */
#include <stdbool.h>
#include "arch/cpu.h"
#include "arch/timer.h"

#define PIT_CH0         0x40
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PORT_B          0x61
#define PORT_B_GATE2    0x01
#define PORT_B_SPEAKER  0x02
#define PORT_B_OUT2     0x20

void pit_ch2_start(uint16_t count)
{
	/* Gate on, speaker off; mode 0 (interrupt on terminal count), lo/hi. */
	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, 0xb0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
}

/*
 * The firmware leaves channel 0 counting at 18.2 Hz in square-wave mode.
 * Its line is masked, but an emulator still runs the channel: QEMU's
 * timer for it woke its main loop 36 times a second and the vCPU as
 * often, more than everything an idle node does (docs/mesh.md "Idle
 * cost, wake-ups"). Mode 0 with a count of 1 ends after one tick and
 * stays still; a unit given the ports (the latency bench) programs it
 * anew.
 */
void pit_ch0_stop(void)
{
	outb(PIT_CMD, 0x30);            /* channel 0, lo/hi, mode 0, binary */
	outb(PIT_CH0, 1);
	outb(PIT_CH0, 0);
}

bool pit_ch2_expired(void)
{
	return inb(PORT_B) & PORT_B_OUT2;
}

uint16_t pit_ch2_read(void)
{
	outb(PIT_CMD, 0x80);            /* latch channel 2 */
	uint8_t lo = inb(PIT_CH2);
	uint8_t hi = inb(PIT_CH2);
	return (uint16_t)(lo | hi << 8);
}

void pic_disable(void)
{
	/* ICW1..ICW4: vectors 0xe0..0xef, cascade on IRQ2, 8086 mode. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xa1, VEC_PIC_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);               /* mask every line */
	outb(0xa1, 0xff);
}
