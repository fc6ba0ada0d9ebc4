"""The worker protocol face (``/v1/worker``): executors outside jobsmith run its jobs."""
