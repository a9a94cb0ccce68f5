"""The corpus: the SQLite index and the files of one output folder, behind one interface.

* :mod:`~pipelines.corpus.store`: :class:`CorpusStore`, one repository per concern
  (:mod:`sites`, :mod:`captures`, :mod:`fetches`, :mod:`live`, :mod:`versions`, :mod:`measures`);
  :mod:`schema` and :mod:`db` under them;
* :mod:`~pipelines.corpus.recorder`: what a crawl or ingest writes (and the reads it decides on);
  :mod:`~pipelines.corpus.oplog`: the same writes through a distributed job's op log;
* :mod:`~pipelines.corpus.warcfiles`: the WARC files of OUT/snapshots/ (what was fetched).
"""
