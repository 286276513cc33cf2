// duplexctl: the field engineer's view of the pair, over duplexd's control socket.
import ArgumentParser

Duplexctl.main()
