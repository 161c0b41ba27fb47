"""What work cost and where its time went: render times of a step (``durations``), a job's
timeline (``timeline``), usage from the sessions statistics aggregation (``usage``)."""
