"""Learners and instructors talk: a course's questions and answers, announcements, and moderation.

Who may read or post is the course's access rule (learning.services.has_access): enrolled learners,
the course's instructor and admins. Everything else answers 404, as an id that does not exist.
"""
