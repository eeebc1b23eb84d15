// cat/session.cpp — placeholder, being written.
