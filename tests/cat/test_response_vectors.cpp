// tests/cat/test_response_vectors.cpp — placeholder, being written.
