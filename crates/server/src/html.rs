//! The frame of the server's own HTML pages (the operator's console, the professional's account space): French,
//! a skip link, the site's banner, then the page's header and content.
use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use maud::{DOCTYPE, Markup, html};

/// A whole page: `title` in the tab (after it, `site`), the stylesheet, the banner's `header` and the `main` content.
pub fn page(status: StatusCode, title: &str, site: &str, stylesheet: &str, header: Markup, main: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (site) }
                link rel="stylesheet" href=(stylesheet);
            }
            body {
                a.evitement href="#contenu" { "Aller au contenu" }
                header { (header) }
                main id="contenu" { (main) }
            }
        }
    };
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response()
}
