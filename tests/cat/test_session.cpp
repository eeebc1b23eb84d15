// tests/cat/test_session.cpp — placeholder, being written.
