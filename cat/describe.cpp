// cat/describe.cpp — placeholder, being written.
