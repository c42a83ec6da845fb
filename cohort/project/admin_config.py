"""The admin app with cohortops' own site (``admin_site``), so ``admin.site`` everywhere is that site."""

from django.contrib.admin.apps import AdminConfig


class CohortopsAdminConfig(AdminConfig):
    default_site = "cohort.project.admin_site.CohortopsAdminSite"
