// gateway/sim/sim_link.hpp — the simulated UICC as an in-process CardLink (`card.link = "sim"`):
// every answer is posted on the io_context, never delivered re-entrantly; tests can pull the
// card out and put it back.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "cat/session.hpp"
#include "gateway/card_link.hpp"
#include "gateway/sim/card.hpp"
#include "gateway/sim/scenario.hpp"

namespace dmsc::gateway::sim {

// Where the card reads "now" for its delay_ms triggers; tests inject a fake one.
using Clock = std::function<cat::TimePoint()>;

class SimLink : public CardLink {
public:
    SimLink(boost::asio::io_context& io, std::shared_ptr<Card> card, Clock clock = {});
    ~SimLink() override;
    SimLink(const SimLink&) = delete;
    SimLink& operator=(const SimLink&) = delete;

    void start(Callbacks callbacks) override;
    void transmit(cat::Bytes command, TransmitHandler done) override;
    void reset() override;
    void stop() override;
    std::string name() const override { return "sim"; }

    // The card is pulled out: the card powers off and card_gone follows (posted); transmits
    // fail with card_gone until insert_card().
    void remove_card();
    // The card is put back: power-on, then card_ready (posted).
    void insert_card();

    // The model, for verdicts and logs. Only touch it on the io_context thread.
    Card& card() { return *card_; }
    std::shared_ptr<Card> shared_card() const { return card_; }

private:
    struct State;
    boost::asio::io_context& io_;
    std::shared_ptr<Card> card_;
    std::shared_ptr<State> state_;
};

std::unique_ptr<SimLink> make_sim_link(boost::asio::io_context& io, std::shared_ptr<Card> card,
                                       Clock clock = {});
std::unique_ptr<SimLink> make_sim_link(boost::asio::io_context& io, Scenario scenario, Clock clock = {});

}  // namespace dmsc::gateway::sim
