// DuplexLinux module.
