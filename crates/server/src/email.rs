//! The emails of a registration's life, in plain text and HTML from one description. They never hold a password.
use promess_core::{
    config::{SUPPORT_EMAIL, SUPPORT_PHONE},
    lifecycle::RefusalReason,
    nos,
};

const SERVICE: &str = "Messagerie sécurisée Nouvelle-Aquitaine";

/// Which email.
pub enum Kind<'a> {
    /// The first one: confirm your address with this link (48 h).
    ConfirmEmail { link: &'a str },
    /// The procedure's acceptance email: identifier and webmail.
    Accepted { webmail: &'a str },
    /// The email is confirmed; the request is checked by the operator.
    InReview,
    /// An operator refused, with a reason.
    Refused { reason: RefusalReason, detail: &'a str },
    /// A forgotten password: this link (30 minutes, once) to choose a new one.
    PasswordReset { link: &'a str },
    /// The password was changed (by the professional, after their second factor).
    PasswordChanged,
    /// To the new notification address: confirm it with this link (signed in to the account).
    NewAddress { link: &'a str },
    /// To the old notification address: the notifications now go to `new`.
    AddressChanged { new: &'a str },
    /// The account is closed: by its professional (no reason) or by the operator (a reason).
    Closed { reason: Option<&'a str> },
    /// The lost second factor's request, decided by the operator: accepted (`None`) or refused with a reason.
    FactorLoss { refused: Option<&'a str> },
}

/// One email to one professional.
pub struct Email<'a> {
    /// TRE_G03 code (22 Madame, 31 Monsieur) or TRE_R11 civilité d'exercice (DR Docteur, PR Professeur…).
    pub civilite: &'a str,
    pub identifiant: &'a str,
    pub kind: Kind<'a>,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A piece of a paragraph.
#[derive(Clone)]
enum Span {
    Text(String),
    Strong(String),
    Link(String),
}

/// A paragraph, or a list of them.
enum Block {
    P(Vec<Span>),
    List(Vec<Vec<Span>>),
}

use Span::{Link, Strong, Text};

fn t(s: impl Into<String>) -> Span {
    Text(s.into())
}

fn p(spans: Vec<Span>) -> Block {
    Block::P(spans)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn contact() -> Vec<Span> {
    vec![t("l'assistance technique au "), t(SUPPORT_PHONE), t(" ou à "), t(SUPPORT_EMAIL), t(".")]
}

impl Email<'_> {
    fn subject(&self) -> String {
        let what = match self.kind {
            Kind::ConfirmEmail { .. } => "Confirmez votre adresse électronique",
            Kind::Accepted { .. } => "Votre demande d'adhésion",
            Kind::InReview => "Votre demande d'adhésion est en cours de vérification",
            Kind::Refused { .. } => "Votre demande d'adhésion n'a pas été acceptée",
            Kind::PasswordReset { .. } => "Réinitialisation de votre mot de passe",
            Kind::PasswordChanged => "Votre mot de passe a été changé",
            Kind::NewAddress { .. } => "Confirmez votre nouvelle adresse de notification",
            Kind::AddressChanged { .. } => "Votre adresse de notification a été changée",
            Kind::Closed { .. } => "Votre compte de messagerie sécurisée est fermé",
            Kind::FactorLoss { refused: None } => "Votre nouveau second facteur : demande acceptée",
            Kind::FactorLoss { refused: Some(_) } => "Votre demande de nouveau second facteur n'a pas été acceptée",
        };
        format!("[{SERVICE}] {what}")
    }

    fn blocks(&self) -> Vec<Block> {
        let id = || Strong(self.identifiant.to_owned());
        match &self.kind {
            Kind::ConfirmEmail { link } => vec![
                p(vec![
                    t(format!("Nous avons bien reçu votre demande d'adhésion à {SERVICE} (identifiant : ")),
                    id(),
                    t(")."),
                ]),
                p(vec![t(
                    "Pour la poursuivre, confirmez votre adresse électronique : ouvrez le lien suivant, puis cliquez sur « Confirmer mon adresse électronique ».",
                )]),
                p(vec![Link(link.to_string())]),
                p(vec![t(
                    "Ce lien est valable 48 heures à compter de votre demande. Passé ce délai, votre demande sera supprimée.",
                )]),
                p(vec![t(
                    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : elle sera supprimée sans suite.",
                )]),
            ],
            Kind::Accepted { webmail } => vec![
                p(vec![t(format!("Félicitations, votre demande d'adhésion à {SERVICE} a été acceptée."))]),
                p(vec![t("Voici vos identifiants de connexion :")]),
                Block::List(vec![
                    vec![t("Identifiant : "), id()],
                    vec![t("Mot de passe : utilisez celui que vous avez saisi lors de votre inscription.")],
                ]),
                p(vec![t("Vous pouvez vous connecter à ce service en cliquant sur le lien suivant :")]),
                p(vec![Link(webmail.to_string())]),
                p(vec![t("Nous sommes à votre disposition pour toute aide et tout renseignement complémentaire.")]),
            ],
            Kind::InReview => vec![
                p(vec![
                    t("Votre adresse électronique est confirmée. Votre demande d'adhésion (identifiant : "),
                    id(),
                    t(
                        ") est en cours de vérification par nos services auprès de l'annuaire national des professionnels de santé.",
                    ),
                ]),
                p(vec![t(
                    "Vous recevrez un email dès qu'elle aura été acceptée. Votre boîte de messagerie sécurisée sera alors accessible avec le mot de passe que vous avez saisi lors de votre inscription.",
                )]),
                p([vec![t("Pour toute question, contactez ")], contact()].concat()),
            ],
            Kind::Refused { reason, detail } => vec![
                p(vec![
                    t(format!("Votre demande d'adhésion à {SERVICE} (identifiant : ")),
                    id(),
                    t(") n'a pas pu être acceptée."),
                ]),
                p(vec![t("Motif : "), Strong(reason.label().to_owned()), t(".")]),
                p(vec![t(detail.to_string())]),
                p([vec![t("Si vous pensez qu'il s'agit d'une erreur, ou pour toute question, contactez ")], contact()]
                    .concat()),
            ],
            Kind::PasswordReset { link } => vec![
                p(vec![
                    t("Une réinitialisation du mot de passe de votre compte (identifiant : "),
                    id(),
                    t(") a été demandée."),
                ]),
                p(vec![t(
                    "Pour choisir un nouveau mot de passe, ouvrez le lien suivant : votre second facteur (clé d'accès, application d'authentification ou code de secours) vous sera demandé.",
                )]),
                p(vec![Link(link.to_string())]),
                p(vec![t("Ce lien est valable 30 minutes et ne sert qu'une fois.")]),
                p([vec![t("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé. En cas de doute, contactez ")], contact()].concat()),
            ],
            Kind::PasswordChanged => vec![
                p(vec![t("Le mot de passe de votre compte (identifiant : "), id(), t(") vient d'être changé.")]),
                p(vec![t(
                    "Toutes vos sessions ont été fermées. Le nouveau mot de passe sert aussi à votre logiciel de messagerie, dès qu'il est enregistré dans la messagerie (quelques instants).",
                )]),
                p([vec![t("Si vous n'êtes pas à l'origine de ce changement, contactez sans attendre ")], contact()].concat()),
            ],
            Kind::NewAddress { link } => vec![
                p(vec![
                    t("Vous avez demandé que les notifications de votre compte (identifiant : "),
                    id(),
                    t(") soient envoyées à cette adresse."),
                ]),
                p(vec![t("Pour la confirmer, ouvrez le lien suivant, connecté à votre compte, puis cliquez sur « Confirmer ma nouvelle adresse » :")]),
                p(vec![Link(link.to_string())]),
                p(vec![t("Ce lien est valable 48 heures et ne sert qu'une fois. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.")]),
            ],
            Kind::AddressChanged { new } => vec![
                p(vec![
                    t("Les notifications de votre compte (identifiant : "),
                    id(),
                    t(") sont désormais envoyées à "),
                    Strong(new.to_string()),
                    t(". Cette adresse-ci n'en recevra plus."),
                ]),
                p([vec![t("Si vous n'êtes pas à l'origine de ce changement, contactez sans attendre ")], contact()].concat()),
            ],
            Kind::Closed { reason } => {
                let mut blocks = vec![p(vec![
                    t(format!("Votre compte de {SERVICE} (identifiant : ")),
                    id(),
                    t(") est fermé : sa boîte aux lettres est supprimée de la messagerie et aucun mot de passe ne l'ouvre plus."),
                ])];
                if let Some(reason) = reason {
                    blocks.push(p(vec![t("Motif de la fermeture par l'opérateur : "), Strong(reason.to_string()), t(".")]));
                }
                blocks.push(p(vec![t("Votre identifiant et votre adresse de messagerie ne seront attribués à personne d'autre.")]));
                blocks.push(p([vec![t("Pour toute question, contactez ")], contact()].concat()));
                blocks
            }
            Kind::FactorLoss { refused: None } => vec![
                p(vec![
                    t("Votre demande de nouveau second facteur pour votre compte (identifiant : "),
                    id(),
                    t(") a été acceptée après vérification de votre identité."),
                ]),
                p(vec![t(
                    "Connectez-vous à votre compte avec votre mot de passe : vous configurerez alors votre nouveau second facteur et recevrez de nouveaux codes de secours.",
                )]),
                p([vec![t("Si vous n'êtes pas à l'origine de cette demande, contactez sans attendre ")], contact()].concat()),
            ],
            Kind::FactorLoss { refused: Some(reason) } => vec![
                p(vec![
                    t("Votre demande de nouveau second facteur pour votre compte (identifiant : "),
                    id(),
                    t(") n'a pas été acceptée."),
                ]),
                p(vec![t("Motif : "), Strong(reason.to_string()), t(".")]),
                p([vec![t("Pour toute question, contactez ")], contact()].concat()),
            ],
        }
    }

    pub fn render(&self) -> Rendered {
        let salutation = match nos::find(nos::CIVILITE_TABLES, self.civilite) {
            Some(civilite) => format!("Bonjour {}", civilite.label),
            None => "Bonjour".to_owned(),
        };
        let blocks = self.blocks();
        let spans_text = |spans: &[Span]| -> String {
            spans
                .iter()
                .map(|s| match s {
                    Text(x) | Strong(x) | Link(x) => x.as_str(),
                })
                .collect()
        };
        let spans_html = |spans: &[Span]| -> String {
            spans
                .iter()
                .map(|s| match s {
                    Text(x) => escape(x),
                    Strong(x) => format!("<strong>{}</strong>", escape(x)),
                    Link(x) => format!("<a href=\"{0}\">{0}</a>", escape(x)),
                })
                .collect()
        };
        let mut text = format!("{salutation},\n\n");
        let mut html = format!("<!doctype html><html lang=\"fr\"><body><p>{},</p>", escape(&salutation));
        for block in &blocks {
            match block {
                Block::P(spans) => {
                    text += &format!("{}\n\n", spans_text(spans));
                    html += &format!("<p>{}</p>", spans_html(spans));
                }
                Block::List(items) => {
                    html += "<ul>";
                    for item in items {
                        text += &format!("- {}\n", spans_text(item));
                        html += &format!("<li>{}</li>", spans_html(item));
                    }
                    text += "\n";
                    html += "</ul>";
                }
            }
        }
        text += &format!(
            "Cordialement,\n\n\
             L'Assistance Technique ESEA\n\
             GIP ESEA Nouvelle-Aquitaine - Siège\n180, rue Guillaume Leblanc\n33000 BORDEAUX\n\
             Tél. : {SUPPORT_PHONE}\nCourriel : {SUPPORT_EMAIL}\n"
        );
        html += &format!(
            "<p>Cordialement,</p>\
             <p>L'Assistance Technique ESEA<br>GIP ESEA Nouvelle-Aquitaine - Siège<br>180, rue Guillaume Leblanc<br>\
             33000 BORDEAUX<br>Tél. : {SUPPORT_PHONE}<br>Courriel : <a href=\"mailto:{SUPPORT_EMAIL}\">{SUPPORT_EMAIL}</a></p>\
             </body></html>"
        );
        Rendered { subject: self.subject(), text, html }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(civilite: &'static str, identifiant: &'static str, kind: Kind<'static>) -> Rendered {
        Email { civilite, identifiant, kind }.render()
    }

    #[test]
    fn the_procedure_s_acceptance_email() {
        let r = email("22", "cecile.sage", Kind::Accepted { webmail: "https://mail.sante-na.fr/" });
        assert_eq!(r.subject, "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion");
        assert!(r.text.starts_with("Bonjour Madame,"));
        assert!(r.text.contains("a été acceptée"));
        assert!(r.text.contains("- Identifiant : cecile.sage\n"));
        assert!(r.text.contains("utilisez celui que vous avez saisi lors de votre inscription"));
        assert!(r.text.contains("https://mail.sante-na.fr/") && r.text.contains("05 64 090 090"));
        assert!(r.html.contains("<strong>cecile.sage</strong>"));
        let m = email("31", "a<b", Kind::Accepted { webmail: "https://w/" });
        assert!(m.text.starts_with("Bonjour Monsieur,"));
        assert!(m.html.contains("a&lt;b") && !m.html.contains("a<b"), "HTML is escaped");
        let dr = email("DR", "a", Kind::Accepted { webmail: "https://w/" });
        assert!(dr.text.starts_with("Bonjour Docteur,") && dr.html.contains("<p>Bonjour Docteur,</p>"));
    }

    #[test]
    fn the_other_emails_say_what_happens_next() {
        let link = "https://inscription.sante-na.fr/confirmer#abc";
        let c = email("22", "cecile.sage", Kind::ConfirmEmail { link });
        assert!(c.subject.ends_with("Confirmez votre adresse électronique"));
        assert!(c.text.contains(link) && c.html.contains(&format!("<a href=\"{link}\">")));
        assert!(c.text.contains("48 heures") && !c.text.contains("acceptée"));
        let v = email("22", "cecile.sage", Kind::InReview);
        assert!(v.text.contains("en cours de vérification") && v.text.contains("05 64 090 090"));
        let detail = "Aucun professionnel <b>n'a</b> ce numéro.";
        let r = email("22", "cecile.sage", Kind::Refused { reason: RefusalReason::NumeroIntrouvable, detail });
        assert!(r.text.contains("Motif : Numéro RPPS ou ADELI introuvable") && r.text.contains(detail));
        assert!(r.html.contains("&lt;b&gt;") && r.text.contains("ou à "));
    }
}
