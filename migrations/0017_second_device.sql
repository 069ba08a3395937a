-- Issue 16: a guest session opened while the participant is already waiting or in the room on another
-- device knocks first ('waiting'); the host lets it in (the other device's session becomes 'replaced') or
-- declines it ('declined'). NULL: the participant's own device.
ALTER TABLE guest_sessions ADD COLUMN device_state TEXT;
