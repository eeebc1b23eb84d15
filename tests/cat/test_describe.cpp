// tests/cat/test_describe.cpp — describe_bytes: what dmsc-ctl decode shows for each kind of
// input, APDU exchanges split into their parts, and precise errors for what is not CAT.
#include <doctest/doctest.h>

#include "cat/describe.hpp"

using namespace dmsc::cat;

namespace {
Result<Description> d(const char* hex, Hint hint = Hint::Auto) {
    Bytes b;
    REQUIRE(from_hex(hex, b));
    return describe_bytes(b, hint);
}
bool has_field(const Fields& fields, const std::string& name, const std::string& value) {
    for (const auto& f : fields) {
        if (f.name == name && field_to_string(f.value) == value) return true;
    }
    return false;
}
}  // namespace

TEST_CASE("describe: a Terminal Server Mode OPEN CHANNEL is recognised and decoded") {
    auto r = d("D012810301400182028182390205783C0305044C");
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::ProactiveCommand);
    CHECK(r->title == "OPEN CHANNEL");
    REQUIRE(r->details);
    CHECK(r->details->type == 0x40);
    CHECK(r->details->qualifier == 0x01);
    CHECK(r->devices->source == 0x81);
    CHECK(r->tlvs.size() == 4);
    CHECK(r->tlvs[3].tag == 0x3C);
    CHECK(has_field(r->fields, "port", "1100"));
    CHECK(has_field(r->fields, "buffer size", "1400"));
    const auto text = to_text(*r);
    CHECK(text.find("OPEN CHANNEL") != std::string::npos);
    CHECK(text.find("05044C") != std::string::npos);
}

TEST_CASE("describe: a command whose body does not decode still shows its header and the answer") {
    // SEND DATA without its mandatory channel data: a terminal answers '36'.
    auto r = d("D009810301430182028121");
    REQUIRE(r.ok());
    CHECK(r->details->type == 0x43);
    REQUIRE_FALSE(r->notes.empty());
    CHECK(r->notes[0].find("'36'") != std::string::npos);
}

TEST_CASE("describe: TERMINAL RESPONSE and ENVELOPE are told apart by their first bytes") {
    auto tr = d("81030243018202828183023A07");
    REQUIRE(tr.ok());
    CHECK(tr->kind == Kind::TerminalResponse);
    REQUIRE(tr->result);
    CHECK(tr->result->general == 0x3A);
    CHECK(tr->result->additional == Bytes{0x07});
    auto env = d("D60E99010982028281B8028100B701FF");
    REQUIRE(env.ok());
    CHECK(env->kind == Kind::Envelope);
    CHECK(env->title.find("data available") != std::string::npos);
    CHECK(env->ber_tag == 0xD6);
}

TEST_CASE("describe: a FETCH exchange splits into header, proactive command and status word") {
    auto r = d("8012000014 D012810301400182028182390205783C0305044C 9000");
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::ApduExchange);
    CHECK(r->title == "FETCH");
    CHECK(r->status_word == 0x9000);
    REQUIRE(r->parts.size() == 1);
    CHECK(r->parts[0].kind == Kind::ProactiveCommand);
}

TEST_CASE("describe: an ENVELOPE exchange with '91 XX' names the pending command") {
    auto r = d("80C2000009 D607990104820282 81 910B");
    REQUIRE(r.ok());
    CHECK(r->title == "ENVELOPE");
    CHECK(r->status_word == 0x910B);
    REQUIRE(r->parts.size() == 1);
    CHECK(r->parts[0].kind == Kind::Envelope);
    CHECK(has_field(r->fields, "status word", "910B proactive command pending, 11 bytes"));
}

TEST_CASE("describe: a TERMINAL PROFILE APDU lists the announced features") {
    auto r = d("8010000003 0100E8 9000");
    REQUIRE(r.ok());
    REQUIRE(r->parts.size() == 1);
    CHECK(r->parts[0].kind == Kind::TerminalProfile);
    CHECK(has_field(r->parts[0].fields, "feature", "byte 1 bit 1: profile download"));
    auto p = d("0100E8", Hint::TerminalProfile);
    REQUIRE(p.ok());
    CHECK(p->fields.size() == 5);
}

TEST_CASE("describe: an APDU whose Lc runs past the data is an error naming the byte") {
    auto r = d("80C2000020 D60799");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().offset == 4);
}

TEST_CASE("describe: bytes that are no CAT object are refused with a reason") {
    for (const char* h : {"00", "1234", "D0", "D0FF00"}) {
        auto r = d(h);
        CHECK_FALSE(r.ok());
        CHECK_FALSE(r.error().message.empty());
    }
    Bytes empty;
    CHECK_FALSE(describe_bytes(empty).ok());
}
