"""The learner's home page (/dashboard), composing learning, payments and certificates."""
