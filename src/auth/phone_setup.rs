//! Verifying a mobile number by SMS code, in three places with one flow: the wizard's step
//! "2-Faktor-Authentifizierung (optional)", turning 2FA on in the profile, and changing the mobile number
//! in the profile. Number → code (8 digits, 5 min, 60 s resend, 5 wrong entries) → done; "Zurück" returns to
//! the number and the code sent to it stops working; "Später aktivieren" only in the wizard.
use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::code_page::{self, CodeForm};
use super::sms_code::{self, Checked, Purpose};
use crate::accounts::progress;
use crate::accounts::session::Session;
use crate::accounts::{Account, changes, store};
use crate::domain::phone::{self, MobileNumber, PhoneProblem};
use crate::domain::wizard::Step;
use crate::error::{AppError, AppResult};
use crate::security::audit::{self, Actor, AuditEvent, Entry};
use crate::security::client_addr::ClientIp;
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::page::{self, Layout};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The wizard step: success turns 2FA on and moves to the next step.
    Wizard,
    /// Profile, "Aktivieren": success turns 2FA on.
    ProfileEnable,
    /// Profile, "Mobilfunknummer ändern": success replaces the number; the old one is told by SMS.
    ProfileChange,
}

impl Place {
    fn base(self) -> &'static str {
        match self {
            Place::Wizard => "/registrierung/zwei-faktor",
            Place::ProfileEnable => "/profil/zwei-faktor/aktivieren",
            Place::ProfileChange => "/profil/mobilnummer",
        }
    }

    async fn open(self, state: &AppState, headers: &HeaderMap) -> AppResult<(Session, Account)> {
        let found = match self {
            Place::Wizard => progress::current_step(state, headers, Step::TwoFactor).await?,
            _ => crate::accounts::guards::recently_confirmed(state, headers, self.base()).await?,
        };
        // Turning 2FA on when it is on would replace the number without telling the old one.
        if self == Place::ProfileEnable && found.1.two_factor_enabled {
            return Err(AppError::elsewhere(Redirect::to("/profil").into_response()));
        }
        Ok(found)
    }

    fn layout(self, state: &AppState, account: &Account, title: &str) -> Layout {
        match self {
            Place::Wizard => Layout::step(state, account.language, &account.plan, Step::TwoFactor, title),
            _ => Layout::new(state, account.language, title).signed_in("profil", account.is_staff()),
        }
    }

    /// The number is verified: do what this place is for.
    async fn finish(self, state: &AppState, account: &Account, number: &str) -> AppResult<Response> {
        let actor = || Actor::Account(account.id.clone());
        match self {
            Place::Wizard => {
                store::enable_two_factor(&state.db.pool, &account.id, number).await?;
                let entry = Entry::new(AuditEvent::TwoFactorEnabled, "success", actor(), Some(&account.id))
                    .detail(phone::mask(number));
                audit::record(&state.db.pool, entry, state.clock.now()).await?;
                progress::advance(state, account, Step::TwoFactor).await
            }
            Place::ProfileEnable => {
                changes::turn_on_two_factor(state, account, number).await?;
                Ok(Redirect::to("/profil?geaendert=2fa-an").into_response())
            }
            Place::ProfileChange => {
                changes::change_phone(state, account, number, actor()).await?;
                Ok(Redirect::to("/profil?geaendert=nummer").into_response())
            }
        }
    }
}

/// The session and account that may use this place's pages now, as a handler argument (the place comes
/// with the routes); anyone else is sent to sign in, to confirm the password, or to their wizard step.
pub struct Opened(Place, Session, Account);

impl axum::extract::FromRequestParts<AppState> for Opened {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> AppResult<Self> {
        let place = *parts.extensions.get::<Place>().ok_or_else(|| AppError::Internal("Route ohne Ort".into()))?;
        let (session, account) = place.open(state, &parts.headers).await?;
        Ok(Opened(place, session, account))
    }
}

#[derive(Template)]
#[template(path = "auth/phone_number.html")]
struct NumberPage {
    layout: Layout,
    base: &'static str,
    intro: &'static str,
    phone: String,
    error: Option<String>,
    /// "Später aktivieren" is offered (wizard, edition allows postponing).
    later: bool,
    required: bool,
}

fn number_page(
    state: &AppState,
    place: Place,
    account: &Account,
    phone: String,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    let (title, intro) = match place {
        Place::ProfileChange => (t.change_phone_button, t.phone_change_intro),
        _ => (t.two_factor_title, t.two_factor_intro),
    };
    page::render(
        status,
        &NumberPage {
            layout: place.layout(state, account, title),
            base: place.base(),
            intro,
            phone,
            error,
            later: place == Place::Wizard && !account.two_factor_required,
            required: place == Place::Wizard && account.two_factor_required,
        },
    )
}

async fn code_form(
    state: &AppState,
    place: Place,
    session: &Session,
    account: &Account,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let t = account.language.texts();
    let sent_to = sms_code::open_code_phone(state, &session.id_hash).await?.map(|p| phone::mask(&p));
    let wait = sms_code::seconds_until_resend(state, &account.id, Purpose::Setup).await?;
    let base = place.base();
    code_page::render(
        CodeForm {
            layout: place.layout(state, account, t.code_title),
            sent_to,
            error,
            action: format!("{base}/code"),
            resend_action: format!("{base}/neuer-code"),
            back_action: Some(format!("{base}/zurueck")),
            wait,
            not_sent: None,
        },
        status,
    )
}

/// `GET`: the code form while a code is open, otherwise the number form.
async fn show(State(state): State<AppState>, Opened(place, session, account): Opened) -> AppResult<Response> {
    if sms_code::open_code_phone(&state, &session.id_hash).await?.is_some() {
        return code_form(&state, place, &session, &account, None, StatusCode::OK).await;
    }
    let phone = sms_code::last_phone(&state, &session.id_hash).await?.unwrap_or_default();
    number_page(&state, place, &account, phone, None, StatusCode::OK)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneForm {
    phone: String,
}

async fn send(
    state: &AppState,
    session: &Session,
    account: &Account,
    number: &str,
    addr: IpAddr,
) -> AppResult<Result<(), sms_code::Refused>> {
    let request = sms_code::Request {
        account_id: &account.id,
        language: account.language,
        purpose: Purpose::Setup,
        binding: &session.id_hash,
        phone: number,
        client_addr: &addr.to_string(),
    };
    Ok(sms_code::send(state, request).await?)
}

/// `POST`: "Code senden".
async fn send_code(
    State(state): State<AppState>,
    ClientIp(addr): ClientIp,
    Opened(place, session, account): Opened,
    StrictForm(form): StrictForm<PhoneForm>,
) -> AppResult<Response> {
    let t = account.language.texts();
    let number = match MobileNumber::parse(&form.phone) {
        Ok(number) => number,
        Err(problem) => {
            let message = match problem {
                PhoneProblem::Invalid => t.phone_invalid,
                PhoneProblem::Landline => t.phone_landline,
            };
            return number_page(
                &state,
                place,
                &account,
                form.phone,
                Some(message.to_owned()),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match send(&state, &session, &account, &number, addr).await? {
        Ok(()) => Ok(Redirect::to(place.base()).into_response()),
        Err(refused) => {
            let (message, retry) = code_page::refusal(&refused, account.language, state.clock.now());
            let mut response =
                number_page(&state, place, &account, form.phone, Some(message), StatusCode::TOO_MANY_REQUESTS)?;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry));
            Ok(response)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    code: String,
}

/// `POST …/code`: the code from the SMS.
async fn verify(
    State(state): State<AppState>,
    Opened(place, session, account): Opened,
    StrictForm(form): StrictForm<CodeInput>,
) -> AppResult<Response> {
    let t = account.language.texts();
    if !code_page::looks_like_code(&form.code) {
        let error = Some(t.code_format.to_owned());
        return code_form(&state, place, &session, &account, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let checked = sms_code::check(&state, &session.id_hash, Purpose::Setup, &form.code).await?;
    if let Checked::Valid { phone } = &checked {
        return place.finish(&state, &account, phone).await;
    }
    code_form(&state, place, &session, &account, code_page::rejection(&checked, t), StatusCode::UNPROCESSABLE_ENTITY)
        .await
}

/// `POST …/neuer-code`: a new code to the same number, at the earliest 60 s after the last.
async fn resend(
    State(state): State<AppState>,
    ClientIp(addr): ClientIp,
    Opened(place, session, account): Opened,
) -> AppResult<Response> {
    let Some(number) = sms_code::last_phone(&state, &session.id_hash).await? else {
        return Ok(Redirect::to(place.base()).into_response());
    };
    match send(&state, &session, &account, &number, addr).await? {
        Ok(()) => Ok(Redirect::to(place.base()).into_response()),
        Err(refused) => {
            let (message, _) = code_page::refusal(&refused, account.language, state.clock.now());
            code_form(&state, place, &session, &account, Some(message), StatusCode::TOO_MANY_REQUESTS).await
        }
    }
}

/// `POST …/zurueck`: back to the number; the code sent to it stops working.
async fn back(State(state): State<AppState>, Opened(place, session, _): Opened) -> AppResult<Response> {
    sms_code::void_open(&state, &session.id_hash).await?;
    Ok(Redirect::to(place.base()).into_response())
}

/// `POST /registrierung/zwei-faktor/spaeter`: "Später aktivieren", unless the edition requires 2FA.
async fn later(State(state): State<AppState>, Opened(_, session, account): Opened) -> AppResult<Response> {
    if account.two_factor_required {
        return Ok(Redirect::to(Place::Wizard.base()).into_response());
    }
    sms_code::void_open(&state, &session.id_hash).await?;
    progress::advance(&state, &account, Step::TwoFactor).await
}

/// The setup's routes under its place's base path; the place goes with them to the handlers' [`Opened`].
pub fn routes(place: Place) -> Router<AppState> {
    let base = place.base();
    let router = Router::new()
        .route(base, get(show).post(send_code))
        .route(&format!("{base}/code"), post(verify))
        .route(&format!("{base}/neuer-code"), post(resend))
        .route(&format!("{base}/zurueck"), post(back));
    match place {
        Place::Wizard => router.route(&format!("{base}/spaeter"), post(later)),
        _ => router,
    }
    .layer(axum::Extension(place))
}
