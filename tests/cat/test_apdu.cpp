// tests/cat/test_apdu.cpp — placeholder, being written.
