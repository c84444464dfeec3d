"""Streaming CSV and XLSX extracts in chunks of strings, with the row numbers a person sees.

Row numbers are those of a spreadsheet: the header is row 1, the first record row 2.
Nothing is read whole: CSV goes through pandas' C parser ``chunksize`` rows at a
time, XLSX through openpyxl's read-only (streaming) mode.
"""

from __future__ import annotations

import csv
import datetime
import io
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import PurePath
from typing import IO, Any

import numpy as np
import openpyxl
import pandas as pd
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException
from pandas.errors import EmptyDataError, ParserError, ParserWarning

from customers.imports.contract import CHUNK_ROWS, FileFormat
from customers.imports.validation import Rows
from scrm.core.exceptions import ApplicationError

Chunk = tuple[pd.DataFrame, Rows]
_SNIFF_BYTES = 64 * 1024
_COUNT_BLOCK_BYTES = 1024 * 1024


def file_format_of(name: str) -> FileFormat:
    suffix = PurePath(name).suffix.lower().lstrip(".")
    try:
        return FileFormat(suffix)
    except ValueError:
        raise ApplicationError(
            _("Only .csv and .xlsx files can be imported; save the extract in one of these formats."),
            extra={"file": name},
        ) from None


@dataclass(frozen=True)
class Extract:
    """An open extract: its header, a row estimate for the progress bar, and its rows in chunks."""

    stream: IO[bytes]
    file_format: FileFormat
    header: list[str]
    encoding: str  # CSV only
    xlsx_rows: int  # XLSX only: the rows the sheet declares

    def estimated_rows(self) -> int:
        """Data rows, blank ones included: a CSV's lines (one fast pass over the bytes) or the sheet's size."""
        if self.file_format == FileFormat.XLSX:
            return self.xlsx_rows
        return max(_csv_line_count(self.stream) - 1, 0)

    def chunks(self, positions: dict[str, int], *, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """Frames of the mapped columns (named by the contract) with each row's number in the file."""
        names = sorted(positions, key=positions.__getitem__)
        columns = [positions[name] for name in names]
        if self.file_format == FileFormat.CSV:
            yield from _csv_chunks(self.stream, self.encoding, names, columns, chunk_rows)
        else:
            yield from _xlsx_chunks(self.stream, names, columns, chunk_rows)


def extract_open(stream: IO[bytes], *, file_format: FileFormat) -> Extract:
    """Read the header (and, for CSV, the encoding); refuse what is not a readable extract."""
    stream.seek(0)
    if file_format == FileFormat.CSV:
        encoding = _csv_encoding(stream)
        header = _csv_header(stream, encoding)
        xlsx_rows = 0
    else:
        encoding = ""
        header, xlsx_rows = _xlsx_header(stream)
    stream.seek(0)
    if not any(cell.strip() for cell in header):
        raise ApplicationError(_("The file is empty: the first row must name the columns."))
    return Extract(
        stream=stream, file_format=file_format, header=header, encoding=encoding, xlsx_rows=max(xlsx_rows, 0)
    )


# --- CSV ----------------------------------------------------------------------------------------


def _csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without a BOM) when the start of the file decodes as such, else GB18030 (GBK)."""
    start = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    try:
        start.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if error.start < len(start) - 3:
            return "gb18030"
    return "utf-8-sig"


def _csv_header(stream: IO[bytes], encoding: str) -> list[str]:
    text = stream.read(_SNIFF_BYTES).decode(encoding, errors="ignore")
    stream.seek(0)
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error as error:
        raise _malformed_csv(error) from error


def _malformed_csv(error: Exception) -> ApplicationError:
    return ApplicationError(
        _("The CSV file is malformed (a row with more cells than the header, or an unclosed quote): %(detail)s")
        % {"detail": str(error).strip()}
    )


def _csv_line_count(stream: IO[bytes]) -> int:
    lines, last = 0, b"\n"
    for block in iter(lambda: stream.read(_COUNT_BLOCK_BYTES), b""):
        lines += block.count(b"\n")
        last = block[-1:]
    stream.seek(0)
    return lines + (last != b"\n")


def _csv_chunks(
    stream: IO[bytes], encoding: str, names: list[str], columns: list[int], chunk_rows: int
) -> Iterator[Chunk]:
    reader = None
    try:
        # A row with more cells than the header would be silently cut short: refuse it.
        with warnings.catch_warnings():
            warnings.simplefilter("error", ParserWarning)
            # Opening the reader already parses the header: it fails the same ways a chunk does.
            reader = pd.read_csv(
                stream,
                encoding=encoding,
                header=0,
                index_col=False,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=chunk_rows,
            )
            for chunk in reader:
                frame = chunk.iloc[:, columns]
                frame.columns = names
                yield frame, chunk.index.to_numpy(dtype=np.int64) + 2
    except UnicodeDecodeError as error:
        # The encoding is sniffed from the start of the file; a later byte may still not fit it.
        raise ApplicationError(
            _("The CSV file is neither UTF-8 nor GBK text throughout: save it as UTF-8 and upload it again.")
        ) from error
    except (ParserError, ParserWarning, EmptyDataError, csv.Error) as error:
        raise _malformed_csv(error) from error
    finally:
        if reader is not None:
            reader.close()


# --- XLSX ---------------------------------------------------------------------------------------


# What a damaged workbook raises from inside openpyxl, while opening it or while its
# sheet streams: a broken zip or deflate stream, a missing part, XML that does not parse
# (SyntaxError is the base of ElementTree's ParseError), values of the wrong shape.
_DAMAGED_WORKBOOK_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    OSError,
    EOFError,
    SyntaxError,
)


@contextmanager
def _damaged_workbook_refused() -> Iterator[None]:
    try:
        yield
    except _DAMAGED_WORKBOOK_ERRORS as error:
        raise ApplicationError(_("The file is not a readable .xlsx workbook.")) from error


def _xlsx_workbook(stream: IO[bytes]) -> Any:
    with _damaged_workbook_refused():
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)


def _first_sheet(workbook: Any) -> Any:
    if not workbook.worksheets:
        raise ApplicationError(_("The workbook has no sheet: the extract must be on its first sheet."))
    return workbook.worksheets[0]


def _xlsx_header(stream: IO[bytes]) -> tuple[list[str], int]:
    workbook = _xlsx_workbook(stream)
    try:
        sheet = _first_sheet(workbook)
        with _damaged_workbook_refused():
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            return [cell_text(cell) for cell in first], (sheet.max_row or 1) - 1
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: exact decimals, ISO dates."""
    match value:
        case None:
            return ""
        case str():
            return value
        case bool():
            return "Y" if value else "N"
        case float() if value.is_integer():
            return str(int(value))
        case float():
            # The shortest text that reads back as the same float: what the person typed.
            return format(Decimal(repr(value)), "f")
        case datetime.datetime() if value.time() == datetime.time():
            return value.date().isoformat()
        case datetime.datetime():
            return value.isoformat(sep=" ")
        case datetime.date() | datetime.time():
            return value.isoformat()
        case _:
            return str(value)


def _xlsx_chunks(stream: IO[bytes], names: list[str], columns: list[int], chunk_rows: int) -> Iterator[Chunk]:
    workbook = _xlsx_workbook(stream)
    try:
        rows = _first_sheet(workbook).iter_rows(min_row=2, values_only=True)
        number = 2
        while True:
            with _damaged_workbook_refused():
                batch = [_xlsx_row(cells, columns) for cells in islice(rows, chunk_rows)]
            if not batch:
                return
            frame = pd.DataFrame(batch, columns=names, dtype=str)
            yield frame, np.arange(number, number + len(batch), dtype=np.int64)
            number += len(batch)
    finally:
        workbook.close()


def _xlsx_row(cells: Sequence[object], columns: list[int]) -> list[str]:
    return [cell_text(cells[column]) if column < len(cells) else "" for column in columns]
