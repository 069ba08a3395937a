-- The same rules as the PostgreSQL CHECK constraints of this migration. SQLite cannot add a CHECK to an
-- existing table without rebuilding it (and every table referring to it), so triggers enforce them.
CREATE TRIGGER accounts_check_insert BEFORE INSERT ON accounts WHEN NEW.status NOT IN ('invited', 'registering', 'active') OR NEW.role NOT IN ('user', 'support')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: accounts'); END;
CREATE TRIGGER accounts_check_update BEFORE UPDATE OF status, role ON accounts WHEN NEW.status NOT IN ('invited', 'registering', 'active') OR NEW.role NOT IN ('user', 'support')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: accounts'); END;
CREATE TRIGGER sessions_check_insert BEFORE INSERT ON sessions WHEN NEW.kind NOT IN ('registration', 'second_factor', 'login')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: sessions'); END;
CREATE TRIGGER sessions_check_update BEFORE UPDATE OF kind ON sessions WHEN NEW.kind NOT IN ('registration', 'second_factor', 'login')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: sessions'); END;
CREATE TRIGGER outbox_check_insert BEFORE INSERT ON outbox WHEN NEW.channel NOT IN ('email', 'sms') OR NEW.status NOT IN ('pending', 'sent', 'failed', 'cancelled')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox'); END;
CREATE TRIGGER outbox_check_update BEFORE UPDATE OF channel, status ON outbox WHEN NEW.channel NOT IN ('email', 'sms') OR NEW.status NOT IN ('pending', 'sent', 'failed', 'cancelled')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox'); END;
CREATE TRIGGER audit_log_check_insert BEFORE INSERT ON audit_log WHEN NEW.event NOT IN ('account.created', 'account.locked', 'account.resend', 'account.unlocked', 'contact.sms', 'email.changed', 'link.opened', 'link.revoked', 'link.sent', 'login.password', 'login.second_factor', 'logout', 'message.delivered', 'message.failed', 'name.changed', 'password.changed', 'phone.changed', 'pin.check', 'pin.renewed', 'pin.set', 'reauth', 'registration.completed', 'registration.step', 'sessions.ended', 'sms.code_sent', 'support.change', 'two_factor.disabled', 'two_factor.enabled', 'two_factor.reset', 'visibility.changed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log'); END;
CREATE TRIGGER audit_log_check_update BEFORE UPDATE OF event ON audit_log WHEN NEW.event NOT IN ('account.created', 'account.locked', 'account.resend', 'account.unlocked', 'contact.sms', 'email.changed', 'link.opened', 'link.revoked', 'link.sent', 'login.password', 'login.second_factor', 'logout', 'message.delivered', 'message.failed', 'name.changed', 'password.changed', 'phone.changed', 'pin.check', 'pin.renewed', 'pin.set', 'reauth', 'registration.completed', 'registration.step', 'sessions.ended', 'sms.code_sent', 'support.change', 'two_factor.disabled', 'two_factor.enabled', 'two_factor.reset', 'visibility.changed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_log'); END;
DROP TABLE IF EXISTS schema_migrations;
