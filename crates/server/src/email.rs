//! The confirmation email of the procedure, in plain text and HTML. It never holds the password.
use promess_core::{
    config::{SUPPORT_EMAIL, SUPPORT_PHONE},
    nos,
};

pub const SUBJECT: &str = "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion";

/// What the email says, filled in for one registration.
pub struct Confirmation<'a> {
    /// TRE_G03 code (22 Madame, 31 Monsieur) or TRE_R11 civilité d'exercice (DR Docteur, PR Professeur…).
    pub civilite: &'a str,
    pub identifiant: &'a str,
    pub webmail: &'a str,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn render(c: &Confirmation) -> Rendered {
    let salutation = match nos::find(nos::CIVILITE_TABLES, c.civilite) {
        Some(civilite) => format!("Bonjour {}", civilite.label),
        None => "Bonjour".to_owned(),
    };
    let text = format!(
        "{salutation},\n\n\
         Félicitations, votre demande d'adhésion à Messagerie sécurisée Nouvelle-Aquitaine a été acceptée.\n\n\
         Voici vos identifiants de connexion :\n\
         - Identifiant : {id}\n\
         - Mot de passe : utilisez celui que vous avez saisi lors de votre inscription.\n\n\
         Vous pouvez vous connecter à ce service en cliquant sur le lien suivant :\n{webmail}\n\n\
         Nous sommes à votre disposition pour toute aide et tout renseignement complémentaire.\n\n\
         Cordialement,\n\n\
         L'Assistance Technique ESEA\n\
         GIP ESEA Nouvelle-Aquitaine - Siège\n180, rue Guillaume Leblanc\n33000 BORDEAUX\n\
         Tél. : {SUPPORT_PHONE}\nCourriel : {SUPPORT_EMAIL}\n",
        id = c.identifiant,
        webmail = c.webmail,
    );
    let html = format!(
        "<!doctype html><html lang=\"fr\"><body>\
         <p>{salutation},</p>\
         <p>Félicitations, votre demande d'adhésion à Messagerie sécurisée Nouvelle-Aquitaine a été acceptée.</p>\
         <p>Voici vos identifiants de connexion :</p>\
         <ul><li>Identifiant : <strong>{id}</strong></li>\
         <li>Mot de passe : utilisez celui que vous avez saisi lors de votre inscription.</li></ul>\
         <p>Vous pouvez vous connecter à ce service en cliquant sur le lien suivant : \
         <a href=\"{webmail}\">{webmail}</a></p>\
         <p>Nous sommes à votre disposition pour toute aide et tout renseignement complémentaire.</p>\
         <p>Cordialement,</p>\
         <p>L'Assistance Technique ESEA<br>GIP ESEA Nouvelle-Aquitaine - Siège<br>180, rue Guillaume Leblanc<br>\
         33000 BORDEAUX<br>Tél. : {SUPPORT_PHONE}<br>Courriel : <a href=\"mailto:{SUPPORT_EMAIL}\">{SUPPORT_EMAIL}</a></p>\
         </body></html>",
        id = escape(c.identifiant),
        webmail = escape(c.webmail),
    );
    Rendered { subject: SUBJECT.to_owned(), text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_procedure_s_email() {
        let r =
            render(&Confirmation { civilite: "22", identifiant: "cecile.sage", webmail: "https://mail.sante-na.fr/" });
        assert_eq!(r.subject, "[Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion");
        assert!(r.text.starts_with("Bonjour Madame,"));
        assert!(r.text.contains("- Identifiant : cecile.sage\n"));
        assert!(r.text.contains("utilisez celui que vous avez saisi lors de votre inscription"));
        assert!(r.text.contains("https://mail.sante-na.fr/") && r.text.contains("05 64 090 090"));
        assert!(r.html.contains("<strong>cecile.sage</strong>"));
        let m = render(&Confirmation { civilite: "31", identifiant: "a<b", webmail: "https://w/" });
        assert!(m.text.starts_with("Bonjour Monsieur,"));
        assert!(m.html.contains("a&lt;b"), "HTML is escaped");
        let dr = render(&Confirmation { civilite: "DR", identifiant: "a", webmail: "https://w/" });
        assert!(dr.text.starts_with("Bonjour Docteur,") && dr.html.contains("<p>Bonjour Docteur,</p>"));
    }
}
