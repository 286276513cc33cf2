// DuplexSimulation module.
