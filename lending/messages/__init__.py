"""Messages to families and staff: reminders by SMS and email in the family's language, through an outbox."""
