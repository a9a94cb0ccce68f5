"""The thin Scrapy item pipelines of a crawl, in order: keep the payload (:mod:`snapshots`),
extract its text (:mod:`extraction`), record it (:mod:`storage`); and the live watch's
(:mod:`watch`). Each one hands a corpus-library step (:mod:`pipelines`) one typed item."""
