//! Rust-version truth: `rust-version` in Cargo.toml must be the highest `rust-version`
//! among the locked dependencies the binary is built from (dev-dependencies aside), so
//! that a user with an older Rust gets cargo's clear "requires rustc X" message instead
//! of a build error deep in a dependency. A dependency update that raises it fails here
//! until Cargo.toml follows.

use std::process::Command;

use serde_json::Value;

/// A `rust-version` as numbers: "1.89" is 1.89.0.
fn parse(version: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = version
        .split('.')
        .map(|part| part.parse().expect("numeric rust-version"))
        .collect();
    parts.resize(3, 0);
    parts
}

/// The highest `rust-version` among the packages the root package builds with (normal
/// and build dependencies, transitively), with the package that sets it.
fn required(metadata: &Value) -> Option<(String, String)> {
    let packages = metadata["packages"].as_array().expect("packages");
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve.nodes");
    let root = metadata["resolve"]["root"].as_str().expect("resolve.root");
    let node = |id: &str| {
        nodes
            .iter()
            .find(|node| node["id"] == id)
            .expect("resolved node")
    };
    let mut seen = vec![root.to_owned()];
    let mut todo = vec![root.to_owned()];
    while let Some(id) = todo.pop() {
        for dep in node(&id)["deps"].as_array().expect("deps") {
            let built = dep["dep_kinds"]
                .as_array()
                .expect("dep_kinds")
                .iter()
                .any(|kind| kind["kind"] != "dev");
            let dep_id = dep["pkg"].as_str().expect("pkg").to_owned();
            if built && !seen.contains(&dep_id) {
                seen.push(dep_id.clone());
                todo.push(dep_id);
            }
        }
    }
    packages
        .iter()
        .filter(|package| {
            package["id"] != root && seen.iter().any(|id| package["id"] == id.as_str())
        })
        .filter_map(|package| {
            let version = package["rust_version"].as_str()?;
            Some((
                version.to_owned(),
                format!(
                    "{} {}",
                    package["name"].as_str()?,
                    package["version"].as_str()?
                ),
            ))
        })
        .max_by_key(|(version, _)| parse(version))
}

/// What `rust-version` the root package declares.
fn declared(metadata: &Value) -> String {
    let root = &metadata["resolve"]["root"];
    let package = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|package| &package["id"] == root);
    package
        .and_then(|package| package["rust_version"].as_str())
        .expect("Cargo.toml sets rust-version")
        .to_owned()
}

/// The failure message when the declared version is not the required one, else None.
fn mismatch(metadata: &Value) -> Option<String> {
    let (needed, by) = required(metadata)?;
    let declared = declared(metadata);
    (parse(&declared) != parse(&needed)).then(|| {
        format!("Cargo.toml says rust-version = \"{declared}\", but the highest among the locked dependencies is {needed} (set by {by}): set rust-version = \"{needed}\"")
    })
}

#[test]
fn rust_version_is_the_highest_among_the_locked_dependencies() {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    assert!(
        required(&metadata).is_some(),
        "no dependency declares a rust-version: is the metadata read right?"
    );
    if let Some(message) = mismatch(&metadata) {
        panic!("{message}");
    }
}

/// A two-package graph: the root (rust-version `declared`) depends on `dep` (`needed`)
/// as `kind` ("normal" is JSON null, as cargo writes it).
fn graph(declared: &str, needed: &str, kind: Option<&str>) -> Value {
    serde_json::json!({
        "packages": [
            { "id": "root", "name": "ci-tracing", "version": "0.1.0", "rust_version": declared },
            { "id": "dep", "name": "zip", "version": "9.8.2", "rust_version": needed }
        ],
        "resolve": {
            "root": "root",
            "nodes": [
                { "id": "root", "deps": [{ "pkg": "dep", "dep_kinds": [{ "kind": kind }] }] },
                { "id": "dep", "deps": [] }
            ]
        }
    })
}

#[test]
fn a_dependency_that_needs_a_newer_rust_fails_until_cargo_toml_follows() {
    assert_eq!(
        mismatch(&graph("1.85", "1.89", None)).as_deref(),
        Some(
            "Cargo.toml says rust-version = \"1.85\", but the highest among the locked dependencies is 1.89 (set by zip 9.8.2): set rust-version = \"1.89\""
        )
    );
    assert_eq!(mismatch(&graph("1.89", "1.89.0", Some("build"))), None);
    assert!(
        mismatch(&graph("1.90", "1.89", None)).is_some(),
        "a rust-version above the need is not the truth either"
    );
    assert_eq!(
        mismatch(&graph("1.85", "1.89", Some("dev"))),
        None,
        "dev-dependencies do not build the binary"
    );
}
