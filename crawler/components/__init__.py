"""The Scrapy components of the archive crawls: the download handler that waits at the rate gate
(:mod:`handler`, :mod:`gate`), the downloader middlewares (:mod:`middlewares`), the watch's
live-site rules (:mod:`live`) and the progress extension with the run's summary (:mod:`progress`)."""
