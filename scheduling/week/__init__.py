"""A cohort's week at a glance for staff: the chart's geometry (``plot``, pure) and the admin page (``page``); the
week itself is read by ``scheduling.selectors.cohort_week``."""
