// cat/objects.cpp — placeholder, being written.
