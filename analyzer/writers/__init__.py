"""Report writers: JSON (``Report.to_json``), CSV, Markdown and self-contained HTML.

The HTML writer is the one renderer behind both the Streamlit page and the exported report.
"""
from analyzer.writers.html import render_html, render_index
from analyzer.writers.markdown import render_markdown
from analyzer.writers.tabular import CSV_FIELDS, csv_rows, render_csv

__all__ = ["render_html", "render_index", "render_markdown", "render_csv", "csv_rows", "CSV_FIELDS"]
