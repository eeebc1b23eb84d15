// gateway/config.cpp — placeholder, being written.
