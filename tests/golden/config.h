// The configuration the golden fixtures assume, as keepalived.conf text read by vipd's own parser:
// the text is the documentation, and nothing else describes the services.
#pragma once

#include "conf/model.h"
#include "conf/parser.h"
#include "tests/golden/runner.h"

#include <string_view>

namespace golden {

/// The keepalived.conf of the golden node (see config.cc).
std::string_view keepalived_conf() noexcept;
/// keepalived_conf() through the parser (conf::load_text), with its diagnostics.
conf::Loaded load();
/// load()'s configuration; throws std::runtime_error with the diagnostics if the parser refuses any
/// of it (an error or worse; GoldenSetup checks the warnings: keepalived's own about :84's quorum).
conf::Config config();
/// config() and node(): what a runner loads.
Setup setup();

}  // namespace golden
