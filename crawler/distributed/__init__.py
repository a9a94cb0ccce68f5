"""Distributed crawls on scrapy-redis: one job shared by N workers through Redis.

:mod:`job` (what lives in Redis: leases, claims, the op log), :mod:`queue` (the leased request
queue), :mod:`lifecycle` (heartbeats, orphans, when the job is done), :mod:`gate` (the shared rate
gate)."""

LEASE_META = "palimpsest_lease"  # a distributed request's lease, in meta (and Payload.lease)
