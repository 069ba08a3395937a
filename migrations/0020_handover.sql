-- Issue 16: a guest whose browser cannot hold the call (an app's built-in browser, one without WebRTC)
-- goes on in another browser with a personal link that this session hands over: the invitation's link
-- left the address bar at check-in. Stored is only the link's hash, on the session that made it; it opens
-- once, within 30 minutes, and the new browser replaces that session as the participant's device.
ALTER TABLE guest_sessions ADD COLUMN handover_hash TEXT;
ALTER TABLE guest_sessions ADD COLUMN handover_expires_at BIGINT;
CREATE UNIQUE INDEX guest_sessions_handover ON guest_sessions (handover_hash);
