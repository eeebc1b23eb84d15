// gateway/sim/vpcd_client.cpp — placeholder, being written.
