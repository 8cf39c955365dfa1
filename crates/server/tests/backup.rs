//! Back up, destroy, restore: every request, account, operator and queued job is there again, and the queue resumes.
//! SQLite: `promess-server sauvegarde FILE`, an online copy taken while the server's pool is open. PostgreSQL:
//! `pg_dump -Fc` and `pg_restore`, as the README says.
mod common;
use common::{Backend, TestApp, confirm, decide, register, request, token_of};
use promess_server::{
    lifecycle::Decision,
    operators,
    outbox::{self, Mailer},
    provisioning,
    store::Store,
};
use std::process::Command;

/// What must come back: requests by state, jobs waiting by kind, operators, journal lines, emails.
async fn contents(store: &Store) -> Vec<(String, i64)> {
    let mut all: Vec<(String, i64)> = sqlx::query_as(
        "SELECT 'demande ' || statut, COUNT(*) FROM registrations GROUP BY statut \
         UNION ALL SELECT 'travail ' || kind, COUNT(*) FROM jobs WHERE done_at IS NULL GROUP BY kind \
         UNION ALL SELECT 'operateurs', COUNT(*) FROM operateurs \
         UNION ALL SELECT 'journal', COUNT(*) FROM journal \
         UNION ALL SELECT 'emails', COUNT(*) FROM outbox",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    all.sort();
    all
}

/// A request in review (its two emails waiting), an account accepted (its directory job waiting), an operator.
async fn populate(app: &TestApp) {
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    confirm(app, &token_of(app, "cecile.sage").await).await;
    let mut zoe = request("10005173140", "zoe.sage@exemple.fr");
    zoe.donnees.prenom = "Zoé".into();
    register(app, &zoe).await;
    confirm(app, &token_of(app, "zoe.sage").await).await;
    decide(app, "zoe.sage", Decision::Accept).await.unwrap();
    operators::add(&app.store, "agent.esea", "un mot de passe solide", "un mot de passe solide", app.now())
        .await
        .unwrap()
        .unwrap();
}

/// The queue takes up where the copy left it: every email sent, the account written, then its acceptance email.
async fn the_queue_resumes(store: &Store, app: &TestApp) {
    let folder = app.dir.join("outbox-restored");
    let mailer = Mailer::from_url(&format!("file://{}", folder.display())).unwrap();
    let from = "ESEA <notification@esea-na.fr>".parse().unwrap();
    let now = app.now() + 1;
    assert_eq!(outbox::deliver_due(store, &mailer, &from, now).await.unwrap(), 4, "three confirmations, one review");
    let to = common::ldif_folder(app);
    assert_eq!(provisioning::provision_due(store, &to, now).await.unwrap(), 1);
    assert!(app.dir.join("provisioning/zoe.sage.ldif").exists());
    assert_eq!(outbox::deliver_due(store, &mailer, &from, now + 1).await.unwrap(), 1, "the acceptance email");
}

fn program(name: &str) -> std::path::PathBuf {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join(name).exists())
        .max()
        .unwrap();
    bin.join(name)
}

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_an_online_copy_restores_everything_and_the_queue_resumes() {
    let app = common::test_app(Backend::Sqlite, "backup").await.unwrap();
    populate(&app).await;
    let before = contents(&app.store).await;
    assert!(before.len() >= 6, "{before:?}");
    let database = app.dir.join("promess.db");
    let url = format!("sqlite://{}?mode=rwc", database.display());
    // The copy, taken by the terminal's command while the app's pool is open on the database.
    let copy = app.dir.join("copie.db");
    run(Command::new(env!("CARGO_BIN_EXE_promess-server")).args(["--database-url", &url, "sauvegarde"]).arg(&copy));
    let again = Command::new(env!("CARGO_BIN_EXE_promess-server"))
        .args(["--database-url", &url, "sauvegarde"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("existe déjà"));
    // Destroyed (the server stopped, its files gone: a new one would start empty)…
    app.store.close().await;
    let remove = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
        }
    };
    remove();
    let empty = Store::connect(&url).await.unwrap();
    assert!(contents(&empty).await.iter().all(|(_, n)| *n == 0));
    empty.close().await;
    // …and restored: the copy in place of the file, with no -wal or -shm of another database beside it.
    remove();
    std::fs::copy(&copy, &database).unwrap();
    let restored = Store::connect(&url).await.unwrap();
    assert_eq!(contents(&restored).await, before);
    the_queue_resumes(&restored, &app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_dump_restores_everything_and_the_queue_resumes() {
    let Some(app) = common::test_app(Backend::Postgres, "backup").await else { return };
    populate(&app).await;
    let before = contents(&app.store).await;
    let server = std::env::var("PROMESS_TEST_POSTGRES").unwrap();
    let url = format!("{server}/promess_test_backup");
    let dump = app.dir.join("promess.dump");
    run(Command::new(program("pg_dump")).args(["-Fc", "-d", &url, "-f"]).arg(&dump));
    // Destroyed…
    app.store.close().await;
    let admin = sqlx::AnyPool::connect(&format!("{server}/postgres")).await.unwrap();
    sqlx::query("DROP DATABASE promess_test_backup WITH (FORCE)").execute(&admin).await.unwrap();
    sqlx::query("CREATE DATABASE promess_test_backup").execute(&admin).await.unwrap();
    // …and restored.
    run(Command::new(program("pg_restore")).args(["--no-owner", "-d", &url]).arg(&dump));
    let restored = Store::connect(&url).await.unwrap();
    assert_eq!(contents(&restored).await, before);
    the_queue_resumes(&restored, &app).await;
    admin.close().await;
}
