// tests/gateway/test_trace.cpp — placeholder, being written.
