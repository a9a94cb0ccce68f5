"""The thin Scrapy item pipelines of a crawl, in order: keep the payload (:mod:`snapshots`),
extract its text (:mod:`extraction`), record it (:mod:`storage`); and the live watch's
(:mod:`watch`). Each one hands a corpus-library step (:mod:`pipelines`) one typed item."""

# Sent by the storage stage when the crawl's end-of-run step begins (every item is through):
# the extraction stage stops its workers then, so that the end step's own worker processes
# (change measures) never run beside them (Scrapy closes pipelines last-first).
end_step_begins = object()
