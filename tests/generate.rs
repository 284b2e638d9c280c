//! The trace generator used by the tests, benchmarks and the demo: reproducible from a
//! seed, valid line for line, and as large as asked.

mod support;

use ci_tracing::trace::counts::Counts;
use support::generate::{DEFAULT_START_UNIX_NANO, Generated, Options, write};

fn generate(options: &Options) -> (Vec<u8>, Generated) {
    let mut out = Vec::new();
    let generated = write(options, &mut out).unwrap();
    (out, generated)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let options = Options {
        lines: Some(50),
        ..Options::default()
    };
    let (a, _) = generate(&options);
    let (b, _) = generate(&options);
    let (c, _) = generate(&Options { seed: 2, ..options });
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn output_is_valid_and_counts_match() {
    let (out, generated) = generate(&Options {
        lines: Some(300),
        ..Options::default()
    });
    let counts = Counts::scan(out.as_slice()).unwrap();
    assert_eq!(counts.invalid_lines, 0, "{:?}", counts.invalid.first());
    assert_eq!(counts.lines, 300);
    assert_eq!(counts.spans, generated.spans);
    assert_eq!(counts.bytes + counts.lines, generated.bytes);
    assert!(counts.services.len() >= 8, "{:?}", counts.services.keys());
    assert!(counts.error_spans > 0);
    assert!(counts.first_start.unwrap() >= DEFAULT_START_UNIX_NANO);
}

#[test]
fn byte_target_is_reached() {
    let (out, generated) = generate(&Options {
        bytes: Some(2_000_000),
        ..Options::default()
    });
    assert!(out.len() >= 2_000_000);
    assert_eq!(out.len() as u64, generated.bytes);
}
