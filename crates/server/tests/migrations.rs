//! An operator's database of the release before the queue (migration 0010): its emails and the accounts waiting for
//! the directory become jobs of the one queue, nothing lost and nothing sent twice.
mod common;
use common::{Backend, database_url};
use promess_server::{
    outbox::{self, Mailer},
    provisioning::{self, Directory, Provisioner},
    store::{MIGRATOR, Store},
};
use std::borrow::Cow;

async fn the_queues_of_before_become_jobs(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("promess-migrations-{backend:?}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let Some(url) = database_url(backend, "migrations", &dir).await else { return };
    sqlx::any::install_default_drivers();
    let old = sqlx::AnyPool::connect(&url).await.unwrap();
    let before = sqlx::migrate::Migrator {
        migrations: Cow::Owned(MIGRATOR.iter().filter(|m| m.version <= 10).cloned().collect()),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    before.run(&old).await.unwrap();
    for sql in [
        "INSERT INTO registrations (id, identifiant, adresse, statut, civilite, nom, prenom, email, donnees, \
         password_hash, created_at) VALUES ('r1', 'anne.martin', 'anne.martin@sante-na.fr', 'active', 'MME', 'Martin', \
         'Anne', 'anne.martin@exemple.fr', '{}', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 1)",
        // Sent, waiting (its third attempt due at 100), and dead.
        "INSERT INTO outbox (id, registration_id, recipient, subject, text_body, html_body, attempts, next_attempt_at, \
         sent_at) VALUES ('e1', 'r1', 'anne.martin@exemple.fr', 'Envoyé', 't', 'h', 1, 10, 10)",
        "INSERT INTO outbox (id, registration_id, recipient, subject, text_body, html_body, attempts, next_attempt_at, \
         last_error) VALUES ('e2', 'r1', 'anne.martin@exemple.fr', 'En attente', 'texte', 'html', 2, 100, 'refusé')",
        "INSERT INTO outbox (id, registration_id, recipient, subject, text_body, html_body, attempts, next_attempt_at, \
         dead_at, last_error) VALUES ('e3', 'r1', 'pas une adresse', 'Mort', 't', 'h', 1, 10, 10, 'recipient')",
        "INSERT INTO provisioning (id, registration_id, attempts, next_attempt_at, created_at) VALUES ('p1', 'r1', 3, \
         100, 5)",
    ] {
        sqlx::query(sql).execute(&old).await.unwrap();
    }
    old.close().await;

    let store = Store::connect(&url).await.unwrap();
    type Job = (String, String, i64, i64, Option<i64>, Option<i64>, Option<String>);
    let jobs: Vec<Job> = sqlx::query_as(
        "SELECT id, kind, attempts, next_attempt_at, done_at, dead_at, last_error FROM jobs ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let refused = Some("refusé".to_owned());
    assert_eq!(
        jobs,
        [
            ("e1".into(), "email".into(), 1, 10, Some(10), None, None),
            ("e2".into(), "email".into(), 2, 100, None, None, refused),
            ("e3".into(), "email".into(), 1, 10, None, Some(10), Some("recipient".into())),
            ("p1".into(), "annuaire_compte".into(), 3, 100, None, None, None),
        ]
    );
    let kept: (String, String, Option<i64>) =
        sqlx::query_as("SELECT subject, text_body, sent_at FROM outbox WHERE id = 'e1'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    // A sent email's message (its link's token was in it) is deleted; its subject and date stay.
    assert_eq!(kept, ("Envoyé".into(), "".into(), Some(10)));

    // The queue takes them up: the waiting email leaves once, the account is written, the dead stay dead.
    let folder = dir.join("outbox");
    let mailer = Mailer::from_url(&format!("file://{}", folder.display())).unwrap();
    let from = "ESEA <notification@esea-na.fr>".parse().unwrap();
    assert_eq!(outbox::deliver_due(&store, &mailer, &from, 1000).await.unwrap(), 1);
    let to = Provisioner {
        directory: Directory::Folder(dir.join("provisioning")),
        base_dn: "ou=people,dc=sante-na,dc=fr".into(),
        webmail: "https://mail.sante-na.fr/".into(),
    };
    assert_eq!(provisioning::provision_due(&store, &to, 1000).await.unwrap(), 1);
    assert!(dir.join("provisioning/anne.martin.ldif").exists());
    // The acceptance email the account queued, and nothing else.
    assert_eq!(outbox::deliver_due(&store, &mailer, &from, 1001).await.unwrap(), 1);
    assert_eq!(outbox::deliver_due(&store, &mailer, &from, 100_000).await.unwrap(), 0);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
    let bodies: Vec<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT subject, text_body, sent_at FROM outbox ORDER BY created_at, subject")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let sent: Vec<_> = bodies.iter().filter(|(_, _, sent)| sent.is_some()).collect();
    assert_eq!(sent.len(), 3, "{bodies:?}");
    assert!(sent.iter().all(|(_, body, _)| body.is_empty()), "{bodies:?}");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_the_queues_of_before_become_jobs() {
    the_queues_of_before_become_jobs(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_the_queues_of_before_become_jobs() {
    the_queues_of_before_become_jobs(Backend::Postgres).await;
}
