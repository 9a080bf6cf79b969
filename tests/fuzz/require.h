// The fuzz targets' invariant check: a broken invariant is a crash (abort), which libFuzzer reports
// and keeps as an input to replay.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {

inline void require(bool ok, const char* target, const char* what)
{
    if (!ok) {
        std::fprintf(stderr, "%s: %s\n", target, what);
        std::abort();
    }
}

}  // namespace fuzz
