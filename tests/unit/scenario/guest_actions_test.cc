// The guest actions of scenario files (scenario/actions/guest.cc, guest_memory.cc, dump.cc),
// run directly with JsonArgs and a Run: each claim with its control (the dump of a plain guest
// holds the secret, an SEV guest's not; a hypervisor's message in a shared page arrives, in a
// private one it is garbage).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "scenario/actions/guest_world.h"
#include "scenario/json_args.h"
#include "scenario/run.h"
#include "unit/scenario/action_util.h"
#include "unit/temp_dir.h"

namespace cbit::scenario {
namespace {

using nlohmann::json;

const std::vector<Action>& actions() {
  static const std::vector<Action> a = [] {
    std::vector<Action> v;
    add_guest_actions(v);
    add_guest_memory_actions(v);
    add_dump_actions(v);
    return v;
  }();
  return a;
}

using testing::action;

class GuestActions : public ::testing::Test {
 protected:
  GuestActions() : tmp_("cbit-scn-guest"), run_(options()) {}
  RunOptions options() {
    RunOptions o;
    o.cpu = "naples";
    o.seed = 7;
    o.workdir = tmp_.path().string();
    return o;
  }
  // One step: `id` as the file would give it.
  json step(const std::string& id, const std::string& act, json args) {
    run_.begin_step(case_, id, "test.toml:1:1 (step " + id + ")");
    json r = action(act).run(JsonArgs(std::move(args), "test.toml:1:1"), run_);
    if (!id.empty()) run_.results()[id] = r;
    return r;
  }
  // A host and a guest of `mode` running seed 004's program ("My secret is 123"), dumped.
  json secret_guest(const std::string& mode, const std::string& cpu = "naples") {
    step("h", "sev-host", {{"cpu", cpu}, {"needs", mode}, {"dram", "128M"}, {"fallback", "milan"}});
    const json g =
        step("g", "guest", {{"mode", mode}, {"program", "secret"}, {"disk_name", "a.out"}});
    EXPECT_TRUE(g["launched"].get<bool>());
    const json r = step("run", "guest-run", {{"args", {"123"}}});
    EXPECT_NE(r["output"].get<std::string>().find("My secret is 123"), std::string::npos) << r;
    step("d", "dump-guest-memory", json::object());
    return step("s", "scan", {{"find", {"My secret is 123"}}});
  }
  testutil::UniqueTempDir tmp_;
  scenario::Run run_;
  std::string case_;
};

TEST_F(GuestActions, EveryKeyHasADocAndEveryActionASummary) {
  for (const auto& a : actions()) {
    EXPECT_FALSE(a.summary.empty()) << a.name;
    for (const auto& k : a.keys) EXPECT_FALSE(k.doc.empty()) << a.name << "." << k.name;
  }
}

// Control: without SEV the hypervisor's dump holds the program's secret in plaintext.
TEST_F(GuestActions, DumpOfAPlainGuestHoldsTheSecret) {
  const json s = secret_guest("off");
  EXPECT_GE(s["found"].get<uint64_t>(), 1u) << s;
  EXPECT_GE(s["found_not_shared"].get<uint64_t>(), 1u) << s;
  const json fmt = step("f", "scan", {{"find", {"My secret is %d"}}});
  EXPECT_GE(fmt["found"].get<uint64_t>(), 2u) << fmt;
  const json d = step("dm", "dmesg", {{"grep", "SEV|ncryption"}});
  EXPECT_EQ(d["count"], 0) << d;
}

TEST_F(GuestActions, DumpOfAnSevGuestHoldsNoSecretAndTheFormatOnlyInTheBounceBuffer) {
  const json s = secret_guest("sev");
  EXPECT_EQ(s["found"], 0) << s;
  EXPECT_GT(s["private_pages"].get<uint64_t>(), 0u);
  const json fmt = step("f", "scan", {{"find", {"My secret is %d"}}});
  EXPECT_GE(fmt["found"].get<uint64_t>(), 1u) << fmt;
  EXPECT_EQ(fmt["found_not_shared"], 0) << fmt;
  EXPECT_EQ(run_.results()["g"]["owner_verified"], true);
  const json d = step("dm", "dmesg", {{"grep", "SEV|ncryption"}});
  EXPECT_GE(d["count"].get<uint64_t>(), 1u);
  EXPECT_NE(d["dmesg"].get<std::string>().find("AMD Secure Encrypted Virtualization (SEV) active"),
            std::string::npos)
      << d;
}

TEST_F(GuestActions, SevEsFallsBackToRomeAndHidesTheSecret) {
  step("h", "sev-host", {{"needs", "sev-es"}, {"fallback", "rome"}, {"dram", "128M"}});
  EXPECT_EQ(run_.results()["h"]["cpu"], "rome");
  step("g", "guest", {{"mode", "sev-es"}, {"program", "secret"}});
  const json c = step("c", "guest-cpuid", {{"leaf", 0x8000001f}});
  EXPECT_EQ(c["eax"].get<uint32_t>() & 0xa, 0xau) << c;  // EAX[1] SEV, EAX[3] SEV-ES
  const json m = step("m", "guest-rdmsr", {{"msr", 0xc0010131}});
  EXPECT_EQ(m["value"].get<uint64_t>() & 3, 3u) << m;  // SEV_STATUS: SEV and SEV-ES enabled
  step("r", "guest-run", {{"args", {"123"}}});
  step("d", "dump-guest-memory", json::object());
  EXPECT_EQ(step("s", "scan", {{"find", {"My secret is 123"}}})["found"], 0);
}

TEST_F(GuestActions, SnpGuestsDumpShowsZerosForPrivatePages) {
  const json s = secret_guest("snp", "milan");
  EXPECT_EQ(s["found"], 0) << s;
  EXPECT_GT(s["private_pages"].get<uint64_t>(), 0u) << s;
  EXPECT_EQ(s["private_pages_nonzero"], 0) << s;
}

TEST_F(GuestActions, SharedPageCarriesMessagesAndAPrivatePageDoesNot) {
  step("h", "sev-host", {{"dram", "128M"}});
  step("g", "guest", {{"mode", "sev"}, {"owner", false}});
  const std::string secret = "guest-private: the database password is hunter2";
  const json sh = step("shared", "guest-page", {{"shared", true}});
  EXPECT_EQ(sh["kvm_knows"], true);
  const json pr = step("priv", "guest-page", {{"text", secret}});
  EXPECT_EQ(pr["kvm_knows"], false);
  const std::string msg = "hypervisor -> guest: request #1";
  step("w1", "hv-write", {{"page", "shared"}, {"text", msg}});
  step("w2", "hv-write", {{"page", "priv"}, {"at", 2048}, {"text", msg}});
  EXPECT_EQ(step("r1", "guest-read", {{"page", "shared"}, {"length", msg.size()}})["text"], msg);
  // Control: through the private page the hypervisor's bytes reach the guest as garbage.
  EXPECT_NE(
      step("r2", "guest-read", {{"page", "priv"}, {"at", 2048}, {"length", msg.size()}})["text"],
      msg);
  const std::string reply = "guest -> hypervisor: reply #1";
  step("w3", "guest-write", {{"page", "shared"}, {"at", 1024}, {"text", reply}});
  EXPECT_EQ(
      step("r3", "hv-read", {{"page", "shared"}, {"at", 1024}, {"length", reply.size()}})["text"],
      reply);
  EXPECT_NE(step("r4", "hv-read", {{"page", "priv"}, {"length", secret.size()}})["text"], secret);
  EXPECT_EQ(step("s", "scan", {{"guest", "g"}, {"find", {secret}}})["found"], 0);
}

// Control for the scan of live memory: a plain guest's private page is plaintext to the host.
TEST_F(GuestActions, LiveScanOfAPlainGuestFindsItsPrivateText) {
  step("h", "sev-host", {{"dram", "128M"}, {"needs", "off"}});
  step("g", "guest", {{"mode", "off"}});
  step("priv", "guest-page", {{"text", "guest-private: hunter2"}});
  EXPECT_EQ(step("s", "scan", {{"guest", "g"}, {"find", {"guest-private: hunter2"}}})["found"], 1);
  EXPECT_EQ(step("r", "hv-read", {{"page", "priv"}, {"length", 22}})["text"],
            "guest-private: hunter2");
}

TEST_F(GuestActions, HostDmesgAndFilter) {
  step("h", "sev-host", {{"dram", "128M"}});
  const json d =
      step("d", "dmesg", {{"host", "h"}, {"grep", "sme|encrypt"}, {"ignore_case", true}});
  EXPECT_GE(d["count"].get<uint64_t>(), 1u) << d;
  const json none = step("n", "dmesg", {{"host", "h"}, {"grep", "no such line at all"}});
  EXPECT_EQ(none["count"], 0);
}

TEST_F(GuestActions, BadInputIsAnInputErrorNamingTheKey) {
  const auto refused = [&](const std::string& act, json args, const std::string& key) {
    try {
      step("", act, std::move(args));
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("key '" + key + "'"), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << act << " accepted bad " << key;
  };
  // No host yet, no guest yet.
  refused("guest", {{"mode", "sev"}}, "host");
  refused("guest-run", json::object(), "guest");
  refused("sev-host", {{"cpu", "bogus"}}, "cpu");  // (the parser refuses it before a run)
  refused("sev-host", {{"set", {"cbit=99"}}}, "set");
  // naples has no SEV-ES ASID and no fallback was named.
  refused("sev-host", {{"needs", "sev-es"}}, "needs");
  refused("sev-host", {{"dram", "1M"}}, "dram");
  step("h", "sev-host", {{"dram", "128M"}});
  refused("guest", {{"mode", "sev-es"}}, "mode");  // naples: no ES ASID
  refused("guest", {{"mode", "snp"}}, "mode");
  refused("guest", {{"memory", "1M"}}, "memory");
  refused("guest", {{"vcpus", 0}}, "vcpus");
  refused("guest", {{"program", "no-such-program"}}, "program");
  refused("guest", {{"program", "secret 123"}}, "program");
  refused("guest", {{"firmware", "/nonexistent/OVMF.fd"}}, "firmware");
  refused("guest", {{"host", "nope"}}, "host");
  step("g", "guest", {{"mode", "sev"}});
  refused("guest-run", {{"guest", "g"}}, "guest");  // nothing on its disk
  refused("guest-cpuid", {{"leaf", 0x100000000ull}}, "leaf");
  refused("dmesg", {{"grep", "("}}, "grep");
  refused("guest-page", {{"guest", "h"}}, "guest");  // a host, not a guest
  step("p", "guest-page", json::object());
  refused("guest-read", {{"page", "p"}, {"length", 0}}, "length");
  refused("guest-write", {{"page", "p"}, {"at", 4090}, {"text", "too long"}}, "at");
  refused("hv-read", {{"page", "g"}, {"length", 4}}, "page");
  refused("dump-guest-memory", {{"file", "../x.core"}}, "file");
  step("d", "dump-guest-memory", {{"file", "x.core"}});
  refused("dump-guest-memory", {{"file", "x.core"}}, "file");  // never replaces a file
  refused("scan", {{"find", json::array()}}, "find");
}

}  // namespace
}  // namespace cbit::scenario
