// cat/apdu.cpp — placeholder, being written.
