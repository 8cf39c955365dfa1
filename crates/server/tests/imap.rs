//! The mailbox opens: accounts written to a real OpenLDAP directory, and a real Dovecot IMAP server that reads its
//! accounts there lets the professional in with the password chosen at registration, once, and only once, the
//! request is accepted. `cargo test imap` runs these alone.
use promess_core::{
    lifecycle::{RefusalReason, Statut},
    registration::examples::STRONG_PASSWORD,
};
use promess_server::{
    lifecycle::Decision,
    provisioning::{Account, Directory, Ldap, Provisioner},
};
use std::sync::Arc;

mod common;
use common::{
    Backend, TestApp, confirm, decide,
    mail_system::{ADMIN_DN, ADMIN_PASSWORD, MailSystem, PEOPLE},
    provision_to, register, request, subjects_of, test_app, token_of,
};

const ACCEPTED: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion";

fn ldap(mail: &MailSystem) -> Ldap {
    Ldap { url: mail.ldap_url(), bind_dn: ADMIN_DN.into(), password: ADMIN_PASSWORD.into(), starttls: false, tls: None }
}

fn to_directory(mail: &MailSystem) -> Provisioner {
    Provisioner {
        directory: Directory::Ldap(Arc::new(ldap(mail))),
        base_dn: PEOPLE.into(),
        webmail: "https://mail.sante-na.fr/".into(),
    }
}

/// How many entries of the directory have this uid.
async fn entries(mail: &MailSystem, uid: &str) -> usize {
    let (conn, mut ldap) = ldap3::LdapConnAsync::new(&mail.ldap_url()).await.unwrap();
    ldap3::drive!(conn);
    ldap.simple_bind(ADMIN_DN, ADMIN_PASSWORD).await.unwrap().success().unwrap();
    let filter = format!("(uid={})", ldap3::ldap_escape(uid));
    let (found, _) = ldap.search(PEOPLE, ldap3::Scope::Subtree, &filter, vec!["uid"]).await.unwrap().success().unwrap();
    found.len()
}

async fn in_review(app: &TestApp, rpps: &str, email: &str) -> String {
    let answer = register(app, &request(rpps, email)).await;
    let identifiant = answer["identifiant"].as_str().unwrap().to_owned();
    confirm(app, &token_of(app, &identifiant).await).await;
    identifiant
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_login_with_the_chosen_password_once_and_only_once_accepted() {
    let mail = MailSystem::start("accepted");
    let app = test_app(Backend::Sqlite, "imap_accepted").await.unwrap();
    let directory = to_directory(&mail);

    let cecile = in_review(&app, "99700771191", "cecile.sage@exemple.fr").await;
    let refused = in_review(&app, "10003378428", "autre@exemple.fr").await;
    assert_eq!(provision_to(&app, &directory).await, 0);
    let before = mail.imap_login(&cecile, STRONG_PASSWORD);
    assert!(before.is_err(), "no mailbox before the acceptance: {before:?}");

    let refusal = Decision::Refuse { reason: RefusalReason::NumeroIntrouvable, detail: "RPPS inconnu." };
    assert_eq!(decide(&app, &refused, refusal).await, Ok(Statut::Refusee));
    assert_eq!(decide(&app, &cecile, Decision::Accept).await, Ok(Statut::Active));
    assert_eq!(provision_to(&app, &directory).await, 1);

    let login = mail.imap_login(&cecile, STRONG_PASSWORD);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
    assert!(mail.imap_login(&cecile, "Correct-Cheval-Batterie-43").is_err(), "a wrong password is refused");
    assert!(mail.imap_login(&refused, STRONG_PASSWORD).is_err(), "no mailbox after a refusal");
    assert_eq!((entries(&mail, &cecile).await, entries(&mail, &refused).await), (1, 0));
    assert_eq!(subjects_of(&app, &cecile).await.last().map(String::as_str), Some(ACCEPTED));
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_login_after_the_directory_was_down_during_the_activation() {
    let mut mail = MailSystem::start("down");
    let app = test_app(Backend::Sqlite, "imap_down").await.unwrap();
    let directory = to_directory(&mail);
    let cecile = in_review(&app, "99700771191", "cecile.sage@exemple.fr").await;

    mail.stop_directory();
    assert_eq!(decide(&app, &cecile, Decision::Accept).await, Ok(Statut::Active));
    assert_eq!(provision_to(&app, &directory).await, 0);
    let pending = common::accounts_pending(&app).await;
    assert_eq!(pending.len(), 1, "kept to retry: {pending:?}");
    assert!(!subjects_of(&app, &cecile).await.contains(&ACCEPTED.to_owned()), "no acceptance while down");

    mail.start_directory();
    // A write whose answer was lost: an entry with this uid is already there, with another password.
    let stale = Account {
        uid: cecile.clone(),
        mail: format!("{cecile}@sante-na.fr"),
        given_name: "Cécile".into(),
        sn: "Sage".into(),
        password_hash: promess_server::password::hash("un-autre-mot-de-passe").unwrap(),
        national_id: None,
    };
    Directory::Ldap(Arc::new(ldap(&mail))).write(&stale, PEOPLE).await.unwrap();
    app.advance(promess_server::queue::backoff(1));
    assert_eq!(provision_to(&app, &directory).await, 1);
    assert_eq!(entries(&mail, &cecile).await, 1, "updated, not duplicated");
    let login = mail.imap_login(&cecile, STRONG_PASSWORD);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
    assert!(mail.imap_login(&cecile, "un-autre-mot-de-passe").is_err());

    // The acceptance email, once, and after the account: queued when it was written.
    let (provisioned, emails): (i64, Vec<(i64,)>) = (
        sqlx::query_scalar("SELECT provisioned_at FROM registrations").fetch_one(&app.db).await.unwrap(),
        sqlx::query_as("SELECT j.next_attempt_at FROM jobs j JOIN outbox o ON o.id = j.id WHERE o.subject = $1")
            .bind(ACCEPTED)
            .fetch_all(&app.db)
            .await
            .unwrap(),
    );
    assert_eq!(emails.len(), 1);
    assert!(emails[0].0 >= provisioned, "the email after the account");
    assert_eq!(provision_to(&app, &directory).await, 0);
    assert_eq!(entries(&mail, &cecile).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_after_a_reset_only_the_new_password_opens_and_after_closure_none_does() {
    let mut mail = MailSystem::start("life");
    let app = test_app(Backend::Sqlite, "imap_life").await.unwrap();
    let directory = to_directory(&mail);
    let (secret, codes) = common::account::active_account(&app).await;
    assert_eq!(provision_to(&app, &directory).await, 1);
    assert!(mail.imap_login("cecile.sage", STRONG_PASSWORD).is_ok(), "{}", mail.log());

    // Reset while the directory is down: the change waits in the queue, and arrives once it is back.
    mail.stop_directory();
    let new = "Nouvelle-Phrase-De-Passe-2026";
    common::account::reset_password(&app, &codes[0], new).await;
    assert_eq!(provision_to(&app, &directory).await, 0, "the directory is down");
    mail.start_directory();
    app.advance(promess_server::queue::backoff(1));
    assert_eq!(provision_to(&app, &directory).await, 1, "the new password, written once back");
    let login = mail.imap_login("cecile.sage", new);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
    assert!(mail.imap_login("cecile.sage", STRONG_PASSWORD).is_err(), "the old password opens nothing");
    assert_eq!(provision_to(&app, &directory).await, 0, "done once");

    // Closed: the entry removed; no password opens the mailbox.
    let mut v = common::account::signed_in_visitor(&app, &secret, new).await;
    let closed = common::account::change(&mut v, &app, "fermer", Some(&codes[1])).await;
    assert!(closed.html.contains("Votre compte est fermé"), "{}", closed.html);
    assert_eq!(provision_to(&app, &directory).await, 1);
    assert_eq!(entries(&mail, "cecile.sage").await, 0);
    for password in [new, STRONG_PASSWORD] {
        assert!(mail.imap_login("cecile.sage", password).is_err(), "closed: {password}");
    }
}

/// A mail system whose directory has a certificate of a private authority (TLS on), a test app, and the authority's
/// certificate in a file (as PROMESS_LDAP_CA names it).
async fn of_a_private_authority(name: &str) -> (MailSystem, TestApp, std::path::PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (certificate, key) = (certified.cert.pem(), certified.signing_key.serialize_pem());
    let mail = MailSystem::start_with(name, Some((&certificate, &key)));
    let app = test_app(Backend::Sqlite, &format!("imap_{name}")).await.unwrap();
    let ca = app.dir.join("annuaire-ca.pem");
    std::fs::write(&ca, &certificate).unwrap();
    (mail, app, ca)
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_login_with_the_account_written_over_ldaps_to_a_directory_of_a_private_authority() {
    let (mail, app, ca) = of_a_private_authority("ldaps").await;
    let over_tls = |tls| Provisioner {
        directory: Directory::Ldap(Arc::new(Ldap {
            url: format!("ldaps://127.0.0.1:{}", mail.ldaps_port.unwrap()),
            tls,
            ..ldap(&mail)
        })),
        ..to_directory(&mail)
    };
    let cecile = in_review(&app, "99700771191", "cecile.sage@exemple.fr").await;
    assert_eq!(decide(&app, &cecile, Decision::Accept).await, Ok(Statut::Active));
    // The system's authorities do not know this directory's certificate: refused, kept to retry.
    assert_eq!(provision_to(&app, &over_tls(None)).await, 0);
    let pending = common::accounts_pending(&app).await;
    assert!(pending[0].last_error.as_deref().unwrap_or_default().contains("ldaps://"), "{pending:?}");
    // With its authority (PROMESS_LDAP_CA): written over TLS.
    app.advance(promess_server::queue::backoff(1));
    assert_eq!(provision_to(&app, &over_tls(Some(Ldap::trusting(&ca).unwrap()))).await, 1);
    let login = mail.imap_login(&cecile, STRONG_PASSWORD);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_login_with_the_account_written_after_starttls_and_never_in_clear() {
    let (mail, app, ca) = of_a_private_authority("starttls").await;
    let on_plain_port = |starttls, tls| Provisioner {
        directory: Directory::Ldap(Arc::new(Ldap { starttls, tls, ..ldap(&mail) })),
        ..to_directory(&mail)
    };
    let cecile = in_review(&app, "99700771191", "cecile.sage@exemple.fr").await;
    assert_eq!(decide(&app, &cecile, Decision::Accept).await, Ok(Statut::Active));
    async fn attempts(app: &TestApp) -> Vec<i64> {
        common::accounts_pending(app).await.into_iter().map(|p| p.attempts).collect()
    }
    // In clear, the directory takes no write: kept to retry, nothing written.
    assert_eq!(provision_to(&app, &on_plain_port(false, None)).await, 0);
    assert_eq!(attempts(&app).await, [1]);
    assert_eq!(entries(&mail, &cecile).await, 0);
    // StartTLS to a certificate of an authority the system does not know: refused before anything is sent.
    app.advance(promess_server::queue::backoff(1));
    assert_eq!(provision_to(&app, &on_plain_port(true, None)).await, 0);
    assert_eq!(attempts(&app).await, [2]);
    // StartTLS with its authority (PROMESS_LDAP_CA): written, and the mailbox opens.
    app.advance(promess_server::queue::backoff(2));
    assert_eq!(provision_to(&app, &on_plain_port(true, Some(Ldap::trusting(&ca).unwrap()))).await, 1);
    assert!(attempts(&app).await.is_empty());
    let login = mail.imap_login(&cecile, STRONG_PASSWORD);
    assert!(login.is_ok(), "{login:?}\n{}", mail.log());
}
