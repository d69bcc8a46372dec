"""Text messages (SMS): recorded, sent once by a job through a provider, their delivery reported back.

Kernel-level, beside notifications: it imports nothing from the domains. A domain calls
``services.send_sms(phone, template, locale, ...)``; the text is rendered from ``templates/sms/<template>.txt``
in the recipient's language and kept within one 160-character GSM-7 part where the wording allows.
"""
