//! Confirmation: what happens next, the procedure's general recommendations and the support contact.
use crate::{
    layout::{Progress, RECAP},
    router::redirect,
    state::use_wizard,
};
use leptos::prelude::*;
use promess_core::config::{SUPPORT_EMAIL, SUPPORT_PHONE};

#[component]
pub fn Confirmation() -> impl IntoView {
    let wizard = use_wizard();
    let Some(accepted) = wizard.accepted.get_untracked() else {
        return redirect(RECAP);
    };
    let email = wizard.draft.with_untracked(|d| d.email.trim().to_owned());
    view! {
        <Progress current=None title="Votre demande d'adhésion est enregistrée".to_owned() />
        <dl class="resultat">
            <dt>"Identifiant"</dt><dd>{accepted.identifiant}</dd>
            <dt>"Adresse de messagerie sécurisée"</dt><dd>{accepted.adresse}</dd>
        </dl>
        <p>
            "Un email de confirmation, « [Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion », va vous être envoyé à votre adresse non sécurisée "
            <strong>{email}</strong>
            ". Il rappelle votre identifiant ; pour le mot de passe, utilisez celui que vous avez saisi lors de votre inscription."
        </p>
        <p>"Dès réception du mail de confirmation, vous pouvez accéder à votre boîte de messagerie sécurisée."</p>
        <h2>"Recommandations générales"</h2>
        <p>"Pour des raisons de sécurité, n'oubliez pas de vous déconnecter et de fermer votre navigateur lorsque vous avez fini d'accéder aux services sécurisés."</p>
        <h3>"Rappel"</h3>
        <p>
            "Les professionnels habilités utilisant la messagerie sécurisée de santé ont la qualité de responsable de traitement. A ce titre, "
            <strong>"tout utilisateur de la messagerie sécurisée ESEA doit tenir un registre des activités de traitement recensant tous les traitements mis en œuvre dans le cadre de son activité"</strong>
            ", notamment : celui que vous utilisez pour le suivi des patients (les dossiers « patients ») mais aussi ceux résultant de l'utilisation de la messagerie électronique sécurisée ou d'un dispositif de télémédecine, etc."
        </p>
        <p>"Si besoin, ESEA peut fournir un modèle de fiche registre pour la messagerie sécurisée."</p>
        <p>"Les utilisateurs de la messagerie sécurisée de santé ont également l'obligation d'en informer leurs patients. Cela peut être fait via un affichage dans la salle d'attente du cabinet ou autre lieu d'exercice. ESEA peut fournir une affiche au format pdf à la demande."</p>
        <h2>"Assistance technique"</h2>
        <p>
            <a href=format!("tel:{}", SUPPORT_PHONE.replace(' ', ""))>{SUPPORT_PHONE}</a>
            " – "
            <a href=format!("mailto:{SUPPORT_EMAIL}")>{SUPPORT_EMAIL}</a>
        </p>
    }
    .into_any()
}
