// cat/profile.cpp — placeholder, being written.
