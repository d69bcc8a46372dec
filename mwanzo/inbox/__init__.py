"""The in-app inbox: notifications of what happened to a user, the header's unread badge, and their emails.

Domains call ``services.notify(...)`` from the service that owns the event (an answer posted, a course
approved, a payment settled, an application's status changed); nothing here reaches back into them.
"""
