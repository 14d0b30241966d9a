#ifndef CDOCKETCRC_H
#define CDOCKETCRC_H

#include <stddef.h>
#include <stdint.h>

/// Returns 1 when the CPU has the SSE4.2 CRC32 instruction (checked once at run time), else 0.
int docket_crc32c_hw_available(void);

/// Extends a CRC32C (Castagnoli) over `length` bytes using the SSE4.2 instruction.
/// `crc` is the running value as returned by a previous call (0 to start); the standard pre- and
/// post-inversion are done inside, so chaining calls gives the CRC of the concatenation.
/// Must only be called when `docket_crc32c_hw_available()` returned 1.
uint32_t docket_crc32c_hw(uint32_t crc, const void *data, size_t length);

#endif
