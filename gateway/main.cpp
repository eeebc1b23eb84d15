// gateway/main.cpp — placeholder, being written.
int main() { return 1; }
