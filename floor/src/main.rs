//! Does nothing and exits 0. Timing it spawn-to-exit shows how close each runtime in the
//! report comes to the cost of exec itself on this machine.
fn main() {}
