// gateway/ctl_client.cpp — placeholder, being written.
