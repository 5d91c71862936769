"""Files kept in the database (import inputs, exports): any process with the database URL
reads them, so the API and the workers share no folder. See :mod:`shared.files.store`."""

from shared.files.store import StoredFile, open_file, put, stage, sweep, sweep_expired

__all__ = ["StoredFile", "open_file", "put", "stage", "sweep", "sweep_expired"]
