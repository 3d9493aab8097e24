//! Worker threads that stay awake between batches.
//!
//! A batch of restarts is split into one chunk per thread, and a chunk of a short run (the
//! parity chain at K = 256: 300 steps of 50 restarts) takes about 10 ms. A thread spawned for
//! it starts late on a virtual machine whose other core is idle: 0.3 to 4 ms on the
//! development machine (2 vCPUs under KVM; `benchmarks/grad/experiments/thread_start.rs`),
//! with the new thread sometimes sharing the spawning thread's core for that long. That cost
//! a two-thread run up to a third of its speed.
//!
//! So the chunks run on a process-wide pool of workers, started as jobs need them (one for
//! every job that finds none free, so batches run side by side never wait for each other,
//! and the pool never holds more threads than jobs ever ran at once). A worker that
//! has finished a job keeps looking for the next one for [`SPIN`], giving its core away to any
//! other runnable thread between looks, before it sleeps on a condition variable: what the
//! OpenMP runtimes under PyTorch do between parallel regions (libgomp's spin count, Intel's
//! 200 ms `KMP_BLOCKTIME`). Consecutive batches (a table's cells, a warm-up then a timed run,
//! a user's loop) then find the workers awake.
//!
//! Jobs own their data (`'static`): the driver hands them shared copies of what they read.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle worker keeps looking for work before it sleeps.
pub(crate) const SPIN: Duration = Duration::from_millis(20);

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    jobs: Mutex<VecDeque<Job>>,
    /// Jobs queued and not yet taken: what a spinning worker reads without the lock.
    queued: AtomicUsize,
    /// Workers not running a job (looking for one, or asleep).
    idle: AtomicUsize,
    ready: Condvar,
    /// Workers started (they never stop); held while one is started.
    workers: Mutex<usize>,
}

static POOL: OnceLock<Pool> = OnceLock::new();

fn pool() -> &'static Pool {
    POOL.get_or_init(|| Pool {
        jobs: Mutex::new(VecDeque::new()),
        queued: AtomicUsize::new(0),
        idle: AtomicUsize::new(0),
        ready: Condvar::new(),
        workers: Mutex::new(0),
    })
}

/// A lock that a panic cannot poison for good: jobs run outside it, so its data is always
/// consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` on a worker and sends `(tag, its result)` on `done`; a panic in `f` is caught and
/// sent as the `Err` of [`std::thread::Result`], for the caller to resume. A worker is started
/// when none is free for the job (so jobs of batches run side by side never wait for each
/// other); if no thread can be started and none exists, `f` runs on the calling thread. If the
/// receiver is gone the result is dropped.
pub(crate) fn spawn<T: Send + 'static>(
    tag: usize,
    done: Sender<(usize, std::thread::Result<T>)>,
    f: impl FnOnce() -> T + Send + 'static,
) {
    let p = pool();
    {
        let mut n = lock(&p.workers);
        if p.idle.load(Ordering::Acquire) <= p.queued.load(Ordering::Acquire) {
            // Counted idle before it starts, so that it is never counted below zero.
            p.idle.fetch_add(1, Ordering::AcqRel);
            let started = std::thread::Builder::new()
                .name(format!("weft-grad-{}", *n))
                .spawn(move || work(p));
            match started {
                Ok(_) => *n += 1,
                Err(_) => {
                    p.idle.fetch_sub(1, Ordering::AcqRel);
                    if *n == 0 {
                        drop(n);
                        let _ = done.send((tag, catch_unwind(AssertUnwindSafe(f))));
                        return;
                    }
                }
            }
        }
    }
    let job: Job = Box::new(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = done.send((tag, r));
    });
    {
        let mut q = lock(&p.jobs);
        q.push_back(job);
        p.queued.fetch_add(1, Ordering::Release);
    }
    p.ready.notify_one();
}

/// Takes a queued job, if any (`q` is the locked queue).
fn take(p: &Pool, q: &mut VecDeque<Job>) -> Option<Job> {
    let j = q.pop_front()?;
    p.queued.fetch_sub(1, Ordering::Relaxed);
    p.idle.fetch_sub(1, Ordering::AcqRel);
    Some(j)
}

fn work(p: &'static Pool) {
    loop {
        let until = Instant::now() + SPIN;
        let mut job = None;
        while job.is_none() {
            if p.queued.load(Ordering::Acquire) > 0 {
                job = take(p, &mut lock(&p.jobs));
                continue;
            }
            if Instant::now() >= until {
                break;
            }
            for _ in 0..32 {
                std::hint::spin_loop();
            }
            std::thread::yield_now();
        }
        let job = match job {
            Some(j) => j,
            None => {
                let mut q = lock(&p.jobs);
                loop {
                    if let Some(j) = take(p, &mut q) {
                        break j;
                    }
                    q = p.ready.wait(q).unwrap_or_else(|e| e.into_inner());
                }
            }
        };
        job();
        p.idle.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_and_report_their_tags_and_panics() {
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..6 {
            spawn(i, tx.clone(), move || {
                if i == 3 {
                    panic!("job 3");
                }
                i * 10
            });
        }
        drop(tx);
        let mut got: Vec<(usize, Option<usize>)> = rx.iter().map(|(t, r)| (t, r.ok())).collect();
        got.sort();
        let want: Vec<(usize, Option<usize>)> =
            (0..6).map(|i| (i, (i != 3).then_some(i * 10))).collect();
        assert_eq!(got, want);
        // The pool survived the panic: another job runs.
        let (tx, rx) = std::sync::mpsc::channel();
        spawn(7, tx, || 70);
        assert_eq!(rx.recv().unwrap().1.ok(), Some(70));
    }

    #[test]
    fn a_job_never_waits_for_a_busy_worker() {
        // Job 0 waits for a message that job 1 sends: on one worker, run one after the
        // other, it would wait forever.
        let (tx, rx) = std::sync::mpsc::channel();
        let (ping, pong) = std::sync::mpsc::channel::<()>();
        spawn(0, tx.clone(), move || {
            pong.recv_timeout(Duration::from_secs(20)).is_ok()
        });
        spawn(1, tx, move || ping.send(()).is_ok());
        let mut got: Vec<(usize, bool)> = rx.iter().map(|(t, r)| (t, r.unwrap())).collect();
        got.sort();
        assert_eq!(got, vec![(0, true), (1, true)]);
    }
}
