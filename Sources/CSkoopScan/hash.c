// XXH64 (Yann Collet's xxHash, 64-bit variant), written from its specification: a pod index
// stores the hash of the pods.json it describes, and a reader checks it when the file's
// modification time no longer matches (a snapshot copied elsewhere).
#include "CSkoopScan.h"
#include <string.h>
#include <endian.h>

static const uint64_t prime1 = 11400714785074694791ULL;
static const uint64_t prime2 = 14029467366897019727ULL;
static const uint64_t prime3 = 1609587929392839161ULL;
static const uint64_t prime4 = 9650029242287828579ULL;
static const uint64_t prime5 = 2870177450012600261ULL;

static inline uint64_t rotate_left(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

static inline uint64_t read64(const uint8_t *bytes) {
    uint64_t value;
    memcpy(&value, bytes, sizeof value);
    return le64toh(value);
}

static inline uint32_t read32(const uint8_t *bytes) {
    uint32_t value;
    memcpy(&value, bytes, sizeof value);
    return le32toh(value);
}

static inline uint64_t accumulate(uint64_t accumulator, uint64_t input) {
    accumulator += input * prime2;
    accumulator = rotate_left(accumulator, 31);
    return accumulator * prime1;
}

static inline uint64_t merge(uint64_t hash, uint64_t lane) {
    hash ^= accumulate(0, lane);
    return hash * prime1 + prime4;
}

uint64_t skoop_hash64(const uint8_t *bytes, size_t count, uint64_t seed) {
    static const uint8_t nothing = 0;
    if (count == 0) bytes = &nothing;  // NULL + 0 is undefined in C
    const uint8_t *end = bytes + count;
    uint64_t hash;
    if (count >= 32) {
        const uint8_t *last_stripe = end - 32;
        uint64_t lane1 = seed + prime1 + prime2, lane2 = seed + prime2, lane3 = seed, lane4 = seed - prime1;
        do {
            lane1 = accumulate(lane1, read64(bytes));
            lane2 = accumulate(lane2, read64(bytes + 8));
            lane3 = accumulate(lane3, read64(bytes + 16));
            lane4 = accumulate(lane4, read64(bytes + 24));
            bytes += 32;
        } while (bytes <= last_stripe);
        hash = rotate_left(lane1, 1) + rotate_left(lane2, 7) + rotate_left(lane3, 12) + rotate_left(lane4, 18);
        hash = merge(hash, lane1);
        hash = merge(hash, lane2);
        hash = merge(hash, lane3);
        hash = merge(hash, lane4);
    } else {
        hash = seed + prime5;
    }
    hash += (uint64_t)count;
    while (bytes + 8 <= end) {
        hash ^= accumulate(0, read64(bytes));
        hash = rotate_left(hash, 27) * prime1 + prime4;
        bytes += 8;
    }
    if (bytes + 4 <= end) {
        hash ^= (uint64_t)read32(bytes) * prime1;
        hash = rotate_left(hash, 23) * prime2 + prime3;
        bytes += 4;
    }
    while (bytes < end) {
        hash ^= (uint64_t)(*bytes) * prime5;
        hash = rotate_left(hash, 11) * prime1;
        bytes++;
    }
    hash ^= hash >> 33;
    hash *= prime2;
    hash ^= hash >> 29;
    hash *= prime3;
    hash ^= hash >> 32;
    return hash;
}
