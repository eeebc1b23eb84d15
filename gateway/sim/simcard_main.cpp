// gateway/sim/simcard_main.cpp — placeholder, being written.
int main() { return 1; }
