"""Writing records to a file, streaming: CSV, NDJSON, XLSX (openpyxl's write-only mode) and
Parquet (pyarrow, the optional extra ``kopdes[parquet]``), each in constant memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.errors import InvalidInput
from shared.exports.datasets import COLUMNS, Column, Dataset, flatten


class Format(StrEnum):
    CSV = "CSV"
    NDJSON = "NDJSON"
    XLSX = "XLSX"
    PARQUET = "PARQUET"


SUFFIX = {
    Format.CSV: "csv",
    Format.NDJSON: "ndjson",
    Format.XLSX: "xlsx",
    Format.PARQUET: "parquet",
}
MEDIA_TYPE = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.NDJSON: "application/x-ndjson",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PARQUET: "application/vnd.apache.parquet",
}
_PARQUET_BATCH = 10_000


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def check_available(file_format: Format) -> None:
    if file_format is Format.PARQUET and not parquet_available():
        raise InvalidInput(
            "format", "PARQUET needs pyarrow on the worker: pip install 'kopdes[parquet]'"
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _counted(
    records: Iterable[dict[str, Any]], on_row: Callable[[int], None]
) -> Iterator[dict[str, Any]]:
    for n, record in enumerate(records, start=1):
        yield record
        on_row(n)


def _csv(path: Path, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> None:
    names = [c.name for c in columns]
    # The csv module writes None as an empty cell and other values with str(), which is ISO
    # for dates; booleans and timestamps need their own spelling.
    own = [i for i, c in enumerate(columns) if c.kind in ("bool", "datetime")]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for row in rows:
            values = [row.get(n) for n in names]
            for i in own:
                values[i] = _text(values[i])
            writer.writerow(values)


def _ndjson(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, default=_json))
            fh.write("\n")


def _xlsx(
    path: Path, dataset: Dataset, columns: Sequence[Column], rows: Iterable[dict[str, Any]]
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(dataset.value.lower())
    names = [c.name for c in columns]
    sheet.append(names)
    for row in rows:
        values = []
        for name in names:
            value = row.get(name)
            # Excel has no time zones: timestamps as ISO text keep them exact.
            values.append(value.isoformat() if isinstance(value, datetime) else value)
        sheet.append(values)
    book.save(path)


def _parquet(path: Path, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "str": pa.string(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }
    schema = pa.schema([pa.field(c.name, types[c.kind]) for c in columns])
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _PARQUET_BATCH:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                batch.clear()
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))


def write(
    file_format: Format,
    dataset: Dataset,
    records: Iterable[dict[str, Any]],
    path: Path,
    on_row: Callable[[int], None] = lambda _n: None,
) -> None:
    """Write the dataset's records to ``path`` in the format, reporting each row written."""
    counted = _counted(records, on_row)
    columns = COLUMNS[dataset]
    if file_format is Format.NDJSON:
        _ndjson(path, counted)
        return
    flat = (flatten(dataset, record) for record in counted)
    if file_format is Format.CSV:
        _csv(path, columns, flat)
    elif file_format is Format.XLSX:
        _xlsx(path, dataset, columns, flat)
    else:
        _parquet(path, columns, flat)


__all__ = ["MEDIA_TYPE", "SUFFIX", "Format", "check_available", "parquet_available", "write"]
