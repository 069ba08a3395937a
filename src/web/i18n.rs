//! German first, English second. Every text exists in both languages side by side, checked by the compiler.
use axum::http::{HeaderMap, header};

pub use crate::domain::lang::Lang;

/// How pages find the language: the switch's cookie, the account's language, the browser's preference.
impl Lang {
    /// The visitor's own choice from the language switch (the `lang` cookie), if they made one.
    pub fn chosen(headers: &HeaderMap) -> Option<Lang> {
        crate::web::cookies::read(headers, LANG_COOKIE).and_then(|code| Lang::parse(&code))
    }

    /// For a page about an account: the visitor's choice, else the account's language.
    pub fn for_visitor(headers: &HeaderMap, account: Lang) -> Lang {
        Lang::chosen(headers).unwrap_or(account)
    }

    /// The visitor's choice (see [`Lang::chosen`]); otherwise German unless the browser prefers English.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        if let Some(chosen) = Lang::chosen(headers) {
            return chosen;
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        for part in accept.split(',') {
            let tag = part.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if tag.starts_with("de") {
                return Lang::De;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::De
    }

    pub fn texts(self) -> &'static Texts {
        of(self)
    }
}

/// The cookie that keeps the language chosen with the switch (not secret; a year).
pub const LANG_COOKIE: &str = "lang";

/// The `Set-Cookie` value for a chosen language.
pub fn lang_cookie(lang: Lang, secure: bool) -> axum::http::HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    axum::http::HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        lang.code()
    ))
    .expect("language codes are valid header values")
}

/// The `{name}` placeholders of a text.
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|part| part.split_once('}')).map(|(name, _)| name)
}

/// Replaces `{key}` placeholders in a text. A placeholder without a value is a mistake in the code that
/// calls it: the test suite (a debug build) stops there, a release build leaves the placeholder visible.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    debug_assert!(
        placeholders(text).all(|name| values.iter().any(|(key, _)| *key == name)),
        "a placeholder of {text:?} has no value among {:?}",
        values.iter().map(|(key, _)| key).collect::<Vec<_>>()
    );
    values.iter().fold(text.to_owned(), |acc, (k, v)| acc.replace(&format!("{{{k}}}"), v))
}

/// The text before and after placeholder `{key}`, for markup between them (a link in an e-mail).
pub fn around<'a>(text: &'a str, key: &str) -> (&'a str, &'a str) {
    let mark = format!("{{{key}}}");
    debug_assert!(text.contains(&mark), "{mark} is not in {text:?}");
    text.split_once(&mark).unwrap_or((text, ""))
}

/// A set of texts in both languages: `texts! { Texts, DE, EN; key: "Deutsch", "English"; … }` defines the
/// struct and its two instances (a feature with many texts keeps its own set next to its pages).
macro_rules! texts {
    ($texts:ident, $de_name:ident, $en_name:ident; $($key:ident: $de:expr, $en:expr;)*) => {
        pub struct $texts { $(pub $key: &'static str,)* }
        pub static $de_name: $texts = $texts { $($key: $de,)* };
        pub static $en_name: $texts = $texts { $($key: $en,)* };

        /// The set in one language.
        pub fn of(lang: $crate::domain::lang::Lang) -> &'static $texts {
            match lang {
                $crate::domain::lang::Lang::De => &$de_name,
                $crate::domain::lang::Lang::En => &$en_name,
            }
        }
        #[cfg(test)]
        impl $texts {
            /// Every text as (name, German, English), for the test that compares the two languages.
            pub fn all() -> Vec<(&'static str, &'static str, &'static str)> {
                vec![$((stringify!($key), $de, $en),)*]
            }
        }
    };
}
pub(crate) use texts;

texts! {
    Texts, DE, EN;
    app_name: "Sprechstunde", "Sprechstunde";
    // The SMS to a contact goes out in German, word for word as the sender sees it in the preview.
    contact_sms: "{name} möchte Sie in der Videosprechstunde erreichen.", "{name} would like to reach you in the video consultation service.";
    contact_sms_note: "Nachricht: „{note}“", "Message: “{note}”";
    sms_code: "Ihr Sprechstunde-Code lautet {code}. Er ist 5 Minuten gültig. Geben Sie ihn niemandem weiter.",
        "Your Sprechstunde code is {code}. It is valid for 5 minutes. Do not share it with anyone.";
    support_hint: "Fragen? Unser Support hilft Ihnen gerne:", "Questions? Our support team is happy to help:";
    practice_hint_guest: "Fragen zu Ihrem Termin beantwortet Ihre Praxis:", "Your practice answers questions about your appointment:";
    ask_practice_hint: "Fragen zu Ihrem Termin beantwortet Ihre Praxis. Ihre Telefonnummer steht in Ihrer Einladung.", "Your practice answers questions about your appointment. Its phone number is in your invitation.";
    your_practice: "So erreichen Sie Ihre Praxis:", "How to reach your practice:";
    practice_phone_word: "Telefon", "Phone";
    to_login: "Zur Anmeldung", "Go to sign-in";
    nav_label: "Hauptnavigation", "Main navigation";
    nav_appointments: "Termine", "Appointments";
    nav_contacts: "Kontakte", "Contacts";
    nav_profile: "Profil", "Profile";
    nav_support: "Support", "Support";

    err_bad_request_title: "Ungültige Anfrage", "Invalid request";
    err_bad_request_text: "Die Anfrage konnte nicht verarbeitet werden. Bitte laden Sie die Seite neu und versuchen Sie es erneut.",
        "The request could not be processed. Please reload the page and try again.";
    err_invalid_text_title: "Eingabe nicht möglich", "Input not accepted";
    err_invalid_text_control: "Ihre Eingabe enthält Steuerzeichen, die wir nicht verarbeiten können (sie entstehen manchmal beim Kopieren aus anderen Programmen). Bitte gehen Sie eine Seite zurück, entfernen Sie diese Zeichen und senden Sie das Formular erneut.",
        "Your input contains control characters that we cannot process (they sometimes come along when copying from other programs). Please go back one page, remove them and send the form again.";
    err_invalid_text_invisible: "Ihre Eingabe enthält unsichtbare Zeichen oder Zeichen, die die Schreibrichtung umkehren. Damit Namen für alle gleich aussehen, nehmen wir sie nicht an. Bitte gehen Sie eine Seite zurück, tippen Sie den Text neu ein und senden Sie das Formular erneut.",
        "Your input contains invisible characters or characters that reverse the writing direction. So that names look the same to everyone, we do not accept them. Please go back one page, type the text again and send the form again.";
    err_invalid_text_long: "Ihre Eingabe ist zu lang: höchstens {max} Zeichen pro Feld. Bitte gehen Sie eine Seite zurück, kürzen Sie den Text und senden Sie das Formular erneut.",
        "Your input is too long: at most {max} characters per field. Please go back one page, shorten the text and send the form again.";
    err_timeout_title: "Zeitüberschreitung", "Request timed out";
    err_timeout_text: "Die Anfrage hat zu lange gedauert und wurde abgebrochen. Bitte prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.",
        "The request took too long and was stopped. Please check your internet connection and try again.";
    err_too_large_title: "Anfrage zu groß", "Request too large";
    err_too_large_text: "Es wurden mehr Daten gesendet, als dieses Formular annimmt. Bitte gehen Sie eine Seite zurück, kürzen Sie Ihre Eingaben und senden Sie das Formular erneut.",
        "More data was sent than this form accepts. Please go back one page, shorten your input and send the form again.";
    err_cross_origin_title: "Anfrage abgelehnt", "Request refused";
    err_cross_origin_text: "Das Formular wurde nicht von dieser Seite aus abgeschickt. Bitte öffnen Sie Sprechstunde direkt und versuchen Sie es erneut.",
        "The form was not sent from this site. Please open Sprechstunde directly and try again.";
    err_forbidden_title: "Kein Zugriff", "No access";
    err_forbidden_text: "Diese Seite ist für Ihren Account nicht freigegeben.", "This page is not available to your account.";
    err_not_found_title: "Seite nicht gefunden", "Page not found";
    err_not_found_text: "Diese Seite gibt es nicht. Bitte prüfen Sie die Adresse.", "This page does not exist. Please check the address.";
    err_too_many_title: "Zu viele Anfragen", "Too many requests";
    err_too_many_text: "Bitte warten Sie einen Moment und versuchen Sie es dann erneut.", "Please wait a moment and try again.";
    err_internal_title: "Ein Fehler ist aufgetreten", "Something went wrong";
    err_internal_text: "Bitte versuchen Sie es in einigen Minuten erneut. Besteht das Problem weiter, wenden Sie sich an unseren Support.",
        "Please try again in a few minutes. If the problem persists, please contact our support team.";
    err_unavailable_title: "Vorübergehend nicht verfügbar", "Temporarily unavailable";
    err_unavailable_text: "Der Dienst ist gerade für einige Sekunden nicht erreichbar. Was Sie eingegeben haben, ist noch da: Gehen Sie mit „Zurück“ auf die vorige Seite und senden Sie es gleich noch einmal.",
        "The service cannot be reached for a few seconds. What you entered is still there: go back to the previous page and send it again in a moment.";

    link_expired_title: "Registrierungslink abgelaufen", "Registration link expired";
    link_expired_text: "Der Registrierungslink ist ab Erhalt der E-Mail {validity} gültig. Diese Frist ist abgelaufen.",
        "The registration link is valid for {validity} after the e-mail was received. This period has ended.";
    link_expired_next: "Bitte wenden Sie sich an unseren Support. Er sendet Ihnen die Registrierungs-E-Mail mit einem neuen Link erneut zu.",
        "Please contact our support team. They will send you the registration e-mail again with a new link.";
    link_registered_title: "Sie sind bereits registriert", "You are already registered";
    link_registered_text: "Mit diesem Link wurde die Registrierung bereits abgeschlossen. Der Link kann nicht erneut verwendet werden.",
        "This link has already been used to complete the registration. It cannot be used again.";
    link_registered_next: "Melden Sie sich mit Ihrem Benutzernamen und Passwort an.", "Please sign in with your username and password.";
    link_steps_open_title: "Ihr Account besteht bereits", "Your account already exists";
    link_steps_open_text: "Benutzername und Passwort sind schon festgelegt, dafür wird dieser Link nicht mehr gebraucht. Einige Schritte der Registrierung sind aber noch offen.",
        "Your username and password are already set, so this link is no longer needed for that. Some steps of the registration are still open, though.";
    link_steps_open_next: "Melden Sie sich mit Ihrem Benutzernamen und Passwort an – danach geht es mit den restlichen Schritten weiter.",
        "Sign in with your username and password – you then continue with the remaining steps.";
    link_expired_contact: "Unser Support sendet Ihnen gern einen neuen Link: {contact}.", "Our support team will gladly send you a new link: {contact}.";
    write_to_support: "E-Mail an den Support schreiben", "Write to support";
    new_link_subject: "Neuer Registrierungslink", "New registration link";
    new_link_body: "Guten Tag, mein Registrierungslink für die Videosprechstunde ist abgelaufen. Bitte senden Sie mir einen neuen an {email}. Vielen Dank!",
        "Hello, my registration link for the video consultation service has expired. Please send me a new one to {email}. Thank you!";
    link_replaced_title: "Dieser Link wurde ersetzt", "This link has been replaced";
    link_replaced_text: "Für Ihren Account wurde inzwischen eine neue Registrierungs-E-Mail versendet. Dieser ältere Link gilt nicht mehr.",
        "A newer registration e-mail has been sent for your account. This older link is no longer valid.";
    link_replaced_next: "Bitte verwenden Sie den Link aus der neuesten E-Mail. Finden Sie diese nicht, wenden Sie sich an unseren Support.",
        "Please use the link from the most recent e-mail. If you cannot find it, please contact our support team.";
    link_unknown_title: "Link ungültig", "Invalid link";
    link_unknown_text: "Dieser Registrierungslink ist nicht gültig.", "This registration link is not valid.";
    link_unknown_next: "Bitte öffnen Sie den Link direkt aus der E-Mail oder kopieren Sie ihn vollständig in die Adresszeile. Hilft das nicht, wenden Sie sich an unseren Support.",
        "Please open the link directly from the e-mail or copy it completely into the address bar. If that does not help, please contact our support team.";
    session_missing_title: "Registrierung nicht geöffnet", "Registration not open";
    session_missing_text: "Ihre Registrierungssitzung ist abgelaufen oder wurde in einem anderen Browser geöffnet.",
        "Your registration session has expired or was opened in another browser.";
    session_missing_next: "Bitte öffnen Sie den Registrierungslink aus Ihrer E-Mail erneut.", "Please open the registration link from your e-mail again.";

    step1_title: "Benutzername und Passwort festlegen", "Choose your username and password";
    step1_intro: "Willkommen, {name}! Legen Sie Ihren Benutzernamen und Ihr Passwort fest. Während der Eingabe sehen Sie an grünen Häkchen, welche Anforderungen bereits erfüllt sind.",
        "Welcome, {name}! Choose your username and password. While you type, green check marks show which requirements are already met.";
    label_username: "Benutzername", "Username";
    label_password: "Passwort", "Password";
    label_password_repeat: "Passwort wiederholen", "Repeat password";
    username_rules_heading: "Anforderungen an den Benutzernamen", "Username requirements";
    password_rules_heading: "Anforderungen an das Passwort", "Password requirements";
    rule_username_length: "3 bis 32 Zeichen", "3 to 32 characters";
    rule_username_charset: "Nur Buchstaben (a–z), Ziffern sowie . _ -", "Only letters (a–z), digits and . _ -";
    rule_username_start: "Beginnt mit einem Buchstaben", "Starts with a letter";
    rule_username_available: "Noch nicht vergeben", "Not yet taken";
    rule_min_length: "Mindestens {n} Zeichen", "At least {n} characters";
    rule_max_length: "Höchstens {n} Zeichen", "At most {n} characters";
    rule_not_common: "Kein häufig verwendetes Passwort", "Not a commonly used password";
    rule_not_context: "Enthält weder Benutzernamen noch Ihren Namen oder Ihre E-Mail-Adresse", "Contains neither the username nor your name or e-mail address";
    rule_lowercase: "Mindestens ein Kleinbuchstabe", "At least one lowercase letter";
    rule_uppercase: "Mindestens ein Großbuchstabe", "At least one uppercase letter";
    rule_digit: "Mindestens eine Ziffer", "At least one digit";
    rule_symbol: "Mindestens ein Sonderzeichen", "At least one special character";
    rule_matches: "Beide Passworteingaben stimmen überein", "Both password entries match";
    confirm_and_continue: "Bestätigen & Fortfahren", "Confirm & continue";
    errors_heading: "Bitte korrigieren Sie Folgendes:", "Please correct the following:";
    problem_min_length: "Das Passwort ist zu kurz: Es braucht mindestens {n} Zeichen.", "The password is too short: it needs at least {n} characters.";
    problem_max_length: "Das Passwort ist zu lang: Es darf höchstens {n} Zeichen haben.", "The password is too long: it may have at most {n} characters.";
    problem_not_common: "Dieses Passwort wird sehr häufig verwendet und ist leicht zu erraten. Bitte wählen Sie ein anderes.", "This password is used very often and is easy to guess. Please choose another one.";
    problem_not_context: "Das Passwort enthält Ihren Benutzernamen, Ihren Namen oder Ihre E-Mail-Adresse.", "The password contains your username, your name or your e-mail address.";
    problem_lowercase: "Im Passwort fehlt ein Kleinbuchstabe.", "The password needs a lowercase letter.";
    problem_uppercase: "Im Passwort fehlt ein Großbuchstabe.", "The password needs an uppercase letter.";
    problem_digit: "Im Passwort fehlt eine Ziffer.", "The password needs a digit.";
    problem_symbol: "Im Passwort fehlt ein Sonderzeichen.", "The password needs a special character.";
    problem_matches: "Die beiden Passworteingaben sind verschieden.", "The two password entries differ.";
    problem_username_length: "Der Benutzername muss 3 bis 32 Zeichen lang sein.", "The username must be 3 to 32 characters long.";
    problem_username_charset: "Der Benutzername darf nur Buchstaben (a–z), Ziffern sowie . _ - enthalten.", "The username may only contain letters (a–z), digits and . _ -";
    problem_username_start: "Der Benutzername muss mit einem Buchstaben beginnen.", "The username must start with a letter.";
    error_username_taken: "Dieser Benutzername ist bereits vergeben. Bitte wählen Sie einen anderen.", "This username is already taken. Please choose another one.";
    username_taken_suggest: "„{name}“ ist schon vergeben. Frei wäre zum Beispiel „{suggestion}“.", "“{name}” is already taken. “{suggestion}”, for example, is free.";
    show_password: "Passwort anzeigen", "Show password";
    hide_password: "Passwort verbergen", "Hide password";
    password_not_kept: "Aus Sicherheitsgründen müssen Sie das Passwort erneut eingeben.", "For security reasons, please enter the password again.";

    done_title: "Registrierung abgeschlossen", "Registration complete";
    done_text: "Ihr Account ist angelegt und freigeschaltet. Sie sind jetzt angemeldet.", "Your account has been created and unlocked. You are now signed in.";
    to_start: "Weiter zur Startseite", "Continue to the start page";

    login_title: "Anmelden", "Sign in";
    login_button: "Anmelden", "Sign in";
    login_failed: "Benutzername oder Passwort ist falsch.", "The username or password is incorrect.";
    login_throttled: "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es dann erneut.",
        "Too many failed sign-in attempts. Please wait {seconds} seconds and try again.";
    logged_out: "Sie wurden abgemeldet.", "You have been signed out.";
    start_title: "Startseite", "Start page";
    start_welcome: "Willkommen, {name}!", "Welcome, {name}!";
    start_signed_in_as: "Sie sind angemeldet als {username}.", "You are signed in as {username}.";
    start_invite_now: "Patient jetzt einladen", "Invite a patient now";
    start_new_appointment: "Termin anlegen", "Create appointment";
    start_today: "Heute", "Today";
    start_none_today: "Heute haben Sie keine Termine.", "You have no appointments today.";
    start_waiting: "{n} im Wartezimmer", "{n} in the waiting room";
    start_all_appointments: "Alle Termine", "All appointments";
    start_contacts_recent: "Zuletzt hinzugefügte Kontakte", "Contacts added last";
    start_no_contacts: "Sie haben noch keine Kontakte. Über „Kontakte“ finden Sie Kolleginnen und Kollegen.", "You have no contacts yet. Find colleagues under “Contacts”.";
    start_all_contacts: "Alle Kontakte", "All contacts";
    start_console: "Support-Konsole öffnen", "Open the support console";
    logout_button: "Abmelden", "Sign out";

    step_of: "Schritt {n} von {m}", "Step {n} of {m}";
    continue_button: "Fortfahren", "Continue";
    back_button: "Zurück", "Back";

    pin_title: "Service-PIN festlegen", "Choose your service PIN";
    pin_intro: "Ihre persönliche Service-PIN dient zur Authentifizierung Ihrer Identität, wenn Sie unseren Support zur Änderung personenbezogener Daten kontaktieren. Wir schlagen Ihnen eine zufällige PIN vor; Sie können sie übernehmen oder eine eigene wählen.",
        "Your personal service PIN proves your identity when you contact our support team to change personal data. We suggest a random PIN; you can keep it or choose your own.";
    label_pin: "Service-PIN (6 bis 8 Ziffern)", "Service PIN (6 to 8 digits)";
    pin_set_button: "PIN festlegen", "Set PIN";
    pin_not_shown_again: "Aus Sicherheitsgründen wird eine bereits festgelegte PIN nicht erneut angezeigt. Bitte legen Sie Ihre PIN noch einmal fest.",
        "For security reasons a PIN that has been set is not shown again. Please set your PIN once more.";
    pin_problem_length: "Die PIN muss aus 6 bis 8 Ziffern bestehen.", "The PIN must have 6 to 8 digits.";
    pin_problem_digits: "Die PIN darf nur Ziffern enthalten.", "The PIN may only contain digits.";
    pin_problem_same: "Die PIN darf nicht aus lauter gleichen Ziffern bestehen (z. B. 111111).", "The PIN must not consist of one repeated digit (such as 111111).";
    pin_problem_sequence: "Die PIN darf keine auf- oder absteigende Zahlenfolge sein (z. B. 123456).", "The PIN must not be an ascending or descending sequence (such as 123456).";
    pin_problem_repeating: "Die PIN darf kein wiederholtes Muster sein (z. B. 121212).", "The PIN must not be a repeated pattern (such as 121212).";
    pin_show_title: "Ihre Service-PIN", "Your service PIN";
    pin_show_intro: "Bewahren Sie Ihre Service-PIN sicher auf. Sie wird Ihnen nur jetzt angezeigt. Sie können sie in die Zwischenablage kopieren, als PDF speichern oder ausdrucken.",
        "Keep your service PIN safe. It is shown only now. You can copy it to the clipboard, save it as a PDF or print it.";
    copy_button: "Kopieren", "Copy";
    copied: "Die Service-PIN wurde in die Zwischenablage kopiert.", "The service PIN has been copied to the clipboard.";
    pdf_button: "Als PDF speichern", "Save as PDF";
    print_button: "Drucken", "Print";
    pin_confirm_label: "Ich habe meine Service-PIN sicher verwahrt.", "I have stored my service PIN safely.";
    pin_confirm_missing: "Bitte bestätigen Sie, dass Sie Ihre Service-PIN sicher verwahrt haben.", "Please confirm that you have stored your service PIN safely.";
    pin_choose_other: "Andere PIN wählen", "Choose another PIN";
    pin_sheet_title: "Ihre Service-PIN für die Videosprechstunde", "Your service PIN for the video consultation service";
    pin_sheet_name: "Name", "Name";
    pin_sheet_created: "Festgelegt am", "Set on";
    pin_sheet_purpose_title: "Wofür ist die Service-PIN?", "What is the service PIN for?";
    pin_sheet_purpose: "Mit der Service-PIN weisen Sie sich gegenüber unserem Support aus, wenn Sie die Änderung personenbezogener Daten wünschen, zum Beispiel Ihres Namens, Ihrer E-Mail-Adresse oder Ihrer Mobilfunknummer. Der Support fragt Sie nach dieser PIN, bevor er solche Änderungen vornimmt.",
        "The service PIN proves your identity to our support team when you ask them to change personal data, such as your name, e-mail address or mobile number. Support will ask you for this PIN before making such changes.";
    pin_sheet_keep: "Bewahren Sie dieses Blatt sicher und getrennt von Ihrem Passwort auf. Unser Support fragt niemals nach Ihrem Passwort.",
        "Keep this sheet safe and separate from your password. Our support team will never ask for your password.";

    visibility_title: "Sichtbarkeit in der Kontaktsuche festlegen", "Visibility in contact search";
    visibility_intro: "Ist diese Option aktiviert, können andere registrierte Nutzer Sie finden, zu ihrer Kontaktliste hinzufügen und per SMS kontaktieren. Ihre Mobilfunknummer sehen sie dabei nicht. Wenn Sie nicht sichtbar sein möchten, können andere Nutzer Sie in der Kontaktsuche nicht finden. Sie können diese Einstellung jederzeit in Ihren Profileinstellungen ändern.",
        "If this option is on, other registered users can find you, add you to their contact list and contact you by SMS. They never see your mobile number. If you do not want to be visible, other users cannot find you in the contact search. You can change this at any time in your profile settings.";
    visibility_label: "In der Kontaktsuche sichtbar sein", "Be visible in the contact search";

    complete_title: "Registrierung abschließen", "Complete registration";

    two_factor_title: "2-Faktor-Authentifizierung per SMS", "Two-factor authentication by SMS";
    two_factor_intro: "Die 2-Faktor-Authentifizierung bietet eine zusätzliche Sicherheitsebene: Bei der Anmeldung geben Sie zusätzlich einen Code ein, den Sie per SMS erhalten. Geben Sie dafür Ihre Mobilfunknummer ein.",
        "Two-factor authentication adds a layer of security: when you sign in, you also enter a code you receive by SMS. Enter your mobile number to set it up.";
    two_factor_optional: "Sie können diesen Schritt auch überspringen und die 2-Faktor-Authentifizierung jederzeit später in den Profileinstellungen aktivieren.",
        "You can also skip this step and turn on two-factor authentication later in your profile settings.";
    two_factor_required_note: "In Ihrer Produktausführung ist die 2-Faktor-Authentifizierung vorgeschrieben.", "Two-factor authentication is required in your edition of the product.";
    label_phone: "Mobilfunknummer", "Mobile number";
    phone_hint: "Zum Beispiel 0171 1234567 oder +49 171 1234567", "For example 0171 1234567 or +49 171 1234567";
    send_code_button: "Code senden", "Send code";
    later_button: "Später aktivieren", "Activate later";
    phone_invalid: "Diese Mobilfunknummer ist ungültig. Bitte prüfen Sie Ihre Eingabe.", "This mobile number is not valid. Please check your entry.";
    phone_landline: "Das ist eine Festnetznummer. Bitte geben Sie eine Mobilfunknummer ein, die SMS empfangen kann.", "This is a landline number. Please enter a mobile number that can receive SMS.";
    code_title: "Code eingeben", "Enter the code";
    code_sent: "Wir haben einen 8-stelligen Code per SMS an {phone} gesendet. Er ist 5 Minuten gültig.", "We have sent an 8-digit code by SMS to {phone}. It is valid for 5 minutes.";
    label_code: "Code aus der SMS", "Code from the SMS";
    confirm_code_button: "Bestätigen", "Confirm";
    new_code_button: "Neuen Code anfordern", "Request a new code";
    new_code_ready: "Sie können jetzt einen neuen Code anfordern.", "You can request a new code now.";
    new_code_wait: "Einen neuen Code können Sie in {seconds} Sekunden anfordern.", "You can request a new code in {seconds} seconds.";
    wrong_number_hint: "Tippfehler in der Nummer? Gehen Sie zurück, korrigieren Sie die Nummer und fordern Sie einen neuen Code an.", "Typo in the number? Go back, correct the number and request a new code.";
    code_wrong: "Der Code ist nicht richtig. Sie haben noch {left} Versuche.", "The code is not correct. You have {left} attempts left.";
    code_expired: "Der Code ist abgelaufen oder wurde zu oft falsch eingegeben. Bitte fordern Sie einen neuen Code an.", "The code has expired or was entered incorrectly too often. Please request a new code.";
    code_format: "Der Code besteht aus 8 Ziffern.", "The code has 8 digits.";
    sms_cap: "Wir können Ihnen gerade keinen weiteren Code senden, weil in kurzer Zeit zu viele Codes angefordert wurden. Ein neuer Code ist erneut ab {time} möglich. Wenn Sie nicht so lange warten können, hilft Ihnen der Support (Kontakt unten).",
        "We cannot send you another code right now because too many codes were requested in a short time. A new code is possible again from {time}. If you cannot wait that long, our support team will help (contact below).";
    sms_not_sent: "Es wurde keine SMS gesendet.", "No text message was sent.";
    code_not_sent: "Für diese Anmeldung wurde noch kein Code gesendet, deshalb kann kein Code passen. Bitte fordern Sie einen neuen Code an, sobald das möglich ist.",
        "No code has been sent for this sign-in yet, so no code can match. Please request a new code as soon as that is possible.";
    code_wrong_one: "Der Code ist nicht richtig. Sie haben noch 1 Versuch.", "The code is not correct. You have 1 attempt left.";
    login_code_title: "Anmeldung bestätigen", "Confirm sign-in";

    profile_title: "Profileinstellungen", "Profile settings";
    save_button: "Speichern", "Save";
    password_section: "Passwort ändern", "Change password";
    label_current_password: "Aktuelles Passwort", "Current password";
    label_new_password: "Neues Passwort", "New password";
    label_new_password_repeat: "Neues Passwort wiederholen", "Repeat new password";
    current_password_wrong: "Das Passwort ist nicht richtig.", "The password is not correct.";
    changed_password: "Ihr Passwort wurde geändert. Wenn Sie auf anderen Geräten angemeldet sind, können Sie diese Sitzungen unten abmelden.",
        "Your password has been changed. If you are signed in on other devices, you can sign those sessions out below.";
    two_factor_section: "2-Faktor-Authentifizierung per SMS", "Two-factor authentication by SMS";
    two_factor_status_on: "Aktiv. Codes gehen an {phone}.", "On. Codes are sent to {phone}.";
    two_factor_status_off: "Nicht aktiv.", "Off.";
    enable_button: "Aktivieren", "Turn on";
    disable_button: "Deaktivieren", "Turn off";
    disable_title: "2-Faktor-Authentifizierung deaktivieren", "Turn off two-factor authentication";
    disable_intro: "Zum Deaktivieren bestätigen Sie bitte Ihr Passwort und geben einen Code ein, den wir per SMS an {phone} senden.",
        "To turn it off, please confirm your password and enter a code we send by SMS to {phone}.";
    changed_two_factor_on: "Die 2-Faktor-Authentifizierung ist jetzt aktiv. Wenn Sie auf anderen Geräten angemeldet sind, können Sie diese Sitzungen unten abmelden.",
        "Two-factor authentication is now on. If you are signed in on other devices, you can sign those sessions out below.";
    changed_two_factor_off: "Die 2-Faktor-Authentifizierung ist jetzt deaktiviert. Wenn Sie auf anderen Geräten angemeldet sind, können Sie diese Sitzungen unten abmelden.",
        "Two-factor authentication is now off. If you are signed in on other devices, you can sign those sessions out below.";
    phone_section: "Mobilfunknummer", "Mobile number";
    phone_none: "Keine Mobilfunknummer hinterlegt.", "No mobile number on file.";
    change_phone_button: "Mobilfunknummer ändern", "Change mobile number";
    add_phone_button: "Mobilfunknummer hinterlegen", "Add a mobile number";
    your_data_section: "Ihre Daten", "Your details";
    label_name: "Name", "Name";
    label_email_address: "E-Mail-Adresse", "E-mail address";
    your_data_hint: "Name und E-Mail-Adresse ändert der Support für Sie, nachdem er Ihre Service-PIN geprüft hat.", "Support changes your name and e-mail address for you after checking your service PIN.";
    phone_change_intro: "Geben Sie die neue Mobilfunknummer ein. Sie ersetzt die bisherige erst, wenn Sie den Code bestätigt haben, den wir an die neue Nummer senden.",
        "Enter the new mobile number. It replaces the old one only after you have confirmed the code we send to the new number.";
    changed_phone: "Ihre Mobilfunknummer wurde geändert. Wenn Sie auf anderen Geräten angemeldet sind, können Sie diese Sitzungen unten abmelden.",
        "Your mobile number has been changed. If you are signed in on other devices, you can sign those sessions out below.";
    changed_practice: "Die Angaben zur Praxis wurden gespeichert.", "The practice details have been saved.";
    practice_section: "Praxis", "Practice";
    label_practice: "Name der Praxis (optional)", "Name of the practice (optional)";
    label_city: "Ort (optional)", "Town (optional)";
    practice_hint: "Kolleginnen und Kollegen sehen beides in der Kontaktsuche, damit sie Sie von anderen mit gleichem Namen unterscheiden.", "Colleagues see both in the contact search, to tell you apart from others with the same name.";
    practice_too_long: "Name der Praxis und Ort dürfen höchstens {max} Zeichen lang sein.", "The practice name and town may have at most {max} characters.";
    label_practice_phone: "Telefon für Patientinnen und Patienten (optional)", "Phone number for patients (optional)";
    label_practice_email: "E-Mail-Adresse für Patientinnen und Patienten (optional)", "E-mail address for patients (optional)";
    practice_patients_hint: "Ihre Patientinnen und Patienten sehen den Namen der Praxis, die Telefonnummer und die E-Mail-Adresse in ihren Einladungen und auf den Seiten der Videosprechstunde. Antworten auf eine Einladung gehen an diese E-Mail-Adresse.", "Your patients see the practice's name, phone number and e-mail address in their invitations and on the video consultation pages. Replies to an invitation go to this e-mail address.";
    practice_phone_invalid: "Diese Telefonnummer ist nicht gültig. Bitte geben Sie sie mit Vorwahl ein, z. B. 030 12345678.", "This phone number is not valid. Please enter it with the area code, e.g. 030 12345678.";
    practice_email_invalid: "Die E-Mail-Adresse für Patientinnen und Patienten ist nicht gültig.", "The e-mail address for patients is not valid.";
    changed_visibility: "Ihre Sichtbarkeit in der Kontaktsuche wurde gespeichert.", "Your visibility in the contact search has been saved.";
    pin_section: "Service-PIN", "Service PIN";
    pin_section_text: "Mit der Service-PIN weisen Sie sich gegenüber dem Support aus. Haben Sie sie verloren, legen Sie eine neue fest.",
        "The service PIN proves your identity to our support team. If you have lost it, set a new one.";
    renew_pin_button: "Service-PIN erneuern", "Renew service PIN";
    changed_pin: "Ihre neue Service-PIN ist gespeichert.", "Your new service PIN has been saved.";
    language_section: "Sprache", "Language";
    label_language: "Sprache der Seiten und Nachrichten", "Language of pages and messages";
    changed_language: "Die Sprache wurde gespeichert.", "The language has been saved.";
    sessions_section: "Aktive Sitzungen", "Active sessions";
    this_session: "Diese Sitzung", "This session";
    session_line: "{device}: angemeldet seit {since}, zuletzt aktiv {seen}", "{device}: signed in since {since}, last active {seen}";
    unknown_device: "Unbekanntes Gerät", "Unknown device";
    end_others_button: "Andere Sitzungen abmelden", "Sign out other sessions";
    changed_sessions: "Alle anderen Sitzungen wurden abgemeldet.", "All other sessions have been signed out.";
    reauth_title: "Passwort bestätigen", "Confirm your password";
    reauth_intro: "Bitte bestätigen Sie Ihr Passwort, bevor Sie Zugangs- oder Kontaktdaten ändern.", "Please confirm your password before changing sign-in or contact details.";
    contacts_title: "Kontakte", "Contacts";
    contacts_empty: "Noch keine Kontakte. Über die Kontaktsuche finden Sie registrierte Kolleginnen und Kollegen.", "No contacts yet. Use the contact search to find registered colleagues.";
    search_title: "Kontaktsuche", "Contact search";
    search_label: "Name oder Benutzername", "Name or username";
    search_button: "Suchen", "Search";
    no_matches: "Niemand gefunden.", "Nobody found.";
    add_button: "Hinzufügen", "Add";
    remove_button: "Entfernen", "Remove";
    sms_button: "Per SMS kontaktieren", "Contact by SMS";
    send_button: "Senden", "Send";
    in_contacts: "In Ihren Kontakten", "In your contacts";
    reachable: "per SMS erreichbar", "reachable by SMS";
    not_reachable: "derzeit nicht per SMS erreichbar", "currently not reachable by SMS";
    more_results: "Weitere Ergebnisse", "More results";
    sms_intro: "{name} erhält eine SMS mit diesem Text und Ihrer Nachricht. Die Mobilfunknummer bleibt für Sie verborgen.", "{name} receives an SMS with this text and your note. The mobile number stays hidden from you.";
    label_note: "Ihre Nachricht (optional, höchstens 160 Zeichen)", "Your note (optional, at most 160 characters)";
    sms_sent: "Die SMS ist unterwegs.", "The SMS is on its way.";
    sms_unreachable: "Dieser Kontakt ist derzeit nicht per SMS erreichbar.", "This contact cannot be reached by SMS at the moment.";
    note_too_long: "Die Nachricht darf höchstens 160 Zeichen lang sein.", "The note may have at most 160 characters.";
    contact_cap: "Sie haben in letzter Zeit zu viele SMS an Kontakte gesendet. Bitte versuchen Sie es später erneut.", "You have sent too many text messages to contacts recently. Please try again later.";
    contact_added: "Der Kontakt wurde hinzugefügt.", "The contact has been added.";
    contact_removed: "Der Kontakt wurde entfernt.", "The contact has been removed.";
    undo_button: "Rückgängig", "Undo";
    no_phone_yet: "ohne Mobilfunknummer – per SMS nicht erreichbar", "no mobile number – not reachable by SMS";
    note_no_patient_data: "Bitte schreiben Sie keine Patientendaten in die SMS (keine Namen, Befunde oder Geburtsdaten): SMS sind nicht verschlüsselt.",
        "Please do not put patient data into the text message (no names, findings or dates of birth): text messages are not encrypted.";
    note_count: "{used} von {max} Zeichen", "{used} of {max} characters";
    account_locked: "Ihr Account ist gesperrt. Bitte wenden Sie sich an den Support.", "Your account is locked. Please contact support.";
    phone_replaced_sms: "Ihre Mobilfunknummer für Sprechstunde wurde soeben durch eine andere ersetzt. Waren Sie das nicht, wenden Sie sich bitte sofort an den Support.",
        "Your mobile number for Sprechstunde has just been replaced by another one. If this was not you, please contact support at once.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn language_from_accept_language() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::from_headers(&headers), Lang::De);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en-US,en;q=0.9,de;q=0.8"));
        assert_eq!(Lang::from_headers(&headers), Lang::En);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr, de-AT;q=0.9, en;q=0.5"));
        assert_eq!(Lang::from_headers(&headers), Lang::De);
    }

    fn sorted_placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = placeholders(text).collect();
        found.sort_unstable();
        found
    }

    /// Both languages of every text (every set) have the same placeholders, so what fills one fills the
    /// other and no "{name}" is left in the page; braces come in pairs.
    #[test]
    fn both_languages_have_the_same_placeholders() {
        let sets = [
            ("web", Texts::all()),
            ("consult", crate::consult::texts::Texts::all()),
            ("recovery", crate::auth::recovery_texts::Texts::all()),
            ("account mails", crate::accounts::message_texts::Texts::all()),
        ];
        for (set, texts) in sets {
            assert!(texts.len() > 10, "{set}");
            for (key, de, en) in texts {
                for text in [de, en] {
                    assert_eq!(text.matches('{').count(), text.matches('}').count(), "{set}.{key}: {text}");
                    assert!(!text.trim().is_empty(), "{set}.{key} is empty");
                }
                assert_eq!(sorted_placeholders(de), sorted_placeholders(en), "{set}.{key}");
            }
        }
        assert_eq!(sorted_placeholders("{a} und {b}, {a}"), vec!["a", "a", "b"]);
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(fill(DE.rule_min_length, &[("n", "12")]), "Mindestens 12 Zeichen");
        assert_eq!(EN.confirm_and_continue, "Confirm & continue");
        assert_eq!(DE.confirm_and_continue, "Bestätigen & Fortfahren");
    }
}
