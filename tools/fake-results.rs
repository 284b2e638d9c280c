//! The fake results service and blob store of the tests, as a process, for
//! `bench/upload.sh`: prints `ACTIONS_RESULTS_URL=…` and `ACTIONS_RUNTIME_TOKEN=…` lines,
//! then serves until its standard input closes.
//!
//! It is the same code the tests prove against `@actions/artifact`
//! (tests/support/results.rs), included by path so there is one fake, not two.

#[path = "../tests/support/http.rs"]
mod http;
#[path = "../tests/support/results.rs"]
mod results;

use std::io::Read;

fn main() {
    let token = results::runtime_token(&results::job_scopes(), "bench");
    let fake = results::FakeResults::start(&token);
    println!("ACTIONS_RESULTS_URL={}", fake.results_url());
    println!("ACTIONS_RUNTIME_TOKEN={token}");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    for artifact in fake.artifacts() {
        let (size, hash) = artifact.finalized.unwrap_or_default();
        eprintln!(
            "fake-results: {} id {} size {size} {hash}",
            artifact.name, artifact.id
        );
    }
}
