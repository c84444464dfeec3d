"""Blank extracts to fill in: the header a contract accepts, as CSV or as an Excel workbook.

The header uses each column's first Chinese name (the contract accepts it as well as the
English one). The workbook adds a sheet of instructions — every column, the other names
it may have, whether it is required, its rules and an example — so a banker can prepare a
file without the import page open. Neither template holds a data row: an example row left
in by mistake would become a customer.
"""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from customers.imports.contract import Column, Contract

# Excel opens UTF-8 CSV correctly only with a byte-order mark.
_BOM = "\ufeff"


def _header_label(column: Column) -> str:
    return column.aliases[0] if column.aliases else column.name


def import_template_csv(contract: Contract) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_header_label(column) for column in contract.columns])
    return (_BOM + buffer.getvalue()).encode("utf-8")


def import_template_xlsx(contract: Contract) -> bytes:
    workbook = Workbook()
    data = workbook.active
    data.title = _("Data")
    data.append([_header_label(column) for column in contract.columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for letter_cell, column in zip(data[1], contract.columns, strict=True):
        data.column_dimensions[letter_cell.column_letter].width = max(12, len(_header_label(column)) * 2 + 4)
    data.freeze_panes = "A2"

    guide = workbook.create_sheet(_("Instructions"))
    guide.append([_("Column"), _("Also accepted"), _("Required"), _("Rules"), _("Example")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in contract.columns:
        guide.append(
            [
                _header_label(column),
                ", ".join(name for name in column.header_names if name != _header_label(column)),
                _("Yes") if column.required else _("No"),
                str(column.description),
                column.example,
            ]
        )
    for letter, width in zip("ABCDE", (18, 30, 8, 80, 18), strict=True):
        guide.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
