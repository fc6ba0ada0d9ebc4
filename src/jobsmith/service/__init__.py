"""The job service every face calls: create, upload, queue, cancel, delete, list, read.

Free of HTTP: a face parses a request, calls one method of :class:`jobs.JobService`, and presents
what it returns. The service applies the domain's rules through the store and tells the executor
after a commit that queued a job.
"""
