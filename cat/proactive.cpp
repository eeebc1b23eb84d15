// cat/proactive.cpp — placeholder, being written.
