// gateway/sim/scenario.cpp — placeholder, being written.
