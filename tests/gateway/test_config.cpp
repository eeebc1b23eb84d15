// tests/gateway/test_config.cpp — placeholder, being written.
