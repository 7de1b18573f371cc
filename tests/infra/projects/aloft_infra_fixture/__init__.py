"""A small project that uses every deployable feature: jobs, schedules, S3 and polled sensors."""
