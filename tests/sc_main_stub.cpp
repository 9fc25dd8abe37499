// libsystemc.so defines main() which calls sc_main(); the test executable uses Catch2's
// main instead (it wins over the shared library's), but the library's reference to
// sc_main must still resolve at link time. Never called.
extern "C" int sc_main(int, char**) { return 0; }
