"""The dashboard app: browse and triage Deadline Cloud farms, queues, jobs, steps and tasks."""
