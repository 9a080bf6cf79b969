// The normalized model as JSON (`vipd --dump-conf`): what vipd understood, defaults filled in.
#pragma once

#include "conf/model.h"

#include <string>

namespace conf {

std::string to_json(const Config& cfg, int indent = 2);
// One instance as vipd runs it (global defaults applied, no source locations): equal strings mean the
// instance is unchanged, which is what a reload compares.
std::string to_json(const Config& cfg, const VrrpInstance& vi);

} // namespace conf
