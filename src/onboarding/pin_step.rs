//! Step "Service-PIN festlegen" (and its twin in the profile settings, "Service-PIN erneuern"). Only the
//! Argon2id hash is stored. The PIN itself travels only inside the
//! forms of this step (copy, PDF, print, confirm), each checked against the hash, so it is available
//! exactly while the step is open and nowhere afterwards.
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::accounts::progress;
use crate::accounts::{Account, changes, store};
use crate::domain::service_pin::{self, PinProblem, ServicePin};
use crate::domain::wizard::Step;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::format;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};
use crate::web::pdf::{self, Line};

#[derive(Template)]
#[template(path = "onboarding/pin_define.html")]
struct DefinePage {
    base: &'static str,
    layout: Layout,
    pin: String,
    error: Option<&'static str>,
    not_shown_again: bool,
}

#[derive(Template)]
#[template(path = "onboarding/pin_show.html")]
struct ShowPage {
    base: &'static str,
    layout: Layout,
    pin: String,
    /// The PIN in two groups, as shown.
    grouped: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "onboarding/pin_print.html")]
struct PrintPage {
    layout: Layout,
    sheet: Sheet,
}

/// What the PDF and the print page say.
struct Sheet {
    pin: String,
    rows: Vec<(&'static str, String)>,
    purpose_title: &'static str,
    purpose: &'static str,
    keep: &'static str,
}

fn sheet(state: &AppState, account: &Account, pin: &str, t: &'static Texts) -> Sheet {
    let support = &state.config.support;
    let mut contact = format!("{}, {}", support.name, support.email);
    if !support.phone.is_empty() {
        contact = format!("{contact}, {}", support.phone);
    }
    Sheet {
        pin: service_pin::grouped(pin),
        rows: vec![
            (t.pin_sheet_name, account.name.to_string()),
            (t.label_username, account.username.as_deref().unwrap_or_default().to_owned()),
            (t.pin_sheet_created, format::date_time(state.clock.now(), account.language)),
            ("Support", contact),
        ],
        purpose_title: t.pin_sheet_purpose_title,
        purpose: t.pin_sheet_purpose,
        keep: t.pin_sheet_keep,
    }
}

fn problem_text(problem: PinProblem, t: &'static Texts) -> &'static str {
    match problem {
        PinProblem::Length => t.pin_problem_length,
        PinProblem::NotDigits => t.pin_problem_digits,
        PinProblem::AllSame => t.pin_problem_same,
        PinProblem::Sequence => t.pin_problem_sequence,
        PinProblem::Repeating => t.pin_problem_repeating,
    }
}

/// Where the PIN is set: as a wizard step, or renewed in the profile settings. Same pages, same rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Wizard,
    Profile,
}

impl Place {
    fn base(self) -> &'static str {
        match self {
            Place::Wizard => "/registrierung/service-pin",
            Place::Profile => "/profil/service-pin",
        }
    }

    /// The account, if it may use this place now; otherwise where to send the request.
    async fn open(self, state: &AppState, headers: &HeaderMap) -> AppResult<Account> {
        let found = match self {
            Place::Wizard => progress::current_step(state, headers, Step::ServicePin).await?,
            Place::Profile => crate::accounts::guards::recently_confirmed(state, headers, self.base()).await?,
        };
        Ok(found.1)
    }

    fn layout(self, state: &AppState, account: &Account, title: &str) -> Layout {
        match self {
            Place::Wizard => Layout::step(state, account.language, &account.plan, Step::ServicePin, title),
            Place::Profile => Layout::new(state, account.language, title).signed_in("profil", account.is_staff()),
        }
    }

    async fn finish(self, state: &AppState, account: &Account) -> AppResult<Response> {
        match self {
            Place::Wizard => progress::advance(state, account, Step::ServicePin).await,
            // The notice went out when the new PIN was stored (`define`).
            Place::Profile => Ok(Redirect::to("/profil?geaendert=pin").into_response()),
        }
    }
}

/// The account that may use this place's pages now, as a handler argument (the place comes with the
/// routes); anyone else is sent to sign in, to confirm the password, or to their wizard step.
pub struct Opened(Place, Account);

impl axum::extract::FromRequestParts<AppState> for Opened {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> AppResult<Self> {
        let place = *parts.extensions.get::<Place>().ok_or_else(|| AppError::Internal("Route ohne Ort".into()))?;
        Ok(Opened(place, place.open(state, &parts.headers).await?))
    }
}

fn title(account: &Account) -> &'static str {
    account.language.texts().pin_title
}

/// `GET`: proposes a random PIN.
pub async fn show(State(state): State<AppState>, Opened(place, account): Opened) -> AppResult<Response> {
    let not_shown_again = place == Place::Wizard && store::pin_hash(&state.db, &account.id).await?.is_some();
    page::render(
        StatusCode::OK,
        &DefinePage {
            base: place.base(),
            layout: place.layout(&state, &account, title(&account)),
            pin: service_pin::propose(|| u32::from_le_bytes(crate::security::token::random_bytes::<4>())),
            error: None,
            not_shown_again,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinForm {
    pin: String,
}

/// `POST`: stores the hash and shows the PIN once.
pub async fn define(
    State(state): State<AppState>,
    Opened(place, account): Opened,
    StrictForm(form): StrictForm<PinForm>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let pin = match ServicePin::parse(&form.pin) {
        Ok(pin) => pin,
        Err(problem) => {
            return page::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &DefinePage {
                    base: place.base(),
                    layout: place.layout(&state, &account, title(&account)),
                    pin: form.pin,
                    error: Some(problem_text(problem, t)),
                    not_shown_again: false,
                },
            );
        }
    };
    let hash = state.hasher.hash(pin.expose().to_owned()).await?;
    changes::set_pin(&state, &account, &hash, place == Place::Profile).await?;
    tracing::info!(account = %account.id, "Service-PIN festgelegt");
    page::render(
        StatusCode::OK,
        &ShowPage {
            base: place.base(),
            layout: place.layout(&state, &account, t.pin_show_title),
            pin: pin.expose().to_owned(),
            grouped: service_pin::grouped(pin.expose()),
            error: None,
        },
    )
}

/// The PIN sent back by this step's forms must be the one whose hash is stored.
async fn verified_pin(state: &AppState, account: &Account, pin: String) -> AppResult<String> {
    let hash = store::pin_hash(&state.db, &account.id).await?;
    if hash.is_some() && state.hasher.verify(pin.clone(), hash).await? {
        Ok(pin)
    } else {
        Err(AppError::BadRequest("Service-PIN passt nicht zur gespeicherten".into()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmForm {
    pin: String,
    confirmed: Option<String>,
}

/// `POST /registrierung/service-pin/bestaetigen`: "Fortfahren" only with the box ticked.
pub async fn confirm(
    State(state): State<AppState>,
    Opened(place, account): Opened,
    StrictForm(form): StrictForm<ConfirmForm>,
) -> AppResult<Response> {
    let pin = verified_pin(&state, &account, form.pin).await?;
    if form.confirmed.as_deref() != Some("ja") {
        let t = account.language.texts();
        return page::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ShowPage {
                base: place.base(),
                layout: place.layout(&state, &account, t.pin_show_title),
                grouped: service_pin::grouped(&pin),
                pin,
                error: Some(t.pin_confirm_missing),
            },
        );
    }
    place.finish(&state, &account).await
}

/// `POST /registrierung/service-pin/pdf`: an A4 sheet, made on the server.
pub async fn pdf(
    State(state): State<AppState>,
    Opened(_, account): Opened,
    StrictForm(form): StrictForm<PinForm>,
) -> AppResult<Response> {
    let pin = verified_pin(&state, &account, form.pin).await?;
    let t = account.language.texts();
    let bytes = render_pdf(t.pin_sheet_title, &sheet(&state, &account, &pin, t));
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"service-pin.pdf\""));
    Ok(response)
}

fn render_pdf(title: &str, sheet: &Sheet) -> Vec<u8> {
    let x = 60.0;
    let mut y = pdf::A4_HEIGHT - 90.0;
    let mut lines = vec![Line { x, y, size: 18.0, bold: true, text: title.to_owned() }];
    y -= 50.0;
    for (label, value) in &sheet.rows {
        lines.push(Line { x, y, size: 11.0, bold: true, text: format!("{label}:") });
        lines.push(Line { x: x + 110.0, y, size: 11.0, bold: false, text: value.clone() });
        y -= 18.0;
    }
    y -= 20.0;
    lines.push(Line { x, y, size: 12.0, bold: true, text: "Service-PIN:".into() });
    lines.push(Line { x: x + 110.0, y: y - 6.0, size: 28.0, bold: true, text: sheet.pin.clone() });
    y -= 60.0;
    lines.push(Line { x, y, size: 12.0, bold: true, text: sheet.purpose_title.to_owned() });
    y -= 18.0;
    for paragraph in [sheet.purpose, sheet.keep] {
        for text in pdf::wrap(paragraph, 88) {
            lines.push(Line { x, y, size: 10.5, bold: false, text });
            y -= 15.0;
        }
        y -= 8.0;
    }
    pdf::a4_page(title, &lines)
}

/// `POST /registrierung/service-pin/drucken`: the same sheet as a print-friendly page.
pub async fn print(
    State(state): State<AppState>,
    Opened(_, account): Opened,
    StrictForm(form): StrictForm<PinForm>,
) -> AppResult<Response> {
    let pin = verified_pin(&state, &account, form.pin).await?;
    let t = account.language.texts();
    page::render(
        StatusCode::OK,
        &PrintPage {
            layout: Layout::new(&state, account.language, t.pin_sheet_title),
            sheet: sheet(&state, &account, &pin, t),
        },
    )
}

/// The step's routes under its place's base path; the place goes with them to the handlers' [`Opened`].
pub fn routes(place: Place) -> axum::Router<AppState> {
    use axum::routing::{get, post};
    let base = place.base();
    axum::Router::new()
        .route(base, get(show).post(define))
        .route(&format!("{base}/bestaetigen"), post(confirm))
        .route(&format!("{base}/pdf"), post(pdf))
        .route(&format!("{base}/drucken"), post(print))
        .layer(axum::Extension(place))
}
