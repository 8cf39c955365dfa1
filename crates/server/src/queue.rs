//! One queue for every background job: an email to send (`outbox::SendEmail`), an account to write to the mail
//! system's directory (`provisioning::WriteAccount`), and the kinds to come. A job is queued in the transaction that
//! makes it needed (no state without its job, no job without its state); a worker per kind takes the due ones,
//! each under a lease that it renews while the job runs, so that two server processes never run one job at once and a
//! job held by a process that died is taken up by another within `LEASE_SECS`. A failure is retried with an
//! exponential backoff; past its kind's attempts (or at once, for a failure that will never pass) the job is dead:
//! kept, listed (`promess-server outbox`, `promess-server comptes`), and retried only when the operator says so.
use crate::store::{
    Store,
    jobs::{self, Due},
};
use sqlx::AnyConnection;
use std::{future::Future, time::Duration};

pub use crate::store::jobs::Kind;

/// How long a claim holds a job without being renewed: a job whose worker died is due again after this.
pub const LEASE_SECS: i64 = 20;

/// How often a worker renews the lease of the job it runs.
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// Jobs read at a time by a worker's round.
const BATCH: i64 = 50;

/// Why a job did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// Worth another attempt (a server down, a 4xx answer, a disk full).
    Transient(String),
    /// It will never succeed (an address refused): given up at once.
    Permanent(String),
}

/// A kind of job: its work, and what its success writes.
pub trait Job: Clone + Send + Sync + 'static {
    const KIND: Kind;
    /// Attempts before the job is given up.
    const MAX_ATTEMPTS: i64;
    /// What a job is, and the command that lists the dead ones, for the logs.
    const WHAT: (&'static str, &'static str);

    /// Does the job's work: sends, writes. Runs outside any transaction, and may run again after a crash.
    fn run(&self, store: &Store, job: &Due) -> impl Future<Output = Result<(), Failure>> + Send;

    /// What the job's success writes, in the transaction that marks it done (its history, the next job…).
    fn done(&self, tx: &mut AnyConnection, job: &Due, now: i64)
    -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Seconds before the next attempt after `attempts` failures: 2, 4, 8… up to 10 minutes.
pub fn backoff(attempts: i64) -> i64 {
    2_i64.saturating_pow(attempts.clamp(1, 30) as u32).min(600)
}

/// Runs every job of `J`'s kind due at `now`; answers how many succeeded.
pub async fn run_due<J: Job>(store: &Store, job: &J, now: i64) -> Result<usize, sqlx::Error> {
    let due = jobs::due(store, J::KIND, now, BATCH).await?;
    let started = std::time::Instant::now();
    let mut succeeded = 0;
    for one in due {
        // The lease runs from when this job is taken: a slow batch never leaves the last ones unleased.
        let taken_at = now + started.elapsed().as_secs() as i64;
        let token = crate::secret::new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        if !jobs::claim(store, &one, &token, taken_at + LEASE_SECS).await? {
            continue; // Another worker took it.
        }
        let Some(result) = run_leased(store, job, &one, &token, taken_at).await? else {
            continue; // The lease was lost: the job is another worker's now.
        };
        let attempts = one.attempts + 1;
        match result {
            Ok(()) => {
                let mut tx = store.begin_write().await?;
                if jobs::complete(&mut tx, &one.id, &token, attempts, taken_at).await? {
                    job.done(&mut tx, &one, taken_at).await?;
                    tx.commit().await?;
                    succeeded += 1;
                }
            }
            Err(failure) => {
                let (what, command) = J::WHAT;
                let (error, dead) = match failure {
                    Failure::Permanent(e) => (e, true),
                    Failure::Transient(e) => (e, attempts >= J::MAX_ATTEMPTS),
                };
                if dead {
                    tracing::error!(id = %one.id, %error, attempts, "{what} given up: see `{command}`");
                } else {
                    tracing::warn!(id = %one.id, %error, attempts, "{what} not done, will retry");
                }
                let next = taken_at + backoff(attempts);
                jobs::failed(store, &one.id, &token, attempts, next, &error, dead.then_some(taken_at)).await?;
            }
        }
    }
    Ok(succeeded)
}

/// Runs one claimed job, in a task of its own, while renewing its lease; None when the lease was lost meanwhile (the
/// job's work is then stopped where it stands: another worker has it). A job that panics failed this attempt: it is
/// retried after its backoff, and the worker carries on.
async fn run_leased<J: Job>(
    store: &Store,
    job: &J,
    one: &Due,
    token: &str,
    taken_at: i64,
) -> Result<Option<Result<(), Failure>>, sqlx::Error> {
    let started = std::time::Instant::now();
    let mut work = {
        let (store, job, one) = (store.clone(), job.clone(), one.clone());
        tokio::spawn(async move { job.run(&store, &one).await })
    };
    loop {
        tokio::select! {
            result = &mut work => {
                let panicked = |e: tokio::task::JoinError| Err(Failure::Transient(format!("the job panicked: {e}")));
                return Ok(Some(result.unwrap_or_else(panicked)));
            }
            () = tokio::time::sleep(RENEW_EVERY) => {
                let until = taken_at + started.elapsed().as_secs() as i64 + LEASE_SECS;
                if !jobs::renew(store, &one.id, token, until).await? {
                    tracing::warn!(id = %one.id, "lease lost: the job is left to the worker that took it");
                    work.abort();
                    return Ok(None);
                }
            }
        }
    }
}

/// The background worker of `J`'s kind: a round every `every`, each as its own task, so that a panic in one is
/// logged and the worker carries on.
pub fn spawn_worker<J: Job>(store: Store, job: J, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (store, job) = (store.clone(), job.clone());
            match tokio::spawn(async move { run_due(&store, &job, now_secs()).await }).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, kind = J::KIND.key(), "job queue"),
                Err(panic) => tracing::error!(error = %panic, kind = J::KIND.key(), "job worker panicked; carrying on"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// The system's clock, in Unix seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!([1, 2, 3, 9, 10, 50].map(super::backoff), [2, 4, 8, 512, 600, 600]);
    }
}
