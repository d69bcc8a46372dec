"""Imports every domain's models so metadata (and migrations) see the whole schema."""
from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.careers.models import ApplicationCertificate, EmployerProfile, Job, JobApplication, JobCourse
from mwanzo.courses.models import Category, Course, CourseReviewDecision, CourseRevision, Lesson, Review, Section
from mwanzo.certificates.models import Certificate
from mwanzo.jobs.models import OutboxJob
from mwanzo.learning.models import Enrollment, VideoProgress
from mwanzo.notifications.models import OutboundEmail
from mwanzo.payments.models import Payment, PaymentEvent
from mwanzo.quizzes.models import Answer, Question, Quiz, QuizAttempt, StudentAnswer

__all__ = [
    "Answer", "ApplicationCertificate", "AuditLog", "Category", "Certificate", "Course",
    "CourseReviewDecision", "CourseRevision", "EmployerProfile", "Enrollment", "Job", "JobApplication",
    "JobCourse", "Lesson", "OutboundEmail", "OutboxJob", "Payment", "PaymentEvent", "Question", "Quiz",
    "QuizAttempt",
    "Review", "Role", "Section", "StudentAnswer", "User", "VideoProgress",
]
