// tests/gateway/test_daemon_sim.cpp — placeholder, being written.
