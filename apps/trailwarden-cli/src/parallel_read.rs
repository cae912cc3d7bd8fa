//! Reading many log files at once, with results in input order.
//!
//! One thread walks the inputs (directories, S3 listings), `jobs` worker threads read files (decompress,
//! parse, evaluate), and the calling thread receives each file's result in the order the files were found,
//! so output is the same whatever the number of workers. At most a bounded number of files is ahead of the
//! next one to print, which bounds memory when one file is much slower than the others.
//!
//! A worker may also send parts of its result while it reads (see [`run_streaming`]): the parts of the file
//! being printed go out at once, so one large file's findings are never all held in memory; only the parts of
//! files that finished early wait for their turn.

use crate::location::{Found, LogFile, Skip};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::Duration;

/// One input, in order: a file with the worker's result, or an item that was not read.
pub enum Item<T> {
    File(LogFile, T),
    Skipped(Skip),
    Failed { name: String, error: String },
}

/// What [`run_streaming`] passes on (and its threads send one another): a part of a file's result, sent while
/// the file is read, or an item. A file's parts come before its [`Item::File`], in the order the worker sent
/// them.
pub enum Streamed<T, P> {
    Part(LogFile, P),
    Item(Item<T>),
}

/// How many files may be finished ahead of the next one to emit, per worker.
const AHEAD_PER_JOB: u64 = 4;

/// Runs `work` on every file of `found` with `jobs` workers and passes every item to `sink` in input order.
/// When `sink` fails, the run stops (files being read are finished, no new ones are started) and the error is
/// returned.
pub fn run<T, E, W, S>(
    found: impl Iterator<Item = Found> + Send,
    jobs: usize,
    work: W,
    mut sink: S,
) -> Result<(), E>
where
    T: Send,
    W: Fn(&LogFile) -> T + Sync,
    S: FnMut(Item<T>) -> Result<(), E>,
{
    run_streaming(
        found,
        jobs,
        |file, _: &mut dyn FnMut(Infallible)| work(file),
        |streamed| match streamed {
            Streamed::Part(_, never) => match never {},
            Streamed::Item(item) => sink(item),
        },
    )
}

/// [`run`], where `work` may also send parts of its result while it reads, through the function it is given.
/// The sink gets the parts of each file, in order, before the file's item; the parts of the file whose turn it
/// is are passed on as they arrive.
pub fn run_streaming<T, P, E, W, S>(
    found: impl Iterator<Item = Found> + Send,
    jobs: usize,
    work: W,
    mut sink: S,
) -> Result<(), E>
where
    T: Send,
    P: Send,
    W: Fn(&LogFile, &mut dyn FnMut(P)) -> T + Sync,
    S: FnMut(Streamed<T, P>) -> Result<(), E>,
{
    let jobs = jobs.max(1);
    let ahead = jobs as u64 * AHEAD_PER_JOB;
    // The sequence number of the next item to emit, and whether the run was stopped.
    let state = Mutex::new((0u64, false));
    let room = Condvar::new();
    let stopped = AtomicBool::new(false);
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, LogFile)>(jobs);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Streamed<T, P>)>();

    std::thread::scope(|scope| {
        let producer_done = done_tx.clone();
        let (state, room, stopped, work_rx, work) = (&state, &room, &stopped, &work_rx, &work);
        scope.spawn(move || {
            for (seq, item) in (0u64..).zip(found) {
                {
                    let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
                    while !guard.1 && seq >= guard.0 + ahead {
                        guard = room.wait(guard).unwrap_or_else(|e| e.into_inner());
                    }
                    if guard.1 {
                        break;
                    }
                }
                let sent = match item {
                    Found::File(file) => work_tx.send((seq, file)).is_ok(),
                    Found::Skipped(reason) => producer_done
                        .send((seq, Streamed::Item(Item::Skipped(reason))))
                        .is_ok(),
                    Found::Failed { name, error } => producer_done
                        .send((seq, Streamed::Item(Item::Failed { name, error })))
                        .is_ok(),
                };
                if !sent {
                    break;
                }
            }
            // Dropping `work_tx` ends the workers once the queue is empty.
        });
        for _ in 0..jobs {
            let done = done_tx.clone();
            scope.spawn(move || loop {
                let next = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((seq, file)) = next else { break };
                if stopped.load(Ordering::Relaxed) {
                    continue;
                }
                let mut emit = |part: P| {
                    // A closed channel means the run was stopped; the rest of the file's parts are dropped.
                    let _ = done.send((seq, Streamed::Part(file.clone(), part)));
                };
                let result = work(&file, &mut emit);
                // A closed channel means the run was stopped: keep draining the queue (skipping the work)
                // so the walking thread is never left blocked on a full queue.
                let _ = done.send((seq, Streamed::Item(Item::File(file, result))));
            });
        }
        drop(done_tx);

        // Messages of files whose turn has not come, in arrival order per file.
        let mut pending: BTreeMap<u64, Vec<Streamed<T, P>>> = BTreeMap::new();
        let mut next = 0u64;
        let mut outcome = Ok(());
        'receive: for (seq, message) in done_rx {
            if seq != next {
                pending.entry(seq).or_default().push(message);
                continue;
            }
            // The current file's message goes straight through (its earlier parts went out when it became
            // current). When the file is finished, so may be later ones that were waiting: pass on what they
            // sent, up to the first one still being read.
            let before = next;
            let mut batch = vec![message];
            loop {
                let mut finished = false;
                for message in batch {
                    finished = matches!(message, Streamed::Item(_));
                    if let Err(e) = sink(message) {
                        outcome = Err(e);
                        break 'receive;
                    }
                }
                if !finished {
                    break;
                }
                next += 1;
                match pending.remove(&next) {
                    Some(waiting) => batch = waiting,
                    None => break,
                }
            }
            if next != before {
                let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
                guard.0 = next;
                room.notify_all();
            }
        }
        if outcome.is_err() {
            stopped.store(true, Ordering::Relaxed);
            let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
            guard.1 = true;
            room.notify_all();
        }
        outcome
    })
}

/// A progress bar on stderr, shown only when stderr is a terminal: files read out of files found so far,
/// and a message (records, findings). Messages printed through [`Progress::println`] do not garble it.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new() -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress { bar }
    }

    /// One more item found (file or not).
    pub fn found(&self) {
        self.bar.inc_length(1);
    }

    /// One more item done.
    pub fn done(&self, message: impl FnOnce() -> String) {
        self.bar.inc(1);
        if !self.bar.is_hidden() {
            self.bar.set_message(message());
        }
    }

    /// Prints a line on stderr above the bar.
    #[allow(
        clippy::print_stderr,
        reason = "warnings and errors about inputs go to stderr, above the progress bar"
    )]
    pub fn println(&self, line: impl AsRef<str>) {
        let line = line.as_ref();
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    /// Removes the bar (before the summary and table output).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Counts every item as found before it is queued, so the bar's total grows as inputs are discovered.
pub fn counted<'a>(
    found: impl Iterator<Item = Found> + Send + 'a,
    progress: &'a Progress,
) -> impl Iterator<Item = Found> + Send + 'a {
    found.inspect(move |_| progress.found())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn files(n: usize) -> Vec<Found> {
        (0..n)
            .map(|i| {
                if i % 5 == 4 {
                    Found::Skipped(Skip::Digest)
                } else {
                    Found::File(LogFile::Local(PathBuf::from(format!("{i}"))))
                }
            })
            .collect()
    }

    #[test]
    fn results_come_in_input_order_whatever_the_timing() {
        let mut seen = Vec::new();
        let result: Result<(), ()> = run(
            files(60).into_iter(),
            4,
            |f| {
                let LogFile::Local(p) = f else { unreachable!() };
                let i: u64 = p.to_str().unwrap().parse().unwrap();
                // Early files are the slowest.
                std::thread::sleep(Duration::from_millis((60 - i) / 6));
                i * 10
            },
            |item| {
                seen.push(match item {
                    Item::File(_, v) => v as i64,
                    Item::Skipped(_) => -1,
                    Item::Failed { .. } => -2,
                });
                Ok(())
            },
        );
        assert!(result.is_ok());
        let want: Vec<i64> = (0..60)
            .map(|i| if i % 5 == 4 { -1 } else { i * 10 })
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_failing_sink_stops_the_run() {
        let started = std::sync::atomic::AtomicUsize::new(0);
        let mut emitted = 0;
        let result = run(
            files(1000).into_iter(),
            2,
            |_| {
                started.fetch_add(1, Ordering::Relaxed);
            },
            |_| {
                emitted += 1;
                if emitted == 3 {
                    Err("stop")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(result, Err("stop"));
        assert_eq!(emitted, 3);
        assert!(
            started.load(Ordering::Relaxed) < 100,
            "the run stopped early"
        );
    }

    #[test]
    fn parts_come_before_their_file_and_files_in_input_order() {
        let mut seen = Vec::new();
        let result: Result<(), ()> = run_streaming(
            files(40).into_iter(),
            4,
            |f, emit| {
                let LogFile::Local(p) = f else { unreachable!() };
                let i: i64 = p.to_str().unwrap().parse().unwrap();
                for part in 0..(i % 3) {
                    // Early files are the slowest, so later files finish (and send parts) first.
                    std::thread::sleep(Duration::from_millis(((40 - i) / 8) as u64));
                    emit(i * 100 + part);
                }
                i * 100 + 99
            },
            |streamed| {
                seen.push(match streamed {
                    Streamed::Part(_, v) => v,
                    Streamed::Item(Item::File(_, v)) => v,
                    Streamed::Item(Item::Skipped(_)) => -1,
                    Streamed::Item(Item::Failed { .. }) => -2,
                });
                Ok(())
            },
        );
        assert!(result.is_ok());
        let want: Vec<i64> = (0..40)
            .flat_map(|i| {
                if i % 5 == 4 {
                    vec![-1]
                } else {
                    (0..(i % 3))
                        .map(|p| i * 100 + p)
                        .chain([i * 100 + 99])
                        .collect()
                }
            })
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn the_current_files_parts_go_out_before_it_is_finished() {
        // The worker waits, after its first part, until the sink has passed that part on. Were parts held
        // until the file finished, the worker would give up waiting and the test would fail.
        let (ack_tx, ack_rx) = mpsc::channel::<()>();
        let ack_rx = Mutex::new(ack_rx);
        let mut parts = 0;
        let result: Result<(), ()> = run_streaming(
            files(1).into_iter(),
            2,
            |_, emit| {
                emit(1);
                let acked = ack_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(10))
                    .is_ok();
                emit(2);
                acked
            },
            |streamed| {
                match streamed {
                    Streamed::Part(_, _) => {
                        parts += 1;
                        let _ = ack_tx.send(());
                    }
                    Streamed::Item(Item::File(_, acked)) => assert!(acked, "part 1 was held back"),
                    Streamed::Item(_) => unreachable!("one file"),
                }
                Ok(())
            },
        );
        assert!(result.is_ok());
        assert_eq!(parts, 2);
    }

    #[test]
    fn one_job_works() {
        let mut n = 0;
        let r: Result<(), ()> = run(
            files(7).into_iter(),
            1,
            |_| (),
            |_| {
                n += 1;
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(n, 7);
    }
}
