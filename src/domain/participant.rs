//! A participant's way through an appointment, as a state machine without I/O:
//! `invited → link_opened → waiting → admitted ⇄ waiting (sent back) → left`, and `left → waiting` when a
//! guest comes back within the window. `declined` and `revoked` are final. Every transition is stored as
//! one conditional UPDATE from the state it was computed from, so two hosts clicking at once cannot both win.

crate::domain::text::stored_enum! {
    pub enum ParticipantState {
        Invited = "invited",
        LinkOpened = "link_opened",
        Waiting = "waiting",
        Admitted = "admitted",
        Declined = "declined",
        Left = "left",
        /// Removed by the host, or the appointment was cancelled.
        Revoked = "revoked",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The guest opened the link or entered the code.
    Open,
    /// The guest confirmed name and consent ("Sprechstunde betreten").
    CheckIn,
    Admit,
    Decline,
    /// "Zurück ins Wartezimmer".
    SendBack,
    /// The guest left ("Verlassen").
    Leave,
    /// The host removed the participant or cancelled the appointment.
    Revoke,
}

impl ParticipantState {
    /// The state after `action`, or `None` when the action does not apply in this state.
    pub fn after(self, action: Action) -> Option<ParticipantState> {
        use Action as A;
        use ParticipantState as S;
        match (self, action) {
            (S::Declined | S::Revoked, _) => None,
            (_, A::Revoke) => Some(S::Revoked),
            (S::Invited, A::Open) => Some(S::LinkOpened),
            // Opening the link again changes nothing for someone further along.
            (S::LinkOpened | S::Waiting | S::Admitted | S::Left, A::Open) => Some(self),
            (S::Invited | S::LinkOpened | S::Left, A::CheckIn) => Some(S::Waiting),
            // An admitted guest who reloads or reconnects stays admitted, without knocking again.
            (S::Waiting | S::Admitted, A::CheckIn) => Some(self),
            (S::Waiting, A::Admit) => Some(S::Admitted),
            (S::Waiting | S::LinkOpened, A::Decline) => Some(S::Declined),
            (S::Admitted, A::SendBack) => Some(S::Waiting),
            (S::Waiting | S::Admitted, A::Leave) => Some(S::Left),
            _ => None,
        }
    }

    /// Whether the guest's session still leads anywhere.
    pub fn is_final(self) -> bool {
        matches!(self, ParticipantState::Declined | ParticipantState::Revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::ParticipantState::*;

    #[test]
    fn the_usual_way_in() {
        let waiting = Invited.after(Open).and_then(|s| s.after(CheckIn)).unwrap();
        assert_eq!(waiting, Waiting);
        assert_eq!(waiting.after(Admit), Some(Admitted));
        assert_eq!(Admitted.after(SendBack), Some(Waiting));
        assert_eq!(Admitted.after(Leave), Some(Left));
        assert_eq!(Left.after(CheckIn), Some(Waiting), "a guest may come back and wait again");
    }

    #[test]
    fn nobody_is_admitted_without_waiting() {
        for state in [Invited, LinkOpened, Left, Declined, Revoked, Admitted] {
            assert_eq!(state.after(Admit), None, "{state}");
        }
        assert_eq!(Admitted.after(CheckIn), Some(Admitted), "reconnecting keeps the admission");
    }

    #[test]
    fn final_states_stay_final() {
        for action in [Open, CheckIn, Admit, Decline, SendBack, Leave, Revoke] {
            assert_eq!(Declined.after(action), None);
            assert_eq!(Revoked.after(action), None);
        }
        assert!(Declined.is_final() && Revoked.is_final() && !Left.is_final());
        for state in [Invited, LinkOpened, Waiting, Admitted, Left] {
            assert_eq!(state.after(Revoke), Some(Revoked));
        }
    }
}
