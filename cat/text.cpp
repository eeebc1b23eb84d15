// cat/text.cpp — placeholder, being written.
