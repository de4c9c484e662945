//! The process and its machine: the facts settings default from (CPUs, the open-files limit)
//! and the signals that stop a server.

use std::thread;

/// How many workers to run when the configuration does not say: one per CPU.
pub fn default_workers() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// File descriptors kept back from client connections: the listener, the database, logs.
pub const RESERVED_FDS: u64 = 64;

/// The connection cap when the configuration does not say: what the process's file-descriptor
/// limit allows once raised to its hard limit (see [`raise_fd_limit`]), at two descriptors per
/// connection (the client's and the upstream connection it may hold).
pub fn default_max_connections() -> usize {
    let limit = fd_limit().1.unwrap_or(1024).min(1 << 20);
    usize::try_from(limit.saturating_sub(RESERVED_FDS) / 2)
        .unwrap_or(1024)
        .max(1)
}

/// `(soft, hard)` limits on open files, where the platform says.
fn fd_limit() -> (Option<u64>, Option<u64>) {
    #[cfg(unix)]
    {
        let l = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        (l.current, l.maximum)
    }
    #[cfg(not(unix))]
    {
        (None, None)
    }
}

/// Raises the soft limit on open files to the hard limit, as nginx's `worker_rlimit_nofile`
/// does: the usual soft limit (1,024) runs out at a few hundred clients. Returns the soft
/// limit in force.
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let l = getrlimit(Resource::Nofile);
        if l.current < l.maximum {
            let raised = Rlimit {
                current: l.maximum,
                maximum: l.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(error = %e, "cannot raise the open-files limit");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Resolves at the first Ctrl-C or SIGTERM: when a server (the gateway, the local proxy)
/// should stop taking work and drain.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
