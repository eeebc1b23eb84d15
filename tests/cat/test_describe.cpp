// tests/cat/test_describe.cpp — placeholder, being written.
