#ifndef CSKOOPSCAN_H
#define CSKOOPSCAN_H

#include <stddef.h>
#include <stdint.h>

/// Returned when the container does not close properly: the caller reports the exact error.
#define SKOOP_SCAN_FAILED ((ptrdiff_t)-1)

/// The offset just past the JSON array or object whose opening bracket is at `bytes[start]`,
/// looking only at brackets outside strings (a backslash escapes the byte after it). Nesting
/// deeper than `max_open` containers, a bracket of the wrong kind, or no end before `end` give
/// SKOOP_SCAN_FAILED. Reads nothing at or past `end`.
ptrdiff_t skoop_skip_container(const uint8_t *bytes, size_t start, size_t end, int max_open);

/// The same without AVX2 (SSE2, or byte by byte elsewhere): what CPUs without AVX2 run; tests
/// check it agrees.
ptrdiff_t skoop_skip_container_baseline(const uint8_t *bytes, size_t start, size_t end, int max_open);

/// XXH64 of `count` bytes (the published algorithm, so its test vectors apply): a fingerprint
/// of a file's content at memory speed, for telling whether a pod index is of that file.
uint64_t skoop_hash64(const uint8_t *bytes, size_t count, uint64_t seed);

/// The offset just past the JSON value at `bytes[start]` when it is well formed as SkoopModel's
/// strict JSONReader reads it (RFC 8259; bytes that are not UTF-8 are accepted inside strings),
/// nesting at most `max_depth` containers counting the `depth` already open around it;
/// SKOOP_SCAN_FAILED otherwise. Reads nothing at or past `end`.
ptrdiff_t skoop_json_value_end(const uint8_t *bytes, size_t start, size_t end, int depth, int max_depth);

#endif
