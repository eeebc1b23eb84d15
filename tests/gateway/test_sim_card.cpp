// tests/gateway/test_sim_card.cpp — placeholder, being written.
