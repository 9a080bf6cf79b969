// The checks keepalived makes once the whole file is read: cross-references, vrrp_strict fix-ups,
// interfaces that must exist, and scripts that must resolve and be run securely.
#pragma once

#include "conf/diag.h"
#include "conf/model.h"

namespace conf {

class Environment;

void validate(Config& cfg, Diagnostics& diags, const Environment& env);

} // namespace conf
