// tests/gateway/test_debug_server.cpp — placeholder, being written.
