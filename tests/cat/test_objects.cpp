// tests/cat/test_objects.cpp — placeholder, being written.
