"""Imports every domain's models so metadata (and migrations) see the whole schema."""
from mwanzo.audit import AuditLog
from mwanzo.auth.models import OneTimeCode, Role, User
from mwanzo.careers.models import ApplicationCertificate, EmployerProfile, Job, JobApplication, JobCourse
from mwanzo.courses.models import Category, Course, CourseReviewDecision, CourseRevision, Lesson, Review, Section
from mwanzo.certificates.models import Certificate
from mwanzo.discussions.models import (Announcement, CourseAnswer, CourseQuestion, PostingSuspension, QuestionVote,
                                       Report)
from mwanzo.inbox.models import Notification, NotificationSettings
from mwanzo.jobs.models import OutboxJob
from mwanzo.learning.models import Enrollment, VideoProgress
from mwanzo.notifications.models import OutboundEmail
from mwanzo.offline.models import OfflineReceipt
from mwanzo.payments.models import Payment, PaymentEvent
from mwanzo.sms.models import OutboundSms, SmsDeliveryReport
from mwanzo.privacy.models import DataRequest
from mwanzo.quizzes.models import Answer, Question, Quiz, QuizAttempt, StudentAnswer

__all__ = [
    "Announcement", "Answer", "ApplicationCertificate", "AuditLog", "Category", "Certificate", "Course",
    "CourseAnswer", "CourseQuestion", "CourseReviewDecision", "CourseRevision", "DataRequest",
    "EmployerProfile", "Enrollment", "Job", "JobApplication", "JobCourse", "Lesson", "Notification",
    "NotificationSettings", "OfflineReceipt", "OneTimeCode", "OutboundEmail", "OutboundSms", "OutboxJob", "Payment",
    "PaymentEvent", "PostingSuspension", "Question", "QuestionVote", "Quiz", "QuizAttempt", "Report",
    "Review", "Role", "Section", "SmsDeliveryReport", "StudentAnswer", "User", "VideoProgress",
]
