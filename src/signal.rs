//! SIGINT and SIGTERM, handled the same way by every command.
//!
//! A thread of its own waits for the signals, so that they are seen whatever the
//! command is doing (a blocking read of a FIFO included). By default the first signal
//! ends the process at once through the `forced` callback given to [`install`], which
//! removes the temporary files (`crate::atomic` keeps their paths, since destructors do
//! not run on `exit`) and exits 130 or 143. A command that stops in good order itself
//! (`replay`: its tally and `.failed` file) calls [`graceful`] and listens with
//! [`received`]; a second signal then still ends the process at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// A signal that ends a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// The exit status: 128 + the signal's number, as shells report it.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => crate::exit::INTERRUPTED,
            Signal::Terminate => crate::exit::TERMINATED,
        }
    }

    /// `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// The first signal received, for whoever listens.
static FIRST: OnceLock<watch::Sender<Option<Signal>>> = OnceLock::new();
/// Whether the running command stops in good order on the first signal.
static GRACEFUL: AtomicBool = AtomicBool::new(false);

fn first() -> &'static watch::Sender<Option<Signal>> {
    FIRST.get_or_init(|| watch::channel(None).0)
}

/// Starts watching for SIGINT and SIGTERM; returns once they are caught. `forced` runs
/// on the signal that ends the process at once, and must not return.
pub(crate) fn install(forced: fn(Signal)) -> std::io::Result<()> {
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build();
            let runtime = match runtime {
                Ok(runtime) => runtime,
                Err(err) => return drop(ready.send(Err(err))),
            };
            runtime.block_on(watch_signals(ready, forced));
        })?;
    started
        .recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the signal thread ended")))
}

async fn watch_signals(ready: std::sync::mpsc::Sender<std::io::Result<()>>, forced: fn(Signal)) {
    let (mut interrupt, mut terminate) = match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
        (Err(err), _) | (_, Err(err)) => return drop(ready.send(Err(err))),
    };
    let _ = ready.send(Ok(()));
    let mut count = 0u32;
    loop {
        let received = tokio::select! {
            _ = interrupt.recv() => Signal::Interrupt,
            _ = terminate.recv() => Signal::Terminate,
        };
        count += 1;
        first().send_if_modified(|first| first.is_none() && first.replace(received).is_none());
        if count > u32::from(GRACEFUL.load(Relaxed)) {
            forced((*first().borrow()).unwrap_or(received));
        }
    }
}

/// Lets the first signal through to [`received`] instead of ending the process.
pub(crate) fn graceful() {
    GRACEFUL.store(true, Relaxed);
}

/// Waits for the first signal (forever when none comes).
pub(crate) async fn received() -> Signal {
    let mut receiver = first().subscribe();
    let signal = receiver
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|s| *s);
    match signal {
        Some(signal) => signal,
        None => std::future::pending().await,
    }
}

/// The first signal, if one arrived.
pub(crate) fn arrived() -> Option<Signal> {
    *first().borrow()
}
