//! The account's life after registration: a forgotten password (the link, the second factor, the new password, every
//! session ended), a new password, a new notification address and closure from the account space, each after the
//! second factor given again; and the attacker's side of each. The directory's side (slapd and Dovecot) is in
//! tests/imap.rs. `cargo test --test account_life` runs these alone.
use axum::http::StatusCode;
use promess_core::registration::examples::STRONG_PASSWORD;
use promess_server::account;

mod common;
use common::{
    Backend, TestApp,
    account::{AccountSteps, active_account, change, forgotten, links_to, send_links, signed_in, signed_in_visitor},
    browser::Visitor,
    csrf_of, test_app,
};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("vie_{name}")).await
}

on_both!(
    a_forgotten_password_is_reset_after_the_second_factor_and_every_session_ends,
    the_forgotten_password_form_tells_nobody_which_accounts_exist_and_sends_few_emails,
    the_password_the_address_and_closure_change_only_after_the_second_factor_given_again,
);

const NEW_PASSWORD: &str = "Nouvelle-Phrase-De-Passe-2026";

async fn emails_to(app: &TestApp, to: &str, subject: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND subject LIKE $2")
        .bind(to)
        .bind(format!("%{subject}%"))
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn jobs_of(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1").bind(kind).fetch_one(&app.db).await.unwrap()
}

async fn a_forgotten_password_is_reset_after_the_second_factor_and_every_session_ends(app: &TestApp) {
    let (secret, codes) = active_account(app).await;
    let mut elsewhere = signed_in_visitor(app, &secret, STRONG_PASSWORD).await;
    let mut v = Visitor::default();
    let sent = forgotten(&mut v, app, "cecile.sage@exemple.fr").await;
    assert!(sent.html.contains("Si un compte correspond"), "{}", sent.html);
    send_links(app).await;
    let links = links_to(app, "cecile.sage@exemple.fr", "Réinitialisation").await;
    assert_eq!(links.len(), 1);
    let link = links[0].clone();
    assert!(link.starts_with("/compte/reinitialisation/"), "{link}");

    // Opening the link changes nothing.
    let opened = v.get(app, &link).await;
    assert_eq!(opened.status, StatusCode::OK);
    let used: Option<i64> = sqlx::query_scalar("SELECT used_at FROM account_tokens").fetch_one(&app.db).await.unwrap();
    assert_eq!(used, None, "a GET uses nothing");
    let begun = v.post(app, &link, &[("csrf", &csrf_of(&opened.html))]).await;
    assert_eq!(begun.location, "/compte/reinitialisation");
    // Its session is not a sign-in's: the second factor alone opens no account.
    app.advance(30);
    let page = v.get(app, "/compte/second-facteur").await;
    assert_eq!(page.location, "/compte", "no sign-in's second factor for a reset");
    // The new password without the second factor: refused, nothing changed.
    let asked = v.get(app, "/compte/reinitialisation").await;
    let csrf = csrf_of(&asked.html);
    let early = [("mot_de_passe", NEW_PASSWORD), ("mot_de_passe_confirmation", NEW_PASSWORD), ("csrf", &csrf)];
    let refused = v.post(app, "/compte/reinitialisation/mot-de-passe", &early).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(jobs_of(app, "annuaire_mot_de_passe").await, 0);
    let wrong = v.post(app, "/compte/reinitialisation/facteur", &[("code", "000000"), ("csrf", &csrf)]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let form = v.post(app, "/compte/reinitialisation/facteur", &[("code", &codes[0]), ("csrf", &csrf)]).await;
    assert!(form.html.contains("Nouveau mot de passe"), "{}", form.html);
    // The meter's verdict as the password is typed: the account's own words count, as at step 3.
    let rate = |password: &'static str| [("mot_de_passe", password), ("csrf", csrf.as_str())];
    let weak: serde_json::Value =
        serde_json::from_str(&v.post(app, "/compte/force", &rate("Cecile-Sage-2026")).await.html).unwrap();
    assert_eq!(
        (weak["satisfaisant"].as_bool(), weak["regles"][4]["tient"].as_bool()),
        (Some(false), Some(false)),
        "{weak}"
    );
    let strong: serde_json::Value =
        serde_json::from_str(&v.post(app, "/compte/force", &rate(NEW_PASSWORD)).await.html).unwrap();
    assert_eq!((strong["satisfaisant"].as_bool(), strong["niveau"].as_u64()), (Some(true), Some(5)), "{strong}");
    assert!(strong["texte"].as_str().unwrap().contains("satisfaisante"));
    let stranger = Visitor::default().post(app, "/compte/force", &[("mot_de_passe", "x"), ("csrf", "x")]).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "no session, no verdict");
    // Step 3's rules, in French on the field.
    let weak = [("mot_de_passe", "cecile.sage1A"), ("mot_de_passe_confirmation", "cecile.sage1A"), ("csrf", &csrf)];
    let weak = v.post(app, "/compte/reinitialisation/mot-de-passe", &weak).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.html.contains("id=\"mot_de_passe-erreur\""), "{}", weak.html);
    let changed = v.post(app, "/compte/reinitialisation/mot-de-passe", &early).await;
    assert!(changed.html.contains("Votre mot de passe est changé"), "{}", changed.html);

    // Every session ended; the old password refused, the new one opens; the directory's job and the email queued.
    assert!(!signed_in(&elsewhere.get(app, "/compte").await), "the other session ended");
    assert_eq!(Visitor::default().password(app, "cecile.sage", STRONG_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    signed_in_visitor(app, &secret, NEW_PASSWORD).await;
    assert_eq!(jobs_of(app, "annuaire_mot_de_passe").await, 1);
    assert_eq!(emails_to(app, "cecile.sage@exemple.fr", "mot de passe a été changé").await, 1);

    // The link once only; a new link, expired after 30 minutes.
    let mut again = Visitor::default();
    let gone = again.get(app, &link).await;
    assert_eq!(gone.status, StatusCode::GONE);
    forgotten(&mut again, app, "cecile.sage").await;
    send_links(app).await;
    let late = links_to(app, "cecile.sage@exemple.fr", "Réinitialisation").await.pop().unwrap();
    assert_ne!(late, link);
    app.advance(account::life::RESET_SECS + 1);
    assert_eq!(again.get(app, &late).await.status, StatusCode::GONE);
    let journal: Vec<String> =
        sqlx::query_scalar("SELECT event FROM account_journal ORDER BY at, id").fetch_all(&app.db).await.unwrap();
    for event in
        ["reinitialisation_demandee", "echec_second_facteur", "reinitialisation_facteur", "mot_de_passe_change"]
    {
        assert!(journal.iter().any(|e| e == event), "{event}: {journal:?}");
    }
}

/// The page without its random tokens, for comparing answers.
fn without_tokens(html: &str) -> String {
    html.split("value=\"").map(|part| part.split_once('"').map_or(part, |(_, rest)| rest)).collect()
}

async fn the_forgotten_password_form_tells_nobody_which_accounts_exist_and_sends_few_emails(app: &TestApp) {
    active_account(app).await;
    let mut v = Visitor::default();
    let known = forgotten(&mut v, app, "cecile.sage").await;
    let unknown = forgotten(&mut v, app, "personne.inconnue").await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(without_tokens(&known.html), without_tokens(&unknown.html), "the same answer");
    // Their times, alternated after rounds not counted, each first in every other round (the first of a pair was
    // seen slower on PostgreSQL): medians within 20 % (the same work by construction: a request row and its job;
    // many rounds, for a millisecond's noise).
    let logins = ["personne.inconnue", "cecile.sage"];
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..62 {
        for i in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let started = std::time::Instant::now();
            forgotten(&mut v, app, logins[i]).await;
            if round > 1 {
                times[i].push(started.elapsed().as_secs_f64());
            }
        }
    }
    let [mut a, mut b] = times;
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (ma, mb) = (a[a.len() / 2], b[b.len() / 2]);
    assert!((ma - mb).abs() / ma.max(mb) < 0.2, "unknown {ma:.4} s, known {mb:.4} s");
    // 1,000 requests for one account: a few emails, all requests recorded.
    for _ in 0..1000 {
        forgotten(&mut v, app, "cecile.sage@sante-na.fr").await;
    }
    send_links(app).await;
    let sent = emails_to(app, "cecile.sage@exemple.fr", "Réinitialisation").await;
    assert_eq!(sent, promess_server::store::accounts::RESETS_PER_HOUR, "at most a few emails an hour");
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reset_requests").fetch_one(&app.db).await.unwrap();
    assert_eq!(recorded, 2 + 124 + 1000);
}

async fn the_password_the_address_and_closure_change_only_after_the_second_factor_given_again(app: &TestApp) {
    let (secret, codes) = active_account(app).await;
    let mut v = signed_in_visitor(app, &secret, STRONG_PASSWORD).await;
    let csrf = csrf_of(&v.get(app, "/compte").await.html);

    // The password: not without the second factor given again, nor without the current password.
    let new = [
        ("mot_de_passe_actuel", STRONG_PASSWORD),
        ("mot_de_passe", NEW_PASSWORD),
        ("mot_de_passe_confirmation", NEW_PASSWORD),
        ("csrf", &csrf),
    ];
    assert_eq!(v.post(app, "/compte/mot-de-passe", &new).await.location, "/compte?fait=facteur_a_redonner");
    assert!(change(&mut v, app, "mot_de_passe", None).await.html.contains("Confirmez votre identité"));
    let form = change(&mut v, app, "mot_de_passe", Some(&codes[0])).await;
    assert!(form.html.contains("Mot de passe actuel"), "{}", form.html);
    let mut wrong = new;
    wrong[0].1 = "Pas-Le-Bon-Mot-De-Passe-1";
    let wrong = v.post(app, "/compte/mot-de-passe", &wrong).await;
    assert!(
        wrong.html.contains("Ce n&#39;est pas votre mot de passe actuel")
            || wrong.html.contains("Ce n'est pas votre mot de passe actuel"),
        "{}",
        wrong.html
    );
    assert!(v.post(app, "/compte/mot-de-passe", &new).await.html.contains("Votre mot de passe est changé"));
    assert!(!signed_in(&v.get(app, "/compte").await), "every session ends");
    let folder = common::ldif_folder(app);
    assert_eq!(common::provision_to(app, &folder).await, 2, "the account, then its new password");
    let mut v = signed_in_visitor(app, &secret, NEW_PASSWORD).await;

    // The notification address: its link goes to the new address, and only the account signed in confirms it.
    let form = change(&mut v, app, "adresse", Some(&codes[1])).await;
    let csrf = csrf_of(&form.html);
    let to = [("email", "c.sage@nouvelle.fr"), ("email_confirmation", "c.sage@nouvelle.fr"), ("csrf", &csrf)];
    assert_eq!(v.post(app, "/compte/adresse", &to).await.location, "/compte?fait=adresse_envoyee");
    let link = links_to(app, "c.sage@nouvelle.fr", "nouvelle adresse").await.pop().expect("a link to the new address");
    assert!(links_to(app, "cecile.sage@exemple.fr", "nouvelle adresse").await.is_empty(), "none to the old one");
    let mut stranger = Visitor::default();
    assert_eq!(stranger.get(app, &link).await.status, StatusCode::UNAUTHORIZED, "not signed in");
    assert_eq!(stranger.post(app, &link, &[("csrf", "x")]).await.location, "/compte");
    let page = v.get(app, &link).await;
    assert!(page.html.contains("c.sage@nouvelle.fr"));
    assert_eq!(v.post(app, &link, &[("csrf", &csrf_of(&page.html))]).await.location, "/compte?fait=adresse_changee");
    assert_eq!(
        emails_to(app, "cecile.sage@exemple.fr", "adresse de notification a été changée").await,
        1,
        "the old one told"
    );
    let email: String = sqlx::query_scalar("SELECT email FROM registrations").fetch_one(&app.db).await.unwrap();
    assert_eq!(email, "c.sage@nouvelle.fr");
    assert_eq!(v.get(app, &link).await.status, StatusCode::GONE, "once");

    // Closure: with the second factor only; then no sign-in, the directory's removal queued, an email, and the
    // identifier never proposed again.
    assert!(change(&mut v, app, "fermer", None).await.html.contains("fermer définitivement"));
    assert_eq!(change(&mut v, app, "fermer", Some("000000")).await.status, StatusCode::UNAUTHORIZED);
    let closed = change(&mut v, app, "fermer", Some(&codes[2])).await;
    assert!(closed.html.contains("Votre compte est fermé"), "{}", closed.html);
    assert_eq!(common::statut_of(app, "cecile.sage").await.as_deref(), Some("fermee"));
    assert!(!signed_in(&v.get(app, "/compte").await));
    assert_eq!(Visitor::default().password(app, "cecile.sage", NEW_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(jobs_of(app, "annuaire_fermeture").await, 1);
    // LDIF mode: the account's file, then its changes as LDIF modify and delete files, each job once.
    assert_eq!(common::provision_to(app, &folder).await, 1, "its removal");
    assert_eq!(common::provision_to(app, &folder).await, 0, "once");
    let promess_server::provisioning::Directory::Folder(dir) = &folder.directory else { unreachable!() };
    let files: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(
        files
            .iter()
            .any(|f| f.contains("changetype: modify\nreplace: userPassword\nuserPassword: {ARGON2ID}$argon2id$"))
    );
    assert!(files.iter().any(|f| f.contains("dn: uid=cecile.sage,") && f.contains("changetype: delete")));
    assert_eq!(emails_to(app, "c.sage@nouvelle.fr", "est fermé").await, 1);
    let (_, proposal, _) = common::send(
        app,
        axum::http::Request::get("/api/identifiants?prenom=C%C3%A9cile&nom=Sage")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_ne!(proposal["identifiant"], "cecile.sage", "{proposal}");
}
