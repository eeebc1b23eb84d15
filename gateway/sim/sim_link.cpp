// gateway/sim/sim_link.cpp — placeholder, being written.
