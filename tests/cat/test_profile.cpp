// tests/cat/test_profile.cpp — placeholder, being written.
