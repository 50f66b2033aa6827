//! What probes drive: the runtimes the service runs under and the servers it serves from.
//! Probes depend on these and on the runner, never on one another; nothing here knows a
//! probe or the report.

pub mod child_server;
pub mod cli;
pub mod containerd;
pub mod containerd_api;
pub mod ctr_server;
pub mod docker;
pub mod leftovers;
pub mod server;
pub mod wagi_hosts;
pub mod wasi_http_hosts;

/// Removes every container this process started, under docker and under containerd: the
/// removers the interruption handler and the end of a run call.
pub fn register_removers() {
    crate::cleanup::register("docker", docker::remove_containers);
    crate::cleanup::register("containerd", containerd::remove_containers);
    crate::cleanup::register("containerd-api", containerd_api::remove_leftovers);
}
