// tests/cat/test_envelope_vectors.cpp — placeholder, being written.
