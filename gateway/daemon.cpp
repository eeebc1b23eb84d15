// gateway/daemon.cpp — placeholder, being written.
