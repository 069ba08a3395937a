//! The texts of the e-mails an account gets (`accounts::messages`), German and English side by side.

crate::web::i18n::texts! {
    Texts, DE, EN;
    greeting: "Guten Tag {name},", "Hello {name},";
    regards: "Mit freundlichen Grüßen", "Kind regards";
    team: "Ihr Sprechstunde-Team", "Your Sprechstunde team";
    button_fallback: "Falls die Schaltfläche nicht funktioniert, kopieren Sie diese Adresse in Ihren Browser:",
        "If the button does not work, copy this address into your browser:";
    questions: "Fragen? Unser Support hilft Ihnen gerne: {support}.", "Questions? Our support team is happy to help: {support}.";

    registration_subject: "Ihre Registrierung für die Videosprechstunde", "Your registration for the video consultation service";
    registration_intro: "für Sie wurde ein Account für die Videosprechstunde angelegt. Bitte schließen Sie Ihre Registrierung über diesen Link ab:",
        "an account for the video consultation service has been created for you. Please complete your registration using this link:";
    registration_button: "Registrierung starten", "Start registration";
    registration_validity: "Der Link ist ab Erhalt dieser E-Mail {validity} gültig, also mindestens bis {until}.",
        "The link is valid for {validity} from the time you receive this e-mail, that is at least until {until}.";
    registration_phone: "Halten Sie Ihr Mobiltelefon bereit: Damit können Sie Ihren Account zusätzlich mit einem Code per SMS schützen (freiwillig).",
        "Have your mobile phone at hand: with it you can protect your account with a code by SMS (optional).";
    registration_expired: "Ist der Link abgelaufen, wenden Sie sich bitte an unseren Support ({support}); er sendet Ihnen die Registrierungs-E-Mail mit einem neuen Link erneut zu.",
        "If the link has expired, please contact our support team ({support}); they will send you the registration e-mail again with a new link.";
    registration_unexpected: "Sie haben diese E-Mail nicht erwartet? Dann können Sie sie ignorieren.",
        "If you did not expect this e-mail, you can ignore it.";

    notice_subject: "Änderung an Ihrem Sprechstunde-Account", "A change to your Sprechstunde account";
    notice_if_not_you: "Wenn Sie das waren, ist nichts weiter zu tun. Wenn nicht, wenden Sie sich bitte umgehend an unseren Support: {support}.",
        "If this was you, there is nothing else to do. If it was not you, please contact our support team at once: {support}.";
    changed_password: "Ihr Passwort wurde geändert.", "Your password was changed.";
    changed_two_factor_on: "Die 2-Faktor-Authentifizierung per SMS wurde aktiviert.", "Two-factor authentication by SMS was turned on.";
    changed_two_factor_off: "Die 2-Faktor-Authentifizierung per SMS wurde deaktiviert.", "Two-factor authentication by SMS was turned off.";
    changed_phone: "Ihre Mobilfunknummer wurde geändert.", "Your mobile number was changed.";
    changed_pin: "Ihre Service-PIN wurde erneuert.", "Your service PIN was renewed.";
    changed_name: "Ihr Name wurde vom Support geändert.", "Your name was changed by support.";
    changed_email: "Ihre E-Mail-Adresse wurde vom Support geändert.", "Your e-mail address was changed by support.";
    changed_two_factor_reset: "Die 2-Faktor-Authentifizierung wurde vom Support zurückgesetzt.", "Two-factor authentication was reset by support.";
    changed_password_reset: "Ihr Passwort wurde über „Passwort vergessen?“ neu festgelegt. Alle Anmeldungen auf anderen Geräten wurden beendet.",
        "Your password was set anew through “Forgot your password?”. All sign-ins on other devices were ended.";

    reset_subject: "Neues Passwort für Ihren Sprechstunde-Account", "A new password for your Sprechstunde account";
    reset_requested: "Sie (oder jemand anderes) haben ein neues Passwort für Ihren Sprechstunde-Account angefordert.",
        "You (or someone else) asked for a new password for your Sprechstunde account.";
    reset_link: "Mit diesem Link legen Sie ein neues Passwort fest. Er ist 1 Stunde gültig (bis {until}) und funktioniert nur einmal.",
        "Use this link to choose a new password. It is valid for 1 hour (until {until}) and works only once.";
    reset_button: "Neues Passwort festlegen", "Choose a new password";
    reset_two_factor: "Ist die 2-Faktor-Authentifizierung eingeschaltet, schicken wir Ihnen dabei zusätzlich einen SMS-Code.",
        "If two-factor authentication is on, we will also send you an SMS code.";
    reset_ignore: "Wenn Sie kein neues Passwort angefordert haben, ignorieren Sie diese E-Mail einfach: Ihr bisheriges Passwort gilt weiter.",
        "If you did not ask for a new password, simply ignore this e-mail: your current password stays valid.";

    username_subject: "Ihr Benutzername für die Sprechstunde", "Your username for Sprechstunde";
    username_requested: "Sie (oder jemand anderes) haben Ihren Benutzernamen für die Sprechstunde angefordert.",
        "You (or someone else) asked for your Sprechstunde username.";
    username_is: "Ihr Benutzername lautet: {username}", "Your username is: {username}";
    username_sign_in: "Sie melden sich an unter {login}. Passwort vergessen? Dort finden Sie auch „Passwort vergessen?“.",
        "Sign in at {login}. Forgot your password too? Use “Forgot your password?” there.";
    username_ignore: "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail einfach.",
        "If you did not ask for this, simply ignore this e-mail.";
}
