// Checking a JSON value without building it: the grammar JSONReader (SkoopModel) accepts, byte
// for byte, so that a value this accepts is one the strict reader reads. Used on the items of a
// skimmed list before they are decoded straight from their bytes.
#include "CSkoopScan.h"

typedef struct {
    const uint8_t *bytes;
    size_t end;
    int depth, max_depth;
} validator;

static size_t skip_space(const validator *v, size_t at) {
    while (at < v->end) {
        uint8_t byte = v->bytes[at];
        if (byte != ' ' && byte != '\t' && byte != '\n' && byte != '\r') break;
        at++;
    }
    return at;
}

static int is_digit(uint8_t byte) { return byte >= '0' && byte <= '9'; }
static int is_hex(uint8_t byte) { return is_digit(byte) || (byte >= 'a' && byte <= 'f') || (byte >= 'A' && byte <= 'F'); }

static ptrdiff_t string_end(const validator *v, size_t at) {
    at++;
    while (at < v->end) {
        uint8_t byte = v->bytes[at];
        if (byte == '"') return (ptrdiff_t)(at + 1);
        if (byte < 0x20) return SKOOP_SCAN_FAILED;
        if (byte != '\\') { at++; continue; }
        if (at + 1 >= v->end) return SKOOP_SCAN_FAILED;
        switch (v->bytes[at + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            at += 2;
            break;
        case 'u':
            if (at + 6 > v->end) return SKOOP_SCAN_FAILED;
            for (size_t i = at + 2; i < at + 6; i++) if (!is_hex(v->bytes[i])) return SKOOP_SCAN_FAILED;
            at += 6;
            break;
        default:
            return SKOOP_SCAN_FAILED;
        }
    }
    return SKOOP_SCAN_FAILED;
}

static int is_number_byte(uint8_t byte) {
    return is_digit(byte) || byte == '.' || byte == 'e' || byte == 'E' || byte == '+' || byte == '-';
}

static ptrdiff_t number_end(const validator *v, size_t at) {
    size_t stop = at;
    while (stop < v->end && is_number_byte(v->bytes[stop])) stop++;
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? over exactly [at, stop)
    size_t i = at;
    if (i < stop && v->bytes[i] == '-') i++;
    size_t digits = i;
    int leading_zero = i < stop && v->bytes[i] == '0';
    while (i < stop && is_digit(v->bytes[i])) i++;
    if (i == digits || (leading_zero && i - digits != 1)) return SKOOP_SCAN_FAILED;
    if (i < stop && v->bytes[i] == '.') {
        size_t fraction = ++i;
        while (i < stop && is_digit(v->bytes[i])) i++;
        if (i == fraction) return SKOOP_SCAN_FAILED;
    }
    if (i < stop && (v->bytes[i] == 'e' || v->bytes[i] == 'E')) {
        i++;
        if (i < stop && (v->bytes[i] == '+' || v->bytes[i] == '-')) i++;
        size_t exponent = i;
        while (i < stop && is_digit(v->bytes[i])) i++;
        if (i == exponent) return SKOOP_SCAN_FAILED;
    }
    return i == stop ? (ptrdiff_t)stop : SKOOP_SCAN_FAILED;
}

static ptrdiff_t literal_end(const validator *v, size_t at, const char *literal) {
    for (; *literal; literal++, at++) {
        if (at >= v->end || v->bytes[at] != (uint8_t)*literal) return SKOOP_SCAN_FAILED;
    }
    return (ptrdiff_t)at;
}

static ptrdiff_t value_end(validator *v, size_t at);

static ptrdiff_t container_end(validator *v, size_t at, uint8_t closing) {
    if (++v->depth > v->max_depth) return SKOOP_SCAN_FAILED;
    at = skip_space(v, at + 1);
    if (at < v->end && v->bytes[at] == closing) {
        v->depth--;
        return (ptrdiff_t)(at + 1);
    }
    for (;;) {
        at = skip_space(v, at);
        if (closing == '}') {
            if (at >= v->end || v->bytes[at] != '"') return SKOOP_SCAN_FAILED;
            ptrdiff_t key = string_end(v, at);
            if (key < 0) return SKOOP_SCAN_FAILED;
            at = skip_space(v, (size_t)key);
            if (at >= v->end || v->bytes[at] != ':') return SKOOP_SCAN_FAILED;
            at = skip_space(v, at + 1);
        }
        ptrdiff_t next = value_end(v, at);
        if (next < 0) return SKOOP_SCAN_FAILED;
        at = skip_space(v, (size_t)next);
        if (at >= v->end) return SKOOP_SCAN_FAILED;
        if (v->bytes[at] == ',') { at++; continue; }
        if (v->bytes[at] != closing) return SKOOP_SCAN_FAILED;
        v->depth--;
        return (ptrdiff_t)(at + 1);
    }
}

static ptrdiff_t value_end(validator *v, size_t at) {
    if (at >= v->end) return SKOOP_SCAN_FAILED;
    switch (v->bytes[at]) {
    case '{': return container_end(v, at, '}');
    case '[': return container_end(v, at, ']');
    case '"': return string_end(v, at);
    case 't': return literal_end(v, at, "true");
    case 'f': return literal_end(v, at, "false");
    case 'n': return literal_end(v, at, "null");
    default:
        if (v->bytes[at] == '-' || is_digit(v->bytes[at])) return number_end(v, at);
        return SKOOP_SCAN_FAILED;
    }
}

ptrdiff_t skoop_json_value_end(const uint8_t *bytes, size_t start, size_t end, int depth, int max_depth) {
    validator v = {bytes, end, depth, max_depth};
    return value_end(&v, start);
}
