// Duplex module.
