//! The mailbox's account, written to the mail system's directory once a registration is active (here the LDIF
//! folder, the default; a real LDAP directory and IMAP server in `imap.rs`), on SQLite and PostgreSQL: queued with
//! the activation, retried while the directory is down, given up after its attempts and then listed; the acceptance
//! email only after it.
use promess_core::lifecycle::{RefusalReason, Statut};
use promess_server::{
    provisioning::{Directory, Ldap, Provisioner},
    queue::Job,
};
use std::sync::Arc;

mod common;
use common::{
    Backend, TestApp, confirm, decide, ldif_folder, provision, provision_to, register, request, subjects_of, test_app,
    token_of,
};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("prov_{name}")).await
}

on_both!(
    an_account_is_written_once_active_then_its_acceptance_email_leaves,
    a_directory_down_is_retried_then_given_up_and_listed_then_retried,
);

const ACCEPTED: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion";

/// A request of `identifiant`'s owner confirmed by its email link, in review.
async fn in_review(app: &TestApp, rpps: &str, email: &str) -> String {
    let answer = register(app, &request(rpps, email)).await;
    let identifiant = answer["identifiant"].as_str().unwrap().to_owned();
    let (_, body) = confirm(app, &token_of(app, &identifiant).await).await;
    assert_eq!(body["statut"], "en_verification", "{body}");
    identifiant
}

fn ldif_of(app: &TestApp, identifiant: &str) -> Option<String> {
    std::fs::read_to_string(app.dir.join("provisioning").join(format!("{identifiant}.ldif"))).ok()
}

async fn an_account_is_written_once_active_then_its_acceptance_email_leaves(app: &TestApp) {
    let cecile = in_review(app, "99700771191", "cecile.sage@exemple.fr").await;
    // Nothing is written for a request in review, nor for a refused one.
    let refused = in_review(app, "10003378428", "autre@exemple.fr").await;
    assert_eq!(provision(app).await, 0);
    let decision = promess_server::lifecycle::Decision::Refuse { reason: RefusalReason::Autre, detail: "Doublon" };
    assert_eq!(decide(app, &refused, decision).await, Ok(Statut::Refusee));
    assert_eq!(provision(app).await, 0);
    assert!(ldif_of(app, &cecile).is_none() && ldif_of(app, &refused).is_none());

    assert_eq!(decide(app, &cecile, promess_server::lifecycle::Decision::Accept).await, Ok(Statut::Active));
    assert!(!subjects_of(app, &cecile).await.contains(&ACCEPTED.to_owned()), "no acceptance before the mailbox");
    assert_eq!(provision(app).await, 1);
    let ldif = ldif_of(app, &cecile).expect("the account's LDIF file");
    let (hash, liste_rouge, telephone, provisioned): (String, i64, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT password_hash, liste_rouge, telephone_annuaire, provisioned_at FROM registrations WHERE identifiant = $1",
    )
    .bind(&cecile)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    for line in [
        format!("dn: uid={cecile},ou=people,dc=sante-na,dc=fr"),
        "objectClass: inetOrgPerson".into(),
        format!("uid: {cecile}"),
        format!("mail: {cecile}@sante-na.fr"),
        "sn: Sage".into(),
        format!("userPassword: {{ARGON2ID}}{hash}"),
    ] {
        assert!(ldif.lines().any(|l| l == line), "{line} in\n{ldif}");
    }
    assert!(!ldif.contains(promess_core::registration::examples::STRONG_PASSWORD));
    // The MSSanté directory options, kept on the account for the national directory's feed.
    assert_eq!((liste_rouge, telephone.as_deref()), (0, Some("+33612345678")));
    assert!(provisioned.is_some());
    assert_eq!(subjects_of(app, &cecile).await.iter().filter(|s| *s == ACCEPTED).count(), 1);

    // Done once: another round writes nothing and sends nothing.
    assert_eq!(provision(app).await, 0);
    assert_eq!(subjects_of(app, &cecile).await.iter().filter(|s| *s == ACCEPTED).count(), 1);
    assert!(common::accounts_pending(app).await.is_empty());
}

/// A directory that does not answer: a port nobody listens on.
fn unreachable(app: &TestApp) -> Provisioner {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ldap = Ldap {
        url: format!("ldap://127.0.0.1:{port}"),
        bind_dn: "cn=admin,dc=sante-na,dc=fr".into(),
        password: "secret".into(),
        starttls: false,
        tls: None,
    };
    Provisioner { directory: Directory::Ldap(Arc::new(ldap)), ..ldif_folder(app) }
}

async fn a_directory_down_is_retried_then_given_up_and_listed_then_retried(app: &TestApp) {
    let cecile = in_review(app, "99700771191", "cecile.sage@exemple.fr").await;
    assert_eq!(decide(app, &cecile, promess_server::lifecycle::Decision::Accept).await, Ok(Statut::Active));
    let down = unreachable(app);
    assert_eq!(provision_to(app, &down).await, 0);
    let pending = common::accounts_pending(app).await;
    assert_eq!((pending.len(), pending[0].attempts, pending[0].dead_at), (1, 1, None), "{pending:?}");
    assert!(pending[0].last_error.as_deref().unwrap_or_default().contains("ldap://127.0.0.1:"), "{pending:?}");
    // Not retried before its backoff.
    assert_eq!(provision_to(app, &down).await, 0);
    assert_eq!(common::accounts_pending(app).await[0].attempts, 1);

    for attempt in 2..=Provisioner::MAX_ATTEMPTS {
        app.advance(promess_server::queue::backoff(attempt - 1));
        provision_to(app, &down).await;
        assert_eq!(common::accounts_pending(app).await[0].attempts, attempt);
    }
    let dead = common::accounts_pending(app).await;
    assert!(dead[0].dead_at.is_some(), "given up after {} attempts: {dead:?}", Provisioner::MAX_ATTEMPTS);
    assert_eq!(dead[0].what, cecile);
    // Dead: no more attempts, even with the directory back, and still no acceptance email.
    app.advance(86_400);
    assert_eq!(provision(app).await, 0);
    assert!(!subjects_of(app, &cecile).await.contains(&ACCEPTED.to_owned()));

    // The operator fixed the directory and retries: written once, then the email.
    assert_eq!(common::accounts_retry_dead(app, app.now()).await, 1);
    assert_eq!(provision(app).await, 1);
    assert!(ldif_of(app, &cecile).is_some());
    assert_eq!(subjects_of(app, &cecile).await.iter().filter(|s| *s == ACCEPTED).count(), 1);
    assert!(common::accounts_pending(app).await.is_empty());
}
