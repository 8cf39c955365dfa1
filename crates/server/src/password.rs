//! Password hashing: argon2id with the OWASP parameters (19 MiB, 2 iterations, 1 lane), on a blocking thread.
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid parameters"))
}

/// The PHC string ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) of a password.
pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// At most `workers` hashes at a time (19 MiB each), and at most `queue` requests waiting for one: beyond, the
/// server answers 503 with Retry-After instead of letting memory grow without bound.
pub struct HashLimit {
    workers: usize,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
    queue: usize,
}

impl HashLimit {
    pub fn new(workers: usize, queue: usize) -> HashLimit {
        HashLimit {
            workers: workers.max(1),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(workers.max(1))),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            queue,
        }
    }

    /// Hashes (or ratings) running now.
    pub fn running(&self) -> usize {
        self.workers - self.permits.available_permits()
    }

    /// Requests waiting for a worker now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// As many hashes at a time as there are cores, and a queue of 16 per core.
    pub fn for_this_machine() -> HashLimit {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashLimit::new(cores, 16 * cores)
    }

    /// Hashes `password` on a blocking thread once a worker is free; None when the queue is full.
    /// Hashes `password` when a worker is free or a place in the queue is; None when the queue is full.
    pub async fn hash(&self, password: String) -> Option<Result<String, String>> {
        self.run(move || hash(&password)).await.map(|r| r.and_then(|r| r))
    }

    /// Runs `work` (a password's rating or hashing: heavy in memory and time) on a blocking thread when a worker is
    /// free or a place in the queue is; None when the queue is full. Err when the work panicked.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<Result<T, String>> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                // Counted while it waits, and uncounted however the wait ends: a client that goes away drops this
                // future mid-wait, and its place must come back (it once did not: the queue filled with ghosts and
                // every registration was told 503).
                let place = Waiting::take(&self.waiting, self.queue)?;
                let permit = self.permits.clone().acquire_owned().await;
                drop(place);
                permit.ok()?
            }
        };
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await;
        Some(result.map_err(|e| e.to_string()))
    }
}

/// A place in the queue of a `HashLimit`, given back when dropped.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn take(waiting: &'a std::sync::atomic::AtomicUsize, queue: usize) -> Option<Waiting<'a>> {
        use std::sync::atomic::Ordering;
        if waiting.fetch_add(1, Ordering::SeqCst) >= queue {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Waiting(waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub fn verify(password: &str, phc: &str) -> bool {
    use argon2::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_workers_and_their_queue_hashing_is_refused_not_queued() {
        let limit = std::sync::Arc::new(super::HashLimit::new(1, 1));
        let run =
            |l: std::sync::Arc<super::HashLimit>| async move { l.hash("Correct-Cheval-Batterie-42".into()).await };
        let (a, b, c) = tokio::join!(run(limit.clone()), run(limit.clone()), run(limit.clone()));
        let done = [&a, &b, &c].iter().filter(|r| matches!(r, Some(Ok(_)))).count();
        let refused = [&a, &b, &c].iter().filter(|r| r.is_none()).count();
        assert_eq!((done, refused), (2, 1), "one hashing, one waiting, one refused");
        assert!(limit.hash("x".into()).await.is_some(), "free again");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_gone_while_it_waits_gives_its_place_back() {
        let limit = std::sync::Arc::new(super::HashLimit::new(1, 1));
        let busy = {
            let limit = limit.clone();
            tokio::spawn(async move { limit.run(|| std::thread::sleep(std::time::Duration::from_millis(300))).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // A client that goes away while waiting: its future is dropped.
        let gone = tokio::time::timeout(std::time::Duration::from_millis(20), limit.run(|| ())).await;
        assert!(gone.is_err(), "it was waiting");
        assert_eq!(limit.waiting.load(std::sync::atomic::Ordering::SeqCst), 0, "its place came back");
        busy.await.unwrap().unwrap().unwrap();
        assert!(limit.run(|| ()).await.is_some());
    }

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let a = super::hash("Correct-Cheval-Batterie-42").unwrap();
        let b = super::hash("Correct-Cheval-Batterie-42").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains("Correct-Cheval"));
        assert!(super::verify("Correct-Cheval-Batterie-42", &a));
        assert!(!super::verify("Correct-Cheval-Batterie-43", &a));
    }
}
