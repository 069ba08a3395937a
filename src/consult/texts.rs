//! The texts of the appointment, guest and waiting-room pages, German and English side by side.
use crate::web::i18n::Lang;

pub fn of(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

crate::web::i18n::texts! {
    Texts, DE, EN;
    appointments_title: "Termine", "Appointments";
    appointments_empty: "Sie haben heute und in nächster Zeit keine Termine.", "You have no appointments today or coming up.";
    today: "Heute", "Today";
    upcoming: "Demnächst", "Coming up";
    new_appointment: "Termin anlegen", "Create appointment";
    label_date: "Datum", "Date";
    label_time: "Beginn (Uhrzeit in Deutschland)", "Start (time in Germany)";
    label_duration: "Dauer", "Duration";
    minutes: "Minuten", "minutes";
    label_title: "Titel (optional)", "Title (optional)";
    title_hint: "Nur für Sie sichtbar, z. B. „Befundbesprechung“ – außer Sie wählen es unten.", "Only you see it, e.g. “Discussing results” – unless you choose otherwise below.";
    label_title_for_guests: "Titel auch den Teilnehmenden zeigen", "Also show the title to participants";
    create_button: "Termin anlegen", "Create appointment";
    save_button: "Änderungen speichern", "Save changes";
    edit_heading: "Termin ändern", "Change appointment";
    created: "Der Termin ist angelegt. Fügen Sie jetzt die Teilnehmenden hinzu.", "The appointment has been created. Now add the participants.";
    saved: "Die Änderungen sind gespeichert.", "Your changes have been saved.";
    changed_hint: "Haben Sie die Uhrzeit geändert, senden Sie die Einladungen bitte neu, damit alle die neue Zeit kennen.", "If you changed the time, please send the invitations again so that everyone knows the new time.";
    no_title: "Videosprechstunde", "Video consultation";
    back_to_list: "Zurück zu den Terminen", "Back to appointments";
    participants_heading: "Teilnehmende", "Participants";
    participants_empty: "Noch niemand eingeladen.", "Nobody invited yet.";
    add_participant: "Teilnehmer hinzufügen", "Add participant";
    label_name: "Name", "Name";
    label_email_optional: "E-Mail-Adresse (optional)", "E-mail address (optional)";
    label_phone_optional: "Mobilfunknummer (optional)", "Mobile number (optional)";
    send_by_email: "Einladung per E-Mail senden (wenn eine Adresse angegeben ist)", "Send the invitation by e-mail (if an address is given)";
    send_by_sms: "Einladung per SMS senden (wenn eine Nummer angegeben ist)", "Send the invitation by SMS (if a number is given)";
    add_button: "Hinzufügen", "Add";
    fresh_heading: "Zugangsdaten für {name}", "Access details for {name}";
    fresh_hint: "Nur jetzt sichtbar: Kopieren Sie Link oder Code, oder lesen Sie den Code am Telefon vor. Gespeichert wird nur eine Prüfsumme; „Neu erstellen“ erzeugt bei Bedarf neue Zugangsdaten.", "Visible only now: copy the link or code, or read the code out on the phone. Only a checksum is stored; “Create new” makes new access details if needed.";
    label_link: "Einladungslink", "Invitation link";
    label_code: "Zugangscode", "Access code";
    copy_button: "Kopieren", "Copy";
    copied: "Kopiert", "Copied";
    sent_email: "Die Einladung wird per E-Mail gesendet.", "The invitation is being sent by e-mail.";
    sent_sms: "Die Einladung wird per SMS gesendet.", "The invitation is being sent by SMS.";
    sms_capped: "Sie haben heute schon sehr viele Einladungen per SMS gesendet. Bitte kopieren Sie Link oder Code oder senden Sie per E-Mail.", "You have already sent a great many invitations by SMS today. Please copy the link or code, or send by e-mail.";
    state_invited: "eingeladen", "invited";
    state_link_opened: "Link geöffnet", "link opened";
    state_waiting: "wartet seit {time} Uhr", "waiting since {time}";
    state_admitted: "im Raum", "in the room";
    state_declined: "abgelehnt", "declined";
    state_left: "gegangen", "left";
    state_revoked: "entfernt", "removed";
    admit_button: "Einlassen", "Admit";
    decline_button: "Ablehnen", "Decline";
    send_back_button: "Zurück ins Wartezimmer", "Back to the waiting room";
    renew_button: "Neu erstellen", "Create new";
    resend_button: "Einladung neu senden", "Send invitation again";
    remove_button: "Entfernen", "Remove";
    changed_meanwhile: "Das hat sich inzwischen geändert – die Liste zeigt den aktuellen Stand.", "That has changed in the meantime – the list shows the current state.";
    notify_button: "Ton und Benachrichtigung bei Ankunft einschalten", "Turn on sound and notification on arrival";
    notify_on: "Bei jeder Ankunft hören Sie einen Ton und sehen eine Benachrichtigung.", "You will hear a sound and see a notification on every arrival.";
    notify_title: "{name} wartet", "{name} is waiting";
    live_offline: "Verbindung unterbrochen – wird wiederhergestellt …", "Connection lost – reconnecting …";
    notice_heading: "Nachricht ins Wartezimmer", "Message to the waiting room";
    label_preset: "Vorlage", "Template";
    preset_none: "– eigene Nachricht –", "– own message –";
    label_notice: "Eigene Nachricht (höchstens {max} Zeichen)", "Own message (at most {max} characters)";
    notice_button: "Nachricht anzeigen", "Show message";
    notice_clear: "Nachricht entfernen", "Remove message";
    notice_current: "Die Wartenden sehen gerade:", "Those waiting currently see:";
    notice_saved: "Die Nachricht wird im Wartezimmer angezeigt.", "The message is shown in the waiting room.";
    cancel_heading: "Termin absagen", "Cancel appointment";
    cancel_hint: "Alle Einladungen werden ungültig. Teilnehmende mit E-Mail-Adresse oder Mobilfunknummer werden benachrichtigt.", "All invitations stop working. Participants with an e-mail address or mobile number are told.";
    cancel_confirm: "Ja, diesen Termin absagen", "Yes, cancel this appointment";
    cancel_button: "Absagen", "Cancel appointment";
    cancelled_notice: "Der Termin wurde abgesagt.", "The appointment has been cancelled.";
    cancelled_label: "abgesagt", "cancelled";
    err_date: "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ).", "Please enter a valid date (DD.MM.YYYY).";
    err_time: "Bitte geben Sie eine gültige Uhrzeit ein (HH:MM).", "Please enter a valid time (HH:MM).";
    err_summer_time: "Diese Uhrzeit gibt es an diesem Tag wegen der Umstellung auf Sommerzeit nicht. Bitte wählen Sie eine andere.", "This time does not exist on that day because of the switch to summer time. Please choose another.";
    err_past: "Dieser Termin läge in der Vergangenheit. Bitte prüfen Sie Datum und Uhrzeit.", "This appointment would be in the past. Please check date and time.";
    err_duration: "Bitte wählen Sie eine der angebotenen Dauern.", "Please choose one of the durations offered.";
    err_title_long: "Der Titel darf höchstens {max} Zeichen lang sein.", "The title may be at most {max} characters long.";
    err_name: "Bitte geben Sie den Namen ein (höchstens {max} Zeichen).", "Please enter the name (at most {max} characters).";
    err_email: "Diese E-Mail-Adresse ist nicht gültig.", "This e-mail address is not valid.";
    err_phone: "Bitte geben Sie eine Mobilfunknummer ein, z. B. 0171 2345678 oder +49 171 2345678.", "Please enter a mobile number, e.g. 0171 2345678 or +49 171 2345678.";
    err_notice_long: "Die Nachricht darf höchstens {max} Zeichen lang sein.", "The message may be at most {max} characters long.";
    err_cancel_confirm: "Bitte bestätigen Sie, dass Sie den Termin absagen möchten.", "Please confirm that you want to cancel the appointment.";
    form_errors: "Bitte korrigieren Sie:", "Please correct:";

    join_title: "Videosprechstunde betreten", "Join the video consultation";
    join_intro: "Geben Sie den Zugangscode aus Ihrer Einladung ein. Groß- und Kleinschreibung und Bindestriche spielen keine Rolle.", "Enter the access code from your invitation. Upper or lower case and dashes do not matter.";
    join_code_label: "Zugangscode", "Access code";
    join_button: "Weiter", "Continue";
    join_wrong: "Mit diesem Zugangscode können wir Sie nicht einlassen. Bitte prüfen Sie die Eingabe, oder fragen Sie Ihre Praxis nach einem neuen Code.", "We cannot let you in with this access code. Please check what you typed, or ask your practice for a new code.";
    join_limited: "Zu viele Versuche. Bitte warten Sie {minutes} Minuten und versuchen Sie es dann erneut.", "Too many attempts. Please wait {minutes} minutes and try again.";
    join_link_hint: "Sie haben einen Einladungslink? Dann tippen Sie einfach auf den Link in Ihrer E-Mail oder SMS.", "You have an invitation link? Then simply tap the link in your e-mail or SMS.";
    checkin_title: "Willkommen zur Videosprechstunde", "Welcome to the video consultation";
    checkin_when: "Ihr Termin: {when} bei {host}", "Your appointment: {when} with {host}";
    checkin_name: "Ihr Name (so sieht ihn die Praxis)", "Your name (as the practice will see it)";
    checkin_consent: "Ich habe die {terms} und den {privacy} gelesen und bin einverstanden.", "I have read and agree to the {terms} and the {privacy}.";
    terms_link: "Nutzungsbedingungen", "terms of use";
    privacy_link: "Datenschutzhinweis", "privacy notice";
    checkin_button: "Sprechstunde betreten", "Enter the consultation";
    err_consent: "Bitte bestätigen Sie die Nutzungsbedingungen und den Datenschutzhinweis.", "Please confirm the terms of use and the privacy notice.";
    checkin_devices: "Sie brauchen Kamera und Mikrofon. Ihr Browser fragt gleich, ob er sie verwenden darf.", "You need a camera and a microphone. Your browser will ask shortly whether it may use them.";
    waiting_title: "Wartezimmer", "Waiting room";
    waiting_text: "Bitte warten Sie – Sie werden gleich eingelassen.", "Please wait – you will be let in shortly.";
    waiting_keep_open: "Lassen Sie diese Seite geöffnet. Sie ändert sich von selbst, sobald die Praxis Sie einlässt.", "Keep this page open. It changes by itself as soon as the practice lets you in.";
    waiting_notice: "Nachricht der Praxis:", "Message from the practice:";
    admitted_text: "Sie wurden eingelassen.", "You have been let in.";
    admitted_next: "Die Videosprechstunde mit {host} beginnt.", "The video consultation with {host} is starting.";
    declined_text: "Die Praxis hat Ihre Teilnahme an diesem Termin abgelehnt.", "The practice has declined your participation in this appointment.";
    declined_next: "Wenn Sie Fragen haben, wenden Sie sich bitte direkt an Ihre Praxis.", "If you have questions, please contact your practice directly.";
    left_text: "Sie haben das Wartezimmer verlassen.", "You have left the waiting room.";
    rejoin_button: "Wieder eintreten", "Enter again";
    leave_button: "Wartezimmer verlassen", "Leave the waiting room";
    ended_text: "Ihre Einladung gilt nicht mehr.", "Your invitation is no longer valid.";
    ended_next: "Bitte verwenden Sie den Link oder Code aus Ihrer neuesten Einladung.", "Please use the link or code from your most recent invitation.";

    early_title: "Ihr Termin hat noch nicht begonnen", "Your appointment has not started yet";
    early_text: "Ihr Termin ist am {when} bei {host}. Sie können ab {opens} eintreten.", "Your appointment is on {when} with {host}. You can enter from {opens}.";
    early_next: "Bitte öffnen Sie Ihren Link dann erneut oder geben Sie Ihren Zugangscode ein.", "Please open your link again then, or enter your access code.";
    over_title: "Dieser Termin ist vorbei", "This appointment is over";
    over_text: "Ihr Termin war am {when} bei {host}. Der Zugang galt bis {closes}.", "Your appointment was on {when} with {host}. Access was open until {closes}.";
    over_next: "Brauchen Sie einen neuen Termin, wenden Sie sich bitte an Ihre Praxis.", "If you need a new appointment, please contact your practice.";
    cancelled_title: "Dieser Termin wurde abgesagt", "This appointment was cancelled";
    cancelled_text: "Ihr Termin am {when} bei {host} wurde abgesagt.", "Your appointment on {when} with {host} was cancelled.";
    cancelled_next: "Bitte wenden Sie sich an Ihre Praxis, wenn Sie einen neuen Termin brauchen.", "Please contact your practice if you need a new appointment.";
    invalid_title: "Dieser Link ist nicht gültig", "This link is not valid";
    invalid_text: "Der Einladungslink ist unbekannt oder wurde durch einen neueren ersetzt.", "The invitation link is unknown or has been replaced by a newer one.";
    invalid_next: "Bitte verwenden Sie den Link aus Ihrer neuesten Einladung oder geben Sie Ihren Zugangscode ein.", "Please use the link from your most recent invitation, or enter your access code.";
    no_session_title: "Bitte erneut eintreten", "Please enter again";
    no_session_text: "Ihre Sitzung ist abgelaufen oder wurde in einem anderen Browser geöffnet.", "Your session has expired or was opened in another browser.";
    to_code_entry: "Zugangscode eingeben", "Enter access code";
    declined_title: "Teilnahme nicht möglich", "Participation not possible";

    room_title: "Videosprechstunde", "Video consultation";
    room_open: "Sprechzimmer öffnen", "Open the consultation room";
    room_leave: "Sprechzimmer verlassen", "Leave the consultation room";
    leave_room_guest: "Sprechstunde verlassen", "Leave the consultation";
    terms_title: "Nutzungsbedingungen", "Terms of use";
    privacy_title: "Datenschutzhinweis", "Privacy notice";
}
