//! A registration's life through the API and the transitions, on SQLite and PostgreSQL, days passing on the app's
//! clock: a request, its email proven by a single-use link, then an account only on a proof of the person.
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use promess_core::{
    RegistrationRequest,
    lifecycle::{EMAIL_CONFIRMATION_SECS, MAX_CONFIRMATION_EMAILS, RESEND_INTERVAL_SECS, RefusalReason, Statut},
};
use promess_server::lifecycle::{self, Decision, DecisionError, Purged};
use serde_json::{Value, json};

mod common;
use common::{
    Backend, TestApp, confirm, count, decide, json_post, provision, register, request, send, statut_of, subjects_of,
    test_app, token_of,
};

async fn app_for(backend: Backend, name: &str) -> Option<TestApp> {
    test_app(backend, &format!("life_{name}")).await
}

on_both!(
    a_manual_request_waits_for_its_email_then_for_the_operator,
    the_link_confirms_on_a_post_once_and_never_on_its_get,
    an_unconfirmed_request_expires_after_48_hours_and_frees_its_identifier,
    a_refused_request_is_kept_for_its_retention_then_deleted,
    a_stranger_s_claim_on_an_rpps_never_locks_the_owner_out,
    the_email_can_be_sent_again_within_limits_and_says_nothing_to_strangers,
    two_operators_deciding_at_once_one_wins,
    an_idempotency_key_is_forgotten_after_a_day,
    what_is_kept_and_for_how_long,
);

const DAY: i64 = 86_400;

const CONFIRM: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Confirmez votre adresse électronique";
const REVIEW: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion est en cours de vérification";
const ACCEPTED: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion";
const REFUSED: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion n'a pas été acceptée";

/// The text of the one email queued with this subject.
async fn body_of(app: &TestApp, subject: &str) -> String {
    sqlx::query_scalar("SELECT text_body FROM outbox WHERE subject = $1")
        .bind(subject)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn history(app: &TestApp, identifiant: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT e.statut, e.actor FROM registration_events e JOIN registrations r ON r.id = e.registration_id \
         WHERE r.identifiant = $1 ORDER BY e.at",
    )
    .bind(identifiant)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn a_manual_request_waits_for_its_email_then_for_the_operator(app: &TestApp) {
    let answer = register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    assert_eq!(answer["statut"], "email_a_confirmer");
    assert_eq!(statut_of(app, "cecile.sage").await.as_deref(), Some("email_a_confirmer"));
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM], "no acceptance before any proof");
    // Only the token's hash is kept: 32 random bytes, base64url.
    let token = token_of(app, "cecile.sage").await;
    assert_eq!(token.len(), 43, "{token}");
    let (hash,): (String,) =
        sqlx::query_as("SELECT email_token_hash FROM registrations").fetch_one(&app.db).await.unwrap();
    assert_eq!(hash, promess_server::secret::sha256_hex(token.as_bytes()));
    assert!(!hash.contains(&token));
    // An operator cannot accept a request whose email is not proven.
    assert_eq!(
        decide(app, "cecile.sage", Decision::Accept).await,
        Err(DecisionError::NotInReview(Statut::EmailAConfirmer))
    );

    app.advance(60);
    let (status, body) = confirm(app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"identifiant": "cecile.sage", "adresse": "cecile.sage@sante-na.fr", "statut": "en_verification"})
    );
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM, REVIEW]);

    app.advance(60);
    assert_eq!(decide(app, "cecile.sage", Decision::Accept).await, Ok(Statut::Active));
    // The acceptance email waits for the mailbox: it leaves once the account is in the directory.
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM, REVIEW]);
    assert_eq!(provision(app).await, 1);
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM, REVIEW, ACCEPTED]);
    let text = body_of(app, ACCEPTED).await;
    assert!(text.contains("a été acceptée") && text.contains("- Identifiant : cecile.sage"), "{text}");
    let steps = [
        ("email_a_confirmer", None),
        ("en_verification", None),
        ("active", Some("operateur.test")),
        ("active", Some("annuaire")),
    ];
    let expected: Vec<(String, Option<String>)> =
        steps.iter().map(|(s, a)| (s.to_string(), a.map(str::to_owned))).collect();
    assert_eq!(history(app, "cecile.sage").await, expected);
    assert_eq!(decide(app, "cecile.sage", Decision::Accept).await, Err(DecisionError::NotInReview(Statut::Active)));
}

async fn the_link_confirms_on_a_post_once_and_never_on_its_get(app: &TestApp) {
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    let token = token_of(app, "cecile.sage").await;
    // A mail scanner opens the link: the page is served, nothing is confirmed.
    let (status, _, _) = send(app, Request::get("/confirmer").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statut_of(app, "cecile.sage").await.as_deref(), Some("email_a_confirmer"));
    let (status, body) = confirm(app, "un-jeton-invente").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("jeton_inconnu")), "{body}");
    assert!(body["erreur"].as_str().unwrap().contains("Ce lien n'est pas valide"));
    // Another site's page cannot confirm, nor ask for the email again.
    for path in ["/api/confirmations", "/api/confirmations/renvoi"] {
        let mut foreign = json_post(path, json!({"jeton": token}));
        foreign.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert_eq!(send(app, foreign).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(statut_of(app, "cecile.sage").await.as_deref(), Some("email_a_confirmer"));
    let (status, body) = confirm(app, &"A".repeat(10_000)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not even hashed: {body}");

    // A double click: both at once, one confirms, one email.
    let (a, b) = tokio::join!(confirm(app, &token), confirm(app, &token));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} {}", a.1, b.1);
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM, REVIEW]);
    let (status, body) = confirm(app, &token).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("jeton_utilise")));
    assert!(body["erreur"].as_str().unwrap().contains("déjà été confirmée"));
}

async fn an_unconfirmed_request_expires_after_48_hours_and_frees_its_identifier(app: &TestApp) {
    let start = app.now();
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    let token = token_of(app, "cecile.sage").await;
    let proposal = || async {
        let (_, body, _) =
            send(app, Request::get("/api/identifiants?prenom=C%C3%A9cile&nom=Sage").body(Body::empty()).unwrap()).await;
        body["identifiant"].as_str().unwrap().to_owned()
    };
    assert_eq!(proposal().await, "cecile.sage2", "reserved by the request");

    let deadline = start + EMAIL_CONFIRMATION_SECS;
    assert_eq!(lifecycle::purge(&app.store, deadline).await.unwrap().requests, 0, "not within its 48 h");
    app.advance(EMAIL_CONFIRMATION_SECS + 1);
    let (status, body) = confirm(app, &token).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("jeton_expire")), "{body}");
    assert_eq!(lifecycle::purge(&app.store, deadline + 1).await.unwrap().requests, 1);
    assert_eq!(count(app).await, 0, "its data deleted");
    let (emails,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox").fetch_one(&app.db).await.unwrap();
    let (events,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM registration_events").fetch_one(&app.db).await.unwrap();
    assert_eq!((emails, events), (0, 0), "its emails and history with it");
    assert_eq!(proposal().await, "cecile.sage", "its identifier freed");
    assert_eq!(confirm(app, &token).await.0, StatusCode::NOT_FOUND);

    // A confirmed request is never purged as unconfirmed.
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    confirm(app, &token_of(app, "cecile.sage").await).await;
    assert_eq!(lifecycle::purge(&app.store, app.now() + 365 * DAY).await.unwrap().requests, 0);
    assert_eq!(statut_of(app, "cecile.sage").await.as_deref(), Some("en_verification"));
}

async fn a_refused_request_is_kept_for_its_retention_then_deleted(app: &TestApp) {
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    confirm(app, &token_of(app, "cecile.sage").await).await;
    let blank = Decision::Refuse { reason: RefusalReason::NumeroIntrouvable, detail: "  " };
    assert_eq!(decide(app, "cecile.sage", blank).await, Err(DecisionError::DetailRequired));
    let detail = "Aucun professionnel de l'annuaire ne porte ce numéro.";
    let refusal = Decision::Refuse { reason: RefusalReason::NumeroIntrouvable, detail };
    assert_eq!(decide(app, "cecile.sage", refusal).await, Ok(Statut::Refusee));
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM, REVIEW, REFUSED]);
    let text = body_of(app, REFUSED).await;
    assert!(text.contains("Motif : Numéro RPPS ou ADELI introuvable") && text.contains(detail), "{text}");
    assert!(text.contains("05 64 090 090"), "with the support contact");
    let (motif, par): (String, String) =
        sqlx::query_as("SELECT motif_refus, decided_by FROM registrations").fetch_one(&app.db).await.unwrap();
    assert_eq!((motif.as_str(), par.as_str()), ("numero_introuvable", "operateur.test"));

    assert_eq!(lifecycle::purge(&app.store, app.now() + 30 * DAY).await.unwrap().requests, 0, "kept 30 days");
    assert_eq!(lifecycle::purge(&app.store, app.now() + 30 * DAY + 1).await.unwrap().requests, 1);
    assert_eq!(count(app).await, 0);
}

async fn a_stranger_s_claim_on_an_rpps_never_locks_the_owner_out(app: &TestApp) {
    // RPPS numbers are public: a stranger asks first with the owner's number and their own email.
    let stranger = register(app, &request("99700771191", "intrus@exemple.fr")).await;
    let owner = register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    // The same answer for both: nothing tells either that the number was claimed.
    assert_eq!(
        (stranger["statut"].clone(), owner["statut"].clone()),
        (json!("email_a_confirmer"), json!("email_a_confirmer"))
    );
    assert_eq!(owner.as_object().unwrap().keys().collect::<Vec<_>>(), ["adresse", "identifiant", "statut"]);
    let (stranger, owner) = (stranger["identifiant"].as_str().unwrap(), owner["identifiant"].as_str().unwrap());
    confirm(app, &token_of(app, stranger).await).await;
    confirm(app, &token_of(app, owner).await).await;
    // Neither is an account without a proof of the person; the operator accepts the owner.
    assert_eq!(decide(app, owner, Decision::Accept).await, Ok(Statut::Active));
    // One active account per number (constraint): the stranger's claim cannot become one.
    assert_eq!(decide(app, stranger, Decision::Accept).await, Err(DecisionError::NumberHeld));
    assert_eq!(statut_of(app, stranger).await.as_deref(), Some("en_verification"));
    assert_eq!(subjects_of(app, stranger).await, [CONFIRM, REVIEW], "no acceptance email for a failed decision");
}

async fn the_email_can_be_sent_again_within_limits_and_says_nothing_to_strangers(app: &TestApp) {
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    let first = token_of(app, "cecile.sage").await;
    let resend = |identifiant: &str, email: &str| {
        let request = json_post("/api/confirmations/renvoi", json!({"identifiant": identifiant, "email": email}));
        async move { send(app, request).await }
    };
    // Whatever matches or not, the same answer.
    for (identifiant, email) in [("cecile.sage", "autre@exemple.fr"), ("inconnu.x", "cecile.sage@exemple.fr")] {
        let (status, body, _) = resend(identifiant, email).await;
        assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    }
    assert_eq!(resend("cecile.sage", "cecile.sage@exemple.fr").await.0, StatusCode::ACCEPTED);
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM], "not within 2 minutes of the last one");

    app.advance(RESEND_INTERVAL_SECS);
    assert_eq!(resend("cecile.sage", "Cecile.Sage@Exemple.fr").await.0, StatusCode::ACCEPTED);
    assert_eq!(subjects_of(app, "cecile.sage").await, [CONFIRM, CONFIRM]);
    let second = token_of(app, "cecile.sage").await;
    assert_ne!(first, second);
    for _ in 2..MAX_CONFIRMATION_EMAILS + 3 {
        app.advance(RESEND_INTERVAL_SECS);
        resend("cecile.sage", "cecile.sage@exemple.fr").await;
    }
    assert_eq!(subjects_of(app, "cecile.sage").await.len() as i64, MAX_CONFIRMATION_EMAILS, "at most five");
    let last = token_of(app, "cecile.sage").await;
    assert_eq!(confirm(app, &first).await.0, StatusCode::NOT_FOUND, "a new link replaces the old one");
    assert_eq!(confirm(app, &last).await.0, StatusCode::OK);
}

async fn two_operators_deciding_at_once_one_wins(app: &TestApp) {
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    confirm(app, &token_of(app, "cecile.sage").await).await;
    let refusal = Decision::Refuse { reason: RefusalReason::IdentiteDiscordante, detail: "Nom différent." };
    let (a, b) = tokio::join!(decide(app, "cecile.sage", Decision::Accept), decide(app, "cecile.sage", refusal));
    let outcomes = [a.clone(), b.clone()];
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{a:?} {b:?}");
    let winner = outcomes.iter().find_map(|o| o.clone().ok()).unwrap();
    let loser = outcomes.iter().find_map(|o| o.clone().err()).unwrap();
    assert_eq!(loser, DecisionError::NotInReview(winner), "the other is told what it became");
    provision(app).await; // an acceptance's email leaves once its account is written
    assert_eq!(subjects_of(app, "cecile.sage").await.len(), 3, "one decision, one email");
}

async fn an_idempotency_key_is_forgotten_after_a_day(app: &TestApp) {
    let post = |r: &RegistrationRequest| {
        Request::post("/api/registrations")
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", "cle-du-jour")
            .body(Body::from(serde_json::to_string(r).unwrap()))
            .unwrap()
    };
    let r = common::secured(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    let (_, first, _) = send(app, post(&r)).await;
    app.advance(DAY - 1);
    let (status, again, _) = send(app, post(&r)).await;
    assert_eq!((status, &again), (StatusCode::ACCEPTED, &first), "replayed within the day");
    assert_eq!(count(app).await, 1);
    // Within the day, the key with another body (a new second factor) is refused; a day later it is a new request's.
    let renewed = common::secured(app, &r).await;
    let (status, refused, _) = send(app, post(&renewed)).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")));
    app.advance(2);
    let (status, later, _) = send(app, post(&renewed)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{later}");
    assert_eq!(later["identifiant"], "cecile.sage2", "a day later the key is a new request's");
    assert_eq!(count(app).await, 2);
    let Purged { answers, .. } = lifecycle::purge(&app.store, app.now() + DAY + 1).await.unwrap();
    assert_eq!(answers, 1, "the answer is deleted after its day");
}

async fn what_is_kept_and_for_how_long(app: &TestApp) {
    use promess_server::{operators, outbox};
    register(app, &request("99700771191", "cecile.sage@exemple.fr")).await;
    let token = token_of(app, "cecile.sage").await;
    // Sent, an email's message goes (its link's token was in it, in clear); who it went to, what and when stay.
    let folder = app.dir.join("outbox");
    let mailer = outbox::Mailer::from_url(&format!("file://{}", folder.display())).unwrap();
    let from = "ESEA <notification@esea-na.fr>".parse().unwrap();
    assert_eq!(outbox::deliver_due(&app.store, &mailer, &from, app.now()).await.unwrap(), 1);
    let (to, subject, text, html, sent): (String, String, String, String, Option<i64>) = sqlx::query_as(
        "SELECT recipient, subject, text_body, html_body, sent_at FROM outbox WHERE sent_at IS NOT NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((to.as_str(), text.as_str(), html.as_str()), ("cecile.sage@exemple.fr", "", ""));
    assert!(subject.contains("Confirmez") && sent.is_some());
    let eml = std::fs::read_dir(&folder).unwrap().flatten().next().unwrap().path();
    assert!(std::fs::read_to_string(eml).unwrap().contains("/confirmer#"), "the message itself left whole");

    // The request lives on (in review): it is not purged, and its email's metadata stays with it.
    assert_eq!(confirm(app, &token).await.0, StatusCode::OK);
    // Operators' sessions ended long ago and journal lines past a year go; the recent stay.
    operators::add(&app.store, "agent.esea", "un mot de passe solide", "un mot de passe solide", app.now())
        .await
        .unwrap()
        .unwrap();
    let now = app.now();
    for (id, created, seen) in [("ancienne", now - 13 * 3600, now - 13 * 3600), ("courante", now - 60, now - 10)] {
        sqlx::query("INSERT INTO sessions_operateur (id_hash, login, csrf, cree_le, vu_le) VALUES ($1, 'agent.esea', 'x', $2, $3)")
            .bind(id)
            .bind(created)
            .bind(seen)
            .execute(&app.db)
            .await
            .unwrap();
    }
    operators::audit(&app.db, "agent.esea", "connexion", "", now - 366 * DAY).await.unwrap();
    let purged = lifecycle::purge(&app.store, now).await.unwrap();
    assert_eq!((purged.sessions, purged.journal, purged.jobs), (1, 1, 0));
    let sessions: Vec<String> =
        sqlx::query_scalar("SELECT id_hash FROM sessions_operateur").fetch_all(&app.db).await.unwrap();
    assert_eq!(sessions, ["courante"]);
    let journal = operators::audit_lines(&app.store, 10).await.unwrap();
    assert!(journal.iter().all(|l| l.at > now - 365 * DAY) && !journal.is_empty(), "{journal:?}");
    // A done job is kept 30 days, then goes; the email's metadata stays with its request.
    assert_eq!(lifecycle::purge(&app.store, now + 29 * DAY).await.unwrap().jobs, 0);
    assert_eq!(lifecycle::purge(&app.store, now + 31 * DAY).await.unwrap().jobs, 1);
    let (emails,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox").fetch_one(&app.db).await.unwrap();
    assert_eq!(emails, 2, "the confirmation email's record and the review's email, not sent yet");
}
