/*
 * Time units. Every clock value and timeout in Aion is a count of
 * nanoseconds (aion_clock_ns, the IPC timeouts, the mesh's timers), so a
 * duration reads as a count of these: 200 * MS, 5 * SEC. The one
 * definition for services, the pure mesh code and the host tests.
 */
#ifndef COMMON_TIME_H
#define COMMON_TIME_H

#define US      1000ull                 /* nanoseconds in a microsecond */
#define MS      1000000ull              /* ... in a millisecond */
#define SEC     1000000000ull           /* ... in a second */

#endif /* COMMON_TIME_H */
