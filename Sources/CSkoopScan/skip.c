// Skipping a JSON container 64 bytes at a time (AVX2 when the CPU has it, else SSE2), the way
// simdjson's first stage finds structure:
// bit masks of quotes, backslashes and brackets, escapes resolved with carries between blocks,
// and the inside of strings found by a prefix XOR of the unescaped quotes. Only the brackets
// outside strings are then looked at one by one, to match them.
#include "CSkoopScan.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { BLOCK = 64, MAX_STACK = 1024 };

typedef struct {
    uint64_t quote, backslash, open, close;
} masks;

#if defined(__SSE2__)
static inline uint64_t movemask64(__m128i a, __m128i b, __m128i c, __m128i d) {
    return (uint64_t)(uint16_t)_mm_movemask_epi8(a) | (uint64_t)(uint16_t)_mm_movemask_epi8(b) << 16 |
           (uint64_t)(uint16_t)_mm_movemask_epi8(c) << 32 | (uint64_t)(uint16_t)_mm_movemask_epi8(d) << 48;
}

static inline masks classify(const uint8_t *block) {
    __m128i v[4];
    for (int i = 0; i < 4; i++) v[i] = _mm_loadu_si128((const __m128i *)(block + 16 * i));
    // '{' and '[' differ only in bit 0x20, as do '}' and ']'.
    const __m128i lower = _mm_set1_epi8(0x20), opening = _mm_set1_epi8('{'), closing = _mm_set1_epi8('}');
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    __m128i folded[4];
    for (int i = 0; i < 4; i++) folded[i] = _mm_or_si128(v[i], lower);
    masks m;
    m.quote = movemask64(_mm_cmpeq_epi8(v[0], quote), _mm_cmpeq_epi8(v[1], quote),
                         _mm_cmpeq_epi8(v[2], quote), _mm_cmpeq_epi8(v[3], quote));
    m.backslash = movemask64(_mm_cmpeq_epi8(v[0], backslash), _mm_cmpeq_epi8(v[1], backslash),
                             _mm_cmpeq_epi8(v[2], backslash), _mm_cmpeq_epi8(v[3], backslash));
    m.open = movemask64(_mm_cmpeq_epi8(folded[0], opening), _mm_cmpeq_epi8(folded[1], opening),
                        _mm_cmpeq_epi8(folded[2], opening), _mm_cmpeq_epi8(folded[3], opening));
    m.close = movemask64(_mm_cmpeq_epi8(folded[0], closing), _mm_cmpeq_epi8(folded[1], closing),
                         _mm_cmpeq_epi8(folded[2], closing), _mm_cmpeq_epi8(folded[3], closing));
    return m;
}
#else
static inline masks classify(const uint8_t *block) {
    masks m = {0, 0, 0, 0};
    for (int i = 0; i < BLOCK; i++) {
        uint64_t bit = (uint64_t)1 << i;
        uint8_t folded = block[i] | 0x20;
        if (block[i] == '"') m.quote |= bit;
        if (block[i] == '\\') m.backslash |= bit;
        if (folded == '{') m.open |= bit;
        if (folded == '}') m.close |= bit;
    }
    return m;
}
#endif

/// The bytes escaped by a backslash (odd runs of backslashes escape the byte after them);
/// `carry` is 1 when the previous block ended by escaping this block's first byte.
static inline uint64_t escaped_bytes(uint64_t backslash, uint64_t *carry) {
    const uint64_t even_bits = 0x5555555555555555ULL;
    backslash &= ~*carry;
    uint64_t follows_escape = backslash << 1 | *carry;
    uint64_t odd_sequence_starts = backslash & ~even_bits & ~follows_escape;
    uint64_t sequences_starting_on_even_bits;
    *carry = __builtin_add_overflow(odd_sequence_starts, backslash, &sequences_starting_on_even_bits);
    uint64_t invert_mask = sequences_starting_on_even_bits << 1;
    return (even_bits ^ invert_mask) & follows_escape;
}

/// Bit i set when an odd number of bits 0...i of `x` are set.
static inline uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/// The skip itself, inlined into one function per instruction set with its `classify`.
typedef masks (*classifier)(const uint8_t *block);

static inline __attribute__((always_inline)) ptrdiff_t
skip_with(classifier classify, const uint8_t *bytes, size_t start, size_t end, int max_open) {
    if (start >= end || max_open <= 0) return SKOOP_SCAN_FAILED;
    uint8_t kinds[MAX_STACK];  // the opening bracket of each open container
    int limit = max_open < MAX_STACK ? max_open : MAX_STACK;
    int open = 0;
    uint64_t escape_carry = 0, in_string_carry = 0;
    uint8_t padded[BLOCK];
    for (size_t position = start; position < end; position += BLOCK) {
        const uint8_t *block = bytes + position;
        size_t available = end - position;
        if (available < BLOCK) {
            memset(padded, ' ', BLOCK);
            memcpy(padded, block, available);
            block = padded;
        }
        masks m = classify(block);
        uint64_t quotes = m.quote & ~escaped_bytes(m.backslash, &escape_carry);
        uint64_t in_string = prefix_xor(quotes) ^ in_string_carry;
        in_string_carry = (uint64_t)((int64_t)in_string >> 63);
        uint64_t brackets = (m.open | m.close) & ~in_string;
        if (available < BLOCK) brackets &= ((uint64_t)1 << available) - 1;
        while (brackets) {
            int offset = __builtin_ctzll(brackets);
            brackets &= brackets - 1;
            uint8_t byte = block[offset];
            if (byte == '{' || byte == '[') {
                if (open >= limit) return SKOOP_SCAN_FAILED;
                kinds[open++] = byte;
            } else {
                // '}' closes '{' (0x7B + 2), ']' closes '[' (0x5B + 2).
                if (open == 0 || kinds[open - 1] + 2 != byte) return SKOOP_SCAN_FAILED;
                if (--open == 0) return (ptrdiff_t)(position + (size_t)offset + 1);
            }
        }
    }
    return SKOOP_SCAN_FAILED;
}

ptrdiff_t skoop_skip_container_baseline(const uint8_t *bytes, size_t start, size_t end, int max_open) {
    return skip_with(classify, bytes, start, end, max_open);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static inline masks classify_avx2(const uint8_t *block) {
    const __m256i lower = _mm256_set1_epi8(0x20), opening = _mm256_set1_epi8('{'), closing = _mm256_set1_epi8('}');
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    __m256i low = _mm256_loadu_si256((const __m256i *)block), high = _mm256_loadu_si256((const __m256i *)(block + 32));
    __m256i low_folded = _mm256_or_si256(low, lower), high_folded = _mm256_or_si256(high, lower);
#define MASK64(a, b) ((uint64_t)(uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32)
    masks m;
    m.quote = MASK64(_mm256_cmpeq_epi8(low, quote), _mm256_cmpeq_epi8(high, quote));
    m.backslash = MASK64(_mm256_cmpeq_epi8(low, backslash), _mm256_cmpeq_epi8(high, backslash));
    m.open = MASK64(_mm256_cmpeq_epi8(low_folded, opening), _mm256_cmpeq_epi8(high_folded, opening));
    m.close = MASK64(_mm256_cmpeq_epi8(low_folded, closing), _mm256_cmpeq_epi8(high_folded, closing));
#undef MASK64
    return m;
}

__attribute__((target("avx2"))) static ptrdiff_t skip_avx2(const uint8_t *bytes, size_t start, size_t end, int max_open) {
    return skip_with(classify_avx2, bytes, start, end, max_open);
}
#endif

ptrdiff_t skoop_skip_container(const uint8_t *bytes, size_t start, size_t end, int max_open) {
#if defined(__x86_64__)
    // Asked once; threads that race to ask store the same answer (atomically, for TSan).
    static int has_avx2 = -1;
    int known = __atomic_load_n(&has_avx2, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&has_avx2, known, __ATOMIC_RELAXED);
    }
    if (known) return skip_avx2(bytes, start, end, max_open);
#endif
    return skoop_skip_container_baseline(bytes, start, end, max_open);
}
