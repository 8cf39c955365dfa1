//! A registration's life. A request is received; its email address is proven by a single-use link; it becomes an
//! account only on a proof of the person: the card's signed proof, or an operator's decision.
//!
//! ```text
//!  POST /api/registrations        email link (48 h)           card proof, number free
//!  ───────────────────▶ email_a_confirmer ──────────▶ (card?) ──────────────────────────▶ active
//!                            │ 48 h: deleted             │ no card, or number held         ▲ operator accepts
//!                            ▼                           └──────────▶ en_verification ─────┘
//!                         (purged)                                        │ operator refuses (a reason)
//!                                                                         ▼
//!                                                       refusee ── 30 days: deleted (purged)
//!
//!  active ──(the professional or an operator closes it)──▶ fermee   (kept: its identifier and address are never
//!                                                                    given to anyone else)
//! ```
use serde::{Deserialize, Serialize};

stable_codes! {
    /// Where a registration stands: its stored and wire name.
    Statut {
        EmailAConfirmer => "email_a_confirmer",
        EnVerification => "en_verification",
        Active => "active",
        Refusee => "refusee",
        Fermee => "fermee",
    }
}

/// What happens to a registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Its email link was followed. `proven`: the person was proven at registration (their card or Pro Santé
    /// Connect); `number_free`: no active account holds its RPPS/ADELI.
    EmailConfirmed { proven: bool, number_free: bool },
    /// An operator checked the person and accepts.
    Accepted,
    /// An operator refuses, with a reason.
    Refused,
    /// The account is closed, by its professional or by an operator.
    Closed,
}

impl Statut {
    /// The state after `event`, when the event may happen in this state.
    pub fn after(self, event: Event) -> Option<Statut> {
        use Statut::*;
        match (self, event) {
            (EmailAConfirmer, Event::EmailConfirmed { proven: true, number_free: true }) => Some(Active),
            (EmailAConfirmer, Event::EmailConfirmed { .. }) => Some(EnVerification),
            (EnVerification, Event::Accepted) => Some(Active),
            (EnVerification, Event::Refused) => Some(Refusee),
            (Active, Event::Closed) => Some(Fermee),
            _ => None,
        }
    }

    /// Its name for an operator.
    pub fn label(self) -> &'static str {
        match self {
            Statut::EmailAConfirmer => "Adresse électronique à confirmer",
            Statut::EnVerification => "À vérifier",
            Statut::Active => "Compte actif",
            Statut::Refusee => "Refusée",
            Statut::Fermee => "Compte fermé",
        }
    }
}

/// How long the email link is valid; an unconfirmed request is deleted after it, and its identifier freed.
pub const EMAIL_CONFIRMATION_SECS: i64 = 48 * 3600;
/// How long a refused request's data is kept by default (days) before it is deleted.
pub const REFUSED_RETENTION_DAYS: i64 = 30;
/// Emails with a link a request may be sent, the first included ("Renvoyer l'email").
pub const MAX_CONFIRMATION_EMAILS: i64 = 5;
/// Least time between two of them.
pub const RESEND_INTERVAL_SECS: i64 = 120;
/// The wizard's page that confirms an email. The link's token follows `#`, which browsers never send to a server,
/// so that it stays out of every access log; the page sends it in a POST when the button is pressed.
pub const CONFIRM_PATH: &str = "/confirmer";
/// Random bytes of an email link's token (only its hash is stored).
pub const TOKEN_BYTES: usize = 32;

/// `POST /api/confirmations`: the token of the email link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfirmation {
    pub jeton: String,
}

/// `POST /api/confirmations/renvoi`: the request's identifier and email, as the confirmation screen knows them.
/// Always answered the same way, whether a request matches or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resend {
    pub identifiant: String,
    pub email: String,
}

stable_codes! {
    /// Why an email link cannot confirm.
    TokenError {
        JetonInconnu => "jeton_inconnu",
        JetonExpire => "jeton_expire",
        JetonUtilise => "jeton_utilise",
    }
}

impl TokenError {
    /// What the professional reads, in French.
    pub fn message(self) -> &'static str {
        match self {
            TokenError::JetonInconnu => {
                "Ce lien n'est pas valide : vérifiez qu'il a été copié en entier depuis l'email, ou faites une nouvelle demande d'adhésion si la vôtre date de plus de 48 heures."
            }
            TokenError::JetonExpire => {
                "Ce lien a expiré : il était valable 48 heures. Faites une nouvelle demande d'adhésion."
            }
            TokenError::JetonUtilise => {
                "Votre adresse électronique a déjà été confirmée avec ce lien : aucune action n'est nécessaire."
            }
        }
    }
}

stable_codes! {
    /// Why an operator refuses a request (with a free text, required).
    RefusalReason {
        NumeroIntrouvable => "numero_introuvable",
        IdentiteDiscordante => "identite_discordante",
        ProfessionNonEligible => "profession_non_eligible",
        DemandeEnDouble => "demande_en_double",
        Autre => "autre",
    }
}

impl RefusalReason {
    pub fn label(self) -> &'static str {
        match self {
            RefusalReason::NumeroIntrouvable => "Numéro RPPS ou ADELI introuvable dans l'annuaire national",
            RefusalReason::IdentiteDiscordante => "Identité différente de celle de l'annuaire national",
            RefusalReason::ProfessionNonEligible => "Profession non éligible à la messagerie sécurisée de santé",
            RefusalReason::DemandeEnDouble => "Demande en double",
            RefusalReason::Autre => "Autre motif",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Event::*, Statut::*, *};

    #[test]
    fn an_account_only_on_a_proven_email_and_a_proof_of_the_person() {
        let confirmed = |proven, number_free| EmailConfirmed { proven, number_free };
        assert_eq!(EmailAConfirmer.after(confirmed(true, true)), Some(Active));
        assert_eq!(EmailAConfirmer.after(confirmed(false, true)), Some(EnVerification));
        assert_eq!(EmailAConfirmer.after(confirmed(true, false)), Some(EnVerification), "a held number: reviewed");
        assert_eq!(EmailAConfirmer.after(Accepted), None, "no decision before the email is proven");
        assert_eq!(EnVerification.after(Accepted), Some(Active));
        assert_eq!(EnVerification.after(Refused), Some(Refusee));
        for done in [Active, Refusee, Fermee] {
            for event in [confirmed(true, true), Accepted, Refused] {
                assert_eq!(done.after(event), None, "{done:?} is final");
            }
        }
        assert_eq!(Active.after(Closed), Some(Fermee), "an account is closed");
        for not_an_account in [EmailAConfirmer, EnVerification, Refusee, Fermee] {
            assert_eq!(not_an_account.after(Closed), None, "{not_an_account:?}");
        }
        assert_eq!(EnVerification.after(confirmed(true, true)), None, "a link confirms once");
    }

    #[test]
    fn wire_names_are_serde_s() {
        for s in Statut::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.key());
        }
        for e in TokenError::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.key());
            assert!(!e.message().is_empty());
        }
        for r in RefusalReason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.key());
        }
    }
}
