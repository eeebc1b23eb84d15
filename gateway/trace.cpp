// gateway/trace.cpp — placeholder, being written.
