/* The wall clock in milliseconds since the epoch: the time journaled records, cursors' expiry and
 * policy events carry (time-based windows count monotonic time instead). */
#ifndef DW_WALL_CLOCK_H
#define DW_WALL_CLOCK_H

#include <stdint.h>

int64_t wall_clock_ms(void);

#endif
