// tests/cat/test_proactive_vectors.cpp — placeholder, being written.
