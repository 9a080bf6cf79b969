// The normalized model as JSON (`vipd --dump-conf`): what vipd understood, defaults filled in.
#pragma once

#include "conf/model.h"

#include <string>

namespace conf {

std::string to_json(const Config& cfg, int indent = 2);

} // namespace conf
