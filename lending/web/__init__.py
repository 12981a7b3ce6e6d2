"""The pages people use: server-rendered (Jinja2), enhanced by htmx, on the same services and access policy as the
API. Signed in by a cookie whose session is kept in the database (lending.accounts.sessions)."""
