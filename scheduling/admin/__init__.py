"""The scheduling admin: plans and their previews, meetings, the delivery log, pair health findings, webhook endpoints, and scheduling's part of the
cohort, mentor, scholar and team pages. Django imports this package to register them; each module registers its
own pages when imported.
"""

from scheduling.admin import delivery, health, lower_app_pages, meetings, plans, webhooks  # noqa: F401
