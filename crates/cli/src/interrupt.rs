//! Ctrl-C: the first one asks the running solver to stop and report what it knows (solvers
//! poll `Observer::cancelled`); a second one exits at once with status 130. The kanren REPL
//! forgets a Ctrl-C before each run ([`clear`]): it stops one run, not the loop.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler; failing to install one (no signal support) is not an error.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Whether the user pressed Ctrl-C.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Forgets a Ctrl-C (the REPL, before each run).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}
