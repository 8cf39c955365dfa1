//! Two server processes on one database, as an operator runs them behind a balancer: one is killed (SIGKILL) while it
//! holds a job of the queue, and the other takes the job up within the lease and does it once; a client's rate limit
//! is one for both.
mod common;
use common::{
    Backend,
    process::{post_json, registration_body, start_with, workdir},
};
use promess_server::store::Store;
use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// An SMTP server that accepts connections and never says a word: a send to it hangs, and the job stays held.
fn silent_smtp() -> (u16, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(Mutex::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            *counted.lock().unwrap() += 1;
            held.push(stream);
        }
    });
    (port, connections)
}

/// The email job's state: (claimed by someone, done, attempts).
async fn email_job(store: &Store) -> Option<(bool, bool, i64)> {
    let row: Option<(Option<String>, Option<i64>, i64)> =
        sqlx::query_as("SELECT leased_by, done_at, attempts FROM jobs WHERE kind = 'email'")
            .fetch_optional(store.pool())
            .await
            .unwrap();
    row.map(|(leased_by, done_at, attempts)| (leased_by.is_some(), done_at.is_some(), attempts))
}

/// The .eml files of `dir`'s outbox folder.
fn emails_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("outbox"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

fn a_job_held_by_a_killed_instance_is_finished_by_another_once(backend: Backend) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let name = format!("instances-{backend:?}").to_lowercase();
    let (a, b) = (workdir(&format!("{name}-a"), "<html></html>"), workdir(&format!("{name}-b"), "<html></html>"));
    let Some(url) = runtime.block_on(common::database_url(backend, "instances", &a)) else { return };
    let store = runtime.block_on(Store::connect(&url)).unwrap();

    // Instance A sends its emails to a server that never answers.
    let (smtp, connections) = silent_smtp();
    let smtp_url = format!("smtp://127.0.0.1:{smtp}");
    let (first, port, _) = start_with(&a, "info", &[("DATABASE_URL", &url), ("PROMESS_MAIL", &smtp_url)]);
    let answer = post_json(port, "/api/registrations", &registration_body(port));
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");

    // A claims the email job and talks to the silent server: it holds the job. Then it dies.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(runtime.block_on(email_job(&store)) == Some((true, false, 0)) && *connections.lock().unwrap() > 0) {
        assert!(Instant::now() < deadline, "A never took the job: {:?}", runtime.block_on(email_job(&store)));
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(first);
    let killed = Instant::now();

    // Instance B, on the same database, writes its emails to its own folder: the job is due again after A's lease.
    let (_second, _, _) = start_with(&b, "info", &[("DATABASE_URL", &url)]);
    let deadline = killed + Duration::from_secs(40);
    while emails_in(&b).is_empty() {
        assert!(Instant::now() < deadline, "B never took the job up: {:?}", runtime.block_on(email_job(&store)));
        std::thread::sleep(Duration::from_millis(200));
    }
    let taken_up = killed.elapsed();
    assert!(taken_up <= Duration::from_secs(30), "taken up {taken_up:?} after the kill: more than 30 s");
    // Once: one message, the job done after one attempt (A's never finished), nothing left to send.
    std::thread::sleep(Duration::from_secs(3));
    let sent = emails_in(&b);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("To: cecile.sage@exemple.fr") && sent[0].contains("/confirmer#"));
    assert_eq!(runtime.block_on(email_job(&store)), Some((true, true, 1)));
    assert!(emails_in(&a).is_empty());
    eprintln!("{backend:?}: the job was taken up {taken_up:?} after its holder was killed");
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

#[test]
fn sqlite_a_job_held_by_a_killed_instance_is_finished_by_another_once() {
    a_job_held_by_a_killed_instance_is_finished_by_another_once(Backend::Sqlite);
}

#[test]
fn postgres_a_job_held_by_a_killed_instance_is_finished_by_another_once() {
    a_job_held_by_a_killed_instance_is_finished_by_another_once(Backend::Postgres);
}

fn two_instances_allow_a_client_its_limit_once_not_twice(backend: Backend) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let name = format!("limits-{backend:?}").to_lowercase();
    let (a, b) = (workdir(&format!("{name}-a"), "<html></html>"), workdir(&format!("{name}-b"), "<html></html>"));
    let Some(url) = runtime.block_on(common::database_url(backend, "shared_limits", &a)) else { return };
    let settings = [("DATABASE_URL", url.as_str()), ("PROMESS_RATE_LIMIT", "3")];
    let (_first, port_a, _) = start_with(&a, "info", &settings);
    let (_second, port_b, _) = start_with(&b, "info", &settings);
    // Card challenges (the limit itself, per client and minute), asked of one then the other, alternately.
    let statuses: Vec<String> = [port_a, port_b, port_a, port_b, port_a]
        .iter()
        .map(|port| post_json(*port, "/api/card-challenges", "{}").lines().next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 201 Created",
            "HTTP/1.1 201 Created",
            "HTTP/1.1 201 Created",
            "HTTP/1.1 429 Too Many Requests",
            "HTTP/1.1 429 Too Many Requests"
        ]
    );
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

#[test]
fn sqlite_two_instances_allow_a_client_its_limit_once_not_twice() {
    two_instances_allow_a_client_its_limit_once_not_twice(Backend::Sqlite);
}

#[test]
fn postgres_two_instances_allow_a_client_its_limit_once_not_twice() {
    two_instances_allow_a_client_its_limit_once_not_twice(Backend::Postgres);
}

/// A kind of job whose first attempt panics.
#[derive(Clone, Default)]
struct PanicsOnce(Arc<std::sync::atomic::AtomicBool>);

impl promess_server::queue::Job for PanicsOnce {
    const KIND: promess_server::queue::Kind = promess_server::queue::Kind::Email;
    const MAX_ATTEMPTS: i64 = 5;
    const WHAT: (&'static str, &'static str) = ("test", "none");

    async fn run(&self, _: &Store, _: &promess_server::store::jobs::Due) -> Result<(), promess_server::queue::Failure> {
        if !self.0.swap(true, std::sync::atomic::Ordering::SeqCst) {
            panic!("a bug in a job");
        }
        Ok(())
    }

    async fn done(
        &self,
        _: &mut sqlx::AnyConnection,
        _: &promess_server::store::jobs::Due,
        _: i64,
    ) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_panics_fails_its_attempt_and_is_retried_after_its_backoff() {
    let app = common::test_app(Backend::Sqlite, "panicking_job").await.unwrap();
    common::register(&app, &common::request("99700771191", "cecile.sage@exemple.fr")).await;
    let job = PanicsOnce::default();
    let now = app.now();
    assert_eq!(promess_server::queue::run_due(&app.store, &job, now).await.unwrap(), 0);
    let (attempts, error): (i64, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM jobs").fetch_one(&app.db).await.unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("panicked"));
    let retry = now + promess_server::queue::backoff(1);
    assert_eq!(promess_server::queue::run_due(&app.store, &job, retry).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_whose_lease_ran_out_can_neither_renew_nor_finish_nor_fail_the_job() {
    use promess_server::{queue::Kind, store::jobs};
    let app = common::test_app(Backend::Sqlite, "stale_lease").await.unwrap();
    common::register(&app, &common::request("99700771191", "cecile.sage@exemple.fr")).await;
    let now = app.now();
    let first = jobs::due(&app.store, Kind::Email, now, 10).await.unwrap().remove(0);
    assert!(jobs::claim(&app.store, &first, "ancien", now + 20).await.unwrap());
    assert!(!jobs::claim(&app.store, &first, "autre", now + 20).await.unwrap(), "held: nobody else takes it");
    // Its lease runs out; another worker takes the job.
    let again = jobs::due(&app.store, Kind::Email, now + 21, 10).await.unwrap().remove(0);
    assert!(jobs::claim(&app.store, &again, "nouveau", now + 41).await.unwrap());
    // The first worker, late: nothing it writes counts.
    assert!(!jobs::renew(&app.store, &first.id, "ancien", now + 60).await.unwrap());
    let mut tx = app.store.begin_write().await.unwrap();
    assert!(!jobs::complete(&mut tx, &first.id, "ancien", 1, now + 22).await.unwrap());
    drop(tx);
    jobs::failed(&app.store, &first.id, "ancien", 1, now + 100, "trop tard", Some(now + 22)).await.unwrap();
    let (leased_by, attempts, dead): (Option<String>, i64, Option<i64>) =
        sqlx::query_as("SELECT leased_by, attempts, dead_at FROM jobs").fetch_one(&app.db).await.unwrap();
    assert_eq!((leased_by.as_deref(), attempts, dead), (Some("nouveau"), 0, None));
    // The worker that holds it finishes it.
    let mut tx = app.store.begin_write().await.unwrap();
    assert!(jobs::complete(&mut tx, &again.id, "nouveau", 1, now + 23).await.unwrap());
    tx.commit().await.unwrap();
}
