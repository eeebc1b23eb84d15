// gateway/pcsc_link.cpp — placeholder, being written.
