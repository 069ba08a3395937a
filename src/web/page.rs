//! Page rendering: the shared layout, the generic message page, and the one place that turns
//! [`ErrorPage`] markers into real pages in the person's language.
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::config::SupportContact;
use crate::domain::practice::PracticeContact;
use crate::domain::wizard::{Plan, Step};
use crate::error::{AppResult, ErrorPage};
use crate::state::AppState;
use crate::web::i18n::{Lang, Texts, fill};
use crate::web::text::TextProblem;

/// What every page's frame needs.
pub struct Layout {
    pub lang: Lang,
    pub t: &'static Texts,
    pub title: String,
    pub support: SupportContact,
    /// "Schritt 2 von 5" on wizard pages.
    pub progress: Option<String>,
    /// On pages for signed-in people: the header's links, the current one marked.
    pub nav: Option<Nav>,
    /// Guests' pages name their practice (when known) instead of the operator's support.
    pub for_guests: bool,
    pub practice: Option<PracticeContact>,
}

/// The header of a signed-in page: Termine, Kontakte, Profil (Support for staff), Abmelden.
pub struct Nav {
    /// `termine`, `kontakte`, `profil`, `support` or `start`: the section this page belongs to.
    pub current: &'static str,
    pub staff: bool,
}

impl Layout {
    pub fn new(state: &AppState, lang: Lang, title: impl Into<String>) -> Self {
        Layout {
            lang,
            t: lang.texts(),
            title: title.into(),
            support: state.config.support.clone(),
            progress: None,
            nav: None,
            for_guests: false,
            practice: None,
        }
    }

    /// A page for guests: their contact is the practice (`None` where no appointment is known yet).
    pub fn for_guests(mut self, practice: Option<&PracticeContact>) -> Self {
        self.for_guests = true;
        self.practice = practice.cloned();
        self
    }

    /// A page for a signed-in person, in the section `current` (see [`Nav`]); `staff` adds "Support".
    pub fn signed_in(mut self, current: &'static str, staff: bool) -> Self {
        self.nav = Some(Nav { current, staff });
        self
    }

    /// A wizard page: in the account's language, with where the person is in their edition's steps.
    pub fn step(state: &AppState, lang: Lang, plan: &Plan, step: Step, title: &str) -> Self {
        let (n, m) = plan.position(step);
        let mut layout = Layout::new(state, lang, title);
        layout.progress = Some(fill(layout.t.step_of, &[("n", &n.to_string()), ("m", &m.to_string())]));
        layout
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
}

/// A link-like action on a message page.
pub struct Action {
    pub href: String,
    pub label: &'static str,
}

/// A page that explains a situation and what to do next (link outcomes, errors, confirmations).
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub text: String,
    pub next: String,
    pub action: Option<Action>,
    /// Seconds after which the page loads itself again (it changes then; no script needed).
    pub reload_after: Option<i64>,
}

impl MessagePage {
    pub fn new(layout: Layout, text: String, next: &str, action: Option<Action>) -> Self {
        MessagePage { layout, text, next: next.to_owned(), action, reload_after: None }
    }
}

pub fn render(status: StatusCode, template: &impl Template) -> AppResult<Response> {
    Ok((status, Html(template.render()?)).into_response())
}

pub fn message(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: String,
    next: &str,
    action: Option<Action>,
) -> AppResult<Response> {
    let page = MessagePage::new(Layout::new(state, lang, title), text, next, action);
    render(status, &page)
}

/// Turns every error marker (and the bare answers of the tower layers) into the page in the visitor's
/// language, or, under `/api/`, into problem+json (in German, like the rest of the API).
pub async fn render_error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let lang = if api { Lang::De } else { Lang::from_headers(request.headers()) };
    let response = next.run(request).await;
    let marked = response.extensions().get::<ErrorPage>().copied();
    let Some(page) = marked.or_else(|| ErrorPage::for_bare(response.status())) else {
        return response;
    };
    let t = lang.texts();
    let max = crate::web::text::MAX_CHARS.to_string();
    let (title, text) = match page {
        ErrorPage::BadRequest => (t.err_bad_request_title, t.err_bad_request_text),
        ErrorPage::InvalidText(problem) => (
            t.err_invalid_text_title,
            match problem {
                TextProblem::Control => t.err_invalid_text_control,
                TextProblem::Invisible => t.err_invalid_text_invisible,
                TextProblem::TooLong { .. } => t.err_invalid_text_long,
            },
        ),
        ErrorPage::CrossOrigin => (t.err_cross_origin_title, t.err_cross_origin_text),
        ErrorPage::Forbidden => (t.err_forbidden_title, t.err_forbidden_text),
        ErrorPage::NotFound => (t.err_not_found_title, t.err_not_found_text),
        ErrorPage::TooManyRequests => (t.err_too_many_title, t.err_too_many_text),
        ErrorPage::Internal => (t.err_internal_title, t.err_internal_text),
        ErrorPage::Unavailable => (t.err_unavailable_title, t.err_unavailable_text),
        ErrorPage::Timeout => (t.err_timeout_title, t.err_timeout_text),
        ErrorPage::TooLarge => (t.err_too_large_title, t.err_too_large_text),
    };
    let text = fill(text, &[("max", &max)]);
    let (mut parts, _) = response.into_parts();
    // The new body has a length of its own.
    parts.headers.remove(header::CONTENT_LENGTH);
    if api {
        let (problem_parts, body) = crate::web::problem::json(parts.status, title, &text).into_parts();
        parts.headers.extend(problem_parts.headers);
        return Response::from_parts(parts, body);
    }
    match message(&state, lang, parts.status, title, text, "", None) {
        Ok(rendered) => {
            let (rendered_parts, body) = rendered.into_parts();
            parts.headers.extend(rendered_parts.headers);
            Response::from_parts(parts, body)
        }
        Err(_) => (parts.status, title).into_response(),
    }
}
