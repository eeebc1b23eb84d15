// tests/cat/test_text.cpp — placeholder, being written.
