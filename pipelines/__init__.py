"""Item pipelines: extraction (HTML -> seed-format markdown) and storage (files + SQLite index)."""
