// Hardware CRC32C for x86-64 behind a runtime CPU check. The SSE4.2 code is enabled per function
// with a target attribute, so the package needs no -msse4.2 (unsafe) flag and stays usable as a
// versioned dependency. Other architectures report "unavailable" and Swift uses its table code.
#include "CDocketCRC.h"
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int docket_crc32c_hw_available(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    }
    return cached;
}

__attribute__((target("sse4.2")))
uint32_t docket_crc32c_hw(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = (uint32_t)~crc;
    while (length > 0 && ((uintptr_t)p & 7) != 0) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        length--;
    }
    return ~(uint32_t)c;
}

#else

int docket_crc32c_hw_available(void) { return 0; }

uint32_t docket_crc32c_hw(uint32_t crc, const void *data, size_t length) {
    (void)data;
    (void)length;
    return crc;
}

#endif
