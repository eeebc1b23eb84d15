// gateway/log.cpp — placeholder, being written.
