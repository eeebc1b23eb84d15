// gateway/debug_server.cpp — placeholder, being written.
