// Every feature's golden fixtures in one list.
#include "tests/golden/fixtures.h"

#include <iterator>

namespace golden {

std::vector<Fixture> fixtures()
{
    std::vector<Fixture> all;
    for (auto* feature : {arp_fixtures, dr_fixtures, nat_fixtures, tun_fixtures, icmp_fixtures, frag_fixtures, sched_fixtures, pass_fixtures, drops_fixtures}) {
        std::vector<Fixture> f = feature();
        all.insert(all.end(), std::make_move_iterator(f.begin()), std::make_move_iterator(f.end()));
    }
    return all;
}

}  // namespace golden
