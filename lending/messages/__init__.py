"""Messages to families and staff: reminders by SMS and email in the family's language, through an outbox."""

# The outbox holds records about families and listens to loans: registering here means no process can load the
# messages without erasure, subject access and merging reaching them, and without an extension queuing its notice.
from lending.messages import records as _records  # noqa: F401
