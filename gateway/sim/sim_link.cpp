// gateway/sim/sim_link.cpp — SimLink: the Card behind the CardLink interface, with every result
// and presence change posted on the io_context (the CardLink threading contract).
#include "gateway/sim/sim_link.hpp"

#include <boost/asio/post.hpp>
#include <utility>

namespace dmsc::gateway::sim {

// Shared with the posted handlers, so one that runs after the link is gone does no harm.
struct SimLink::State {
    std::shared_ptr<Card> card;
    Clock clock;
    Callbacks callbacks;
    bool started = false;
    bool stopped = false;
    bool present = true;

    CardInfo info() const {
        CardInfo i;
        i.link = "sim";
        i.reader = card->scenario().name;
        i.protocol = std::string(card->protocol());
        i.atr = card->atr();
        return i;
    }
    void power_on_and_report() {
        if (stopped || !present) return;
        card->power_on(clock());
        if (callbacks.card_ready) callbacks.card_ready(info());
    }
};

SimLink::SimLink(boost::asio::io_context& io, std::shared_ptr<Card> card, Clock clock)
    : io_(io), card_(std::move(card)), state_(std::make_shared<State>()) {
    state_->card = card_;
    state_->clock = clock ? std::move(clock) : [] { return cat::SessionClock::now(); };
}

SimLink::~SimLink() {
    state_->stopped = true;
}

void SimLink::start(Callbacks callbacks) {
    state_->callbacks = std::move(callbacks);
    state_->started = true;
    state_->stopped = false;
    boost::asio::post(io_, [s = state_] { s->power_on_and_report(); });
}

void SimLink::transmit(cat::Bytes command, TransmitHandler done) {
    boost::asio::post(io_, [s = state_, command = std::move(command), done = std::move(done)] {
        TransmitResult r;
        if (s->stopped) {
            r.error = "link stopped";
            r.card_gone = true;
        } else if (!s->present || !s->card->powered()) {
            r.error = "card removed";
            r.card_gone = true;
        } else {
            r.response = s->card->process(command, s->clock());
            r.ok = true;
        }
        if (done) done(std::move(r));
    });
}

void SimLink::reset() {
    boost::asio::post(io_, [s = state_] {
        if (s->stopped || !s->present) return;
        s->card->power_off();
        s->power_on_and_report();
    });
}

void SimLink::stop() {
    // Nothing runs on another thread: the card powers down now; posted transmits answer
    // "link stopped".
    state_->stopped = true;
    card_->power_off();
}

void SimLink::remove_card() {
    boost::asio::post(io_, [s = state_] {
        if (s->stopped || !s->present) return;
        s->present = false;
        s->card->power_off();
        if (s->started && s->callbacks.card_gone) s->callbacks.card_gone("card removed");
    });
}

void SimLink::insert_card() {
    boost::asio::post(io_, [s = state_] {
        if (s->stopped || s->present) return;
        s->present = true;
        if (s->started) s->power_on_and_report();
    });
}

std::unique_ptr<SimLink> make_sim_link(boost::asio::io_context& io, std::shared_ptr<Card> card, Clock clock) {
    return std::make_unique<SimLink>(io, std::move(card), std::move(clock));
}

std::unique_ptr<SimLink> make_sim_link(boost::asio::io_context& io, Scenario scenario, Clock clock) {
    return make_sim_link(io, std::make_shared<Card>(std::move(scenario)), std::move(clock));
}

}  // namespace dmsc::gateway::sim
