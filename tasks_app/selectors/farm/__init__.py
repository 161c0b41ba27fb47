"""The farm side: fleets, their workers, one worker (its sessions, log and resource charts) and
the workers that ran a job. ``reads`` holds the cached API reads, the other modules one page
each and its view model (the HTML and the JSON come from the same one)."""
