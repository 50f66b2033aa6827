//! Probes: each measures one aspect and returns observations. Adding a probe is one file
//! and one line in [`registry`].

mod child_server;
mod criterion;
mod crosscheck;
pub mod ctr;
mod docker;
mod expect;
mod load;
mod peak_rss;
mod phases;
mod sections;
mod server;
mod sizes;
pub mod spin;
mod startup;
mod wasi_http;

use crate::ctx::Ctx;
use crate::results::Observation;

pub use crosscheck::{ALONE_ID as CROSSCHECK_ALONE_ID, ID as CROSSCHECK_ID};
pub use sections::{PREFIX as SECTION_PREFIX, UNCOVERED as SECTION_UNCOVERED};
/// Removes every container this process started, under docker and under containerd.
pub fn remove_containers() {
    docker::remove_containers();
    ctr::remove_containers();
}

pub trait Probe {
    /// The first part of every observation id it writes.
    fn id(&self) -> &'static str;
    /// Takes its measurements; a missing tool or a failure is an observation too.
    fn run(&self, ctx: &Ctx) -> Vec<Observation>;
}

/// Every probe, in the order `measure run` runs them.
pub fn registry() -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(sizes::Sizes),
        Box::new(sections::Sections),
        Box::new(docker::DockerImage),
        Box::new(ctr::CtrImages),
        Box::new(startup::Startup),
        Box::new(crosscheck::Crosscheck),
        Box::new(peak_rss::PeakRss),
        Box::new(server::ServerProbe),
        Box::new(load::LoadProbe),
        Box::new(phases::Phases),
        Box::new(ctr::CtrExtras),
        Box::new(criterion::Criterion),
    ]
}
