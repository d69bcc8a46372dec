"""The learner's data rights (Kenya Data Protection Act 2019): the privacy notice and terms, "Download my
data", "Delete my account", the admins' log of those requests and the retention job.

It sits at the top of the domains, because export and erasure touch every one of them."""
