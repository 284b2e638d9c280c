//! `ci-tracing stack init`: the local Grafana stack it writes is the one in
//! `examples/tracing/`, never over a user's file without `--force` (and never through a
//! symlink), and its parts agree with each other and with `replay`'s default endpoint:
//! the collector publishes and receives that port, sends to Tempo where Tempo listens,
//! and Grafana asks Tempo where Tempo answers. Images are pinned, and Debian's
//! `docker-compose` (`config -q`) accepts the compose file. Docker itself never runs.
//!
//! The YAML is read with PyYAML (`.venv`, from requirements-test.txt) and compared as
//! JSON.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{ci_tracing, text};

/// The files of the stack, as kept in the repository.
const FILES: [&str; 5] = [
    "docker-compose.yaml",
    "otel-collector.yaml",
    "tempo.yaml",
    "grafana-datasources.yaml",
    "README.md",
];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tracing")
}

/// A git checkout in a temporary directory (so that the default directory is its
/// `.github/tracing`).
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let init = Command::new("git")
        .args(["init", "-q", "."])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(init.success());
    dir
}

/// Runs `stack init` with `args` in `dir`; returns the exit code, stdout and stderr.
fn init(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = ci_tracing(dir)
        .args(["stack", "init"])
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// The YAML file at `path` as JSON (PyYAML's `safe_load`).
fn yaml(path: &Path) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".venv/bin/python");
    let python = if venv.is_file() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let out = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(path)
        .output()
        .unwrap_or_else(|err| panic!("{}: {err}", python.display()));
    assert!(
        out.status.success(),
        "PyYAML cannot read {} ({}); run scripts/setup-test.sh, which installs requirements-test.txt into .venv",
        path.display(),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The port at the end of `HOST:PORT` or `IP:PUBLISHED:TARGET[/PROTOCOL]`.
fn last_port(text: &str) -> u16 {
    let text = text.split('/').next().unwrap();
    text.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn init_writes_the_example_stack_into_the_checkouts_github_tracing() {
    let repo = checkout();
    let sub = repo.path().join("deep/inside");
    std::fs::create_dir_all(&sub).unwrap();
    let out = ci_tracing(&sub)
        .env("GIT_CEILING_DIRECTORIES", repo.path().parent().unwrap())
        .args(["stack", "init"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dir = repo.path().join(".github/tracing");
    let mut kept: Vec<String> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written, kept,
        "every file of examples/tracing, and no other"
    );
    for name in FILES {
        let made = std::fs::read(dir.join(name)).unwrap();
        assert!(
            made == std::fs::read(examples().join(name)).unwrap(),
            "{name} differs from examples/tracing/{name}"
        );
        assert!(stdout.contains(&format!("wrote {}", dir.join(name).display())));
    }
    assert!(stdout.contains("docker compose -f"), "{stdout}");
    assert!(
        stdout.contains("ci-tracing replay --shift-to-now"),
        "{stdout}"
    );
    assert!(stdout.contains("http://localhost:3000/explore"), "{stdout}");
    assert!(stdout.contains("down -v"), "{stdout}");
}

#[test]
fn dir_names_where_the_stack_goes_and_is_made_when_missing() {
    let base = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = init(base.path(), &["--dir", "stack/here"]);
    assert_eq!(code, Some(0), "{stderr}");
    for name in FILES {
        assert!(
            base.path().join("stack/here").join(name).is_file(),
            "{name}"
        );
    }
    assert!(
        stdout.contains("wrote stack/here/tempo.yaml"),
        "paths relative to the current directory: {stdout}"
    );
    assert!(
        stdout.contains("docker compose -f stack/here/docker-compose.yaml up -d"),
        "{stdout}"
    );
}

#[test]
fn an_existing_file_is_kept_and_nothing_is_written_without_force() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("tempo.yaml"), "mine\n").unwrap();
    let (code, stdout, stderr) = init(base.path(), &["-D", "s"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        stderr,
        "error: tempo.yaml already exists in s; pass --force to replace it (nothing was written)\n"
    );
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.join("tempo.yaml")).unwrap(),
        "mine\n"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no other file and no temporary file");

    let (code, _, stderr) = init(base.path(), &["-D", "s", "--force"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        std::fs::read(dir.join("tempo.yaml")).unwrap(),
        std::fs::read(examples().join("tempo.yaml")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn force_replaces_a_symlink_not_the_file_it_points_to() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    let precious = base.path().join("precious.yaml");
    std::fs::write(&precious, "precious\n").unwrap();
    std::os::unix::fs::symlink(&precious, dir.join("docker-compose.yaml")).unwrap();

    let (code, _, stderr) = init(base.path(), &["-D", "s"]);
    assert_eq!(
        code,
        Some(2),
        "a symlink counts as an existing file: {stderr}"
    );
    assert!(
        stderr.contains("docker-compose.yaml already exists"),
        "{stderr}"
    );

    let (code, _, stderr) = init(base.path(), &["-D", "s", "--force"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious\n");
    let link = dir.join("docker-compose.yaml");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(
        std::fs::read(&link).unwrap(),
        std::fs::read(examples().join("docker-compose.yaml")).unwrap()
    );
}

#[test]
fn a_directory_in_the_way_is_refused_even_with_force() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("s");
    std::fs::create_dir_all(dir.join("README.md")).unwrap();
    let (code, _, stderr) = init(base.path(), &["-D", "s", "--force"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is a directory"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!dir.join("docker-compose.yaml").exists());
}

/// The strings of a YAML list.
fn strings(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// The compose file's services.
fn services() -> serde_json::Map<String, Value> {
    let compose = yaml(&examples().join("docker-compose.yaml"));
    compose["services"].as_object().unwrap().clone()
}

/// The file a service reads its configuration from (the `PREFIX` argument of its
/// command) is `file` of the stack, mounted read-only.
fn mounted_config<'a>(service: &'a Value, prefix: &str, file: &str) -> &'a str {
    let path = service["command"][0]
        .as_str()
        .unwrap()
        .strip_prefix(prefix)
        .unwrap();
    let mount = format!("./{file}:{path}:ro");
    assert!(
        strings(&service["volumes"]).contains(&mount.as_str()),
        "{service}"
    );
    path
}

#[test]
fn the_collector_publishes_and_takes_replays_default_endpoint() {
    let endpoint = reqwest::Url::parse(ci_tracing::config::otlp::DEFAULT_ENDPOINT).unwrap();
    let replay_port = endpoint.port().unwrap();
    assert_eq!(endpoint.host_str(), Some("localhost"));
    let services = services();
    let collector = &services["otel-collector"];
    // Published on the host as the same port: replay's and the two standard OTLP ports.
    let published: Vec<(u16, u16)> = strings(&collector["ports"])
        .iter()
        .map(|p| {
            let parts: Vec<&str> = p.split('/').next().unwrap().split(':').collect();
            let n = parts.len();
            (parts[n - 2].parse().unwrap(), parts[n - 1].parse().unwrap())
        })
        .collect();
    for port in [replay_port, 4317, 4318] {
        assert!(
            published.contains(&(port, port)),
            "port {port} not published: {published:?}"
        );
    }
    // Received by the traces pipeline of the config the compose file mounts.
    mounted_config(collector, "--config=", "otel-collector.yaml");
    let config = yaml(&examples().join("otel-collector.yaml"));
    let (mut http_ports, mut grpc_ports) = (Vec::new(), Vec::new());
    for receiver in strings(&config["service"]["pipelines"]["traces"]["receivers"]) {
        let protocols = &config["receivers"][receiver]["protocols"];
        if let Some(http) = protocols["http"]["endpoint"].as_str() {
            assert!(
                http.starts_with("0.0.0.0:"),
                "{http}: reachable from the host"
            );
            http_ports.push(last_port(http));
        }
        if let Some(grpc) = protocols["grpc"]["endpoint"].as_str() {
            grpc_ports.push(last_port(grpc));
        }
    }
    assert!(http_ports.contains(&replay_port), "{http_ports:?}");
    assert!(http_ports.contains(&4318) && grpc_ports == [4317]);
}

#[test]
fn the_collector_feeds_tempo_where_it_listens_and_grafana_reads_it_there() {
    let services = services();
    let config = yaml(&examples().join("otel-collector.yaml"));
    let exporters = strings(&config["service"]["pipelines"]["traces"]["exporters"]);
    assert_eq!(exporters.len(), 1);
    let exporter = &config["exporters"][exporters[0]];
    assert_eq!(exporter["tls"]["insecure"], Value::Bool(true));
    let (host, port) = exporter["endpoint"]
        .as_str()
        .unwrap()
        .split_once(':')
        .unwrap();
    assert!(services.contains_key(host), "{host} is a service");
    mounted_config(&services[host], "-config.file=", "tempo.yaml");
    let tempo = yaml(&examples().join("tempo.yaml"));
    let tempo_grpc = &tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"];
    assert_eq!(
        last_port(tempo_grpc.as_str().unwrap()),
        port.parse::<u16>().unwrap()
    );

    // Grafana's data source is that Tempo at its HTTP port, provisioned by the mount.
    let grafana = &services["grafana"];
    assert!(
        strings(&grafana["volumes"])
            .iter()
            .any(|v| v
                .starts_with("./grafana-datasources.yaml:/etc/grafana/provisioning/datasources/")),
        "{grafana}"
    );
    let env = strings(&grafana["environment"]);
    assert!(env.contains(&"GF_AUTH_ANONYMOUS_ENABLED=true"), "{env:?}");
    assert!(
        strings(&grafana["ports"])
            .iter()
            .any(|p| last_port(p) == 3000)
    );
    let sources = yaml(&examples().join("grafana-datasources.yaml"));
    let source = &sources["datasources"][0];
    assert_eq!(source["type"], "tempo");
    let url = reqwest::Url::parse(source["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some(host));
    let http_port = tempo["server"]["http_listen_port"].as_u64().unwrap();
    assert_eq!(url.port().map(u64::from), Some(http_port));
}

#[test]
fn every_image_is_pinned_to_a_tag() {
    let services = services();
    assert_eq!(services.len(), 3);
    for (name, service) in &services {
        let image = service["image"].as_str().unwrap();
        let last = image.rsplit('/').next().unwrap();
        let (_, tag) = last
            .split_once(':')
            .unwrap_or_else(|| panic!("{name}: {image} has no tag"));
        let tag = tag.split('@').next().unwrap();
        assert!(!tag.is_empty() && tag != "latest", "{name}: {image}");
        assert!(
            tag.chars().next().unwrap().is_ascii_digit(),
            "{name}: {image} is pinned to a version"
        );
    }
}

#[test]
fn docker_compose_accepts_the_written_file() {
    let base = tempfile::tempdir().unwrap();
    let (code, _, stderr) = init(base.path(), &["-D", "s"]);
    assert_eq!(code, Some(0), "{stderr}");
    let file = base.path().join("s/docker-compose.yaml");
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .args(["config", "-q"])
        .current_dir(base.path())
        .output()
        .unwrap_or_else(|err| {
            panic!("docker-compose ({err}): run scripts/setup-test.sh, which installs Debian's docker-compose")
        });
    assert!(
        out.status.success(),
        "docker-compose config: {}",
        text(&out.stderr)
    );
}

#[test]
fn a_directory_that_cannot_be_made_fails_the_work() {
    let base = tempfile::tempdir().unwrap();
    std::fs::write(base.path().join("file"), "x").unwrap();
    let (code, _, stderr) = init(base.path(), &["-D", "file/stack"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot write file/stack: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn stack_needs_a_subcommand_and_init_teaches_in_its_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["stack"][..],
        &["stack", "init", "--bogus"],
        &["stack", "up"],
    ] {
        let out = ci_tracing(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = ci_tracing(dir.path())
        .args(["stack", "init", "--help"])
        .output()
        .unwrap();
    let help = text(&out.stdout);
    assert!(
        help.contains("-D, --dir <DIR>") && help.contains("--force"),
        "{help}"
    );
    let examples = &help[help.find("\nExamples:\n").expect("examples")..];
    assert!(examples.contains("  ci-tracing stack init\n"), "{examples}");
    assert!(examples.contains("\nExit status: 0 "), "{examples}");
}
