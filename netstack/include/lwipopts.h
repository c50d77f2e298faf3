/*
 * lwIP 2.1.3 configuration for netd (AionSpace network server).
 *
 * One thread owns lwIP (NO_SYS=1, the raw API): netd's own loop waits on
 * client IPC, driver notifications and lwIP's timers (docs: DESIGN.md,
 * netd). Everything lwIP allocates comes from static pools and one static
 * heap in netd's .bss, mapped when the unit is loaded: no malloc, no
 * growth, and the unit's quota bounds it (about 5.5 MiB in all).
 */
#ifndef NETSTACK_LWIPOPTS_H
#define NETSTACK_LWIPOPTS_H

/* ---- system: no OS threads, no semaphores, no sequential API ---- */
#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            0       /* one thread touches lwIP */
#define LWIP_TIMERS                     1       /* sys_check_timeouts() + sys_now() */
#define LWIP_SOCKET                     0
#define LWIP_NETCONN                    0
#define LWIP_NETIF_API                  0

/* ---- protocols ---- */
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define LWIP_ARP                        1
#define LWIP_ETHERNET                   1
#define LWIP_ICMP                       1
#define LWIP_RAW                        1       /* netd's ping (netd/ping.c) */
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_DHCP                       0       /* addresses are configured */
#define LWIP_AUTOIP                     0
#define LWIP_IGMP                       0
#define LWIP_DNS                        0
#define IP_REASSEMBLY                   1
#define IP_FRAG                         1
#define ARP_QUEUEING                    1
#define ETHARP_SUPPORT_STATIC_ENTRIES   1
#define ARP_TABLE_SIZE                  100     /* every node of a 99-node cluster (lwIP: <= 127) */

/* Loopback: 127.0.0.1 and packets to our own addresses (selftest). */
#define LWIP_HAVE_LOOPIF                1
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_LOOPBACK_MAX_PBUFS         0       /* bounded by the heap */

/* ---- memory ----
 * Tuned for throughput, not for a microcontroller: lwIP's defaults (a
 * 1.6 KiB heap, a 2-segment send buffer, a 4-segment window) would cap
 * TCP at a few segments per round trip. These give each connection a
 * window and a send buffer of 32 full segments (46,720 bytes, under 64 KiB
 * so no window scaling is needed) and enough shared memory for several
 * such connections at full speed at once.
 */
#define MEM_ALIGNMENT                   8
#define MEM_LIBC_MALLOC                 0
#define MEMP_MEM_MALLOC                 0
#define MEM_SIZE                        (4 * 1024 * 1024)  /* PBUF_RAM: tx segments, loopback copies */
#define PBUF_POOL_SIZE                  512     /* rx buffers: 512 x 1.5 KiB = 10 full windows */
#define MEMP_NUM_PBUF                   128     /* PBUF_REF/ROM (no-copy writes) */
#define MEMP_NUM_RAW_PCB                4
#define MEMP_NUM_UDP_PCB                32
#define MEMP_NUM_TCP_PCB                32
#define MEMP_NUM_TCP_PCB_LISTEN         16
#define MEMP_NUM_REASSDATA              8
#define MEMP_NUM_FRAG_PBUF              32
#define MEMP_NUM_ARP_QUEUE              64

/* ---- TCP ---- */
#define TCP_MSS                         1460    /* Ethernet MTU 1500 - 40 */
#define TCP_WND                         (44 * TCP_MSS)  /* 64,240: under 64 KiB, unscaled */
#define TCP_SND_BUF                     (4 * TCP_WND)   /* unsent data queued behind a window */
#define TCP_SND_QUEUELEN                (4 * TCP_SND_BUF / TCP_MSS)     /* 704: >= 2x segments, small writes too */
#define TCP_SNDLOWAT                    (TCP_WND / 2)   /* a 16-bit value in lwIP */
#define TCP_SNDQUEUELOWAT               (TCP_SND_QUEUELEN / 2)
#define MEMP_NUM_TCP_SEG                2048    /* some connections with full queues */
#define TCP_QUEUE_OOSEQ                 1
#define TCP_OOSEQ_MAX_PBUFS             64      /* per pcb: the pool is shared */
#define TCP_OOSEQ_MAX_BYTES             TCP_WND
#define LWIP_TCP_SACK_OUT               0
#define TCP_LISTEN_BACKLOG              1
#define LWIP_TCP_KEEPALIVE              1
#define LWIP_WND_SCALE                  1       /* for a send buffer over 64 KiB ... */
#define TCP_RCV_SCALE                   0       /* ... while the window stays under (a pbuf chain's 16-bit length) */

/* ---- checksums: generated and checked in software (no offload yet) ---- */
#define LWIP_CHKSUM_ALGORITHM           3       /* 32-bit wide sum */
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_UDP                1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_ICMP               1
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_UDP              1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_CHECK_ICMP             1

/* ---- netif ---- */
#define LWIP_NETIF_STATUS_CALLBACK      1
#define LWIP_NETIF_LINK_CALLBACK        1
#define LWIP_SINGLE_NETIF               0

/* ---- statistics: counters only (cheap), for the shell's `net` later ---- */
#define LWIP_STATS                      1
#define LWIP_STATS_DISPLAY              0
#define MIB2_STATS                      0

/* Random initial sequence numbers (netstack_rand, arch/cc.h). */
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) LWIP_RAND()

/*
 * Debugging: assertions stay on (LWIP_NOASSERT undefined); debug messages
 * are off (LWIP_DEBUG undefined: lwIP tests it with #ifdef, so never
 * define it to 0).
 */

#endif /* NETSTACK_LWIPOPTS_H */
