"""The native face (``/v1``): jobs, their files, processes and maintenance."""
