// Flow hashes: CRC32-C (hardware when present) and table-driven Toeplitz matching NIC RSS.
#include "dataplane/dpdk/datapath/flow/hash.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define VIPD_FLOW_X86 1
#endif

namespace flow {
namespace {

constexpr std::array<uint32_t, 256> make_crc_table()
{
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? (c >> 1) ^ 0x82F63B78U : c >> 1;  // reflected Castagnoli polynomial
        }
        t[i] = c;
    }
    return t;
}

constexpr std::array<uint32_t, 256> crc_table = make_crc_table();

uint32_t crc32c_sw(uint32_t crc, const uint8_t* p, size_t len) noexcept
{
    for (size_t i = 0; i < len; ++i) {
        crc = crc_table[(crc ^ p[i]) & 0xFFU] ^ (crc >> 8);
    }
    return crc;
}

#ifdef VIPD_FLOW_X86
// One hardware step per word size, so that one loop (crc_words) serves all three sizes.
#ifdef __x86_64__
[[gnu::target("sse4.2")]] inline uint64_t crc_step(uint64_t crc, uint64_t w) noexcept { return _mm_crc32_u64(crc, w); }
#endif
[[gnu::target("sse4.2")]] inline uint32_t crc_step(uint32_t crc, uint32_t w) noexcept { return _mm_crc32_u32(crc, w); }
[[gnu::target("sse4.2")]] inline uint32_t crc_step(uint32_t crc, uint8_t w) noexcept { return _mm_crc32_u8(crc, w); }

// Folds every whole Word at p into crc, and moves p and len past them.
template <class Word, class Acc>
[[gnu::target("sse4.2")]] inline Acc crc_words(Acc crc, const uint8_t*& p, size_t& len) noexcept
{
    while (len >= sizeof(Word)) {
        Word w = 0;
        std::memcpy(&w, p, sizeof(Word));
        crc = crc_step(crc, w);
        p += sizeof(Word);
        len -= sizeof(Word);
    }
    return crc;
}

// Compiled for SSE4.2 whatever the build's -march, and only called when the CPU says it has it.
[[gnu::target("sse4.2")]] uint32_t crc32c_hw(uint32_t crc, const uint8_t* p, size_t len) noexcept
{
#ifdef __x86_64__
    crc = static_cast<uint32_t>(crc_words<uint64_t>(uint64_t{crc}, p, len));
#endif
    crc = crc_words<uint32_t>(crc, p, len);
    return crc_words<uint8_t>(crc, p, len);
}

// Decided once at load time so the per-packet cost is one predictable branch.
const bool have_sse42 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
}();
#endif

// 32-bit window of the RSS key starting at bit `bit` (bit 0 = MSB of key[0]).
uint32_t key_window(std::span<const uint8_t> key, size_t bit) noexcept
{
    const size_t byte = bit / 8;
    const unsigned shift = static_cast<unsigned>(bit % 8);
    uint64_t w = 0;
    for (size_t i = 0; i < 5; ++i) {
        w = (w << 8) | (byte + i < key.size() ? key[byte + i] : 0U);
    }
    return static_cast<uint32_t>(w >> (8 - shift));
}

}  // namespace

uint32_t crc32c(uint32_t crc, const void* data, size_t len) noexcept
{
    const auto* p = static_cast<const uint8_t*>(data);
#ifdef VIPD_FLOW_X86
    if (have_sse42) {
        return crc32c_hw(crc, p, len);
    }
#endif
    return crc32c_sw(crc, p, len);
}

Toeplitz::Toeplitz(std::span<const uint8_t> rss_key) noexcept
{
    for (size_t i = 0; i < max_input; ++i) {
        for (uint32_t v = 0; v < 256; ++v) {
            uint32_t h = 0;
            for (unsigned b = 0; b < 8; ++b) {
                if ((v & (0x80U >> b)) != 0) {
                    h ^= key_window(rss_key, i * 8 + b);
                }
            }
            _table[i][v] = h;
        }
    }
}

uint32_t Toeplitz::operator()(std::span<const uint8_t> input) const noexcept
{
    const size_t n = input.size() < max_input ? input.size() : max_input;
    uint32_t h = 0;
    for (size_t i = 0; i < n; ++i) {
        h ^= _table[i][input[i]];
    }
    return h;
}

uint32_t Toeplitz::v4(const Key4& key) const noexcept
{
    uint8_t buf[12];
    std::memcpy(buf, &key.src, 4);
    std::memcpy(buf + 4, &key.dst, 4);
    std::memcpy(buf + 8, &key.sport, 2);
    std::memcpy(buf + 10, &key.dport, 2);
    return (*this)(buf);
}

uint32_t Toeplitz::v4_addrs(const Key4& key) const noexcept
{
    uint8_t buf[8];
    std::memcpy(buf, &key.src, 4);
    std::memcpy(buf + 4, &key.dst, 4);
    return (*this)(buf);
}

uint32_t toeplitz_reference(std::span<const uint8_t> rss_key, std::span<const uint8_t> input) noexcept
{
    uint32_t h = 0;
    for (size_t i = 0; i < input.size(); ++i) {
        for (unsigned b = 0; b < 8; ++b) {
            if ((input[i] & (0x80U >> b)) != 0) {
                h ^= key_window(rss_key, i * 8 + b);
            }
        }
    }
    return h;
}

}  // namespace flow
