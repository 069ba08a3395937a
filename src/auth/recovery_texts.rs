//! The texts of "Passwort vergessen?" and "Benutzername vergessen?", German and English side by side.

crate::web::i18n::texts! {
    Texts, DE, EN;
    forgot_password_link: "Passwort vergessen?", "Forgot your password?";
    forgot_username_link: "Benutzername vergessen?", "Forgot your username?";
    forgot_password_title: "Passwort vergessen", "Forgot your password";
    forgot_password_intro: "Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Wir schicken Ihnen dann eine E-Mail mit einem Link, über den Sie ein neues Passwort festlegen.",
        "Enter your username or your e-mail address. We will then send you an e-mail with a link to choose a new password.";
    label_identifier: "Benutzername oder E-Mail-Adresse", "Username or e-mail address";
    send_link_button: "Link anfordern", "Send me the link";
    forgot_username_title: "Benutzername vergessen", "Forgot your username";
    forgot_username_intro: "Geben Sie die E-Mail-Adresse ein, mit der Ihr Account angelegt wurde. Wir schicken Ihnen Ihren Benutzernamen an diese Adresse.",
        "Enter the e-mail address your account was created with. We will send your username to that address.";
    label_email: "E-Mail-Adresse", "E-mail address";
    send_username_button: "Benutzernamen zusenden", "Send me my username";
    back_to_login: "Zurück zur Anmeldung", "Back to sign-in";
    identifier_missing: "Bitte geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein.", "Please enter your username or your e-mail address.";
    email_missing: "Bitte geben Sie Ihre E-Mail-Adresse ein.", "Please enter your e-mail address.";
    too_many_requests: "Von Ihrem Anschluss kamen gerade viele Anfragen. Bitte versuchen Sie es in {minutes} Minuten erneut oder wenden Sie sich an den Support.",
        "Many requests came from your connection just now. Please try again in {minutes} minutes or contact support.";
    reset_sent_title: "Bitte sehen Sie in Ihr E-Mail-Postfach", "Please check your e-mail";
    reset_sent_text: "Wenn zu Ihrer Angabe ein Account gehört, haben wir soeben eine E-Mail mit einem Link an die hinterlegte Adresse geschickt. Der Link ist 1 Stunde gültig.",
        "If your entry belongs to an account, we have just sent an e-mail with a link to the address on file. The link is valid for 1 hour.";
    reset_sent_next: "Keine E-Mail bekommen? Sehen Sie bitte auch im Spam-Ordner nach. Kommt nach einigen Minuten nichts an, hilft Ihnen der Support (Kontakt unten).",
        "No e-mail? Please also look in your spam folder. If nothing arrives within a few minutes, our support team will help (contact below).";
    username_sent_text: "Wenn zu dieser Adresse ein Account gehört, haben wir Ihnen soeben Ihren Benutzernamen dorthin geschickt.",
        "If this address belongs to an account, we have just sent your username there.";
    link_invalid_title: "Dieser Link funktioniert nicht mehr", "This link no longer works";
    link_invalid_text: "Der Link zum Zurücksetzen des Passworts ist abgelaufen (er gilt 1 Stunde), wurde schon benutzt oder durch einen neueren Link ersetzt.",
        "The link to reset your password has expired (it is valid for 1 hour), was already used, or was replaced by a newer link.";
    link_invalid_next: "Fordern Sie einfach einen neuen Link an.", "Simply ask for a new link.";
    request_new_link: "Neuen Link anfordern", "Ask for a new link";
    session_gone_title: "Bitte öffnen Sie den Link aus der E-Mail erneut", "Please open the link from the e-mail again";
    session_gone_text: "Die Zeit zum Festlegen des neuen Passworts ist abgelaufen, oder der Link wurde in einem anderen Browser geöffnet.",
        "The time to choose a new password has run out, or the link was opened in another browser.";
    new_password_title: "Neues Passwort festlegen", "Choose a new password";
    new_password_intro: "Guten Tag {name}, legen Sie jetzt Ihr neues Passwort fest. Ihr Benutzername bleibt „{username}“.",
        "Hello {name}, please choose your new password now. Your username stays “{username}”.";
    save_password_button: "Passwort speichern", "Save password";
    reset_code_title: "SMS-Code eingeben", "Enter the SMS code";
    reset_done_title: "Ihr neues Passwort gilt", "Your new password is set";
    reset_done_text: "Ihr Passwort wurde geändert. Alle bisherigen Anmeldungen wurden beendet; wir haben Ihnen eine Bestätigung per E-Mail geschickt.",
        "Your password was changed. All earlier sign-ins were ended; we have sent you a confirmation by e-mail.";
    reset_done_next: "Melden Sie sich jetzt mit Ihrem neuen Passwort an.", "Sign in with your new password now.";
}
