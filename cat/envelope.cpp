// cat/envelope.cpp — placeholder, being written.
