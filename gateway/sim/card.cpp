// gateway/sim/card.cpp — placeholder, being written.
