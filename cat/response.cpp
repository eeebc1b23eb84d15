// cat/response.cpp — placeholder, being written.
