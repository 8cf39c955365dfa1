//! The communes of the typed postal code, fetched lazily from `/communes/NN.txt` (scripts/communes): nothing of
//! it weighs on the first paint, and the wizard works without it (Ville is then typed).
use crate::api;
use leptos::{prelude::*, task::spawn_local};
use promess_core::{
    Draft,
    commune::{self, Commune},
    postal::PostalCode,
};

/// Where the files are, relative to the app's origin.
const BASE: &str = "/communes/";

#[derive(Clone, Debug, PartialEq)]
pub enum Communes {
    /// No valid postal code yet.
    NoCode,
    Loading,
    /// The communes of the code, in the file's order (at least one).
    Found(Vec<Commune>),
    /// The data has no commune for this code (e.g. a CEDEX code).
    NoneKnown,
    /// The data could not be loaded.
    Unavailable,
}

impl Communes {
    /// What to tell the user under the postal code, if anything.
    pub fn status(&self) -> Option<String> {
        match self {
            Communes::Found(list) if list.len() > 1 => {
                Some(format!("{} communes ont ce code postal : choisissez la vôtre dans la liste Ville.", list.len()))
            }
            Communes::NoneKnown => Some(
                "Aucune commune connue pour ce code postal : vérifiez-le, ou saisissez la ville (code CEDEX par exemple)."
                    .into(),
            ),
            Communes::Unavailable => {
                Some("La liste des communes n'a pas pu être chargée : saisissez la ville vous-même.".into())
            }
            _ => None,
        }
    }
}

/// The communes of the draft's postal code, loaded when the code changes file.
pub fn communes(draft: RwSignal<Draft>) -> Memo<Communes> {
    let code = Memo::new(move |_| draft.with(|d| PostalCode::parse(&d.code_postal).ok()));
    let file = Memo::new(move |_| code.with(|c| c.as_ref().map(|c| commune::file_of(c).to_owned())));
    // The file's text as loaded: (file, None = no such file); a plain task rather than a resource (lighter wasm).
    let loaded: RwSignal<Option<(String, Result<Option<String>, ()>)>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(f) = file.get() {
            spawn_local(async move {
                let text = api::text(&format!("{BASE}{f}.txt")).await;
                // Only the answer for the file still wanted.
                if file.with_untracked(|now| now.as_deref() == Some(f.as_str())) {
                    loaded.set(Some((f, text)));
                }
            });
        }
    });
    Memo::new(move |_| {
        let Some(code) = code.get() else { return Communes::NoCode };
        loaded.with(|loaded| match loaded {
            // Still loading, or the answer for another file.
            None => Communes::Loading,
            Some((f, _)) if f != commune::file_of(&code) => Communes::Loading,
            Some((_, Err(()))) => Communes::Unavailable,
            Some((_, Ok(None))) => Communes::NoneKnown,
            Some((_, Ok(Some(text)))) => match commune::communes_of(text, &code) {
                list if list.is_empty() => Communes::NoneKnown,
                list => Communes::Found(list),
            },
        })
    })
}

/// The département shown for the draft: the chosen commune's (a postal code may cross a border), else the one the
/// postal code itself tells.
pub fn departement(communes: &Communes, d: &Draft) -> String {
    let of_commune = match communes {
        Communes::Found(list) => commune::find(list, &d.ville).map(|c| c.departement),
        _ => None,
    };
    of_commune
        .or_else(|| PostalCode::parse(&d.code_postal).ok().and_then(|p| p.departement()))
        .map(|dep| dep.to_string())
        .unwrap_or_default()
}
