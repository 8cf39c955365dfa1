//! The account space's rows: an active account as its sign-in finds it, its failed sign-ins and lock, its sessions
//! (`account_sessions`), its factors' use (a TOTP step taken once, a recovery code used once) and its journal.
use super::{Store, new_id, registrations::Preuve};
use promess_core::lifecycle::Statut;

/// An active account, as its sign-in needs it.
pub struct Account {
    pub id: String,
    pub identifiant: String,
    pub password_hash: String,
    pub failures: i64,
    pub locked_until: Option<i64>,
}

/// The active account whose identifier or secure address is `login` (case ignored).
pub async fn by_login(store: &Store, login: &str) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, identifiant, password_hash, echecs_connexion, verrouille_jusqu_a FROM registrations \
         WHERE statut = $1 AND (identifiant = $2 OR LOWER(adresse) = $2)",
    )
    .bind(Statut::Active.key())
    .bind(login.trim().to_lowercase())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(id, identifiant, password_hash, failures, locked_until)| Account {
        id,
        identifiant,
        password_hash,
        failures,
        locked_until,
    }))
}

/// The account's failed sign-ins now, and its lock when they reach the limit.
pub async fn set_failures(
    store: &Store,
    id: &str,
    failures: i64,
    locked_until: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE registrations SET echecs_connexion = $1, verrouille_jusqu_a = $2 WHERE id = $3")
        .bind(failures)
        .bind(locked_until)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The active account whose identity was proven (by the card or Pro Santé Connect) with this national id.
pub async fn proven_by(
    store: &Store,
    national: &promess_core::card::NationalId,
) -> Result<Option<String>, sqlx::Error> {
    let (column, number) = match national {
        promess_core::card::NationalId::Rpps(n) => ("rpps", n),
        promess_core::card::NationalId::Adeli(n) => ("adeli", n),
    };
    sqlx::query_scalar(&format!(
        "SELECT id FROM registrations WHERE statut = $1 AND {column} = $2 \
         AND (carte_verifiee_le IS NOT NULL OR psc_verifiee_le IS NOT NULL) ORDER BY created_at LIMIT 1"
    ))
    .bind(Statut::Active.key())
    .bind(number)
    .fetch_optional(store.pool())
    .await
}

/// The account's failures and lock, read again (a second factor's check).
pub async fn failures(store: &Store, id: &str) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as("SELECT echecs_connexion, verrouille_jusqu_a FROM registrations WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
}

/// A session as its cookie finds it.
pub struct Session {
    pub registration_id: String,
    pub csrf: String,
    pub complete: bool,
    pub created_at: i64,
    pub seen_at: i64,
    /// The second factor given again at (a change allowed for a while).
    pub verified_at: Option<i64>,
    /// A forgotten password's pending session: its link's hash (never a sign-in's).
    pub reset: Option<String>,
}

pub async fn open_session(
    store: &Store,
    id_hash: &str,
    registration_id: &str,
    csrf: &str,
    complete: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_sessions (id_hash, registration_id, csrf, complete, created_at, seen_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id_hash)
    .bind(registration_id)
    .bind(csrf)
    .bind(i64::from(complete))
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn session(store: &Store, id_hash: &str) -> Result<Option<Session>, sqlx::Error> {
    type Row = (String, String, i64, i64, i64, Option<i64>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT registration_id, csrf, complete, created_at, seen_at, verified_at, reset_token_hash \
         FROM account_sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(registration_id, csrf, complete, created_at, seen_at, verified_at, reset)| Session {
        registration_id,
        csrf,
        complete: complete == 1,
        created_at,
        seen_at,
        verified_at,
        reset,
    }))
}

pub async fn touch_session(store: &Store, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends every session of the account (its lock, its password changed, its closure).
pub async fn end_sessions(store: &Store, registration_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM account_sessions WHERE registration_id = $1")
        .bind(registration_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends one session; false when it had ended already (a second use of a pending session finds it gone).
pub async fn end_session(store: &Store, id_hash: &str) -> Result<bool, sqlx::Error> {
    let gone =
        sqlx::query("DELETE FROM account_sessions WHERE id_hash = $1").bind(id_hash).execute(store.pool()).await?;
    Ok(gone.rows_affected() == 1)
}

/// The account's authenticator apps: each factor's id and secret.
pub async fn totps(store: &Store, registration_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, secret FROM account_factors WHERE registration_id = $1 AND kind = 'totp' ORDER BY created_at",
    )
    .bind(registration_id)
    .fetch_all(store.pool())
    .await
}

/// The account's passkeys and security keys: each factor's id and key (JSON).
pub async fn keys(store: &Store, registration_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, secret FROM account_factors WHERE registration_id = $1 AND kind = 'cle' ORDER BY created_at",
    )
    .bind(registration_id)
    .fetch_all(store.pool())
    .await
}

/// A key after a sign-in (its counter moved on).
pub async fn update_key(store: &Store, factor_id: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_factors SET secret = $1 WHERE id = $2 AND kind = 'cle'")
        .bind(key)
        .bind(factor_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Keeps a passkey's ceremony in its session (a new one replaces the last).
pub async fn set_ceremony(store: &Store, id_hash: &str, ceremony: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET webauthn_state = $1 WHERE id_hash = $2")
        .bind(ceremony)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Takes the session's ceremony, once: a second assertion (replayed) finds none.
pub async fn take_ceremony(store: &Store, id_hash: &str) -> Result<Option<String>, sqlx::Error> {
    let Some(ceremony): Option<Option<String>> =
        sqlx::query_scalar("SELECT webauthn_state FROM account_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(store.pool())
            .await?
    else {
        return Ok(None);
    };
    let Some(ceremony) = ceremony else { return Ok(None) };
    let taken =
        sqlx::query("UPDATE account_sessions SET webauthn_state = NULL WHERE id_hash = $1 AND webauthn_state = $2")
            .bind(id_hash)
            .bind(&ceremony)
            .execute(store.pool())
            .await?;
    Ok((taken.rows_affected() == 1).then_some(ceremony))
}

/// Takes a TOTP time step for good; false when it (or a later one) was used already: a code counts once.
pub async fn take_step(store: &Store, factor_id: &str, step: i64) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE account_factors SET last_step = $1 WHERE id = $2 AND (last_step IS NULL OR last_step < $1)",
    )
    .bind(step)
    .bind(factor_id)
    .execute(store.pool())
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Uses a recovery code (its hash); false when it is not the account's or was used already.
pub async fn use_recovery_code(
    store: &Store,
    registration_id: &str,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE registration_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(registration_id)
    .bind(hash)
    .execute(store.pool())
    .await?;
    Ok(used.rows_affected() == 1)
}

/// A line of the professional's journal (on the pool, or in the caller's transaction).
pub async fn journal(
    db: impl sqlx::AnyExecutor<'_>,
    registration_id: &str,
    event: &str,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO account_journal (id, registration_id, at, event, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(new_id()?)
        .bind(registration_id)
        .bind(now)
        .bind(event)
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

/// The journal's latest lines, newest first: (at, event, detail).
pub async fn journal_lines(
    db: impl sqlx::AnyExecutor<'_>,
    registration_id: &str,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, event, detail FROM account_journal WHERE registration_id = $1 ORDER BY at DESC, id LIMIT $2",
    )
    .bind(registration_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What the account page shows.
pub struct Overview {
    pub identifiant: String,
    pub adresse: String,
    pub email: String,
    pub preuve: Preuve,
    /// The mailbox is written to the mail system's directory.
    pub provisioned: bool,
    pub recovery_left: i64,
}

pub async fn overview(store: &Store, registration_id: &str) -> Result<Option<Overview>, sqlx::Error> {
    let row: Option<(String, String, String, Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT identifiant, adresse, email, carte_verifiee_le, psc_verifiee_le, provisioned_at FROM registrations \
         WHERE id = $1",
    )
    .bind(registration_id)
    .fetch_optional(store.pool())
    .await?;
    let Some((identifiant, adresse, email, carte, psc, provisioned)) = row else { return Ok(None) };
    let recovery_left = super::factors::recovery_left(store, registration_id).await?;
    Ok(Some(Overview {
        identifiant,
        adresse,
        email,
        preuve: Preuve::of(carte, psc),
        provisioned: provisioned.is_some(),
        recovery_left,
    }))
}

/// What an email link is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A forgotten password.
    Password,
    /// A new notification address.
    Address,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::Password => "mot_de_passe",
            Purpose::Address => "adresse",
        }
    }
}

/// Forgotten-password links an account may be sent an hour, whatever is asked.
pub const RESETS_PER_HOUR: i64 = 3;

/// A forgotten-password request for `login`, recorded with its job whether an account matches or not (the same
/// write either way).
pub async fn reset_requested(store: &Store, login: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let id = new_id()?;
    sqlx::query("INSERT INTO reset_requests (id, login, at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(login.trim().to_lowercase())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    super::jobs::enqueue_as(&mut tx, &id, super::jobs::Kind::ResetLink, now).await?;
    tx.commit().await
}

/// A request's account, in the job's transaction: its id, identifier, notification address and civility, if it
/// matches an active one and was sent fewer than `RESETS_PER_HOUR` links this hour. The login is blanked (kept no
/// longer than needed) and the account recorded.
pub async fn reset_account(
    tx: &mut sqlx::AnyConnection,
    request: &str,
    now: i64,
) -> Result<Option<(String, String, String, String)>, sqlx::Error> {
    let login: Option<String> = sqlx::query_scalar("SELECT login FROM reset_requests WHERE id = $1")
        .bind(request)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(login) = login.filter(|l| !l.is_empty()) else { return Ok(None) };
    let account: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, identifiant, email, civilite FROM registrations WHERE statut = $1 \
         AND (identifiant = $2 OR LOWER(adresse) = $2 OR LOWER(email) = $2) ORDER BY created_at LIMIT 1",
    )
    .bind(Statut::Active.key())
    .bind(&login)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query("UPDATE reset_requests SET login = '', registration_id = $1 WHERE id = $2")
        .bind(account.as_ref().map(|a| a.0.as_str()))
        .bind(request)
        .execute(&mut *tx)
        .await?;
    let Some(account) = account else { return Ok(None) };
    let (sent,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM account_tokens WHERE registration_id = $1 AND purpose = $2 AND created_at > $3",
    )
    .bind(&account.0)
    .bind(Purpose::Password.key())
    .bind(now - 3600)
    .fetch_one(&mut *tx)
    .await?;
    Ok((sent < RESETS_PER_HOUR).then_some(account))
}

/// A forgotten password's link for the account `id` (`token_hash`, until `expires_at`) and its email, in the job's
/// transaction.
pub async fn reset_link(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    link: (&str, i64),
    (recipient, email): (&str, &crate::email::Rendered),
    now: i64,
) -> Result<(), sqlx::Error> {
    insert_token(tx, link, id, Purpose::Password, None, now).await?;
    super::jobs::enqueue_email(tx, id, recipient, email, now).await?;
    journal(&mut *tx, id, "reinitialisation_demandee", "", now).await
}

async fn insert_token(
    tx: &mut sqlx::AnyConnection,
    (token_hash, expires_at): (&str, i64),
    registration_id: &str,
    purpose: Purpose,
    new_email: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, registration_id, purpose, new_email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(registration_id)
    .bind(purpose.key())
    .bind(new_email)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An email link, as its page finds it.
pub struct Token {
    pub registration_id: String,
    pub new_email: Option<String>,
}

/// The unused, unexpired link `token_hash` for `purpose`, of an active account.
pub async fn token(store: &Store, token_hash: &str, purpose: Purpose, now: i64) -> Result<Option<Token>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT t.registration_id, t.new_email FROM account_tokens t JOIN registrations r ON r.id = t.registration_id \
         WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at >= $3 AND r.statut = $4",
    )
    .bind(token_hash)
    .bind(purpose.key())
    .bind(now)
    .bind(Statut::Active.key())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(registration_id, new_email)| Token { registration_id, new_email }))
}

/// Uses a link, once: false when it was used meanwhile.
async fn use_token(tx: &mut sqlx::AnyConnection, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let used = sqlx::query("UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
    Ok(used.rows_affected() == 1)
}

/// A pending session opened by a forgotten password's link (`token_hash`): the second factor is asked next.
pub async fn open_reset_session(
    store: &Store,
    id_hash: &str,
    registration_id: &str,
    csrf: &str,
    token_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    open_session(store, id_hash, registration_id, csrf, false, now).await?;
    sqlx::query("UPDATE account_sessions SET reset_token_hash = $1 WHERE id_hash = $2")
        .bind(token_hash)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The session's second factor given again, now: a change is allowed for a while, once.
pub async fn set_verified(store: &Store, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET verified_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Takes the session's second factor given since `since`, once: false when it was not, or was taken.
pub async fn take_verified(store: &Store, id_hash: &str, since: i64) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE account_sessions SET verified_at = NULL WHERE id_hash = $1 AND verified_at IS NOT NULL \
         AND verified_at >= $2",
    )
    .bind(id_hash)
    .bind(since)
    .execute(store.pool())
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Marks a session opened by Pro Santé Connect.
pub async fn set_psc(store: &Store, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account_sessions SET psc_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// When the session was opened by Pro Santé Connect, if it was.
pub async fn psc_at(store: &Store, id_hash: &str) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<Option<i64>> = sqlx::query_scalar("SELECT psc_at FROM account_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .fetch_optional(store.pool())
        .await?;
    Ok(found.flatten())
}

/// The account's password as it is now (its argon2id hash), and its notification address and civility.
pub async fn credentials(store: &Store, id: &str) -> Result<Option<(String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT password_hash, email, civilite FROM registrations WHERE id = $1 AND statut = $2")
        .bind(id)
        .bind(Statut::Active.key())
        .fetch_optional(store.pool())
        .await
}

/// A new password (its hash), in one transaction: the link used (a reset's, once), every session ended, the
/// directory's job queued, the notification address told, the journal written. False when the link was used
/// meanwhile.
pub async fn set_password(
    store: &Store,
    id: &str,
    hash: &str,
    link: Option<&str>,
    (recipient, email): (&str, &crate::email::Rendered),
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    if let Some(link) = link
        && !use_token(&mut tx, link, now).await?
    {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE registrations SET password_hash = $1, echecs_connexion = 0, verrouille_jusqu_a = NULL WHERE id = $2",
    )
    .bind(hash)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM account_sessions WHERE registration_id = $1").bind(id).execute(&mut *tx).await?;
    super::jobs::enqueue(&mut tx, super::jobs::Kind::Password, id, now).await?;
    super::jobs::enqueue_email(&mut tx, id, recipient, email, now).await?;
    let how = if link.is_some() { "mot de passe oublié" } else { "depuis mon compte" };
    journal(&mut *tx, id, "mot_de_passe_change", how, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A new notification address asked for: its link (to that address) recorded and sent.
pub async fn new_address_requested(
    store: &Store,
    id: &str,
    new_email: &str,
    link: (&str, i64),
    email: &crate::email::Rendered,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = store.begin_write().await?;
    insert_token(&mut tx, link, id, Purpose::Address, Some(new_email), now).await?;
    super::jobs::enqueue_email(&mut tx, id, new_email, email, now).await?;
    journal(&mut *tx, id, "adresse_demandee", new_email, now).await?;
    tx.commit().await
}

/// The new notification address confirmed by its link (once): the old one told. False when the link was used
/// meanwhile.
pub async fn change_address(
    store: &Store,
    id: &str,
    link: &str,
    (new_email, old_email): (&str, &str),
    email: &crate::email::Rendered,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    if !use_token(&mut tx, link, now).await? {
        return Ok(false);
    }
    sqlx::query("UPDATE registrations SET email = $1 WHERE id = $2").bind(new_email).bind(id).execute(&mut *tx).await?;
    super::jobs::enqueue_email(&mut tx, id, old_email, email, now).await?;
    journal(&mut *tx, id, "adresse_changee", new_email, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Closes an active account, in one transaction: its state (`fermee`, by whom, why), its sessions ended, its
/// directory entry's removal queued, its professional told, the journals written. False when it was not active.
pub async fn close(
    store: &Store,
    id: &str,
    (by, reason): (&str, Option<&str>),
    (recipient, email): (&str, &crate::email::Rendered),
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let closed = sqlx::query(
        "UPDATE registrations SET statut = $1, ferme_le = $2, ferme_par = $3, motif_fermeture = $4 \
         WHERE id = $5 AND statut = $6",
    )
    .bind(Statut::Fermee.key())
    .bind(now)
    .bind(by)
    .bind(reason)
    .bind(id)
    .bind(Statut::Active.key())
    .execute(&mut *tx)
    .await?;
    if closed.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM account_sessions WHERE registration_id = $1").bind(id).execute(&mut *tx).await?;
    super::jobs::enqueue(&mut tx, super::jobs::Kind::Closure, id, now).await?;
    super::jobs::enqueue_email(&mut tx, id, recipient, email, now).await?;
    let detail = reason.map_or_else(|| "par le professionnel".to_owned(), |r| format!("par l'opérateur : {r}"));
    journal(&mut *tx, id, "fermeture", &detail, now).await?;
    super::registrations::record_event(&mut tx, id, Statut::Fermee, Some(by), reason, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// An active account, as the operator's list shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct Listed {
    pub id: String,
    pub identifiant: String,
    pub prenom: String,
    pub nom: String,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
    pub email: String,
    /// Its number is in the current import of the national directory (1), or not (0); None without an import.
    pub in_extract: Option<i64>,
}

/// The active accounts, by name; `outside`: only those whose RPPS or ADELI is not in the current import of the
/// national directory (professionals who stopped practising, or whose number changed).
pub async fn listed(store: &Store, outside: bool) -> Result<Vec<Listed>, sqlx::Error> {
    let present = "CAST(CASE WHEN NOT EXISTS (SELECT 1 FROM annuaire_imports WHERE courant = 1) THEN NULL \
         WHEN EXISTS (SELECT 1 FROM annuaire a JOIN annuaire_imports i ON i.id = a.import_id AND i.courant = 1 \
         WHERE (a.type_identifiant = '8' AND a.identifiant = r.rpps) OR (a.type_identifiant = '0' AND a.identifiant = r.adeli)) \
         THEN 1 ELSE 0 END AS BIGINT)";
    let rows: Vec<Listed> = sqlx::query_as(&format!(
        "SELECT r.id, r.identifiant, r.prenom, r.nom, r.rpps, r.adeli, r.email, {present} AS in_extract \
         FROM registrations r WHERE r.statut = $1 ORDER BY r.nom, r.prenom, r.identifiant"
    ))
    .bind(Statut::Active.key())
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().filter(|r| !outside || r.in_extract == Some(0)).collect())
}

/// A lost second factor's request for the account `id` (its password given), unless one is waiting already:
/// true when recorded.
pub async fn factor_loss_requested(store: &Store, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let waiting: Option<String> =
        sqlx::query_scalar("SELECT id FROM factor_losses WHERE registration_id = $1 AND statut = 'en_attente'")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if waiting.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO factor_losses (id, registration_id, demande_le, statut) VALUES ($1, $2, $3, 'en_attente')",
    )
    .bind(new_id()?)
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    journal(&mut *tx, id, "perte_facteur_demandee", "", now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A lost second factor's request, as the operator's list shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct FactorLoss {
    pub id: String,
    pub registration_id: String,
    pub demande_le: i64,
    pub identifiant: String,
    pub prenom: String,
    pub nom: String,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
}

/// The requests waiting for the operator, oldest first.
pub async fn factor_losses(store: &Store) -> Result<Vec<FactorLoss>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.id, f.registration_id, f.demande_le, r.identifiant, r.prenom, r.nom, r.rpps, r.adeli \
         FROM factor_losses f JOIN registrations r ON r.id = f.registration_id \
         WHERE f.statut = 'en_attente' AND r.statut = $1 ORDER BY f.demande_le",
    )
    .bind(Statut::Active.key())
    .fetch_all(store.pool())
    .await
}

/// The operator's decision on a waiting request (`refused`: its reason), in one transaction: accepted, the
/// account's factors and recovery codes removed and a new factor asked at its next sign-in; the professional told;
/// the journal written. The account's id, or None when the request was not waiting.
pub async fn decide_factor_loss(
    store: &Store,
    request: &str,
    (by, refused): (&str, Option<&str>),
    email: impl FnOnce(&str, &str) -> crate::email::Rendered,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let found: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT r.id, r.identifiant, r.email, r.civilite FROM factor_losses f JOIN registrations r \
         ON r.id = f.registration_id WHERE f.id = $1 AND f.statut = 'en_attente' AND r.statut = $2",
    )
    .bind(request)
    .bind(Statut::Active.key())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, identifiant, recipient, civilite)) = found else { return Ok(None) };
    let statut = if refused.is_some() { "refusee" } else { "acceptee" };
    sqlx::query("UPDATE factor_losses SET statut = $1, decide_par = $2, decide_le = $3, motif = $4 WHERE id = $5")
        .bind(statut)
        .bind(by)
        .bind(now)
        .bind(refused)
        .bind(request)
        .execute(&mut *tx)
        .await?;
    if refused.is_none() {
        sqlx::query("DELETE FROM account_factors WHERE registration_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE registration_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM account_sessions WHERE registration_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("UPDATE registrations SET facteur_a_refaire = 1 WHERE id = $1").bind(&id).execute(&mut *tx).await?;
    }
    super::jobs::enqueue_email(&mut tx, &id, &recipient, &email(&civilite, &identifiant), now).await?;
    let event = if refused.is_some() { "perte_facteur_refusee" } else { "perte_facteur_acceptee" };
    journal(&mut *tx, &id, event, refused.unwrap_or(""), now).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Whether the account must set a new second factor up at sign-in (its lost factors removed by the operator).
pub async fn factor_to_redo(store: &Store, id: &str) -> Result<bool, sqlx::Error> {
    let redo: i64 = sqlx::query_scalar("SELECT facteur_a_refaire FROM registrations WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await?;
    Ok(redo == 1)
}

/// The new second factor set up at sign-in: no more to redo.
pub async fn factor_redone(store: &Store, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE registrations SET facteur_a_refaire = 0 WHERE id = $1").bind(id).execute(store.pool()).await?;
    Ok(())
}
