// Loading the XDP program from its skeleton, with the verifier's verdict in the error, and the typed
// map writes of bpf/lb_structs.h's records.
#include "bpf/control/loader.h"

// The skeleton embeds the BPF object as one string literal, longer than C++ promises to support
// (clang's -Woverlength-strings under -Wpedantic); both compilers take it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "bpf/lb.skel.h"
#pragma GCC diagnostic pop
#include "dataplane/fwd/flow_state.h"
#include "dataplane/fwd/snapshot.h"
#include "dataplane/fwd/sched/hashes.h"
#include "dataplane/fwd/verdicts.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <bit>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <unistd.h>

namespace xdp {

// The records' numbering must be the C++ enums'.
static_assert(VIPD_KIND_NAT == static_cast<int>(fwd::Kind::nat));
static_assert(VIPD_KIND_DR == static_cast<int>(fwd::Kind::dr));
static_assert(VIPD_KIND_TUN == static_cast<int>(fwd::Kind::tun));
static_assert(VIPD_ALGO_RR == static_cast<int>(sched::Algo::rr));
static_assert(VIPD_ALGO_WRR == static_cast<int>(sched::Algo::wrr));
static_assert(VIPD_ALGO_LC == static_cast<int>(sched::Algo::lc));
static_assert(VIPD_ALGO_WLC == static_cast<int>(sched::Algo::wlc));
static_assert(VIPD_ALGO_SED == static_cast<int>(sched::Algo::sed));
static_assert(VIPD_ALGO_NQ == static_cast<int>(sched::Algo::nq));
static_assert(VIPD_ALGO_SH == static_cast<int>(sched::Algo::sh));
static_assert(VIPD_ALGO_MH == static_cast<int>(sched::Algo::mh));
static_assert(VIPD_ALGO_FO == static_cast<int>(sched::Algo::fo));
static_assert(VIPD_ALGO_OVF == static_cast<int>(sched::Algo::ovf));
static_assert(VIPD_STATES == flow::state_count);
static_assert(VIPD_TIMEOUTS == flow::unconfirmed_class + 1);
static_assert(VIPD_STATE_ESTABLISHED == static_cast<int>(flow::State::established));
static_assert(VIPD_STATE_UDP == static_cast<int>(flow::State::udp));
static_assert(VIPD_DIR_INPUT_ONLY == static_cast<int>(flow::Dir::input_only));
static_assert(VIPD_TABLE_SIZE == sched::maglev_sizes[0]);
static_assert(VIPD_SH_SIZE == sched::sh_table_size);

namespace {

std::string errno_text(const char* what, int err)
{
    return std::string(what) + ": " + std::strerror(err < 0 ? -err : err);
}

// libbpf's messages during one load, kept for the error (libbpf prints to stderr otherwise).
std::string* g_libbpf_messages = nullptr;

int capture_print(enum libbpf_print_level level, const char* fmt, va_list args)
{
    if (g_libbpf_messages == nullptr || level == LIBBPF_DEBUG) {
        return 0;
    }
    char line[1024];
    const int n = std::vsnprintf(line, sizeof(line), fmt, args);
    if (n > 0) {
        g_libbpf_messages->append(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
    }
    return n;
}

// The last `lines` lines of a log (the verifier states its reason at the end).
std::string tail_lines(const char* log, size_t lines)
{
    std::string s(log);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) {
        s.pop_back();
    }
    size_t pos = s.size();
    for (size_t i = 0; i < lines && pos != std::string::npos && pos > 0; ++i) {
        pos = s.rfind('\n', pos - 1);
    }
    return pos == std::string::npos ? s : s.substr(pos + 1);
}

std::string update(int fd, const void* key, const void* value, const char* what)
{
    if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0) {
        return errno_text(what, errno);
    }
    return {};
}

std::vector<uint64_t> percpu_sums(int fd, uint32_t count)
{
    const int cpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> sums(count);
    if (cpus <= 0) {
        return sums;
    }
    std::vector<uint64_t> per(static_cast<size_t>(cpus));
    for (uint32_t k = 0; k < count; ++k) {
        if (bpf_map_lookup_elem(fd, &k, per.data()) == 0) {
            sums[k] = std::accumulate(per.begin(), per.end(), uint64_t{0});
        }
    }
    return sums;
}

// The online CPUs (/sys/devices/system/cpu/online, a list of ranges such as "0-3,8-11"); every
// possible one when it cannot be read.
std::vector<uint32_t> online_cpus()
{
    std::vector<uint32_t> out;
    if (FILE* f = std::fopen("/sys/devices/system/cpu/online", "r")) {
        unsigned a = 0;
        unsigned b = 0;
        char sep = 0;
        while (std::fscanf(f, "%u", &a) == 1) {
            b = a;
            sep = static_cast<char>(std::fgetc(f));
            if (sep == '-') {
                if (std::fscanf(f, "%u", &b) != 1) {
                    break;
                }
                sep = static_cast<char>(std::fgetc(f));
            }
            for (unsigned c = a; c <= b && c < 4096; ++c) {
                out.push_back(c);
            }
            if (sep != ',') {
                break;
            }
        }
        std::fclose(f);
    }
    if (out.empty()) {
        for (int c = 0; c < libbpf_num_possible_cpus(); ++c) {
            out.push_back(static_cast<uint32_t>(c));
        }
    }
    return out;
}

}  // namespace

LoadResult Program::load(const LoadOptions& opt)
{
    LoadResult r;
    std::string messages;
    g_libbpf_messages = &messages;
    const libbpf_print_fn_t old_print = libbpf_set_print(capture_print);
    struct Restore {
        libbpf_print_fn_t fn;
        ~Restore()
        {
            libbpf_set_print(fn);
            g_libbpf_messages = nullptr;
        }
    } restore{old_print};

    vipd_lb* skel = vipd_lb__open();
    if (skel == nullptr) {
        r.eperm = errno == EPERM;
        r.error = errno_text("XDP program: open", errno) + (messages.empty() ? "" : "\n" + messages);
        return r;
    }
    // The entry (the flow-hit fast path) and the whole program it tail-calls, each with its log.
    std::vector<char> log(4u << 20);
    std::vector<char> full_log(4u << 20);
    bpf_program__set_log_buf(skel->progs.vipd_xdp, log.data(), log.size());
    bpf_program__set_log_buf(skel->progs.vipd_xdp_full, full_log.data(), full_log.size());
    skel->rodata->vipd_test_clock = opt.test_clock ? 1 : 0;
    const uint32_t buckets = xdp::flow_buckets(opt.flows != 0 ? opt.flows : VIPD_MAX_FLOWS);
    const int cpus = libbpf_num_possible_cpus();
    if (opt.per_cpu_flows && cpus <= 0) {
        r.error = errno_text("XDP program: the possible CPUs", cpus);
        vipd_lb__destroy(skel);
        return r;
    }
    skel->rodata->vipd_flows_per_cpu = opt.per_cpu_flows ? 1 : 0;
    skel->rodata->vipd_flow_bucket_mask = buckets - 1;
    skel->rodata->vipd_flow_seed = flow::random_seed();
    if (opt.per_cpu_flows) {
        // Each CPU's table is made below; the shared one stays unused, at one bucket.
        bpf_map__set_max_entries(skel->maps.vipd_flows_cpu, static_cast<uint32_t>(cpus));
        bpf_map__set_max_entries(skel->maps.vipd_flows, 1);
    } else {
        bpf_map__set_max_entries(skel->maps.vipd_flows, buckets);
    }
    if (const int err = vipd_lb__load(skel); err != 0) {
        r.eperm = err == -EPERM || errno == EPERM;
        r.error = errno_text("XDP program: load", err);
        if (full_log[0] != '\0') {
            r.error += "; the verifier's log (vipd_xdp_full) ends:\n" + tail_lines(full_log.data(), opt.log_lines);
        } else if (log[0] != '\0') {
            r.error += "; the verifier's log ends:\n" + tail_lines(log.data(), opt.log_lines);
        } else if (!messages.empty()) {
            r.error += "\n" + messages;
        }
        vipd_lb__destroy(skel);
        return r;
    }
    const uint32_t slot = VIPD_PROG_FULL;
    const int full = bpf_program__fd(skel->progs.vipd_xdp_full);
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.vipd_progs), &slot, &full, BPF_ANY) != 0) {
        r.error = errno_text("XDP program: vipd_progs", errno);
        vipd_lb__destroy(skel);
        return r;
    }
    r.program.reset(new Program(skel));
    r.program->_buckets = buckets;
    if (opt.per_cpu_flows) {
        // Every possible CPU's table, in place before the program can see a packet (nothing is
        // attached yet), held by the outer map and by the Program, which counts and clears them.
        // The online CPUs' of the size asked; the others' (a VM may declare hundreds of possible
        // CPUs, and an array is allocated whole) of one bucket: a CPU brought online later forwards
        // its new flows unkept. The bucket's lock needs the value's type, from the program's BTF.
        std::vector<bool> online(static_cast<size_t>(cpus));
        for (const uint32_t cpu : online_cpus()) {
            if (cpu < online.size()) {
                online[cpu] = true;
            }
        }
        const struct btf* btf = bpf_object__btf(skel->obj);
        const int bucket_type = btf != nullptr ? btf__find_by_name_kind(btf, "vipd_flow_bucket", BTF_KIND_STRUCT) : -1;
        const int key_type = btf != nullptr ? btf__find_by_name_kind(btf, "unsigned int", BTF_KIND_INT) : -1;
        if (bucket_type < 0 || key_type < 0) {
            r.error = "XDP program: no BTF types (vipd_flow_bucket, unsigned int) for the per-CPU flow tables";
            r.program.reset();
            return r;
        }
        // Field by field, not LIBBPF_OPTS: its statement expression is not ISO C++ (clang -Wpedantic).
        bpf_map_create_opts create{};
        create.sz = sizeof(create);
        create.btf_fd = static_cast<__u32>(btf__fd(btf));
        create.btf_key_type_id = static_cast<__u32>(key_type);
        create.btf_value_type_id = static_cast<__u32>(bucket_type);
        create.map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE;
        r.program->_cpu_tables.resize(static_cast<size_t>(cpus));
        for (uint32_t cpu = 0; cpu < static_cast<uint32_t>(cpus); ++cpu) {
            Program::CpuTable& t = r.program->_cpu_tables[cpu];
            t.buckets = online[cpu] ? buckets : 1u;
            t.fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vipd_cpu_flows", sizeof(uint32_t), sizeof(vipd_flow_bucket),
                                  t.buckets, &create);
            if (t.fd < 0) {
                r.error = errno_text("XDP program: a CPU's flow table", errno);
                r.program.reset();
                return r;
            }
            if (bpf_map_update_elem(bpf_map__fd(skel->maps.vipd_flows_cpu), &cpu, &t.fd, BPF_ANY) != 0) {
                r.error = errno_text("XDP program: vipd_flows_cpu", errno);
                r.program.reset();
                return r;
            }
        }
    }
    return r;
}

Program::~Program()
{
    for (const CpuTable& t : _cpu_tables) {
        if (t.fd >= 0) {
            ::close(t.fd);
        }
    }
    vipd_lb__destroy(_skel);
}

int Program::prog_fd() const noexcept
{
    return bpf_program__fd(_skel->progs.vipd_xdp);
}

int Program::full_prog_fd() const noexcept
{
    return bpf_program__fd(_skel->progs.vipd_xdp_full);
}

std::vector<uint64_t> Program::verdicts() const
{
    return percpu_sums(bpf_map__fd(_skel->maps.vipd_verdicts), VIPD_VERDICT_COUNT);
}

std::vector<uint64_t> Program::drops() const
{
    return percpu_sums(bpf_map__fd(_skel->maps.vipd_drops), VIPD_DROP_COUNT);
}

vipd_backend_stats Program::backend_stats(uint32_t service_id, uint32_t position) const
{
    vipd_backend_stats sum{};
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0 || service_id >= VIPD_MAX_SERVICES || position >= VIPD_MAX_BACKENDS) {
        return sum;
    }
    std::vector<vipd_backend_stats> per(static_cast<size_t>(cpus));
    const uint32_t key = service_id * VIPD_MAX_BACKENDS + position;
    if (bpf_map_lookup_elem(bpf_map__fd(_skel->maps.vipd_backend_stats), &key, per.data()) == 0) {
        for (const vipd_backend_stats& s : per) {
            sum.packets_in += s.packets_in;
            sum.bytes_in += s.bytes_in;
            sum.packets_out += s.packets_out;
            sum.bytes_out += s.bytes_out;
            sum.connections += s.connections;
        }
    }
    return sum;
}

Program::Last Program::last() const noexcept
{
    const auto& l = _skel->bss->vipd_test_last;
    return {.verdict = l.verdict, .reason = l.reason, .ifindex = l.ifindex};
}

namespace {

// Deletes every key of a hash map.
std::string clear_hash(int fd, uint32_t key_size, const char* what)
{
    std::vector<uint8_t> key(key_size);
    std::vector<uint8_t> next(key_size);
    while (bpf_map_get_next_key(fd, nullptr, next.data()) == 0) {
        if (bpf_map_delete_elem(fd, next.data()) != 0 && errno != ENOENT) {
            return errno_text(what, errno);
        }
    }
    return {};
}

// Zeroes every entry of a per-CPU array.
std::string clear_percpu(int fd, uint32_t entries, uint32_t value_size, const char* what)
{
    const int cpus = libbpf_num_possible_cpus();
    // Per-CPU values are copied in 8-byte slots.
    std::vector<uint8_t> zero(static_cast<size_t>(cpus < 1 ? 1 : cpus) * ((value_size + 7) / 8 * 8));
    for (uint32_t k = 0; k < entries; ++k) {
        if (bpf_map_update_elem(fd, &k, zero.data(), BPF_ANY) != 0) {
            return errno_text(what, errno);
        }
    }
    return {};
}

// Zeroes `entries` values of an array map (shared by every CPU) in one batched write.
std::string clear_array(int fd, uint32_t entries, uint32_t value_size, const char* what)
{
    std::vector<uint32_t> keys(entries);
    for (uint32_t k = 0; k < entries; ++k) {
        keys[k] = k;
    }
    const std::vector<uint8_t> zero(size_t{entries} * value_size);
    uint32_t count = entries;
    if (bpf_map_update_batch(fd, keys.data(), zero.data(), &count, nullptr) != 0 || count != entries) {
        return errno_text(what, errno);
    }
    return {};
}

}  // namespace

uint32_t flow_buckets(uint32_t flows) noexcept
{
    const uint64_t ways = std::max<uint64_t>(uint64_t{flows} * 4, VIPD_FLOW_WAYS);
    return static_cast<uint32_t>(std::bit_ceil((ways + VIPD_FLOW_WAYS - 1) / VIPD_FLOW_WAYS));
}

namespace {

// The flows of a table of `buckets` buckets by keep rank: every bucket read in one batched call.
Program::FlowCounts count_flows(int fd, uint32_t buckets)
{
    Program::FlowCounts n;
    std::vector<uint32_t> keys(buckets);
    std::vector<vipd_flow_bucket> values(buckets);
    uint32_t count = buckets;
    uint32_t out_batch = 0;
    const int err = bpf_map_lookup_batch(fd, nullptr, &out_batch, keys.data(), values.data(), &count, nullptr);
    if (err != 0 && errno != ENOENT) {
        return n;
    }
    for (uint32_t i = 0; i < count && i < buckets; ++i) {
        const vipd_flow_bucket& b = values[i];
        for (uint32_t w = 0; w < VIPD_FLOW_WAYS; ++w) {
            if (b.tag[w] != 0) {
                ((b.confirmed >> w) & 1 ? n.kept : n.fresh) += 1;
            }
        }
    }
    return n;
}

}  // namespace

Program::FlowCounts Program::flows() const
{
    if (_cpu_tables.empty()) {
        return count_flows(bpf_map__fd(_skel->maps.vipd_flows), _buckets);
    }
    FlowCounts sum;
    for (uint32_t cpu = 0; cpu < _cpu_tables.size(); ++cpu) {
        const FlowCounts c = flows_of_cpu(cpu);
        sum.kept += c.kept;
        sum.fresh += c.fresh;
    }
    return sum;
}

Program::FlowCounts Program::flows_of_cpu(uint32_t cpu) const
{
    if (cpu >= _cpu_tables.size() || _cpu_tables[cpu].fd < 0) {
        return {};
    }
    return count_flows(_cpu_tables[cpu].fd, _cpu_tables[cpu].buckets);
}

uint64_t Program::flow_seed() const noexcept
{
    return _skel->rodata->vipd_flow_seed;
}

Program::FlowTableCounters Program::flow_table_counters() const
{
    FlowTableCounters sum;
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) {
        return sum;
    }
    std::vector<vipd_cpu> per(static_cast<size_t>(cpus));
    const uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(_skel->maps.vipd_cpu), &key, per.data()) == 0) {
        for (const vipd_cpu& c : per) {
            sum.evicted += c.flows_evicted;
            sum.evicted_confirmed += c.flows_evicted_confirmed;
        }
    }
    return sum;
}

std::string Program::clear_packet_state()
{
    std::string err = clear_array(bpf_map__fd(_skel->maps.vipd_flows), _cpu_tables.empty() ? _buckets : 1u,
                                  sizeof(vipd_flow_bucket), "vipd_flows");
    for (const CpuTable& t : _cpu_tables) {
        if (err.empty() && t.fd >= 0) {
            err = clear_array(t.fd, t.buckets, sizeof(vipd_flow_bucket), "vipd_flows_cpu");
        }
    }
    if (err.empty()) {
        err = clear_hash(bpf_map__fd(_skel->maps.vipd_persist), sizeof(vipd_persist_key), "vipd_persist");
    }
    if (err.empty()) {
        err = clear_percpu(bpf_map__fd(_skel->maps.vipd_sched), VIPD_MAX_SERVICES, sizeof(vipd_sched_state), "vipd_sched");
    }
    if (err.empty()) {
        err = clear_percpu(bpf_map__fd(_skel->maps.vipd_solicited), VIPD_SOLICITED, sizeof(vipd_solicited),
                           "vipd_solicited");
    }
    if (err.empty()) {
        err = clear_percpu(bpf_map__fd(_skel->maps.vipd_cpu), 1, sizeof(vipd_cpu), "vipd_cpu");
    }
    if (err.empty()) {
        err = clear_array(bpf_map__fd(_skel->maps.vipd_frags), VIPD_FRAG_SLOTS, sizeof(vipd_frag), "vipd_frags");
    }
    if (err.empty()) {
        err = clear_percpu(bpf_map__fd(_skel->maps.vipd_counts), VIPD_MAX_SERVICES * VIPD_MAX_BACKENDS,
                           sizeof(vipd_counts), "vipd_counts");
    }
    return err;
}

std::string MapWriter::kernel_rate(uint32_t pps)
{
    _config.kernel_ns_per_token = pps == 0 ? 0 : std::max<uint64_t>(1'000'000'000ULL / pps, 1);
    _config.kernel_burst = pps == 0 ? 0 : std::max<uint64_t>(pps / 100, 64);
    const uint32_t zero = 0;
    return update(bpf_map__fd(_skel->maps.vipd_config), &zero, &_config, "vipd_config");
}

std::string MapWriter::new_flow_rate(uint32_t per_s)
{
    _config.new_flow_ns_per_token = per_s == 0 ? 0 : std::max<uint64_t>(1'000'000'000ULL / per_s, 1);
    _config.new_flow_burst = per_s == 0 ? 0 : vipd_new_flow_burst(per_s);
    const uint32_t zero = 0;
    return update(bpf_map__fd(_skel->maps.vipd_config), &zero, &_config, "vipd_config");
}

std::string MapWriter::config(bool ready)
{
    vipd_config c{};
    const flow::Timeouts t = flow::Timeouts::ipvs_defaults(1'000'000'000);
    // The timeouts by state as FlowTable::set_timeouts() files them, then the unconfirmed class.
    const uint64_t by_state[VIPD_TIMEOUTS] = {t.tcp_none,       t.tcp,          t.tcp_syn,        t.tcp_fin,
                                              t.tcp_time_wait,  t.tcp_close,    t.udp,            t.tcp_syn_sent,
                                              t.tcp_close_wait, t.tcp_last_ack, t.tcp_listen,     t.tcp_synack,
                                              t.unconfirmed != 0 ? t.unconfirmed : UINT64_MAX};
    std::memcpy(c.timeout_ns, by_state, sizeof(by_state));
    const uint8_t rows[4] = {flow::tcp_syn, flow::tcp_fin, flow::tcp_ack, flow::tcp_rst};
    for (unsigned dir = 0; dir < 3; ++dir) {
        for (unsigned row = 0; row < 4; ++row) {
            for (unsigned s = 0; s < VIPD_STATES; ++s) {
                c.tcp_next[dir][row][s] = static_cast<uint8_t>(
                    flow::next_state(static_cast<flow::State>(s), rows[row], static_cast<flow::Dir>(dir)));
            }
        }
    }
    c.flags = ready ? VIPD_CONFIG_READY : 0;
    c.test_now_ns = _config.test_now_ns;
    c.kernel_ns_per_token = _config.kernel_ns_per_token;
    c.kernel_burst = _config.kernel_burst;
    c.new_flow_ns_per_token = _config.new_flow_ns_per_token;
    c.new_flow_burst = _config.new_flow_burst;
    _config = c;
    const uint32_t zero = 0;
    return update(bpf_map__fd(_skel->maps.vipd_config), &zero, &_config, "vipd_config");
}

std::string MapWriter::vrid(uint8_t vrid, bool ours)
{
    const uint32_t key = vrid;
    const uint32_t value = ours ? 1 : 0;
    return update(bpf_map__fd(_skel->maps.vipd_vrids), &key, &value, "vipd_vrids");
}

std::string MapWriter::clock(uint64_t now_ns)
{
    _config.test_now_ns = now_ns;
    const uint32_t zero = 0;
    return update(bpf_map__fd(_skel->maps.vipd_config), &zero, &_config, "vipd_config");
}

std::string MapWriter::port(uint32_t ifindex, const vipd_port& p)
{
    const uint32_t slot = vipd_port_slot(ifindex);
    vipd_port rec = p;
    rec.ifindex = ifindex;
    // The devmap first, so a frame that finds the port finds where to send it. An interface the
    // kernel refuses there (not in this network namespace: the tests' made-up ports) is left to the
    // program's fallback, bpf_redirect by ifindex.
    const uint32_t dev = ifindex;
    if (bpf_map_update_elem(bpf_map__fd(_skel->maps.vipd_tx_ports), &slot, &dev, BPF_ANY) != 0 && errno != ENODEV) {
        return errno_text("vipd_tx_ports", errno);
    }
    return update(bpf_map__fd(_skel->maps.vipd_ports), &slot, &rec, "vipd_ports");
}

std::string MapWriter::addr(uint32_t a, uint32_t flags)
{
    const int fd = bpf_map__fd(_skel->maps.vipd_addrs);
    if (flags == 0) {
        if (bpf_map_delete_elem(fd, &a) != 0 && errno != ENOENT) {
            return errno_text("vipd_addrs", errno);
        }
        return {};
    }
    const vipd_addr v{.flags = flags};
    return update(fd, &a, &v, "vipd_addrs");
}

std::string MapWriter::service(const vipd_service_key& key, const vipd_service& s)
{
    if (s.id >= VIPD_MAX_SERVICES || s.backends > VIPD_MAX_BACKENDS) {
        return "vipd_services: service " + std::to_string(s.id) + " with " + std::to_string(s.backends) +
               " backends is outside the maps' limits";
    }
    return update(bpf_map__fd(_skel->maps.vipd_services), &key, &s, "vipd_services");
}

void MapWriter::service_hot(uint32_t id, uint64_t word)
{
    std::atomic_ref<__u64>(_skel->bss->vipd_service_hot[id % VIPD_MAX_SERVICES]).store(word, std::memory_order_release);
}

uint64_t MapWriter::vip_filter(uint32_t index, uint64_t bits)
{
    return std::atomic_ref<__u64>(_skel->bss->vipd_vip_filter[index % VIPD_VIP_FILTER_WORDS])
        .exchange(bits, std::memory_order_release);
}

std::string MapWriter::remove_service(const vipd_service_key& key)
{
    if (bpf_map_delete_elem(bpf_map__fd(_skel->maps.vipd_services), &key) != 0 && errno != ENOENT) {
        return errno_text("vipd_services", errno);
    }
    return {};
}

std::string MapWriter::backend(uint32_t service_id, uint32_t bank, uint32_t position, const vipd_backend& b)
{
    if (service_id >= VIPD_MAX_SERVICES || bank >= VIPD_BANKS || position >= VIPD_MAX_BACKENDS) {
        return "vipd_backends: position outside the map";
    }
    const uint32_t key = vipd_backend_index(service_id, bank, position);
    return update(bpf_map__fd(_skel->maps.vipd_backends), &key, &b, "vipd_backends");
}

std::string MapWriter::route(uint32_t net, uint8_t prefix, const vipd_route& r)
{
    if (prefix > 32) {
        return "vipd_routes: prefix over 32";
    }
    const vipd_route_key key{.prefixlen = prefix, .addr = net};
    return update(bpf_map__fd(_skel->maps.vipd_routes), &key, &r, "vipd_routes");
}

std::string MapWriter::neighbour(uint32_t ip, const vipd_neighbour& n)
{
    return update(bpf_map__fd(_skel->maps.vipd_neighbours), &ip, &n, "vipd_neighbours");
}

std::string MapWriter::nat_reply(const vipd_nat_key& key, const vipd_nat_reply& r)
{
    if (r.count > VIPD_NAT_SERVICES) {
        return "vipd_nat: more services than a record holds";
    }
    return update(bpf_map__fd(_skel->maps.vipd_nat), &key, &r, "vipd_nat");
}

std::string MapWriter::table(uint32_t service_id, uint32_t bank, std::span<const int16_t> entries)
{
    if (service_id >= VIPD_MAX_SERVICES || bank >= VIPD_BANKS || entries.size() > VIPD_TABLE_SIZE) {
        return "vipd_tables: service or table size outside the map";
    }
    auto t = std::make_unique<vipd_table>();
    std::fill(std::begin(t->entry), std::end(t->entry), int16_t{-1});
    std::copy(entries.begin(), entries.end(), t->entry);
    t->pad = -1;
    const int inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vipd_table", sizeof(uint32_t), sizeof(vipd_table), 1, nullptr);
    if (inner < 0) {
        return errno_text("vipd_tables: inner map", errno);
    }
    const uint32_t zero = 0;
    std::string err = update(inner, &zero, t.get(), "vipd_tables: inner map");
    if (err.empty()) {
        // The outer map holds its own reference to the inner map: ours can go.
        const uint32_t key = vipd_table_index(service_id, bank);
        err = update(bpf_map__fd(_skel->maps.vipd_tables), &key, &inner, "vipd_tables");
    }
    close(inner);
    return err;
}

namespace {

std::string remove(int fd, const void* key, const char* what)
{
    if (bpf_map_delete_elem(fd, key) != 0 && errno != ENOENT) {
        return errno_text(what, errno);
    }
    return {};
}

}  // namespace

std::string MapWriter::remove_route(uint32_t net, uint8_t prefix)
{
    const vipd_route_key key{.prefixlen = prefix, .addr = net};
    return remove(bpf_map__fd(_skel->maps.vipd_routes), &key, "vipd_routes");
}

std::string MapWriter::remove_neighbour(uint32_t ip)
{
    return remove(bpf_map__fd(_skel->maps.vipd_neighbours), &ip, "vipd_neighbours");
}

std::string MapWriter::remove_nat_reply(const vipd_nat_key& key)
{
    return remove(bpf_map__fd(_skel->maps.vipd_nat), &key, "vipd_nat");
}

std::string MapWriter::remove_port(uint32_t ifindex)
{
    // An array's entry cannot go: it is zeroed, and a zero ifindex matches no interface.
    const uint32_t slot = vipd_port_slot(ifindex);
    const vipd_port none{};
    std::string err = update(bpf_map__fd(_skel->maps.vipd_ports), &slot, &none, "vipd_ports");
    if (err.empty() && bpf_map_delete_elem(bpf_map__fd(_skel->maps.vipd_tx_ports), &slot) != 0 && errno != ENOENT) {
        err = errno_text("vipd_tx_ports", errno);
    }
    return err;
}

ServiceRecord service_record(uint32_t id, uint8_t kind, const sched::Service& s, uint32_t persist_s,
                             uint32_t persist_mask)
{
    const sched::Options& opt = s.options();
    ServiceRecord r;
    vipd_service& v = r.record;
    v.id = id;
    v.kind = kind;
    v.algo = static_cast<uint8_t>(s.algo());
    v.flags = static_cast<uint8_t>((opt.sh_port ? VIPD_SVC_SH_PORT : 0) | (opt.mh_port ? VIPD_SVC_MH_PORT : 0));
    v.backends = s.size();
    v.fixed = -1;
    v.persist_s = persist_s;
    v.persist_mask = persist_mask;
    if (s.size() > VIPD_MAX_BACKENDS) {
        r.error = std::to_string(s.size()) + " real servers, the XDP maps hold " + std::to_string(VIPD_MAX_BACKENDS);
    }
    uint32_t gcd = 0;
    uint32_t wmax = 0;
    for (uint32_t i = 0; i < s.size(); ++i) {
        const uint32_t w = s.effective_weight(i);
        if (w != 0) {
            gcd = std::gcd(gcd, w);
            wmax = std::max(wmax, w);
            // ip_vs_fo_schedule(): the heaviest available, first in order on ties.
            if (v.fixed < 0 || w > s.effective_weight(static_cast<uint32_t>(v.fixed))) {
                v.fixed = static_cast<int32_t>(i);
            }
        }
    }
    switch (s.algo()) {
    case sched::Algo::rr:
    case sched::Algo::fo:
    case sched::Algo::lc:
    case sched::Algo::wlc:
    case sched::Algo::sed:
    case sched::Algo::nq:
    case sched::Algo::ovf:
        break;
    case sched::Algo::wrr:
        // ip_vs_wrr_init_svc(): di = gcd, mw = max weight - (di - 1), as sched::Service::build.
        v.wrr_gcd = static_cast<int32_t>(gcd);
        v.wrr_max = wmax == 0 ? 0 : static_cast<int32_t>(wmax - (gcd - 1));
        break;
    case sched::Algo::sh:
        v.table_size = static_cast<uint32_t>(s.table().size());
        break;
    case sched::Algo::mh:
        v.table_size = static_cast<uint32_t>(s.table().size());
        if (v.table_size != VIPD_TABLE_SIZE) {
            r.error = "lb_algo mh: the XDP program holds Maglev tables of " + std::to_string(VIPD_TABLE_SIZE) +
                      " entries, not " + std::to_string(v.table_size);
        }
        break;
    default:
        r.error = "lb_algo " + std::string(sched::to_string(s.algo())) + " is not in the XDP program yet";
        break;
    }
    return r;
}

}  // namespace xdp
